"""Every public page in real Chromium: screenshots at phone and desktop widths, axe-core with
no WCAG 2.1 A/AA violations in English and Spanish, keyboard use, and no JavaScript needed."""

import os

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import CommunityArea, Opportunity, Partner, School
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def public_urls(live_server):
    with live_server.app.app_context():
        opp = db.session.scalars(
            select(Opportunity).where(Opportunity.status == "published", Opportunity.title_es != "").limit(1)
        ).first()
        partner = db.session.scalars(select(Partner).where(Partner.status == "active").order_by(Partner.id)).first()
        school = db.session.scalars(select(School).where(School.long_name.like("%Curie%"))).first()
        area = db.session.get(CommunityArea, 31)
        return {
            "home": "/",
            "opportunities": "/opportunities",
            "opportunities-filtered": "/opportunities?kind=internship&open=1&grade=abc",
            "opportunity": f"/opportunities/{opp.slug}",
            "partners": "/partners",
            "partner": f"/partners/{partner.slug}",
            "schools": "/schools",
            "school": f"/schools/{school.id}",
            "areas": "/areas",
            "area": f"/areas/{area.number}",
            "about": "/about",
            "search": "/search?q=workshop",
            "search-faceted": "/search?q=internship&kind=internship&band=high&open=1&sort=deadline",
            "search-nearest": f"/search?q=lab&sort=nearest&school={school.id}",
            "search-empty": "/search?q=zzqqxx&kind=nonsense",
            "search-browse": "/search",
            "not-found": "/no-such-page",
        }


def run_axe(page, axe_source):
    page.evaluate(axe_source)
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_public_page_passes_axe_and_is_screenshotted(live_server, page_factory, axe_source, public_urls, lang):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    failures = {}
    for width in (390, 1280):
        page = page_factory(lang=lang, width=width, base_url=live_server.url)
        for name, path in public_urls.items():
            response = page.goto(live_server.url + path)
            assert response.status == (404 if name == "not-found" else 200), path
            assert page.get_attribute("html", "lang") == lang
            page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{lang}-{width}.png"), full_page=True)
            violations = run_axe(page, axe_source)
            if violations:
                failures[f"{path} [{lang}, {width}px]"] = violations
    assert failures == {}


def test_no_request_leaves_the_machine(live_server, page_factory, public_urls):
    """Pages load nothing from another host: no CDN, no fonts, no trackers."""
    page = page_factory(base_url=live_server.url)
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    for path in public_urls.values():
        page.goto(live_server.url + path)
    assert seen and all(url.startswith(live_server.url) for url in seen)


def test_keyboard_user_can_skip_to_content_and_sees_focus(live_server, page_factory):
    page = page_factory(base_url=live_server.url)
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_filters_work_without_javascript(live_server, page_factory):
    page = page_factory(javascript=False, base_url=live_server.url)
    page.goto(live_server.url + "/opportunities")
    page.click("details.facets-disclosure summary")  # without JavaScript the filters are one tap away
    page.select_option("#f-kind", "guest_speaker")
    page.check("#f-open")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()  # the click returns once the navigation commits, before the cards parse
    assert "kind=guest_speaker" in page.url
    cards = page.locator(".card .badge").all_inner_texts()
    assert cards and all(text == "Guest speaker" for text in cards if text not in ("Paid", "Demo"))


def test_language_switch_works_without_javascript(live_server, page_factory):
    page = page_factory(lang=None, javascript=False, base_url=live_server.url)
    page.goto(live_server.url + "/partners")
    page.click("text=Español")
    assert page.url.endswith("/partners")
    assert page.get_attribute("html", "lang") == "es"
    page.click("text=Oportunidades")
    assert page.get_attribute("html", "lang") == "es"


def test_header_search_works_without_javascript(live_server, page_factory):
    page = page_factory(javascript=False, base_url=live_server.url)
    page.goto(live_server.url + "/partners")
    page.fill("#site-q", "workshop")
    page.press("#site-q", "Enter")
    assert "/search?q=workshop" in page.url
    assert page.locator(".card").count() > 0
    page.click("details.facets-disclosure summary")
    page.check("#s-open")
    page.click(".facets button[type=submit]")
    assert "open=1" in page.url


def test_search_box_suggestions_fill_the_datalist(live_server, page_factory):
    page = page_factory(base_url=live_server.url)
    page.goto(live_server.url + "/")
    page.fill("#site-q", "work")
    page.wait_for_function("document.querySelectorAll('#site-q-suggestions option').length > 0", timeout=5000)
    values = page.eval_on_selector_all("#site-q-suggestions option", "els => els.map(e => e.value)")
    assert values and all(value.startswith("work") for value in values)
