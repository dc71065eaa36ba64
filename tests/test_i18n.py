"""English and Spanish: the switch sticks, Accept-Language is honoured, the catalogue is complete."""

import os

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(__file__))


def test_accept_language_chooses_spanish(client):
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).text
    assert '<html lang="es">' in page


def test_accept_language_falls_back_to_english(client):
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "fr"}).text


def test_language_switch_sticks_across_pages(client):
    response = client.get("/language/es?next=/partners")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/partners")
    assert '<html lang="es">' in client.get("/schools").text
    client.get("/language/en?next=/")
    assert '<html lang="en">' in client.get("/schools", headers={"Accept-Language": "es"}).text


def test_language_switch_never_redirects_off_site(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "evil"):
        response = client.get("/language/es", query_string={"next": target})
        assert response.status_code == 302
        assert response.headers["Location"] in ("/", "http://localhost/")


def test_taxonomy_labels_are_translated(es_client, make_opportunity):
    make_opportunity(slug="t1", kind="guest_speaker", clusters=["010100"])
    page = es_client.get("/opportunities/t1").text
    assert "Conferencista invitado" in page
    assert "Manufactura avanzada" in page


def test_spanish_catalogue_is_complete():
    with open(os.path.join(ROOT, "translations/es/LC_MESSAGES/messages.po"), "rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == []
    assert fuzzy == []


def test_catalogue_covers_every_marked_string():
    """Every string marked in the code and templates is in the catalogue (run `make messages`)."""
    from babel.messages.extract import extract_from_dir

    with open(os.path.join(ROOT, "translations/es/LC_MESSAGES/messages.po"), "rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    method_map = [("cpspartners/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - known) == []


def test_a_signed_in_person_reads_the_language_of_their_account(client_as):
    client = client_as("student", preferred_language="es")
    assert '<html lang="es">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_choosing_a_language_on_a_page_updates_the_account(client_as):
    from cpspartners.extensions import db
    from cpspartners.models import AuditEntry

    client = client_as("teacher")
    assert client.user.preferred_language == "en"
    client.get("/language/es?next=/")
    db.session.refresh(client.user)
    assert client.user.preferred_language == "es"
    entry = db.session.query(AuditEntry).filter_by(subject_id=client.user.id, action="updated_profile").one()
    assert entry.changes == {"preferred_language": ["en", "es"]}


def test_language_drop_downs_start_on_the_pages_language(es_client):
    register = es_client.get("/account/register").text
    assert '<option selected value="es">' in register or '<option value="es" selected>' in register
    subscribe = es_client.get("/newsletters/subscribe").text
    assert '<option selected value="es">' in subscribe or '<option value="es" selected>' in subscribe


def test_dates_in_notifications_follow_the_readers_locale(app, make_user):
    from datetime import date

    from cpspartners.extensions import db
    from cpspartners.models import Notification
    from cpspartners.services import notify

    user = make_user("teacher", preferred_language="es")
    note = Notification(user_id=user.id, kind="request_accepted", params={"topic": "Robots", "date": "2027-01-12"})
    db.session.add(note)
    db.session.commit()
    assert "12 de enero de 2027" in notify.text(note)
    assert "January 12, 2027" in notify.text(note, "en")
    assert date(2027, 1, 12).isoformat() not in notify.text(note)


def test_audit_lines_read_in_spanish(app):
    from flask_babel import refresh

    from cpspartners.templating import field_label, field_value

    with app.test_request_context(headers={"Cookie": "lang=es"}):
        refresh()
        assert str(field_label("is_approved")) == "Aprobado"
        assert field_value("preferred_language", "es") == "Español"
        assert "2027" in field_value("expires_on", "2027-01-12") and "-01-" not in field_value(
            "expires_on", "2027-01-12"
        )


def test_messages_follow_force_locale_inside_a_request_and_back(app):
    """The translations found once per request (``i18n.QuickDomain``) are found again when the
    locale changes inside it: mail in a reader's language from an English page, then the page."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext, lazy_gettext

    from cpspartners.i18n import locale_name

    later = lazy_gettext("Sign in")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert (gettext("Sign in"), str(later), locale_name()) == ("Sign in", "Sign in", "en")
        with force_locale("es"):
            assert (gettext("Sign in"), str(later), locale_name()) == ("Iniciar sesión", "Iniciar sesión", "es")
            assert render_template_string("{{ _('Sign in') }}") == "Iniciar sesión"
            with force_locale("en"):
                assert render_template_string("{{ _('Sign in') }}") == "Sign in"
            assert gettext("Sign in") == "Iniciar sesión"
        assert (gettext("Sign in"), render_template_string("{{ _('Sign in') }}"), locale_name()) == (
            "Sign in",
            "Sign in",
            "en",
        )
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert render_template_string("{{ _('Sign in') }}|{{ current_locale }}") == "Iniciar sesión|es"
    # A force_locale before the page's locale was chosen leaves it unchosen (None), not "None".
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        with force_locale("en"):
            assert locale_name() == "en"
        assert (locale_name(), gettext("Sign in")) == ("es", "Iniciar sesión")
        assert render_template_string("{{ current_locale }}") == "es"
