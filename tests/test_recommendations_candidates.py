"""Recommendations from the database (SQLite and PostgreSQL), on the real schools."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from cpspartners.extensions import db
from cpspartners.geo import miles_between
from cpspartners.models import (
    Dismissal,
    Opportunity,
    Partner,
    SavedOpportunity,
    School,
    StudentProfile,
    TeacherProfile,
    User,
)
from cpspartners.recommendations import candidates

TODAY = date.today()


def make_user(role="student", school=None, **values):
    n = make_user.counter = getattr(make_user, "counter", 0) + 1
    if role == "student":
        values.setdefault("grade", 10)
    user = User(email=f"user{n}@example.org", role=role, school_id=school.id if school else None, **values)
    db.session.add(user)
    db.session.commit()
    return user


def ranked(user, **kwargs):
    return candidates.recommendations_for(user, on=TODAY, **kwargs)


def codes(recommendation):
    return [code for code, _params in recommendation.reasons]


@pytest.fixture
def fresh(app):
    """Check the directory for changes on every call, as a long-running process would in time."""
    app.config["RECOMMEND_CACHE_SECONDS"] = 0
    return app


def test_offered_at_your_school_first_for_a_curie_student(fresh, curie, make_opportunity):
    far = make_opportunity(latitude=41.9470, longitude=-87.6880)  # near Lane Tech, ~10 miles away
    at_curie = make_opportunity(schools=[curie], latitude=41.9470, longitude=-87.6880)
    student = make_user(school=curie)
    found = ranked(student)
    assert [r.offer_id for r in found] == [at_curie.id, far.id]
    assert found[0].reasons[0] == ("at_your_school", {"school": curie.name})


def test_distance_reason_in_real_miles_from_the_school(fresh, curie, make_opportunity):
    lat, lon = curie.latitude + 0.012, curie.longitude - 0.010
    near = make_opportunity(latitude=lat, longitude=lon)
    found = ranked(make_user(school=curie))
    miles = round(miles_between(curie.latitude, curie.longitude, lat, lon), 1)
    assert 0.5 < miles < 1.5
    assert found[0].offer_id == near.id
    assert ("distance", {"miles": miles, "school": curie.name}) in found[0].reasons


def test_only_public_open_offers_that_fit_the_grade(fresh, curie, make_opportunity, make_partner):
    good = make_opportunity()
    make_opportunity(status="draft")
    make_opportunity(partner=make_partner(status="inactive"))
    make_opportunity(grade_min=6, grade_max=8)
    make_opportunity(deadline=TODAY - timedelta(days=1))
    make_opportunity(capacity=0)
    other_school = db.session.scalars(select(School).where(School.id != curie.id)).first()
    make_opportunity(schools=[other_school])
    assert [r.offer_id for r in ranked(make_user(school=curie, grade=10))] == [good.id]


def test_recommended_offers_are_exactly_those_open_for_applications(fresh, curie, make_opportunity, make_partner):
    """``ranking`` restates "deadline not passed, not full" over frozen records (it stays free of
    the app); this holds it to ``Opportunity.open_for_applications``, the rule itself."""
    for values in (
        {},
        {"deadline": None},
        {"deadline": TODAY},
        {"deadline": TODAY - timedelta(days=1)},
        {"capacity": 3, "seats_taken": 2},
        {"capacity": 3, "seats_taken": 3},
        {"status": "archived"},
        {"partner": make_partner(status="inactive")},
    ):
        make_opportunity(**values)
    recommended = {r.offer_id for r in ranked(make_user(school=curie, grade=10), limit=50)}
    open_now = set(db.session.scalars(select(Opportunity.id).where(Opportunity.open_for_applications(TODAY))))
    assert recommended == open_now and len(open_now) == 4


def test_profile_interests_dismissals_and_popularity(fresh, curie, make_opportunity, make_partner):
    welding = make_opportunity(tags=["welding"], clusters=["010100"])
    dismissed = make_opportunity(tags=["film"], clusters=["020100"], kind="internship")
    same_kind = make_opportunity(tags=["film"], clusters=["020100"], kind="internship")
    other = make_opportunity(tags=["film"], clusters=["020100"], kind="workshop")
    student = make_user(school=curie)
    db.session.add(
        StudentProfile(
            user_id=student.id,
            tags="Welding, film",
            clusters="010100",
            languages="en,es",
            modality="either",
            needs_paid=True,
        )
    )
    db.session.add(Dismissal(user_id=student.id, opportunity_id=dismissed.id))
    db.session.commit()
    found = ranked(student)
    assert [r.offer_id for r in found] == [welding.id, other.id, same_kind.id]
    assert ("interest", {"interest": "welding"}) in found[0].reasons
    assert ("cluster", {"cluster": "010100"}) in found[0].reasons

    # Saved counts are popularity: ten saves lift an offer above its twin and earn a reason.
    fans = [make_user(school=curie) for _ in range(10)]
    db.session.add_all(SavedOpportunity(user_id=fan.id, opportunity_id=same_kind.id) for fan in fans)
    db.session.commit()
    candidates.candidate_index(force=True)
    again = ranked(student)
    popular = next(r for r in again if r.offer_id == same_kind.id)
    assert ("popular", {"saves": 10}) in popular.reasons
    assert popular.score > next(r.score for r in found if r.offer_id == same_kind.id)


def test_teacher_gets_classroom_speakers_for_their_bands(fresh, curie, make_opportunity):
    speaker = make_opportunity(kind="guest_speaker", audience="classrooms", grade_min=9, grade_max=12)
    make_opportunity(kind="guest_speaker", audience="classrooms", grade_min=0, grade_max=5)
    teacher = make_user(role="teacher", school=curie)
    db.session.add(TeacherProfile(user_id=teacher.id, subjects="Chemistry, coding", grade_bands="9-12,bogus"))
    db.session.commit()
    found = ranked(teacher)
    assert found[0].offer_id == speaker.id
    assert "for_classes" in codes(found[0])
    assert len(found) == 1
    assert ("interest", {"interest": "coding"}) in found[0].reasons  # the fixture's tag


def test_staff_get_no_recommendations(app, make_partner):
    staff = make_user(role="partner_staff", partner_id=make_partner().id)
    with pytest.raises(ValueError):
        candidates.seeker_for(staff)


def test_index_is_cached_and_rebuilt_when_the_directory_changes(app, curie, make_opportunity):
    app.config["RECOMMEND_CACHE_SECONDS"] = 3600
    first = make_opportunity()
    index = candidates.candidate_index()
    assert candidates.candidate_index() is index  # within the recheck interval: no queries at all
    make_opportunity()
    assert candidates.candidate_index() is index
    app.config["RECOMMEND_CACHE_SECONDS"] = 0
    assert candidates.candidate_index() is not index  # a new listing: rebuilt
    rebuilt = candidates.candidate_index()
    assert candidates.candidate_index() is rebuilt  # nothing changed: kept
    first.tags = ["welding"]
    db.session.commit()
    assert "welding" in candidates.candidate_index().by_id[first.id].tags
    partner = db.session.get(Partner, first.partner_id)
    partner.status = "inactive"
    db.session.commit()
    assert first.id not in candidates.candidate_index().by_id


def test_offers_load_with_one_query_per_table(app, curie, make_opportunity):
    def count_queries(n):
        for _ in range(n):
            make_opportunity(schools=[curie], tags=["welding", "film"], clusters=["010100", "020100"])
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            offers = candidates.load_offers()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), offers

    few, offers = count_queries(2)
    many, offers = count_queries(25)
    assert few == many == 5
    assert len(offers) == 27
    assert all(o.schools == {curie.id} and o.tags == {"welding", "film"} for o in offers)


def test_each_pair_is_saved_or_dismissed_once(app, curie, make_opportunity):
    opp = make_opportunity()
    student = make_user(school=curie)
    for model in (Dismissal, SavedOpportunity):
        db.session.add(model(user_id=student.id, opportunity_id=opp.id))
        db.session.commit()
        db.session.add(model(user_id=student.id, opportunity_id=opp.id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_student_profile_modality_is_checked(app, curie):
    student = make_user(school=curie)
    db.session.add(StudentProfile(user_id=student.id, modality="teleport"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_full_opportunity_drops_out_once_applications_take_its_seats(fresh, people, make_opportunity, curie):
    """Seats taken by applications (a conditional UPDATE) reach the cached candidate index."""
    from cpspartners.services import applications

    program = make_opportunity(
        partner=people["partner"], title="One seat", capacity=1, grade_min=9, grade_max=12, schools=[curie]
    )
    assert program.id in [r.offer_id for r in ranked(people["student2"], limit=50)]
    applications.apply(people["student"], program)
    assert program.id not in [r.offer_id for r in ranked(people["student2"], limit=50)]
