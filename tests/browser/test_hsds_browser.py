"""The open data guide (/api/hsds/guide) in real Chromium: no WCAG 2.1 A/AA violations in
English and Spanish, and nothing wider than a phone's screen (its long example addresses wrap)."""

import os

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_public_pages_browser import run_axe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_api_guide_passes_axe_and_fits_a_phone(live_server, page_factory, axe_source, lang):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    for width in (390, 1280):
        page = page_factory(lang=lang, width=width, base_url=live_server.url)
        response = page.goto(live_server.url + "/api/hsds/guide")
        assert response.status == 200 and page.get_attribute("html", "lang") == lang
        page.screenshot(path=os.path.join(SCREENSHOTS, f"hsds-guide-{lang}-{width}.png"), full_page=True)
        assert run_axe(page, axe_source) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.click("footer >> text=" + ("Datos abiertos (API HSDS)" if lang == "es" else "Open data (HSDS API)"))
        assert page.url.endswith("/api/hsds/guide")
