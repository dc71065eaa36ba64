"""Nothing typed comes back as markup: every message that carries what someone typed, rendered
with a markup payload, shows the payload as text.

The payload goes everywhere a person's words are echoed inside a message: the organization name
on registration, seat pools and an account's page; the search words in "opportunities for";
an import row's reasons; a flash naming a partner. Each page must show the payload escaped (the
message is there) and never as a tag.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from cpspartners.services import visit_requests
from tests.conftest import csrf_token, post, sign_in_as

PAYLOAD = '<b id="x">x</b><script>'
RAW = '<b id="x">'  # what would be there if the payload came back as markup
SHOWN = str(escape(PAYLOAD))


def shown_as_text(html):
    """The page holds the payload as text and never as a tag."""
    return SHOWN in html and RAW not in html and "</b><script>" not in html


def test_a_translated_message_is_text_in_html(app):
    """The one rule the pages rely on: a lazy message formatted with someone's words is text."""
    message = _l("We found no organization called “%(name)s” in the directory. Check the spelling.", name=PAYLOAD)
    assert RAW not in Markup(" ").join([message]) and SHOWN in Markup("%s") % message
    assert PAYLOAD in str(message)  # the plain text (email, CSV, logs) keeps what was typed


def test_registration_echoes_the_organization_name_as_text(client):
    response = post(
        client,
        "/account/register",
        {
            "role": "partner_staff",
            "email": "p@example.org",
            "password": "correct horse battery",
            "confirm": "correct horse battery",
            "school_id": "0",
            "grade": "0",
            "partner_id": "0",
            "language": "en",
            "organization": PAYLOAD,
        },
        token_from="/account/register",
    )
    assert response.status_code == 400 and "We found no organization called" in response.text
    assert shown_as_text(response.text)


def test_seat_pools_echo_provider_and_distributor_names_as_text(app, people, client_as):
    specialist = client_as("specialist")
    data = {
        "name": "Licences",
        "provider": PAYLOAD,
        "total_seats": "3",
        "validity_days": "120",
        "remind_days_before": "1",
    }
    response = post(specialist, "/pools/new", data, token_from="/pools/new")
    assert response.status_code == 400 and "We found no organization called" in response.text
    assert shown_as_text(response.text)
    data["provider"] = people["partner"].name
    created = post(specialist, "/pools/new", data, token_from="/pools/new")
    page = created.headers["Location"]
    response = post(specialist, page, {"distributor": PAYLOAD, "seats": "1"}, token_from=page)
    assert response.status_code == 400 and "We found no organization called" in response.text
    assert shown_as_text(response.text)


def test_an_accounts_partner_field_echoes_the_name_as_text(client_as, make_user):
    admin = client_as("admin")
    person = make_user("teacher")
    path = f"/admin/users/{person.id}"
    response = post(
        admin, f"{path}/role", {"role": "partner_staff", "partner": PAYLOAD, "active": "y"}, token_from=path
    )
    assert response.status_code == 400 and "We found no organization called" in response.text
    assert shown_as_text(response.text)


def test_search_echoes_the_words_as_text(client):
    response = client.get("/search", query_string={"q": PAYLOAD})
    assert response.status_code == 200 and shown_as_text(response.text)


def test_import_row_reasons_echo_the_cells_as_text(client_as, app, tmp_path):
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    specialist = client_as("specialist")
    sheet = io.StringIO()
    rows = [
        ["external_id", "partner_external_id", "kind", "title", "clusters", "grade_min", "grade_max", "school_ids"],
        ["O-1", PAYLOAD, "workshop", "Radio", "020100", "9", "12", PAYLOAD],
    ]
    csv.writer(sheet).writerows(rows)
    raw = sheet.getvalue().encode()
    response = specialist.post(
        "/transfers/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(specialist, "/transfers/import"),
            "what": "opportunities",
            "file": (io.BytesIO(raw), "sheet.csv"),
        },
    )
    # Markup in a cell is refused by the forms' plain-text rule; the reason names the column and
    # never echoes the cell as a tag
    assert "Rejected: 1" in response.text and "plain text only" in response.text
    assert RAW not in response.text and "</b><script>" not in response.text


def test_a_flash_naming_a_partner_shows_the_name_as_text(app, people, make_partner):
    for person in people.values():
        if hasattr(person, "is_approved"):
            person.is_approved = True
    req = visit_requests.create(
        people["teacher"], people["partner"], "Robots", 9, 25, [date.today() + timedelta(days=9)]
    )
    typed = make_partner(name=PAYLOAD)  # a name as a partner typed it at registration
    specialist = sign_in_as(app.test_client(), people["specialist"])
    page = f"/visits/{req.id}"
    response = post(specialist, f"{page}/reassign", {"partner_id": str(typed.id)}, token_from=page)
    assert response.status_code == 302
    html = specialist.get(response.headers["Location"]).text
    assert "The request was passed to" in html and shown_as_text(html)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_messages_stay_text_in_spanish_too(client, lang):
    client.set_cookie("lang", lang)
    response = post(
        client,
        "/account/register",
        {"role": "partner_staff", "email": "p@example.org", "organization": PAYLOAD, "language": lang},
        token_from="/account/register",
    )
    assert response.status_code == 400 and shown_as_text(response.text)
