"""Parsing the /search query string. Pure: a MultiDict-like ``args`` in, clean choices and notes out.

Nothing the reader typed fails the request: unknown facet values are dropped with a note,
an over-long query is cut with a note, repeated ``q`` uses the first.
"""

import unicodedata
from dataclasses import dataclass, field

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from cpspartners.search.documents import GRADE_BANDS
from cpspartners.search.query import MAX_QUERY_CHARS
from cpspartners.search.schema import SORTS
from cpspartners.taxonomy import CAREER_CLUSTERS, LANGUAGES, MODALITIES, OPPORTUNITY_KINDS, codes
from cpspartners.text import small_int

ALLOWED = {
    "kind": set(codes(OPPORTUNITY_KINDS)),
    "cluster": set(codes(CAREER_CLUSTERS)),
    "band": {name for name, _lo, _hi in GRADE_BANDS},
    "area": {str(n) for n in range(1, 78)},
    "modality": set(codes(MODALITIES)),
    "paid": {"1"},
    "lang": set(codes(LANGUAGES)),
}
MAX_VALUES = 20  # per facet: more than every value of the largest facet is never needed


@dataclass
class SearchParams:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    open_only: bool = False
    sort: str = "relevance"
    school: int | None = None
    page: int = 1
    notes: list[LazyString] = field(default_factory=list)

    def chosen(self, facet: str, value: str) -> bool:
        return value in self.filters.get(facet, ())


def clean_text(raw: str) -> str:
    """Drop control and format characters (NUL, bidi overrides) and squeeze spaces."""
    kept = "".join(ch for ch in raw if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    return " ".join(kept.split())


def _first(args: MultiDict[str, str], name: str, params: SearchParams) -> str | None:
    values = [value for value in args.getlist(name) if value != ""]
    if len(values) > 1:
        params.notes.append(_l("Only the first value given for \u201c%(name)s\u201d was used.", name=name))
    return values[0] if values else None


def parse_search_args(args: MultiDict[str, str], max_page: int = 10_000) -> SearchParams:
    params = SearchParams()
    text = clean_text(_first(args, "q", params) or "")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        params.notes.append(
            _l("Your search was long, so only its first %(n)d characters were used.", n=MAX_QUERY_CHARS)
        )
    params.text = text
    for facet, allowed in ALLOWED.items():
        values = list(dict.fromkeys(args.getlist(facet)))[:MAX_VALUES]
        good = [value for value in values if value in allowed]
        if len(good) < len([value for value in values if value != ""]):
            params.notes.append(_l("Some %(name)s choices were ignored: they are not ones we know.", name=facet))
        if good:
            params.filters[facet] = good
    params.open_only = _first(args, "open", params) in ("1", "on", "true", "yes")
    sort = _first(args, "sort", params) or "relevance"
    if sort not in SORTS:
        params.notes.append(_l("That sort order is not one we know, so results are sorted by relevance."))
        sort = "relevance"
    params.sort = sort
    school = _first(args, "school", params)
    if school is not None:
        params.school = small_int(school, 1, 10_000_000)
        if params.school is None:
            params.notes.append(_l("The school choice was ignored: it is not one we know."))
    page = _first(args, "page", params)
    if page is not None:
        params.page = small_int(page, 1, max_page) or 1
        if small_int(page, 1, max_page) is None:
            params.notes.append(_l("That page number was not valid, so the first page is shown."))
    return params
