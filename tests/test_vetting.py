"""The vetting gate: a listing for students is visible and open to students only while its
partner is active and holds a current agreement, insurance certificate and background check,
or carries a recorded exemption, on every path that can write either."""

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Notification, Opportunity, Partner, User, VettingRecord
from cpspartners.search import outbox
from cpspartners.services import ServiceError, applications, listings, upkeep, vetting
from tests.conftest import give_current_vetting, post

TODAY = date.today()
KINDS = ("agreement", "insurance", "background_check")


def indexed_opportunities():
    return {int(key[2:]) for key in outbox.indexed_keys() if key.startswith("o:")}


def record_values(kind, issued, expires):
    return {"kind": kind, "subject": "", "note": "", "issued_on": issued, "expires_on": expires}


def test_finding_a_published_student_listing_of_an_unvetted_partner_is_not_shown(
    client, make_partner, make_opportunity, make_user
):
    """The finding: an import published an internship for a partner with no records, and a
    student applied. Written straight to the row here, as the import did."""
    partner = make_partner(vetted=False)
    opp = make_opportunity(partner=partner, audience="students", title="Unvetted internship", kind="internship")
    families = make_opportunity(partner=partner, audience="families", title="Family night")
    student = make_user("student")
    assert opp.status == "published" and not opp.is_public and families.is_public
    assert "Unvetted internship" not in client.get("/opportunities").get_data(as_text=True)
    assert client.get(f"/opportunities/{opp.slug}").status_code == 404
    assert opp.id not in indexed_opportunities() and families.id in indexed_opportunities()
    assert "Unvetted internship" not in client.get("/search", query_string={"q": "internship"}).get_data(as_text=True)
    with pytest.raises(ServiceError):
        applications.apply(student, opp)
    give_current_vetting(partner)
    assert opp.is_public and opp.id in indexed_opportunities()
    assert applications.apply(student, opp).id


def test_refresh_follows_each_kind_and_renewals_without_a_gap(app, make_partner):
    partner = make_partner(vetted=False)
    for kind in KINDS:
        partner.vetting_records.append(
            VettingRecord(kind=kind, issued_on=TODAY - timedelta(days=10), expires_on=TODAY + timedelta(days=20))
        )
    # A renewal of the insurance starting the day after: coverage follows on. One with a gap does not.
    partner.vetting_records.append(
        VettingRecord(kind="insurance", issued_on=TODAY + timedelta(days=21), expires_on=TODAY + timedelta(days=400))
    )
    partner.vetting_records.append(
        VettingRecord(kind="agreement", issued_on=TODAY + timedelta(days=30), expires_on=TODAY + timedelta(days=400))
    )
    assert vetting.refresh(partner, TODAY)
    assert partner.vetted and partner.vetted_until == TODAY + timedelta(days=20)
    later = TODAY + timedelta(days=25)
    gaps = vetting.gaps(partner, later)
    assert [(g.kind, g.expired_on, g.starts_on) for g in gaps] == [
        ("agreement", TODAY + timedelta(days=20), TODAY + timedelta(days=30)),
        ("background_check", TODAY + timedelta(days=20), None),
    ]
    assert not vetting.refresh(partner, TODAY)  # unchanged: False


def test_a_record_expires_the_sweep_hides_the_listings_that_day_and_tells_people(
    app, make_partner, make_opportunity, make_user
):
    partner = make_partner(vetted=False)
    specialist = make_user("specialist")
    staff = make_user("partner_staff", partner=partner)
    last_day = TODAY + timedelta(days=5)
    for kind in KINDS:
        expires = last_day if kind == "insurance" else TODAY + timedelta(days=200)
        upkeep.save_vetting(specialist, partner, record_values(kind, TODAY - timedelta(days=100), expires))
    assert partner.vetted and partner.vetted_until == last_day
    opp = make_opportunity(partner=partner, audience="students")
    classroom = make_opportunity(partner=partner, audience="classrooms")
    assert vetting.sweep(last_day).checked == 0  # still current on its last day
    assert opp.id in indexed_opportunities()

    result = vetting.sweep(last_day + timedelta(days=1))
    assert result.lapsed == [partner.id]
    db.session.expire_all()
    assert not db.session.get(Opportunity, opp.id).is_public
    assert db.session.get(Opportunity, classroom.id).is_public
    assert opp.id not in indexed_opportunities() and classroom.id in indexed_opportunities()
    told = db.session.scalars(select(Notification).where(Notification.kind == "vetting_lapsed")).all()
    assert {n.user_id for n in told} == {staff.id, specialist.id}
    for_staff = next(n for n in told if n.user_id == staff.id)
    assert for_staff.endpoint == "partners.dashboard"
    assert "Certificate of insurance (expired %s)" % long_date(last_day) in for_staff.params["records"]

    again = vetting.sweep(last_day + timedelta(days=1))  # idempotent: nothing due, nothing sent
    assert (again.checked, again.lapsed) == (0, [])
    assert db.session.query(Notification).filter_by(kind="vetting_lapsed").count() == 2


