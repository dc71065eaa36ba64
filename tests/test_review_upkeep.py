"""Specialist upkeep: verify, needs verification, archive and restore, merge, vetting records,
the audit log, admin roles and the student-record access log."""

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Opportunity, User, Verification, VettingRecord
from tests.conftest import post
from tests.test_review import vet


def audit(action, subject_type=None):
    stmt = select(AuditEntry).where(AuditEntry.action == action)
    if subject_type:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    return db.session.scalars(stmt).all()


def test_verify_records_who_how_when_and_leaves_updated_at_alone(client_as, make_opportunity):
    specialist = client_as("specialist")
    opp = make_opportunity()
    updated = opp.updated_at
    response = post(
        specialist, f"/review/opportunities/{opp.id}/verify", {"method": "site_visit", "note": "Visited on Tuesday"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    opp = db.session.get(Opportunity, opp.id)
    [verification] = db.session.scalars(select(Verification)).all()
    assert verification.verified_by_id == specialist.user.id and verification.method == "site_visit"
    assert opp.last_verified_at is not None
    assert opp.updated_at.replace(tzinfo=None) == updated.replace(tzinfo=None)
    assert audit("verified")[0].actor_label == specialist.user.email


def test_verify_with_an_unknown_method_changes_nothing(client_as, make_opportunity):
    specialist = client_as("specialist")
    opp = make_opportunity()
    post(specialist, f"/review/opportunities/{opp.id}/verify", {"method": "telepathy"})
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0


def test_needs_verification_lists_oldest_first_with_configurable_days(client_as, make_opportunity):
    now = datetime.now(UTC)
    never = make_opportunity(title="Never checked", last_verified_at=None)
    old = make_opportunity(title="Checked long ago", last_verified_at=now - timedelta(days=400))
    middle = make_opportunity(title="Checked in spring", last_verified_at=now - timedelta(days=100))
    make_opportunity(title="Checked last week", last_verified_at=now - timedelta(days=7))
    specialist = client_as("specialist")
    page = specialist.get("/review/needs-verification?days=30").get_data(as_text=True)
    positions = [page.index(o.title) for o in (never, old, middle)]
    assert positions == sorted(positions) and "Checked last week" not in page
    default = specialist.get("/review/needs-verification").get_data(as_text=True)  # 180 days
    assert "Checked long ago" in default and "Checked in spring" not in default
    bad = specialist.get("/review/needs-verification?days=abc")
    assert bad.status_code == 200 and 'id="days-error"' in bad.get_data(as_text=True)


def test_needs_verification_leaves_out_listings_nobody_can_see(app, make_partner, make_opportunity):
    """The queue is for public listings: an archived partner's listing waits until it is restored."""
    from cpspartners.services import upkeep

    shown = make_opportunity(last_verified_at=None)
    hidden = make_opportunity(partner=make_partner(status="inactive"), last_verified_at=None)
    queued = {opp.id for opp in db.session.scalars(upkeep.needs_verification(30))}
    assert shown.id in queued and hidden.id not in queued


def test_public_page_link_only_for_a_listing_the_public_can_see(client_as, make_partner, make_opportunity, client):
    specialist = client_as("specialist")
    shown = make_opportunity()
    hidden = make_opportunity(partner=make_partner(status="inactive"))
    assert "Public page" in specialist.get(f"/review/opportunities/{shown.id}").text
    assert "Public page" not in specialist.get(f"/review/opportunities/{hidden.id}").text
    assert client.get(f"/opportunities/{hidden.slug}").status_code == 404  # where the link used to lead


def test_archive_and_restore_through_the_gate(client_as, make_opportunity, client):
    specialist = client_as("specialist")
    opp = make_opportunity(audience="students")
    vet(opp.partner, missing=("agreement",))
    post(specialist, f"/review/opportunities/{opp.id}/archive")
    db.session.refresh(opp)
    assert opp.status == "archived" and client.get(f"/opportunities/{opp.slug}").status_code == 404
    response = post(specialist, f"/review/opportunities/{opp.id}/restore")
    page = specialist.get(response.headers["Location"]).get_data(as_text=True)
    assert "current records for: Partnership agreement / MOU" in page
    db.session.refresh(opp)
    assert opp.status == "archived"
    vet(opp.partner)
    post(specialist, f"/review/opportunities/{opp.id}/restore")
    db.session.refresh(opp)
    assert opp.status == "published"
    assert [e.changes["status"] for e in audit("archived", "opportunity")] == [["published", "archived"]]


def test_archive_and_restore_partner(client_as, make_partner, client):
    specialist = client_as("specialist")
    partner = make_partner()
    post(specialist, f"/review/partners/{partner.id}/archive")
    assert client.get(f"/partners/{partner.slug}").status_code == 404
    post(specialist, f"/review/partners/{partner.id}/restore")
    assert client.get(f"/partners/{partner.slug}").status_code == 200


def test_merge_moves_opportunities_records_and_staff(client_as, make_partner, make_opportunity, make_user):
    specialist = client_as("specialist")
    keep, duplicate = make_partner(name="Keep"), make_partner(name="Keep (duplicate)")
    opps = [make_opportunity(partner=duplicate) for _ in range(2)]
    vet(duplicate)
    staff = make_user("partner_staff", partner=duplicate)
    response = post(specialist, f"/review/partners/{keep.id}/merge", {"duplicate_id": str(duplicate.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert {o.partner_id for o in db.session.scalars(select(Opportunity))} == {keep.id}
    assert {r.partner_id for r in db.session.scalars(select(VettingRecord))} == {keep.id}
    assert db.session.get(User, staff.id).partner_id == keep.id
    assert db.session.get(type(duplicate), duplicate.id).status == "inactive"
    moved = audit("moved", "opportunity")
    assert sorted(e.subject_id for e in moved) == sorted(o.id for o in opps)


def test_merge_with_itself_or_a_missing_partner_changes_nothing(client_as, make_partner):
    specialist = client_as("specialist")
    partner = make_partner()
    for value in (str(partner.id), "999999", "abc", ""):
        post(specialist, f"/review/partners/{partner.id}/merge", {"duplicate_id": value})
    db.session.refresh(partner)
    assert partner.status == "active" and audit("merged") == []


def test_vetting_records_create_edit_delete_are_audited(client_as, make_partner):
    specialist = client_as("specialist")
    partner = make_partner(vetted=False)
    path = f"/review/partners/{partner.id}/vetting/new"
    bad = post(
        specialist, path, {"kind": "insurance", "issued_on": "2026-05-01", "expires_on": "2025-01-01"}, token_from=path
    )
    assert bad.status_code == 400 and "on or after the issue date" in bad.get_data(as_text=True)
    assert (
        post(
            specialist,
            path,
            {
                "kind": "insurance",
                "issued_on": "2026-01-01",
                "expires_on": "2027-01-01",
                "subject": "General liability",
            },
            token_from=path,
        ).status_code
        == 302
    )
    record = db.session.scalars(select(VettingRecord)).one()
    edit = f"/review/vetting/{record.id}/edit"
    post(
        specialist, edit, {"kind": "insurance", "issued_on": "2026-01-01", "expires_on": "2028-01-01"}, token_from=edit
    )
    post(specialist, f"/review/vetting/{record.id}/delete")
    assert db.session.scalar(select(func.count()).select_from(VettingRecord)) == 0
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "vetting_record").order_by(AuditEntry.id)
        )
    ]
    assert actions == ["created", "updated", "deleted"]
    updated = audit("updated", "vetting_record")[0]
    assert updated.changes["expires_on"] == ["2027-01-01", "2028-01-01"]


def test_audit_log_filters_and_has_no_edit_routes(app, client_as, make_partner):
    specialist = client_as("specialist")
    partner = make_partner()
    post(specialist, f"/review/partners/{partner.id}/archive")
    post(specialist, f"/review/partners/{partner.id}/restore")
    page = specialist.get(f"/review/audit?action=archived&subject_type=partner&subject_id={partner.id}")
    html = page.get_data(as_text=True)
    rows = html.split("<tbody>")[1]
    assert page.status_code == 200 and "<td>Archived</td>" in rows and "Restored" not in rows
    odd = specialist.get("/review/audit?subject_type=<script>&subject_id=-1&page=abc&actor=%00")
    assert odd.status_code == 200
    for path in ("/review/partners?q=%00x", "/review/audit?action=%00"):
        assert specialist.get(path).status_code == 200
    admin = client_as("admin")
    assert post(admin, "/admin/users", {"q": "a\x00b"}, token_from="/admin/users").status_code == 302
    assert admin.get("/admin/users").status_code == 200
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in audit_rules)


def test_admin_changes_a_role_and_it_is_audited(client_as, make_user, make_partner):
    admin = client_as("admin")
    teacher = make_user("teacher")
    partner = make_partner()
    path = f"/admin/users/{teacher.id}"
    unknown = post(
        admin, f"{path}/role", {"role": "partner_staff", "partner": "Zzyzx Guild", "active": "y"}, token_from=path
    )
    assert unknown.status_code == 400 and "We found no organization called" in unknown.text
    odd = post(
        admin, f"{path}/role", {"role": "partner_staff", "partner": "a\x00b" * 500, "active": "y"}, token_from=path
    )
    assert odd.status_code == 400
    response = post(
        admin, f"{path}/role", {"role": "partner_staff", "partner": partner.name, "active": "y"}, token_from=path
    )
    assert response.status_code == 302
    db.session.refresh(teacher)
    assert teacher.role == "partner_staff" and teacher.partner_id == partner.id
    page = admin.get(path).text  # the partner is shown by name and already chosen
    assert f'value="{partner.name}"' in page
    assert re.search(r'<input checked[^>]*value="%d"' % partner.id, page)
    entry = audit("changed_role", "user")[0]
    assert entry.changes["role"] == ["teacher", "partner_staff"] and entry.actor_id == admin.user.id


def test_admin_cannot_demote_themselves(client_as):
    admin = client_as("admin")
    path = f"/admin/users/{admin.user.id}"
    response = post(admin, f"{path}/role", {"role": "teacher", "partner": "", "active": "y"}, token_from=path)
    assert response.status_code == 400
    db.session.refresh(admin.user)
    assert admin.user.role == "admin"


def test_specialist_approves_a_pending_teacher(client_as, make_user):
    teacher = make_user("teacher", is_approved=False)
    specialist = client_as("specialist")
    assert teacher.email in specialist.get("/admin/pending").get_data(as_text=True)
    post(specialist, f"/admin/users/{teacher.id}/approve")
    db.session.refresh(teacher)
    assert teacher.is_approved and audit("approved_account")[0].changes == {"is_approved": [False, True]}


def test_staff_viewing_a_student_account_is_logged(client_as, make_user):
    student = make_user("student")
    admin = client_as("admin")
    page = admin.get(f"/admin/users/{student.id}")
    assert page.status_code == 200 and "recorded in the audit log" in page.get_data(as_text=True)
    [entry] = audit("viewed", "student_record")
    assert entry.subject_id == student.id and entry.actor_id == admin.user.id
    # Specialists do not see student accounts at all.
    assert client_as("specialist").get(f"/admin/users/{student.id}").status_code == 403


def test_status_and_dates_are_shown(client_as, make_opportunity):
    specialist = client_as("specialist")
    opp = make_opportunity(deadline=date.today())
    page = specialist.get(f"/review/opportunities/{opp.id}").get_data(as_text=True)
    assert "Published" in page and "Never" in page


def test_specialist_corrects_a_partner_at_once_and_it_is_audited(client_as, make_partner, client):
    specialist = client_as("specialist")
    partner = make_partner(name="Old Name")
    path = f"/review/partners/{partner.id}/edit"
    form = {"name": "New Name", "kind": "nonprofit", "community_area_number": "0", "languages": ["en"]}
    assert post(specialist, path, form, token_from=path).status_code == 302
    db.session.refresh(partner)
    assert partner.name == "New Name" and "New Name" in client.get(f"/partners/{partner.slug}").get_data(as_text=True)
    assert audit("updated", "partner")[0].changes["name"] == ["Old Name", "New Name"]


def test_specialist_edit_waits_for_a_pending_partner_change(client_as):
    staff = client_as("partner_staff")
    partner = staff.user.partner
    post(
        staff,
        "/partner/profile",
        {"name": "Partner's idea", "kind": "nonprofit", "community_area_number": "0"},
        token_from="/partner/profile",
    )
    specialist = client_as("specialist")
    path = f"/review/partners/{partner.id}/edit"
    response = post(
        specialist,
        path,
        {"name": "Specialist's idea", "kind": "nonprofit", "community_area_number": "0"},
        token_from=path,
    )
    assert response.status_code == 409 and "waiting for review" in response.get_data(as_text=True)
    db.session.refresh(partner)
    assert partner.name not in ("Partner's idea", "Specialist's idea")


def test_specialist_edit_of_a_published_listing_passes_the_gate(client_as, make_partner, make_opportunity):
    specialist = client_as("specialist")
    opp = make_opportunity(partner=make_partner(vetted=False), audience="families", title="For families")
    path = f"/review/opportunities/{opp.id}/edit"
    form = {
        "title": "For students now",
        "kind": "workshop",
        "summary": "x",
        "audience": "students",
        "grade_min": "6",
        "grade_max": "12",
        "modality": "virtual",
        "community_area_number": "0",
    }
    response = post(specialist, path, form, token_from=path)
    assert response.status_code == 400
    assert "current records for: Partnership agreement / MOU" in response.get_data(as_text=True)
    db.session.refresh(opp)
    assert (opp.title, opp.audience) == ("For families", "families")


def test_approving_an_old_request_never_brings_back_what_was_archived_since(app, make_user, make_partner):
    import pytest

    from cpspartners.models import Partner
    from cpspartners.services import listings, upkeep
    from cpspartners.services.errors import Conflict

    specialist, staff = make_user("specialist"), make_user("partner_staff")
    newcomer = make_partner(name="Newcomer", status="pending")
    asked = listings.submit_partner_change(staff, newcomer, {"mission": "Radio for teens"})
    listing = make_partner(name="Listed")
    opp, new_listing = listings.create_opportunity(
        staff, listing, {"title": "Radio club", "summary": "Weekly", "kind": "workshop"}
    )
    upkeep.archive_partner(specialist, newcomer)
    upkeep.archive_opportunity(specialist, opp)
    for request, message in ((asked, "This partner was archived"), (new_listing, "This listing was archived")):
        with pytest.raises(Conflict, match=message):
            listings.approve(specialist, request)
        db.session.rollback()
    db.session.expire_all()
    kept = db.session.get(Partner, newcomer.id)
    assert kept.status == "inactive" and kept.mission != "Radio for teens"
    assert db.session.get(Opportunity, opp.id).status == "archived"
    upkeep.restore_partner(specialist, db.session.get(Partner, newcomer.id))
    assert listings.approve(specialist, db.session.merge(asked)).mission == "Radio for teens"  # restored: it applies
