"""The web pages of the application and request workflows: what each side sees, what each form
refuses (with the message next to the field and nothing written), and the cron commands."""

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import (
    Application,
    AuditEntry,
    Feedback,
    Message,
    Notification,
    VisitRequest,
)
from cpspartners.services import applications, visit_requests
from cpspartners.visits import finder
from tests.conftest import post, sign_in_as

# Consent is on record for the people fixture's students (tests/test_consent.py tests without it).
pytestmark = pytest.mark.usefixtures("consent_for_people")

TODAY = date.today()


def as_(app, user):
    """A client signed in as ``user`` that reads the English pages (Ana's account is Spanish,
    and pages follow the account's language unless the browser chose one)."""
    client = sign_in_as(app.test_client(), user)
    client.set_cookie("lang", "en")
    return client


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def approved(people):
    """The shared ``people`` are unapproved accounts; here they are approved, as after sign-up
    (students) or a specialist's approval (staff)."""
    for person in people.values():
        if hasattr(person, "is_approved"):
            person.is_approved = True
    db.session.commit()


@pytest.fixture
def program(people, make_opportunity):
    return make_opportunity(
        partner=people["partner"], title="Robotics internship", capacity=2, grade_min=9, grade_max=12, kind="internship"
    )


# --- Students -------------------------------------------------------------------------------------


def test_visitors_are_told_how_to_sign_in_to_apply(client, program):
    html = client.get(f"/opportunities/{program.slug}").get_data(as_text=True)
    assert "Sign in to apply" in html and 'action="/opportunities/' not in html


def test_a_student_applies_and_follows_the_application(app, people, program):
    student = as_(app, people["student"])
    page = student.get(f"/opportunities/{program.slug}").get_data(as_text=True)
    assert f'action="/applications/apply/{program.slug}"' in page
    response = post(
        student,
        f"/applications/apply/{program.slug}",
        {"kind": "apply", "answer": "Me encantan los robots, ¡de verdad! مرحبا"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/applications/mine")
    application = db.session.scalars(select(Application)).one()
    assert application.state == "submitted" and application.answer.endswith("مرحبا")
    assert count(Notification, Notification.user_id == people["staff"].id) == 1
    mine = student.get("/applications/mine").get_data(as_text=True)
    assert "Robotics internship" in mine and "Withdraw" in mine
    again = student.get(f"/opportunities/{program.slug}").get_data(as_text=True)
    assert "You already applied for this" in again
    assert post(student, f"/applications/apply/{program.slug}", {"kind": "apply"}).status_code == 409
    assert count(Application) == 1
    post(student, f"/applications/{application.id}/withdraw")
    assert db.session.get(Application, application.id).state == "withdrawn"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "apply", "answer": "<script>alert(1)</script>"}, "plain text only"),
        ({"kind": "apply", "answer": "x" * 2001}, "at most 2000 characters"),
        ({"kind": "everything"}, "Not a valid choice"),
        ({"answer": "no kind"}, "This field is required"),
    ],
)
def test_bad_applications_are_refused_next_to_the_field(app, people, program, data, message):
    student = as_(app, people["student"])
    response = post(student, f"/applications/apply/{program.slug}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and 'class="field-error"' in html
    assert count(Application) == 0


def test_clear_messages_for_grade_deadline_and_full(app, people, program, make_opportunity):
    young = as_(app, people["young"])
    assert "This opportunity is for grades 9 to 12" in young.get(f"/opportunities/{program.slug}").get_data(
        as_text=True
    )
    assert post(young, f"/applications/apply/{program.slug}", {"kind": "apply"}).status_code == 400
    assert count(Application) == 0
    closed = make_opportunity(partner=people["partner"], deadline=TODAY - timedelta(days=1))
    student = as_(app, people["student"])
    assert "deadline for this opportunity has passed" in student.get(f"/opportunities/{closed.slug}").get_data(
        as_text=True
    )
    applications.apply(people["student2"], program)
    applications.apply(people["student3"], program)
    page = student.get(f"/opportunities/{program.slug}").get_data(as_text=True)
    assert "All places are taken" in page
    post(student, f"/applications/apply/{program.slug}", {"kind": "apply"})
    assert "you are on the waitlist" in student.get("/applications/mine").get_data(as_text=True)
    assert (
        db.session.scalars(select(Application).where(Application.student_id == people["student"].id)).one().state
        == "waitlisted"
    )


# --- Partner staff: applications ------------------------------------------------------------------


def test_partners_see_only_their_applicants_and_never_an_email(app, people, program, make_opportunity):
    mine = applications.apply(people["student"], program, "I build robots")
    other_opp = make_opportunity(partner=people["other_partner"], title="Carpentry basics")
    theirs = applications.apply(people["student2"], other_opp, "I like wood")
    staff = as_(app, people["staff"])
    html = staff.get("/applications/received").get_data(as_text=True)
    assert "Ana" in html and "Reyes" not in html and "ana@example.org" not in html
    assert "Carpentry basics" not in html
    assert staff.get(f"/applications/{theirs.id}").status_code == 403
    detail = staff.get(f"/applications/{mine.id}").get_data(as_text=True)
    assert "I build robots" in detail and "ana@example.org" not in detail and "Reyes" not in detail
    logged = db.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "student_record", AuditEntry.note.startswith("application"))
    ).one()
    assert logged.subject_id == people["student"].id and logged.actor_id == people["staff"].id
    assert "Carpentry basics" in as_(app, people["specialist"]).get("/applications/received").get_data(as_text=True)


