"""Opportunities per 100 students by community area, beside the areas' hardship figures.

"Available in an area" means a published opportunity of an active partner that is located in
the area or offered at one of the area's schools; virtual and citywide listings reach everyone
and are left out, so the map shows where in-person access is thin.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, union

from cpspartners.extensions import db
from cpspartners.models import CommunityArea, Opportunity, Place, School, opportunity_school
from cpspartners.models.queries import public_opportunities
from cpspartners.taxonomy import PLACE_KINDS, label


@dataclass(frozen=True)
class AreaRow:
    """One community area's enrolment, listings and hardship figures, as the dashboard shows them."""

    number: int
    name: str
    students: int
    schools: int
    opportunities: int
    hardship_index: int
    per_capita_income: int

    @property
    def per_100_students(self):
        return round(100 * self.opportunities / self.students, 1) if self.students else None


def _enrolment():
    """``{area number: (students, schools)}`` from the schools' enrolment."""
    stmt = select(School.community_area_number, func.sum(School.student_count), func.count()).group_by(
        School.community_area_number
    )
    return {number: (students, schools) for number, students, schools in db.session.execute(stmt)}


def _opportunity_counts():
    """``{area number: public opportunities}`` located in the area or offered at one of its schools."""
    public = public_opportunities().with_only_columns(Opportunity.id, Opportunity.community_area_number).subquery()
    located = select(public.c.id, public.c.community_area_number.label("area"))
    at_school = (
        select(public.c.id, School.community_area_number.label("area"))
        .join(opportunity_school, opportunity_school.c.opportunity_id == public.c.id)
        .join(School, School.id == opportunity_school.c.school_id)
    )
    pairs = union(located, at_school).subquery()
    # Distinct ids: a listing both located in an area and offered at its school counts once.
    stmt = (
        select(pairs.c.area, func.count(func.distinct(pairs.c.id)))
        .where(pairs.c.area.is_not(None))
        .group_by(pairs.c.area)
    )
    return dict(db.session.execute(stmt).all())


def area_rows():
    """One ``AreaRow`` per community area, in area-number order."""
    enrolment, counts = _enrolment(), _opportunity_counts()
    rows = []
    for area in db.session.scalars(select(CommunityArea).order_by(CommunityArea.number)):
        students, schools = enrolment.get(area.number, (0, 0))
        rows.append(
            AreaRow(
                area.number,
                area.name,
                int(students or 0),
                schools,
                counts.get(area.number, 0),
                area.hardship_index,
                area.per_capita_income,
            )
        )
    return rows


SORTS = {
    "name": lambda row: (row.name,),
    "per_100": lambda row: (row.per_100_students is None, row.per_100_students or 0, row.name),
    "hardship": lambda row: (row.hardship_index is None, -(row.hardship_index or 0), row.name),
    "students": lambda row: (-row.students, row.name),
    "opportunities": lambda row: (-row.opportunities, row.name),
}


def sorted_rows(rows, sort):
    """Rows sorted by a known key (``per_100`` ascending puts the least served first)."""
    return sorted(rows, key=SORTS.get(sort, SORTS["per_100"]))


def listings_by_kind():
    """``{kind: published listings}``; kinds with none are missing."""
    stmt = public_opportunities().with_only_columns(Opportunity.kind, func.count()).group_by(Opportunity.kind)
    return dict(db.session.execute(stmt).all())


def last_months(today, months):
    """``[(year, month), ...]``: the ``months`` calendar months up to ``today``'s, oldest first."""
    keys = []
    year, month = today.year, today.month
    for _ in range(months):
        keys.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    keys.reverse()
    return keys


def listings_by_month(months=12, today=None):
    """New public listings per calendar month, oldest first, for the last ``months`` months."""
    keys = last_months(today or date.today(), months)
    first = keys[0]
    created = db.session.scalars(
        public_opportunities()
        .with_only_columns(Opportunity.created_at)
        .where(Opportunity.created_at >= date(first[0], first[1], 1))
    )
    counts = dict.fromkeys(keys, 0)
    for stamp in created:
        key = (stamp.year, stamp.month)
        if key in counts:
            counts[key] += 1
    return [(key, counts[key]) for key in keys]


def place_points(kinds):
    """The places of ``kinds`` as map points: parks first, so the fewer libraries and centres stay on top."""
    if not kinds:
        return []
    order = {"park": 0, "tech_centre": 1, "library": 2}
    rows = db.session.scalars(select(Place).where(Place.kind.in_(kinds)).order_by(Place.id)).all()
    rows.sort(key=lambda p: order[p.kind])
    return [(p.longitude, p.latitude, p.kind, "%s (%s)" % (p.name, label(PLACE_KINDS, p.kind))) for p in rows]
