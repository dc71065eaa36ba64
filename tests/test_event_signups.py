"""Community events: places and a waitlist, cancelling, reminders, .ics, attendance, outcomes."""

import threading
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cpspartners.extensions import db
from cpspartners.models import EventSignup, Notification, Opportunity, User
from cpspartners.services import events, outcomes, records
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from tests.conftest import PG_URL, post, sign_in_as

TODAY = date.today()


@pytest.fixture
def town_hall(people, make_opportunity):
    return make_opportunity(
        partner=people["partner"],
        kind="community_event",
        title="Student town hall",
        capacity=1,
        starts_on=TODAY + timedelta(days=1),
        location_name="Harold Washington Library",
    )


def kinds_for(user):
    return [n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def test_last_place_then_waitlist_then_promotion_on_cancel(people, town_hall):
    first = events.sign_up(people["student"], town_hall)
    second = events.sign_up(people["teacher"], town_hall)
    assert (first.state, second.state) == ("confirmed", "waitlisted")
    assert town_hall.seats_taken == 1
    with pytest.raises(Conflict):
        events.sign_up(people["student"], town_hall)
    events.cancel(people["student"], first)
    db.session.refresh(second)
    db.session.refresh(town_hall)
    assert second.state == "confirmed" and second.holds_place
    assert town_hall.seats_taken == 1
    assert kinds_for(people["teacher"]) == ["event_waitlisted", "event_place_opened"]


def test_signing_up_again_after_cancelling_goes_to_the_back(people, town_hall):
    mine = events.sign_up(people["student"], town_hall)
    events.cancel(people["student"], mine)
    other = events.sign_up(people["student2"], town_hall)
    again = events.sign_up(people["student"], town_hall)
    assert other.state == "confirmed" and again.state == "waitlisted" and again.id == mine.id


def test_only_community_events_take_sign_ups_and_not_after_the_day(people, make_opportunity):
    workshop = make_opportunity(partner=people["partner"])
    with pytest.raises(RuleBroken):
        events.sign_up(people["student"], workshop)
    past = make_opportunity(partner=people["partner"], kind="community_event", starts_on=TODAY - timedelta(days=1))
    with pytest.raises(RuleBroken):
        events.sign_up(people["student"], past)


def test_pending_accounts_cannot_sign_up(people, town_hall, make_user):
    pending = make_user("teacher", is_approved=False)
    with pytest.raises(NotAllowed):
        events.sign_up(pending, town_hall)


def test_database_refuses_a_place_without_confirmation(people, town_hall):
    db.session.add(
        EventSignup(opportunity_id=town_hall.id, user_id=people["student"].id, state="waitlisted", holds_place=True)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_sign_up_page_flow_and_ics(app, people, town_hall):
    client = sign_in_as(app.test_client(), people["student"])
    client.set_cookie("lang", "en")  # Ana's account is Spanish: this test reads the English page
    page = f"/opportunities/{town_hall.slug}"
    assert "Sign up for this event" in client.get(page).get_data(as_text=True)
    assert post(client, f"/events/{town_hall.slug}/sign-up", token_from=page).status_code == 302
    signup = db.session.scalars(select(EventSignup)).one()
    assert signup.state == "confirmed"
    assert "Student town hall" in client.get("/events/mine").get_data(as_text=True)
    response = client.get(f"/events/signups/{signup.id}.ics")
    assert response.mimetype == "text/calendar"
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event["DTSTART"].dt == town_hall.starts_on
    assert "Harold Washington Library" in str(event["LOCATION"])
    stranger = sign_in_as(app.test_client(), people["student2"])
    assert stranger.get(f"/events/signups/{signup.id}.ics").status_code == 403
    assert post(stranger, f"/events/signups/{signup.id}/cancel", token_from="/events/mine").status_code == 403
    assert post(client, f"/events/signups/{signup.id}/cancel", token_from="/events/mine").status_code == 302
    db.session.refresh(signup)
    assert signup.state == "cancelled"


def test_spanish_sign_up_box(app, people, town_hall):
    client = sign_in_as(app.test_client(), people["student"])
    client.set_cookie("lang", "es")
    assert "Inscríbete en este evento" in client.get(f"/opportunities/{town_hall.slug}").get_data(as_text=True)


def test_reminders_are_queued_once(app, people, town_hall):
    events.sign_up(people["student"], town_hall)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["events", "remind", "--days", "2"])
    second = runner.invoke(args=["events", "remind", "--days", "2"])
    assert "1 event reminders queued" in first.output
    assert "0 event reminders queued" in second.output
    assert kinds_for(people["student"]).count("event_reminder") == 1


def test_reminders_skip_events_further_off(people, make_opportunity):
    later = make_opportunity(partner=people["partner"], kind="community_event", starts_on=TODAY + timedelta(days=9))
    events.sign_up(people["student"], later)
    assert events.send_reminders(TODAY, 2) == 0


def test_attendance_by_the_partner_and_it_counts_in_outcomes_and_the_record(app, people, town_hall):
    signup = events.sign_up(people["student"], town_hall)
    with pytest.raises(RuleBroken):
        events.mark_attendance(people["staff"], signup, True)  # the event is tomorrow
    with pytest.raises(NotAllowed):
        events.mark_attendance(people["other_staff"], signup, True, today=town_hall.starts_on)
    events.mark_attendance(people["staff"], signup, True, today=town_hall.starts_on)
    year = outcomes.current_school_year(town_hall.starts_on)
    row = {r.key: r for r in outcomes.report("school", year)}[people["student"].school_id]
    assert row.events_attended == 1 and row.students_with_experience_or_credential == 1
    header, body = outcomes.csv_rows(outcomes.report("school", year))
    assert header[-1] == "events_attended"
    assert [e.title for e in records.record_of(people["student"]).experiences] == ["Student town hall"]


def test_teachers_attending_do_not_count_as_students(people, town_hall):
    signup = events.sign_up(people["teacher"], town_hall)
    events.mark_attendance(people["specialist"], signup, True, today=town_hall.starts_on)
    year = outcomes.current_school_year(town_hall.starts_on)
    assert all(r.events_attended == 0 for r in outcomes.report("school", year))


def test_attendance_page_is_for_the_host_only(app, people, town_hall):
    events.sign_up(people["student"], town_hall)
    host = sign_in_as(app.test_client(), people["staff"])
    html = host.get(f"/events/{town_hall.id}/attendance").get_data(as_text=True)
    assert "Ana" in html and "ana@example.org" not in html and "Reyes" not in html
    other = sign_in_as(app.test_client(), people["other_staff"])
    assert other.get(f"/events/{town_hall.id}/attendance").status_code == 403
    student = sign_in_as(app.test_client(), people["student"])
    assert student.get(f"/events/{town_hall.id}/attendance").status_code == 403


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL and concurrent transactions")
def test_two_people_racing_for_the_last_place_on_postgresql(app, people, town_hall):
    ids = (town_hall.id, people["student"].id, people["student2"].id)
    barrier, states, errors = threading.Barrier(2), [], []

    def worker(user_id):
        with app.app_context():
            try:
                opportunity = db.session.get(Opportunity, ids[0])
                user = db.session.get(User, user_id)
                barrier.wait(5)
                states.append(events.sign_up(user, opportunity).state)
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in ids[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert sorted(states) == ["confirmed", "waitlisted"]
    db.session.expire_all()
    assert db.session.get(Opportunity, ids[0]).seats_taken == 1


def test_a_hand_made_post_cannot_apply_to_an_event(app, people, town_hall):
    """The page shows only the sign-up box; a POST to the apply route is refused by the same
    service gate every application passes, in the reader's language, with a 4xx and no row."""
    from cpspartners.models import Application
    from cpspartners.services import applications

    with pytest.raises(RuleBroken):
        applications.apply(people["student"], town_hall, "I want to come")
    client = app.test_client()
    sign_in_as(client, people["student"])  # Ana reads Spanish
    for kind in ("apply", "interest"):
        page = post(client, f"/applications/apply/{town_hall.slug}", {"answer": "hola", "kind": kind})
        assert page.status_code == 400
        assert "Los eventos comunitarios" in page.get_data(as_text=True)
    assert db.session.scalar(select(Application).where(Application.opportunity_id == town_hall.id)) is None
    db.session.refresh(town_hall)
    assert town_hall.seats_taken == 0
