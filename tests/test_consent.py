"""Consent before disclosure (F1, F6, S3) and the append-only disclosure log (F2)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Consent, Disclosure, Notification
from cpspartners.models.consent import AppendOnly
from cpspartners.services import applications, consent
from tests.conftest import consent_on_record, post, sign_in_as


@pytest.fixture
def applied(people, make_opportunity):
    opp = make_opportunity(partner=people["partner"], title="Robotics lab")
    application = applications.apply(people["student"], opp, "I build robots at home")
    return application


def agreement(partner, specialist, days_left=300):
    today = date.today()
    return consent.record_agreement(
        specialist,
        partner,
        "IL-NDPA 1.0",
        "Dana Director",
        today - timedelta(days=5),
        today + timedelta(days=days_left),
    )


def test_partner_sees_waiting_for_consent_until_consent_and_agreement_are_on_record(app, people, applied):
    staff = sign_in_as(app.test_client(), people["staff"])
    page = staff.get(f"/applications/{applied.id}").get_data(as_text=True)
    assert "Waiting for consent" in page and "Ana" not in page and "I build robots" not in page
    listing = staff.get("/applications/received").get_data(as_text=True)
    assert "Waiting for consent" in listing and "Ana" not in listing
    assert staff.get(f"/applications/{applied.id}/download").status_code == 403
    # Each refusal is audited (S3).
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "disclosure_refused")).all()
    # The partner was told of the application without grade or school.
    note = db.session.scalars(select(Notification).where(Notification.user_id == people["staff"].id)).one()
    assert note.kind == "application_waiting"

    # Consent alone is not enough: the partner has no data agreement yet.
    student = sign_in_as(app.test_client(), people["student"])
    post(
        student,
        f"/consent/applications/{applied.id}/give",
        {"consent-given_by": "parent", "consent-signer_name": "Rosa Reyes", "consent-agree": "y"},
        token_from=f"/applications/{applied.id}",
    )
    given = db.session.scalars(select(Consent)).one()
    assert (given.given_by, given.method, given.signer_name, given.partner_id) == (
        "parent",
        "online",
        "Rosa Reyes",
        people["partner"].id,
    )
    assert given.records == "applications" and given.purpose and given.signed_at is not None
    assert "Waiting for consent" in staff.get(f"/applications/{applied.id}").get_data(as_text=True)

    agreement(people["partner"], people["specialist"])
    page = staff.get(f"/applications/{applied.id}").get_data(as_text=True)
    assert "Waiting for consent" not in page and "Ana" in page and "I build robots" in page
    download = staff.get(f"/applications/{applied.id}/download")
    assert download.status_code == 200 and "I build robots" in download.get_data(as_text=True)
    # F5: the page and the file say not to pass it on; the file names the account that took it.
    assert "34 CFR 99.33" in page and f"account {people['staff'].id}" in download.get_data(as_text=True)
    actions = [d["action"] for d in consent.disclosures_for_student(people["student"])]
    assert actions == ["viewed", "downloaded"]
    # Another partner's staff never see it, consent or not.
    assert sign_in_as(app.test_client(), people["other_staff"]).get(f"/applications/{applied.id}").status_code == 403


def test_revoking_consent_removes_access_at_the_partners_next_request(app, people, applied):
    consent_on_record(people["student"], people["partner"])
    staff = sign_in_as(app.test_client(), people["staff"])
    assert "I build robots" in staff.get(f"/applications/{applied.id}").get_data(as_text=True)
    student = sign_in_as(app.test_client(), people["student"])
    response = post(student, f"/consent/applications/{applied.id}/revoke", token_from=f"/applications/{applied.id}")
    assert response.status_code == 302
    assert db.session.scalars(select(Consent)).one().revoked_at is not None
    page = staff.get(f"/applications/{applied.id}").get_data(as_text=True)
    assert "Waiting for consent" in page and "I build robots" not in page
    assert staff.get(f"/applications/{applied.id}/download").status_code == 403


def test_an_expired_agreement_withholds_the_details(app, people, applied):
    consent_on_record(people["student"], people["partner"])
    assert policy.can_see_application_details(people["staff"], applied)
    later = date.today() + timedelta(days=400)
    assert not policy.can_see_application_details(people["staff"], applied, today=later)


def test_a_student_consents_only_once_the_school_marks_them_eligible(app, people, applied):
    agreement(people["partner"], people["specialist"])
    student = sign_in_as(app.test_client(), people["student"])
    form = {"consent-given_by": "student", "consent-signer_name": "Ana Reyes", "consent-agree": "y"}
    post(student, f"/consent/applications/{applied.id}/give", form, token_from=f"/applications/{applied.id}")
    assert db.session.scalars(select(Consent)).all() == []
    specialist = sign_in_as(app.test_client(), people["specialist"])
    post(
        specialist,
        f"/consent/applications/{applied.id}/eligible",
        {"eligible-basis": "age_18"},
        token_from=f"/applications/{applied.id}",
    )
    post(student, f"/consent/applications/{applied.id}/give", form, token_from=f"/applications/{applied.id}")
    assert db.session.scalars(select(Consent)).one().given_by == "student"
    assert policy.can_see_application_details(people["staff"], applied)
    # Removing the mark: the student's own consent stops counting.
    post(specialist, f"/consent/applications/{applied.id}/not-eligible", token_from=f"/applications/{applied.id}")
    assert not policy.can_see_application_details(people["staff"], applied)


def test_a_specialist_records_a_data_agreement_and_a_paper_consent(app, people, applied):
    specialist = sign_in_as(app.test_client(), people["specialist"])
    url = f"/consent/partners/{people['partner'].id}/agreements"
    today = date.today()
    bad = post(
        specialist,
        url,
        {
            "version": "v1",
            "signer_name": "D",
            "signed_on": today.isoformat(),
            "expires_on": (today - timedelta(days=1)).isoformat(),
        },
        token_from=url,
    )
    assert bad.status_code == 400
    good = post(
        specialist,
        url,
        {
            "version": "v1",
            "signer_name": "D",
            "signed_on": today.isoformat(),
            "expires_on": (today + timedelta(days=365)).isoformat(),
        },
        token_from=url,
    )
    assert good.status_code == 302
    post(
        specialist,
        f"/consent/applications/{applied.id}/paper",
        {"paper-given_by": "parent", "paper-signer_name": "Rosa Reyes", "paper-signed_on": today.isoformat()},
        token_from=f"/applications/{applied.id}",
    )
    assert db.session.scalars(select(Consent)).one().method == "paper"
    assert policy.can_see_application_details(people["staff"], applied)


def test_messages_and_the_credential_form_follow_the_rule(app, people, applied):
    staff = sign_in_as(app.test_client(), people["staff"])
    response = post(
        staff, f"/applications/{applied.id}/messages", {"body": "Hello"}, token_from="/applications/received"
    )
    assert response.status_code == 403
    consent_on_record(people["student"], people["partner"])
    response = post(
        staff, f"/applications/{applied.id}/messages", {"body": "Hello"}, token_from="/applications/received"
    )
    assert response.status_code == 302


def test_disclosure_entries_cannot_be_changed_or_deleted(app, people, applied):
    consent_on_record(people["student"], people["partner"])
    consent.log_disclosure(people["staff"], [applied], "viewed")
    entry = db.session.scalars(select(Disclosure)).one()
    entry.action = "listed"
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    entry = db.session.scalars(select(Disclosure)).one()
    db.session.delete(entry)
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnly):
        db.session.execute(update(Disclosure).values(action="listed"))
    db.session.rollback()
    with pytest.raises(AppendOnly):
        db.session.execute(delete(Disclosure))
    db.session.rollback()
    assert db.session.scalars(select(Disclosure.action)).all() == ["viewed"]
    # No route edits or deletes one.
    assert not [r for r in app.url_map.iter_rules() if "disclosure" in r.rule]


def test_specialists_see_details_without_consent_and_are_audit_logged_instead(app, people, applied):
    specialist = sign_in_as(app.test_client(), people["specialist"])
    page = specialist.get(f"/applications/{applied.id}").get_data(as_text=True)
    assert "I build robots" in page and "Consent to share with the partner" in page
    assert db.session.scalars(select(Disclosure)).all() == []


def test_no_bulk_export_route_for_partners(app):
    """X8: partners fetch one application at a time; no route lists many as a file."""
    bulk = [
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/applications") and (r.rule.endswith(".csv") or "export" in r.rule)
    ]
    assert bulk == []


def test_erasing_the_student_takes_consents_marks_and_the_disclosure_log_with_it(app, people, applied):
    """The log lives as long as the record it describes (99.32), and goes with it (S9)."""
    from cpspartners.models import ConsentEligibility
    from cpspartners.services import privacy

    consent_on_record(people["student"], people["partner"])
    consent.mark_eligible(people["specialist"], people["student"], "age_18")
    consent.log_disclosure(people["staff"], [applied], "viewed")
    student_id = people["student"].id
    privacy.erase_student(people["student"], "closed")
    for model in (Consent, ConsentEligibility, Disclosure):
        assert db.session.scalars(select(model).where(model.student_id == student_id)).all() == [], model


def test_a_primed_page_answers_exactly_as_the_rule_does_one_pair_at_a_time(app, make_user, make_partner):
    """``rules.prime`` (one batch for a page) and ``rules.disclosure_basis`` (one pair) agree on
    every mix: parent's or student's consent, eligible or not, revoked, no agreement, an expired one."""
    from datetime import UTC, datetime

    from cpspartners.consent import rules
    from cpspartners.models import ConsentEligibility, PartnerDataAgreement
    from cpspartners.models.consent import ELIGIBILITY_BASES

    covered, uncovered, lapsed = make_partner(), make_partner(), make_partner()
    today = date.today()
    db.session.add(
        PartnerDataAgreement(
            partner_id=lapsed.id,
            version="1",
            signer_name="D",
            signed_on=today - timedelta(days=400),
            expires_on=today - timedelta(days=1),
        )
    )
    students = [make_user("student") for _ in range(6)]
    consent_on_record(students[0], covered)  # a parent's: counts
    consent_on_record(students[1], covered, given_by="student")  # the student's, not eligible: no
    consent_on_record(students[2], covered, given_by="student")  # the student's, eligible: counts
    db.session.add(ConsentEligibility(student_id=students[2].id, basis=ELIGIBILITY_BASES[0]))
    revoked = consent_on_record(students[3], covered)
    revoked.revoked_at = datetime.now(UTC)  # revoked: no
    consent_on_record(students[4], uncovered)  # no agreement at all
    db.session.execute(delete(PartnerDataAgreement).where(PartnerDataAgreement.partner_id == uncovered.id))
    consent_on_record(students[5], lapsed)  # the agreement has expired
    db.session.commit()
    pairs = [(s.id, p.id) for s in students for p in (covered, uncovered, lapsed)]
    one_by_one = {pair: rules.disclosure_basis(*pair) for pair in pairs}  # outside a request: no memo
    assert sum(basis is not None for basis in one_by_one.values()) == 2
    with app.test_request_context():
        rules.prime(pairs)
        primed = {pair: rules._request_memo()[(pair[0], pair[1], None)] for pair in pairs}
    assert {pair: getattr(b, "id", None) for pair, b in primed.items()} == {
        pair: getattr(b, "id", None) for pair, b in one_by_one.items()
    }