def test_partner_list_filters_and_pages(app, people, program):
    applications.apply(people["student"], program)
    second = applications.apply(people["student2"], program)
    applications.move(second, "declined", people["staff"])
    staff = as_(app, people["staff"])
    declined = staff.get("/applications/received?state=declined").get_data(as_text=True)
    assert "Ben" in declined and "Ana" not in declined
    odd = staff.get("/applications/received?state=<script>&opportunity=abc&page=99999999999")
    html = odd.get_data(as_text=True)
    assert odd.status_code == 200 and "That state is not known" in html and "not valid" in html
    assert "<script>" not in html


def test_partner_decides_and_completes_with_hours(app, people, program):
    application = applications.apply(people["student"], program)
    staff = as_(app, people["staff"])
    assert post(staff, f"/applications/{application.id}/move", {"to_state": "accepted"}).status_code == 302
    assert db.session.get(Application, application.id).state == "accepted"
    bad = post(staff, f"/applications/{application.id}/move", {"to_state": "completed", "hours": "-3"})
    assert bad.status_code == 400 and "between 0 and 2000" in bad.get_data(as_text=True)
    bad = post(staff, f"/applications/{application.id}/move", {"to_state": "completed", "hours": "lots"})
    assert bad.status_code == 400
    assert db.session.get(Application, application.id).state == "accepted"
    post(staff, f"/applications/{application.id}/move", {"to_state": "completed", "hours": "12.5"})
    done = db.session.get(Application, application.id)
    assert done.state == "completed" and float(done.hours) == 12.5
    assert "application_completed" in [
        n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == people["student"].id))
    ]


def test_a_student_cannot_decide_on_their_own_application(app, people, program):
    application = applications.apply(people["student"], program)
    student = as_(app, people["student"])
    assert post(student, f"/applications/{application.id}/move", {"to_state": "accepted"}).status_code == 403
    assert db.session.get(Application, application.id).state == "submitted"


def test_messages_go_through_the_site(app, people, program):
    application = applications.apply(people["student"], program)
    staff, student = as_(app, people["staff"]), as_(app, people["student"])
    response = post(staff, f"/applications/{application.id}/messages", {"body": "Can you come on Monday?"})
    assert response.status_code == 302
    assert "Can you come on Monday?" in student.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "message_new" in [
        n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == people["student"].id))
    ]
    for body, message in (
        ("", "This field is required"),
        ("<img src=x onerror=alert(1)>", "plain text only"),
        ("y" * 4001, "at most 4000"),
    ):
        bad = post(student, f"/applications/{application.id}/messages", {"body": body})
        assert bad.status_code == 400 and message in bad.get_data(as_text=True)
    assert count(Message) == 1
    assert (
        post(as_(app, people["other_staff"]), f"/applications/{application.id}/messages", {"body": "hello"}).status_code
        == 403
    )


# --- Teachers and partners: requests ------------------------------------------------------------


