"""The signed-in pages in real Chromium, in English and Spanish at phone and desktop widths:
no WCAG 2.1 A/AA violations (axe-core), no Content-Security-Policy violations, and sign-in
through the real form."""

import os

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import ChangeRequest, Opportunity, Partner, School, User
from cpspartners.services import listings
from tests.browser.conftest import CHROMIUM_ARGS, SCREENSHOTS, pass_second_factor  # noqa: F401  (same launch as the public pages)
from tests.browser.test_public_pages_browser import run_axe

pytestmark = pytest.mark.browser
PASSWORD = "browser test password"


@pytest.fixture(scope="module")
def accounts(live_server):
    """One account per staff role in the live server's database, and a change waiting for review."""
    with live_server.app.app_context():
        partner = db.session.scalars(select(Partner).where(Partner.status == "active").order_by(Partner.id)).first()
        made = {}
        for role in ("partner_staff", "specialist", "admin"):
            email = f"browser-{role}@example.org"
            user = db.session.scalars(select(User).where(User.email == email)).first()
            if user is None:
                user = User(
                    email=email,
                    role=role,
                    name=f"Browser {role}",
                    is_approved=True,
                    partner=partner if role == "partner_staff" else None,
                )
                user.set_password(PASSWORD)
                db.session.add(user)
            made[role] = email
        db.session.commit()
        staff = db.session.scalars(select(User).where(User.email == made["partner_staff"])).one()
        opp = partner.opportunities.filter(Opportunity.status == "published").first()
        values = listings.snapshot(opp)
        values["title"] = values["title"] + " (updated)"
        values["summary"] = "Nuevo resumen con acentos: ñ, á, é."
        try:
            change = listings.submit_opportunity_change(staff, opp, values)
        except Exception:  # already submitted by an earlier run of this module
            db.session.rollback()
            change = listings.open_request("opportunity", opp.id)
        ids = {"change": change.id, "opp": opp.id, "partner": partner.id, "user": staff.id}
        db.session.remove()
    return made, ids


@pytest.fixture(scope="module")
def signed_in_states(live_server, browser, accounts, tmp_path_factory):
    """Sign in once per role through the real form and keep the cookies for every page."""
    emails, _ids = accounts
    states = {}
    for role, email in emails.items():
        context = browser.new_context()
        page = context.new_page()
        page.goto(live_server.url + "/account/sign-in")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("main form button[type=submit]")
        pass_second_factor(page, email)
        assert "/account/sign-in" not in page.url and "/two-factor" not in page.url, f"{role} could not sign in"
        path = tmp_path_factory.mktemp("state") / f"{role}.json"
        context.storage_state(path=str(path))
        context.close()
        states[role] = str(path)
    return states


def pages_for(ids):
    return {
        None: {
            "sign-in": "/account/sign-in",
            "register": "/account/register",
            "reset-request": "/account/reset",
            "bad-link": "/account/reset/not-a-token",
        },
        "partner_staff": {
            "partner-dashboard": "/partner",
            "partner-profile": "/partner/profile",
            "opportunity-new": "/partner/opportunities/new",
            "profile": "/account",
        },
        "specialist": {
            "review-queue": "/review",
            "review-diff": f"/review/changes/{ids['change']}",
            "needs-verification": "/review/needs-verification?days=30",
            "specialist-partner": f"/review/partners/{ids['partner']}",
            "specialist-opportunity": f"/review/opportunities/{ids['opp']}",
            "vetting-new": f"/review/partners/{ids['partner']}/vetting/new",
            "specialist-edit-partner": f"/review/partners/{ids['partner']}/edit",
            "audit-log": "/review/audit",
            "pending-accounts": "/admin/pending",
        },
        "admin": {"admin-users": "/admin/users", "admin-user": f"/admin/users/{ids['user']}"},
    }


def new_page(browser, live_server, lang, width, state=None):
    # No bypass_csp here: a CSP violation on these pages must show up.
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US", storage_state=state)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda msg: page.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    return context, page


@pytest.mark.parametrize("lang", ["en", "es"])
def test_account_and_staff_pages_pass_axe(live_server, browser, axe_source, accounts, signed_in_states, lang):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    _emails, ids = accounts
    failures = {}
    for role, pages in pages_for(ids).items():
        for width in (390, 1280):
            context, page = new_page(browser, live_server, lang, width, signed_in_states.get(role))
            for name, path in pages.items():
                response = page.goto(live_server.url + path)
                expected = 400 if name == "bad-link" else 200
                assert response.status == expected, f"{path} as {role}: {response.status}"
                assert page.get_attribute("html", "lang") == lang
                page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{lang}-{width}.png"), full_page=True)
                violations = run_axe(page, axe_source)
                if violations:
                    failures[f"{path} [{role}, {lang}, {width}px]"] = violations
            assert page.csp_errors == [], page.csp_errors
            context.close()
    assert failures == {}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_form_with_errors_passes_axe_and_ties_errors_to_fields(
    live_server, browser, axe_source, signed_in_states, lang
):
    for width in (390, 1280):
        context, page = new_page(browser, live_server, lang, width, signed_in_states["partner_staff"])
        page.goto(live_server.url + "/partner/opportunities/new")
        page.fill("#title", "<script>alert(1)</script>")
        page.fill("#grade_min", "9")
        page.fill("#grade_max", "7")
        page.click("main form button[type=submit]")
        assert page.get_attribute("#title", "aria-describedby") == "title-error"
        assert page.get_attribute("#grade_max", "aria-invalid") == "true"
        assert page.input_value("#grade_min") == "9"  # what was typed is kept
        page.screenshot(path=os.path.join(SCREENSHOTS, f"opportunity-errors-{lang}-{width}.png"), full_page=True)
        assert run_axe(page, axe_source) == []
        context.close()


