"""The format rules of typed values, each in one function that forms and imports both call.

Each rule takes a non-empty string and returns None when it is fine, or a message (a lazy
translation, so it reads in the reader's language) that says what to type instead. The forms
wrap them in ``formtools.Rule``; ``services.imports`` calls them on every cell of those columns.
"""

import re
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from cpspartners.text import strip_hidden

TAG = re.compile(r"<\s*/?\s*[a-zA-Z!]")
# A host name with a dot and a letters-only top-level domain, optionally a port, then a path.
URL = re.compile(r"^https?://(?:[^\s/:@]+\.)+[a-z]{2,63}\.?(?::\d{1,5})?(?:[/?#]\S*)?$", re.IGNORECASE)
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)
MAX_TAGS, MAX_TAG_LENGTH = 10, 40


def plain_text_problem(value: str) -> LazyString | None:
    """Text only: no HTML tags, no invisible control characters (NUL above all)."""
    if TAG.search(value):
        return _l("Please remove HTML tags, such as script tags: plain text only.")
    if strip_hidden(value) != value:
        return _l("Please remove invisible control characters.")
    return None


def email_problem(value: str) -> LazyString | None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return _l("Enter an email address like name@example.org.")
    return None


def url_problem(value: str) -> LazyString | None:
    return None if URL.match(value) else _l("Enter a web address starting with https://.")


def phone_problem(value: str) -> LazyString | None:
    """Digits with the usual separators and an optional extension; 7 to 15 digits."""
    digits = sum(ch.isdigit() for ch in value)
    if not value.isascii() or not PHONE_CHARACTERS.match(value) or not 7 <= digits <= 15:
        return _l("Enter a phone number like 312-555-0100.")
    return None


def tags_problem(tags: Iterable[str]) -> LazyString | None:
    """At most 10 interest tags of at most 40 characters each (the tag column's length)."""
    tags = [t for t in tags if t]
    if any(len(t) > MAX_TAG_LENGTH for t in tags):
        return _l("Each tag can have at most 40 characters.")
    if len(tags) > MAX_TAGS:
        return _l("Use at most 10 tags.")
    return None
