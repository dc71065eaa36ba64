"""Incidents (S10): the notice clock, the affected students from the access log, the notices."""

from datetime import UTC, datetime, timedelta

from cpspartners.privacy import notices
from cpspartners.services import audit, privacy
from tests.conftest import post


def test_an_incident_is_due_in_30_days_and_lists_the_students_viewed_in_its_window(app, make_user):
    officer = make_user("admin")
    staff = make_user("specialist")
    seen, unseen = make_user("student"), make_user("student")
    audit.log_student_record_access(staff, seen, "applications.detail")
    now = datetime.now(UTC)
    incident = privacy.open_incident(
        officer, "Stolen laptop", now, now - timedelta(days=1), now + timedelta(days=1), "Names and grades"
    )
    due = incident.parent_notice_due
    assert (due.replace(tzinfo=None) if due.tzinfo is None else due.astimezone(UTC).replace(tzinfo=None)) == (
        now + timedelta(days=30)
    ).replace(tzinfo=None)
    assert [s.id for s in privacy.affected_students(incident)] == [seen.id]
    assert unseen.id not in privacy.affected_student_ids(now - timedelta(days=1), now + timedelta(days=1))
    assert privacy.affected_student_ids(now - timedelta(days=9), now - timedelta(days=8)) == []


def test_the_notice_has_every_required_field_in_english_and_spanish(app, make_user):
    officer = make_user("admin")
    now = datetime.now(UTC)
    incident = privacy.open_incident(officer, "Drill", now, now, now, "Names", operator_name="Hosting Co")
    for language, words in (("en", "fraud alert"), ("es", "alerta de fraude")):
        subject, body = notices.breach_notice(incident, 3, language)
        for marker in notices.REQUIRED:
            assert marker in body, (language, marker)
        assert words in body and "Hosting Co" in body and "1-877-438-4338" in body and "3" in body
    assert notices.breach_notice(incident, 3, "es")[0].startswith("Aviso")


def test_the_officer_records_an_incident_and_reads_the_drafts(app, client_as):
    officer = client_as("admin")
    response = post(
        officer,
        "/privacy/incidents",
        {
            "title": "Lost export",
            "discovered_on": "2026-11-02",
            "window_start": "2026-11-01",
            "window_end": "2026-11-02",
            "data_involved": "Names",
        },
        token_from="/privacy/incidents",
    )
    assert response.status_code == 302
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Parents' notice due Dec 2, 2026" in page and 'lang="es"' in page and "Aviso" in page


def test_a_bad_window_is_refused_with_a_message(app, client_as):
    officer = client_as("admin")
    response = post(
        officer,
        "/privacy/incidents",
        {
            "title": "X",
            "discovered_on": "2026-11-02",
            "window_start": "2026-11-05",
            "window_end": "2026-11-01",
            "data_involved": "Names",
        },
        token_from="/privacy/incidents",
    )
    assert response.status_code == 400
    assert "must not be before" in response.get_data(as_text=True)
