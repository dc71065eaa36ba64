"""The shared read side: what the public may see and what a student may apply to, as queries.

The rules themselves are the hybrid properties on the models, each defined once and working
both on a loaded row and in SQL: ``Partner.is_active``, ``Opportunity.is_public`` (published,
by an active partner), ``Opportunity.takes_applications(today)`` (public, deadline not passed)
and ``Opportunity.open_for_applications(today)`` (and not full), and who may apply:
``Opportunity.admits(grade, school_id, today)`` (``admitting`` here, for a student). Every caller
that lists public rows starts from a query here or calls one of those; none restates a status.
Lists put what takes applications before what is closed (``open_first``).
"""

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from cpspartners.extensions import db
from cpspartners.geo import bounding_box, miles_between
from cpspartners.kept import kept
from cpspartners.models import (
    CommunityArea,
    Opportunity,
    OpportunityCluster,
    Partner,
    Place,
    School,
    opportunity_school,
)


def public_opportunities():
    """Published opportunities whose partner is active: what anyone may see. Every card names its
    partner, and for a student says whether they may apply, which reads the schools: the partner
    comes joined to each row (one to one, so no row is repeated and a page's LIMIT holds), the
    schools in one more query for the page; never one query per row. On PostgreSQL each query is
    a round trip, and those, not the work in them, are most of what a page costs there."""
    return (
        select(Opportunity)
        .where(Opportunity.is_public)
        .options(joinedload(Opportunity.partner), selectinload(Opportunity.schools))
    )


def filtered_opportunities(filters, today=None):
    """The public opportunity list narrowed by ``Filters``, soonest deadline first."""
    today = today or date.today()
    stmt = public_opportunities()
    if filters.kind:
        stmt = stmt.where(Opportunity.kind == filters.kind)
    if filters.cluster:
        stmt = stmt.where(
            Opportunity.id.in_(
                select(OpportunityCluster.opportunity_id).where(OpportunityCluster.cluster == filters.cluster)
            )
        )
    if filters.grade is not None:
        stmt = stmt.where(Opportunity.grade_min <= filters.grade, Opportunity.grade_max >= filters.grade)
    if filters.area:
        stmt = stmt.where(Opportunity.community_area_number == filters.area)
    if filters.school:
        stmt = stmt.where(
            Opportunity.id.in_(
                select(opportunity_school.c.opportunity_id).where(opportunity_school.c.school_id == filters.school)
            )
        )
    if filters.modality:
        stmt = stmt.where(Opportunity.modality == filters.modality)
    if filters.open_only:
        stmt = stmt.where(Opportunity.deadline_open(today))
    return open_first(stmt, today)


def open_first(stmt, today):
    """``stmt`` (public rows: a query from here) with what takes applications on ``today`` first,
    then what is closed; each by soonest deadline, rolling admission last (as search sorts them).
    Closed listings never come before open ones.

    The rows are public, so ``takes_applications`` comes down to ``deadline_open`` here: ordering
    by that alone spares the database the partner half of the rule once per row."""
    closed = case((Opportunity.deadline_open(today), 0), else_=1)
    # NULL deadlines (rolling admission) sort last on both SQLite and PostgreSQL.
    return stmt.order_by(closed, Opportunity.deadline.is_(None), Opportunity.deadline, Opportunity.id)


def admitting(student, today):
    """The SQL condition "``student`` may apply to it on ``today``": ``Opportunity.admits``."""
    return Opportunity.admits(student.grade, student.school_id, today)


def page_of(stmt, page, per_page):
    """A Flask-SQLAlchemy pagination; a page past the end falls back to the last page."""
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    if page > 1 and not pagination.items and pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


def public_partners(kind=None, area=None):
    """Active partners, by name: the partner directory (each with its area, which the list names)."""
    stmt = select(Partner).where(Partner.is_active).options(joinedload(Partner.community_area))
    if kind:
        stmt = stmt.where(Partner.kind == kind)
    if area:
        stmt = stmt.where(Partner.community_area_number == area)
    return stmt.order_by(Partner.name, Partner.id)


def _at_school(school_id, limit):
    stmt = public_opportunities().join(opportunity_school).where(opportunity_school.c.school_id == school_id)
    return open_first(stmt, date.today()).limit(limit)


def opportunities_at_school(school_id, limit=50):
    """Public listings that name ``school_id``, open first (as ``open_first``)."""
    return db.session.scalars(_at_school(school_id, limit)).all()


def opportunity_ids_at_school(school_id, limit=50):
    """The ids of ``opportunities_at_school``, in its order, without loading the rows."""
    return list(db.session.scalars(_at_school(school_id, limit).with_only_columns(Opportunity.id)))


