"""Newsletter pages, families' double opt-in, and sending with one SMTP connection per batch,
resumed after a lost connection or a crash without a second copy for anyone."""

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import Newsletter, NewsletterDelivery, NewsletterSubscriber
from cpspartners.services import newsletter_delivery, newsletters
from tests.conftest import post

RECENT = datetime.now(UTC) - timedelta(days=3)


@pytest.fixture
def listings(make_opportunity, curie):
    soon = date.today() + timedelta(days=5)
    return [
        make_opportunity(
            title="Robotics club", title_es="Club de robótica", deadline=soon, last_verified_at=RECENT, slug="robotics"
        ),
        make_opportunity(
            title="Radio <b>workshop</b>",
            deadline=soon + timedelta(days=2),
            last_verified_at=RECENT,
            slug="radio",
            schools=[curie],
        ),
        make_opportunity(title="Welding", deadline=soon + timedelta(days=9), last_verified_at=RECENT, slug="welding"),
    ]


@pytest.fixture
def specialist(client_as):
    return client_as("specialist")


def compose(client, **fields):
    data = {
        "subject": "November news",
        "audience": "students",
        "scope": "citywide",
        "scope_value": "",
        "language": "en",
        **fields,
    }
    return post(client, "/newsletters/new", data, token_from="/newsletters/new")


def test_compose_edit_reorder_remove_add_and_note(specialist, listings):
    response = compose(specialist)
    assert response.status_code == 302
    newsletter = db.session.scalars(select(Newsletter)).one()
    assert [i.opportunity.title for i in newsletter.items] == ["Robotics club", "Radio <b>workshop</b>", "Welding"]
    base = f"/newsletters/{newsletter.id}"
    post(specialist, f"{base}/items/{listings[0].id}/down", token_from=base)
    post(specialist, f"{base}/items/{listings[2].id}/remove", token_from=base)
    db.session.refresh(newsletter)
    assert [i.opportunity.title for i in newsletter.items] == ["Radio <b>workshop</b>", "Robotics club"]
    post(specialist, f"{base}/add", {"opportunity_id": listings[2].id}, token_from=base)
    bad = post(specialist, f"{base}/add", {"opportunity_id": "abc"}, token_from=base, follow_redirects=True)
    assert "Enter the number of a published listing." in bad.text
    post(specialist, f"{base}/note", {"subject": "Fresh picks", "note": "Apply soon!"}, token_from=base)
    db.session.refresh(newsletter)
    assert [i.opportunity.title for i in newsletter.items][-1] == "Welding"
    assert newsletter.subject == "Fresh picks" and newsletter.note == "Apply soon!"
    page = specialist.get(base + "?q=weld").text
    assert "Welding" in page.split("Search published listings")[1]
    assert specialist.get(base + "?q=%00weld%7F").status_code == 200  # PostgreSQL refuses NUL


def test_bad_scope_and_html_in_subject_are_refused(specialist, listings):
    assert "Type the name of a Chicago community area" in compose(specialist, scope="area", scope_value="99").text
    assert "Type the name of a CPS school" in compose(specialist, scope="school", scope_value="abc").text
    assert "plain text only" in compose(specialist, subject="<script>alert(1)</script>").text
    assert db.session.scalars(select(Newsletter)).all() == []


def test_preview_is_escaped_has_no_inline_style_and_downloads(specialist, listings):
    compose(specialist, language="es")
    newsletter = db.session.scalars(select(Newsletter)).one()
    page = specialist.get(f"/newsletters/{newsletter.id}/preview").text
    preview = page.split('class="newsletter-preview"')[1].split("</section>")[0]
    assert "Club de robótica" in preview  # the newsletter's language, not the page's
    assert "Radio &lt;b&gt;workshop&lt;/b&gt;" in preview
    # Only the site's own external scripts (the CSP forbids inline ones); the email body adds none.
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "style=" not in page and inline_scripts == [] and "srcdoc" not in page
    html = specialist.get(f"/newsletters/{newsletter.id}.html")
    assert html.mimetype == "text/html" and "attachment" in html.headers["Content-Disposition"]
    assert 'lang="es"' in html.text and "http://localhost/opportunities/robotics" in html.text
    text = specialist.get(f"/newsletters/{newsletter.id}.txt")
    assert text.mimetype == "text/plain" and "Club de robótica" in text.text