@pytest.fixture
def speakers(people, make_opportunity, make_partner, curie):
    near = make_opportunity(
        partner=people["partner"],
        title="Robot builders visit",
        kind="guest_speaker",
        latitude=curie.latitude + 0.01,
        longitude=curie.longitude,
        clusters=["010100"],
    )
    far = make_opportunity(
        partner=people["other_partner"],
        title="Robot arms field trip",
        kind="field_trip",
        latitude=curie.latitude + 0.2,
        longitude=curie.longitude,
        clusters=["010100"],
    )
    online = make_opportunity(
        partner=people["partner"], title="Robot coding online", kind="workshop", modality="virtual", clusters=["060100"]
    )
    internship = make_opportunity(partner=people["partner"], title="Robot internship", kind="internship")
    return {"near": near, "far": far, "online": online, "internship": internship}


def test_rank_puts_nearest_first_then_virtual_then_unknown():
    rows = [
        (1, None, None, "in_person"),
        (2, 41.9, -87.6, "virtual"),
        (3, 41.80, -87.7, "in_person"),
        (4, 41.81, -87.7, "hybrid"),
    ]
    assert [r[0] for r in finder.rank(rows, 41.80, -87.7)] == [3, 4, 2, 1]
    assert finder.rank(rows, 41.80, -87.7)[0][1] == 0.0 and finder.rank(rows, 41.80, -87.7)[2][2] is True
    assert finder.words_of("  Robots, ROBÓTICA robots <script> " + "w " * 50) == ("robots", "robotica", "<script>")
    assert finder.words_of("a\x00bc\u202edef") == ("bc", "def")


def test_teachers_find_speakers_nearest_first(app, people, speakers):
    teacher = as_(app, people["teacher"])
    html = teacher.get("/visits/find?q=robot").get_data(as_text=True)
    assert "3 results" in html and "Robot internship" not in html
    assert html.index("Robot builders visit") < html.index("Robot arms field trip") < html.index("Robot coding online")
    assert "miles from your school" in html and "Virtual" in html
    only_trades = teacher.get("/visits/find?cluster=010100&grade=9").get_data(as_text=True)
    assert "Robot coding online" not in only_trades and "Robot builders visit" in only_trades
    cs = teacher.get("/visits/find?subject=computer_science").get_data(as_text=True)
    assert "Robot coding online" in cs and "Robot builders visit" not in cs
    odd = teacher.get("/visits/find?cluster=zzz&subject=<b>&grade=99&q=%25%25%25%00robot%E2%80%AE")
    assert odd.status_code == 200 and "not known" in odd.get_data(as_text=True)
    assert as_(app, people["student"]).get("/visits/find").status_code == 403


def _request_data(**overrides):
    data = {
        "topic": "Robots in factories",
        "subject": "Física",
        "grade": "9",
        "class_size": "28",
        "modality": "in_person",
        "date_1": (TODAY + timedelta(days=14)).isoformat(),
        "date_2": (TODAY + timedelta(days=21)).isoformat(),
        "message": "We are studying automation.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"date_1": (TODAY - timedelta(days=1)).isoformat()}, "Choose a date after today"),
        ({"date_1": "tomorrow"}, "Not a valid date value"),
        ({"date_1": ""}, "Enter a date"),
        ({"class_size": "0"}, "from 1 to 500"),
        ({"class_size": "many"}, "Not a valid integer value"),
        ({"grade": ""}, "Choose a grade"),
        ({"grade": "13"}, "Choose a grade"),
        ({"topic": ""}, "This field is required"),
        ({"topic": "<script>x</script>"}, "plain text only"),
        ({"message": "z" * 4001}, "at most 4000"),
        ({"modality": "teleport"}, "Not a valid choice"),
        ({"starts_at": "25:99"}, "Not a valid time value"),
        ({"starts_at": "10:30", "ends_at": "10:00"}, "The class must end after it starts"),
        ({"ends_at": "11:00"}, "Give the time the class starts"),
    ],
)
def test_bad_requests_are_refused_next_to_the_field(app, people, speakers, overrides, message):
    teacher = as_(app, people["teacher"])
    response = post(teacher, f"/visits/new?opportunity={speakers['near'].id}", _request_data(**overrides))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(VisitRequest) == 0


