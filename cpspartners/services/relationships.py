"""The specialist's relationships: a log of contacts with partners and prospects, follow-ups
with an owner and a due date, and the outreach pipeline.

The pipeline's last steps go through the services that already guard a partner's life: at
"vetting records" the partner is created pending with a change request (``listings``), its
records are kept on the review page (``upkeep.save_vetting``), and "active partner" approves
that request only once ``vetting`` says the partner is vetted. Nothing here sets a status by hand.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Contact, FollowUp, Partner, Prospect, User
from cpspartners.services import listings, vetting
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from cpspartners.taxonomy import CONTACT_KINDS, PARTNER_ACTIVE, PARTNER_KINDS, PROSPECT_STAGES, codes, label

PIPELINE = ("first_contact", "conversation", "proposal", "agreement", "vetting", "active")
MAX_FOLLOW_UPS = 5


@dataclass(frozen=True)
class FollowUpDraft:
    task: str
    due_on: date
    owner_id: int


def _require_specialist(actor: User) -> None:
    if not policy.keeps_relationships(actor):
        raise NotAllowed(_l("Only partnership specialists keep the relationships log."))


def _staff_accounts(ids: Iterable[int], partner: Partner | None) -> list[User]:
    """The accounts named as attending: specialists, or the partner's own staff; anyone else is refused."""
    wanted = set(ids)
    if not wanted:
        return []
    allowed = policy.specialist_accounts()
    if partner is not None:
        allowed = allowed | policy.staff_of(partner.id)
    found = db.session.scalars(select(User).where(User.id.in_(wanted), allowed)).all()
    if len(found) != len(wanted):
        raise RuleBroken(_l("Choose attendees from the list."))
    return list(found)


def _owner(owner_id: int) -> User:
    owner = db.session.get(User, owner_id)
    if owner is None or not policy.keeps_relationships(owner):
        raise RuleBroken(_l("A follow-up's owner must be a partnership specialist."))
    return owner


@transaction
def log_contact(
    actor: User,
    organisation: Partner | Prospect,
    kind: str,
    held_on: date,
    staff_ids: Iterable[int] = (),
    partner_attendees: str = "",
    notes: str = "",
    follow_ups: Sequence[FollowUpDraft] = (),
) -> Contact:
    """Record one contact with who attended, what was said and what is owed by whom."""
    _require_specialist(actor)
    if kind not in codes(CONTACT_KINDS):
        raise RuleBroken(_l("Choose what kind of contact it was."))
    if len(follow_ups) > MAX_FOLLOW_UPS:
        raise RuleBroken(_l("Add at most 5 follow-ups at once."))
    partner = organisation if isinstance(organisation, Partner) else None
    contact = Contact(
        partner=partner,
        prospect=organisation if isinstance(organisation, Prospect) else None,
        kind=kind,
        held_on=held_on,
        partner_attendees=partner_attendees.strip()[:500],
        notes=notes.strip(),
        created_by_id=actor.id,
        staff=_staff_accounts(staff_ids, partner),
    )
    for draft in follow_ups:
        contact.follow_ups.append(
            FollowUp(task=draft.task.strip()[:300], due_on=draft.due_on, owner=_owner(draft.owner_id))
        )
    db.session.add(contact)
    return contact


@transaction
def complete_follow_up(actor: User, follow_up: FollowUp) -> FollowUp:
    """Mark a follow-up done (any specialist may: owners go on leave)."""
    _require_specialist(actor)
    if follow_up.done_at is not None:
        raise Conflict(_l("This follow-up is already done."))
    follow_up.done_at = utcnow()
    return follow_up


def open_follow_ups(owner: User) -> Select[tuple[FollowUp]]:
    """The owner's follow-ups not done yet, soonest due first (so the overdue lead)."""
    return (
        select(FollowUp)
        .where(FollowUp.owner_id == owner.id, FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on, FollowUp.id)
    )


def is_overdue(follow_up: FollowUp, today: date) -> bool:
    return follow_up.done_at is None and follow_up.due_on < today


def contacts_of(organisation: Partner | Prospect) -> Select[tuple[Contact]]:
    column = Contact.partner_id if isinstance(organisation, Partner) else Contact.prospect_id
    return select(Contact).where(column == organisation.id).order_by(Contact.held_on.desc(), Contact.id.desc())


# --- The outreach pipeline ------------------------------------------------------------------------