def test_send_button_marks_for_the_cron_and_the_command_delivers(
    app, specialist, listings, make_user, smtp_server, curie
):
    make_user("student", email="ana@example.org", preferred_language="es")
    make_user("student", email="ben@example.org", preferred_language="en")
    make_user("student", email="pending@example.org", preferred_language="en", is_approved=False)
    make_user("teacher", email="teacher@example.org", preferred_language="en")
    compose(specialist, language="en")
    newsletter = db.session.scalars(select(Newsletter)).one()
    base = f"/newsletters/{newsletter.id}"
    response = post(specialist, f"{base}/send", token_from=base, follow_redirects=True)
    # One recipient, in the singular; and no command shown to a person.
    assert "will go to 1 recipient within a few minutes" in response.text and "flask" not in response.text
    assert smtp_server.messages == []  # nothing is sent inside the request
    db.session.refresh(newsletter)
    assert newsletter.status == "sending"
    again = post(specialist, f"{base}/send", token_from=base, follow_redirects=True)
    assert "already been sent or is being sent" in again.text
    result = app.test_cli_runner().invoke(args=["newsletters", "send-pending"])
    assert "sent to 1 recipients" in result.output, result.output
    message = smtp_server.last_to("ben@example.org")
    assert [m["To"] for m in smtp_server.messages] == ["ben@example.org"]
    assert message["Subject"] == "November news" and message["Content-Language"] == "en"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Robotics club" in text and "Robotics club" in html
    link = re.search(r"(http://\S+/newsletters/unsubscribe/\S+)", text).group(1)
    assert link in html and message["List-Unsubscribe"] == f"<{link}>"
    db.session.refresh(newsletter)
    assert newsletter.status == "sent" and newsletter.recipient_count == 1
    client = app.test_client()
    assert "You are unsubscribed" in client.get(link.replace("http://localhost:5000", "")).text
    assert newsletter_delivery.recipients(newsletter) == []
    assert client.get("/newsletters/unsubscribe/forged-token").status_code == 400


def test_families_double_opt_in_and_spanish_newsletter(app, client, specialist, listings, smtp_server, curie):
    response = post(
        client,
        "/newsletters/subscribe",
        {"email": "Mama@Example.org", "language": "es", "school_id": curie.id},
        token_from="/newsletters/subscribe",
    )
    assert "Check your email" in response.text
    subscriber = db.session.scalars(select(NewsletterSubscriber)).one()
    assert subscriber.email == "mama@example.org" and subscriber.confirmed_at is None
    confirm = smtp_server.last_to("mama@example.org")
    assert confirm["Content-Language"] == "es"
    link = re.search(r"http://localhost(/newsletters/confirm/\S+)", confirm.get_content()).group(1)
    # Unconfirmed addresses get nothing.
    compose(specialist, audience="families", language="es", scope="school", scope_value=str(curie.id))
    newsletter = db.session.scalars(select(Newsletter)).one()
    assert newsletter_delivery.recipients(newsletter) == []
    assert "confirmed" in client.get(link).text
    assert client.get(link[:-3] + "xyz").status_code == 400
    assert [email for email, _ in newsletter_delivery.recipients(newsletter)] == ["mama@example.org"]
    result = app.test_cli_runner().invoke(args=["newsletters", "send", str(newsletter.id)])
    assert "sent to 1 recipients" in result.output, result.output
    message = smtp_server.last_to("mama@example.org")
    assert message["Content-Language"] == "es"
    assert "Club de robótica" in message.get_body(("html",)).get_content()
    assert "Cancelar la suscripción a estos boletines" in message.get_body(("plain",)).get_content()
    again = app.test_cli_runner().invoke(args=["newsletters", "send", str(newsletter.id)])
    assert again.exit_code != 0 and "already sent" in again.output


