"""Registering, signing in and out, email confirmation and password reset, through real forms
with CSRF on, and email delivered to a real local SMTP server."""

import re
import time

from argon2 import PasswordHasher
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from cpspartners.accounts import passwords
from cpspartners.accounts.auth import make_reset_token
from cpspartners.extensions import db
from cpspartners.models import AuditEntry, ChangeRequest, Partner, User
from tests.conftest import TEST_PASSWORD, post

LINK = re.compile(r"http://localhost(/account/\S+)")


def register(client, **fields):
    data = {
        "role": "student",
        "email": "new@example.org",
        "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD,
        "school_id": "",
        "grade": "0",
        "partner_id": "0",
        "language": "en",
        "name": "Ana",
    }
    data.update(fields)
    return post(client, "/account/register", data, token_from="/account/register")


def user_count():
    return db.session.scalar(select(func.count()).select_from(User))


def test_student_registers_with_school_and_grade_only(client, curie, smtp_server):
    response = register(client, school_id=str(curie.id), grade="8")
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "new@example.org")).one()
    assert (user.role, user.school_id, user.grade, user.is_approved) == ("student", curie.id, 8, True)
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and TEST_PASSWORD not in user.password_hash
    assert not hasattr(user, "birth_date")
    message = smtp_server.last_to("new@example.org")
    assert "Confirm" in message["Subject"]


