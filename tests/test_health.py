"""Liveness, readiness and request ids (issue 18, point 3)."""

import io
import json
import logging

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.health.requests import HEADER, JsonFormatter, RequestIdFilter
from tests.conftest import config_for


def test_live_answers_without_touching_anything(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers


def test_ready_when_every_part_answers(client):
    response = client.get("/health/ready")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_not_ready_names_the_parts_that_do_not_answer(database_url, _schema):
    # Nothing listens on port 9 of this machine: the job queue and the counters are unreachable.
    app = create_app(config_for(database_url, RQ_REDIS_URL="redis://127.0.0.1:9/0", RATELIMIT_STORAGE_URI="memory://"))
    response = app.test_client().get("/health/ready")
    with app.app_context():
        db.engine.dispose()  # close its pooled connection now, not when the garbage collector finds it
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "failing": {"jobs": "unreachable"}}
    down = create_app(config_for("postgresql://postgres@127.0.0.1:9/nothing"))
    response = down.test_client().get("/health/ready")
    assert response.status_code == 503 and response.json["failing"]["database"] == "unreachable"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # public: parts and kinds of failure only


def test_every_response_carries_a_request_id_and_keeps_a_well_formed_one(client):
    made = client.get("/").headers[HEADER]
    assert len(made) == 32 and made != client.get("/").headers[HEADER]
    assert client.get("/", headers={HEADER: "lb-2f9c1a7e"}).headers[HEADER] == "lb-2f9c1a7e"
    for forged in ("short", "x" * 65, "a b c d e f g h", "id;Set-Cookie=x1234"):
        kept = client.get("/", headers={HEADER: forged}).headers[HEADER]
        assert kept != forged and len(kept) == 32


def test_log_lines_carry_the_request_id_in_text_and_json(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    app.logger.addHandler(handler)
    try:
        with app.test_request_context("/", headers={HEADER: "req-12345678"}):
            app.logger.warning("something happened to listing %d", 42)
        app.logger.warning("from a command")
    finally:
        app.logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["request_id"] == "req-12345678" and first["message"] == "something happened to listing 42"
    assert first["level"] == "WARNING" and second["request_id"] == "-"
