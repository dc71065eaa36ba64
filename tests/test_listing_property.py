"""Property: the list page the index answers is the page the database answers.

Random directories (grade ranges, schools or citywide, every status, closed deadlines, vetted and
unvetted partners, active or not, listings for students or not), built as a rebuild builds them
and then edited through the ORM as the site edits them (the outbox writes the index). Then each
grade and each school alone, and random combinations of grade, school, kind, area, modality and
"still open", at random pages: the ids on the page, their order (the list has one: open first,
by deadline, then by id), the total and the page must be the database's
(``queries.filtered_opportunities``, with the one public rule).

A slip of one grade in the documents (``range(low, high)``) fails it at once, on the sweep.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cpspartners.directory import listing
from cpspartners.directory.filters import Filters
from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, School, queries
from cpspartners.search import outbox, sync
from cpspartners.taxonomy import GRADE_MAX, GRADE_MIN, STUDENT_GRADES
from tests.conftest import clean_tables, give_current_vetting

PER_PAGE = 2
SCHOOLS = 3  # real schools the listings are offered at; one more is never named
KINDS = ("internship", "workshop")
AREAS = (31, 32)
MODALITIES = ("in_person", "virtual")
STATUSES = ("published",) * 6 + ("draft", "pending_review", "archived")
DEADLINES = (None, -20, -1, 0, 1, 1, 5, 30)  # days from today: closed, due today, open, rolling
_numbers = count(1)

grades = st.integers(GRADE_MIN, GRADE_MAX)


@st.composite
def any_range(draw):
    low, high = sorted((draw(grades), draw(grades)))
    return low, high


# Ranges as partners write them, and any other: one grade, the edges (GRADE_MIN, GRADE_MAX).
grade_ranges = st.sampled_from(((6, 8), (9, 12), (6, 12), (GRADE_MIN, 5), (10, 10))) | any_range()


@dataclass
class PartnerPlan:
    vetted: bool
    status: str


@dataclass
class ListingPlan:
    partner: int  # index into the partners
    status: str
    kind: str
    audience: str
    grades: tuple[int, int]
    schools: frozenset[int]  # indexes into the schools; empty: citywide
    deadline: int | None
    area: int | None
    modality: str


partner_plans = st.builds(
    PartnerPlan,
    vetted=st.sampled_from((True, True, True, False)),
    status=st.sampled_from(("active", "active", "active", "active", "inactive", "pending")),
)
school_sets = st.frozensets(st.integers(0, SCHOOLS - 1), max_size=SCHOOLS)


def listing_plans(partners):
    return st.builds(
        ListingPlan,
        partner=st.integers(0, partners - 1),
        status=st.sampled_from(STATUSES),
        kind=st.sampled_from(KINDS),
        audience=st.sampled_from(("students", "students", "students", "families")),
        grades=grade_ranges,
        schools=school_sets,
        deadline=st.sampled_from(DEADLINES),
        area=st.sampled_from((None,) + AREAS),
        modality=st.sampled_from(MODALITIES),
    )


# An edit made after the index was built, through the ORM, as the site makes it.
edits = st.one_of(
    st.tuples(st.just("grades"), st.integers(0, 99), grade_ranges),
    st.tuples(st.just("schools"), st.integers(0, 99), school_sets),
    st.tuples(st.just("status"), st.integers(0, 99), st.sampled_from(STATUSES)),
    st.tuples(st.just("deadline"), st.integers(0, 99), st.sampled_from(DEADLINES)),
    st.tuples(st.just("partner"), st.integers(0, 99), st.sampled_from(("active", "inactive"))),
)


def mostly_none(*values, nones=1):
    return st.sampled_from((None,) * nones + tuple(values))


# Combinations of filters, a grade in most: the page's grades (6-12) and any other.
filters = st.builds(
    Filters,
    grade=mostly_none(*range(GRADE_MIN, GRADE_MAX + 1), *STUDENT_GRADES),
    school=mostly_none(*range(SCHOOLS + 1), nones=2),  # an index: SCHOOLS is the school no listing names
    kind=mostly_none(*KINDS, nones=3),
    area=mostly_none(*AREAS, nones=4),
    modality=mostly_none(*MODALITIES, nones=4),
    open_only=st.sampled_from((False, False, True)),
    page=st.sampled_from((1, 1, 2, 3, 5)),
)
# And each grade alone, each school alone, whatever was drawn.
SWEEP = [Filters(grade=grade) for grade in range(GRADE_MIN, GRADE_MAX + 1)] + [
    Filters(school=school) for school in range(SCHOOLS + 1)
]


@st.composite
def directories(draw):
    partners = draw(st.lists(partner_plans, min_size=1, max_size=4))
    listings = draw(st.lists(listing_plans(len(partners)), min_size=4, max_size=18))
    return partners, listings, draw(st.lists(edits, max_size=3)), draw(st.lists(filters, min_size=3, max_size=8))


def day(offset, today):
    return None if offset is None else today + timedelta(days=offset)


def build(partners, listings, schools, today):
    """The directory, written without the outbox and then indexed whole, as the seed does."""
    made_partners, made = [], []
    with sync.bulk(db.session):
        for plan in partners:
            n = next(_numbers)
            partner = Partner(name=f"Prop partner {n}", slug=f"prop-partner-{n}", kind="nonprofit", status=plan.status)
            db.session.add(partner)
            db.session.commit()
            if plan.vetted:
                give_current_vetting(partner, today)
            made_partners.append(partner)
        for plan in listings:
            n = next(_numbers)
            opp = Opportunity(
                title=f"Prop listing {n}",
                slug=f"prop-listing-{n}",
                summary="A listing.",
                partner=made_partners[plan.partner],
                status=plan.status,
                kind=plan.kind,
                audience=plan.audience,
                grade_min=plan.grades[0],
                grade_max=plan.grades[1],
                deadline=day(plan.deadline, today),
                community_area_number=plan.area,
                modality=plan.modality,
            )
            opp.schools = [schools[i] for i in sorted(plan.schools)]
            db.session.add(opp)
            made.append(opp)
        db.session.commit()
    outbox.rebuild()
    return made_partners, made


def edit(change, partners, made, schools, today):
    """One edit through the ORM: the session events write the outbox, which writes the index."""
    what, which, value = change
    if what == "partner":
        partners[which % len(partners)].status = value
    elif made:
        opp = made[which % len(made)]
        if what == "grades":
            opp.grade_min, opp.grade_max = value
        elif what == "schools":
            opp.schools = [schools[i] for i in sorted(value)]
        elif what == "status":
            opp.status = value
        else:
            opp.deadline = day(value, today)
    db.session.commit()


def start_afresh():
    """An empty directory and the schools to offer listings at. Nothing of the example before
    stays in the session (SQLite reuses the ids of deleted rows)."""
    db.session.rollback()
    db.session.expunge_all()
    clean_tables()
    listing.forget_kept()
    return list(db.session.scalars(select(School).order_by(School.id).limit(SCHOOLS + 1)))


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(directory=directories())
def test_the_index_answers_every_list_filter_as_the_database_does(app, directory):
    partner_plans_, listing_plans_, changes, asked = directory
    today = date.today()
    schools = start_afresh()
    partners, made = build(partner_plans_, listing_plans_, schools, today)
    for change in changes:
        edit(change, partners, made, schools, today)
    for drawn in SWEEP + asked:
        for page in dict.fromkeys((drawn.page, 2)):  # the page drawn, and always a second one
            chosen = replace(drawn, page=page, school=None if drawn.school is None else schools[drawn.school].id)
            check_page(chosen, today)


def check_page(chosen, today):
    """The index's page for ``chosen`` is the database's: the same ids in the same order, the
    same total and the same page number (past the end: the last page)."""
    assert listing.index_can_answer(chosen)
    from_index = listing.page_from_index(chosen, PER_PAGE, today)
    assert from_index is not None, chosen
    from_sql = queries.page_of(queries.filtered_opportunities(chosen, today), chosen.page, PER_PAGE)
    assert [opp.id for opp in from_index.items] == [opp.id for opp in from_sql.items], chosen
    assert from_index.total == from_sql.total, chosen
    if from_sql.total:
        assert from_index.page == from_sql.page, chosen
