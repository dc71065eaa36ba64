"""Outcome report pages, the credentials queue, feedback pages, seat pools and personal calendars."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Credential, SeatAllocation, SeatAssignment, SeatPool, SeatWaitlistEntry
from cpspartners.services import applications, feedback, pools, visit_requests
from tests.conftest import csrf_token, post, sign_in_as
from tests.test_applications_visits import make_request
from tests.test_outcomes import GOOD, completed  # noqa: F401  (fixture)


def as_user(app, user):
    """A client signed in as ``user`` (the ``people`` fixture's accounts start unapproved)."""
    user.is_approved = True
    db.session.commit()
    return sign_in_as(app.test_client(), user)


def csv_rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# --- Outcomes ------------------------------------------------------------------------------


def test_outcome_report_sorts_pages_and_exports(app, people, completed, curie):  # noqa: F811
    client = as_user(app, people["specialist"])
    page = client.get("/outcomes?group=school&year=2025-26&sort=reached&dir=desc")
    assert page.status_code == 200
    first_row = page.text.split("<tbody>")[1].split("</tr>")[0]
    assert curie.long_name in first_row  # the only school with a student reached sorts first
    assert "Page 1 of" in page.text  # 630 schools, 50 a page
    last = client.get("/outcomes?group=school&year=2025-26&page=99999")
    assert last.status_code == 200
    odd = client.get("/outcomes?group=planet&year=1999-00&sort=%3Cscript%3E&page=abc")
    assert odd.status_code == 200 and "<script>" not in odd.text
    rows = csv_rows(client.get("/outcomes/export.csv?group=network&year=2025-26"))
    assert rows[0][:3] == ["group", "enrolment", "students_reached"]
    assert [r for r in rows[1:] if r[0] == curie.network][0][5] == "12.0"


def test_specialists_confirm_credentials_with_the_evidence_shown(app, people, completed):  # noqa: F811
    credential = Credential(
        student_id=people["student"].id,
        kind="certification",
        name="OSHA 10",
        earned_on=date(2026, 5, 1),
        evidence="Card number 123",
    )
    db.session.add(credential)
    db.session.commit()
    client = as_user(app, people["specialist"])
    page = client.get("/outcomes/credentials").text
    assert "OSHA 10" in page and "Card number 123" in page
    assert people["student"].email not in page
    post(client, f"/outcomes/credentials/{credential.id}/confirm", token_from="/outcomes/credentials")
    assert db.session.get(Credential, credential.id).status == "confirmed"
    again = post(
        client,
        f"/outcomes/credentials/{credential.id}/reject",
        token_from="/outcomes/credentials",
        follow_redirects=True,
    )
    assert "already been reviewed" in again.text
    assert db.session.get(Credential, credential.id).status == "confirmed"
    assert client.post(f"/outcomes/credentials/{credential.id}/reject").status_code == 400  # no CSRF token


def test_partner_staff_record_a_credential_only_for_their_completed_applications(app, people, completed):  # noqa: F811
    staff = as_user(app, people["staff"])
    form = staff.get("/outcomes/credentials/new").text
    assert "Welding camp" in form and people["student"].email not in form
    data = {
        "application_id": completed.id,
        "kind": "college_credit",
        "name": "Intro to welding",
        "credits": "3",
        "earned_on": "2026-05-01",
        "evidence": "Transcript from Daley College",
    }
    response = post(staff, "/outcomes/credentials/new", data, token_from="/outcomes/credentials/new")
    assert response.status_code == 302
    credential = db.session.scalars(select(Credential)).one()
    assert credential.student_id == people["student"].id and credential.status == "claimed"
    other = as_user(app, people["other_staff"])
    refused = post(other, "/outcomes/credentials/new", data, token_from="/outcomes/credentials/new")
    assert refused.status_code == 400
    bad = post(
        staff,
        "/outcomes/credentials/new",
        {**data, "earned_on": "yesterday", "credits": "-1"},
        token_from="/outcomes/credentials/new",
    )
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    assert len(db.session.scalars(select(Credential)).all()) == 1


# --- Feedback ------------------------------------------------------------------------------


def test_specialists_read_and_filter_responses_partners_see_only_scorecards(app, people, completed):  # noqa: F811
    feedback.submit(people["student"], completed, GOOD, "Loved the =welding")
    feedback.submit(people["staff"], completed, {**GOOD, "engagement": 2}, "Students were shy")
    client = as_user(app, people["specialist"])
    page = client.get("/outcomes/feedback?role=student").text
    assert "Loved the =welding" in page and "Students were shy" not in page
    rows = csv_rows(client.get(f"/outcomes/feedback.csv?partner={people['partner'].id}"))
    assert len(rows) == 3 and {r[4] for r in rows[1:]} == {"student", "partner"}
    assert "'Loved the =welding" not in [r[-1] for r in rows]  # not at the start: no quote needed
    assert client.get("/outcomes/feedback?partner=abc&role=%00").status_code == 200
    staff_page = as_user(app, people["staff"]).get("/outcomes/scorecards").text
    assert "Welding camp" in staff_page and "2.50" in staff_page  # engagement average (3 + 2) / 2
    assert "Loved the" not in staff_page and "Students were shy" not in staff_page
    assert as_user(app, people["staff"]).get("/outcomes/feedback").status_code == 403


# --- Seat pools ----------------------------------------------------------------------------


@pytest.fixture
def pool(people):
    pool = SeatPool(
        name="Google Career Certificates",
        name_es="Certificados de Google",
        provider=people["other_partner"],
        total_seats=10,
        validity_days=120,
        remind_days_before=14,
    )
    db.session.add(pool)
    db.session.commit()
    return pool


def test_specialist_creates_a_pool_and_allocates(app, people):
    client = as_user(app, people["specialist"])
    data = {
        "name": "Licences",
        "name_es": "Licencias",
        "provider": people["other_partner"].name.upper(),
        "total_seats": "3",
        "validity_days": "120",
        "remind_days_before": "14",
    }
    response = post(client, "/pools/new", data, token_from="/pools/new")
    created = db.session.scalars(select(SeatPool)).one()
    assert created.provider_id == people["other_partner"].id  # the exact name, case aside: nothing to choose
    assert response.headers["Location"].endswith(f"/pools/{created.id}")
    page = f"/pools/{created.id}"
    word = people["partner"].name.split()[0]
    offered = post(client, page, {"distributor": word, "seats": "2"}, token_from=page)
    assert offered.status_code == 400 and "Choose the distributor from the list." in offered.text
    assert f'value="{people["partner"].id}"' in offered.text and "Organizations that match" in offered.text
    nothing = post(client, page, {"distributor": "Zzyzx Guild", "seats": "2"}, token_from=page)
    assert nothing.status_code == 400 and "We found no organization called" in nothing.text
    assert post(client, page, {"seats": "2"}, token_from=page).status_code == 400
    for odd in ("\x00\u202e", "<b>x</b>", "x" * 10_000, "' OR 1=1 --", "*"):
        assert post(client, page, {"distributor": odd, "seats": "2"}, token_from=page).status_code == 400
    too_many = post(
        client, page, {"distributor": word, "distributor_id": people["partner"].id, "seats": "5"}, token_from=page
    )
    assert too_many.status_code == 400 and "Not enough seats left to allocate in this pool: 3." in too_many.text
    post(client, page, {"distributor": word, "distributor_id": people["partner"].id, "seats": "2"}, token_from=page)
    assert db.session.scalars(select(SeatAllocation)).one().seats == 2
    rows = csv_rows(client.get("/pools/export.csv"))
    assert rows[1][1:6] == ["Licences", people["other_partner"].name, "3", "2", "1"]
    bad = post(
        client,
        "/pools/new",
        {**data, "total_seats": "0", "validity_days": "x"},
        token_from="/pools/new",
    )
    assert bad.status_code == 400
    assert len(db.session.scalars(select(SeatPool)).all()) == 1


def test_distributor_assigns_renews_releases_and_the_waitlist_moves_up(app, people, pool):
    allocation = pools.allocate(pool.id, people["partner"].id, 1)
    staff = as_user(app, people["staff"])
    assign = f"/pools/seats/{allocation.id}/assign"
    post(
        staff,
        assign,
        {"holder_name": "Familia Reyes", "holder_email": "mama@example.org", "holder_language": "es"},
        token_from="/pools/seats",
    )
    response = post(
        staff,
        assign,
        {"for_whom": "student", "holder_name": "Ben", "holder_language": "en"},
        token_from="/pools/seats",
        follow_redirects=True,
    )
    assert "added to the waitlist" in response.text
    page = staff.get("/pools/seats").text
    assert "Familia Reyes" in page and "Waitlist" in page and "Ben" in page
    missing = post(staff, assign, {"holder_language": "en"}, token_from="/pools/seats", follow_redirects=True)
    assert "Write the student&#39;s or the family&#39;s name." in missing.text
    family = {"holder_name": "Familia Ruiz", "holder_language": "es"}
    no_email = post(staff, assign, family, token_from="/pools/seats", follow_redirects=True)
    assert "Give an adult&#39;s email" in no_email.text
    seat = db.session.scalars(select(SeatAssignment)).one()
    expires = seat.expires_on
    post(staff, f"/pools/seats/assignments/{seat.id}/renew", token_from="/pools/seats")
    db.session.refresh(seat)
    assert seat.expires_on == expires + timedelta(days=120)
    # Another distributor's staff cannot touch this seat.
    other = as_user(app, people["other_staff"])
    assert (
        other.post(
            f"/pools/seats/assignments/{seat.id}/release", data={"csrf_token": csrf_token(other, "/pools/seats")}
        ).status_code
        == 403
    )
    post(staff, f"/pools/seats/assignments/{seat.id}/release", token_from="/pools/seats")
    (promoted,) = db.session.scalars(select(SeatAssignment).where(SeatAssignment.status == "active")).all()
    # The student waiting by name gets the seat with a code to claim it, shown to the distributor.
    assert promoted.holder_name == "Ben" and promoted.holder_user_id is None and promoted.claim_code
    assert pools.shown_code(promoted.claim_code) in staff.get("/pools/seats").text
    assert db.session.scalars(select(SeatWaitlistEntry)).one().status == "assigned"


def test_pools_remind_emails_holders_in_their_language(app, people, pool, smtp_server):
    allocation = pools.allocate(pool.id, people["partner"].id, 5)
    today = date.today()
    family = pools.assign(
        allocation.id,
        pools.Holder(name="Familia Reyes", email="mama@example.org", language="es"),
        today=today - timedelta(days=110),
    )
    student = pools.assign(
        allocation.id, pools.Holder(user_id=people["student2"].id, language="en"), today=today - timedelta(days=115)
    )
    pools.assign(allocation.id, pools.Holder(name="Later", email="later@example.org"), today=today)
    result = app.test_cli_runner().invoke(args=["pools", "remind"])
    assert "2 reminders sent" in result.output, result.output
    spanish = smtp_server.last_to("mama@example.org")
    assert spanish["Content-Language"] == "es" and "Certificados de Google" in spanish["Subject"]
    english = smtp_server.last_to(people["student2"].email)
    assert "Google Career Certificates" in english["Subject"]
    assert {family.id, student.id} == {
        s.id for s in db.session.scalars(select(SeatAssignment).where(SeatAssignment.reminded_on.is_not(None)))
    }
    again = app.test_cli_runner().invoke(args=["pools", "remind"])
    assert "0 reminders sent" in again.output


# --- Personal calendar ---------------------------------------------------------------------


def test_personal_calendar_lists_my_deadlines_and_visits_and_can_be_revoked(app, people, make_opportunity):
    soon = date.today() + timedelta(days=10)
    saved = make_opportunity(title="Saved camp", deadline=soon, grade_min=9, partner=people["partner"])
    applied = make_opportunity(
        title="Applied lab", starts_on=soon + timedelta(days=5), grade_min=9, partner=people["partner"]
    )
    make_opportunity(title="Someone else's", deadline=soon, grade_min=9)
    applications.apply(people["student"], saved, kind="interest")
    applications.apply(people["student"], applied)
    student = as_user(app, people["student"])
    profile = student.get("/account").text
    url = profile.split('id="calendar-url" readonly value="')[1].split('"')[0]
    path = url.replace("http://localhost", "")
    feed = app.test_client().get(path)  # no sign-in: calendar apps fetch it on their own
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert "Saved camp" in body and "Applied lab" in body and "Someone else" not in body
    post(student, "/calendar/new-link", token_from="/account")
    assert app.test_client().get(path).status_code == 404
    assert app.test_client().get(path[:-8] + "abc.ics").status_code == 404
    new = student.get("/account").text.split('id="calendar-url" readonly value="')[1].split('"')[0]
    assert new != url and app.test_client().get(new.replace("http://localhost", "")).status_code == 200


def test_teacher_calendar_has_the_accepted_visit(app, people):
    req = make_request(people)
    visit_requests.accept(people["staff"], req, req.date_1)
    from cpspartners.calendars import personal

    for person in (people["teacher"], people["staff"]):
        body = app.test_client().get(f"/calendar/{personal.token_for(person)}.ics").get_data(as_text=True)
        assert "Visit: " in body and req.date_1.strftime("%Y%m%d") in body


def test_refusals_are_in_the_reader_s_language(app, people, pool):
    pools.allocate(pool.id, people["partner"].id, 9)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        with pytest.raises(pools.PoolError) as refused:
            pools.allocate(pool.id, people["other_partner"].id, 5)
        assert str(refused.value) == "No quedan cupos suficientes por asignar en este programa: 1."
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(pools.PoolError) as refused:
            pools.allocate(pool.id, people["other_partner"].id, 5)
        assert str(refused.value) == "Not enough seats left to allocate in this pool: 1."
