"""Staff accounts are strong (X2, X3, X4, A3): TOTP with recovery codes, common passwords
refused, inactivity and absolute timeouts, admins end sessions."""

import re
import time

import pyotp
import pytest

from cpspartners.accounts import passwords, sessions
from cpspartners.accounts.auth import make_reset_token
from cpspartners.extensions import db
from cpspartners.models import RecoveryCode, User
from cpspartners.services import two_factor
from tests.conftest import TEST_PASSWORD, TEST_TOTP_SECRET, enrol_second_factor, post, sign_in_as


def sign_in(client, user):
    return post(client, "/account/sign-in", {"email": user.email, "password": TEST_PASSWORD})


def test_a_specialist_without_a_second_factor_must_enrol_before_anything_else(app, make_user):
    user = make_user("specialist")
    client = app.test_client()
    response = sign_in(client, user)
    assert response.headers["Location"].endswith("/account/two-factor/enrol")
    assert client.get("/review").headers["Location"].endswith("/account/two-factor/enrol")
    page = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = post(client, "/account/two-factor/enrol", {"code": "000000"}, token_from="/account/two-factor/enrol")
    assert wrong.status_code == 400
    done = post(
        client, "/account/two-factor/enrol", {"code": pyotp.TOTP(secret).now()}, token_from="/account/two-factor/enrol"
    )
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/review").status_code == 200
    stored = db.session.scalars(db.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not any(c.replace("-", "") in stored for c in codes)  # hashed


def test_enrolled_staff_pass_the_code_step_and_a_code_works_once(app, make_user):
    user = enrol_second_factor(make_user("partner_staff"))
    client = app.test_client()
    assert sign_in(client, user).headers["Location"].endswith("/account/two-factor")
    assert client.get("/applications/received").headers["Location"].endswith("/account/two-factor")
    code = pyotp.TOTP(TEST_TOTP_SECRET).now()
    assert post(client, "/account/two-factor", {"code": code}, token_from="/account/two-factor").status_code == 302
    assert client.get("/applications/received").status_code == 200
    # The same code cannot sign in a second browser (replay).
    other = app.test_client()
    sign_in(other, user)
    assert post(other, "/account/two-factor", {"code": code}, token_from="/account/two-factor").status_code == 400


def test_a_recovery_code_works_once(app, make_user):
    user = make_user("admin")
    codes = two_factor.enrol(user, TEST_TOTP_SECRET, pyotp.TOTP(TEST_TOTP_SECRET).at(time.time() - 30))
    client = app.test_client()
    sign_in(client, user)
    assert post(client, "/account/two-factor", {"code": codes[0]}, token_from="/account/two-factor").status_code == 302
    again = app.test_client()
    sign_in(again, user)
    assert post(again, "/account/two-factor", {"code": codes[0]}, token_from="/account/two-factor").status_code == 400


def test_a_password_reset_never_skips_the_second_factor(app, make_user):
    user = enrol_second_factor(make_user("specialist"))
    client = app.test_client()
    token = make_reset_token(user)
    new = "a brand new passphrase"
    response = post(
        client, f"/account/reset/{token}", {"password": new, "confirm": new}, token_from=f"/account/reset/{token}"
    )
    assert response.headers["Location"].endswith("/account/sign-in")
    assert db.session.get(User, user.id).totp_secret == TEST_TOTP_SECRET  # kept
    signed = post(client, "/account/sign-in", {"email": user.email, "password": new})
    assert signed.headers["Location"].endswith("/account/two-factor")
    assert client.get("/review").headers["Location"].endswith("/account/two-factor")


def test_students_sign_in_with_a_password_alone(app, make_user):
    client = app.test_client()
    sign_in(client, make_user("student"))
    assert client.get("/applications/mine").status_code == 200


@pytest.mark.parametrize("password", ["password123", "Qwertyuiop", "football2024!", "1234567890"])
def test_common_passwords_are_refused(app, client, curie, password):
    assert passwords.is_common(password)
    form = {"role": "student", "email": "new@example.org", "password": password, "confirm": password}
    form.update(school_id=str(curie.id), grade="9", language="en")
    response = post(client, "/account/register", form, token_from="/account/register")
    assert response.status_code == 400 and "most common" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User.id).where(User.email == "new@example.org")) is None


def test_an_uncommon_password_passes():
    assert not passwords.is_common(TEST_PASSWORD) and not passwords.is_common("a brand new passphrase")


