"""Learning licences for families, end to end: a request with a confirmed email and no account,
the distributor's answer from its seat pool (waitlist included), the holder told in their
language how to start and when it ends, reminded before expiry, renewing, and the counts."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import LicenceRequest, Notification, SeatAllocation, SeatAssignment, SeatPool
from cpspartners.services import licences, pools
from tests.conftest import post

LINK = re.compile(r"https?://[^/\s]+(/licences/\S+)")


@pytest.fixture
def allocation(app, make_partner):
    pool = SeatPool(
        name="Coursera for families",
        name_es="Coursera para familias",
        provider=make_partner(name="Coursera"),
        total_seats=10,
        validity_days=120,
        remind_days_before=14,
    )
    allocation = SeatAllocation(pool=pool, distributor=make_partner(name="Parent University West"), seats=1)
    db.session.add_all([pool, allocation])
    db.session.commit()
    return allocation


@pytest.fixture
def staff(client_as, allocation):
    return client_as("partner_staff", partner=allocation.distributor)


def ask(client, allocation, email="parent@example.org", language="es", area=25, name="Rosa"):
    form = {"allocation_id": allocation.id, "name": name, "email": email, "language": language, "area": area}
    return post(client, "/licences", form, token_from="/licences")


def link_in(message):
    return LINK.search(message.get_content()).group(1)


def confirmed_request(client, allocation, smtp_server, **kwargs):
    assert ask(client, allocation, **kwargs).status_code == 200
    email = kwargs.get("email", "parent@example.org")
    assert client.get(link_in(smtp_server.last_to(email))).status_code == 200
    return db.session.scalars(select(LicenceRequest).where(LicenceRequest.email == email)).one()


def test_a_family_asks_without_an_account_and_confirms_its_email(client, allocation, smtp_server, staff):
    answer = ask(client, allocation)
    assert answer.status_code == 200 and "Check your email" in answer.get_data(as_text=True)
    req = db.session.scalars(select(LicenceRequest)).one()
    assert (req.status, req.name, req.language, req.community_area_number) == ("unconfirmed", "Rosa", "es", 25)
    mail = smtp_server.last_to("parent@example.org")
    assert mail["Subject"] == "Confirma tu solicitud de licencia de aprendizaje"
    assert "Parent University West" in mail.get_content()
    assert "parent@example.org" not in staff.get("/licences/manage").get_data(as_text=True)  # not before confirming
    assert client.get(link_in(mail)).status_code == 200
    db.session.refresh(req)
    assert req.status == "requested" and req.confirmed_at is not None
    told = db.session.scalars(select(Notification).where(Notification.user_id == staff.user.id)).one()
    assert told.kind == "licence_requested"
    assert "parent@example.org" in staff.get("/licences/manage").get_data(as_text=True)


def test_asking_twice_keeps_one_request_and_a_forged_link_confirms_nothing(client, allocation, smtp_server):
    ask(client, allocation)
    ask(client, allocation, name="Rosa M.")
    assert db.session.scalar(select(func.count()).select_from(LicenceRequest)) == 1
    assert client.get("/licences/confirm/not-a-token").status_code == 400
    assert db.session.scalars(select(LicenceRequest)).one().status == "unconfirmed"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"email": "not an email"}, "Enter a valid email address."),
        ({"name": ""}, "Write the name the licence is for."),
        ({"allocation_id": 0}, "Choose one of the organizations in the list."),
        ({"area": 99}, "Choose a community area from the list, or leave it empty."),
    ],
)
def test_bad_requests_are_refused_with_words_and_write_nothing(client, allocation, change, message):
    form = {"allocation_id": allocation.id, "name": "Rosa", "email": "p@example.org", "language": "en", "area": 0}
    answer = post(client, "/licences", {**form, **change}, token_from="/licences")
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LicenceRequest)) == 0


def test_the_distributor_gives_a_seat_and_the_holder_is_told_in_their_language(client, allocation, smtp_server, staff):
    req = confirmed_request(client, allocation, smtp_server)
    assert post(staff, f"/licences/manage/{req.id}/grant", token_from="/licences/manage").status_code == 302
    seat = db.session.scalars(select(SeatAssignment)).one()
    assert (seat.holder_name, seat.holder_email, seat.holder_language) == ("Rosa", "parent@example.org", "es")
    assert seat.expires_on == date.today() + timedelta(days=119)
    notice = smtp_server.last_to("parent@example.org")
    assert notice["Subject"] == "Tu licencia de Coursera para familias está lista"
    body = notice.get_content()
    assert "Cómo empezar" in body and "https://cps.edu/digitallearning" in body
    page = client.get(link_in(notice)).get_data(as_text=True)
    assert "Your licence runs from" in page and "How to start" in page
    assert db.session.get(LicenceRequest, req.id).status == "handled"
    assert "No request is waiting" in staff.get("/licences/manage").get_data(as_text=True)


def test_a_full_allocation_puts_the_family_on_the_waitlist_until_a_seat_is_free(client, allocation, smtp_server, staff):
    first = confirmed_request(client, allocation, smtp_server, email="first@example.org", language="en")
    second = confirmed_request(client, allocation, smtp_server, email="second@example.org", language="en")
    licences.grant(staff.user, first.id)
    licences.grant(staff.user, second.id)
    assert "You are on the waitlist" in smtp_server.last_to("second@example.org")["Subject"]
    assert licences.seat_of(second) is None and licences.waiting_entry(second) is not None
    pools.release(licences.seat_of(first).id)
    seat = licences.seat_of(second)
    assert seat is not None and seat.status == "active"
    assert licences.report().on_waitlist == 0


def test_only_the_distributor_asked_can_answer(client, allocation, smtp_server, client_as):
    req = confirmed_request(client, allocation, smtp_server)
    other = client_as("partner_staff")
    assert post(other, f"/licences/manage/{req.id}/grant", token_from="/licences/manage").status_code == 403
    assert db.session.get(LicenceRequest, req.id).status == "requested"
    assert db.session.scalar(select(func.count()).select_from(SeatAssignment)) == 0


def test_declined_request_is_answered_once(client, allocation, smtp_server, staff):
    req = confirmed_request(client, allocation, smtp_server)
    post(staff, f"/licences/manage/{req.id}/decline", token_from="/licences/manage")
    assert db.session.get(LicenceRequest, req.id).status == "withdrawn"
    answer = post(staff, f"/licences/manage/{req.id}/grant", token_from="/licences/manage", follow_redirects=True)
    assert "This request has already been answered." in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SeatAssignment)) == 0


def test_the_holder_renews_from_the_reminder_window_on(client, allocation, smtp_server, staff):
    req = confirmed_request(client, allocation, smtp_server)
    start = date(2026, 3, 1)
    licences.grant(staff.user, req.id, today=start)
    seat = licences.seat_of(req)
    with pytest.raises(licences.RuleBroken, match="You can renew from June 14, 2026"):
        licences.renew_by_holder(req, today=start + timedelta(days=10))
    licences.renew_by_holder(req, today=date(2026, 6, 20))
    db.session.refresh(seat)
    assert (seat.expires_on, seat.renewals) == (date(2026, 10, 26), 1)


def test_the_holder_page_renews_with_a_form_and_refuses_a_forged_link(client, allocation, smtp_server, staff):
    req = confirmed_request(client, allocation, smtp_server)
    licences.grant(staff.user, req.id, today=date.today() - timedelta(days=110))
    token = link_in(smtp_server.last_to("parent@example.org")).rsplit("/", 1)[1]
    page = client.get(f"/licences/mine/{token}").get_data(as_text=True)
    assert "Renew my licence" in page
    post(client, f"/licences/mine/{token}/renew", token_from=f"/licences/mine/{token}")
    assert licences.seat_of(req).renewals == 1
    assert client.get("/licences/mine/forged").status_code == 404


def test_reminders_carry_the_renewal_link_once(client, allocation, smtp_server, staff, app):
    req = confirmed_request(client, allocation, smtp_server)
    licences.grant(staff.user, req.id, today=date(2026, 3, 1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pools", "remind", "--today", "2026-06-20"])
    assert "1 reminders sent" in result.output, result.output
    reminder = smtp_server.last_to("parent@example.org")
    assert "renuévala" in reminder.get_content() and "/licences/mine/" in reminder.get_content()
    again = runner.invoke(args=["pools", "remind", "--today", "2026-06-21"])
    assert "0 reminders sent" in again.output


def test_specialists_see_requests_waits_and_use_by_community_area(client, allocation, smtp_server, staff, client_as):
    granted = confirmed_request(client, allocation, smtp_server, email="a@example.org", area=25)
    confirmed_request(client, allocation, smtp_server, email="b@example.org", area=0)
    ask(client, allocation, email="c@example.org")  # never confirmed
    licences.grant(staff.user, granted.id)
    report = licences.report()
    assert report.by_status == {"handled": 1, "requested": 1, "unconfirmed": 1}
    assert report.active_seats == 1 and report.median_wait_days is not None
    austin = next(a for a in report.areas if a.area == "Austin")
    assert (austin.requests, austin.handled, austin.active_seats) == (1, 1, 1)
    html = client_as("specialist").get("/licences/report").get_data(as_text=True)
    assert "Austin" in html and "Licences in use: 1" in html
    assert "a@example.org" not in html  # counts, never the families' addresses


def test_requests_are_pruned_when_their_keeping_time_is_over(client, allocation, smtp_server, staff, app):
    ask(client, allocation, email="never@example.org")
    held = confirmed_request(client, allocation, smtp_server, email="held@example.org")
    licences.grant(staff.user, held.id, today=date(2026, 1, 1))
    confirmed_request(client, allocation, smtp_server, email="waiting@example.org")  # stays: not answered
    today = date.today()
    assert licences.prune(today) == 0  # nothing is old yet
    unconfirmed = db.session.scalars(select(LicenceRequest).where(LicenceRequest.email == "never@example.org")).one()
    unconfirmed.created_at -= timedelta(days=31)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["pools", "prune-requests", "--today", today.isoformat()])
    assert "1 licence requests deleted" in result.output
    # The held licence ended 2026-04-30 but was answered today: the request goes a year after the later.
    pools.expire(date(2026, 5, 1))
    assert licences.prune(today + timedelta(days=364)) == 0
    assert licences.prune(today + timedelta(days=367)) == 1
    left = set(db.session.scalars(select(LicenceRequest.email)))
    assert "waiting@example.org" in left and "never@example.org" not in left