def test_subscribe_form_refuses_bad_addresses(client):
    response = post(
        client,
        "/newsletters/subscribe",
        {"email": "not-an-email", "language": "es"},
        token_from="/newsletters/subscribe",
    )
    assert response.status_code == 400 and "Enter a valid email address." in response.text
    assert db.session.scalars(select(NewsletterSubscriber)).all() == []


def test_send_button_enqueues_an_rq_job_when_redis_is_configured(app, specialist, listings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        connection = redis.Redis.from_url(url)
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from rq import Queue

    queue = Queue("cpspartners", connection=connection)
    queue.empty()
    app.config["RQ_REDIS_URL"] = url
    compose(specialist)
    newsletter = db.session.scalars(select(Newsletter)).one()
    base = f"/newsletters/{newsletter.id}"
    response = post(specialist, f"{base}/send", token_from=base, follow_redirects=True)
    assert "has started" in response.text
    jobs = queue.get_jobs()
    assert [(job.func_name, job.args) for job in jobs] == [("cpspartners.jobs.send_newsletter", (newsletter.id,))]
    queue.empty()


# --- Resuming an interrupted send ------------------------------------------------------------


@pytest.fixture
def app_log(caplog):
    """What the app logged (migrations/env.py keeps the app's loggers on after the migration test)."""
    return caplog


def queued():
    """A newsletter for the students made so far, marked for sending as the Send button does."""
    newsletter = newsletters.create_draft("November news", "students", "citywide", "", "en")
    newsletter_delivery.queue(newsletter)
    return newsletter


def newsletters_command(app, *args):
    return app.test_cli_runner().invoke(args=["newsletters", *args]).output


def progress(client, newsletter):
    page = client.get(f"/newsletters/{newsletter.id}").text
    return page.split('class="meta"')[1].split("</p>")[0]


@pytest.mark.parametrize("drop_how", ["hangup", "421"])
def test_a_lost_connection_resumes_with_the_rest_and_nobody_gets_two(
    app, specialist, listings, make_user, smtp_server, monkeypatch, app_log, drop_how
):
    monkeypatch.setattr(newsletter_delivery, "BATCH", 2)
    emails = [make_user("student", email=f"s{i}@example.org").email for i in range(5)]
    newsletter = queued()
    assert "Sent to 0 of 5 so far" in progress(specialist, newsletter)
    smtp_server.drop_after, smtp_server.drop_how = 3, drop_how

    first = newsletters_command(app, "send-pending")
    assert f"Newsletter {newsletter.id}: sent to 3 of 5 so far; the next run sends to the rest." in first
    assert f"Newsletter {newsletter.id}: lost the mail server after 3 of 5 recipients" in app_log.text
    db.session.refresh(newsletter)
    assert newsletter.status == "sending" and newsletter.claimed_until is None
    assert "Sent to 3 of 5 so far" in progress(specialist, newsletter)
    assert "Sent to 3 of 5 so far" in specialist.get("/newsletters").text
    specialist.set_cookie("lang", "es")
    assert "Enviado a 3 de 5 hasta ahora" in progress(specialist, newsletter)
    specialist.set_cookie("lang", "en")

    smtp_server.drop_after = None
    assert f"Newsletter {newsletter.id} sent to 5 recipients." in newsletters_command(app, "send-pending")
    assert sorted(m["To"] for m in smtp_server.messages) == emails
    db.session.refresh(newsletter)
    assert newsletter.status == "sent" and newsletter.recipient_count == 5
    assert "Sent to 5 recipients" in progress(specialist, newsletter)


def test_a_refused_address_is_recorded_and_never_tried_again(app, listings, make_user, smtp_server):
    students = [make_user("student", email=f"r{i}@example.org") for i in range(4)]
    newsletter = queued()
    smtp_server.refuse = {students[1].email}
    smtp_server.drop_after = 2  # r0 and r2 get it, r1 is refused, the line drops at r3
    assert "sent to 2 of 4 so far" in newsletters_command(app, "send-pending")
    smtp_server.drop_after = None
    smtp_server.attempts.clear()
    assert "sent to 3 recipients" in newsletters_command(app, "send", str(newsletter.id))
    assert smtp_server.attempts == [students[3].email]
    refused = db.session.scalars(select(NewsletterDelivery.recipient).where(NewsletterDelivery.refused)).all()
    assert refused == [f"u:{students[1].id}"]


class Crash(Exception):
    """The process dies (killed, out of memory) in the middle of a batch."""


@pytest.mark.parametrize("recorded_first", [True, False])
def test_a_crash_resends_at_most_the_message_in_flight_once_its_claim_runs_out(
    app, listings, make_user, smtp_server, monkeypatch, recorded_first
):
    """Each answer is committed as it comes: a run killed after the server took the third
    message resends nothing if the mark was written, and only that message if it was not
    (the one moment no mail system can close: accepted, not yet recorded)."""
    monkeypatch.setattr(newsletter_delivery, "BATCH", 2)
    emails = [make_user("student", email=f"c{i}@example.org").email for i in range(5)]
    newsletter = queued()
    real_send_batch = newsletter_delivery.send_batch

    def crash_at_the_third(messages, on_result):
        def answered(message, accepted):
            if len(smtp_server.messages) == 3 and not recorded_first:
                raise Crash
            on_result(message, accepted)
            if len(smtp_server.messages) == 3:
                raise Crash

        return real_send_batch(messages, answered)

    monkeypatch.setattr(newsletter_delivery, "send_batch", crash_at_the_third)
    with pytest.raises(Crash):
        newsletter_delivery.send(newsletter)
    db.session.rollback()  # nothing after the last commit survives a dead process
    monkeypatch.setattr(newsletter_delivery, "send_batch", real_send_batch)
    assert db.session.scalar(select(func.count()).select_from(NewsletterDelivery)) == (3 if recorded_first else 2)

    # The dead run still holds the newsletter, so a cron run now cannot send beside a live one...
    assert "being sent by another run" in newsletters_command(app, "send", str(newsletter.id))
    # ...for minutes, not an hour: the claim moved on with each message.
    claimed = db.session.get(type(newsletter), newsletter.id).claimed_until
    assert (claimed if claimed.tzinfo else claimed.replace(tzinfo=UTC)) <= datetime.now(UTC) + timedelta(minutes=5)
    newsletter.claimed_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert "sent to 5 recipients" in newsletters_command(app, "send", str(newsletter.id))
    copies = Counter(m["To"] for m in smtp_server.messages)
    assert copies == ({**dict.fromkeys(emails, 1)} if recorded_first else {**dict.fromkeys(emails, 1), emails[2]: 2})


def test_without_a_mail_server_it_logs_records_and_prunes_after_30_days(app, listings, make_user, app_log):
    make_user("student", email="solo@example.org")
    old, recent = (
        newsletters.create_draft("Old", "students", "citywide", "", "en"),
        newsletters.create_draft("Recent", "students", "citywide", "", "en"),
    )
    with app_log.at_level("INFO"):
        assert newsletter_delivery.send(old) == 1 and newsletter_delivery.send(recent) == 1
    # Logged by subject, never by address (ASVS 16.2.5: logs carry no email addresses).
    assert "Email not sent (no MAIL_SERVER configured): 'Old'" in app_log.text
    assert "solo@example.org" not in app_log.text
    old.sent_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    assert newsletters_command(app, "prune") == "1 delivery records deleted.\n"
    assert db.session.scalars(select(NewsletterDelivery.newsletter_id)).all() == [recent.id]
    assert old.recipient_count == 1  # the count outlives the records
