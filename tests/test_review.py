"""Partner self-service and specialist review: the public keeps the approved version until a
specialist approves; the publishing gate names exactly what is missing."""

from datetime import date, timedelta

from babel.dates import format_date
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, ChangeRequest, Opportunity, VettingRecord
from tests.conftest import post

OPP_FORM = {
    "title": "Welding basics",
    "title_es": "Soldadura básica",
    "kind": "workshop",
    "summary": "Learn to weld safely.",
    "audience": "students",
    "grade_min": "9",
    "grade_max": "12",
    "modality": "in_person",
    "community_area_number": "31",
    "languages": ["en", "es"],
    "clusters": ["010100"],
    "tags": "welding, metal",
    "starts_on": "",
    "ends_on": "",
    "deadline": "",
    "capacity": "",
}


def vet(partner, missing=(), expired=()):
    """Give ``partner`` exactly these records (replacing any) and refresh its vetting flag."""
    from cpspartners.services import vetting

    today = date.today()
    partner.vetting_records.clear()
    db.session.flush()
    for kind in ("agreement", "insurance", "background_check"):
        if kind in missing:
            continue
        expires = today - timedelta(days=1) if kind in expired else today + timedelta(days=300)
        db.session.add(
            VettingRecord(partner=partner, kind=kind, issued_on=today - timedelta(days=400), expires_on=expires)
        )
    vetting.refresh(partner, today)
    db.session.commit()


def open_requests():
    return db.session.scalars(select(ChangeRequest).where(ChangeRequest.status == "pending")).all()


def test_new_listing_is_pending_and_not_public_until_approved(client_as, client):
    staff = client_as("partner_staff")
    vet(staff.user.partner)
    response = post(staff, "/partner/opportunities/new", OPP_FORM, token_from="/partner/opportunities/new")
    assert response.status_code == 302
    opp = db.session.scalars(select(Opportunity)).one()
    assert opp.status == "pending_review" and opp.title == "Welding basics" and opp.tags == ["metal", "welding"]
    assert client.get(f"/opportunities/{opp.slug}").status_code == 404
    [request] = open_requests()
    specialist = client_as("specialist")
    page = specialist.get(f"/review/changes/{request.id}").get_data(as_text=True)
    assert "Welding basics" in page and "Soldadura básica" in page
    assert "<td>Workshop</td>" in page and "<td>Advanced Manufacturing</td>" in page  # labels, not codes
    assert post(specialist, f"/review/changes/{request.id}/approve").status_code == 302
    db.session.refresh(opp)
    assert opp.status == "published"
    assert client.get(f"/opportunities/{opp.slug}").status_code == 200


def test_change_to_a_published_listing_waits_for_approval(client_as, client, make_opportunity):
    staff = client_as("partner_staff")
    vet(staff.user.partner)
    opp = make_opportunity(partner=staff.user.partner, title="Old title", audience="students")
    form = dict(OPP_FORM, title="New title")
    assert (
        post(
            staff, f"/partner/opportunities/{opp.id}/edit", form, token_from=f"/partner/opportunities/{opp.id}/edit"
        ).status_code
        == 302
    )
    db.session.refresh(opp)
    assert opp.title == "Old title"
    public = client.get(f"/opportunities/{opp.slug}").get_data(as_text=True)
    assert "Old title" in public and "New title" not in public
    [request] = open_requests()
    specialist = client_as("specialist")
    diff_page = specialist.get(f"/review/changes/{request.id}").get_data(as_text=True)
    assert "Old title" in diff_page and "New title" in diff_page and 'class="changed"' in diff_page
    post(specialist, f"/review/changes/{request.id}/approve")
    db.session.refresh(opp)
    assert opp.title == "New title" and opp.status == "published"
    assert "New title" in client.get(f"/opportunities/{opp.slug}").get_data(as_text=True)
    approved = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "approved")).one()
    assert approved.changes["title"] == ["Old title", "New title"]
    assert approved.actor_id == specialist.user.id


def test_publishing_gate_names_exactly_what_is_missing(client_as, client):
    staff = client_as("partner_staff")
    vet(staff.user.partner, missing=("insurance",), expired=("background_check",))
    post(staff, "/partner/opportunities/new", OPP_FORM, token_from="/partner/opportunities/new")
    [request] = open_requests()
    specialist = client_as("specialist")
    page = specialist.get(f"/review/changes/{request.id}").get_data(as_text=True)
    # Dates read as the reader writes them ("January 12, 2027"), never ISO.
    expired_on = format_date(date.today() - timedelta(days=1), "long", locale="en")
    assert f"Certificate of insurance (missing), Background check (expired {expired_on})" in page
    assert "Partnership agreement" not in page.split("current records for:")[1].split(".")[0]
    response = post(specialist, f"/review/changes/{request.id}/approve")
    assert response.status_code == 302
    follow = specialist.get(response.headers["Location"]).get_data(as_text=True)
    assert f"current records for: Certificate of insurance (missing), Background check (expired {expired_on})" in follow
    opp = db.session.scalars(select(Opportunity)).one()
    assert opp.status == "pending_review"
    assert db.session.get(ChangeRequest, request.id).status == "pending"


