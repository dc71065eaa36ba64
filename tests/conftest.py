"""Fixtures. The database is SQLite in a temporary folder, or PostgreSQL when
``CPSPARTNERS_TEST_DATABASE_URL`` is set. The schema and the real schools are created once per
run; every test starts from that state and everything it wrote is deleted afterwards.
"""

import os
import re
import socket
import tempfile
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as email_policy
from html import unescape
from itertools import count

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, School, User, VettingRecord

# Real data, loaded once per run; and the directory version's one row (pagecache), made with its table.
REFERENCE_TABLES = {"community_area", "school", "directory_version"}
PG_URL = os.environ.get("CPSPARTNERS_TEST_DATABASE_URL")
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason):
    """Outside CI a missing tool skips with a reason; in CI nothing may skip, so it fails."""
    if IN_CI:
        pytest.fail("CI=true but " + reason)
    pytest.skip(reason)


def pytest_report_header(config):
    return "database: " + ("PostgreSQL " + PG_URL if PG_URL else "SQLite (temporary file)")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        return PG_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def config_for(url, **extra):
    """Test settings; each call gets its own empty search index folder unless one is given."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": True,
        "SEARCH_INDEX_DIR": extra.pop("SEARCH_INDEX_DIR", None) or tempfile.mkdtemp(prefix="cps-index-"),
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create every table once and load the real schools and community areas."""
    from cpspartners.seed.schools import load_areas, load_schools

    app = create_app(config_for(database_url))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        load_areas(DATA_DIR)
        load_schools(DATA_DIR)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return database_url


def fresh_g_per_request(app):
    """Tests hold an app context open, so requests would share ``g`` (and with it Flask-Login's
    cached user and Flask-WTF's cached token). Production gives every request a fresh ``g``."""

    @app.teardown_request
    def _clear_g(_error):
        g.__dict__.clear()


class ServerLikeClient(FlaskClient):
    """Reads each response whole, then closes it, as a WSGI server does once it has sent it: work
    a view leaves for after the response (``jobs.later``: the account emails) has run when the
    call returns. Werkzeug's client would otherwise never close a response it was not asked to."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def app(_schema, tmp_path):
    app = create_app(config_for(_schema, SEARCH_INDEX_DIR=str(tmp_path / "search-index")))
    app.test_client_class = ServerLikeClient
    fresh_g_per_request(app)
    with app.app_context():
        yield app
        db.session.rollback()
        clean_tables()
        db.session.remove()
        db.engine.dispose()
        app.extensions["cpspartners_search"].close()


def clean_tables():
    """Delete what a test wrote, children first, keeping the reference data (and the search outbox)."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def es_client(app):
    client = app.test_client()
    client.set_cookie("lang", "es")
    return client


_numbers = count(1)


def give_current_vetting(partner, today=None):
    """A current agreement, insurance certificate and background check, and the flag refreshed:
    what a partner needs before students may see its listings (``services.vetting``)."""
    from cpspartners.services import vetting

    today = today or date.today()
    for kind in ("agreement", "insurance", "background_check"):
        partner.vetting_records.append(
            VettingRecord(kind=kind, issued_on=today - timedelta(days=30), expires_on=today + timedelta(days=335))
        )
    vetting.refresh(partner, today)
    db.session.commit()
    return partner


@pytest.fixture
def make_partner(app):
    """A partner; ``vetted=True`` (the default) gives it current vetting records, so its
    listings for students are public, as most tests expect. ``vetted=False`` for none."""

    def make(vetted=True, **overrides):
        n = next(_numbers)
        values = {
            "name": f"Test Partner {n}",
            "slug": f"test-partner-{n}",
            "kind": "nonprofit",
            "status": "active",
            "mission": "Helping students learn.",
        }
        values.update(overrides)
        partner = Partner(**values)
        db.session.add(partner)
        db.session.commit()
        if vetted:
            give_current_vetting(partner)
        return partner

    return make