def test_inactivity_and_absolute_timeouts_sign_out_on_the_server(app, make_user):
    client = sign_in_as(app.test_client(), make_user("student"))
    assert client.get("/applications/mine").status_code == 200
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = time.time() - app.config["SESSION_IDLE_TIMEOUT"] - 5
    response = client.get("/applications/mine")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    assert client.get("/applications/mine").headers["Location"].startswith("/account/sign-in")

    client = sign_in_as(app.test_client(), make_user("student"))
    client.get("/")
    with client.session_transaction() as session:
        session[sessions.STARTED_KEY] = time.time() - app.config["SESSION_ABSOLUTE_TIMEOUT"] - 5
    assert client.get("/applications/mine").headers["Location"].startswith("/account/sign-in")


def test_the_warning_asks_without_extending_and_stay_signed_in_extends(app, make_user):
    client = sign_in_as(app.test_client(), make_user("student"))
    page = client.get("/").get_data(as_text=True)
    assert 'id="session-warning"' in page and "session-timeout.js" in page and "Stay signed in" in page
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = time.time() - app.config["SESSION_IDLE_TIMEOUT"] + 60
    status = client.get("/account/session").get_json()
    assert status["signed_in"] and status["remaining"] <= 60
    ping = post(client, "/account/session", {}, token_from="/", headers={"Accept": "application/json"})
    assert ping.get_json()["remaining"] > app.config["SESSION_IDLE_TIMEOUT"] - 10
    assert app.test_client().get("/account/session").status_code == 401


def test_an_admin_ends_every_session_of_an_account(app, make_user):
    target = make_user("teacher")
    victim = sign_in_as(app.test_client(), target)
    assert victim.get("/account").status_code == 200
    admin = sign_in_as(app.test_client(), make_user("admin"))
    url = f"/admin/users/{target.id}"
    assert "End every session" in admin.get(url).get_data(as_text=True)
    assert post(admin, url + "/end-sessions", token_from=url).status_code == 302
    assert victim.get("/account").headers["Location"].startswith("/account/sign-in")


def test_an_admin_resets_a_lost_second_step_and_the_owner_sets_it_up_again(app, make_user, smtp_server):
    from cpspartners.models import AuditEntry

    owner = enrol_second_factor(make_user("specialist"))
    two_factor.enrol(owner, TEST_TOTP_SECRET, pyotp.TOTP(TEST_TOTP_SECRET).now())
    signed_in = sign_in_as(app.test_client(), owner)
    assert signed_in.get("/review").status_code == 200
    admin = sign_in_as(app.test_client(), make_user("admin"))
    url = f"/admin/users/{owner.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "Second sign-in step" in page and "Reset the second sign-in step" in page
    assert admin.post(url + "/reset-second-factor").status_code == 400  # no CSRF token: refused
    db.session.expire_all()
    assert owner.totp_secret
    response = post(admin, url + "/reset-second-factor", token_from=url)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    db.session.expire_all()
    assert owner.totp_secret is None and owner.totp_enrolled_at is None and owner.totp_last_step is None
    assert db.session.scalar(db.select(db.func.count()).where(RecoveryCode.user_id == owner.id)) == 0
    assert signed_in.get("/review").headers["Location"].startswith("/account/sign-in")  # every session ended
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "two_factor_reset")).one()
    assert entry.subject_id == owner.id
    message = smtp_server.last_to(owner.email)
    assert "second sign-in step was reset" in message["Subject"]
    assert "Not set up yet" in admin.get(url).get_data(as_text=True)
    # The owner signs in and is sent to set it up again; a second reset has nothing to reset.
    assert sign_in(app.test_client(), owner).headers["Location"].endswith("/account/two-factor/enrol")
    again = post(admin, url + "/reset-second-factor", token_from=url)
    assert "no second sign-in step to reset" in admin.get(again.headers["Location"]).get_data(as_text=True)


def test_nobody_resets_their_own_second_step_nor_does_a_specialist(app, make_user):
    admin = enrol_second_factor(make_user("admin"))
    client = sign_in_as(app.test_client(), admin)
    url = f"/admin/users/{admin.id}"
    page = client.get(url).get_data(as_text=True)
    assert "only by another administrator" in page and "Reset the second sign-in step" not in page
    assert post(client, url + "/reset-second-factor", token_from=url).status_code == 403
    staff = enrol_second_factor(make_user("partner_staff"))
    specialist = sign_in_as(app.test_client(), make_user("specialist"))
    assert post(specialist, f"/admin/users/{staff.id}/reset-second-factor", token_from="/review").status_code == 403
    with pytest.raises(two_factor.NotAllowed):
        two_factor.reset(admin, admin)
    db.session.expire_all()
    assert admin.totp_secret and staff.totp_secret
