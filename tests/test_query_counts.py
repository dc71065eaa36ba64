"""No page's SQL grows with the rows it shows (no N+1): each page is counted with N rows, then 3N.

Every statement sent to the database during one request is counted (SQLAlchemy's
``before_cursor_execute``). A relationship loaded row by row shows up as a count that grows;
one loaded with ``selectinload`` or a join stays the same however many rows the page lists.
"""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from cpspartners.extensions import db
from cpspartners.models import Application, Notification, SavedOpportunity, School
from tests.conftest import sign_in_as

N = 3


@contextmanager
def counting():
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


# The access and disclosure logs (FERPA 99.32) hold one row per student a page showed: that many
# rows must be written. PostgreSQL gets them in one batched INSERT; SQLite's driver is sent one
# INSERT ... RETURNING per row. Those inserts are left out of the count; every read stays in.
LOG_INSERTS = ("INSERT INTO audit_entry", "INSERT INTO disclosure")


def count_of(client, path):
    """Statements for one GET of ``path`` (after a first GET, so one-off caches are warm)."""
    assert client.get(path).status_code == 200, path
    with counting() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    statements = [sql for sql in statements if not sql.startswith(LOG_INSERTS)]
    return len(statements), statements


@pytest.fixture
def world(app, make_opportunity, make_partner, make_user, curie):
    """A growing directory: ``grow(n)`` adds ``n`` public listings, each by its own partner, at
    Curie, in one area, with a student's application, save and notification per listing."""
    app.config["PAGE_SIZE"] = 20  # 3N rows fit on one page: the page shows every row made
    app.config["PAGE_CACHE_SECONDS"] = 0  # each GET builds its page: a kept one sends 1 statement
    app.config["RECOMMEND_CACHE_SECONDS"] = 0  # "For you" sees the rows just made, not a kept list
    other_school = db.session.scalars(db.select(School).where(School.id != curie.id)).first()
    student = make_user("student", school_id=curie.id, grade=10)
    staff = make_user("partner_staff")
    specialist = make_user("specialist")
    state = {"made": 0}

    def grow(n):
        for _ in range(n):
            state["made"] += 1
            mine = state["made"] % 2 == 0  # half by the staff member's partner, half by others
            partner = staff.partner if mine else make_partner(community_area_number=curie.community_area_number)
            opp = make_opportunity(
                partner=partner,
                title=f"Robotics lab {state['made']}",
                schools=[curie, other_school],
                community_area_number=curie.community_area_number,
                latitude=curie.latitude,
                longitude=curie.longitude,
                modality="in_person",
                deadline=date.today() + timedelta(days=10 + state["made"]),
            )
            db.session.add(Application(opportunity=opp, student=student, answer="I like robots."))
            db.session.add(SavedOpportunity(user_id=student.id, opportunity_id=opp.id))
            db.session.add(Notification(user_id=student.id, kind="application_accepted", params={"title": opp.title}))
        db.session.commit()

    return {"grow": grow, "student": student, "staff": staff, "specialist": specialist, "school": curie}


PUBLIC = [
    "/",
    "/opportunities",
    "/opportunities?school={school}",
    "/opportunities?area={area}",
    "/partners",
    "/partners/{partner}",
    "/schools/{school}",
    "/areas",
    "/areas/{area}",
    "/search?q=robotics",
    "/search?q=robotics&sort=deadline",
]
SIGNED_IN = {
    # A student's cards also say whether they may apply (grade, school): read for every row.
    "student": PUBLIC + ["/for-you", "/for-you/saved", "/applications/mine", "/notifications"],
    "staff": ["/partner", "/applications/received"],
    "specialist": ["/review", "/review/partners", "/review/needs-verification"],
}


def paths(world, templates):
    staff_partner = world["staff"].partner
    values = {
        "school": world["school"].id,
        "area": world["school"].community_area_number,
        "partner": staff_partner.slug,
    }
    return [template.format(**values) for template in templates]


def counts_for(client, path_list):
    return {path: count_of(client, path) for path in path_list}


def assert_constant(small, large):
    grown = {
        path: (small[path][0], large[path][0])
        for path in small
        if large[path][0] > small[path][0]  # fewer is fine: a cache filled since
    }
    details = {path: [sql[:100] for sql in large[path][1][-3:]] for path in grown}
    assert not grown, f"queries grew with rows ({N} -> {3 * N}): {grown}; last statements: {details}"


def test_public_pages_do_not_grow_with_rows(app, world):
    world["grow"](N)
    client = app.test_client()
    small = counts_for(client, paths(world, PUBLIC))
    world["grow"](2 * N)
    large = counts_for(client, paths(world, PUBLIC))
    assert_constant(small, large)


@pytest.mark.parametrize("who", sorted(SIGNED_IN))
def test_signed_in_pages_do_not_grow_with_rows(app, world, who):
    world["grow"](N)
    client = sign_in_as(app.test_client(), world[who])
    small = counts_for(client, paths(world, SIGNED_IN[who]))
    world["grow"](2 * N)
    large = counts_for(client, paths(world, SIGNED_IN[who]))
    assert_constant(small, large)


