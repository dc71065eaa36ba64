"""Applications and teachers' requests: every transition, every forbidden one, seats, notifications."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy.exc import IntegrityError

from cpspartners.calendars import feeds
from cpspartners.extensions import db
from cpspartners.models import Notification, Opportunity, User
from cpspartners.services import applications, visit_requests
from cpspartners.services.errors import NotAllowed, RuleBroken
from cpspartners.services.notify import text
from tests.conftest import PG_URL, consent_on_record

TODAY = date.today()


@pytest.fixture
def program(people, make_opportunity):
    return make_opportunity(
        partner=people["partner"], title="Robotics internship", capacity=2, grade_min=9, grade_max=12, kind="internship"
    )


def notes_for(user):
    return [n.kind for n in db.session.scalars(db.select(Notification).where(Notification.user_id == user.id))]


def test_apply_takes_a_seat_and_tells_the_partner(people, program):
    consent_on_record(people["student"], program.partner)  # so the partner may be told grade and school
    application = applications.apply(people["student"], program, "I love robots")
    assert application.state == "submitted" and application.holds_seat
    assert program.seats_taken == 1
    assert notes_for(people["staff"]) == ["application_new"]
    assert notes_for(people["other_staff"]) == []


def test_full_program_waitlists_then_promotes_when_a_seat_frees(people, program):
    first = applications.apply(people["student"], program)
    applications.apply(people["student2"], program)
    third = applications.apply(people["student3"], program)
    assert third.state == "waitlisted" and program.seats_taken == 2
    applications.move(first, "withdrawn", people["student"])
    db.session.refresh(third)
    assert third.state == "submitted" and third.holds_seat
    assert "application_seat_opened" in notes_for(people["student3"])
    assert db.session.get(Opportunity, program.id).seats_taken == 2


def test_hard_rules_for_applying(people, program, make_opportunity):
    with pytest.raises(RuleBroken, match="grades 9 to 12"):
        applications.apply(people["young"], program)
    closed = make_opportunity(partner=people["partner"], deadline=TODAY - timedelta(days=1))
    with pytest.raises(RuleBroken, match="deadline"):
        applications.apply(people["student"], closed)
    draft = make_opportunity(partner=people["partner"], status="draft")
    with pytest.raises(RuleBroken, match="not open"):
        applications.apply(people["student"], draft)
    with pytest.raises(NotAllowed):
        applications.apply(people["teacher"], program)
    applications.apply(people["student"], program)
    with pytest.raises(RuleBroken, match="already applied"):
        applications.apply(people["student"], program)


@pytest.mark.parametrize(
    "path",
    [
        ["accepted", "completed"],
        ["waitlisted", "accepted"],
        ["declined"],
        ["waitlisted", "declined"],
    ],
)
def test_partner_moves(people, program, path):
    application = applications.apply(people["student"], program)
    for state in path:
        applications.move(application, state, people["staff"])
    assert application.state == path[-1]
    assert notes_for(people["student"])[-1] == "application_" + path[-1]


def test_forbidden_moves(people, program):
    application = applications.apply(people["student"], program)
    with pytest.raises(RuleBroken):
        applications.move(application, "accepted", people["student"])  # a student cannot accept their own
    with pytest.raises(NotAllowed):
        applications.move(application, "accepted", people["other_staff"])  # another partner's staff
    with pytest.raises(NotAllowed):
        applications.move(application, "withdrawn", people["student2"])
    with pytest.raises(RuleBroken):
        applications.move(application, "withdrawn", people["staff"])  # the partner cannot withdraw for them
    with pytest.raises(RuleBroken):
        applications.move(application, "completed", people["staff"])  # not accepted yet
    applications.move(application, "declined", people["staff"])
    with pytest.raises(RuleBroken):
        applications.move(application, "accepted", people["staff"])  # declined is final
    assert application.state == "declined"


def test_accepting_a_waitlisted_student_needs_a_seat(people, program):
    applications.apply(people["student"], program)
    applications.apply(people["student2"], program)
    waiting = applications.apply(people["student3"], program)
    with pytest.raises(RuleBroken, match="No seats are left"):
        applications.move(waiting, "accepted", people["staff"])
    assert waiting.state == "waitlisted"


def test_partner_sees_no_contact_details(people, program):
    application = applications.apply(people["student"], program, "Because")
    shown = applications.for_partner_view(application)
    assert shown["first_name"] == "Ana" and shown["grade"] == 10 and shown["answer"] == "Because"
    assert "ana@example.org" not in str(shown) and "Reyes" not in str(shown)


def test_visibility_of_applications(people, program):
    applications.apply(people["student"], program)
    count = lambda user: len(db.session.scalars(applications.visible_to(user)).all())  # noqa: E731
    assert (count(people["student"]), count(people["student2"])) == (1, 0)
    assert (count(people["staff"]), count(people["other_staff"]), count(people["specialist"])) == (1, 0, 1)
    assert count(people["teacher"]) == 0


def test_notification_text_is_in_the_recipients_language(people, program):
    application = applications.apply(people["student"], program)
    applications.move(application, "accepted", people["staff"])
    note = db.session.scalars(db.select(Notification).where(Notification.user_id == people["student"].id)).first()
    assert "Robotics internship" in text(note)
    assert text(note, "en").startswith("You were accepted")
    assert text(note) != text(note, "en")  # Ana reads Spanish


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL and concurrent transactions")
def test_two_students_racing_for_the_last_seat_on_postgresql(app, people, make_opportunity):
    program = make_opportunity(partner=people["partner"], capacity=1, grade_min=9, grade_max=12)
    ids = (program.id, people["student"].id, people["student2"].id)
    barrier, states, errors = threading.Barrier(2), [], []

    def worker(student_id):
        with app.app_context():
            try:
                opportunity = db.session.get(Opportunity, ids[0])
                student = db.session.get(User, student_id)
                barrier.wait(5)
                states.append(applications.apply(student, opportunity).state)
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(sid,)) for sid in ids[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert sorted(states) == ["submitted", "waitlisted"]
    db.session.expire_all()
    assert db.session.get(Opportunity, ids[0]).seats_taken == 1


def test_database_refuses_overfilling(people, program):
    program.seats_taken = 3
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# Requests -------------------------------------------------------------------------------------


def make_request(people, **extra):
    values = {
        "topic": "Careers in robotics",
        "grade": 10,
        "class_size": 28,
        "dates": [TODAY + timedelta(days=10), TODAY + timedelta(days=12)],
    }
    values.update(extra)
    return visit_requests.create(people["teacher"], people["partner"], **values)


def test_request_accept_and_calendar(people):
    req = make_request(people)
    assert notes_for(people["staff"]) == ["request_new"]
    visit_requests.accept(people["staff"], req, req.date_2)
    assert req.state == "accepted" and req.visit_date == req.date_2
    assert notes_for(people["teacher"]) == ["request_accepted"]
    event = Calendar.from_ical(feeds.visit_calendar(req, "http://x/r/1")).walk("VEVENT")[0]
    assert event["DTSTART"].dt == req.date_2


def test_request_propose_then_teacher_accepts(people):
    req = make_request(people)
    other = TODAY + timedelta(days=20)
    visit_requests.propose(people["staff"], req, other)
    visit_requests.answer_proposal(people["teacher"], req, True)
    assert (req.state, req.visit_date) == ("accepted", other)


def test_request_forbidden_moves(people):
    req = make_request(people)
    with pytest.raises(NotAllowed):
        visit_requests.accept(people["other_staff"], req, req.date_1)  # another partner cannot see it
    with pytest.raises(NotAllowed):
        visit_requests.accept(people["teacher"], req, req.date_1)  # a teacher cannot accept their own
    with pytest.raises(RuleBroken, match="teacher's dates"):
        visit_requests.accept(people["staff"], req, TODAY + timedelta(days=99))
    with pytest.raises(RuleBroken):
        visit_requests.answer_proposal(people["teacher"], req, True)  # nothing proposed yet
    visit_requests.decline(people["staff"], req, "Fully booked")
    with pytest.raises(RuleBroken):
        visit_requests.accept(people["staff"], req, req.date_1)


def test_request_validation(people):
    with pytest.raises(RuleBroken, match="after today"):
        make_request(people, dates=[TODAY])
    with pytest.raises(RuleBroken, match="one to three"):
        make_request(people, dates=[TODAY + timedelta(days=n) for n in range(1, 5)])
    with pytest.raises(NotAllowed):
        visit_requests.create(people["student"], people["partner"], "x", 10, 20, [TODAY + timedelta(days=3)])


def test_visit_confirmation_by_both_sides(people):
    req = make_request(people)
    visit_requests.accept(people["staff"], req, req.date_1)
    with pytest.raises(RuleBroken, match="after it has taken place"):
        visit_requests.confirm(people["teacher"], req, True)
    after = req.date_1 + timedelta(days=1)
    assert visit_requests.ask_for_confirmation(after) == [req]
    visit_requests.confirm(people["teacher"], req, True, after)
    assert req.state == "accepted"
    visit_requests.confirm(people["staff"], req, True, after)
    assert req.state == "completed"


def test_visit_that_did_not_happen(people):
    req = make_request(people)
    visit_requests.accept(people["staff"], req, req.date_1)
    visit_requests.confirm(people["staff"], req, False, req.date_1 + timedelta(days=1))
    assert req.state == "did_not_happen"


def test_unanswered_requests_are_flagged_once_and_can_be_reassigned(people):
    req = make_request(people)
    later = datetime.now(UTC) + timedelta(days=8)
    assert visit_requests.escalate(7, later) == [req]
    assert visit_requests.escalate(7, later) == []
    assert "request_flagged" in notes_for(people["specialist"])
    with pytest.raises(NotAllowed):
        visit_requests.reassign(people["staff"], req, people["other_partner"])
    visit_requests.reassign(people["specialist"], req, people["other_partner"])
    assert req.partner_id == people["other_partner"].id and req.flagged_at is None
    assert "request_new" in notes_for(people["other_staff"])
    assert "request_reassigned" in notes_for(people["teacher"])
