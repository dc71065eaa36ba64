"""The privacy pages in Chromium: axe-core finds no WCAG 2.1 A/AA violations in English or
Spanish at phone and desktop widths, for visitors, a student and the staff who answer requests."""

import os
from datetime import UTC, datetime

import pytest

from cpspartners.extensions import db
from cpspartners.models import Incident, RightsRequest, School, User
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_public_pages_browser import run_axe
from tests.browser.test_recommendations_browser import signed_in_page

pytestmark = pytest.mark.browser
PASSWORD = "browser test password"
PAGES = {
    None: ("/privacy", "/privacy/data", "/privacy/family"),
    "student": ("/privacy/mine", "/privacy/mine/copy", "/privacy/mine/close"),
    "admin": ("/privacy/requests", "/privacy/incidents"),
}


@pytest.fixture(scope="module")
def privacy_people(live_server):
    with live_server.app.app_context():
        curie = db.session.scalars(db.select(School).where(School.long_name.like("%Curie%"))).first()
        made = {}
        for role in ("student", "admin"):
            email = f"privacy-{role}@example.org"
            user = db.session.scalars(db.select(User).where(User.email == email)).first()
            if user is None:
                user = User(
                    email=email,
                    role=role,
                    name=f"Privacy {role}",
                    school_id=curie.id if role == "student" else None,
                    grade=9 if role == "student" else None,
                    is_approved=True,
                )
                user.set_password(PASSWORD)
                db.session.add(user)
                db.session.commit()
            made[role] = user
        now = datetime.now(UTC)
        db.session.add(
            RightsRequest(
                student_id=made["student"].id,
                kind="correction",
                field="name",
                requested_value="P",
                received_at=now,
                due_at=now,
            )
        )
        incident = Incident(title="Drill", discovered_at=now, window_start=now, window_end=now, parent_notice_due=now)
        db.session.add(incident)
        db.session.commit()
        return {"student": made["student"].email, "admin": made["admin"].email, "incident": incident.id}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_privacy_pages_pass_axe(live_server, page_factory, axe_source, privacy_people, lang):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    failures = {}
    pages = {**PAGES, "admin": (*PAGES["admin"], f"/privacy/incidents/{privacy_people['incident']}")}
    for role, paths in pages.items():
        for width in (390, 1280):
            if role is None:
                page = page_factory(lang=lang, width=width, base_url=live_server.url)
            else:
                page = signed_in_page(page_factory, live_server, privacy_people[role], lang, width)
            for path in paths:
                response = page.goto(live_server.url + path)
                assert response.status == 200, (role, path)
                name = path.strip("/").replace("/", "-")
                page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{lang}-{width}.png"), full_page=True)
                violations = run_axe(page, axe_source)
                if violations:
                    failures[f"{path} [{role}, {lang}, {width}px]"] = violations
    assert failures == {}
