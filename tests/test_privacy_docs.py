"""docs/privacy.md answers every row of the law table with a test that exists, or a reason."""

import ast
import os
import re

import pytest

from tests.conftest import skip_or_fail

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAW = os.path.join(ROOT, "..", "..", "shared", "privacy-and-law.md")
LAW = os.environ.get("CPSPARTNERS_LAW_TABLE", LAW if os.path.exists(LAW) else "/work/shared/privacy-and-law.md")
DOC = os.path.join(ROOT, "docs", "privacy.md")
ROW = re.compile(r"^\|\s*([SFCAX]\d+)\s*\|(.*)$")
# Rows the consent and access work (privaccess) fills in when it merges; empty this set then.
PENDING_PRIVACCESS: set[str] = set()


def _rows(path):
    with open(path, encoding="utf-8") as handle:
        return {m.group(1): m.group(2) for line in handle if (m := ROW.match(line.strip()))}


def _tests_in(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _answer(cells):
    return cells.split("|")[0].strip()


@pytest.fixture(scope="module")
def law_rows():
    if not os.path.exists(LAW):
        skip_or_fail("the law table (../shared/privacy-and-law.md) is not on this machine")
    return _rows(LAW)


def test_every_row_of_the_law_table_is_in_docs_privacy(law_rows):
    doc = _rows(DOC)
    assert sorted(set(law_rows) - set(doc)) == []
    assert sorted(set(doc) - set(law_rows)) == []


def test_every_row_names_tests_that_exist_or_says_why_not():
    for row, cells in _rows(DOC).items():
        answer = _answer(cells)
        if answer.startswith("TODO(privaccess)"):
            assert row in PENDING_PRIVACCESS, f"{row}: a TODO is allowed only for the consent/access rows"
            continue
        if answer.startswith("n/a:"):
            assert len(answer) > len("n/a: ") + 10, f"{row}: say why it does not apply"
            continue
        names = [part.strip() for part in answer.split(";") if part.strip()]
        assert names, f"{row}: neither a test nor a reason"
        for name in names:
            path, _, test = name.partition("::")
            assert path.startswith("tests/") and os.path.exists(os.path.join(ROOT, path)), f"{row}: {path}"
            assert test in _tests_in(path), f"{row}: {name} does not exist"
