"""Signed-in student and teacher pages in Chromium: axe-core finds no WCAG 2.1 A/AA violations
in English or Spanish at phone and desktop widths, and the forms work without JavaScript."""

import os

import pytest

from cpspartners.extensions import db
from cpspartners.models import School, User
from tests.browser.conftest import SCREENSHOTS, pass_second_factor
from tests.browser.test_public_pages_browser import run_axe

pytestmark = pytest.mark.browser
PASSWORD = "browser test password"


@pytest.fixture(scope="module")
def seekers(live_server):
    with live_server.app.app_context():
        curie = db.session.scalars(db.select(School).where(School.long_name.like("%Curie%"))).first()
        made = {}
        for role in ("student", "teacher"):
            email = f"foryou-{role}@example.org"
            user = db.session.scalars(db.select(User).where(User.email == email)).first()
            if user is None:
                user = User(
                    email=email,
                    role=role,
                    name=f"Foryou {role}",
                    school_id=curie.id,
                    is_approved=True,
                    grade=10 if role == "student" else None,
                )
                user.set_password(PASSWORD)
                db.session.add(user)
                db.session.commit()
            made[role] = email
        return made


def signed_in_page(page_factory, live_server, email, lang, width, javascript=True):
    page = page_factory(lang=lang, width=width, base_url=live_server.url, javascript=javascript)
    page.goto(live_server.url + "/account/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    pass_second_factor(page, email)
    return page


@pytest.mark.parametrize("lang", ["en", "es"])
def test_for_you_pages_pass_axe(live_server, page_factory, axe_source, seekers, lang):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    failures = {}
    for role, email in seekers.items():
        for width in (390, 1280):
            page = signed_in_page(page_factory, live_server, email, lang, width)
            for path in ("/for-you", "/for-you/profile", "/for-you/saved"):
                response = page.goto(live_server.url + path)
                assert response.status == 200, (role, path)
                name = path.strip("/").replace("/", "-")
                page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{role}-{lang}-{width}.png"), full_page=True)
                violations = run_axe(page, axe_source)
                if violations:
                    failures[f"{path} [{role}, {lang}, {width}px]"] = violations
    assert failures == {}


def test_student_saves_interests_without_javascript(live_server, page_factory, seekers):
    page = signed_in_page(page_factory, live_server, seekers["student"], "en", 1280, javascript=False)
    page.goto(live_server.url + "/for-you/profile")
    page.check("input[name=tags][value=robotics]")
    page.check("input[name=modality][value=in_person]")
    page.click("main form button[type=submit]")
    assert page.url.endswith("/for-you")
    assert "Saved." in page.inner_text("main")
    page.goto(live_server.url + "/for-you/profile")
    assert page.is_checked("input[name=tags][value=robotics]")
