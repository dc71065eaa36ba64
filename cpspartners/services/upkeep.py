"""Specialist upkeep: verify, archive and restore, merge duplicates, vetting records."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from cpspartners.extensions import db
from cpspartners.models import ChangeRequest, Opportunity, Partner, User, Verification, VettingRecord
from cpspartners.services import vetting
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.audit import jsonable, record
from cpspartners.services.errors import Conflict, RuleBroken
from cpspartners.services.listings import check_publishable
from cpspartners.taxonomy import OPPORTUNITY_ARCHIVED, OPPORTUNITY_PUBLISHED, PARTNER_ACTIVE, PARTNER_INACTIVE

VETTING_FIELDS = ("kind", "subject", "issued_on", "expires_on", "note")


@transaction
def verify(actor: User, obj: Partner | Opportunity, method: str, note: str = "") -> None:
    """Record who confirmed a listing, how and when. ``updated_at`` is left alone on purpose:
    it says when the listing last changed, not when someone last checked it."""
    now = utcnow()
    kind = "partner" if isinstance(obj, Partner) else "opportunity"
    db.session.add(
        Verification(
            partner_id=obj.id if kind == "partner" else None,
            opportunity_id=obj.id if kind == "opportunity" else None,
            verified_by_id=actor.id,
            method=method,
            note=note or "",
            verified_at=now,
        )
    )
    if kind == "opportunity":
        kept = obj.updated_at
        obj.last_verified_at = now
        obj.updated_at = kept
        flag_modified(obj, "updated_at")  # send the old value so the onupdate default does not fire
    record(actor, "verified", kind, obj.id, {"method": [None, method]}, note=note)


def needs_verification(days: int, today_utc: datetime | None = None) -> Select[tuple[Opportunity]]:
    """Public listings not verified in ``days`` days (never verified first, then oldest)."""
    cutoff = (today_utc or utcnow()) - timedelta(days=days)
    return (
        select(Opportunity)
        .where(
            Opportunity.is_public,
            or_(Opportunity.last_verified_at.is_(None), Opportunity.last_verified_at < cutoff),
        )
        .order_by(Opportunity.last_verified_at.is_not(None), Opportunity.last_verified_at, Opportunity.id)
        .options(selectinload(Opportunity.partner))  # each row names its partner: one query a page
    )


@transaction
def archive_opportunity(actor: User, opp: Opportunity) -> None:
    if opp.status == OPPORTUNITY_ARCHIVED:
        raise Conflict(_l("This listing is already archived."))
    record(actor, OPPORTUNITY_ARCHIVED, "opportunity", opp.id, {"status": [opp.status, OPPORTUNITY_ARCHIVED]})
    opp.status = OPPORTUNITY_ARCHIVED


@transaction
def restore_opportunity(actor: User, opp: Opportunity) -> None:
    """Back to published, through the same publishing gate as an approval."""
    if opp.status != OPPORTUNITY_ARCHIVED:
        raise Conflict(_l("Only archived listings can be restored."))
    vetting.refresh(opp.partner)
    check_publishable(opp)
    record(actor, "restored", "opportunity", opp.id, {"status": [OPPORTUNITY_ARCHIVED, OPPORTUNITY_PUBLISHED]})
    opp.status = OPPORTUNITY_PUBLISHED


@transaction
def archive_partner(actor: User, partner: Partner) -> None:
    if partner.status == PARTNER_INACTIVE:
        raise Conflict(_l("This partner is already archived."))
    record(actor, OPPORTUNITY_ARCHIVED, "partner", partner.id, {"status": [partner.status, PARTNER_INACTIVE]})
    partner.status = PARTNER_INACTIVE


@transaction
def restore_partner(actor: User, partner: Partner) -> None:
    if partner.status != PARTNER_INACTIVE:
        raise Conflict(_l("Only archived partners can be restored."))
    record(actor, "restored", "partner", partner.id, {"status": [PARTNER_INACTIVE, PARTNER_ACTIVE]})
    partner.status = PARTNER_ACTIVE
    vetting.refresh(partner)


@transaction
def merge_partners(actor: User, keep: Partner, duplicate: Partner) -> dict[str, list[int]]:
    """Move the duplicate's opportunities, records and staff to ``keep``; archive the duplicate.

    Row by row through the session (not a bulk UPDATE) so every change fires session events.
    """
    if keep.id == duplicate.id:
        raise RuleBroken(_l("Choose two different partners to merge."))
    moved = _move_to(keep, duplicate)
    _withdraw_open_requests(duplicate)
    before = duplicate.status
    duplicate.status = PARTNER_INACTIVE
    merged = {"merged_from": [None, duplicate.id], **{k: [None, v] for k, v in moved.items() if v}}
    record(actor, "merged", "partner", keep.id, merged)
    into = {"status": [before, PARTNER_INACTIVE], "merged_into": [None, keep.id]}
    record(actor, "merged_into", "partner", duplicate.id, into)
    # The records moved: the keeper may be vetted now, the duplicate no longer is.
    vetting.refresh(keep)
    vetting.refresh(duplicate)
    for opp_id in moved["opportunities"]:
        record(actor, "moved", "opportunity", opp_id, {"partner_id": [duplicate.id, keep.id]})
    return moved


def _move_to(keep: Partner, duplicate: Partner) -> dict[str, list[int]]:
    """Give the duplicate's listings, records, staff and areas to ``keep``; the ids of what moved."""
    moved: dict[str, list[int]] = {"opportunities": [], "vetting_records": [], "staff": []}
    for opp in duplicate.opportunities.all():
        opp.partner = keep
        moved["opportunities"].append(opp.id)
    for vetting_record in list(duplicate.vetting_records):
        vetting_record.partner = keep
        moved["vetting_records"].append(vetting_record.id)
    for verification in list(duplicate.verifications):
        verification.partner = keep
    for user in db.session.scalars(select(User).where(User.partner_id == duplicate.id)):
        user.partner_id = keep.id
        moved["staff"].append(user.id)
    for area in duplicate.areas_served:
        if area not in keep.areas_served:
            keep.areas_served.append(area)
    return moved


