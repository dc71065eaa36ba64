"""Plain helpers behind accounts and review, tested without an app."""

from datetime import date

import pytest
from wtforms import Form, StringField
from wtforms.validators import ValidationError

from cpspartners.formtools import PlainText
from cpspartners.services.audit import diff, jsonable
from cpspartners.text import clean_query


class _Form(Form):
    text = StringField()


@pytest.mark.parametrize("value", ["Ana", "Taller de robótica", "ورشة الروبوتات", "5 < 6 and 7 > 3", "🐦", ""])
def test_plain_text_accepts_text_of_any_script(value):
    form = _Form(data={"text": value})
    PlainText()(form, form.text)


@pytest.mark.parametrize(
    "value",
    ["<script>alert(1)</script>", "<img src=x>", "< b>", "</p>", "<!-- x -->", "a\x00b", "abc\u202edcba", "x\x1by"],
)
def test_plain_text_refuses_tags_and_hidden_characters(value):
    form = _Form(data={"text": value})
    with pytest.raises(ValidationError):
        PlainText()(form, form.text)


def test_clean_query_drops_control_characters_and_caps_length():
    assert clean_query(" a\x00b\n ") == "ab"
    assert clean_query(None) == ""
    assert clean_query("x" * 500, 10) == "x" * 10


def test_diff_lists_only_changed_fields_with_old_and_new():
    old = {"title": "A", "grade_min": 6, "deadline": date(2026, 1, 2), "tags": ["a"]}
    new = {"title": "B", "grade_min": 6, "deadline": "2026-01-02", "tags": ["a", "b"]}
    assert diff(old, new) == {"title": ["A", "B"], "tags": [["a"], ["a", "b"]]}
    assert jsonable(date(2026, 3, 4)) == "2026-03-04"