def test_header_shows_the_account_and_signs_out_without_javascript(live_server, browser, signed_in_states):
    context = browser.new_context(java_script_enabled=False, storage_state=signed_in_states["specialist"])
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.locator(".account-name").inner_text() == "Browser specialist"
    page.click("text=My area")
    assert page.url.endswith("/review")
    page.click(".sign-out button")
    page.wait_for_load_state()
    assert page.locator(".account-nav").inner_text().startswith("Sign in")
    assert page.goto(live_server.url + "/review").url.startswith(live_server.url + "/account/sign-in")
    context.close()


def test_staff_pages_refuse_the_wrong_role(live_server, browser, accounts, signed_in_states):
    _emails, ids = accounts
    context = browser.new_context(storage_state=signed_in_states["partner_staff"])
    page = context.new_page()
    assert page.goto(live_server.url + f"/review/changes/{ids['change']}").status == 403
    with live_server.app.app_context():
        assert db.session.get(ChangeRequest, ids["change"]).status == "pending"
        db.session.remove()
    context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_new_partner_staff_find_their_organization_by_name_with_the_keyboard(live_server, browser, axe_source, lang):
    """No list of every partner: type a word of the name, pick from the matches (keyboard only)."""
    with live_server.app.app_context():
        partner = db.session.scalars(select(Partner).where(Partner.status == "active").order_by(Partner.id)).first()
        word = partner.name.split()[0]
        db.session.remove()
    for width in (390, 1280):
        context, page = new_page(browser, live_server, lang, width)
        page.goto(live_server.url + "/account/register")
        assert page.locator("input[name=partner_id]").count() == 0
        page.check("input[value=partner_staff]")
        page.fill("#email", f"browser-new-staff-{lang}-{width}@example.org")
        page.fill("#password", PASSWORD)
        page.fill("#confirm", PASSWORD)
        page.fill("#organization", word)
        page.click("main form button[type=submit]")
        choices = page.locator("input[name=partner_id]")
        assert choices.count() >= 1
        page.screenshot(path=os.path.join(SCREENSHOTS, f"register-choose-{lang}-{width}.png"), full_page=True)
        assert run_axe(page, axe_source) == []
        page.fill("#password", PASSWORD)  # passwords are never sent back
        page.fill("#confirm", PASSWORD)
        choices.first.focus()
        page.keyboard.press("Space")
        assert choices.first.is_checked()
        page.focus("main form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/account/sign-in")
        assert page.csp_errors == []
        context.close()


def _curie(live_server):
    with live_server.app.app_context():
        school = db.session.scalars(select(School).where(School.long_name.like("%Curie%"))).first()
        found = school.id, school.long_name
        db.session.remove()
    return found


def _student_account(live_server, email):
    with live_server.app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        found = user.role, user.school_id, user.grade
        db.session.remove()
    return found


def _fill_student(page, email):
    page.check("input[value=student]")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.select_option("#grade", "9")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_student_types_their_school_and_is_offered_the_matches(live_server, browser, axe_source, lang, monkeypatch):
    """No drop-down of 652 schools: a text box with suggestions; several matches are listed."""
    monkeypatch.setitem(live_server.app.config, "REGISTER_LIMIT", "100 per minute")  # many sign-ups from here
    curie_id, curie_name = _curie(live_server)
    for width in (390, 1280):
        email = f"browser-student-{lang}-{width}@example.org"
        context, page = new_page(browser, live_server, lang, width)
        page.goto(live_server.url + "/account/register")
        assert page.locator("select#school_id, #school_id option").count() == 0
        assert page.locator("main option").count() < 30
        page.screenshot(path=os.path.join(SCREENSHOTS, f"register-{lang}-{width}.png"), full_page=True)
        _fill_student(page, email)
        page.fill("#school_id", "Elementary")
        page.click("main form button[type=submit]")
        offered = page.locator("#school_id-matches li")
        assert 2 <= offered.count() <= 8
        assert page.locator("#school_id-error").is_visible()
        page.screenshot(path=os.path.join(SCREENSHOTS, f"register-schools-{lang}-{width}.png"), full_page=True)
        assert run_axe(page, axe_source) == []
        page.fill("#school_id", "")
        page.locator("#school_id").press_sequentially("curie metro", delay=20)
        page.wait_for_function(  # the suggestion script fills the box's datalist
            "name => [...document.querySelectorAll('#school_id-options option')].some(o => o.value === name)",
            arg=curie_name,
        )
        page.fill("#school_id", curie_name)
        page.fill("#password", PASSWORD)  # passwords are never sent back
        page.fill("#confirm", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url("**/account/sign-in")
        assert page.csp_errors == []
        context.close()
        assert _student_account(live_server, email) == ("student", curie_id, 9)


def test_the_school_box_works_without_javascript(live_server, browser, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "REGISTER_LIMIT", "100 per minute")
    curie_id, _name = _curie(live_server)
    context = browser.new_context(viewport={"width": 390, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/account/register")
    _fill_student(page, "browser-student-nojs@example.org")
    page.fill("#school_id", "curie metropolitan")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/account/sign-in")
    context.close()
    assert _student_account(live_server, "browser-student-nojs@example.org") == ("student", curie_id, 9)
