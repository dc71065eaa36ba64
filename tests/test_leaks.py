"""Nothing leaks sideways (S4, S13, X6, X7, X8): no-store on signed-in pages, no email or name
in any URL, no email or student name in the logs, staff exports audited and limited."""

import logging
import re

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry
from cpspartners.services import applications
from tests.conftest import TEST_PASSWORD, consent_on_record, post, sign_in_as

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def test_signed_in_pages_are_not_cached_and_public_ones_are_not_forced(app, people, client):
    for role, path in (
        ("student", "/applications/mine"),
        ("staff", "/applications/received"),
        ("specialist", "/review"),
    ):
        response = sign_in_as(app.test_client(), people[role]).get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", role
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


# Addresses whose ``name`` is a file's, not a person's: the HSDS schema files.
NOT_A_PERSON = {"/api/hsds/schemas/<path:name>", "/newsletters/images/<name>"}  # file names, not people


def test_no_route_takes_an_email_or_a_name_in_its_address(app):
    for rule in app.url_map.iter_rules():
        if rule.rule in NOT_A_PERSON:
            continue
        assert not {"email", "name", "first_name"} & set(rule.arguments), rule.rule


def test_no_link_on_signed_in_pages_carries_an_email_or_a_name(app, people, make_opportunity):
    opp = make_opportunity(partner=people["partner"])
    application = applications.apply(people["student"], opp, "Hi")
    consent_on_record(people["student"], people["partner"])
    pages = {
        "student": ["/", "/applications/mine", f"/applications/{application.id}", "/account", "/notifications"],
        "staff": ["/applications/received", f"/applications/{application.id}", "/partner"],
        "specialist": ["/review", f"/applications/{application.id}", "/admin/pending"],
    }
    names = {p.name.split()[0].lower() for p in people.values() if hasattr(p, "email")}
    for role, paths in pages.items():
        client = sign_in_as(app.test_client(), people[role])
        for path in paths:
            html = client.get(path).get_data(as_text=True)
            for url in re.findall(r'(?:href|action|src)="([^"]*)"', html):
                assert not EMAIL.search(url), (role, path, url)
                assert not re.search(r"[?&](email|name)=", url), (role, path, url)
                words = set(re.split(r"[^a-z]+", url.lower()))
                assert not names & words - {"staff", "other", "spec"}, (role, path, url)


def test_logs_of_typical_flows_hold_no_email_and_no_student_name(app, people, make_opportunity, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    post(client, "/account/sign-in", {"email": people["student"].email, "password": "wrong password"})
    post(client, "/account/sign-in", {"email": "nobody@example.org", "password": "wrong password"})
    post(client, "/account/reset", {"email": people["student2"].email}, token_from="/account/reset")
    form = {"role": "student", "name": "Zoe Quintana", "email": "zoe@example.org", "password": TEST_PASSWORD}
    form.update(confirm=TEST_PASSWORD, school_id=str(people["student"].school_id), grade="9", language="en")
    post(client, "/account/register", form, token_from="/account/register")
    opp = make_opportunity(partner=people["partner"])
    student = sign_in_as(app.test_client(), people["student"])
    post(
        student,
        f"/applications/apply/{opp.slug}",
        {"kind": "apply", "answer": "Me"},
        token_from=f"/opportunities/{opp.slug}",
    )
    app.test_cli_runner().invoke(args=["notifications", "send"])
    staff = sign_in_as(app.test_client(), people["staff"])
    staff.get("/applications/received")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records, "the flows logged nothing: the scan would prove nothing"
    assert not EMAIL.search(text), EMAIL.search(text)
    for name in ("Ana", "Reyes", "Zoe", "Quintana"):
        assert name not in text


def test_staff_exports_of_student_text_are_audited_and_rate_limited(app, make_user):
    app.config["STAFF_EXPORT_LIMIT"] = "2 per hour"
    specialist = sign_in_as(app.test_client(), make_user("specialist"))
    assert specialist.get("/outcomes/feedback.csv?role=student").status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "exported")).one()
    assert "feedback-responses.csv" in entry.note and "role=student" in entry.note
    assert specialist.get("/outcomes/feedback.csv").status_code == 200
    assert specialist.get("/outcomes/feedback.csv").status_code == 429