@pytest.fixture
def make_opportunity(app, make_partner):
    def make(**overrides):
        n = next(_numbers)
        if "partner" not in overrides and "partner_id" not in overrides:
            overrides["partner"] = make_partner()
        clusters = overrides.pop("clusters", ["060100"])
        tags = overrides.pop("tags", ["coding"])
        schools = overrides.pop("schools", [])
        values = {
            "title": f"Test opportunity {n}",
            "slug": f"test-opportunity-{n}",
            "kind": "workshop",
            "summary": "A short test summary.",
            "status": "published",
            "grade_min": 6,
            "grade_max": 12,
            "deadline": date.today() + timedelta(days=30),
        }
        values.update(overrides)
        opp = Opportunity(**values)
        opp.clusters = clusters
        opp.tags = tags
        opp.schools = schools
        db.session.add(opp)
        db.session.commit()
        return opp

    return make


@pytest.fixture
def curie(app):
    """Curie Metropolitan High School: a real CPS high school with real coordinates."""
    return db.session.scalars(db.select(School).where(School.long_name.like("%Curie%"))).first()


@pytest.fixture(scope="session")
def pg_admin_engine():
    """An engine on the PostgreSQL server for tests that need their own database."""
    if not PG_URL:
        skip_or_fail("PostgreSQL is not configured (set CPSPARTNERS_TEST_DATABASE_URL)")
    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


# --- Accounts: users per role, signing in, CSRF tokens, a real SMTP server -----------------

TEST_PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The hidden fields that say what an edit form showed (listings.Seen): a browser sends them back.
_SEEN = re.compile(r'<input[^>]*name="(version|loaded|request_token)"[^>]*value="([^"]*)"')