def test_a_record_issued_for_later_vets_the_partner_when_it_starts(app, make_partner, make_user):
    partner = make_partner(vetted=False)
    specialist = make_user("specialist")
    starts = TODAY + timedelta(days=3)
    for kind in KINDS:
        issued = starts if kind == "agreement" else TODAY - timedelta(days=1)
        upkeep.save_vetting(specialist, partner, record_values(kind, issued, TODAY + timedelta(days=300)))
    assert not partner.vetted and partner.vetted_until == starts - timedelta(days=1)
    assert vetting.sweep(starts).renewed == [partner.id]
    assert db.session.get(Partner, partner.id).vetted


def test_the_cli_sweep_and_violators(app, make_partner, make_opportunity):
    partner = make_partner()
    opp = make_opportunity(partner=partner, audience="students")
    runner = app.test_cli_runner()
    assert "no listing for students is visible" in runner.invoke(args=["vetting", "violators"]).output
    # The flag out of step with the records (a write that skipped refresh): reported, exit 1.
    for record_ in partner.vetting_records:
        record_.expires_on = TODAY - timedelta(days=1)
        record_.issued_on = TODAY - timedelta(days=300)
    db.session.commit()
    result = runner.invoke(args=["vetting", "violators"])
    assert result.exit_code == 1 and f"listing {opp.id}" in result.output
    partner.vetted_until = TODAY - timedelta(days=1)
    db.session.commit()
    result = runner.invoke(args=["vetting", "sweep"])
    assert "1 no longer vetted" in result.output, result.output
    result = runner.invoke(args=["vetting", "violators"])
    assert result.exit_code == 0 and f"partner {partner.id}" in result.output and "expired" in result.output
    assert isinstance(runner, CliRunner)


def test_exemption_is_recorded_audited_and_removable(client_as, make_partner, make_opportunity):
    specialist = client_as("specialist")
    partner = make_partner(vetted=False)
    opp = make_opportunity(partner=partner, audience="students")
    assert not opp.is_public
    path = f"/review/partners/{partner.id}"
    assert post(specialist, f"{path}/exemption", {"reason": "  "}, token_from=path).status_code == 302
    assert not db.session.get(Partner, partner.id).vetting_exemption
    post(specialist, f"{path}/exemption", {"reason": "District-run programme"}, token_from=path)
    db.session.expire_all()
    assert db.session.get(Partner, partner.id).vetted and db.session.get(Opportunity, opp.id).is_public
    page = specialist.get(path).get_data(as_text=True)
    assert "Exempt from vetting: District-run programme" in page
    assert opp.id in indexed_opportunities()
    post(specialist, f"{path}/exemption/remove", token_from=path)
    db.session.expire_all()
    assert not db.session.get(Opportunity, opp.id).is_public and opp.id not in indexed_opportunities()
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "partner", AuditEntry.subject_id == partner.id)
    ).all()
    assert actions == ["exempted", "unexempted"]


def test_pages_say_why_a_published_listing_is_hidden(client_as, make_partner, make_opportunity):
    """The contradiction: the partner's page said both "cannot be published" and "Published"."""
    staff = client_as("partner_staff", partner=make_partner(vetted=False))
    partner = staff.user.partner
    expired = TODAY - timedelta(days=3)
    partner.vetting_records.append(
        VettingRecord(kind="insurance", issued_on=expired - timedelta(days=365), expires_on=expired)
    )
    db.session.commit()
    opp = make_opportunity(partner=partner, audience="students", title="Hidden one")
    dashboard = staff.get("/partner").get_data(as_text=True)
    assert "cannot be published until" not in dashboard.split("Your opportunities")[1]
    assert "Hidden from students" in dashboard
    assert "Certificate of insurance (expired %s)" % long_date(expired) in dashboard
    specialist = client_as("specialist")
    detail = specialist.get(f"/review/opportunities/{opp.id}").get_data(as_text=True)
    assert "Published, but hidden from students" in detail and "Partnership agreement / MOU (missing)" in detail
    review_partner = specialist.get(f"/review/partners/{partner.id}").get_data(as_text=True)
    assert "Hidden from students" in review_partner and "Not vetted" in review_partner


# --- Every writing path refreshes the flag -------------------------------------------------------


def test_deleting_a_record_hides_at_once(app, make_partner, make_opportunity, make_user):
    partner = make_partner()
    opp = make_opportunity(partner=partner, audience="students")
    upkeep.delete_vetting(make_user("specialist"), partner.vetting_records[0])
    db.session.expire_all()
    assert not db.session.get(Partner, partner.id).vetted and not db.session.get(Opportunity, opp.id).is_public
    assert opp.id not in indexed_opportunities()


