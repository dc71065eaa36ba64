"""Consent, data agreements, the eligibility mark, and the disclosure log.

Every change is audited in its own transaction. The disclosure log is only ever added to
(``log_disclosure``); ``disclosures_for_student`` is what a family's export reads.
"""

from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners import policy
from cpspartners.consent import rules
from cpspartners.extensions import db
from cpspartners.models import Application, Consent, ConsentEligibility, Disclosure, Partner, PartnerDataAgreement, User
from cpspartners.models.consent import ELIGIBILITY_BASES
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.audit import log_student_access, record
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken


def _signer(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise RuleBroken(_l("Type the full name of the person giving consent (at most 120 characters)."))
    return name


def _partner_of(application: Application) -> int:
    return int(application.opportunity.partner_id)


@transaction
def give_online(actor: User, application: Application, given_by: str, signer_name: str) -> Consent:
    """Consent typed on the application's page, signed in as the student: by a parent or
    guardian at the student's side, or by the student once the school marks them eligible."""
    if not policy.is_applicant(actor, application):
        raise NotAllowed(_l("Only the student and their family give consent for this application."))
    needed = rules.consent_giver(application.student_id)
    if given_by not in ("parent", "student"):
        raise RuleBroken(_l("Say who is giving consent."))
    if given_by == "student" and needed != "student":
        raise RuleBroken(
            _l("A parent or guardian gives this consent: the school has not marked you as an eligible student.")
        )
    if rules.accepted_consent(application.student_id, _partner_of(application)) is not None:
        raise Conflict(_l("Consent is already on record for this partner."))
    return _add(actor, application.student_id, _partner_of(application), given_by, signer_name, "online")


@transaction
def record_paper(actor: User, application: Application, given_by: str, signer_name: str, signed_on: date) -> Consent:
    """A specialist records a signed paper consent form the school received."""
    if not policy.can_manage_consent_records(actor):
        raise NotAllowed(_l("Only partnership specialists record paper consent forms."))
    if given_by not in ("parent", "student"):
        raise RuleBroken(_l("Say who is giving consent."))
    if signed_on > date.today():
        raise RuleBroken(_l("The date signed cannot be in the future."))
    consent = _add(actor, application.student_id, _partner_of(application), given_by, signer_name, "paper")
    consent.signed_at = datetime.combine(signed_on, time(12), tzinfo=UTC)  # the day is what the form shows
    return consent


def _add(actor: User, student_id: int, partner_id: int, given_by: str, signer_name: str, method: str) -> Consent:
    consent = Consent(
        student_id=student_id,
        partner_id=partner_id,
        records="applications",
        purpose=rules.PURPOSE,
        given_by=given_by,
        signer_name=_signer(signer_name),
        method=method,
        recorded_by_id=actor.id,
    )
    db.session.add(consent)
    db.session.flush()
    changes = {"partner_id": [None, partner_id], "given_by": [None, given_by], "method": [None, method]}
    record(
        actor, "consent_given", "student_record", student_id, changes, note=_l("consent %(number)d", number=consent.id)
    )
    return consent


@transaction
def revoke(actor: User, application: Application) -> int:
    """Revoke every live consent for this student and this application's partner: the partner's
    next request no longer shows the details. Returns how many were revoked."""
    if not policy.can_revoke_consent(actor, application):
        raise NotAllowed(_l("Only the student, their family or district staff revoke this consent."))
    live = rules.live_consents(application.student_id, _partner_of(application))
    if not live:
        raise Conflict(_l("There is no consent to revoke."))
    now = utcnow()
    for consent in live:
        consent.revoked_at = now
        consent.revoked_by_id = actor.id
        record(
            actor,
            "consent_revoked",
            "student_record",
            application.student_id,
            note=_l("consent %(number)d", number=consent.id),
        )
    return len(live)


@transaction
def mark_eligible(actor: User, student: User, basis: str) -> ConsentEligibility:
    """Record the school's mark that ``student`` is an eligible student (consent is theirs)."""
    if not policy.can_manage_consent_records(actor):
        raise NotAllowed(_l("Only partnership specialists record what the school says."))
    if not policy.is_student_account(student):
        raise RuleBroken(_l("Only students can be marked eligible."))
    if basis not in ELIGIBILITY_BASES:
        raise RuleBroken(_l("Choose why the student is an eligible student."))
    mark = db.session.get(ConsentEligibility, student.id)
    if mark is not None:
        raise Conflict(_l("The student is already marked eligible."))
    mark = ConsentEligibility(student_id=student.id, basis=basis, marked_by_id=actor.id)
    db.session.add(mark)
    record(actor, "marked_eligible", "student_record", student.id, {"basis": [None, basis]})
    return mark


@transaction
def unmark_eligible(actor: User, student: User) -> None:
    """Remove the mark: consent is the parent's again, and the student's own consents stop counting."""
    if not policy.can_manage_consent_records(actor):
        raise NotAllowed(_l("Only partnership specialists record what the school says."))
    mark = db.session.get(ConsentEligibility, student.id)
    if mark is None:
        raise Conflict(_l("The student is not marked eligible."))
    record(actor, "unmarked_eligible", "student_record", student.id, {"basis": [mark.basis, None]})
    db.session.delete(mark)


@transaction
def record_agreement(
    actor: User, partner: Partner, version: str, signer_name: str, signed_on: date, expires_on: date
) -> PartnerDataAgreement:
    """A specialist records the partner's written data agreement with the district."""
    if not policy.can_manage_consent_records(actor):
        raise NotAllowed(_l("Only partnership specialists record data agreements."))
    version = (version or "").strip()
    if not version or len(version) > 40:
        raise RuleBroken(_l("Give the agreement's version (at most 40 characters)."))
    if expires_on <= signed_on:
        raise RuleBroken(_l("The agreement must expire after the day it was signed."))
    agreement = PartnerDataAgreement(
        partner_id=partner.id,
        version=version,
        signer_name=_signer(signer_name),
        signed_on=signed_on,
        expires_on=expires_on,
        recorded_by_id=actor.id,
    )
    db.session.add(agreement)
    db.session.flush()
    changes = {"version": [None, version], "signed_on": [None, signed_on.isoformat()]}
    changes["expires_on"] = [None, expires_on.isoformat()]
    record(
        actor,
        "agreement_recorded",
        "partner",
        partner.id,
        changes,
        note=_l("data agreement %(number)d", number=agreement.id),
    )
    return agreement


def agreements_of(partner: Partner) -> list[PartnerDataAgreement]:
    return list(
        db.session.scalars(
            select(PartnerDataAgreement)
            .where(PartnerDataAgreement.partner_id == partner.id)
            .order_by(PartnerDataAgreement.signed_on.desc(), PartnerDataAgreement.id.desc())
        )
    )


def consents_for(application: Application) -> list[Consent]:
    """Every consent (live and revoked) for this application's student and partner, newest first."""
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.student_id == application.student_id, Consent.partner_id == _partner_of(application))
            .order_by(Consent.signed_at.desc(), Consent.id.desc())
        )
    )


