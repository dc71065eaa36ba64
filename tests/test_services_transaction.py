"""Services write through one runner: each change is committed whole or not at all, and a refusal
no view caught becomes its own 4xx page in the reader's language, never a 500."""

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Partner, User
from cpspartners.services import accounts, upkeep
from cpspartners.services._base import transaction
from cpspartners.services.errors import Conflict, NotAllowed, NotFound, RuleBroken, ServiceError


def name_in_database(partner_id):
    db.session.expire_all()
    return db.session.get(Partner, partner_id).name


def test_a_change_is_committed_when_the_service_returns(app, make_partner):
    partner = make_partner(name="Before")

    @transaction
    def rename():
        partner.name = "After"

    rename()
    db.session.rollback()  # would undo anything left uncommitted
    assert name_in_database(partner.id) == "After"


def test_a_refusal_after_a_write_leaves_nothing_behind(app, make_partner):
    partner = make_partner(name="Kept")

    @transaction
    def rename_then_refuse():
        partner.name = "Lost"
        db.session.flush()  # written to the database, not yet committed
        raise RuleBroken(_l("Nothing changed, so there is nothing to save."))

    with pytest.raises(RuleBroken):
        rename_then_refuse()
    assert name_in_database(partner.id) == "Kept"


def test_any_error_rolls_back_and_goes_on_as_it_was(app, make_partner):
    partner = make_partner(name="Kept")

    @transaction
    def rename_then_crash():
        partner.name = "Lost"
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        rename_then_crash()
    assert name_in_database(partner.id) == "Kept"


def test_a_service_called_by_another_commits_with_it_or_not_at_all(app, make_partner):
    partner = make_partner(name="Kept")

    @transaction
    def inner():
        partner.name = "Inner"

    @transaction
    def outer():
        inner()
        raise Conflict(_l("That account is already approved."))

    with pytest.raises(Conflict):
        outer()
    assert name_in_database(partner.id) == "Kept"


def test_a_refused_service_writes_no_audit_entry(app, make_partner):
    partner = make_partner()
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(RuleBroken):
        upkeep.merge_partners(None, partner, partner)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_every_refusal_is_a_service_error_with_its_status():
    assert [cls.status for cls in (NotAllowed, NotFound, RuleBroken, Conflict)] == [403, 404, 400, 409]
    assert all(issubclass(cls, ServiceError) for cls in (NotAllowed, NotFound, RuleBroken, Conflict))
    assert not issubclass(ServiceError, (ValueError, LookupError, PermissionError))


@pytest.mark.parametrize("error, status", [(NotAllowed, 403), (NotFound, 404), (RuleBroken, 400), (Conflict, 409)])
def test_a_refusal_no_view_caught_is_its_own_page_in_the_reader_s_language(app, error, status):
    @app.route("/test-refusal")
    def refuse():
        raise error(_l("This application is not yours."))

    client = app.test_client()
    client.set_cookie("lang", "es")
    response = client.get("/test-refusal")
    assert response.status_code == status
    assert "Esta solicitud no es tuya." in response.get_data(as_text=True)


def test_showing_pages_writes_nothing(app, client_as, make_opportunity):
    """Views and context processors only read: the calendar link is derived, not created, on show."""
    opp = make_opportunity(title="Robotics lab")
    client = client_as("student")
    flushes = []

    def flushed(session, context):
        flushes.append(sorted(type(obj).__name__ for obj in (*session.new, *session.dirty, *session.deleted)))

    event.listen(Session, "after_flush", flushed)
    try:
        for path in ("/", "/account", "/notifications", f"/opportunities/{opp.slug}", "/for-you/saved"):
            assert client.get(path).status_code == 200, path
    finally:
        event.remove(Session, "after_flush", flushed)
    assert flushes == []
    assert db.session.get(User, client.user.id).calendar_nonce == ""


def test_the_calendar_link_shown_before_any_new_link_works_and_a_new_link_revokes_it(app, client_as):
    client = client_as("student")
    shown = client.get("/account").get_data(as_text=True).split('id="calendar-url" readonly value="')[1]
    path = shown.split('"')[0].replace("http://localhost", "")
    assert app.test_client().get(path).status_code == 200
    accounts.new_calendar_link(client.user)
    assert app.test_client().get(path).status_code == 404
