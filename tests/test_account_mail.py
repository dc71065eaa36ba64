"""Reset and confirmation mail leave the request: known and unknown addresses answer alike.

A reset request does one thing whatever the address: it leaves a job ("send a reset link to this
address if an account has it") that looks the account up. Inline (no RQ_REDIS_URL) the job runs
once the response has been sent; with RQ_REDIS_URL it goes on the queue. No timing is asserted:
the tests check that the answers are identical and that the request itself sends nothing.
"""

import os
import uuid

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import User
from tests.conftest import TEST_PASSWORD, csrf_token, skip_or_fail

RQ_TEST_REDIS = os.environ.get("CPSPARTNERS_TEST_RQ_REDIS_URL", "redis://127.0.0.1:6379/11")


def answer(response):
    """What a visitor can see of a response, apart from the cookies (session, CSRF token) and the
    request id (new for every request, whoever asks: it tells nothing about the address)."""
    headers = sorted(
        (name, value) for name, value in response.headers.items() if name.lower() not in ("set-cookie", "x-request-id")
    )
    return response.status_code, headers, response.get_data()


def submit(app, path, data, buffered=True):
    """A new visitor posts the form at ``path`` with a valid CSRF token."""
    client = app.test_client()
    payload = {"csrf_token": csrf_token(client, path), **data}
    return client.post(path, data=payload, buffered=buffered)


def registration(email, **extra):
    return {
        "role": "student",
        "email": email,
        "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD,
        "school_id": str(extra.pop("school_id")),
        "grade": "9",
        "partner_id": "0",
        "language": "en",
        **extra,
    }


def test_reset_answers_alike_for_known_and_unknown_addresses(app, make_user, smtp_server):
    user = make_user("teacher")
    known = submit(app, "/account/reset", {"email": user.email})
    unknown = submit(app, "/account/reset", {"email": "nobody@example.org"})
    assert known.status_code == 302
    assert answer(known) == answer(unknown)
    assert "Choose a new password" in smtp_server.last_to(user.email)["Subject"]
    assert smtp_server.attempts == [user.email]  # nothing was sent for the unknown address


def test_reset_mail_is_sent_after_the_response_not_in_the_request(app, make_user, smtp_server):
    user = make_user("teacher")
    response = submit(app, "/account/reset", {"email": user.email}, buffered=False)
    assert response.status_code == 302 and smtp_server.messages == []  # the answer is out, the mail not yet
    response.close()  # what the server does once it has sent the response
    assert smtp_server.last_to(user.email)


def test_registration_answers_alike_for_new_and_taken_addresses(app, make_user, smtp_server, curie):
    taken = make_user("student")
    new = submit(app, "/account/register", registration("fresh@example.org", school_id=curie.id))
    again = submit(app, "/account/register", registration(taken.email, school_id=curie.id))
    assert new.status_code == 302
    assert answer(new) == answer(again)
    assert "Confirm" in smtp_server.last_to("fresh@example.org")["Subject"]
    assert "/account/reset" in smtp_server.last_to(taken.email).get_content()


def test_confirmation_mail_is_sent_after_the_response(app, curie, smtp_server):
    response = submit(app, "/account/register", registration("later@example.org", school_id=curie.id), buffered=False)
    assert response.status_code == 302 and smtp_server.messages == []
    assert db.session.scalars(select(User).where(User.email == "later@example.org")).one()
    response.close()
    assert "Confirm" in smtp_server.last_to("later@example.org")["Subject"]


def test_resending_the_confirmation_link_goes_through_a_job_too(app, make_user, smtp_server):
    from tests.conftest import post, sign_in_as

    user = make_user("teacher")
    client = sign_in_as(app.test_client(), user)
    response = post(client, "/account/confirm", {}, token_from="/account")
    assert response.status_code == 302
    assert "Confirm" in smtp_server.last_to(user.email)["Subject"]


def test_a_failing_job_is_logged_and_the_answer_stands(app, make_user, smtp_server, monkeypatch, caplog):
    from cpspartners.accounts import emails

    def broken(email):
        raise RuntimeError("the mail template is broken")

    monkeypatch.setattr(emails, "send_reset_link", broken)
    response = submit(app, "/account/reset", {"email": make_user("teacher").email})
    assert response.status_code == 302 and "Job send_reset_link failed" in caplog.text


@pytest.fixture
def rq_queue(app):
    """The app's jobs on a Redis queue (a database number of its own), emptied before and after."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    from rq import Queue

    from cpspartners.jobs import QUEUE

    connection = Redis.from_url(RQ_TEST_REDIS)
    try:
        connection.ping()
    except RedisDown:
        skip_or_fail(f"Redis does not answer at {RQ_TEST_REDIS}")
    queue = Queue(QUEUE, connection=connection)
    queue.empty()
    app.config["RQ_REDIS_URL"] = RQ_TEST_REDIS
    yield queue
    queue.empty()
    connection.close()


def test_with_a_queue_every_reset_request_enqueues_the_same_job(app, make_user, smtp_server, rq_queue):
    from rq import SimpleWorker

    user = make_user("teacher")
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    known_answer = submit(app, "/account/reset", {"email": user.email})
    unknown_answer = submit(app, "/account/reset", {"email": unknown})
    assert answer(known_answer) == answer(unknown_answer)
    jobs = rq_queue.get_jobs()
    assert [(job.func_name, job.args) for job in jobs] == [
        ("cpspartners.jobs.send_reset_link", (user.email, "http://localhost/")),
        ("cpspartners.jobs.send_reset_link", (unknown, "http://localhost/")),
    ]
    assert smtp_server.messages == []  # the request sent nothing
    # A worker in this process runs them in the test app (a real worker makes its own app).
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    assert smtp_server.attempts == [user.email]


def test_when_the_queue_is_down_the_job_runs_after_the_response(app, make_user, smtp_server, caplog):
    app.config["RQ_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    user = make_user("teacher")
    response = submit(app, "/account/reset", {"email": user.email})
    assert response.status_code == 302 and "Could not queue send_reset_link" in caplog.text
    assert smtp_server.last_to(user.email)


def test_newsletter_subscription_answers_alike_and_mails_after_the_response(app, smtp_server, curie):
    from datetime import UTC, datetime

    from cpspartners.models import NewsletterSubscriber

    confirmed = NewsletterSubscriber(email="known@example.org", language="en", confirmed_at=datetime.now(UTC))
    db.session.add(confirmed)
    db.session.commit()
    form = {"language": "en", "school_id": str(curie.id)}
    new = submit(app, "/newsletters/subscribe", {"email": "new@example.org", **form}, buffered=False)
    assert new.status_code == 200 and smtp_server.messages == []  # the answer is out, the mail not yet
    new.close()
    known = submit(app, "/newsletters/subscribe", {"email": "known@example.org", **form})
    assert answer(new) == answer(known)
    assert smtp_server.attempts == ["new@example.org"]  # a confirmed address is not mailed again
