"""CSV import parsing and safe export, without an app."""

import csv
import io
from datetime import date

import pytest

from cpspartners.formats.spreadsheets import (
    Column,
    ImportFileError,
    duplicate_ids,
    looks_like_formula,
    neutralise,
    parse,
    to_csv,
)

COLUMNS = (
    Column("external_id", required=True, max_length=80),
    Column("name", required=True, max_length=200),
    Column("kind", kind="choice", choices=("nonprofit", "employer")),
    Column("capacity", kind="int", low=0, high=10_000),
    Column("deadline", kind="date"),
    Column("paid", kind="bool"),
    Column("languages", kind="list", choices=("en", "es")),
)


def test_reads_a_google_sheets_export_with_bom_and_odd_headers():
    raw = '\ufeffExternal ID,Name,Kind,Capacity,Deadline,Paid,Languages\r\nP1,Café Pilsen,nonprofit,20,2026-12-01,yes,"en, es"\r\n'.encode()
    (row,) = parse(raw, COLUMNS)
    assert row.errors == []
    assert row.values == {
        "external_id": "P1",
        "name": "Café Pilsen",
        "kind": "nonprofit",
        "capacity": 20,
        "deadline": date(2026, 12, 1),
        "paid": True,
        "languages": ["en", "es"],
    }
    assert row.number == 2


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "empty"),
        (b"   \n  ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        (b"external_id,name\n", "no rows"),
        (b"name\nX\n", "missing columns: external_id"),
        (b"external_id,name,colour\nA,B,red\n", "unknown columns: colour"),
        (b"external_id,name,name\nA,B,C\n", "repeated columns: name"),
        (
            "external_id,name\nA,Caf\u00e9\n".encode("utf-8") + "B,Caf\u00e9\n".encode("latin-1"),
            "not all UTF-8 (lines 3)",
        ),
    ],
)
def test_file_level_problems_are_explained(raw, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(raw, COLUMNS)


def test_row_level_problems_are_collected_per_row():
    raw = (
        b"external_id,name,kind,capacity,deadline,paid\n"
        b"A,Good,nonprofit,5,2026-01-01,no\n"
        b",Missing id,nonprofit,,,\n"
        b"C,Bad kind,pirate,,,\n"
        b"D,Bad number,nonprofit,lots,,\n"
        b"E,Bad date,nonprofit,,31/12/2026,\n"
        b'F,"=HYPERLINK(""http://x"",""click"")",nonprofit,,,\n'
        b"G,Bad bool,nonprofit,,,maybe\n"
        b"H,Too many,nonprofit,-3,,\n"
    )
    rows = parse(raw, COLUMNS)
    errors = {row.values.get("name") or row.number: row.errors for row in rows}
    assert rows[0].errors == []
    assert any("external_id: is required" in e for e in rows[1].errors)
    assert any("kind: must be one of" in e for e in rows[2].errors)
    assert any("capacity: must be a whole number" in e for e in rows[3].errors)
    assert any("YYYY-MM-DD" in e for e in rows[4].errors)
    assert any("formula" in e for e in rows[5].errors)
    assert any("yes or no" in e for e in rows[6].errors)
    assert any("between 0 and 10000" in e for e in rows[7].errors)
    assert len(errors) == 8


def test_duplicate_ids_are_flagged_after_the_first():
    rows = parse(b"external_id,name\nA,One\nB,Two\nA,Three\n", COLUMNS)
    duplicate_ids(rows, "external_id")
    assert [bool(r.errors) for r in rows] == [False, False, True]
    assert "line 2" in rows[2].errors[0]


def test_too_many_rows_is_refused():
    raw = ("external_id,name\n" + "".join(f"X{n},Name {n}\n" for n in range(101))).encode()
    with pytest.raises(ImportFileError, match="more than 100 rows"):
        parse(raw, COLUMNS, max_rows=100)


def test_semicolon_separated_files_are_understood():
    (row,) = parse(b"external_id;name\nA;One\n", COLUMNS)
    assert row.values["name"] == "One"


def test_cells_with_hidden_characters_are_refused_as_the_forms_refuse_them():
    raw = 'external_id,name\nA,Escape\x1bhere\nB,abc\u202edcba\nC,"Two\nlines\tand tab"\nD,Niños ورشة 🐦\n'
    rows = parse(raw.encode(), COLUMNS)
    assert [bool(row.errors) for row in rows] == [True, True, False, False]
    assert "invisible control characters" in rows[0].errors[0]
    assert rows[2].values["name"] == "Two\nlines\tand tab"


def test_huge_cells_are_rejected_not_stored():
    (row,) = parse(("external_id,name\nA," + "x" * 5000 + "\n").encode(), COLUMNS)
    assert any("too long" in e for e in row.errors)


@pytest.mark.parametrize(
    "value, formula",
    [
        ("=1+1", True),
        ("@SUM(A1)", True),
        ("+cmd", True),
        ("-cmd|' /C calc'!A0", True),
        ("\tx", True),
        ("-5", False),
        ("+3.5", False),
        ("Pilsen", False),
        ("", False),
        ("a=b", False),
    ],
)
def test_formula_detection(value, formula):
    assert looks_like_formula(value) is formula


def test_export_neutralises_formulas_and_round_trips():
    text = to_csv(["name", "note"], [['=HYPERLINK("x")', "+1"], ["Café", None], ["@me", 5]])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["name", "note"], ['\'=HYPERLINK("x")', "'+1"], ["Café", ""], ["'@me", "5"]]
    assert neutralise("plain") == "plain"


def test_iter_csv_streams_the_same_text_in_pieces():
    from cpspartners.formats.spreadsheets import iter_csv, to_csv

    rows = [[n, "=cmd %d" % n, None] for n in range(5)]
    pieces = list(iter_csv(["id", "name", "empty"], iter(rows), chunk=2))
    assert len(pieces) == 3 and pieces[0].startswith("\ufeffid,name,empty\r\n0,'=cmd 0,\r\n")
    assert "".join(pieces) == to_csv(["id", "name", "empty"], rows)
