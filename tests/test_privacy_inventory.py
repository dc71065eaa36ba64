"""The inventory is code (S1, C3): every personal column has an entry, every entry a column,
every retention is finite, and the pages are rendered from it in both languages."""

from datetime import timedelta

from cpspartners.config import Defaults
from cpspartners.extensions import db
from cpspartners.privacy import inventory


def _personal_tables():
    """Tables the inventory must cover: the listed ones, and any table pointing at an account."""
    found = set(inventory.TABLES)
    for table in db.metadata.sorted_tables:
        if any(fk.column.table.name == "user" for fk in table.foreign_keys):
            found.add(table.name)
    return found - set(inventory.NOT_PERSONAL)


def test_every_personal_column_has_an_entry_and_every_entry_a_column(app):
    missing, extra = [], []
    for name in _personal_tables():
        assert name in inventory.TABLES, f"table {name} refers to accounts but is not in the inventory"
        columns = {c.name for c in db.metadata.tables[name].columns}
        declared = set(inventory.TABLES[name].fields)
        missing += [f"{name}.{c}" for c in columns - declared]
        extra += [f"{name}.{c}" for c in declared - columns]
    assert missing == [], "columns without an inventory entry"
    assert extra == [], "inventory entries without a column"


def test_every_retention_is_finite_and_its_clock_is_a_column(app):
    for name, column, table, entry in inventory.entries():
        retention = table.retention_of(column)
        assert timedelta(0) < retention.keep < timedelta(days=366 * 11), f"{name}.{column}"
        assert retention.clock in db.metadata.tables[name].c, f"{name}: clock {retention.clock}"
        assert table.at_deletion_of(column) in inventory.AT_DELETION
        assert str(entry.purpose).strip() and str(entry.seen_by).strip()


def test_not_personal_tables_exist(app):
    assert set(inventory.NOT_PERSONAL) <= set(db.metadata.tables)


def test_every_outbound_setting_is_a_listed_service():
    """S11: a setting that sends data somewhere (a URL, a server, a folder) is on /privacy."""
    listed = {name for service in inventory.SERVICES for name in service["config"]}
    outbound = {
        name
        for name in dir(Defaults)
        if name.isupper() and (name.endswith(("_URL", "_URI", "_SERVER")) or name in ("SEARCH_INDEX_DIR",))
    }
    outbound -= {"SITE_URL"}  # our own address, in links
    assert outbound - listed == set()


def test_data_page_lists_every_column_in_english_and_spanish(client, es_client):
    english = client.get("/privacy/data").get_data(as_text=True)
    spanish = es_client.get("/privacy/data").get_data(as_text=True)
    for name, column, _table, _entry in inventory.entries():
        assert f"{name}.{column}" in english
        assert f"{name}.{column}" in spanish
    assert "Why we keep it" in english and "Por qué lo guardamos" in spanish
    assert 'lang="es"' in spanish


def test_notice_lists_the_outside_services(client, es_client):
    english = client.get("/privacy").get_data(as_text=True)
    assert "mail relay" in english and "hosting" in english
    spanish = es_client.get("/privacy").get_data(as_text=True)
    assert "correo" in spanish


def test_the_markdown_inventory_points_at_the_code():
    with open("docs/data-inventory.md", encoding="utf-8") as handle:
        text = handle.read()
    assert "cpspartners/privacy/inventory.py" in text and "/privacy/data" in text


FORBIDDEN = ("dob", "birth", "ssn", "address", "phone", "geo", "photo", "race", "gender", "ethnic")


def test_no_table_about_students_collects_what_it_must_not(app):
    """S2: least data. Family contacts on seats are adults' (holder_email), never a child's."""
    for name, table in inventory.TABLES.items():
        if table.owner in ("", "recipient"):
            continue
        for column in db.metadata.tables[name].columns:
            assert not any(word in column.name.lower() for word in FORBIDDEN), f"{name}.{column.name}"


def test_public_pages_never_show_a_student(app, client, make_user, make_opportunity, curie):
    """F3: no student's name on any page an anonymous visitor reaches, even after applying."""
    from cpspartners.models import Application

    opp = make_opportunity()
    student = make_user("student", name="Quillon Varnavsky")
    db.session.add(Application(opportunity_id=opp.id, student_id=student.id, state="accepted"))
    db.session.commit()
    for path in (
        "/",
        "/opportunities",
        f"/opportunities/{opp.slug}",
        "/partners",
        f"/partners/{opp.partner.slug}",
        "/schools",
        f"/schools/{curie.id}",
        "/search?q=robotics",
        "/privacy",
        "/privacy/data",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "Quillon" not in page and "Varnavsky" not in page, path
