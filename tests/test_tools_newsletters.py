"""Newsletter pages, families' double opt-in, and sending with one SMTP connection per batch."""

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Newsletter, NewsletterSubscriber
from cpspartners.services import newsletter_delivery

from .conftest import csrf_token, post

RECENT = datetime.now(timezone.utc) - timedelta(days=3)


@pytest.fixture
def listings(make_opportunity, curie):
    soon = date.today() + timedelta(days=5)
    return [make_opportunity(title="Robotics club", title_es="Club de robótica", deadline=soon,
                             last_verified_at=RECENT, slug="robotics"),
            make_opportunity(title="Radio <b>workshop</b>", deadline=soon + timedelta(days=2), last_verified_at=RECENT,
                             slug="radio", schools=[curie]),
            make_opportunity(title="Welding", deadline=soon + timedelta(days=9), last_verified_at=RECENT,
                             slug="welding")]


@pytest.fixture
def specialist(client_as):
    return client_as("specialist")


def compose(client, **fields):
    data = {"subject": "November news", "audience": "students", "scope": "citywide", "scope_value": "",
            "language": "en", **fields}
    return post(client, "/specialist/newsletters/new", data, token_from="/specialist/newsletters/new")


def test_compose_edit_reorder_remove_add_and_note(specialist, listings):
    response = compose(specialist)
    assert response.status_code == 302
    newsletter = db.session.scalars(select(Newsletter)).one()
    assert [i.opportunity.title for i in newsletter.items] == ["Robotics club", "Radio <b>workshop</b>", "Welding"]
    base = f"/specialist/newsletters/{newsletter.id}"
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
    assert "Enter a community area number" in compose(specialist, scope="area", scope_value="99").text
    assert "Enter the id of a CPS school" in compose(specialist, scope="school", scope_value="abc").text
    assert "plain text only" in compose(specialist, subject="<script>alert(1)</script>").text
    assert db.session.scalars(select(Newsletter)).all() == []


def test_preview_is_escaped_has_no_inline_style_and_downloads(specialist, listings):
    compose(specialist, language="es")
    newsletter = db.session.scalars(select(Newsletter)).one()
    page = specialist.get(f"/specialist/newsletters/{newsletter.id}/preview").text
    preview = page.split('class="newsletter-preview"')[1].split("</section>")[0]
    assert "Club de robótica" in preview  # the newsletter's language, not the page's
    assert "Radio &lt;b&gt;workshop&lt;/b&gt;" in preview
    # Only the site's own external scripts (the CSP forbids inline ones); the email body adds none.
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "style=" not in page and inline_scripts == [] and "srcdoc" not in page
    html = specialist.get(f"/specialist/newsletters/{newsletter.id}.html")
    assert html.mimetype == "text/html" and "attachment" in html.headers["Content-Disposition"]
    assert 'lang="es"' in html.text and "http://localhost/opportunities/robotics" in html.text
    text = specialist.get(f"/specialist/newsletters/{newsletter.id}.txt")
    assert text.mimetype == "text/plain" and "Club de robótica" in text.text


def test_send_button_marks_for_the_cron_and_the_command_delivers(app, specialist, listings, make_user,
                                                                 smtp_server, curie):
    make_user("student", email="ana@example.org", preferred_language="es")
    make_user("student", email="ben@example.org", preferred_language="en")
    make_user("student", email="pending@example.org", preferred_language="en", is_approved=False)
    make_user("teacher", email="teacher@example.org", preferred_language="en")
    compose(specialist, language="en")
    newsletter = db.session.scalars(select(Newsletter)).one()
    base = f"/specialist/newsletters/{newsletter.id}"
    response = post(specialist, f"{base}/send", token_from=base, follow_redirects=True)
    assert "will go to 1 recipients within minutes" in response.text
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
    link = re.search(r"(http://\S+/newsletter/unsubscribe/\S+)", text).group(1)
    assert link in html and message["List-Unsubscribe"] == f"<{link}>"
    db.session.refresh(newsletter)
    assert newsletter.status == "sent" and newsletter.recipient_count == 1
    client = app.test_client()
    assert "You are unsubscribed" in client.get(link.replace("http://localhost:5000", "")).text
    assert newsletter_delivery.recipients(newsletter) == []
    assert client.get("/newsletter/unsubscribe/forged-token").status_code == 400


def test_families_double_opt_in_and_spanish_newsletter(app, client, specialist, listings, smtp_server, curie):
    response = post(client, "/newsletter/subscribe", {"email": "Mama@Example.org", "language": "es",
                                                      "school_id": curie.id}, token_from="/newsletter/subscribe")
    assert "Check your email" in response.text
    subscriber = db.session.scalars(select(NewsletterSubscriber)).one()
    assert subscriber.email == "mama@example.org" and subscriber.confirmed_at is None
    confirm = smtp_server.last_to("mama@example.org")
    assert confirm["Content-Language"] == "es"
    link = re.search(r"http://localhost(/newsletter/confirm/\S+)", confirm.get_content()).group(1)
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
    response = post(client, "/newsletter/subscribe", {"email": "not-an-email", "language": "es"},
                    token_from="/newsletter/subscribe")
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
    base = f"/specialist/newsletters/{newsletter.id}"
    response = post(specialist, f"{base}/send", token_from=base, follow_redirects=True)
    assert "has started" in response.text
    jobs = queue.get_jobs()
    assert [(job.func_name, job.args) for job in jobs] == [("cpspartners.jobs.send_newsletter", (newsletter.id,))]
    queue.empty()