def test_student_without_school_or_grade_gets_messages_next_to_fields(client):
    response = register(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="school_id-error"' in html and 'id="grade-error"' in html
    assert 'aria-describedby="school_id-help school_id-error"' in html
    assert 'value="new@example.org"' in html  # what was typed is kept
    assert user_count() == 0


def test_teacher_account_starts_pending(client, curie):
    register(client, role="teacher", school_id=str(curie.id), email="t@example.org")
    teacher = db.session.scalars(select(User).where(User.email == "t@example.org")).one()
    assert teacher.role == "teacher" and not teacher.is_approved


def test_partner_staff_can_propose_a_new_partner_which_is_pending(client):
    response = register(client, role="partner_staff", email="p@example.org", new_partner_name="Pilsen Makers")
    assert response.status_code == 302
    staff = db.session.scalars(select(User).where(User.email == "p@example.org")).one()
    assert not staff.is_approved
    assert staff.partner.name == "Pilsen Makers" and staff.partner.status == "pending"
    request = db.session.scalars(select(ChangeRequest).where(ChangeRequest.subject_id == staff.partner_id)).one()
    assert request.is_new and request.subject_type == "partner"


def test_partner_staff_typing_their_organization_exactly_are_linked_at_once(client, make_partner):
    partner = make_partner(name="Pilsen Robotics Lab")
    response = register(client, role="partner_staff", email="p@example.org", organization="pilsen  ROBOTICS lab")
    assert response.status_code == 302
    assert db.session.scalars(select(User).where(User.email == "p@example.org")).one().partner_id == partner.id


def test_partner_staff_choose_among_close_matches(client, make_partner):
    near = make_partner(name="Pilsen Robotics Lab")
    make_partner(name="Austin Robotics Club")
    make_partner(name="Garden Friends")
    response = register(client, role="partner_staff", email="p@example.org", organization="robotics")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and user_count() == 0
    assert "Organizations that match" in html and "Choose your organization from the list" in html
    assert "Pilsen Robotics Lab" in html and "Austin Robotics Club" in html and "Garden Friends" not in html
    assert html.count('name="partner_id"') == 2
    chosen = register(
        client, role="partner_staff", email="p@example.org", organization="robotics", partner_id=str(near.id)
    )
    assert chosen.status_code == 302
    assert db.session.scalars(select(User).where(User.email == "p@example.org")).one().partner_id == near.id


def test_partner_staff_are_told_when_no_organization_matches(client, make_partner):
    make_partner(name="Pilsen Robotics Lab")
    response = register(client, role="partner_staff", email="p@example.org", organization="Zzyzx Guild")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and user_count() == 0
    assert "We found no organization called “Zzyzx Guild”" in html and 'name="partner_id"' not in html
    empty = register(client, role="partner_staff", email="p@example.org")
    assert empty.status_code == 400 and "Type your organization" in empty.get_data(as_text=True)


def test_the_registration_page_lists_no_partners(client, make_partner):
    make_partner(name="Pilsen Robotics Lab")
    html = client.get("/account/register").get_data(as_text=True)
    assert "Pilsen Robotics Lab" not in html and 'name="partner_id"' not in html


def test_register_cannot_choose_staff_roles(client, curie):
    response = register(client, role="admin", school_id=str(curie.id), grade="8")
    assert response.status_code == 400
    assert user_count() == 0


def test_registering_a_taken_email_looks_the_same_and_tells_the_owner(client, make_user, smtp_server, curie):
    owner = make_user("teacher")
    first = register(client, email="fresh@example.org", school_id=str(curie.id), grade="8")
    second = register(client, email=owner.email.upper(), school_id=str(curie.id), grade="8")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert user_count() == 2
    assert "tried to register" in smtp_server.last_to(owner.email)["Subject"]


def test_sign_in_and_out(client, make_user):
    user = make_user("teacher")
    response = post(client, "/account/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert user.email in page and "Sign out" in page
    assert client.post("/account/sign-out").status_code == 400  # no CSRF token: refused
    assert post(client, "/account/sign-out").status_code == 302
    assert client.get("/account").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    user = make_user("teacher")
    wrong = post(client, "/account/sign-in", {"email": user.email, "password": "not the password"})
    unknown = post(client, "/account/sign-in", {"email": "nobody@example.org", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 400
    message = "That email and password do not match an account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_a_scrypt_hash_from_before_signs_in_and_is_replaced(client, make_user):
    user = make_user("teacher")
    user.password_hash = generate_password_hash(TEST_PASSWORD, method="scrypt")
    db.session.commit()
    wrong = post(client, "/account/sign-in", {"email": user.email, "password": "not the password"})
    assert wrong.status_code == 400
    db.session.expire_all()
    assert user.password_hash.startswith("scrypt:")  # a wrong password changes nothing
    assert post(client, "/account/sign-in", {"email": user.email, "password": TEST_PASSWORD}).status_code == 302
    db.session.expire_all()
    assert user.password_hash.startswith("$argon2id$") and not passwords.needs_rehash(user.password_hash)
    assert user.check_password(TEST_PASSWORD) and not user.check_password("not the password")


def test_hashes_that_cannot_be_read_match_nothing():
    for stored in (None, "", "plain text", "$argon2id$v=19$m=19456,t=2,p=1$bad", "scrypt:1:2:3$x$y", "md5$a$b"):
        assert not passwords.verify(stored, TEST_PASSWORD)
        assert passwords.needs_rehash(stored)
    cheaper = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(TEST_PASSWORD)
    assert passwords.verify(cheaper, TEST_PASSWORD) and passwords.needs_rehash(cheaper)


def test_switched_off_account_cannot_sign_in(client, make_user):
    user = make_user("teacher", active=False)
    response = post(client, "/account/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400


def test_account_switched_off_while_signed_in_counts_as_signed_out(client_as):
    client = client_as("teacher")
    assert client.get("/visits/mine").status_code == 200
    client.user.active = False
    db.session.commit()
    response = client.get("/visits/mine")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/sign-in")
    assert not client.user.is_authenticated and client.user.get_id() == "%d:0" % client.user.id


def test_remember_me_sets_a_persistent_httponly_cookie(client, make_user):
    user = make_user("student")
    response = post(client, "/account/sign-in", {"email": user.email, "password": TEST_PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0] and "Expires=" in remember[0]


def test_next_goes_only_to_our_own_paths(client, make_user):
    user = make_user("student")
    for target, expected in (
        ("/schools", "/schools"),
        ("https://evil.example/", "/for-you"),
        ("//evil.example/x", "/for-you"),
        ("/\\evil.example", "/for-you"),
    ):
        client.delete_cookie("session")
        response = post(client, f"/account/sign-in?next={target}", {"email": user.email, "password": TEST_PASSWORD})
        assert response.headers["Location"] == expected, target


def test_sign_in_is_rate_limited_per_account(app, make_user):
    app.config["SIGNIN_LIMIT_PER_ACCOUNT"] = "3 per minute"
    user = make_user("teacher")
    statuses = []
    for n in range(5):
        client = app.test_client()  # a new visitor each time: the limit follows the account
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        response = post(client, "/account/sign-in", {"email": user.email, "password": "wrong password"})
        statuses.append(response.status_code)
    assert statuses == [400, 400, 400, 429, 429]


def test_sign_in_is_rate_limited_per_address(app, client):
    app.config["SIGNIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    statuses = [
        post(client, "/account/sign-in", {"email": f"x{n}@example.org", "password": "nope"}).status_code
        for n in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
    assert "Too many attempts" in post(client, "/account/sign-in", {"email": "y@example.org"}).get_data(as_text=True)


def test_reset_requests_are_rate_limited(app, client, make_user):
    app.config["RESET_LIMIT"] = "2 per minute"
    user = make_user("teacher")
    statuses = [post(client, "/account/reset", {"email": user.email}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]


def test_password_reset_by_emailed_link(client, make_user, smtp_server):
    user = make_user("teacher", preferred_language="en")
    response = post(client, "/account/reset", {"email": user.email})
    assert response.status_code == 302
    body = smtp_server.last_to(user.email).get_content()
    path = LINK.search(body).group(1)
    new_password = "a brand new password"
    form_page = client.get(path)
    assert form_page.status_code == 200
    assert post(client, path, {"password": new_password, "confirm": new_password}, token_from=path).status_code == 302
    db.session.refresh(user)
    assert user.check_password(new_password)
    assert client.get(path).status_code == 400  # used once: the link stops working


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, smtp_server):
    response = post(client, "/account/reset", {"email": "nobody@example.org"})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "If an account uses that address" in follow
    assert smtp_server.messages == []


def test_expired_and_tampered_reset_links_are_refused(app, client, make_user):
    user = make_user("teacher")
    token = make_reset_token(user)
    assert client.get(f"/account/reset/{token[:-3]}abc").status_code == 400
    assert client.get("/account/reset/not-a-token").status_code == 400
    app.config["RESET_LINK_MAX_AGE"] = 1
    time.sleep(2)
    response = post(client, f"/account/reset/{token}", {"password": "x" * 12, "confirm": "x" * 12})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.check_password(TEST_PASSWORD)


def test_email_confirmation_link_in_spanish(client, curie, smtp_server):
    register(client, school_id=str(curie.id), grade="9", language="es", email="es@example.org")
    message = smtp_server.last_to("es@example.org")
    assert message["Subject"].startswith("Confirma")
    path = LINK.search(message.get_content()).group(1)
    assert client.get(path).status_code == 302
    assert db.session.scalars(select(User).where(User.email == "es@example.org")).one().email_confirmed_at
    assert client.get(path[:-4] + "zzzz").status_code == 400


def test_mail_without_server_goes_to_the_log(app, client, make_user, caplog):
    """The log says a message was not sent and which, never to whom nor its link (a reset link
    is a credential); the development outbox (/dev/outbox) holds the message itself."""
    user = make_user("teacher")
    with caplog.at_level("INFO"):
        post(client, "/account/reset", {"email": user.email})
    assert "Email not sent" in caplog.text and "Choose a new password" in caplog.text
    assert "/account/reset/" not in caplog.text and user.email not in caplog.text


def test_profile_update_and_password_change(client_as):
    client = client_as("teacher")
    assert post(client, "/account", {"name": "Zoë عربي", "language": "es"}).status_code == 302
    db.session.refresh(client.user)
    assert client.user.name == "Zoë عربي" and client.user.preferred_language == "es"
    bad = post(client, "/account/password", {"pw-current": "wrong", "pw-password": "x" * 12, "pw-confirm": "x" * 12})
    assert bad.status_code == 400
    good = post(
        client, "/account/password", {"pw-current": TEST_PASSWORD, "pw-password": "y" * 12, "pw-confirm": "y" * 12}
    )
    assert good.status_code == 302
    db.session.refresh(client.user)
    assert client.user.check_password("y" * 12)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "updated_profile")).one()


def test_pending_partner_cannot_be_chosen_by_new_staff(client):
    pending = Partner(name="Pending org", slug="pending-org", kind="nonprofit", status="pending")
    db.session.add(pending)
    db.session.commit()
    response = register(
        client, role="partner_staff", email="p@example.org", organization="Pending org", partner_id=str(pending.id)
    )
    assert response.status_code == 400
    assert 'name="partner_id"' not in response.get_data(as_text=True)  # nothing offered to choose
    assert user_count() == 0
