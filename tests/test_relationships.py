"""Relationships: contacts with partners and prospects, follow-ups, the outreach pipeline, CSV."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import ChangeRequest, Contact, FollowUp, Partner, Prospect
from cpspartners.services import relationships, upkeep
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from tests.conftest import post, sign_in_as

TODAY = date.today()


def rows_of(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_contact_is_logged_on_the_partner_with_attendees_and_follow_ups(app, people):
    specialist, partner = people["specialist"], people["partner"]
    client = sign_in_as(app.test_client(), specialist)
    url = f"/relationships/partners/{partner.id}/contacts/new"
    response = post(
        client,
        url,
        {
            "kind": "roundtable",
            "held_on": TODAY.isoformat(),
            "staff_ids": [str(specialist.id), str(people["staff"].id)],
            "partner_attendees": "Rosa (director)",
            "notes": "Agreed on a spring town hall.",
            "follow_ups-0-task": "Send the draft agreement",
            "follow_ups-0-due_on": (TODAY + timedelta(days=7)).isoformat(),
            "follow_ups-0-owner_id": str(specialist.id),
        },
        token_from=url,
    )
    assert response.status_code == 302
    contact = db.session.scalars(select(Contact)).one()
    assert {u.id for u in contact.staff} == {specialist.id, people["staff"].id}
    assert [f.task for f in contact.follow_ups] == ["Send the draft agreement"]
    page = client.get(f"/review/partners/{partner.id}").get_data(as_text=True)
    assert "Agreed on a spring town hall." in page and "Rosa (director)" in page


def test_another_partner_s_staff_cannot_be_named_as_attending(people):
    with pytest.raises(RuleBroken):
        relationships.log_contact(
            people["specialist"], people["partner"], "one_on_one", TODAY, staff_ids=[people["other_staff"].id]
        )
    assert db.session.scalars(select(Contact)).all() == []


def test_follow_up_needs_a_date_and_owner_else_400_and_nothing_saved(app, people):
    partner = people["partner"]
    client = sign_in_as(app.test_client(), people["specialist"])
    url = f"/relationships/partners/{partner.id}/contacts/new"
    data = {"kind": "site_visit", "held_on": TODAY.isoformat(), "follow_ups-0-task": "Call back"}
    assert post(client, url, data, token_from=url).status_code == 400
    assert post(client, url, {"kind": "party", "held_on": "yesterday"}, token_from=url).status_code == 400
    assert db.session.scalars(select(Contact)).all() == []


def test_only_specialists_keep_the_log(people):
    for who in ("staff", "teacher", "student"):
        with pytest.raises(NotAllowed):
            relationships.log_contact(people[who], people["partner"], "one_on_one", TODAY)


def test_my_follow_ups_lists_overdue_first_and_only_mine(app, people, make_user):
    specialist = people["specialist"]
    colleague = make_user("specialist")
    drafts = [
        relationships.FollowUpDraft("Later", TODAY + timedelta(days=10), specialist.id),
        relationships.FollowUpDraft("Overdue", TODAY - timedelta(days=3), specialist.id),
        relationships.FollowUpDraft("Colleague's", TODAY - timedelta(days=9), colleague.id),
    ]
    relationships.log_contact(specialist, people["partner"], "one_on_one", TODAY, follow_ups=drafts)
    client = sign_in_as(app.test_client(), specialist)
    html = client.get("/relationships/follow-ups").get_data(as_text=True)
    assert html.index("Overdue") < html.index("Later")
    assert "Colleague" not in html
    overdue = db.session.scalars(select(FollowUp).where(FollowUp.task == "Overdue")).one()
    assert (
        post(client, f"/relationships/follow-ups/{overdue.id}/done", token_from="/relationships/follow-ups").status_code
        == 302
    )
    assert "Overdue" not in client.get("/relationships/follow-ups").get_data(as_text=True)
    with pytest.raises(Conflict):
        relationships.complete_follow_up(specialist, overdue)


def test_follow_up_owner_must_be_a_specialist(people):
    with pytest.raises(RuleBroken):
        relationships.log_contact(
            people["specialist"],
            people["partner"],
            "one_on_one",
            TODAY,
            follow_ups=[relationships.FollowUpDraft("x", TODAY, people["teacher"].id)],
        )


def _walk_to(prospect, specialist, stage):
    while prospect.stage != stage:
        relationships.advance(specialist, prospect, relationships.next_stage(prospect))


def test_pipeline_creates_a_pending_partner_and_activates_it_only_when_vetted(people):
    specialist = people["specialist"]
    prospect = relationships.create_prospect(specialist, "Southside Makers", "cbo", "Lee", "lee@makers.example")
    with pytest.raises(Conflict):
        relationships.advance(specialist, prospect, "agreement")  # no skipping steps
    _walk_to(prospect, specialist, "vetting")
    partner = prospect.partner
    assert partner.status == "pending" and partner.name == "Southside Makers"
    request = db.session.scalars(select(ChangeRequest).where(ChangeRequest.subject_id == partner.id)).one()
    assert request.is_new and request.status == "pending"  # in the review queue like any new partner
    with pytest.raises(RuleBroken, match="not vetted"):
        relationships.advance(specialist, prospect, "active")
    assert prospect.stage == "vetting" and partner.status == "pending"
    for kind in ("agreement", "insurance", "background_check"):
        values = {
            "kind": kind,
            "subject": "",
            "issued_on": TODAY,
            "expires_on": TODAY + timedelta(days=365),
            "note": "",
        }
        upkeep.save_vetting(specialist, partner, values)
    relationships.advance(specialist, prospect, "active")
    db.session.refresh(partner)
    assert prospect.stage == "active" and partner.status == "active" and partner.vetted
    db.session.refresh(request)
    assert request.status == "approved"


def test_closed_prospects_stay_closed(people):
    prospect = relationships.create_prospect(people["specialist"], "Gone Org", "nonprofit")
    relationships.advance(people["specialist"], prospect, "closed")
    with pytest.raises(Conflict):
        relationships.advance(people["specialist"], prospect, "conversation")


def test_pipeline_pages_and_bad_stage(app, people):
    client = sign_in_as(app.test_client(), people["specialist"])
    response = post(
        client,
        "/relationships/prospects/new",
        {"name": "Lakeview Arts", "kind": "nonprofit", "contact_email": "not-an-email"},
        token_from="/relationships/prospects/new",
    )
    assert response.status_code == 400
    response = post(
        client,
        "/relationships/prospects/new",
        {"name": "Lakeview Arts", "kind": "nonprofit"},
        token_from="/relationships/prospects/new",
    )
    assert response.status_code == 302
    prospect = db.session.scalars(select(Prospect)).one()
    detail = f"/relationships/prospects/{prospect.id}"
    assert post(client, f"{detail}/stage/conversation", token_from=detail).status_code == 302
    db.session.refresh(prospect)
    assert prospect.stage == "conversation"
    assert post(client, f"{detail}/stage/nonsense", token_from=detail).status_code == 404
    assert "Lakeview Arts" in client.get("/relationships/prospects").get_data(as_text=True)


def test_csv_exports_neutralise_formulas(app, people):
    specialist = people["specialist"]
    relationships.log_contact(
        specialist,
        people["partner"],
        "community_meeting",
        TODAY,
        notes='=HYPERLINK("http://evil.example")',
        follow_ups=[relationships.FollowUpDraft("+call", TODAY, specialist.id)],
    )
    relationships.create_prospect(specialist, "@Risky", "nonprofit")
    client = sign_in_as(app.test_client(), specialist)
    contacts = rows_of(client.get("/relationships/contacts.csv"))
    assert contacts[0][0] == "date" and contacts[1][-1].startswith("'=")
    follow_ups = rows_of(client.get("/relationships/follow-ups.csv"))
    assert follow_ups[1][1] == "'+call"
    prospects = rows_of(client.get("/relationships/prospects.csv"))
    assert prospects[1][0] == "'@Risky"


def test_partner_staff_cannot_read_the_log(app, people):
    relationships.log_contact(people["specialist"], people["partner"], "one_on_one", TODAY, notes="Private note")
    client = sign_in_as(app.test_client(), people["staff"])
    assert client.get("/relationships/contacts.csv").status_code == 403
    assert client.get(f"/relationships/partners/{people['partner'].id}/contacts/new").status_code == 403
    assert "Private note" not in client.get(f"/partners/{people['partner'].slug}").get_data(as_text=True)
    assert db.session.get(Partner, people["partner"].id) is not None
