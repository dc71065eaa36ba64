"""Small text helpers with no Flask in them."""

import re
import unicodedata


def fold(text):
    """Lower-case and strip accents: ``Tecnología`` -> ``tecnologia``."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def slugify(text, max_length=80):
    """A URL-safe, accent-free slug: ``Ciencias de la Salud`` -> ``ciencias-de-la-salud``."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def parse_grade(value):
    """CPS grade labels to numbers: ``PK`` -> -1, ``K`` -> 0, ``7`` -> 7; anything else None."""
    value = (value or "").strip().upper()
    if value == "PK":
        return -1
    if value == "K":
        return 0
    return int(value) if value.isdigit() else None


def small_int(value, low, high):
    """``value`` as an int if it is plain ASCII digits within [low, high], else None.

    Checks the length first: ``int()`` of a 5,000-digit string raises, and ``str.isdigit``
    accepts characters such as ``²`` that ``int`` refuses.
    """
    if not isinstance(value, str) or not 0 < len(value) <= 9 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if low <= number <= high else None


# Characters that show nothing and are not text: control characters other than tab and line
# breaks (C0, DEL and C1; NUL above all, which PostgreSQL refuses), lone surrogates (UTF-8 has
# no bytes for them) and the bidi embeddings, overrides and isolates that make text read
# otherwise than it is stored. Everything else is text: accents, right-to-left scripts and
# their marks (U+200E, U+200F), and the joiners that emoji and Persian need (U+200C, U+200D).
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def strip_hidden(text, replacement=""):
    """``text`` with every hidden character (see ``_HIDDEN``) replaced by ``replacement``.

    The one definition of "invisible control character": forms refuse text that this changes,
    imports refuse such cells, and query strings are cleaned with it.
    """
    return _HIDDEN.sub(replacement, text)


def clean_query(value, max_length=200):
    """One line of typed text made safe to search or compare with: hidden characters dropped,
    each run of whitespace (tabs, newlines) one space, ends trimmed, at most ``max_length``
    characters (None: no limit). Anything but a string (a missing parameter) is ``""``."""
    if not isinstance(value, str):
        return ""
    text = " ".join(strip_hidden(value).split())
    return text if max_length is None else text[:max_length].rstrip()


def _like_literal(word):
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_contains(word):
    """A LIKE pattern (with ``escape="\\\\"``) matching text that contains ``word`` literally."""
    return "%" + _like_literal(word) + "%"


def like_prefix(word):
    """A LIKE pattern (backslash escapes, PostgreSQL's default) matching text that starts with ``word``."""
    return _like_literal(word) + "%"
