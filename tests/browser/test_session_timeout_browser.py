"""WCAG 2.2.1 Timing Adjustable (A3) in Chromium: before the inactivity limit the page warns, a
key press keeps the session, and the warning passes axe; a staff account signs in through its
second step."""

import pytest

from cpspartners.extensions import db
from cpspartners.models import School, User
from tests.browser.conftest import pass_second_factor
from tests.browser.test_public_pages_browser import run_axe

pytestmark = pytest.mark.browser
PASSWORD = "browser timeout password"


@pytest.fixture
def short_sessions(live_server):
    """Sessions that end after 30 s of inactivity, warned 25 s before: the warning shows ~5 s in."""
    config = live_server.app.config
    saved = {key: config[key] for key in ("SESSION_IDLE_TIMEOUT", "SESSION_WARNING_SECONDS")}
    config.update(SESSION_IDLE_TIMEOUT=30, SESSION_WARNING_SECONDS=25)
    yield
    config.update(saved)


def _account(live_server, email, role):
    with live_server.app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == email)).first()
        if user is None:
            curie = db.session.scalars(db.select(School).where(School.long_name.like("%Curie%"))).first()
            user = User(email=email, role=role, name="Timeout", is_approved=True)
            if role == "student":
                user.school_id, user.grade = curie.id, 10
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
    return email


def _sign_in(page, live_server, email):
    page.goto(live_server.url + "/account/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    pass_second_factor(page, email)


def test_the_warning_appears_and_a_key_press_keeps_the_session(live_server, page_factory, axe_source, short_sessions):
    email = _account(live_server, "timeout-student@example.org", "student")
    page = page_factory(base_url=live_server.url)
    _sign_in(page, live_server, email)
    page.goto(live_server.url + "/applications/mine")
    warning = page.locator("#session-warning")
    warning.wait_for(state="visible", timeout=15000)
    assert page.evaluate("document.activeElement.id") == "session-stay"
    assert run_axe(page, axe_source) == []
    page.keyboard.press("Space")
    warning.wait_for(state="hidden", timeout=5000)
    status = page.evaluate("fetch('/account/session').then(r => r.json())")
    assert status["signed_in"] and status["remaining"] > 20
    page.goto(live_server.url + "/applications/mine")
    assert "/account/sign-in" not in page.url


def test_a_specialist_enrols_and_then_signs_in_with_a_code(live_server, page_factory):
    email = _account(live_server, "timeout-specialist@example.org", "specialist")
    page = page_factory(base_url=live_server.url)
    _sign_in(page, live_server, email)
    assert "/review" in page.url, page.url
    again = page_factory(base_url=live_server.url)
    _sign_in(again, live_server, email)
    assert "/review" in again.url, again.url
