"""Contact details in students' free text: found, and masked out of what a partner gets."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpspartners.screening import MASK, screen

QUICK = settings(derandomize=True, max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jo.doe+cps@gmail.com please", "email"),
        ("jo (at) example (dot) org", "email"),
        ("my mail is jodoe at gmail dot com", "email"),
        ("call 312-555-0199", "phone"),
        ("call (312) 555-0199", "phone"),
        ("call 312.555.0199", "phone"),
        ("call 312 555 0199", "phone"),
        ("call +1 312 555 0199", "phone"),
        ("call 3125550199", "phone"),
        ("text 555-0199", "phone"),
        ("I live at 1234 S Main St", "address"),
        ("5 West 63rd Street, Apt 2B", "address"),
        ("we are in apt 4", "address"),
        ("follow @jo_doe", "handle"),
        ("instagram.com/jodoe", "handle"),
        ("https://www.tiktok.com/@jodoe", "handle"),
        ("snap: jodoe", "handle"),
        ("mi snap es jodoe_10", "handle"),
        ("my insta is @jodoe", "handle"),
        ("discord.gg/abcd", "handle"),
    ],
)
def test_finds_each_kind_and_masks_it(text, kind):
    result = screen(text)
    assert [f.kind for f in result.findings] == [kind]
    assert result.findings[0].text not in result.masked
    assert MASK in result.masked


@pytest.mark.parametrize(
    "text",
    [
        "I love robotics and I was at CPS in 2023 with a score of 1500 in grade 10.",
        "My insta is great and I like snap photos. The x-ray lab was fun.",
        "Me gustaría aprender sobre la salud: 3 años de voluntariado.",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text):
    result = screen(text)
    assert result.findings == ()
    assert result.masked == text


WORDS = st.sampled_from(
    ["I", "like", "robots", "and", "science", "grade", "10", "2024", "me", "gusta", "la", "música", "at", "is", "my"]
)
PLAIN = st.lists(WORDS, max_size=12).map(" ".join)
LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum()
)


def _phone(d):
    area, mid, last = d
    return st.sampled_from(["%s-%s-%s", "(%s) %s-%s", "%s.%s.%s", "%s %s %s", "+1 %s %s %s"]).map(
        lambda f: f % (area, mid, last)
    )


AREA = st.integers(200, 999).map(str)
MID = st.integers(200, 999).map(str)
LAST = st.integers(0, 9999).map(lambda n: "%04d" % n)
PHONES = st.tuples(AREA, MID, LAST).flatmap(_phone)
EMAILS = st.tuples(LOCAL, st.sampled_from(["gmail.com", "cps.edu", "example.org", "mail.co.uk"])).map("@".join)
STREETS = st.tuples(
    st.integers(1, 99999),
    st.sampled_from(["S ", "N. ", "West ", ""]),
    st.sampled_from(["Main", "Pulaski", "63rd", "Martin Luther King"]),
    st.sampled_from(["St", "Ave", "Blvd", "Rd", "Drive"]),
    st.sampled_from(["", " Apt 3", ", Unit 12B"]),
).map(lambda t: "%d %s%s %s%s" % t)
HANDLES = st.tuples(
    st.sampled_from(["@", "instagram.com/", "snap: ", "tiktok.com/@", "IG: "]),
    st.text("abcdefghijklmnopqrstuvwxyz_0123456789", min_size=2, max_size=15).filter(lambda s: s[0] != "_"),
).map("".join)
CONTACTS = st.one_of(PHONES, EMAILS, STREETS, HANDLES)


@QUICK
@given(before=PLAIN, contact=CONTACTS, after=PLAIN)
def test_a_contact_detail_never_survives_masking(before, contact, after):
    text = " ".join(p for p in (before, contact, after) if p)
    result = screen(text)
    assert result.found
    assert contact not in result.masked
    for finding in result.findings:
        assert finding.text not in result.masked


@QUICK
@given(st.text(max_size=200))
def test_masked_text_screens_clean(text):
    result = screen(text)
    assert screen(result.masked).findings == ()
    for finding in result.findings:
        assert finding.text not in result.masked
    if not result.found:
        assert result.masked == text


@QUICK
@given(PLAIN)
def test_text_without_contact_details_comes_back_unchanged(text):
    result = screen(text)
    assert result.findings == ()
    assert result.masked == text
