"""Only eligible students apply, on every path (issue 12, point 3); closed listings come after open
ones and say so; search shows only what the database shows (point 7).

One rule: ``Opportunity.admits`` (SQL and rows) and ``services.applications.refusal`` (its words).
"""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from cpspartners.extensions import db
from cpspartners.models import Application, Opportunity, School, queries
from cpspartners.recommendations import candidates
from cpspartners.services import applications
from cpspartners.services.errors import RuleBroken
from tests.conftest import post, sign_in_as

TODAY = date.today()
LONG_AGO = TODAY - timedelta(days=120)


def count_applications():
    return db.session.scalar(select(func.count()).select_from(Application))


@pytest.fixture
def others(app, curie):
    """Three CPS schools that are not Curie."""
    return db.session.scalars(select(School).where(School.id != curie.id).order_by(School.id).limit(3)).all()


@pytest.fixture
def elsewhere(make_opportunity, others, curie):
    """Offered only at three named schools, none of them Curie, yet placed right by Curie."""
    return make_opportunity(
        title="Lab residency",
        schools=others,
        latitude=curie.latitude + 0.0005,
        longitude=curie.longitude,
        grade_min=9,
        grade_max=12,
    )


@pytest.fixture
def student(make_user):
    """A tenth grader at Curie."""
    return make_user("student", grade=10)


def _refused_cases(make_opportunity, elsewhere):
    return {
        "other school": (elsewhere, "only for students at", "solo para estudiantes de"),
        "grade": (make_opportunity(grade_min=11, grade_max=12), "grades 11 to 12", "grados 11 a 12"),
        "deadline passed": (make_opportunity(deadline=TODAY - timedelta(days=1)), "deadline", "fecha límite"),
        "unpublished": (make_opportunity(status="archived"), "not open", "no está abierta"),
    }


@pytest.mark.parametrize("case", ["other school", "grade", "deadline passed", "unpublished"])
@pytest.mark.parametrize("kind", ["apply", "interest"])
def test_the_service_refuses_ineligible_students_in_both_languages(
    app, student, make_opportunity, elsewhere, case, kind
):
    opp, english, spanish = _refused_cases(make_opportunity, elsewhere)[case]
    with pytest.raises(RuleBroken) as refused:
        applications.apply(student, opp, kind=kind)
    assert english in str(refused.value) and refused.value.status == 400
    with app.test_request_context(), force_locale("es"):
        assert spanish in str(refused.value)
    assert count_applications() == 0


