"""Issue 16's pages in real Chromium: the families' programmes, the learning places, licence
requests and the holder's page, the equity map's layer and newsletter stories, with no WCAG 2.1
A/AA violations at phone and desktop widths in English and Spanish, and without JavaScript."""

import os

import pytest
from sqlalchemy import select

from cpspartners.accounts.auth import sign
from cpspartners.extensions import db
from cpspartners.models import LicenceRequest, Partner, Place, School, SeatAllocation, SeatPool, User
from cpspartners.seed.places import seed_places
from cpspartners.seed.programmes import seed_programmes
from cpspartners.services import licences, newsletters
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_public_pages_browser import run_axe
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def places_world(live_server):
    with live_server.app.app_context():
        seed_places(DATA_DIR)
        seed_programmes()
        universities = db.session.scalars(select(Partner).where(Partner.external_id == "cps-parent-universities")).one()
        pool = db.session.scalars(select(SeatPool).where(SeatPool.name.like("Coursera%"))).one()
        allocation = SeatAllocation(pool=pool, distributor=universities, seats=5)
        specialist = User(email="spec@places.example", role="specialist", name="Sam", is_approved=True)
        staff = User(
            email="staff@places.example", role="partner_staff", name="Pat", is_approved=True, partner=universities
        )
        for user in (specialist, staff):
            user.set_password(PASSWORD)
        req = LicenceRequest(
            allocation=allocation, name="Rosa", email="rosa@example.org", language="es", status="requested"
        )
        db.session.add_all([allocation, specialist, staff, req])
        db.session.commit()
        licences.grant(staff, req.id)
        waiting = LicenceRequest(allocation=allocation, name="Ana", email="ana@example.org", status="requested")
        db.session.add(waiting)
        news = newsletters.create_draft("Partner news", "partners", "citywide", "", "en")
        newsletters.add_story(news, specialist, newsletters.StoryDraft("Town hall", "Students spoke up."))
        db.session.commit()
        centre = db.session.scalars(select(Place).where(Place.source == "connect").order_by(Place.id)).first()
        school = db.session.scalars(select(School).where(School.long_name.like("%Curie%"))).first()
        return {
            "token": sign(licences.HOLDER_SALT, {"r": req.id, "e": req.email}),
            "centre": centre.id,
            "school": school.id,
            "newsletter": news.id,
        }


def sign_in(page, base, email):
    page.goto(base + "/account/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")


def urls(ids):
    public = {
        "families": "/families",
        "places": "/places?kind=tech_centre",
        "place-centre": f"/places/{ids['centre']}",
        "licence-ask": "/licences",
        "licence-holder": f"/licences/mine/{ids['token']}",
        "search-internet": "/search?q=internet",
        "school-places": f"/schools/{ids['school']}",
    }
    specialist = {
        "equity-layers": "/equity?layers=1&layer=library&layer=tech_centre&layer=park",
        "licence-report": "/licences/report",
        "newsletter-stories": f"/newsletters/{ids['newsletter']}",
    }
    return (
        (None, public),
        ("spec@places.example", specialist),
        ("staff@places.example", {"manage": "/licences/manage"}),
    )


@pytest.mark.parametrize("lang", ["en", "es"])
def test_issue_16_pages_pass_axe(live_server, page_factory, axe_source, places_world, lang):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    failures = {}
    for width in (390, 1280):
        for who, pages in urls(places_world):
            page = page_factory(lang=lang, width=width, base_url=live_server.url)
            if who:
                sign_in(page, live_server.url, who)
            for name, path in pages.items():
                response = page.goto(live_server.url + path)
                assert response.status == 200, (who, path)
                page.screenshot(path=os.path.join(SCREENSHOTS, f"places-{name}-{lang}-{width}.png"), full_page=True)
                width_ok = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
                if not width_ok:
                    failures[f"{path} [{lang}, {width}px]"] = ["the page scrolls sideways"]
                violations = run_axe(page, axe_source)
                if violations:
                    failures.setdefault(f"{path} [{lang}, {width}px]", []).extend(violations)
    assert failures == {}


def test_a_family_asks_for_a_licence_without_javascript(live_server, page_factory, places_world):
    page = page_factory(javascript=False, base_url=live_server.url)
    page.goto(live_server.url + "/licences")
    page.select_option("#allocation_id", index=1)
    page.fill("#name", "Luis")
    page.fill("#email", "luis@example.org")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Check your email" in page.content()
    with live_server.app.app_context():
        assert db.session.scalars(select(LicenceRequest).where(LicenceRequest.email == "luis@example.org")).one()