def test_editing_a_record_to_expired_hides_at_once(app, make_partner, make_opportunity, make_user):
    partner = make_partner()
    opp = make_opportunity(partner=partner, audience="students")
    record_ = partner.vetting_records[0]
    upkeep.save_vetting(
        make_user("specialist"),
        partner,
        record_values(record_.kind, TODAY - timedelta(days=400), TODAY - timedelta(days=1)),
        record_,
    )
    assert not db.session.get(Opportunity, opp.id).is_public


def test_merge_moves_the_gate_with_the_records(app, make_partner, make_opportunity, make_user):
    keep, duplicate = make_partner(vetted=False), make_partner()
    opp = make_opportunity(partner=keep, audience="students")
    assert not opp.is_public
    upkeep.merge_partners(make_user("specialist"), keep, duplicate)
    db.session.expire_all()
    assert db.session.get(Partner, keep.id).vetted and not db.session.get(Partner, duplicate.id).vetted
    assert db.session.get(Opportunity, opp.id).is_public and opp.id in indexed_opportunities()


def test_restore_and_approve_and_direct_edit_refresh_a_stale_flag(app, make_partner, make_opportunity, make_user):
    """A flag left True by a write that skipped refresh is corrected by the next path through."""
    specialist = make_user("specialist")
    for path in ("restore", "approve", "edit"):
        partner = make_partner()
        for record_ in partner.vetting_records:
            if record_.kind == "agreement":
                record_.expires_on, record_.issued_on = TODAY - timedelta(days=1), TODAY - timedelta(days=100)
        db.session.commit()
        assert partner.vetted  # stale
        opp = make_opportunity(
            partner=partner, audience="families", status="archived" if path == "restore" else "published"
        )
        if path == "restore":
            upkeep.restore_opportunity(specialist, opp)
        elif path == "approve":
            staff = make_user("partner_staff", partner=partner)
            request = listings.submit_opportunity_change(staff, opp, {**listings.snapshot(opp), "title": "New title"})
            listings.approve(specialist, request)
        else:
            listings.edit_directly(specialist, opp, {**listings.snapshot(opp), "title": "Corrected"})
        assert not db.session.get(Partner, partner.id).vetted, path


def test_approving_a_student_listing_needs_the_records(app, make_partner, make_user):
    partner = make_partner(vetted=False)
    staff, specialist = make_user("partner_staff", partner=partner), make_user("specialist")
    opp, request = listings.create_opportunity(
        staff, partner, {"title": "Lab", "kind": "workshop", "audience": "students"}
    )
    with pytest.raises(ServiceError, match="cannot be published"):
        listings.approve(specialist, request)
    give_current_vetting(partner)
    listings.approve(specialist, request)
    assert db.session.get(Opportunity, opp.id).is_public


def test_seeded_cte_programmes_carry_a_recorded_exemption(app):
    from cpspartners.seed.schools import CPS_CTE_EXEMPTION, cps_partner

    partner = cps_partner()
    db.session.commit()
    assert partner.vetting_exemption == CPS_CTE_EXEMPTION and partner.vetted
    assert vetting.blockers(partner) == [] and len(vetting.gaps(partner)) == 3
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "exempted")).all()
    assert [(e.subject_id, e.actor_label) for e in entries] == [(partner.id, "system")]
    cps_partner()  # seeding again records nothing new
    db.session.commit()
    assert db.session.query(AuditEntry).filter_by(action="exempted").count() == 1


def test_demo_seed_shows_the_gate_and_leaves_no_violator(app):
    from cpspartners.seed.demo import seed_demo

    seed_demo(opportunities=400, today=TODAY)
    partners = db.session.scalars(select(Partner).where(Partner.external_id.like("demo-p-%"))).all()
    vetted = [p for p in partners if p.vetted]
    assert 0.6 < len(vetted) / len(partners) < 0.85
    soon = [p for p in vetted if p.vetted_until <= TODAY + timedelta(days=42)]
    assert soon, "some partners have a record expiring within weeks"
    assert vetting.violators(TODAY) == []
    assert all(p.vetted == (vetting.blockers(p, TODAY) == []) for p in partners)
    hidden = db.session.scalars(
        select(Opportunity).where(Opportunity.status == "published", Opportunity.needs_vetting, ~Opportunity.is_public)
    ).all()
    assert hidden, "the demo shows published listings for students held back by the gate"
    assert not db.session.scalar(select(User.id).limit(1))  # the demo seed makes no accounts


def long_date(day):
    """A date as the English pages write it ("January 12, 2027"): never ISO."""
    from babel.dates import format_date

    return format_date(day, "long", locale="en")