def public_in_box(lat, lon, miles, school_id=None):
    """Public listings in the box around a point that holds the circle of ``miles`` (read through
    ``ix_opportunity_latitude_longitude``); near a school, only those offered there."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, miles)
    stmt = public_opportunities().where(
        Opportunity.latitude.between(min_lat, max_lat), Opportunity.longitude.between(min_lon, max_lon)
    )
    if school_id is not None:
        stmt = stmt.where(Opportunity.offered_at(school_id))
    return stmt


def opportunities_near(lat, lon, miles=2.0, limit=20, exclude_ids=(), school_id=None, candidates=None):
    """Public in-person opportunities within ``miles``, nearest first, with their distance; near a
    school (``school_id``), only those offered there (``Opportunity.offered_at``). ``candidates``:
    ids proposed by the search index (``search.nearest_offered_ids``), so only those rows are
    read, each still checked here against the same rules."""
    stmt = public_in_box(lat, lon, miles, school_id)
    if candidates is not None:
        stmt = stmt.where(Opportunity.id.in_(list(candidates)))
    # Places first, rows after: a box in a dense neighborhood holds thousands of listings at
    # 100,000, and only the nearest ``limit`` are shown.
    places = db.session.execute(stmt.with_only_columns(Opportunity.id, Opportunity.latitude, Opportunity.longitude))
    found = []
    for opp_id, opp_lat, opp_lon in places:
        if opp_id in exclude_ids:
            continue
        distance = miles_between(lat, lon, opp_lat, opp_lon)
        if distance <= miles:
            found.append((distance, opp_id))
    found.sort()
    nearest = found[:limit]
    rows = {opp.id: opp for opp in db.session.scalars(stmt.where(Opportunity.id.in_([i for _d, i in nearest])))}
    return [(rows[opp_id], distance) for distance, opp_id in nearest if opp_id in rows]


def area_choices():
    """[(number, name)] of the 77 community areas by name, for a filter's choices: kept by the
    process (``kept``), since they change only when the city redraws them, and a page that
    offers the choice would otherwise pay a query (a round trip on PostgreSQL) for it."""

    def read():
        stmt = select(CommunityArea.number, CommunityArea.name).order_by(CommunityArea.name)
        return [(number, name) for number, name in db.session.execute(stmt)]

    return kept("area-choices", read, date.today())


def count_public_opportunities_by_area():
    """{area number: published opportunities located there}."""
    listed = public_opportunities().subquery()
    stmt = select(listed.c.community_area_number, func.count()).group_by(listed.c.community_area_number)
    return dict(db.session.execute(stmt).all())


def count_schools_by_area():
    """{area number: schools in it}."""
    stmt = select(School.community_area_number, func.count()).group_by(School.community_area_number)
    return dict(db.session.execute(stmt).all())


def family_opportunities():
    """Public listings for families (Chicago Connected, learning licences...), soonest first."""
    return open_first(public_opportunities().where(Opportunity.audience == "families"), date.today())


# The city's learning places are public data: every row may be shown (with its source's date).


def places_near(lat, lon, miles=1.5, limit=8, kinds=None):
    """[(place, miles)] within ``miles`` of a point, nearest first (``kinds`` narrows them)."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, miles)
    stmt = select(Place).where(Place.latitude.between(min_lat, max_lat), Place.longitude.between(min_lon, max_lon))
    stmt = stmt.options(joinedload(Place.community_area))  # each place's line names its area
    if kinds:
        stmt = stmt.where(Place.kind.in_(kinds))
    found = [(miles_between(lat, lon, p.latitude, p.longitude), p.id, p) for p in db.session.scalars(stmt)]
    found = sorted(item for item in found if item[0] <= miles)
    return [(place, distance) for distance, _id, place in found[:limit]]


PLACE_TEXT = (Place.name, Place.organization_type, Place.training_types, Place.training_description, Place.facilities)


def _place_text():
    text = PLACE_TEXT[0]
    for column in PLACE_TEXT[1:]:
        text = text + " " + column
    return func.lower(text)


def places_query(words=(), kind=None, area=None):
    """Places whose name, type, training or facilities contain every word (any case), by name.
    Read from the database itself, so a list never disagrees with it (places are not indexed).
    Each comes with its area, which its line names."""
    stmt = select(Place).options(joinedload(Place.community_area))
    for word in list(words)[:6]:
        cleaned = "".join(ch for ch in word.lower() if ch not in "%_\\")
        if cleaned:
            stmt = stmt.where(_place_text().like("%" + cleaned + "%"))
    if kind:
        stmt = stmt.where(Place.kind == kind)
    if area:
        stmt = stmt.where(Place.community_area_number == area)
    return stmt.order_by(Place.name, Place.id)


def places_matching(words, limit=6):
    """The first few places for a search's words (none for an empty search)."""
    if not any(w.strip() for w in words):
        return []
    return db.session.scalars(places_query(words).limit(limit)).all()