@transaction
def create_prospect(
    actor: User, name: str, kind: str, contact_name: str = "", contact_email: str = "", notes: str = ""
) -> Prospect:
    _require_specialist(actor)
    if not name.strip():
        raise RuleBroken(_l("Give the organization's name."))
    if kind not in codes(PARTNER_KINDS):
        raise RuleBroken(_l("Choose the kind of organization."))
    prospect = Prospect(
        name=name.strip(),
        kind=kind,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip().lower(),
        notes=notes.strip(),
        owner_id=actor.id,
    )
    db.session.add(prospect)
    return prospect


def next_stage(prospect: Prospect) -> str | None:
    """The step after the prospect's, or None at the end (or once closed)."""
    if prospect.stage not in PIPELINE or prospect.stage == PIPELINE[-1]:
        return None
    return PIPELINE[PIPELINE.index(prospect.stage) + 1]


@transaction
def advance(actor: User, prospect: Prospect, to_stage: str, today: date | None = None) -> Prospect:
    """Move the prospect one step on (or close it). Entering "vetting" opens the pending partner;
    entering "active" approves it, only when its vetting records are current."""
    _require_specialist(actor)
    db.session.refresh(prospect, with_for_update=True)  # two clicks at once move it once
    if to_stage == "closed":
        if prospect.stage in ("active", "closed"):
            raise Conflict(_l("This organization can no longer be closed."))
    elif to_stage != next_stage(prospect):
        raise Conflict(_l("The organization is not at the step before that one."))
    if to_stage == "vetting":
        _open_partner(actor, prospect)
    if to_stage == "active":
        _activate(actor, prospect, today)
    # The partner's own creation and approval are audited by ``listings``; a prospect is not a
    # subject of the audit log (it holds no student data and publishes nothing).
    prospect.stage = to_stage
    return prospect


def _open_partner(actor: User, prospect: Prospect) -> None:
    if prospect.partner_id is not None:
        return
    partner, _request = listings.create_partner(actor, {"name": prospect.name, "kind": prospect.kind})
    prospect.partner = partner


def _activate(actor: User, prospect: Prospect, today: date | None) -> None:
    partner = prospect.partner
    if partner is None:
        raise Conflict(_l("Open the partner record first."))
    gaps = vetting.blockers(partner, today)
    if gaps:
        missing = ", ".join(str(gap) for gap in gaps)
        raise RuleBroken(_l("The partner is not vetted yet: %(missing)s.", missing=missing))
    if partner.status == PARTNER_ACTIVE:
        return  # approved in the review queue already
    request = listings.open_request("partner", partner.id)
    if request is None:
        raise Conflict(_l("The partner has no open request to approve: see the review queue."))
    listings.approve(actor, request, today)


def pipeline_counts() -> dict[str, int]:
    """How many organisations are at each step."""
    rows = db.session.execute(select(Prospect.stage, func.count()).group_by(Prospect.stage)).tuples().all()
    counts = dict.fromkeys(codes(PROSPECT_STAGES), 0)
    counts.update({stage: int(n) for stage, n in rows})
    return counts


# --- CSV ------------------------------------------------------------------------------------------


def contacts_csv(contacts: Iterable[Contact]) -> tuple[list[str], list[list[Any]]]:
    header = ["date", "organisation", "partner_id", "prospect_id", "kind", "staff", "partner_attendees", "notes"]
    rows = [
        [
            c.held_on.isoformat(),
            c.organisation_name,
            c.partner_id or "",
            c.prospect_id or "",
            str(label(CONTACT_KINDS, c.kind)),
            "; ".join(u.email for u in c.staff),
            c.partner_attendees,
            c.notes,
        ]
        for c in contacts
    ]
    return header, rows


def follow_ups_csv(follow_ups: Iterable[FollowUp], today: date) -> tuple[list[str], list[list[Any]]]:
    header = ["due_on", "task", "owner", "organisation", "contact_date", "done", "overdue"]
    rows = [
        [
            f.due_on.isoformat(),
            f.task,
            f.owner.email if f.owner else "",
            f.contact.organisation_name,
            f.contact.held_on.isoformat(),
            "yes" if f.done_at else "no",
            "yes" if is_overdue(f, today) else "no",
        ]
        for f in follow_ups
    ]
    return header, rows


def prospects_csv(prospects: Iterable[Prospect]) -> tuple[list[str], list[list[Any]]]:
    header = ["name", "kind", "stage", "contact_name", "contact_email", "owner", "partner_id", "updated"]
    rows = [
        [
            p.name,
            p.kind,
            p.stage,
            p.contact_name,
            p.contact_email,
            p.owner.email if p.owner else "",
            p.partner_id or "",
            p.updated_at.date().isoformat(),
        ]
        for p in prospects
    ]
    return header, rows
