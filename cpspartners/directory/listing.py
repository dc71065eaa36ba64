"""The opportunity list and the home page from what is already indexed or kept, not from SQL.

At 100,000 listings, the list page spent about 100 ms in SQL on every visit: a sort of every
public row (what takes applications first, by deadline) and a ``count(*)`` over the public join.
The search index already keeps the public listings with their facets, deadlines and "still
open" as bitsets, so a page of the list is the search page with no words, sorted by deadline:
the same order as ``queries.open_first`` (open first, soonest deadline, rolling admission last,
the same deadline by id).
Its 20 keys are then loaded by id and re-checked against the public rule (``search.run``), so a
lagging index never shows what the database would not; it may, for a moment, miss a listing
just published, as search does.

The grade and school filters are answered from two filter-only fields of the index (every grade
of a listing's range; the ids of the schools it names, none for a citywide listing, as the SQL
filter reads ``opportunity_school``). An index built before those fields existed, a filter the
index does not hold (``LIST_FILTERS``) and an index that is missing or broken go to the database
(``queries.filtered_opportunities``); ``flask search rebuild`` gives an old index the fields.

What every visitor sees alike on the home page (its counts, the ids of the listings closing
soon), the areas page (listings per area) and a school's page (the ids offered there and nearby)
is kept ``HOME_CACHE_SECONDS`` (config, 60 by default) in each process (``kept``): a minute's lag
in "12,345 opportunities", or in a listing newly published showing up there, is harmless. The
rows are loaded by id and re-checked against the public rule on each request, so an archived
listing leaves those pages at once.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from cpspartners import search
from cpspartners.directory.filters import Filters
from cpspartners.extensions import db
from cpspartners.kept import forget_kept, kept
from cpspartners.models import Opportunity, Partner, School, queries
from cpspartners.paging import PagerMixin
from cpspartners.search.params import SearchParams

log = logging.getLogger(__name__)
HOME_SOON = 6
NEAR_MILES, NEAR_SHOWN = 2.0, 20  # a school page's "nearby": how far, how many
# A school page's "offered here": as many cards as a page of the list; the list filtered by the
# school (linked) has them all. 50 cards took a third of the page's time and 40 KB.
OFFERED_SHOWN = 20
# Filters of the list page by the index facet that holds them.
INDEX_FACETS = {"kind": "kind", "cluster": "cluster", "area": "area", "modality": "modality"}
# Filters the index holds only to filter on (never counted), by their field: an index built
# before these fields existed does not have them, and then SQL answers (``index_can_answer``).
INDEX_FILTER_FIELDS = {"grade": "grade", "school": "school"}
# Every filter of the list page (``Filters.active``) the index can answer; any other goes to SQL.
LIST_FILTERS = frozenset(INDEX_FACETS) | frozenset(INDEX_FILTER_FIELDS) | {"open"}


@dataclass
class IndexPage(PagerMixin):
    """A page of the list answered by the index: what the pager and the list macro read."""

    items: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


def index_can_answer(filters: Filters) -> bool:
    """The index holds every filter used, and there is an index to ask that has their fields."""
    used = filters.active()
    if not used.keys() <= LIST_FILTERS:
        return False
    if not search.available():
        return False
    index_reader = search.reader()
    needed = [INDEX_FILTER_FIELDS[name] for name in used if name in INDEX_FILTER_FIELDS]
    if not needed:
        return True
    try:
        return index_reader.has_fields(*needed)
    except Exception:  # a broken index: the database answers, and search.run logs the failure
        log.warning("Search index unreadable; the list page asks the database", exc_info=True)
        return False


def index_filters(filters: Filters) -> dict[str, list[str]]:
    """The list's filters as the index's: {field: [value]} (the values as the documents hold them)."""
    fields = INDEX_FACETS | INDEX_FILTER_FIELDS
    return {fields[name]: [str(value)] for name, value in filters.active().items() if name in fields}


def page_from_index(filters: Filters, per_page: int, today: date) -> IndexPage | None:
    """The list page for ``filters`` from the search index, or None if it cannot answer."""
    if not index_can_answer(filters):
        return None
    params = SearchParams(
        text="", filters=index_filters(filters), open_only=filters.open_only, sort="deadline", page=filters.page
    )
    outcome = search.run(params, today=today, per_page=per_page, facets=False)
    if outcome.failed:
        return None
    return IndexPage([hit.opportunity for hit in outcome.hits], outcome.total, outcome.page, outcome.pages)


def opportunity_page(filters: Filters, per_page: int, today: date):
    """The list page for ``filters``: from the index when it can answer, else from the database."""
    page = page_from_index(filters, per_page, today)
    if page is not None:
        return page
    return queries.page_of(queries.filtered_opportunities(filters, today), filters.page, per_page)


def by_id_in_order(ids: list[int]) -> list[Opportunity]:
    """The listings ``ids`` that are still public, in that order: kept ids re-checked on each request."""
    stmt = queries.public_opportunities().where(Opportunity.id.in_(ids))
    rows = {opp.id: opp for opp in db.session.scalars(stmt)} if ids else {}
    return [rows[i] for i in ids if i in rows]


def _index_outcome(open_only: bool, per_page: int, today: date, facets: bool = False) -> search.Outcome | None:
    """The whole public directory as the index sees it (no words, no filters), or None."""
    if not index_can_answer(Filters()):
        return None
    params = SearchParams(text="", open_only=open_only, sort="deadline")
    outcome = search.run(params, today=today, per_page=per_page, facets=facets)
    return None if outcome.failed else outcome


def _home_facts(today: date) -> tuple[dict, list]:
    """Counts and the ids closing soonest: from the index when there is one (a count of the
    public listings over 100,000 rows took seconds on a busy machine), else from SQL."""
    counts = {
        "partners": db.session.scalar(select(func.count()).select_from(Partner).where(Partner.is_active)),
        "schools": db.session.scalar(select(func.count()).select_from(School)),
    }
    everything = _index_outcome(False, 1, today)
    still_open = _index_outcome(True, HOME_SOON * 2, today) if everything is not None else None
    if everything is not None and still_open is not None:
        counts["opportunities"] = everything.total
        dated = [hit.opportunity.id for hit in still_open.hits if hit.opportunity.deadline is not None]
        return counts, dated[:HOME_SOON]
    public = queries.public_opportunities().subquery()
    counts["opportunities"] = db.session.scalar(select(func.count()).select_from(public))
    soon = queries.filtered_opportunities(Filters(open_only=True), today).where(Opportunity.deadline.is_not(None))
    return counts, list(db.session.scalars(soon.with_only_columns(Opportunity.id).limit(HOME_SOON)))


def home_page(today: date) -> tuple[dict, list]:
    """The home page's counts and its listings closing soon (still public, in deadline order)."""
    counts, ids = kept("home", lambda: _home_facts(today), today)
    return counts, by_id_in_order(ids)


