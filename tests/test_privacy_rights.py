"""A student's and a parent's rights (S6-S9): the copy, corrections, erasure, the retention sweep."""

import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import String, Text, select

from cpspartners.extensions import db
from cpspartners.models import (
    AnonymisedOutcome,
    Application,
    AuditEntry,
    Credential,
    DeletionCertificate,
    Dismissal,
    EventSignup,
    FamilyLink,
    Feedback,
    Message,
    Newsletter,
    NewsletterDelivery,
    Notification,
    Opportunity,
    RecordShare,
    RightsRequest,
    SavedOpportunity,
    StudentProfile,
    User,
)
from cpspartners.privacy import export, inventory
from cpspartners.services import accounts, audit, privacy
from cpspartners.services.errors import RuleBroken
from tests.conftest import post

NAME = "Zyxwanda Quorrible"


@pytest.fixture(autouse=True)
def export_folder(app, tmp_path):
    app.config["PRIVACY_EXPORT_DIR"] = str(tmp_path / "privacy-exports")


def naive(moment):
    """SQLite gives datetimes back without their zone; compare in UTC either way."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


EMAIL = "zyxwanda.q@students.example"
ANSWER = "I build quorrible robots in my garage"


@pytest.fixture
def full_student(app, make_user, make_opportunity, curie):
    """A student with a row in every table the inventory says can hold one."""
    student = make_user("student", name=NAME, email=EMAIL)
    staff = make_user("specialist")
    opp = make_opportunity()
    partner_staff = make_user("partner_staff", partner=opp.partner)
    done = Application(
        opportunity_id=opp.id,
        student_id=student.id,
        answer=ANSWER,
        state="completed",
        hours=Decimal("12.0"),
        completed_on=date(2026, 6, 1),
    )
    db.session.add(done)
    db.session.flush()
    newsletter = Newsletter(subject="News", audience="students")
    opp.seats_taken = 1  # the event place below
    db.session.add_all(
        [
            StudentProfile(user_id=student.id, free_words="quorrible welding"),
            SavedOpportunity(user_id=student.id, opportunity_id=opp.id),
            Dismissal(user_id=student.id, opportunity_id=make_opportunity().id),
            Message(sender_id=student.id, application_id=done.id, body="Quorrible question from me"),
            Message(sender_id=partner_staff.id, application_id=done.id, body="Hello Zyxwanda"),
            Notification(user_id=student.id, kind="application_accepted", params={"title": "x"}),
            Feedback(
                respondent_id=student.id,
                respondent_role="student",
                application_id=done.id,
                partner_id=opp.partner_id,
                relevance=4,
                engagement=4,
                organization=4,
                recommend=4,
                comment="Zyxwanda loved it",
            ),
            Credential(student_id=student.id, kind="certification", name="OSHA 10", earned_on=date(2026, 6, 1)),
            FamilyLink(student_id=student.id, parent_email="parent.quorrible@example.org", state="confirmed"),
            RecordShare(
                student_id=student.id,
                token_hash="f" * 64,
                label="For Quorrible college",
                expires_at=datetime.now(UTC) + timedelta(days=7),
            ),
            EventSignup(opportunity_id=opp.id, user_id=student.id, holds_place=True),
            newsletter,
        ]
    )
    db.session.flush()
    db.session.add(NewsletterDelivery(newsletter_id=newsletter.id, recipient="u:%d" % student.id))
    db.session.commit()
    audit.log_student_record_access(staff, student, "applications.detail")
    accounts.update_profile(student, NAME + " Jr", "en")  # an audited change naming the student
    accounts.update_profile(student, NAME, "en")
    correction = privacy.open_request(student, "correction", field="name", value="Zyxwanda Q. Quorrible")
    privacy.advance_correction(staff, correction, "decide")
    privacy.advance_correction(staff, correction, "correct")
    db.session.refresh(student)
    return student


def test_a_correction_moves_through_its_states_with_due_dates_and_audits_old_and_new(app, make_user):
    student = make_user("student", name="Ana Wrong")
    staff = make_user("specialist")
    received = datetime(2026, 3, 2, 12, tzinfo=UTC)
    request = privacy.open_request(student, "correction", field="name", value="Ana Right", now=received)
    assert naive(request.due_at) == naive(received + timedelta(days=90))
    with pytest.raises(RuleBroken):
        privacy.advance_correction(staff, request, "correct")  # must be decided first
    privacy.advance_correction(staff, request, "decide", now=received)
    privacy.advance_correction(staff, request, "correct", now=received)
    assert db.session.get(User, student.id).name == "Ana Right"
    assert request.state == "corrected" and naive(request.confirm_due_at) == datetime(2026, 3, 16, 12)
    privacy.advance_correction(staff, request, "confirm", now=received)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.subject_id == student.id)).all()
    assert {"name": ["Ana Wrong", "Ana Right"]} in [e.changes for e in entries]
    states = [e.changes.get("state") for e in entries if "state" in e.changes]
    assert states == [["", "received"], ["received", "decided"], ["decided", "corrected"], ["corrected", "confirmed"]]


def test_access_requests_are_due_in_ten_business_days_and_limited_to_two_a_quarter(app, make_user):
    student = make_user("student")
    friday = datetime(2026, 10, 2, 9, tzinfo=UTC)
    first = privacy.open_request(student, "access", now=friday)
    assert naive(first.due_at) == datetime(2026, 10, 16, 9)
    privacy.open_request(student, "access", now=friday)
    with pytest.raises(RuleBroken):
        privacy.open_request(student, "access", now=friday + timedelta(days=1))
    privacy.open_request(student, "access", now=datetime(2027, 1, 4, tzinfo=UTC))  # a new quarter


def test_late_requests_are_listed_for_specialists(app, make_user, client_as):
    student = make_user("student")
    old = privacy.open_request(student, "deletion", now=datetime.now(UTC) - timedelta(days=8))
    privacy.open_request(student, "access")
    assert [r.id for r in privacy.late_requests()] == [old.id]
    page = client_as("specialist").get("/privacy/requests").get_data(as_text=True)
    assert "1 late" in page and f"#{old.id} <strong" in page


def test_the_copy_holds_every_inventory_field_that_has_a_value(app, full_student, client):
    from tests.conftest import sign_in_as

    sign_in_as(client, full_student)
    data = json.loads(client.get("/privacy/mine/copy.json").get_data(as_text=True))
    sections = {s["key"]: s for s in data["sections"]}
    for name in (
        "user",
        "student_profile",
        "application",
        "message",
        "feedback",
        "credential",
        "family_link",
        "notification",
        "saved_opportunity",
        "dismissal",
        "newsletter_delivery",
        "audit_entry",
        "rights_request",
        "record_share",
        "event_signup",
    ):
        assert name in sections, name
        assert set(sections[name]["rows"][0]) == set(inventory.TABLES[name].fields)
    assert sections["application"]["rows"][0]["answer"] == ANSWER
    assert sections["user"]["rows"][0]["password_hash"] != full_student.password_hash
    assert len(sections["message"]["rows"]) == 2  # the partner's reply too
    html = client.get("/privacy/mine/copy").get_data(as_text=True)
    assert ANSWER in html and "Hello Zyxwanda" in html


def test_the_copy_is_in_the_readers_language(app, full_student, es_client):
    from tests.conftest import sign_in_as

    sign_in_as(es_client, full_student)
    html = es_client.get("/privacy/mine/copy").get_data(as_text=True)
    assert "Registros guardados sobre un estudiante" in html and "Solicitudes" in html
    data = json.loads(es_client.get("/privacy/mine/copy.json").get_data(as_text=True))
    assert data["language"] == "es" and "Cuentas" in [s["title"] for s in data["sections"]]


def test_a_section_provider_plugs_into_the_copy(app, full_student):
    provider = export.register_section(lambda s: export.Section("disclosures", "Disclosures", [{"who": "x"}]))
    try:
        assert "disclosures" in [s.key for s in export.build(full_student)]
    finally:
        export.PROVIDERS.remove(provider)


def test_a_parent_with_a_confirmed_link_gets_the_copy_by_email(app, full_student, client, smtp_server):
    response = post(client, "/privacy/family", {"email": "parent.quorrible@example.org"})
    assert response.status_code == 302
    message = smtp_server.messages[-1] if hasattr(smtp_server, "messages") else None
    assert message is not None
    body = message.get_body(preferencelist=("plain",)).get_content()
    url = next(word for word in body.split() if "/privacy/family/" in word)
    page = client.get(url.split("localhost", 1)[-1].split("5000", 1)[-1])
    assert page.status_code == 200 and ANSWER in page.get_data(as_text=True)
    assert db.session.scalar(select(RightsRequest).where(RightsRequest.requested_by == "parent")).state == "fulfilled"


def test_an_unlinked_email_gets_the_same_answer_and_no_mail(app, full_student, client, smtp_server):
    response = post(client, "/privacy/family", {"email": "stranger@example.org"}, follow_redirects=True)
    assert "If this email is linked" in response.get_data(as_text=True)
    assert not getattr(smtp_server, "messages", [])


def _identifiers(student):
    return [student.email, NAME, "Zyxwanda", "Quorrible", "quorrible", ANSWER, "parent.quorrible@example.org"]


def _text_hits(needles):
    """Every text value in every table (JSON columns as text) that contains a needle."""
    hits = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, db.JSON))]
        for row in db.session.execute(select(*columns)).all() if columns else []:
            for column, value in zip(columns, row, strict=True):
                text = json.dumps(value) if not isinstance(value, str) else value
                hits += [f"{table.name}.{column.name}" for needle in needles if needle and needle in (text or "")]
    return hits


def _file_hits(folder, needles):
    hits = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                data = handle.read()
            hits += [name for needle in needles if needle.encode() in data or needle.lower().encode() in data]
    return hits


def test_closing_the_account_leaves_no_trace_of_the_student(app, full_student, client):
    from tests.conftest import sign_in_as

    folder = privacy.export_dir()
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "student-%d-request-1.json" % full_student.id), "w") as handle:
        handle.write(export.as_json(full_student, "en"))
    needles = _identifiers(full_student)
    assert _text_hits(needles)  # the search finds them before
    student_id = full_student.id
    sign_in_as(client, full_student)
    assert "Applications" in client.get("/privacy/mine/close").get_data(as_text=True)
    response = post(client, "/privacy/mine/close", {"confirm": "y"}, token_from="/privacy/mine/close")
    assert response.status_code == 302
    db.session.expire_all()
    assert _text_hits(needles) == []
    assert _file_hits(folder, needles) == []
    assert _file_hits(app.config["SEARCH_INDEX_DIR"], needles) == []
    assert _file_hits(app.config.get("IMPORT_UPLOAD_DIR") or os.path.join(app.instance_path, "imports"), needles) == []
    assert db.session.get(User, student_id) is None
    assert sum(db.session.scalars(select(Opportunity.seats_taken))) == 0  # the event place is given back
    certificate = db.session.scalars(select(DeletionCertificate)).one()
    assert certificate.reason == "closed" and certificate.files_removed == 1
    assert certificate.counts["application"] == 1 and certificate.counts["user"] == 1
    outcome = db.session.scalars(select(AnonymisedOutcome)).one()
    assert outcome.state == "completed" and outcome.hours == Decimal("12.0")
    # The access log keeps that the record was viewed, without the student's values.
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.subject_id == student_id)).all()


def test_the_privacy_officer_erases_a_student_on_request(app, full_student, client_as):
    officer = client_as("admin")
    response = post(officer, f"/privacy/erase/{full_student.id}", {}, token_from="/privacy/requests")
    assert response.status_code == 302
    db.session.expire_all()
    assert _text_hits(_identifiers(full_student)) == []
    request = db.session.scalars(select(RightsRequest).where(RightsRequest.kind == "deletion")).one()
    assert request.state == "fulfilled" and request.student_id is None
    assert db.session.scalars(select(DeletionCertificate)).one().request_id == request.id


def test_the_sweep_deletes_only_what_passed_its_retention(app, make_user, make_opportunity):
    student = make_user("student")
    opp = make_opportunity()
    now = datetime(2030, 1, 10, tzinfo=UTC)
    old = Application(
        opportunity_id=opp.id,
        student_id=student.id,
        answer="old answer",
        state="completed",
        updated_at=now - timedelta(days=3 * 365),
        completed_on=date(2026, 6, 1),
    )
    ancient = Application(
        opportunity_id=make_opportunity().id,
        student_id=student.id,
        answer="ancient",
        state="completed",
        updated_at=now - timedelta(days=6 * 365),
    )
    live = Application(
        opportunity_id=make_opportunity().id,
        student_id=student.id,
        answer="live",
        state="submitted",
        updated_at=now - timedelta(days=6 * 365),
    )
    db.session.add_all([old, ancient, live])
    db.session.add_all(
        [
            Notification(user_id=student.id, kind="k", created_at=now - timedelta(days=400)),
            Notification(user_id=student.id, kind="fresh", created_at=now - timedelta(days=10)),
        ]
    )
    db.session.commit()
    old_id, ancient_id, live_id = old.id, ancient.id, live.id
    done = privacy.sweep(now=now)
    db.session.expire_all()
    assert db.session.get(Application, old_id).answer == ""  # the answer's 2 years are up
    assert db.session.get(Application, old_id).state == "completed"  # the outcome's 5 are not
    assert db.session.get(Application, ancient_id) is None  # 5 years: the row goes, a count stays
    assert db.session.get(Application, live_id).answer == "live"  # not finished: the clock waits
    assert db.session.scalars(select(AnonymisedOutcome)).one().state == "completed"
    assert [n.kind for n in db.session.scalars(select(Notification))] == ["fresh"]
    assert done["application"] == 1 and done["notification"] == 1
    # The student's account itself has years left.
    assert db.session.get(User, student.id) is not None


def test_the_sweep_erases_student_accounts_past_their_retention(app, make_user):
    student = make_user("student")
    student.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    teacher = make_user("teacher")
    teacher.created_at = datetime(2000, 1, 1, tzinfo=UTC)
    db.session.commit()
    student_id, teacher_id = student.id, teacher.id
    privacy.sweep(now=datetime(2028, 6, 1, tzinfo=UTC))
    db.session.expire_all()
    assert db.session.get(User, student_id) is None
    assert db.session.get(User, teacher_id) is not None
    assert db.session.scalars(select(DeletionCertificate)).one().reason == "retention"


def test_flask_privacy_sweep_runs(app):
    result = app.test_cli_runner().invoke(args=["privacy", "sweep", "--now", "2030-01-01"])
    assert result.exit_code == 0, result.output
    assert "past their retention" in result.output


def test_parent_facing_emails_exist_in_english_and_spanish(app):
    """A5: the notices to parents (the copy link, the breach notice) in both languages."""
    from cpspartners.mail import render_message

    with app.test_request_context():
        english = render_message("privacy_family_copy", "en", url="https://x.example/l")
        spanish = render_message("privacy_family_copy", "es", url="https://x.example/l")
    assert english[0] != spanish[0] and "https://x.example/l" in spanish[1] and "Abra este enlace" in spanish[1]


def test_account_settings_lead_a_student_to_their_records_and_to_closing(client_as):
    page = client_as("student").get("/account").get_data(as_text=True)
    assert "/privacy/mine" in page and "/privacy/mine/close" in page
    assert "/privacy/mine/close" not in client_as("teacher").get("/account").get_data(as_text=True)


def test_a_student_names_a_parent_and_a_specialist_confirms_it(app, client_as):
    student = client_as("student")
    response = post(
        student, "/privacy/mine/family", {"email": "Mom@Example.org", "language": "es"}, token_from="/privacy/mine"
    )
    assert response.status_code == 302
    link = db.session.scalars(select(FamilyLink)).one()
    assert (link.parent_email, link.parent_language, link.state) == ("mom@example.org", "es", "pending")
    assert privacy.confirmed_links("mom@example.org") == []  # nothing reaches the parent yet
    specialist = client_as("specialist")
    assert "mom@example.org" in specialist.get("/privacy/requests").get_data(as_text=True)
    post(specialist, f"/privacy/family-links/{link.id}/confirm", {}, token_from="/privacy/requests")
    db.session.expire_all()
    assert db.session.get(FamilyLink, link.id).state == "confirmed"
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "family_link_confirmed")).one()


def test_a_bad_correction_is_refused_in_the_students_language_and_writes_nothing(app, make_user, es_client):
    from tests.conftest import sign_in_as

    sign_in_as(es_client, make_user("student"))
    response = post(
        es_client, "/privacy/mine/corrections", {"field": "email", "value": "x"}, token_from="/privacy/mine"
    )
    assert response.status_code == 400
    response = post(es_client, "/privacy/mine/corrections", {"field": "name", "value": ""}, token_from="/privacy/mine")
    assert response.status_code == 400 and "obligatorio" in response.get_data(as_text=True)
    assert db.session.scalars(select(RightsRequest)).all() == []


def test_a_grade_correction_outside_the_grades_is_refused_at_the_correct_step(app, make_user):
    student = make_user("student")
    staff = make_user("specialist")
    request = privacy.open_request(student, "correction", field="grade", value="3")
    privacy.advance_correction(staff, request, "decide")
    with pytest.raises(RuleBroken):
        privacy.advance_correction(staff, request, "correct")
    db.session.expire_all()
    assert db.session.get(User, student.id).grade == 10
    assert db.session.get(RightsRequest, request.id).state == "decided"


def test_the_sweep_removes_saved_copies_past_their_keep_days(app, tmp_path):
    folder = tmp_path / "copies"
    folder.mkdir()
    old, fresh = folder / "student-1-request-1.json", folder / "student-2-request-2.json"
    old.write_text("{}")
    fresh.write_text("{}")
    now = datetime(2030, 3, 1, tzinfo=UTC)
    os.utime(old, (0, (now - timedelta(days=46)).timestamp()))
    os.utime(fresh, (0, (now - timedelta(days=44)).timestamp()))
    assert privacy.sweep(now=now, folder=str(folder))["files"] == 1
    assert not old.exists() and fresh.exists()
