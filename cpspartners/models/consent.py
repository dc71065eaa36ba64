"""Consent before disclosure (FERPA 34 CFR 99.30, SOPPA 85/26(2)) and the disclosure log (99.32).

A partner's staff see an application's details only while (1) the partner has a data agreement
with the district on file (``PartnerDataAgreement``, current on the day) and (2) a consent that
the district accepts is on record for that student and that partner (``Consent``, not revoked):
the parent's, or the student's own once the school marked the student an eligible student
(``ConsentEligibility``). ``cpspartners.consent.rules`` reads these tables; ``policy`` decides.

Each time a partner's staff view or download an application, a ``Disclosure`` row is written.
Disclosure rows are append-only: the ORM refuses to update or delete one (the guards at the
end of this module), and no page, service or command changes them.
"""

from sqlalchemy import event
from sqlalchemy.orm import Session

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

CONSENT_GIVERS = ("parent", "student")  # a parent or guardian; the eligible student themselves
CONSENT_METHODS = ("online", "paper")  # signed on this site; a signed paper form the school holds
CONSENT_RECORDS = ("applications",)  # the student's applications to the partner, with their messages
ELIGIBILITY_BASES = ("age_18", "postsecondary")  # FERPA 99.3 "eligible student"
DISCLOSURE_ACTIONS = ("viewed", "listed", "downloaded")


class PartnerDataAgreement(db.Model):
    """A written data agreement between the district and a partner (SOPPA 85/26(2)), as a
    specialist recorded it: which version, who signed for the partner, when, until when."""

    __tablename__ = "partner_data_agreement"

    id = db.Column(db.Integer, primary_key=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id", ondelete="CASCADE"), nullable=False, index=True)
    version = db.Column(db.String(40), nullable=False)
    signer_name = db.Column(db.String(120), nullable=False)
    signed_on = db.Column(db.Date, nullable=False)
    expires_on = db.Column(db.Date, nullable=False)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    partner = db.relationship("Partner")

    __table_args__ = (db.CheckConstraint("expires_on > signed_on", name="agreement_dates"),)


class ConsentEligibility(db.Model):
    """The school's mark that a student is an "eligible student" under FERPA (18 or older, or
    attending a postsecondary institution), so consent is the student's own to give. Recorded
    by district staff from the school's records; removing the mark returns consent to the parent."""

    __tablename__ = "consent_eligibility"

    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    basis = db.Column(db.String(16), nullable=False)
    marked_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    marked_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (one_of("basis", ELIGIBILITY_BASES, "basis"),)


class Consent(db.Model):
    """Written consent to disclose a student's records to one partner: who gave it, which
    records, for what purpose, when and how. Revoking sets ``revoked_at``; the row stays as the
    record that consent once existed."""

    __tablename__ = "consent"

    id = db.Column(db.Integer, primary_key=True)
    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id", ondelete="CASCADE"), nullable=False, index=True)
    records = db.Column(db.String(20), nullable=False, default="applications")
    purpose = db.Column(db.String(200), nullable=False)
    given_by = db.Column(db.String(8), nullable=False)
    signer_name = db.Column(db.String(120), nullable=False)
    method = db.Column(db.String(8), nullable=False)
    signed_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # The account that typed it in: the student's own (online), or the specialist (paper form).
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at = db.Column(db.DateTime(timezone=True))
    revoked_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))

    partner = db.relationship("Partner")

    __table_args__ = (
        one_of("given_by", CONSENT_GIVERS, "given_by"),
        one_of("method", CONSENT_METHODS, "method"),
        one_of("records", CONSENT_RECORDS, "records"),
        db.Index("ix_consent_student_partner", "student_id", "partner_id"),
    )


class Disclosure(db.Model):
    """One disclosure of a student's application to a partner (FERPA 99.32): who saw it, for
    which partner, what, why and when. Append-only; ids only, no names."""

    __tablename__ = "disclosure"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    application_id = db.Column(db.Integer, db.ForeignKey("application.id", ondelete="CASCADE"), nullable=False)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id", ondelete="CASCADE"), nullable=False)
    viewer_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id", ondelete="SET NULL"))
    action = db.Column(db.String(10), nullable=False)
    purpose = db.Column(db.String(200), nullable=False, default="")

    partner = db.relationship("Partner")

    __table_args__ = (one_of("action", DISCLOSURE_ACTIONS, "action"),)


class AppendOnly(Exception):
    """Raised when anything tries to change or remove a disclosure entry."""


def _refuse(*_args):
    raise AppendOnly("Disclosure entries are append-only: they cannot be changed or deleted.")


event.listen(Disclosure, "before_update", _refuse)
event.listen(Disclosure, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state):
    """``session.execute(update(Disclosure)...)`` / ``delete(Disclosure)`` skip the mapper events
    above. A statement on the bare table (Core) is the erasure of a student's records
    (``services.privacy.erase_student``, ``services.consent.erase_disclosures_of``): FERPA keeps
    the log as long as the record it describes, and no longer."""
    if not (state.is_update or state.is_delete):
        return
    if any(mapper.class_ is Disclosure for mapper in state.all_mappers):
        _refuse()
