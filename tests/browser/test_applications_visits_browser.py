"""The signed-in workflow pages in real Chromium: each role signs in through the form once,
then every page is checked with axe-core (WCAG 2.1 A/AA) at 390 and 1280 px in English and
Spanish, with screenshots; one form is also checked showing its errors."""

import os
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, School, User
from cpspartners.services import applications, feedback, messages, visit_requests
from tests.browser.conftest import SCREENSHOTS, pass_second_factor
from tests.browser.test_public_pages_browser import run_axe
from tests.conftest import consent_on_record

pytestmark = pytest.mark.browser
PASSWORD = "browser test password"
# Emails on example.org: the sign-in form (rightly) refuses reserved domains such as .invalid.
PASSWORDS = {
    role: (f"{role.replace('_', '-')}@browser.example.org", PASSWORD)
    for role in ("student", "teacher", "partner_staff", "specialist")
}


def _accounts():
    school = db.session.scalars(select(School).where(School.long_name.like("%Curie%"))).first()
    partner = db.session.scalars(select(Partner).where(Partner.status == "active").order_by(Partner.id)).first()
    users = {}
    for role, (email, password) in PASSWORDS.items():
        user = User(
            email=email,
            role=role,
            name=f"Browser {role.title()}",
            is_approved=True,
            school_id=school.id if role in ("student", "teacher") else None,
            grade=10 if role == "student" else None,
            partner_id=partner.id if role == "partner_staff" else None,
        )
        user.set_password(password)
        db.session.add(user)
        users[role] = user
    db.session.commit()
    return users


def _listing(partner, title, slug):
    opp = Opportunity(
        partner_id=partner.id,
        title=title,
        slug=slug,
        kind="guest_speaker",
        status="published",
        summary="Engineers visit your class.",
        grade_min=6,
        grade_max=12,
        capacity=5,
        deadline=date.today() + timedelta(days=30),
        modality="in_person",
    )
    db.session.add(opp)
    db.session.commit()
    return opp


@pytest.fixture(scope="module")
def workflow_urls(live_server):
    """Demo accounts plus one application, one completed application and two requests."""
    with live_server.app.app_context():
        users = _accounts()
        partner = users["partner_staff"].partner
        applied = _listing(partner, "Robot builders visit", "browser-robot-builders")
        done = _listing(partner, "Bridge engineers visit", "browser-bridge-engineers")
        fresh = _listing(partner, "Coding mentors visit", "browser-coding-mentors")
        consent_on_record(users["student"], partner)  # the partner sees and answers the application
        application = applications.apply(users["student"], applied, "Me encantan los robots.")
        messages.post(users["partner_staff"], application, "Can you bring your school ID on the day?")
        completed = applications.apply(users["student"], done, "")
        applications.move(completed, "accepted", users["partner_staff"])
        applications.move(completed, "completed", users["partner_staff"], hours=3)
        later = date.today() + timedelta(days=12)
        accepted = visit_requests.create(
            users["teacher"], partner, "Robots in factories", 9, 28, [later], opportunity=applied
        )
        visit_requests.accept(users["partner_staff"], accepted, later)
        waiting = visit_requests.create(
            users["teacher"], partner, "Bridges", 10, 25, [later, later + timedelta(days=1)]
        )
        assert feedback.pending(users["student"])
        return {
            "student": {
                "apply": f"/opportunities/{fresh.slug}",
                "my-applications": "/applications/mine",
                "application": f"/applications/{application.id}",
                "notifications": "/notifications",
                "survey": f"/outcomes/survey/applications/{completed.id}",
            },
            "teacher": {
                "find": "/visits/find?q=visit",
                "request-form": f"/visits/new?opportunity={fresh.id}",
                "my-requests": "/visits/mine",
                "request": f"/visits/{accepted.id}",
            },
            "partner_staff": {
                "applications": "/applications/received",
                "partner-application": f"/applications/{application.id}",
                "inbox": "/visits/received",
                "partner-request": f"/visits/{waiting.id}",
                "dashboard": "/partner",
            },
            "specialist": {
                "flagged": "/visits/flagged",
                "specialist-request": f"/visits/{waiting.id}",
                "reassign-search": f"/visits/{waiting.id}?partner_q=Austin",
                "reassign-no-match": f"/visits/{waiting.id}?partner_q=zzqqxx",
                "specialist-partner": f"/review/partners/{partner.id}",
            },
        }


def sign_in(page, live_server, role):
    email, password = PASSWORDS[role]
    page.goto(live_server.url + "/account/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    pass_second_factor(page, email)
    assert "/account/sign-in" not in page.url, f"{role} could not sign in: {page.locator('main').inner_text()[:300]}"


@pytest.mark.parametrize("role", ["student", "teacher", "partner_staff", "specialist"])
def test_signed_in_pages_pass_axe(live_server, page_factory, axe_source, workflow_urls, role):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page = page_factory(lang=None, base_url=live_server.url)
    sign_in(page, live_server, role)
    failures = {}
    for lang in ("en", "es"):
        page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in workflow_urls[role].items():
                response = page.goto(live_server.url + path)
                assert response.status == 200, path
                assert page.get_attribute("html", "lang") == lang
                page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{lang}-{width}.png"), full_page=True)
                violations = run_axe(page, axe_source)
                if violations:
                    failures[f"{path} [{lang}, {width}px]"] = violations
    assert failures == {}


def test_a_form_showing_its_errors_passes_axe(live_server, page_factory, axe_source, workflow_urls):
    page = page_factory(lang=None, javascript=True, base_url=live_server.url)
    sign_in(page, live_server, "teacher")
    page.goto(live_server.url + workflow_urls["teacher"]["request-form"])
    page.fill("#topic", "")
    page.fill("#class_size", "0")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".field-error").count() >= 3
    page.screenshot(path=os.path.join(SCREENSHOTS, "request-form-errors-en-1280.png"), full_page=True)
    assert run_axe(page, axe_source) == []
