"""The API's query parameters. Unlike the pages, which drop what they cannot use with a note, an
API client needs to know: a value we cannot use is a ``BadParameter`` (an HSDS-style 400).
Pure: a MultiDict-like ``args`` in, ``ApiParams`` out. Unknown parameters are ignored, as HSDS says.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from cpspartners import querystring
from cpspartners.hsds import ids
from cpspartners.text import clean_query

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200  # larger asks get this many: ``format=ndjson`` is the way to take everything
MAX_PAGE = 1_000_000
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
LANGS = ("en", "es")


class BadParameter(ValueError):
    """A query parameter we cannot use: which one, and why (in English, as API errors are)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass
class ApiParams:
    search: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    format: str = "json"
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    minimal: bool = False
    full: bool = False
    full_service: bool = False
    parent_id: str | None = None
    top_only: bool = False
    postcode: str | None = None
    lang: str | None = None


def _one(args, name: str) -> str | None:
    return querystring.one(args, name, [])


def _int(args, name: str, low: int, high: int | None, default: int) -> int:
    raw = _one(args, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.strip().isdigit()):
        raise BadParameter(name, "%s must be a whole number" % name)
    value = int(raw)
    if value < low:
        raise BadParameter(name, "%s must be at least %d" % (name, low))
    return min(value, high) if high is not None else value


def _bool(args, name: str) -> bool:
    raw = _one(args, name)
    if raw is None:
        return False
    if raw.lower() not in BOOLEANS:
        raise BadParameter(name, "%s must be true or false" % name)
    return BOOLEANS[raw.lower()]


def _uuid(args, name: str) -> str | None:
    raw = _one(args, name)
    if raw is None:
        return None
    canonical = ids.parse(raw)
    if canonical is None:
        raise BadParameter(name, "%s must be a UUID" % name)
    return canonical


def _moment(args, name: str) -> datetime | None:
    raw = _one(args, name)
    if raw is None:
        return None
    text = raw.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text) if "T" in text or " " in text else None
        if moment is None:
            moment = datetime.combine(date.fromisoformat(text), time(0))
    except ValueError:
        raise BadParameter(name, "%s must be an ISO 8601 date or date-time" % name) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _choice(args, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    raw = _one(args, name)
    if raw is None:
        return default
    if raw not in allowed:
        raise BadParameter(name, "%s must be one of %s" % (name, ", ".join(allowed)))
    return raw


def parse(args) -> ApiParams:
    """Every parameter the HSDS endpoints take; each endpoint reads the ones it declares."""
    search = _one(args, "search") or ""
    if "\x00" in search:
        raise BadParameter("search", "search must be text")
    params = ApiParams(
        search=clean_query(search, 200),
        page=_int(args, "page", 1, None, 1),
        per_page=_int(args, "per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE),
        format=_choice(args, "format", ("json", "ndjson"), "json") or "json",
        taxonomy_term_id=_uuid(args, "taxonomy_term_id"),
        taxonomy_id=_uuid(args, "taxonomy_id"),
        organization_id=_uuid(args, "organization_id"),
        modified_after=_moment(args, "modified_after"),
        minimal=_bool(args, "minimal"),
        full=_bool(args, "full"),
        full_service=_bool(args, "full_service"),
        parent_id=_uuid(args, "parent_id"),
        top_only=_bool(args, "top_only"),
        postcode=_one(args, "postcode"),
        lang=_choice(args, "lang", LANGS, None),
    )
    if params.page > MAX_PAGE:
        raise BadParameter("page", "page must be at most %d" % MAX_PAGE)
    if _one(args, "proximity") is not None:
        raise BadParameter("proximity", "proximity is not supported; use postcode")
    return params