def area_counts(today: date) -> dict:
    """{area number: public listings there}, for the table of areas."""

    def counts() -> dict:
        everything = _index_outcome(False, 1, today, facets=True)
        if everything is None:
            return queries.count_public_opportunities_by_area()
        return {int(area): n for area, n in everything.facets.get("area", {}).items() if area}

    return kept("area-counts", counts, today)


def school_page(school: School, today: date) -> tuple[list, bool, list]:
    """(listings offered at ``school``, whether it offers more than those, [(listing, miles)]
    nearby), as the school page shows them."""

    def ids() -> tuple[list, list]:
        offered = queries.opportunity_ids_at_school(school.id, OFFERED_SHOWN + 1)
        exclude = set(offered)
        # The index proposes the nearest (twice as many as shown, in case some are no longer
        # public); the database checks them, or reads the whole box when the index cannot answer.
        candidates = search.nearest_offered_ids(
            school.latitude, school.longitude, NEAR_MILES, school.id, 2 * NEAR_SHOWN, sorted(exclude)
        )
        near = queries.opportunities_near(
            school.latitude,
            school.longitude,
            NEAR_MILES,
            NEAR_SHOWN,
            exclude_ids=exclude,
            school_id=school.id,
            candidates=candidates,
        )
        return offered, [(opp.id, miles) for opp, miles in near]

    offered_ids, near = kept(f"school-{school.id}", ids, today)
    shown = offered_ids[:OFFERED_SHOWN]
    # Both lists' rows in one read (on PostgreSQL, two round trips fewer), each list in its order.
    rows = {opp.id: opp for opp in by_id_in_order(shown + [opp_id for opp_id, _miles in near])}
    offered = [rows[opp_id] for opp_id in shown if opp_id in rows]
    nearby = [(rows[opp_id], miles) for opp_id, miles in near if opp_id in rows]
    return offered, len(offered_ids) > OFFERED_SHOWN, nearby


WARM_PAGES = ("/", "/opportunities", "/search?q=science", "/areas", "/account/sign-in")


def warm(app) -> None:
    """What a worker does once before its first visitor: fill what ``kept`` holds and the school
    names, build the recommendation candidates and the index's coordinates (a school's nearby),
    then render a page of each kind in the process (which opens the search index and fills its
    caches, and compiles the templates and the statements behind them).

    In a surge's first seconds every page is built, none kept yet: a worker that met a kind of
    page for the first time there spent 20-45 ms more on it (templates, statements), and its
    first school page 340 ms more (the coordinates), while requests queued behind it."""
    from cpspartners import school_lookup
    from cpspartners.recommendations.candidates import candidate_index

    with app.app_context():
        today = date.today()
        forget_kept()
        home_page(today)
        area_counts(today)
        school_lookup.names()
        candidate_index()
        pages = list(WARM_PAGES) + _one_of_each_kind()
        db.session.remove()
    client = app.test_client()
    for path in pages:
        client.get(path)


def _one_of_each_kind() -> list[str]:
    """A listing's, a partner's, a school's and an area's page (whichever exist)."""
    slug = db.session.scalar(queries.public_opportunities().with_only_columns(Opportunity.slug).limit(1))
    partner = db.session.scalar(queries.public_partners().with_only_columns(Partner.slug).limit(1))
    school = db.session.scalar(select(School.id).order_by(School.id).limit(1))
    area = db.session.scalar(select(School.community_area_number).order_by(School.id).limit(1))
    found = [
        f"/opportunities/{slug}" if slug else None,
        f"/partners/{partner}" if partner else None,
        f"/schools/{school}" if school else None,
        f"/areas/{area}" if area else None,
    ]
    return [path for path in found if path]