def test_request_form_only_for_classroom_listings(app, people, speakers):
    teacher = as_(app, people["teacher"])
    assert teacher.get(f"/visits/new?opportunity={speakers['internship'].id}").status_code == 404
    assert teacher.get("/visits/new?opportunity=abc").status_code == 404


def test_request_accept_calendar_confirm_and_feedback(app, people, speakers):
    teacher, staff = as_(app, people["teacher"]), as_(app, people["staff"])
    response = post(teacher, f"/visits/new?opportunity={speakers['near'].id}", _request_data())
    assert response.status_code == 302
    req = db.session.scalars(select(VisitRequest)).one()
    assert req.partner_id == people["partner"].id and req.subject == "Física"
    inbox = staff.get("/visits/received").get_data(as_text=True)
    assert "Robots in factories" in inbox
    assert as_(app, people["other_staff"]).get(f"/visits/{req.id}").status_code == 403
    assert "Robots in factories" not in as_(app, people["other_staff"]).get("/visits/received").get_data(as_text=True)
    bad = post(staff, f"/visits/{req.id}/accept", {"visit_date": (TODAY + timedelta(days=15)).isoformat()})
    assert bad.status_code == 400 and db.session.get(VisitRequest, req.id).state == "requested"
    post(staff, f"/visits/{req.id}/accept", {"visit_date": req.date_2.isoformat(), "note": "See you then"})
    req = db.session.get(VisitRequest, req.id)
    assert req.state == "accepted" and req.visit_date == req.date_2
    ics = teacher.get(f"/calendar/visits/{req.id}.ics")
    assert ics.mimetype == "text/calendar"
    event = next(c for c in Calendar.from_ical(ics.data).walk() if c.name == "VEVENT")
    assert event.decoded("dtstart") == req.visit_date
    # After the date both sides confirm; then both are asked for feedback.
    req.visit_date = TODAY - timedelta(days=1)
    db.session.commit()
    post(teacher, f"/visits/{req.id}/confirm", {"happened": "yes"})
    assert post(staff, f"/visits/{req.id}/confirm", {"happened": "perhaps"}).status_code == 400
    post(staff, f"/visits/{req.id}/confirm", {"happened": "yes"})
    assert db.session.get(VisitRequest, req.id).state == "completed"
    survey = teacher.get(f"/outcomes/survey/visits/{req.id}").get_data(as_text=True)
    assert "How engaging was it?" in survey
    bad = post(
        teacher,
        f"/outcomes/survey/visits/{req.id}",
        {"relevance": "4", "engagement": "5", "organization": "3", "recommend": "4"},
    )
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    missing = post(teacher, f"/outcomes/survey/visits/{req.id}", {"relevance": "4"})
    assert missing.status_code == 400 and "Choose a rating from 1 to 4" in missing.get_data(as_text=True)
    assert count(Feedback) == 0
    post(
        teacher,
        f"/outcomes/survey/visits/{req.id}",
        {"relevance": "4", "engagement": "3", "organization": "3", "recommend": "4", "comment": "¡Genial!"},
    )
    assert count(Feedback) == 1
    dashboard = staff.get("/partner").get_data(as_text=True)
    assert "1 response" in dashboard and "3.5 out of 4" not in dashboard and "¡Genial!" not in dashboard
    assert "4 out of 4" in dashboard
    specialist = as_(app, people["specialist"]).get(f"/review/partners/{people['partner'].id}")
    assert "¡Genial!" in specialist.get_data(as_text=True)


