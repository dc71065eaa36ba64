"""``flask users create-admin`` and ``flask seed users``."""

from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import User
from cpspartners.seed.users import DEMO_USERS
from tests.conftest import post


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-admin", "--email", "Boss@Example.org", "--password", "a long password"]
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalars(select(User).where(User.email == "boss@example.org")).one()
    assert admin.role == "admin" and admin.is_approved and admin.check_password("a long password")
    again = runner.invoke(args=["users", "create-admin", "--email", "boss@example.org", "--password", "x" * 12])
    assert again.exit_code != 0 and "already" in again.output
    short = runner.invoke(args=["users", "create-admin", "--email", "b@example.org", "--password", "short"])
    assert short.exit_code != 0
    assert db.session.scalars(select(User).where(User.email == "b@example.org")).first() is None


def test_seed_users_makes_one_account_per_role_and_prints_passwords(app, make_partner):
    make_partner()
    result = app.test_cli_runner().invoke(args=["seed", "users"])
    assert result.exit_code == 0, result.output
    for email, role, _name, password in DEMO_USERS:
        user = db.session.scalars(select(User).where(User.email == email)).one()
        assert user.role == role and user.check_password(password)
        assert password in result.output
    assert app.test_cli_runner().invoke(args=["seed", "users"]).exit_code == 0  # safe to run again


def test_each_demo_account_signs_in_through_the_form(app, make_partner):
    make_partner()
    app.test_cli_runner().invoke(args=["seed", "users"])
    for email, role, _name, password in DEMO_USERS:
        client = app.test_client()
        response = post(client, "/account/sign-in", {"email": email, "password": password})
        assert response.status_code == 302, (role, response.get_data(as_text=True)[:300])
        assert not response.headers["Location"].startswith("/account/sign-in")


def test_seed_users_refuses_in_production(app):
    app.testing = False
    app.config["TESTING"] = False
    result = app.test_cli_runner().invoke(args=["seed", "users"])
    assert result.exit_code != 0 and "development" in result.output
    assert db.session.scalars(select(User)).first() is None
