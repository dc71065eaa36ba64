"""The security baseline: headers on every response, cookies, CSRF, body size, redirects,
and templates that work under a CSP with no inline script or style."""

import os
import re

import pytest
from sqlalchemy import func, select

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import AuditEntry, ChangeRequest, User
from cpspartners.security import CONTENT_SECURITY_POLICY, safe_next
from tests.conftest import TEST_PASSWORD, config_for, post

ROOT = os.path.dirname(os.path.dirname(__file__))


@pytest.mark.parametrize(
    "path", ["/", "/opportunities", "/account/sign-in", "/no-such-page", "/static/css/site.css", "/review"]
)
def test_every_response_has_the_security_headers(client, path):
    response = client.get(path)
    response.close()
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers


def test_hsts_only_over_https(client):
    assert "max-age=" in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_cookies_are_secure_outside_debug_and_testing(database_url):
    production = create_app({"SECRET_KEY": "s" * 32, "SQLALCHEMY_DATABASE_URI": database_url})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] and production.config["REMEMBER_COOKIE_HTTPONLY"]
    assert production.config["SESSION_COOKIE_SAMESITE"] == production.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    testing = create_app(config_for(database_url))
    assert testing.config["SESSION_COOKIE_SECURE"] is False


def test_session_cookie_flags(client):
    response = client.get("/account/sign-in")
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_missing_or_forged_csrf_token_is_a_400_and_changes_nothing(client_as, make_opportunity):
    client = client_as("partner_staff")
    opp = make_opportunity(partner=client.user.partner)
    form = {
        "title": "Hacked",
        "summary": "x",
        "kind": "workshop",
        "audience": "students",
        "grade_min": "6",
        "grade_max": "12",
        "modality": "in_person",
        "community_area_number": "0",
    }
    for token in (None, "forged-token", csrf_for_other_session(client_as)):
        data = dict(form)
        if token:
            data["csrf_token"] = token
        response = client.post(f"/partner/opportunities/{opp.id}/edit", data=data)
        assert response.status_code == 400
        assert "This form expired or did not come from this site" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ChangeRequest)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def csrf_for_other_session(client_as):
    from tests.conftest import csrf_token

    return csrf_token(client_as("teacher"))


def test_sign_in_without_csrf_is_refused(client, make_user):
    user = make_user("teacher")
    response = client.post("/account/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302  # still signed out


def test_oversized_body_gets_a_friendly_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/account/sign-in", data={"email": "a" * 5000, "password": "x"})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/schools?area=3", "/schools?area=3"),
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("schools", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_safe_next_allows_only_our_own_paths(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected


def test_language_switch_still_refuses_other_hosts(client):
    assert client.get("/language/es?next=//evil.example").headers["Location"] == "/"


def test_no_inline_script_or_style_in_any_template():
    offenders = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "templates")):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if re.search(r"\sstyle\s*=", text) or re.search(r"<style", text, re.I):
                offenders.append(path + ": inline style")
            if re.search(r"<script(?![^>]*\ssrc=)", text, re.I) or re.search(r"\son[a-z]+\s*=", text, re.I):
                offenders.append(path + ": inline script")
    assert offenders == []


def test_anonymous_visitor_is_sent_to_sign_in_with_next(client):
    response = client.get("/review/audit?actor=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/sign-in?next=/review/audit?actor%3Dx"


def test_signed_in_without_the_right_gets_403(client_as):
    assert client_as("teacher").get("/review").status_code == 403


def test_sign_in_page_posts_with_a_token_from_the_form(client, make_user):
    user = make_user("student")
    assert post(client, "/account/sign-in", {"email": user.email, "password": TEST_PASSWORD}).status_code == 302