# --- The disclosure log (FERPA 99.32) ------------------------------------------------------------


@transaction
def log_disclosure(viewer: User, applications: list[Application], action: str) -> list[Disclosure]:
    """Append one entry per application a partner's staff member was shown (after the rule said
    yes). District staff are logged in the audit log instead (``audit.log_student_access``)."""
    entries = []
    for application in applications:
        if policy.is_specialist_account(viewer) or not policy.can_see_application_details(viewer, application):
            continue
        basis = rules.disclosure_basis(application.student_id, _partner_of(application))
        entry = Disclosure(
            student_id=application.student_id,
            application_id=application.id,
            partner_id=_partner_of(application),
            viewer_id=viewer.id,
            consent_id=basis.id if basis else None,
            action=action,
            purpose=basis.purpose if basis else rules.PURPOSE,
        )
        db.session.add(entry)
        entries.append(entry)
    return entries


@transaction
def log_partner_page(viewer: User, applications: list[Application], where: str, action: str) -> None:
    """A page of applications a partner's staff member was shown: the access log and the
    disclosure log in one transaction (one commit, so the rows are not reloaded one by one
    between the two), each student read before the first entry is added (so the entries are
    written together, not flushed one by one by the reads)."""
    students = [application.student for application in applications]
    log_disclosure(viewer, applications, action)
    log_student_access(viewer, students, where)


@transaction
def log_refusal(viewer: User, application: Application, where: str) -> None:
    """A partner asked for details the rule withheld (SOPPA S3: each denial is audited)."""
    record(viewer, "disclosure_refused", "student_record", application.student_id, note=where)


def disclosures_for_student(student: User) -> list[dict[str, Any]]:
    """Every disclosure of ``student``'s records, oldest first, as plain values for the family's
    export (S6, F2): when, which partner, what was done, by which account (an id), why, and under
    which consent."""
    rows = db.session.execute(
        select(Disclosure, Partner.name)
        .join(Partner, Partner.id == Disclosure.partner_id)
        .where(Disclosure.student_id == student.id)
        .order_by(Disclosure.at, Disclosure.id)
    ).all()
    return [
        {
            "at": entry.at.isoformat(),
            "partner": name,
            "partner_id": entry.partner_id,
            "application_id": entry.application_id,
            "action": entry.action,
            "viewer_id": entry.viewer_id,
            "purpose": entry.purpose,
            "consent_id": entry.consent_id,
        }
        for entry, name in rows
    ]


def erase_disclosures_of(student_id: int) -> int:
    """For the student-deletion service only, when the student's records themselves are erased:
    FERPA keeps the log as long as the record exists, not longer. Goes around the ORM guards on
    purpose (a plain Core DELETE on the connection), in the caller's transaction."""
    table = Disclosure.__table__
    result = db.session.connection().execute(table.delete().where(table.c.student_id == student_id))
    return int(result.rowcount or 0)
