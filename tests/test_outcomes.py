"""Feedback surveys, scorecards, credentials and outcome reports."""

from datetime import date, timedelta

import pytest

from cpspartners.extensions import db
from cpspartners.models import Credential
from cpspartners.services import applications, feedback, outcomes, visit_requests
from cpspartners.services.errors import NotAllowed, RuleBroken
from tests.test_applications_visits import make_request

GOOD = {"relevance": 4, "engagement": 3, "organization": 4, "recommend": 4}


@pytest.fixture
def completed(people, make_opportunity):
    program = make_opportunity(partner=people["partner"], grade_min=9, grade_max=12, title="Welding camp")
    application = applications.apply(people["student"], program)
    applications.move(application, "accepted", people["staff"])
    applications.move(application, "completed", people["staff"], hours=12, today=date(2026, 3, 2))
    return application


def test_student_and_partner_answer_once_each(people, completed):
    assert feedback.pending(people["student"]) == [completed]
    assert feedback.pending(people["staff"]) == [completed]
    feedback.submit(people["student"], completed, GOOD, "Great!")
    assert feedback.pending(people["student"]) == []
    with pytest.raises(RuleBroken, match="already answered"):
        feedback.submit(people["student"], completed, GOOD)
    feedback.submit(people["staff"], completed, {**GOOD, "engagement": 1})
    card = feedback.scorecard(partner_id=people["partner"].id)
    assert card.responses == 2
    assert card.averages["engagement"] == 2.0
    assert card.would_recommend_share == 1.0


def test_outsiders_and_bad_ratings_are_refused(people, completed):
    with pytest.raises(NotAllowed):
        feedback.submit(people["student2"], completed, GOOD)
    with pytest.raises(NotAllowed):
        feedback.submit(people["other_staff"], completed, GOOD)
    for bad in ({**GOOD, "relevance": 5}, {**GOOD, "recommend": "4"}, {"relevance": 3}):
        with pytest.raises(RuleBroken, match="1 to 4"):
            feedback.submit(people["student"], completed, bad)


def test_no_feedback_before_completion(people, make_opportunity):
    application = applications.apply(people["student"], make_opportunity(partner=people["partner"], grade_min=9))
    with pytest.raises(RuleBroken, match="once the experience is completed"):
        feedback.submit(people["student"], application, GOOD)


def test_teacher_feedback_after_a_visit(people):
    req = make_request(people)
    visit_requests.accept(people["staff"], req, req.date_1)
    after = req.date_1 + timedelta(days=1)
    visit_requests.confirm(people["teacher"], req, True, after)
    visit_requests.confirm(people["staff"], req, True, after)
    assert feedback.pending(people["teacher"]) == [req]
    feedback.submit(people["teacher"], req, GOOD)
    assert feedback.scorecard(partner_id=people["partner"].id).responses == 1


def test_only_specialists_read_individual_responses(people, completed):
    feedback.submit(people["student"], completed, GOOD, "Loved it")
    with pytest.raises(NotAllowed):
        feedback.responses_visible_to(people["staff"])
    rows = db.session.scalars(feedback.responses_visible_to(people["specialist"])).all()
    assert [r.comment for r in rows] == ["Loved it"]


def test_school_year_parsing():
    assert outcomes.school_year("2025-26") == (date(2025, 8, 1), date(2026, 7, 31))
    for bad in ("2025", "2025-27", "abcd-ef", "2025/26", ""):
        with pytest.raises(RuleBroken):
            outcomes.school_year(bad)
    assert outcomes.current_school_year(date(2026, 11, 23)) == "2026-27"
    assert outcomes.current_school_year(date(2026, 7, 1)) == "2025-26"


def test_outcome_report_by_school_network_and_area(people, completed, curie):
    credential = Credential(
        student_id=people["student2"].id,
        kind="certification",
        name="OSHA 10",
        earned_on=date(2026, 5, 1),
        evidence="Card number 123",
    )
    db.session.add(credential)
    db.session.commit()
    rows = {r.key: r for r in outcomes.report("school", "2025-26")}
    assert rows[curie.id].students_reached == 1
    assert rows[curie.id].students_with_experience_or_credential == 1  # credential not confirmed yet
    with pytest.raises(NotAllowed):
        outcomes.confirm_credential(people["staff"], credential, True)
    outcomes.confirm_credential(people["specialist"], credential, True)
    rows = {r.key: r for r in outcomes.report("school", "2025-26")}
    curie_row = rows[curie.id]
    assert curie_row.students_with_experience_or_credential == 2
    assert curie_row.hours == 12.0
    assert curie_row.credentials["certification"] == 1
    assert curie_row.share == round(2 / curie.student_count, 4)
    by_area = {r.key: r for r in outcomes.report("area", "2025-26")}
    assert by_area[curie.community_area_number].students_reached == 1
    by_network = {r.key: r for r in outcomes.report("network", "2025-26")}
    assert by_network[curie.network].hours == 12.0
    assert all(r.students_reached == 0 for r in outcomes.report("school", "2024-25"))
    header, body = outcomes.csv_rows(outcomes.report("network", "2025-26"))
    assert header[0] == "group" and len(body) == len(by_network)


def test_unknown_group_is_refused():
    with pytest.raises(RuleBroken):
        outcomes.report("planet", "2025-26")


def test_hours_must_be_sensible(people, make_opportunity):
    application = applications.apply(people["student"], make_opportunity(partner=people["partner"], grade_min=9))
    applications.move(application, "accepted", people["staff"])
    with pytest.raises(RuleBroken, match="Hours"):
        applications.move(application, "completed", people["staff"], hours=99999)
    assert db.session.get(type(application), application.id).state == "accepted"