def test_propose_then_teacher_answers_and_decline_needs_a_note(app, people, speakers):
    teacher, staff = as_(app, people["teacher"]), as_(app, people["staff"])
    req = visit_requests.create(
        people["teacher"], people["partner"], "Robots", 9, 25, [TODAY + timedelta(days=9)], opportunity=speakers["near"]
    )
    past = post(staff, f"/visits/{req.id}/propose", {"other_date": TODAY.isoformat()})
    assert past.status_code == 400 and "after today" in past.get_data(as_text=True)
    post(staff, f"/visits/{req.id}/propose", {"other_date": (TODAY + timedelta(days=30)).isoformat()})
    assert db.session.get(VisitRequest, req.id).state == "proposed"
    assert "please answer" in teacher.get("/visits/mine").get_data(as_text=True)
    assert post(staff, f"/visits/{req.id}/answer", {"accept": "yes"}).status_code == 403
    post(teacher, f"/visits/{req.id}/answer", {"accept": "yes"})
    assert db.session.get(VisitRequest, req.id).state == "accepted"
    other = visit_requests.create(people["teacher"], people["partner"], "Gears", 9, 25, [TODAY + timedelta(days=9)])
    assert post(staff, f"/visits/{other.id}/decline", {"note": ""}).status_code == 400
    post(staff, f"/visits/{other.id}/decline", {"note": "We are fully booked."})
    assert db.session.get(VisitRequest, other.id).state == "declined"
    third = visit_requests.create(people["teacher"], people["partner"], "Cogs", 9, 25, [TODAY + timedelta(days=9)])
    post(teacher, f"/visits/{third.id}/cancel")
    assert db.session.get(VisitRequest, third.id).state == "cancelled"


def test_escalate_command_then_specialist_reassigns(app, people, speakers):
    req = visit_requests.create(people["teacher"], people["partner"], "Robots", 9, 25, [TODAY + timedelta(days=9)])
    req.created_at = datetime.now(UTC) - timedelta(days=8)
    db.session.commit()
    app.config["REQUEST_ESCALATION_DAYS"] = 10
    runner = app.test_cli_runner()
    assert "0 requests flagged" in runner.invoke(args=["requests", "escalate"]).output
    app.config["REQUEST_ESCALATION_DAYS"] = 7
    assert "1 requests flagged" in runner.invoke(args=["requests", "escalate"]).output
    specialist = as_(app, people["specialist"])
    assert "Robots" in specialist.get("/visits/flagged").get_data(as_text=True)
    assert post(specialist, f"/visits/{req.id}/reassign", {"partner_id": "0"}).status_code == 400
    assert post(specialist, f"/visits/{req.id}/reassign", {"partner_id": "999999"}).status_code == 400
    post(specialist, f"/visits/{req.id}/reassign", {"partner_id": str(people["other_partner"].id)})
    req = db.session.get(VisitRequest, req.id)
    assert req.partner_id == people["other_partner"].id and req.flagged_at is None
    assert "Robots" not in specialist.get("/visits/flagged").get_data(as_text=True)


def test_confirmations_command_asks_both_sides(app, people):
    req = visit_requests.create(people["teacher"], people["partner"], "Robots", 9, 25, [TODAY + timedelta(days=9)])
    visit_requests.accept(people["staff"], req, req.date_1)
    req.visit_date = TODAY - timedelta(days=2)
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["requests", "confirmations"]).output
    assert "1 visits to confirm" in output
    asked = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "request_confirm"))}
    assert asked == {people["teacher"].id, people["staff"].id}


# --- Notifications ------------------------------------------------------------------------------


