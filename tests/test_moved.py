"""Every page that moved in the re-cut answers its old address with a permanent redirect to the
page that serves it now, arguments and query string kept (bookmarks, sent emails, calendars)."""

import re

from flask import url_for

from cpspartners.moved.views import MOVED


def sample_path(rule):
    """The old rule with each argument filled in: the first choice of an any(), 7 otherwise."""

    def fill(match):
        converter = match.group(1) or ""
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip()
        return "7"

    return re.sub(r"<(?:([^:>]+):)?[^>]+>", fill, rule)


def test_every_old_path_redirects_permanently_to_its_new_page(app):
    client = app.test_client()
    adapter = app.url_map.bind("localhost")
    for old_rule, endpoint in MOVED:
        path = sample_path(old_rule)
        _old_endpoint, values = adapter.match(path, method="GET")
        response = client.get(path + "?page=2")
        assert response.status_code == 301, path
        with app.test_request_context():
            expected = url_for(endpoint, **values) + "?page=2"
        assert response.headers["Location"] == expected, path
        assert expected.split("?")[0] != path


def test_an_old_visit_link_in_a_sent_email_lands_on_the_visit(client):
    response = client.get("/requests/12")
    assert response.status_code == 301
    assert response.headers["Location"] == "/visits/12"


def test_an_old_calendar_subscription_keeps_working(client):
    response = client.get("/schools/609674/calendar.ics", follow_redirects=True)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
