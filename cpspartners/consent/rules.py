"""What the consent and agreement tables say today, for ``policy.can_see_application_details``.

Reads only; no roles here (policy decides who is asking). Where the law leaves a choice, the
choice is written here once (docs/consent-and-sessions.md says why):

- consent is per student and per partner, for the student's applications to that partner's
  listings (``CONSENT_RECORDS``), until revoked;
- it counts when a parent or guardian gave it, or when the student gave it while the school marks
  the student an eligible student (``ConsentEligibility``);
- and only while the partner has a data agreement whose dates cover today (signed on or before,
  expiring on or after).
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Consent, ConsentEligibility, PartnerDataAgreement

PURPOSE = "to decide on the application and run the opportunity the student applied for"


def current_agreement(partner_id: int, today: date | None = None) -> PartnerDataAgreement | None:
    """The partner's data agreement in force on ``today``, the latest-expiring one, or None."""
    today = today or date.today()
    return db.session.scalars(
        select(PartnerDataAgreement)
        .where(
            PartnerDataAgreement.partner_id == partner_id,
            PartnerDataAgreement.signed_on <= today,
            PartnerDataAgreement.expires_on >= today,
        )
        .order_by(PartnerDataAgreement.expires_on.desc(), PartnerDataAgreement.id.desc())
        .limit(1)
    ).first()


def eligibility(student_id: int) -> ConsentEligibility | None:
    """The school's mark that the student gives consent themselves, or None."""
    return db.session.get(ConsentEligibility, student_id)


def consent_giver(student_id: int) -> str:
    """Who must give consent for this student: "student" once marked eligible, else "parent"."""
    return "student" if eligibility(student_id) is not None else "parent"


def live_consents(student_id: int, partner_id: int) -> list[Consent]:
    """Consents for this student and partner that are not revoked, newest first."""
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.student_id == student_id, Consent.partner_id == partner_id, Consent.revoked_at.is_(None))
            .order_by(Consent.signed_at.desc(), Consent.id.desc())
        )
    )


def accepted_consent(student_id: int, partner_id: int) -> Consent | None:
    """The consent the district accepts for this pair now: a parent's, or the student's own while
    the student is marked eligible."""
    return _accepted(live_consents(student_id, partner_id), eligibility(student_id) is not None)


def _accepted(consents: Iterable[Consent], eligible: bool) -> Consent | None:
    """The first of a pair's live consents (newest first) that counts (see ``accepted_consent``)."""
    for consent in consents:
        if consent.given_by == "parent" or (consent.given_by == "student" and eligible):
            return consent
    return None


def disclosure_basis(student_id: int, partner_id: int, today: date | None = None) -> Consent | None:
    """The consent under which the partner may see the student's applications today, or None
    (no accepted consent, or no data agreement in force).

    Remembered for the rest of one request only (a partner's list asks it once a row: without
    this the page's queries grew with its rows); the next request asks the database again, so a
    revocation still takes effect at the partner's next request."""
    memo = _request_memo()
    key = (student_id, partner_id, today)
    if memo is not None and key in memo:
        return memo[key]
    agreement = current_agreement(partner_id, today)
    basis = accepted_consent(student_id, partner_id) if agreement is not None else None
    if memo is not None:
        memo[key] = basis
    return basis


def prime(pairs: Iterable[tuple[int, int]], today: date | None = None) -> None:
    """Answer ``disclosure_basis`` for many (student, partner) pairs at once, into the request's
    memo: three queries for a whole page of applications instead of three per student. The same
    rule (``_accepted`` under an agreement in force); outside a request it does nothing."""
    memo = _request_memo()
    if memo is None:
        return
    wanted = {pair for pair in pairs if (pair[0], pair[1], today) not in memo}
    if not wanted:
        return
    students, partners = {s for s, _p in wanted}, {p for _s, p in wanted}
    day = today or date.today()
    in_force = set(
        db.session.scalars(
            select(PartnerDataAgreement.partner_id).where(
                PartnerDataAgreement.partner_id.in_(partners),
                PartnerDataAgreement.signed_on <= day,
                PartnerDataAgreement.expires_on >= day,
            )
        )
    )
    eligible = set(
        db.session.scalars(select(ConsentEligibility.student_id).where(ConsentEligibility.student_id.in_(students)))
    )
    live: dict[tuple[int, int], list[Consent]] = {}
    for consent in db.session.scalars(
        select(Consent)
        .where(Consent.student_id.in_(students), Consent.partner_id.in_(partners), Consent.revoked_at.is_(None))
        .order_by(Consent.signed_at.desc(), Consent.id.desc())
    ):
        live.setdefault((consent.student_id, consent.partner_id), []).append(consent)
    for student_id, partner_id in wanted:
        basis = (
            _accepted(live.get((student_id, partner_id), []), student_id in eligible)
            if partner_id in in_force
            else None
        )
        memo[(student_id, partner_id, today)] = basis


def _request_memo() -> dict | None:
    """A dict that lives as long as the current request (None outside one: commands, jobs)."""
    from flask import has_request_context, request

    if not has_request_context():
        return None
    memo = request.environ.get("cpspartners.consent_memo")
    if memo is None:
        memo = request.environ["cpspartners.consent_memo"] = {}
    return memo
