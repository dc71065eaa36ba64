"""Parsing the /search query string. Pure: a MultiDict-like ``args`` in, clean choices and notes out.

Nothing the reader typed fails the request: unknown facet values are dropped with a note,
an over-long query is cut with a note, repeated ``q`` uses the first.
"""

from dataclasses import dataclass, field

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from cpspartners import querystring
from cpspartners.search.documents import GRADE_BANDS
from cpspartners.search.query import MAX_QUERY_CHARS
from cpspartners.search.schema import SORTS
from cpspartners.taxonomy import CAREER_CLUSTERS, LANGUAGES, MODALITIES, OPPORTUNITY_KINDS, codes
from cpspartners.text import clean_query

ALLOWED = {
    "kind": set(codes(OPPORTUNITY_KINDS)),
    "cluster": set(codes(CAREER_CLUSTERS)),
    "band": {name for name, _lo, _hi in GRADE_BANDS},
    "area": {str(n) for n in range(1, 78)},
    "modality": set(codes(MODALITIES)),
    "paid": {"1"},
    "lang": set(codes(LANGUAGES)),
}


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


def parse_search_args(args: MultiDict[str, str], max_page: int = 10_000) -> SearchParams:
    """The query string as ``SearchParams``; what was ignored or cut is in its notes."""
    params = SearchParams()
    params.text = _query_text(args, params.notes)
    for facet, allowed in ALLOWED.items():
        ignored = _l("Some %(name)s choices were ignored: they are not ones we know.", name=facet)
        good = querystring.choices(args, facet, allowed, params.notes, ignored)
        if good:
            params.filters[facet] = good
    params.open_only = querystring.flag(args, "open", params.notes)
    unknown_sort = _l("That sort order is not one we know, so results are sorted by relevance.")
    params.sort = querystring.choice(args, "sort", SORTS, params.notes, unknown_sort) or "relevance"
    unknown_school = _l("The school choice was ignored: it is not one we know.")
    params.school = querystring.number(args, "school", 1, 10_000_000, params.notes, unknown_school)
    params.page = querystring.page(args, params.notes, max_page)
    return params


def _query_text(args: MultiDict[str, str], notes: list[LazyString]) -> str:
    """The first ``q``, cleaned, and cut at a word boundary when it is too long."""
    # Uncapped here: a query cut below says so in a note.
    text = clean_query(querystring.one(args, "q", notes), max_length=None)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        notes.append(_l("Your search was long, so only its first %(n)d characters were used.", n=MAX_QUERY_CHARS))
    return text