def test_for_you_reads_each_thing_once(app, make_user, make_opportunity, curie):
    """A student who has no profile yet: the session does not remember a row it did not find,
    so every look for the profile was a query of its own (three on this page, until it was
    looked up once and handed on)."""
    make_opportunity(slug="for-you-1", schools=[curie])
    student = make_user("student")
    client = sign_in_as(app.test_client(), student)
    _count, statements = count_of(client, "/for-you")
    repeated = sorted({sql[:80] for sql in statements if statements.count(sql) > 1})
    assert not repeated, repeated
    assert sum("FROM student_profile" in sql for sql in statements) == 1


def test_the_counter_sees_a_page_that_grows(app, world):
    """The check itself can fail: loading each listing's partner one by one on purpose grows."""
    from sqlalchemy.orm import lazyload

    from cpspartners.models import Opportunity

    def per_row():
        db.session.expire_all()
        stmt = db.select(Opportunity).options(lazyload(Opportunity.partner))
        with counting() as statements:
            [opp.partner.name for opp in db.session.scalars(stmt).all()]
        return len(statements)

    world["grow"](N)
    small = per_row()
    world["grow"](2 * N)
    assert per_row() > small


def test_a_partners_received_list_does_not_grow_with_distinct_students(app, make_opportunity, make_user):
    """Each application by its own student, half of them with consent on record (details shown),
    half without: the consent rule is asked for the whole page at once (``rules.prime``)."""
    from tests.conftest import consent_on_record

    app.config["PAGE_SIZE"] = 20
    staff = make_user("partner_staff")
    opp = make_opportunity(partner=staff.partner, title="Robotics lab")
    made = {"n": 0}

    def grow(n):
        for _ in range(n):
            made["n"] += 1
            student = make_user("student", grade=10, name="Kid%d Doe" % made["n"])
            db.session.add(Application(opportunity=opp, student=student, answer="I like robots."))
            db.session.commit()
            if made["n"] % 2:
                consent_on_record(student, staff.partner)

    client = sign_in_as(app.test_client(), staff)
    grow(N)
    small = counts_for(client, ["/applications/received"])
    grow(2 * N)
    large = counts_for(client, ["/applications/received"])
    page = client.get("/applications/received").get_data(as_text=True)
    assert page.count(">Kid") == (3 * N + 1) // 2  # consent on record: first name shown, the rest not
    assert_constant(small, large)


def fresh_count_of(client, path):
    """``count_of`` as a new worker request sees it: nothing already in the session's identity map
    (the tests' session outlives a request, so a row loaded by the first GET would hide a load
    per row on the second)."""
    assert client.get(path).status_code == 200, path
    db.session.expire_all()
    with counting() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements), statements


# A row of these lists names its community area. With the area loaded one by one, a page of 50
# schools from 30 areas sent 33 statements (40 round trips on PostgreSQL).
AREA_LISTS = ["/schools", "/places", "/partners", "/search?q=library"]
AT_MOST = 8  # the most statements any of them needs whatever rows it shows (a search: 4)


def test_lists_that_name_areas_load_them_with_the_rows(app, make_partner):
    from cpspartners.models import CommunityArea, Place
    from cpspartners.models.places import PLACE_SOURCES

    areas = db.session.scalars(db.select(CommunityArea.number).order_by(CommunityArea.number)).all()[:12]
    assert len(areas) == 12
    for n, number in enumerate(areas):
        make_partner(name=f"Library friends {n}", community_area_number=number)
        db.session.add(
            Place(
                source=sorted(PLACE_SOURCES)[0],
                source_key=str(n),
                kind="library",
                name=f"Library {n}",
                latitude=41.88,
                longitude=-87.63,
                community_area_number=number,
            )
        )
    db.session.commit()
    app.config["PAGE_CACHE_SECONDS"] = 0
    client = app.test_client()
    counts = {path: fresh_count_of(client, path) for path in AREA_LISTS}
    page = client.get("/places").get_data(as_text=True)
    assert all(f"Library {n}<" in page for n in range(10))  # the page lists them, with their areas
    too_many = {path: [sql[:80] for sql in statements] for path, (n, statements) in counts.items() if n > AT_MOST}
    assert not too_many, too_many


def test_the_fresh_counter_sees_areas_loaded_one_by_one(app):
    """The bound above can fail: the schools list with its areas loaded lazily goes over it."""
    from sqlalchemy.orm import lazyload

    from cpspartners.models import School

    db.session.expire_all()
    stmt = db.select(School).order_by(School.long_name).limit(50).options(lazyload(School.community_area))
    with counting() as statements:
        [school.community_area.name for school in db.session.scalars(stmt).all()]
    assert len(statements) > AT_MOST