def test_gate_does_not_apply_to_listings_for_classrooms(client_as):
    staff = client_as("partner_staff")
    post(
        staff,
        "/partner/opportunities/new",
        dict(OPP_FORM, audience="classrooms"),
        token_from="/partner/opportunities/new",
    )
    [request] = open_requests()
    post(client_as("specialist"), f"/review/changes/{request.id}/approve")
    assert db.session.scalars(select(Opportunity)).one().status == "published"


def test_request_changes_shows_the_comment_to_the_partner(client_as):
    staff = client_as("partner_staff")
    post(staff, "/partner/opportunities/new", OPP_FORM, token_from="/partner/opportunities/new")
    [request] = open_requests()
    specialist = client_as("specialist")
    empty = post(specialist, f"/review/changes/{request.id}/request-changes", {"comment": ""})
    assert empty.status_code == 400 and 'id="comment-error"' in empty.get_data(as_text=True)
    post(specialist, f"/review/changes/{request.id}/request-changes", {"comment": "Please add the Spanish summary."})
    dashboard = staff.get("/partner").get_data(as_text=True)
    assert "Please add the Spanish summary." in dashboard and "Changes requested" in dashboard
    # Resubmitting puts the same request back in the queue with the new values.
    opp = db.session.scalars(select(Opportunity)).one()
    post(
        staff,
        f"/partner/opportunities/{opp.id}/edit",
        dict(OPP_FORM, summary_es="Aprende a soldar."),
        token_from=f"/partner/opportunities/{opp.id}/edit",
    )
    [again] = open_requests()
    assert again.id == request.id and again.proposed["summary_es"] == "Aprende a soldar."


def test_reject_keeps_a_new_listing_out_of_public_view(client_as, client):
    staff = client_as("partner_staff")
    post(
        staff,
        "/partner/opportunities/new",
        dict(OPP_FORM, audience="families"),
        token_from="/partner/opportunities/new",
    )
    [request] = open_requests()
    post(client_as("specialist"), f"/review/changes/{request.id}/reject", {"comment": "Duplicate listing."})
    opp = db.session.scalars(select(Opportunity)).one()
    assert opp.status == "draft"
    assert client.get(f"/opportunities/{opp.slug}").status_code == 404
    assert db.session.get(ChangeRequest, request.id).status == "rejected"


def test_deciding_twice_is_refused_without_change(client_as):
    staff = client_as("partner_staff")
    post(
        staff,
        "/partner/opportunities/new",
        dict(OPP_FORM, audience="families"),
        token_from="/partner/opportunities/new",
    )
    [request] = open_requests()
    specialist = client_as("specialist")
    post(specialist, f"/review/changes/{request.id}/approve")
    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = post(specialist, f"/review/changes/{request.id}/reject", {"comment": "Too late"})
    assert response.status_code == 302
    assert db.session.get(ChangeRequest, request.id).status == "approved"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == count


def test_partner_profile_change_waits_for_review(client_as, client):
    staff = client_as("partner_staff")
    partner = staff.user.partner
    old_name = partner.name
    form = {
        "name": "Renamed Org",
        "kind": "nonprofit",
        "mission": "Nueva misión — ¡más estudiantes!",
        "community_area_number": "0",
        "languages": ["en"],
        "website": "https://example.org",
    }
    assert post(staff, "/partner/profile", form, token_from="/partner/profile").status_code == 302
    db.session.refresh(partner)
    assert partner.name == old_name
    assert old_name in client.get(f"/partners/{partner.slug}").get_data(as_text=True)
    [request] = open_requests()
    post(client_as("specialist"), f"/review/changes/{request.id}/approve")
    db.session.refresh(partner)
    assert partner.name == "Renamed Org" and partner.mission == "Nueva misión — ¡más estudiantes!"


def test_pending_partner_staff_cannot_use_self_service(client_as):
    staff = client_as("partner_staff", is_approved=False)
    assert staff.get("/partner").status_code == 403
    assert post(staff, "/partner/opportunities/new", OPP_FORM).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Opportunity)) == 0
