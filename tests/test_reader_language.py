"""What a Spanish reader meets where the site writes for later: a listing's schedule, the audit
log's notes and actions, names inside notifications, and counted words (issue 14, point 2)."""

import ast
import pathlib
from datetime import date

from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Notification
from cpspartners.models.privacy import RIGHTS_STATES
from cpspartners.services import audit, listings, notify, pools
from cpspartners.services.exports import opportunity_row
from cpspartners.services.imports import OPPORTUNITY_COLUMNS
from cpspartners.taxonomy import AUDIT_ACTIONS, codes
from tests.conftest import sign_in_as

SOURCE = pathlib.Path(__file__).resolve().parent.parent / "cpspartners"


def test_a_listing_schedule_is_shown_in_the_readers_language(client, es_client, make_opportunity):
    both = make_opportunity(schedule="Saturdays 10am-1pm", schedule_es="Sábados de 10:00 a 13:00")
    english_only = make_opportunity(schedule="Weekdays after school")
    page = es_client.get(f"/opportunities/{both.slug}").get_data(as_text=True)
    assert '<span lang="es">Sábados de 10:00 a 13:00</span>' in page
    assert "Saturdays" not in page
    assert '<span lang="en">Weekdays after school</span>' in es_client.get(f"/opportunities/{english_only.slug}").text
    client.set_cookie("lang", "en")
    assert "Saturdays 10am-1pm" in client.get(f"/opportunities/{both.slug}").text


def test_the_spreadsheet_carries_both_schedules(make_opportunity):
    opp = make_opportunity(schedule="One afternoon", schedule_es="Una tarde")
    names = [column.name for column in OPPORTUNITY_COLUMNS]
    row = dict(zip(names, opportunity_row(opp), strict=True))
    assert (row["schedule"], row["schedule_es"]) == ("One afternoon", "Una tarde")


def test_a_partners_schedule_in_spanish_goes_through_review(app, people, make_opportunity):
    opp = make_opportunity(partner=people["partner"], schedule="One afternoon")
    values = listings.snapshot(opp) | {"schedule_es": "Una tarde"}
    request = listings.submit_opportunity_change(people["staff"], opp, values)
    assert request.proposed["schedule_es"] == "Una tarde"
    listings.approve(people["specialist"], request)
    assert db.session.get(type(opp), opp.id).schedule_es == "Una tarde"


def test_audit_notes_are_kept_as_messages_and_read_in_each_readers_language(app, people, make_opportunity):
    opp = make_opportunity(partner=people["partner"])
    first = listings.submit_opportunity_change(people["staff"], opp, listings.snapshot(opp) | {"title": "One"})
    again = listings.submit_opportunity_change(people["staff"], opp, listings.snapshot(opp) | {"title": "Two"})
    assert again.id == first.id
    assert listings.revisions(first) == 1  # still found by its English note
    revised = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "revised")).one()
    assert revised.note == "change request %d" % first.id
    assert revised.note_message["msgid"] == "change request %(number)d"
    specialist = sign_in_as(app.test_client(), people["specialist"])
    specialist.set_cookie("lang", "es")
    page = specialist.get("/review/audit").get_data(as_text=True)
    assert "solicitud de cambio %d" % first.id in page
    assert "change request" not in page
    specialist.set_cookie("lang", "en")
    assert "change request %d" % first.id in specialist.get("/review/audit").get_data(as_text=True)


def test_a_typed_note_is_kept_as_typed(app, people):
    entry = audit.record(people["specialist"], "verified", "partner", people["partner"].id, note="Llamé a Rosa")
    db.session.commit()
    assert (entry.note, entry.note_message, audit.shown_note(entry)) == ("Llamé a Rosa", None, "Llamé a Rosa")


def _recorded_actions():
    """Every action code the code hands to ``audit.record`` as a literal (and the rights states)."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            action = node.args[1]
            if name == "record" and isinstance(action, ast.Constant) and isinstance(action.value, str):
                found.add(action.value)
    return found | {"rights_" + state for state in RIGHTS_STATES}


def test_every_action_the_audit_log_records_has_words_in_both_languages():
    recorded = _recorded_actions()
    assert {"approved", "credential_claimed", "family_link_confirmed", "corrected"} <= recorded  # the scan works
    assert recorded - set(codes(AUDIT_ACTIONS)) == set()


def test_names_in_notifications_follow_the_readers_language(app, people, make_partner, make_user, make_opportunity):
    pool = pools.create_pool("Museum pass", "Pase al museo", make_partner().id, 5, 30, 7)
    allocation = pools.allocate(pool.id, make_partner(name="Pilsen Library").id, 2)
    student = make_user("student", preferred_language="es")
    pools.assign(allocation.id, pools.Holder(user_id=student.id))
    note = db.session.scalars(select(Notification).where(Notification.kind == "seat_given")).one()
    assert "Pase al museo" in notify.text(note) and "Museum pass" not in notify.text(note)
    assert "Museum pass" in notify.text(note, "en")
    opp = make_opportunity(title="Robotics camp", title_es="Campamento de robótica")
    notify.notify([student], "event_confirmed", None, **notify.titles_of(opp))
    db.session.commit()
    confirmed = db.session.scalars(select(Notification).where(Notification.kind == "event_confirmed")).one()
    assert "Campamento de robótica" in notify.text(confirmed)
    assert "Robotics camp" in notify.text(confirmed, "en")


def test_counted_notifications_take_the_plural_the_number_needs(app, make_user):
    person = make_user("specialist")
    notify.notify([person], "request_flagged", None, topic="Drones", days=1)
    notify.notify([person], "request_flagged", None, topic="Drones", days=1250)
    db.session.commit()
    one, many = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert notify.text(one, "en").endswith("for 1 day.")
    assert notify.text(many, "en").endswith("for 1,250 days.")
    assert notify.text(one, "es").endswith("lleva 1 día sin respuesta.")
    assert "1250 días" in notify.text(many, "es") or "1.250 días" in notify.text(many, "es")


def test_retention_periods_are_counted_in_words(app):
    from datetime import timedelta

    from flask_babel import force_locale

    from cpspartners.privacy.inventory import Retention

    with app.test_request_context(), force_locale("en"):
        assert str(Retention(timedelta(days=365), "x").describe()).startswith("1 year after")
        assert str(Retention(timedelta(days=1), "x").describe()).startswith("1 day after")
    with app.test_request_context(), force_locale("es"):
        assert str(Retention(timedelta(days=730), "x").describe()).startswith("2 años")


def test_list_counts_read_in_the_singular_for_one(client_as, make_partner):
    make_partner()
    specialist = client_as("specialist")
    page = specialist.get("/review/partners").get_data(as_text=True)
    assert "1 partners" not in page
    assert date.today().isoformat() not in page


def test_the_labels_the_site_stores_for_actors_read_in_spanish(app, people):
    from flask_babel import force_locale

    system = audit.record(None, "verified", "partner", people["partner"].id)
    erased = audit.record(None, "viewed", "student_record", 7)
    erased.actor_label = audit.DELETED_STUDENT_LABEL
    db.session.commit()
    with app.test_request_context(), force_locale("es"):
        assert (audit.shown_actor(system), audit.shown_actor(erased)) == ("Sistema", "Estudiante eliminado")
    with app.test_request_context(), force_locale("en"):
        assert audit.shown_actor(system) == "System"
