"""A live server on 127.0.0.1 with real schools and a small demo directory, and Debian's
Chromium driven through Playwright. Outside CI, a missing Chromium or axe-core skips these
tests with the reason; with CI=true they fail instead."""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.search.outbox import rebuild
from cpspartners.seed.demo import seed_demo
from cpspartners.seed.schools import seed_schools
from tests.conftest import DATA_DIR, skip_or_fail

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
AXE = os.path.join(ROOT, "node_modules", "axe-core", "axe.min.js")
SCREENSHOTS = os.path.join(ROOT, "tests", "browser", "screenshots")
CHROMIUM = os.environ.get("CPSPARTNERS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a free port, on its own SQLite file, seeded like `make run` but smaller."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite'}",
            "SEARCH_INDEX_DIR": str(folder / "search-index"),
        }
    )
    with app.app_context():
        db.create_all()
        seed_schools(DATA_DIR)
        seed_demo(opportunities=400, seed=11)
        rebuild()  # as `flask seed demo` does: the bulk inserts skip session events
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (make test installs it with apt when run as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a test dependency
        skip_or_fail("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source():
    if not os.path.exists(AXE):
        skip_or_fail("axe-core is not installed (make test runs npm install)")
    with open(AXE, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture
def page_factory(browser):
    """Pages in a fresh context; ``lang`` sets the site's language cookie, ``width`` the viewport."""
    contexts = []

    def make(lang="en", width=1280, javascript=True, base_url=None):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=javascript, locale="en-US", bypass_csp=True
        )
        if lang and base_url:
            context.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items):
    """The live server is Werkzeug's: when Chromium drops a connection mid-file (it often does
    for a favicon), Werkzeug leaves the file to the garbage collector, which warns. That is the
    test server's behaviour, not the app's, so only these tests ignore that one warning."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))


# The TOTP secret each staff account enrolled through the browser, and the last step used: a code
# is accepted once, so a later sign-in in the same 30 seconds takes the next step's code.
_SECOND_FACTOR = {}


def pass_second_factor(page, email):
    """After the password step, what staff do next: enrol an app (reading the key the page shows,
    then keeping the recovery codes) the first time, type the app's code afterwards. Nothing for
    accounts without a second step."""
    import time

    import pyotp

    def code_for(secret):
        now = int(time.time() // 30)
        step = max(now, _SECOND_FACTOR.get(email, (None, now - 1))[1] + 1)
        while step > now + 1:  # beyond the accepted drift: wait for the clock
            time.sleep(1)
            now = int(time.time() // 30)
        _SECOND_FACTOR[email] = (secret, step)
        return pyotp.TOTP(secret).generate_otp(step)

    if "/account/two-factor/enrol" in page.url:
        secret = page.locator("#totp-secret").inner_text().strip()
        page.fill("#code", code_for(secret))
        page.click("main form button[type=submit]")
        page.click("main a.button")  # "I have kept them: continue"
    elif "/account/two-factor" in page.url:
        page.fill("#code", code_for(_SECOND_FACTOR[email][0]))
        page.click("main form button[type=submit]")
