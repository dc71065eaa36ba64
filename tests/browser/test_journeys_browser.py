"""The three journeys of issue 14, walked in Chromium by keyboard alone (Tab to a control,
Enter or typing), counting page loads from the home page, with axe-core on every page passed
through. Each journey runs once in English and once in Spanish, one at 390 px and the other at
1280 px, so the file stays a few minutes long. A last test checks that nothing scrolls sideways
at 320 px on the main pages."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import ChangeRequest, Opportunity, Partner, School, User, VettingRecord
from cpspartners.services import listings, vetting
from tests.browser.conftest import pass_second_factor
from tests.browser.test_public_pages_browser import run_axe

pytestmark = pytest.mark.browser
PASSWORD = "journeys browser password"
EMAILS = {
    role: f"journey-{role.replace('_', '-')}@browser.example.org" for role in ("student", "teacher", "specialist")
}
MAX_LOADS = 5
MAX_TABS = 400


def _user(role, school, **extra):
    user = User(email=EMAILS[role], role=role, name=f"Journey {role}", is_approved=True, **extra)
    if role in ("student", "teacher"):
        user.school_id = school.id
    user.set_password(PASSWORD)
    db.session.add(user)
    return user


def _listing(partner, school, **values):
    opp = Opportunity(
        partner_id=partner.id,
        status="published",
        grade_min=6,
        grade_max=12,
        modality="in_person",
        latitude=school.latitude + 0.004,
        longitude=school.longitude,
        deadline=date.today() + timedelta(days=30),
        **values,
    )
    db.session.add(opp)
    return opp


@pytest.fixture(scope="module")
def journeys(live_server):
    """Accounts, an open internship near the student's school, a guest speaker, and a
    partner's new listing waiting for review while the partner lacks its insurance record."""
    with live_server.app.app_context():
        school = db.session.scalars(select(School).where(School.long_name.like("%Curie%"))).first()
        partner = db.session.scalars(
            select(Partner).where(Partner.status == "active", Partner.vetted.is_(True)).order_by(Partner.id)
        ).first()
        _user("student", school, grade=10)
        _user("teacher", school)
        _user("specialist", school)
        for lang in ("en", "es"):  # one each: a student applies only once to a listing
            _listing(
                partner,
                school,
                kind="internship",
                audience="students",
                slug=f"journey-zephyr-internship-{lang}",
                title="Zephyr welding internship",
                title_es="Práctica zephyr de soldadura",
                summary="Paid welding internship near your school.",
                summary_es="Práctica pagada de soldadura cerca de tu escuela.",
            )
        _listing(
            partner,
            school,
            kind="guest_speaker",
            audience="classrooms",
            slug="journey-zephyr-speaker",
            title="Zephyr engineers speak to your class",
            title_es="Ingenieros zephyr hablan con tu clase",
            summary="Engineers visit your class.",
            summary_es="Ingenieros visitan tu clase.",
        )
        db.session.commit()
        changes = {lang: _waiting_change(school, lang) for lang in ("en", "es")}
        found = {"school": school.id, "school_name": school.long_name, "changes": changes}
        db.session.remove()
    return found


def _waiting_change(school, lang):
    """A new partner missing its insurance, whose staff sent a listing for students."""
    today = date.today()
    partner = Partner(name=f"Zephyr Robotics {lang}", slug=f"zephyr-robotics-{lang}", kind="nonprofit", status="active")
    db.session.add(partner)
    for kind in ("agreement", "background_check"):
        db.session.add(
            VettingRecord(partner=partner, kind=kind, issued_on=today, expires_on=today + timedelta(days=300))
        )
    db.session.flush()
    vetting.refresh(partner, today)
    staff = User(
        email=f"journey-staff-{lang}@browser.example.org", role="partner_staff", name="Staff", is_approved=True
    )
    staff.partner_id = partner.id
    staff.set_password(PASSWORD)
    db.session.add(staff)
    opp = Opportunity(
        partner_id=partner.id,
        status="pending_review",
        kind="workshop",
        audience="students",
        title=f"Zephyr robot lab {lang}",
        slug=f"zephyr-robot-lab-{lang}",
        summary="Build robots.",
        grade_min=9,
        grade_max=12,
        modality="in_person",
    )
    db.session.add(opp)
    db.session.commit()
    return listings.submit_opportunity_change(staff, opp, listings.snapshot(opp)).id


