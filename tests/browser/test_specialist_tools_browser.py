"""The specialists' toolkit and the partner staff's pages in real Chromium: axe-core with no
WCAG 2.1 A/AA violations at phone and desktop widths in English and Spanish, signed in."""

import os
from datetime import date

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import (
    Credential,
    Newsletter,
    Opportunity,
    Partner,
    SeatAllocation,
    SeatAssignment,
    SeatPool,
    User,
)
from cpspartners.services import newsletters
from tests.browser.conftest import SCREENSHOTS, pass_second_factor
from tests.browser.test_public_pages_browser import run_axe

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def toolkit(live_server):
    """A specialist, a partner staff member whose organization distributes seats, and one of
    everything the pages list."""
    with live_server.app.app_context():
        partners = db.session.scalars(
            select(Partner).where(Partner.status == "active").order_by(Partner.id).limit(2)
        ).all()
        specialist = User(email="spec@toolkit.example", role="specialist", name="Sam Specialist", is_approved=True)
        staff = User(
            email="staff@toolkit.example", role="partner_staff", name="Pat Staff", is_approved=True, partner=partners[0]
        )
        student = db.session.scalars(select(User).where(User.role == "student")).first()
        for user in (specialist, staff):
            user.set_password(PASSWORD)
        pool = SeatPool(
            name="Online certificates", name_es="Certificados en línea", provider=partners[1], total_seats=20
        )
        allocation = SeatAllocation(pool=pool, distributor=partners[0], seats=5)
        seat = SeatAssignment(
            allocation=allocation,
            holder_name="Familia Reyes",
            holder_email="f@example.org",
            starts_on=date.today(),
            expires_on=date.today(),
        )
        db.session.add_all([specialist, staff, pool, allocation, seat])
        db.session.commit()
        opp = db.session.scalars(select(Opportunity).where(Opportunity.status == "published")).first()
        if student is not None:
            db.session.add(
                Credential(
                    student=student,
                    opportunity=opp,
                    kind="certification",
                    name="OSHA 10",
                    earned_on=date.today(),
                    evidence="Card 123",
                )
            )
        newsletter = newsletters.create_draft("November", "students", "citywide", "", "es")
        newsletters.add(newsletter, opp.id)
        db.session.commit()
        return {"pool": pool.id, "newsletter": newsletter.id}


def sign_in(page, base, email):
    page.goto(base + "/account/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    pass_second_factor(page, email)


def specialist_urls(ids):
    n = ids["newsletter"]
    return {
        "import": "/transfers/import",
        "newsletters": "/newsletters",
        "newsletter-new": "/newsletters/new",
        "newsletter-edit": f"/newsletters/{n}?q=a",
        "newsletter-preview": f"/newsletters/{n}/preview",
        "pools": "/pools",
        "pool-new": "/pools/new",
        "pool": f"/pools/{ids['pool']}",
        "outcomes": "/outcomes",
        "credentials": "/outcomes/credentials",
        "feedback": "/outcomes/feedback",
        "account": "/account",
        "equity": "/equity",
    }


STAFF_URLS = {
    "seats": "/pools/seats",
    "scorecards": "/outcomes/scorecards",
    "credential-new": "/outcomes/credentials/new",
    "dashboard": "/partner",
}
PUBLIC_URLS = {"subscribe": "/newsletters/subscribe"}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_toolkit_pages_pass_axe_signed_in(live_server, page_factory, axe_source, toolkit, lang):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    failures = {}
    for width in (390, 1280):
        for who, urls in (
            ("spec@toolkit.example", specialist_urls(toolkit)),
            ("staff@toolkit.example", STAFF_URLS),
            (None, PUBLIC_URLS),
        ):
            page = page_factory(lang=lang, width=width, base_url=live_server.url)
            if who:
                sign_in(page, live_server.url, who)
            for name, path in urls.items():
                response = page.goto(live_server.url + path)
                assert response.status == 200, (who, path)
                assert page.get_attribute("html", "lang") == lang
                page.screenshot(path=os.path.join(SCREENSHOTS, f"tool-{name}-{lang}-{width}.png"), full_page=True)
                violations = run_axe(page, axe_source)
                if violations:
                    failures[f"{path} [{lang}, {width}px]"] = violations
    assert failures == {}


def test_newsletter_reorder_works_without_javascript(live_server, page_factory, toolkit):
    page = page_factory(javascript=False, base_url=live_server.url)
    sign_in(page, live_server.url, "spec@toolkit.example")
    page.goto(live_server.url + f"/newsletters/{toolkit['newsletter']}")
    before = page.locator(".newsletter-items .item-title").all_inner_texts()
    page.locator(".newsletter-items li").first.locator("button", has_text="Move down").click()
    page.wait_for_load_state()
    after = page.locator(".newsletter-items .item-title").all_inner_texts()
    assert len(before) >= 2 and after[:2] == [before[1], before[0]]
    with live_server.app.app_context():
        assert db.session.get(Newsletter, toolkit["newsletter"]).status == "draft"
