"""Parsing the /search query string. Pure: a MultiDict-like ``args`` in, clean choices and notes out.

Nothing the reader typed fails the request: unknown facet values are dropped with a note,
an over-long query is cut with a note, repeated ``q`` uses the first.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from cpspartners.search.documents import GRADE_BANDS
from cpspartners.search.index import MAX_QUERY_CHARS, SORTS
from cpspartners.taxonomy import CAREER_CLUSTERS, LANGUAGES, MODALITIES, OPPORTUNITY_KINDS, codes
from cpspartners.text import clean_query, small_int

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
    filters: dict = field(default_factory=dict)
    open_only: bool = False
    sort: str = "relevance"
    school: int = None
    page: int = 1
    notes: list = field(default_factory=list)

    def chosen(self, facet, value):
        return value in self.filters.get(facet, ())


def _first(args, name, params):
    values = [value for value in args.getlist(name) if value != ""]
    if len(values) > 1:
        params.notes.append(_l("Only the first value given for \u201c%(name)s\u201d was used.", name=name))
    return values[0] if values else None


def parse_search_args(args, max_page=10_000):
    params = SearchParams()
    # Uncapped here: a query cut below says so in a note.
    text = clean_query(_first(args, "q", params), max_length=None)
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