@pytest.mark.parametrize("case", ["other school", "grade", "deadline passed"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_apply_form_refuses_with_a_4xx_and_says_why(app, student, make_opportunity, elsewhere, case, lang):
    opp, english, spanish = _refused_cases(make_opportunity, elsewhere)[case]
    client = sign_in_as(app.test_client(), student)
    client.set_cookie("lang", lang)
    response = post(client, f"/applications/apply/{opp.slug}", {"kind": "apply"})
    assert response.status_code == 400
    assert (english if lang == "en" else spanish) in response.get_data(as_text=True)
    assert count_applications() == 0


def test_the_apply_form_on_an_unpublished_listing_is_not_found(app, student, make_opportunity):
    opp = make_opportunity(status="archived")
    client = sign_in_as(app.test_client(), student)
    assert post(client, f"/applications/apply/{opp.slug}", {"kind": "interest"}).status_code == 404
    assert count_applications() == 0


def test_students_of_a_named_school_may_apply(make_user, elsewhere, others):
    there = make_user("student", school_id=others[1].id, grade=9)
    assert applications.apply(there, elsewhere).state == "submitted"


def test_the_words_and_the_sql_condition_agree(make_user, make_opportunity, elsewhere, others, curie):
    """``refusal`` is None exactly for the listings ``queries.admitting`` selects, student by student."""
    listings = [
        elsewhere,
        make_opportunity(),
        make_opportunity(grade_min=6, grade_max=8),
        make_opportunity(deadline=None),
        make_opportunity(deadline=TODAY - timedelta(days=1)),
        make_opportunity(status="draft"),
        make_opportunity(schools=[curie], capacity=0),
    ]
    students = [
        make_user("student", school_id=school.id, grade=grade) for school in (curie, others[0]) for grade in (7, 10)
    ]
    ids = [opp.id for opp in listings]
    for person in students:
        admitted = set(
            db.session.scalars(select(Opportunity.id).where(Opportunity.id.in_(ids), queries.admitting(person, TODAY)))
        )
        in_words = {opp.id for opp in listings if applications.refusal(person, opp, TODAY) is None}
        assert admitted == in_words
        assert in_words == {opp.id for opp in listings if opp.admits(person.grade, person.school_id, TODAY)}
    assert admitted  # some listing admits someone: the comparison is not empty against empty


# --- What lists offer a student ---------------------------------------------------------------------


def test_nearest_school_search_marks_a_listing_offered_only_at_other_schools(
    client, app, make_user, elsewhere, curie, others
):
    html = client.get("/search", query_string={"sort": "nearest", "school": curie.id}).get_data(as_text=True)
    card = html[html.index("Lab residency") :]
    assert "You cannot apply" in card[:2000] and "only for students at" in card[:2000]
    # A Curie student sees the same mark on any search; a student of a named school does not.
    curie_student = sign_in_as(app.test_client(), make_user("student", grade=10))
    html = curie_student.get("/search", query_string={"q": "lab"}).get_data(as_text=True)
    assert "only for students at" in html
    there = sign_in_as(app.test_client(), make_user("student", school_id=others[0].id, grade=10))
    html = there.get("/search", query_string={"sort": "nearest", "school": others[0].id}).get_data(as_text=True)
    assert "Lab residency" in html and "You cannot apply" not in html


def test_a_school_page_offers_nearby_only_what_its_students_may_take(client, elsewhere, curie, make_opportunity):
    make_opportunity(title="Citywide studio", latitude=curie.latitude, longitude=curie.longitude + 0.0005)
    html = client.get(f"/schools/{curie.id}").get_data(as_text=True)
    assert "Citywide studio" in html and "Lab residency" not in html


def test_recommendations_never_offer_a_listing_for_other_schools(app, student, make_user, elsewhere, others):
    assert elsewhere.id not in {r.offer_id for r in candidates.recommendations_for(student)}
    there = make_user("student", school_id=others[2].id, grade=10)
    assert elsewhere.id in {r.offer_id for r in candidates.recommendations_for(there)}


def test_recommendations_recheck_the_database_when_their_cache_is_stale(app, student, make_opportunity, others):
    opp = make_opportunity(title="Citywide at first", grade_min=9, grade_max=12)
    app.config["RECOMMEND_CACHE_SECONDS"] = 3600
    assert opp.id in {r.offer_id for r in candidates.recommendations_for(student)}  # cached from here on
    opp.schools = others
    db.session.commit()
    assert opp.id not in {r.offer_id for r in candidates.recommendations_for(student)}


# --- Closed listings: after open ones, marked, no apply control --------------------------------------


@pytest.fixture
def open_and_closed(make_opportunity, curie):
    """An open listing that ranks lower on every sort than a closed one, if closedness were ignored."""
    opened = make_opportunity(
        title="Weekend club",
        summary="Robotics for beginners.",
        deadline=TODAY + timedelta(days=60),
        latitude=curie.latitude + 0.02,
        longitude=curie.longitude,
    )
    closed = make_opportunity(
        title="Robotics robotics camp",
        summary="Robotics all summer.",
        deadline=LONG_AGO,
        latitude=curie.latitude,
        longitude=curie.longitude,
    )
    return opened, closed


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"q": "robotics"},
        {"q": "robotics", "sort": "relevance"},
        {"q": "robotics", "sort": "deadline"},
        {"q": "robotics", "sort": "newest"},
        {"q": "robotics", "sort": "nearest", "school": "CURIE"},
        {"q": '"robotics camp" OR club'},
    ],
)
def test_search_shows_open_listings_before_closed_ones_on_every_sort(client, open_and_closed, curie, args):
    args = {k: str(curie.id) if v == "CURIE" else v for k, v in args.items()}
    html = client.get("/search", query_string=args).get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")
    assert html.index("Weekend club") < html.index("Robotics robotics camp")
    closed_card = html[html.index("Robotics robotics camp") :]
    assert "badge-closed" in closed_card[:1500] and "Closed" in closed_card[:1500]
    assert 'action="/applications/apply' not in html


def test_directory_lists_open_listings_first_and_marks_closed_ones(client, es_client, open_and_closed):
    html = client.get("/opportunities").get_data(as_text=True)
    assert html.index("Weekend club") < html.index("Robotics robotics camp")
    assert html.count("badge-closed") == 1 and 'action="/applications/apply' not in html
    assert "Cerrada" in es_client.get("/opportunities").get_data(as_text=True)


def test_a_closed_listing_page_says_it_is_closed(app, client, es_client, student, open_and_closed):
    _opened, closed = open_and_closed
    html = client.get(f"/opportunities/{closed.slug}").get_data(as_text=True)
    assert "This opportunity is closed" in html and "Sign in to apply" not in html
    assert "Esta oportunidad está cerrada" in es_client.get(f"/opportunities/{closed.slug}").get_data(as_text=True)
    signed_in = sign_in_as(app.test_client(), student).get(f"/opportunities/{closed.slug}").get_data(as_text=True)
    assert "This opportunity is closed" in signed_in and 'action="/applications/apply' not in signed_in


# --- Search shows only what the database shows -------------------------------------------------------


def test_a_lagging_index_never_shows_an_archived_listing(client, make_opportunity):
    kept = make_opportunity(title="Welding basics", summary="Sparks fly.")
    gone = make_opportunity(title="Welding secrets", summary="Leaked snippet text.")
    # Archived in the database only, as when a worker dies between the commit and the index write:
    # a Core UPDATE skips the session events that owe the index its change (the outbox).
    db.session.execute(update(Opportunity.__table__).where(Opportunity.id == gone.id).values(status="archived"))
    db.session.commit()
    html = client.get("/search", query_string={"q": "welding"}).get_data(as_text=True)
    assert "secrets" not in html and "Leaked snippet" not in html
    assert "basics" in html and "1 opportunity for" in html
    assert kept.id != gone.id
