"""The one text cleaner (``text.strip_hidden``) and the callers that must agree with it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField
from wtforms.validators import ValidationError

from cpspartners.formats.spreadsheets import Column, convert
from cpspartners.formtools import PlainText
from cpspartners.search.params import parse_search_args
from cpspartners.text import clean_query, strip_hidden
from cpspartners.visits.finder import words_of

# (what was typed, what strip_hidden leaves)
HIDDEN = [
    ("a\x00b", "ab"),  # NUL: PostgreSQL refuses it
    ("x\x1by", "xy"),  # escape
    ("del\x7f", "del"),
    ("c1\x85\x9b", "c1"),  # C1 controls, NEL among them
    ("abc\u202edcba", "abcdcba"),  # right-to-left override (text shown reversed)
    ("\u202a\u202b\u202c\u202d", ""),  # embeddings and pop
    ("\u2066x\u2067y\u2068z\u2069", "xyz"),  # isolates
    ("lone\ud800surrogate", "lonesurrogate"),
]
# Text that stays exactly as typed.
TEXT = [
    "Taller de robótica",
    "Niños, pingüino, Ñandú",
    "ورشة الروبوتات",
    "עברית\u200f and back\u200e",  # right-to-left and left-to-right marks
    "🐦 🤖 🚀",
    "👩\u200d👩\u200d👧",  # a family: emoji joined with ZWJ
    "می\u200cخواهم",  # Persian needs the zero-width non-joiner
    "e\u0301",  # a combining accent
    "tab\there\nnew line\r\nand CRLF",
    "5 < 6 and 7 > 3",
    "",
]


class _Form(Form):
    text = StringField()


def _plain_text_accepts(value):
    form = _Form(data={"text": value})
    try:
        PlainText()(form, form.text)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("typed, kept", HIDDEN)
def test_hidden_characters_are_dropped_or_replaced(typed, kept):
    assert strip_hidden(typed) == kept
    assert strip_hidden(typed, " ").replace(" ", "") == kept.replace(" ", "")


@pytest.mark.parametrize("typed", TEXT)
def test_text_of_any_script_with_its_joiners_and_marks_is_kept(typed):
    assert strip_hidden(typed) == typed


@pytest.mark.parametrize("typed", [typed for typed, _kept in HIDDEN])
def test_every_caller_treats_hidden_characters_alike(typed):
    """Forms refuse them, imports refuse them, query strings lose them."""
    assert not _plain_text_accepts(typed)
    assert convert(typed, Column("name"))[1] is not None
    assert clean_query(typed) == clean_query(strip_hidden(typed))
    assert parse_search_args(MultiDict({"q": typed})).text == clean_query(typed, None)
    assert all(strip_hidden(word) == word for word in words_of(typed))


@pytest.mark.parametrize("typed", TEXT)
def test_every_caller_lets_text_through(typed):
    assert _plain_text_accepts(typed)
    assert convert(typed, Column("name"))[1] is None


def test_clean_query_makes_one_trimmed_capped_line():
    assert clean_query(" a\x00b\n ") == "ab"
    assert clean_query("tab\there\nnew line\r\nand CRLF") == "tab here new line and CRLF"
    assert clean_query("Niños\u00a0\u00a0🐦") == "Niños 🐦"
    assert clean_query("ab cd", 3) == "ab"  # no trailing space left by the cut
    assert clean_query("x" * 500) == "x" * 200 and clean_query("x" * 500, None) == "x" * 500
    assert clean_query(None) == "" and clean_query(["a"]) == ""


@given(st.text())
def test_cleaned_text_has_no_hidden_characters_and_cleaning_twice_changes_nothing(typed):
    once = strip_hidden(typed)
    assert strip_hidden(once) == once
    assert all(strip_hidden(ch) == ch for ch in once)
    assert clean_query(clean_query(typed, None), None) == clean_query(typed, None)
    assert _plain_text_accepts(once) or "<" in once