@pytest.mark.parametrize("role", ["partner_staff", "student", "teacher"])
def test_only_specialists_export_student_text(app, client_as, role):
    assert client_as(role).get("/outcomes/feedback.csv").status_code == 403


def test_a_partner_account_cannot_read_more_than_its_hourly_share(app, people, make_opportunity):
    app.config["PARTNER_APPLICATION_LIMIT"] = "3 per hour"
    opp = make_opportunity(partner=people["partner"])
    application = applications.apply(people["student"], opp, "Hi")
    staff = sign_in_as(app.test_client(), people["staff"])
    codes = [staff.get(f"/applications/{application.id}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


EXTERNAL = re.compile(r'<(script|iframe|img|link|embed|object)\b[^>]*(?:src|href)="(?:https?:)?//', re.I)


def test_no_page_loads_anything_from_another_site(app, people, make_opportunity):
    """S4: no third-party script, pixel, frame or font on any page a student, partner or visitor sees."""
    opp = make_opportunity(partner=people["partner"])
    visitor = app.test_client()
    student = sign_in_as(app.test_client(), people["student"])
    staff = sign_in_as(app.test_client(), people["staff"])
    for client, path in (
        (visitor, "/"),
        (visitor, f"/opportunities/{opp.slug}"),
        (visitor, "/account/register"),
        (student, "/applications/mine"),
        (student, "/account"),
        (staff, "/applications/received"),
    ):
        html = client.get(path).get_data(as_text=True)
        assert not EXTERNAL.search(html), (path, EXTERNAL.search(html))
    assert "script-src 'self'" in visitor.get("/").headers["Content-Security-Policy"]


def test_student_registration_has_no_click_wrap_and_student_pages_no_outside_sign_up(app, people, make_opportunity):
    """S13: no third-party terms to accept, no partner's own sign-up form or link for students."""
    html = app.test_client().get("/account/register").get_data(as_text=True)
    assert not re.search(r'type="checkbox"[^>]*name="(terms|agree|tos)', html)
    opp = make_opportunity(partner=people["partner"])
    student = sign_in_as(app.test_client(), people["student"])
    for path in ("/applications/mine", f"/opportunities/{opp.slug}", "/for-you"):
        page = student.get(path).get_data(as_text=True)
        forms = re.findall(r'<form[^>]*action="([^"]*)"', page)
        assert all(not action.startswith(("http:", "https:", "//")) for action in forms), (path, forms)


def test_the_admin_account_search_keeps_the_email_out_of_every_address(app, client_as, make_user):
    from tests.conftest import post

    make_user("teacher", email="findme-teacher@example.org")
    make_user("teacher", email="someone-else@example.org")
    admin = client_as("admin")
    sent = post(admin, "/admin/users", {"q": "findme", "role": "teacher"}, token_from="/admin/users")
    assert sent.status_code == 302 and "findme" not in sent.headers["Location"]
    assert sent.headers["Location"].endswith("/admin/users?role=teacher")
    page = admin.get(sent.headers["Location"]).get_data(as_text=True)
    assert "findme-teacher@example.org" in page and "someone-else@example.org" not in page
    assert 'value="findme"' in page  # the box shows what is being filtered on
    cleared = post(admin, "/admin/users", {"clear": "1"}, token_from="/admin/users")
    assert "someone-else@example.org" in admin.get(cleared.headers["Location"]).get_data(as_text=True)
    forged = admin.post("/admin/users", data={"q": "findme"})  # no CSRF token: nothing kept
    assert forged.status_code in (302, 400)
    assert "someone-else@example.org" in admin.get("/admin/users").get_data(as_text=True)
