"""Partner staff record a credential a student earned in one of their completed applications.

The credential starts "claimed"; a partnership specialist confirms or rejects it after looking
at the evidence (``outcomes.confirm_credential``). Recording it is logged as staff access to a
student record.
"""

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Application, Credential, Opportunity, User
from cpspartners.models.outcomes import CREDENTIAL_KINDS
from cpspartners.services._base import transaction
from cpspartners.services.audit import record
from cpspartners.services.errors import NotAllowed, RuleBroken


def completed_applications(staff: User) -> Select[tuple[Application]]:
    """The completed applications to this staff member's partner's listings, newest first."""
    return (
        select(Application)
        .join(Opportunity)
        .where(Opportunity.partner_id == staff.partner_id, Application.state == "completed")
        .order_by(Application.completed_on.desc(), Application.id.desc())
    )


@transaction
def record_credential(
    staff: User,
    application: Application | None,
    kind: str,
    name: str,
    credits: Decimal | None,
    earned_on: date,
    evidence: str,
) -> Credential:
    if application is None or not policy.can_record_credential(staff, application):
        raise NotAllowed(_l("You can record credentials only for your own completed applications."))
    if application.state != "completed":
        raise RuleBroken(_l("The application must be completed first."))
    if kind not in CREDENTIAL_KINDS:
        raise RuleBroken(_l("Choose a kind of credential."))
    credential = Credential(
        student_id=application.student_id,
        opportunity_id=application.opportunity_id,
        kind=kind,
        name=name.strip(),
        credits=credits,
        earned_on=earned_on,
        evidence=evidence.strip(),
    )
    db.session.add(credential)
    db.session.flush()
    changes = {"credential": [None, credential.name]}
    record(staff, "credential_claimed", "student_record", application.student_id, changes)
    return credential


def claimed() -> Select[tuple[Credential]]:
    """Credentials waiting for a specialist, oldest first."""
    return select(Credential).where(Credential.status == "claimed").order_by(Credential.created_at, Credential.id)