def csrf_token(client, path="/account/sign-in"):
    """The CSRF token of ``client``'s session, read from a real form like a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client, path, data=None, token_from="/account/sign-in", **kwargs):
    """POST a form with a valid CSRF token, as the browser would after loading the page (with the
    page's hidden version fields too, unless ``data`` gives them)."""
    payload = dict(data or {})
    html = client.get(token_from).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {token_from}"
    payload.setdefault("csrf_token", match.group(1))
    for name, value in _SEEN.findall(html):
        payload.setdefault(name, unescape(value))
    return client.post(path, data=payload, **kwargs)


@pytest.fixture
def make_user(app, curie, make_partner):
    def make(role="student", **overrides):
        n = next(_numbers)
        values = {"email": f"{role}{n}@example.org", "role": role, "name": f"{role.title()} {n}", "is_approved": True}
        if role in ("student", "teacher"):
            values["school_id"] = curie.id
        if role == "student":
            values["grade"] = 10
        if role == "partner_staff" and "partner" not in overrides and "partner_id" not in overrides:
            values["partner"] = make_partner()
        values.update(overrides)
        user = User(**values)
        user.set_password(TEST_PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def consent_on_record(student, partner, given_by="parent"):
    """What a partner needs before its staff see a student's applications: a data agreement in
    force and a parent's consent (``policy.can_see_application_details``)."""
    from cpspartners.models import Consent, PartnerDataAgreement

    today = date.today()
    if not db.session.scalar(db.select(PartnerDataAgreement.id).where(PartnerDataAgreement.partner_id == partner.id)):
        db.session.add(
            PartnerDataAgreement(
                partner_id=partner.id,
                version="IL-NDPA 1.0",
                signer_name="Director",
                signed_on=today - timedelta(days=10),
                expires_on=today + timedelta(days=355),
            )
        )
    consent = Consent(
        student_id=student.id,
        partner_id=partner.id,
        purpose="test",
        given_by=given_by,
        signer_name="Parent of %d" % student.id,
        method="paper",
    )
    db.session.add(consent)
    db.session.commit()
    return consent


@pytest.fixture
def consent_for_people(request):
    """For test files written before consent was asked: when a test uses ``people``, every
    student there has a parent's consent on record for both partners, with data agreements, so
    the partners see their applications as before. Used with ``pytest.mark.usefixtures``."""
    if "people" not in request.fixturenames:
        return
    people = request.getfixturevalue("people")
    for key in ("student", "student2", "student3", "young"):
        for partner in (people["partner"], people["other_partner"]):
            consent_on_record(people[key], partner)


TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the second factor test staff accounts enrol


def enrol_second_factor(user, secret=TEST_TOTP_SECRET):
    """Give a staff account its TOTP secret, as enrolling does (``services.two_factor.enrol``)."""
    from cpspartners.models._base import utcnow

    if not user.totp_secret:
        user.totp_secret = secret
        user.totp_enrolled_at = utcnow()
        db.session.commit()
    return user


def sign_in_as(client, user):
    """Put ``user`` in the client's session (what a successful sign-in does): for accounts that
    need a second factor, an enrolled TOTP secret and the second step passed, as the two steps
    of the sign-in form leave it (``accounts.sessions``)."""
    from cpspartners import policy
    from cpspartners.accounts import sessions

    second_factor = policy.needs_second_factor(user)
    if second_factor:
        enrol_second_factor(user)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()  # "id:session_version", as login_user stores it
        session["_fresh"] = True
        if second_factor:
            session[sessions.SECOND_FACTOR_KEY] = user.get_id()
    return client


@pytest.fixture
def client_as(app, make_user):
    """A test client signed in as a new user of ``role``: ``client_as("specialist")``."""

    def make(role, **overrides):
        user = make_user(role, **overrides)
        client = app.test_client()
        sign_in_as(client, user)
        client.user = user
        return client

    return make


class Inbox:
    """Messages delivered to the local SMTP server, parsed.

    Tests can make it refuse addresses (``refuse``), or end the connection instead of taking the
    next message once it holds ``drop_after`` messages: by hanging up (``drop_how = "hangup"``)
    or with the "421 closing" answer a server gives when it shuts down.
    """

    def __init__(self):
        self.messages = []
        self.attempts = []  # every RCPT address, refused ones too
        self.refuse = set()
        self.drop_after = None
        self.drop_how = "hangup"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.attempts.append(address)
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            if self.drop_how == "hangup":
                server.transport.close()
            return "421 4.3.0 Closing connection"
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        return "250 Message accepted for delivery"

    def last_to(self, address):
        found = [m for m in self.messages if m["To"] == address]
        assert found, f"no message to {address} among {[m['To'] for m in self.messages]}"
        return found[-1]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; the app is pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


@pytest.fixture
def people(app, make_partner, curie):
    """One person of each role around two partners, at Curie: for workflow tests."""
    partner = make_partner(name="Pilsen Robotics")
    other_partner = make_partner(name="Austin Builders")

    def user(email, role, **extra):
        extra.setdefault("is_approved", True)  # approved accounts: pending ones act for nobody
        person = User(email=email, role=role, name=extra.pop("name", email.split("@")[0].title()), **extra)
        db.session.add(person)
        return person

    people = {
        "student": user(
            "ana@example.org", "student", name="Ana Reyes", school_id=curie.id, grade=10, preferred_language="es"
        ),
        "student2": user("ben@example.org", "student", school_id=curie.id, grade=11),
        "student3": user("cy@example.org", "student", school_id=curie.id, grade=11),
        "young": user("dee@example.org", "student", school_id=curie.id, grade=6),
        "teacher": user("t@example.org", "teacher", school_id=curie.id),
        "staff": user("staff@example.org", "partner_staff", partner=partner),
        "other_staff": user("other@example.org", "partner_staff", partner=other_partner),
        "specialist": user("spec@example.org", "specialist"),
    }
    db.session.commit()
    people["partner"], people["other_partner"] = partner, other_partner
    return people
