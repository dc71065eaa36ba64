"""The application factory and its configuration layers."""

import pytest

from cpspartners import create_app
from cpspartners.config import DEFAULT_SECRET_KEY, from_environment


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


def test_environment_variables_override_and_parse_json(monkeypatch):
    monkeypatch.setenv("CPSPARTNERS_PAGE_SIZE", "50")
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", "from-env")
    monkeypatch.setenv("CPSPARTNERS_SOMETHING", "not json {")
    found = from_environment()
    assert found["PAGE_SIZE"] == 50
    assert found["SECRET_KEY"] == "from-env"
    assert found["SOMETHING"] == "not json {"


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
