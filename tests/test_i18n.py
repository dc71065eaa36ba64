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
