"""The application factory and its configuration layers."""

import pytest

from cpspartners import create_app
from cpspartners.config import DEFAULT_SECRET_KEY, Defaults


def test_test_config_is_used(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.testing
    assert app.config["SECRET_KEY"] == "x"


def test_refuses_default_secret_key_outside_debug(database_url):
    with pytest.raises(RuntimeError, match="default SECRET_KEY"):
        create_app(
            {
                "TESTING": False,
                "DEBUG": False,
                "SECRET_KEY": DEFAULT_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": database_url,
            }
        )


def test_default_secret_key_allowed_when_testing(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY


@pytest.fixture
def environment_app(monkeypatch, tmp_path):
    """``create_app()`` as production calls it, reading an empty instance folder under tmp_path."""
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    monkeypatch.setenv("CPSPARTNERS_SQLALCHEMY_DATABASE_URI", "sqlite:///" + str(tmp_path / "x.sqlite"))
    return create_app


def test_environment_variables_override_and_parse_json(monkeypatch, environment_app):
    monkeypatch.setenv("CPSPARTNERS_PAGE_SIZE", "50")
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", "from-env")
    monkeypatch.setenv("CPSPARTNERS_SOMETHING", "not json {")
    app = environment_app()
    assert app.config["PAGE_SIZE"] == 50
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SOMETHING"] == "not json {"


@pytest.mark.parametrize("raw, expected", [("false", False), ("true", True)])
def test_cookie_secure_variables_are_booleans(monkeypatch, environment_app, raw, expected):
    """``make run`` serves plain HTTP with these set to false: the string "false" must not be truthy."""
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", "from-env")
    monkeypatch.setenv("CPSPARTNERS_SESSION_COOKIE_SECURE", raw)
    monkeypatch.setenv("CPSPARTNERS_REMEMBER_COOKIE_SECURE", raw)
    app = environment_app()
    assert app.config["SESSION_COOKIE_SECURE"] is expected
    assert app.config["REMEMBER_COOKIE_SECURE"] is expected


def test_cookies_are_secure_by_default_outside_debug(monkeypatch, environment_app):
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", "from-env")
    app = environment_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True


def test_refuses_default_secret_key_from_the_environment(monkeypatch, environment_app):
    monkeypatch.delenv("CPSPARTNERS_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="default SECRET_KEY"):
        environment_app()
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", DEFAULT_SECRET_KEY)
    with pytest.raises(RuntimeError, match="default SECRET_KEY"):
        environment_app()


def test_default_secret_key_allowed_in_debug_from_the_environment(monkeypatch, environment_app):
    monkeypatch.delenv("CPSPARTNERS_SECRET_KEY", raising=False)
    monkeypatch.setenv("CPSPARTNERS_DEBUG", "true")
    app = environment_app()
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_database_url_variable_wins_and_uses_psycopg3(monkeypatch, environment_app):
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", "from-env")
    monkeypatch.setenv("CPSPARTNERS_DATABASE_URL", "postgresql://u@db.example/prod")
    app = environment_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/prod"


def test_double_underscore_sets_one_key_and_leaves_the_defaults_alone(monkeypatch, environment_app):
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", "from-env")
    monkeypatch.setenv("CPSPARTNERS_SQLALCHEMY_ENGINE_OPTIONS__pool_recycle", "300")
    app = environment_app()
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_recycle": 300}
    assert Defaults.SQLALCHEMY_ENGINE_OPTIONS == {}


def test_environment_and_instance_config_layers(monkeypatch, tmp_path):
    """Defaults, then instance/config.py, then CPSPARTNERS_* environment variables."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'from-instance'\nPAGE_SIZE = 7\n")
    monkeypatch.setenv("CPSPARTNERS_PAGE_SIZE", "9")
    monkeypatch.setenv("CPSPARTNERS_SQLALCHEMY_DATABASE_URI", "sqlite:///" + str(tmp_path / "x.sqlite"))
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["PAGE_SIZE"] == 9


def test_postgresql_urls_use_psycopg3(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql://u@localhost/db"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