def _withdraw_open_requests(partner: Partner) -> None:
    for request in db.session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.subject_type == "partner",
            ChangeRequest.subject_id == partner.id,
            ChangeRequest.status.in_(("pending", "changes_requested")),
        )
    ):
        request.status = "withdrawn"
        request.reviewer_comment = "merged"


@transaction
def save_vetting(
    actor: User, partner: Partner, values: Mapping[str, Any], record_: VettingRecord | None = None
) -> VettingRecord:
    """Create (``record_`` None) or update a vetting record."""
    if values["expires_on"] < values["issued_on"]:
        raise RuleBroken(_l("The expiry date must be on or after the issue date."))
    creating = record_ is None
    if record_ is None:
        record_ = VettingRecord(partner=partner)
        db.session.add(record_)
    old = {f: jsonable(getattr(record_, f)) for f in VETTING_FIELDS} if not creating else {}
    for field in VETTING_FIELDS:
        setattr(record_, field, values[field])
    db.session.flush()
    new = {f: jsonable(getattr(record_, f)) for f in VETTING_FIELDS}
    changes = {f: [old.get(f), new[f]] for f in VETTING_FIELDS if old.get(f) != new[f]}
    record(
        actor,
        "created" if creating else "updated",
        "vetting_record",
        record_.id,
        changes,
        note=_l("partner %(number)d", number=partner.id),
    )
    vetting.refresh(partner)
    return record_


@transaction
def save_vetting_records(actor: User, partner: Partner, records: Sequence[Mapping[str, Any]]) -> list[VettingRecord]:
    """Several new records at once (the review page's "add the missing records"): all saved, or
    none when one is refused, so the review never shows half of what was typed as saved."""
    return [save_vetting(actor, partner, values) for values in records]


@transaction
def delete_vetting(actor: User, record_: VettingRecord) -> None:
    old = {f: jsonable(getattr(record_, f)) for f in VETTING_FIELDS}
    record(
        actor,
        "deleted",
        "vetting_record",
        record_.id,
        {f: [v, None] for f, v in old.items()},
        note=_l("partner %(number)d", number=record_.partner_id),
    )
    partner = record_.partner
    partner.vetting_records.remove(record_)  # delete-orphan: the row goes at the flush
    vetting.refresh(partner)
