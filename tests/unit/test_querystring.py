"""The one query-string reader: every value it drops leaves a note saying so."""

import pytest
from werkzeug.datastructures import MultiDict

from cpspartners import querystring

IGNORED = "ignored"


def args(*pairs):
    return MultiDict(list(pairs))


def test_one_takes_the_first_non_empty_value_and_says_when_there_were_more():
    notes = []
    assert querystring.one(args(("q", ""), ("q", "a"), ("q", "b")), "q", notes) == "a"
    assert len(notes) == 1 and "\u201cq\u201d" in str(notes[0])
    notes = []
    assert querystring.one(args(("q", "")), "q", notes) is None and notes == []
    assert querystring.one(args(), "q", notes) is None and notes == []


@pytest.mark.parametrize(
    "pairs, value, noted",
    [
        ((), None, 0),
        ((("kind", ""),), None, 0),
        ((("kind", "workshop"),), "workshop", 0),
        ((("kind", "spaceflight"),), None, 1),
        ((("kind", "workshop"), ("kind", "spaceflight")), "workshop", 1),
        ((("kind", "spaceflight"), ("kind", "workshop")), None, 2),
    ],
)
def test_choice_keeps_only_known_values(pairs, value, noted):
    notes = []
    assert querystring.choice(args(*pairs), "kind", {"workshop", "internship"}, notes, IGNORED) == value
    assert len(notes) == noted


def test_choices_keeps_known_values_once_in_order_and_notes_the_rest_once():
    notes = []
    given = args(("c", "b"), ("c", "x"), ("c", "a"), ("c", "b"), ("c", "y"), ("c", ""))
    assert querystring.choices(given, "c", {"a", "b"}, notes, IGNORED) == ["b", "a"]
    assert notes == [IGNORED]
    notes = []
    many = args(*[("c", str(n)) for n in range(100)])
    assert len(querystring.choices(many, "c", {str(n) for n in range(100)}, notes, IGNORED)) == querystring.MAX_VALUES
    assert notes == []


@pytest.mark.parametrize(
    "raw, value",
    [("7", 7), ("0", 0), ("12", 12), ("13", None), ("-1", None), ("seven", None), ("1e1", None), ("²", None)]
    + [("9" * 5000, None), (" 7", None), ("７", None)],
)
def test_number_accepts_plain_digits_in_range(raw, value):
    notes = []
    assert querystring.number(args(("grade", raw)), "grade", 0, 12, notes, IGNORED) == value
    assert notes == ([] if value is not None else [IGNORED])


@pytest.mark.parametrize("raw, value", [("1", True), ("on", True), ("true", True), ("yes", True), ("0", False)])
def test_flag(raw, value):
    assert querystring.flag(args(("open", raw)), "open", []) is value
    assert querystring.flag(args(), "open", []) is False


@pytest.mark.parametrize("raw, page, noted", [("3", 3, 0), ("", 1, 0), ("0", 1, 1), ("abc", 1, 1), ("101", 1, 1)])
def test_page_is_one_when_not_a_valid_page(raw, page, noted):
    notes = []
    assert querystring.page(args(("page", raw)), notes, max_page=100) == page
    assert len(notes) == noted
