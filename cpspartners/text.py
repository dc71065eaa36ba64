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


GRADE_NAMES = {-1: "PK", 0: "K"}


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


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def clean_query(value, max_length=200):
    """A free-text query parameter made safe to search with: control characters (NUL breaks
    PostgreSQL) dropped, whitespace trimmed, length capped."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value).strip()[:max_length]


def like_contains(word):
    """A LIKE pattern (with ``escape="\\\\"``) matching text that contains ``word`` literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