class Walk:
    """A page driven by the keyboard, counting the documents it loads and checking each with axe."""

    def __init__(self, page, base, axe_source, lang):
        self.page, self.base, self.axe, self.lang = page, base, axe_source, lang
        self.loads = []
        self.failures = {}
        page.on("load", lambda: self.loads.append(page.url))

    def start(self, path):
        self.loads.clear()
        self.page.goto(self.base + path)
        self.check()

    def check(self):
        assert self.page.get_attribute("html", "lang") == self.lang, self.page.url
        violations = run_axe(self.page, self.axe)
        if violations:
            self.failures[self.page.url] = violations

    def tab_to(self, selector):
        """Press Tab until the focused element matches ``selector``: only the keyboard moves focus."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector} on {self.page.url}")

    def type_into(self, selector, text):
        self.tab_to(selector)
        self.page.keyboard.type(text)

    def enter(self, selector=None):
        """Enter on the focused control (after tabbing to ``selector``): one more page load."""
        if selector:
            self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.page.wait_for_load_state("load")
        self.check()


def sign_in(page, base, role):
    page.goto(base + "/account/sign-in")
    page.fill("#email", EMAILS[role])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/account/sign-in" not in page.url
    pass_second_factor(page, EMAILS[role])  # staff set up or pass their second step first
    # Its last click navigates: let that load finish before the journey starts counting loads.
    page.wait_for_url(lambda url: "/two-factor" not in url)
    page.wait_for_load_state("load")


def walk_for(live_server, page_factory, axe_source, role, lang, width):
    page = page_factory(lang=lang, width=width, base_url=live_server.url)
    sign_in(page, live_server.url, role)
    return Walk(page, live_server.url, axe_source, lang)


def finish(walk, where):
    assert walk.failures == {}
    assert len(walk.loads) <= MAX_LOADS, walk.loads
    assert where in walk.page.url, walk.page.url


@pytest.mark.parametrize(("lang", "width"), [("en", 390), ("es", 1280)])
def test_a_student_finds_an_open_internship_near_school_and_applies(
    live_server, page_factory, axe_source, journeys, lang, width
):
    walk = walk_for(live_server, page_factory, axe_source, "student", lang, width)
    walk.start("/")
    walk.type_into("#site-q", "zephyr internship" if lang == "en" else "práctica zephyr")
    walk.enter()  # the search page, distances from the student's school already chosen
    # However the school is picked (a list or a type-to-find box), its value is the student's.
    chosen = walk.page.eval_on_selector("main [name=school]", "e => e.value")
    assert chosen in (str(journeys["school"]), journeys["school_name"])
    walk.enter(f"main a[href='/opportunities/journey-zephyr-internship-{lang}']")
    walk.type_into("#answer", "Me gusta soldar." if lang == "es" else "I like welding.")
    walk.enter(".apply-box button[type=submit]")
    finish(walk, "/applications/")


@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("es", 390)])
def test_a_teacher_finds_a_guest_speaker_and_sends_a_request(
    live_server, page_factory, axe_source, journeys, lang, width
):
    walk = walk_for(live_server, page_factory, axe_source, "teacher", lang, width)
    walk.start("/")
    walk.enter("main a[href='/visits/find?kind=guest_speaker']")
    walk.type_into("#f-q", "zephyr engineers")
    walk.enter()  # the topic, guest speakers only, nearest first
    assert walk.page.locator("main .card .badge").first.inner_text()  # results are there
    # Cards carry no list bullets beside them.
    assert walk.page.eval_on_selector("main ul.cards", "e => getComputedStyle(e).listStyleType") == "none"
    walk.enter("main a.button[href^='/visits/new']")
    walk.tab_to("#grade")
    walk.page.keyboard.type("9")  # a focused drop-down picks the option typed
    assert walk.page.eval_on_selector("#grade", "e => e.value") == "9"
    walk.type_into("#class_size", "28")
    visit = date.today() + timedelta(days=21)
    walk.type_into("#date_1", visit.strftime("%m%d%Y"))  # the date box types in the browser's (en-US) order
    walk.enter("main form button[type=submit]")
    errors = walk.page.locator(".field-error").all_inner_texts()
    assert errors == [], (errors, walk.page.eval_on_selector("#date_1", "e => e.value"))
    finish(walk, "/visits/mine")


@pytest.mark.parametrize(("lang", "width"), [("en", 390), ("es", 1280)])
def test_a_specialist_adds_a_missing_record_and_approves_without_leaving_the_review(
    live_server, page_factory, axe_source, journeys, lang, width
):
    walk = walk_for(live_server, page_factory, axe_source, "specialist", lang, width)
    walk.start("/")
    walk.enter(".account-nav a[href='/review']")
    walk.enter(f"main a[href='/review/changes/{journeys['changes'][lang]}']")
    today = date.today()
    walk.type_into("#insurance-issued_on", today.strftime("%m%d%Y"))
    walk.type_into("#insurance-expires_on", (today + timedelta(days=365)).strftime("%m%d%Y"))
    walk.enter("form[action$='/records'] button[type=submit]")  # back on the review
    assert "/review/changes/" in walk.page.url
    walk.enter("form[action$='/approve'] button[type=submit]")
    finish(walk, "/review")
    with live_server.app.app_context():
        assert db.session.get(ChangeRequest, journeys["changes"][lang]).status == "approved"
        db.session.remove()


MAIN_PAGES = ("/", "/opportunities", "/partners", "/schools", "/search?q=robot", "/newsletters/subscribe")


def test_nothing_scrolls_sideways_at_320px(live_server, page_factory, journeys):
    wide = {}
    for lang in ("en", "es"):
        page = page_factory(lang=lang, width=320, base_url=live_server.url)
        for path in MAIN_PAGES:
            page.goto(live_server.url + path)
            sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if sizes[0] > sizes[1]:
                wide[f"{path} [{lang}]"] = sizes
    assert wide == {}


def test_the_partner_dashboard_is_cards_on_a_phone(live_server, page_factory, journeys):
    """At 390 px the listings table clipped its Edit links: now each row is a card that fits."""
    page = page_factory(lang="en", width=390, base_url=live_server.url)
    page.goto(live_server.url + "/account/sign-in")
    page.fill("#email", "journey-staff-en@browser.example.org")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    pass_second_factor(page, "journey-staff-en@browser.example.org")
    page.goto(live_server.url + "/partner")
    edit = page.locator("main a[href$='/edit']:has-text('Edit')").first
    box = edit.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1]
    assert page.eval_on_selector("main tbody tr", "e => getComputedStyle(e).display") == "block"