def test_notifications_page_count_and_mark_read(app, people, program):
    applications.apply(people["student"], program)
    applications.apply(people["student2"], program)
    staff = as_(app, people["staff"])
    home = staff.get("/").get_data(as_text=True)
    assert '<span class="count">2' in home
    html = staff.get("/notifications").get_data(as_text=True)
    assert html.count("New application for") == 2
    note = db.session.scalars(select(Notification).where(Notification.user_id == people["staff"].id)).first()
    response = post(staff, f"/notifications/{note.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == "/applications/received"
    assert '<span class="count">1' in staff.get("/").get_data(as_text=True)
    assert post(as_(app, people["other_staff"]), f"/notifications/{note.id}/read").status_code == 403
    post(staff, "/notifications/read")
    assert 'class="count"' not in staff.get("/").get_data(as_text=True)


def test_notifications_are_shown_in_the_readers_language(app, people, program):
    applications.apply(people["student"], program)
    staff = as_(app, people["staff"])
    staff.set_cookie("lang", "es")
    assert "Nueva solicitud" in staff.get("/notifications").get_data(as_text=True)


def test_send_command_emails_each_person_once_in_their_language(app, people, program, smtp_server):
    application = applications.apply(people["student"], program)
    applications.move(application, "accepted", people["staff"])
    result = app.test_cli_runner().invoke(args=["notifications", "send", "--batch-size", "1"])
    assert result.exit_code == 0 and "2 messages sent" in result.output
    to_student = smtp_server.last_to("ana@example.org")
    assert "Te aceptaron" in to_student.get_content() and "Hola" in to_student.get_content()
    assert to_student["Content-Language"] == "es"
    assert "/applications/mine" in to_student.get_content()
    assert "New application for" in smtp_server.last_to("staff@example.org").get_content()
    assert count(Notification, Notification.emailed_at.is_(None)) == 0
    again = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert "0 messages sent" in again.output and len(smtp_server.messages) == 2


def test_pages_work_in_spanish(app, people, program, speakers):
    for user, path in (
        (people["student"], "/applications/mine"),
        (people["teacher"], "/visits/find"),
        (people["staff"], "/applications/received"),
        (people["specialist"], "/visits/flagged"),
        (people["teacher"], "/notifications"),
    ):
        client = as_(app, user)
        client.set_cookie("lang", "es")
        response = client.get(path)
        assert response.status_code == 200 and 'lang="es"' in response.get_data(as_text=True), path


def test_every_new_form_needs_its_csrf_token(app, people, program):
    application = applications.apply(people["student"], program)
    req = visit_requests.create(people["teacher"], people["partner"], "Robots", 9, 25, [TODAY + timedelta(days=9)])
    cases = [
        (people["student"], f"/applications/{application.id}/withdraw", {}),
        (people["student"], f"/applications/{application.id}/messages", {"body": "hi"}),
        (people["staff"], f"/applications/{application.id}/move", {"to_state": "accepted"}),
        (people["staff"], f"/visits/{req.id}/decline", {"note": "No"}),
        (people["teacher"], f"/visits/{req.id}/cancel", {}),
        (people["staff"], "/notifications/read", {}),
    ]
    for user, path, data in cases:
        assert as_(app, user).post(path, data=data).status_code == 400, path
    assert db.session.get(Application, application.id).state == "submitted"
    assert db.session.get(VisitRequest, req.id).state == "requested" and count(Message) == 0


def test_every_page_a_notification_leads_to_is_a_get_page(app):
    """Services name the pages their notifications lead to; each must be a real GET page."""
    import pathlib
    import re

    services = pathlib.Path(__file__).parent.parent / "cpspartners" / "services"
    endpoints = set()
    for source in services.glob("*.py"):
        endpoints |= set(re.findall(r'Page\("([a-z_.]+)"', source.read_text(encoding="utf-8")))
    assert len(endpoints) >= 7
    for endpoint in endpoints:
        rules = list(app.url_map.iter_rules(endpoint))
        assert any("GET" in rule.methods for rule in rules), endpoint


def test_a_notification_leads_to_its_page(app, people, program):
    from cpspartners.services import messages

    application = applications.apply(people["student"], program)
    messages.post(people["staff"], application, "Can you come on Monday?")
    note = db.session.scalars(
        select(Notification).where(Notification.user_id == people["student"].id, Notification.kind == "message_new")
    ).one()
    assert (note.endpoint, note.args, note.link) == ("applications.detail", {"application_id": application.id}, "")
    student = as_(app, people["student"])
    assert f'action="/notifications/{note.id}/read"' in student.get("/notifications").get_data(as_text=True)
    response = post(student, f"/notifications/{note.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == f"/applications/{application.id}"
    assert "Can you come on Monday?" in student.get(response.headers["Location"]).get_data(as_text=True)


def test_a_notification_written_with_a_path_still_shows_opens_and_is_emailed(app, people, smtp_server):
    old = Notification(
        user_id=people["teacher"].id, kind="request_declined", params={"topic": "Robots"}, link="/visits/mine"
    )
    odd = Notification(
        user_id=people["teacher"].id, kind="request_declined", params={"topic": "Bees"}, link="//evil.example"
    )
    db.session.add_all([old, odd])
    db.session.commit()
    teacher = as_(app, people["teacher"])
    html = teacher.get("/notifications").get_data(as_text=True)
    assert "Robots" in html and f'action="/notifications/{old.id}/read"' in html
    assert "Bees" in html and f'action="/notifications/{odd.id}/read"' not in html
    assert post(teacher, f"/notifications/{old.id}/read").headers["Location"] == "/visits/mine"
    assert post(teacher, f"/notifications/{odd.id}/read").headers["Location"] == "/notifications"
    app.test_cli_runner().invoke(args=["notifications", "send"])
    body = smtp_server.last_to("t@example.org").get_content()
    assert app.config["SITE_URL"].rstrip("/") + "/visits/mine" in body and "evil" not in body


def test_the_notification_email_links_to_the_page_on_the_site(app, people, program, smtp_server):
    application = applications.apply(people["student"], program)
    applications.move(application, "accepted", people["staff"])
    app.test_cli_runner().invoke(args=["notifications", "send"])
    site = app.config["SITE_URL"].rstrip("/")
    assert site + "/applications/mine" in smtp_server.last_to("ana@example.org").get_content()
    assert site + "/applications/received" in smtp_server.last_to("staff@example.org").get_content()


def test_a_notification_to_a_page_that_is_gone_shows_without_a_link(app, people):
    gone = Notification(user_id=people["teacher"].id, kind="request_declined", params={"topic": "Robots"})
    gone.endpoint, gone.args = "visits.detail", {"no_such_argument": 1}
    db.session.add(gone)
    db.session.commit()
    html = as_(app, people["teacher"]).get("/notifications").get_data(as_text=True)
    assert "Robots" in html and f'action="/notifications/{gone.id}/read"' not in html


def test_teachers_are_pointed_to_requests_on_a_listing(app, people, program):
    html = as_(app, people["teacher"]).get(f"/opportunities/{program.slug}").get_data(as_text=True)
    assert "Only students apply here" in html and "/apply" not in html


def test_a_class_period_is_kept_shown_in_the_readers_way_and_timed_in_the_calendar(app, people, speakers):
    teacher, staff = as_(app, people["teacher"]), as_(app, people["staff"])
    data = _request_data(starts_at="10:30", ends_at="11:15")
    assert post(teacher, f"/visits/new?opportunity={speakers['near'].id}", data).status_code == 302
    req = db.session.scalars(select(VisitRequest)).one()
    assert (req.starts_at.isoformat(), req.ends_at.isoformat()) == ("10:30:00", "11:15:00")
    english = staff.get("/visits/received").get_data(as_text=True)
    assert "10:30\u202fAM\u201311:15\u202fAM" in english or "10:30 AM\u201311:15 AM" in english
    assert req.date_1.isoformat() not in english  # dates in words, not ISO
    staff.set_cookie("lang", "es")
    spanish = staff.get(f"/visits/{req.id}").get_data(as_text=True)
    assert "Horario de la clase" in spanish and "10:30\u201311:15" in spanish
    post(staff, f"/visits/{req.id}/accept", {"visit_date": req.date_1.isoformat()})
    ics = teacher.get(f"/calendar/visits/{req.id}.ics")
    calendar = Calendar.from_ical(ics.data)
    event = next(c for c in calendar.walk() if c.name == "VEVENT")
    starts, ends = event.decoded("dtstart"), event.decoded("dtend")
    assert (starts.date(), starts.hour, starts.minute, ends.hour, ends.minute) == (req.date_1, 10, 30, 11, 15)
    assert str(starts.tzinfo) == "America/Chicago"
    assert [c["TZID"] for c in calendar.walk() if c.name == "VTIMEZONE"] == ["America/Chicago"]
    assert b"DTSTART;TZID=America/Chicago:" in ics.data


def test_a_bad_class_period_is_refused_in_spanish(app, people, speakers):
    teacher = as_(app, people["teacher"])
    teacher.set_cookie("lang", "es")
    data = _request_data(starts_at="10:30", ends_at="09:00")
    response = post(teacher, f"/visits/new?opportunity={speakers['near'].id}", data)
    assert response.status_code == 400 and "La clase debe terminar después de empezar" in response.get_data(
        as_text=True
    )
    assert count(VisitRequest) == 0


def test_the_service_refuses_a_class_that_ends_before_it_starts(app, people, speakers):
    from datetime import time

    from cpspartners.services.errors import RuleBroken

    with pytest.raises(RuleBroken):
        visit_requests.create(
            people["teacher"],
            people["partner"],
            "Drones",
            9,
            25,
            [TODAY + timedelta(days=20)],
            starts_at=time(11),
            ends_at=time(10),
        )
    assert count(VisitRequest) == 0
