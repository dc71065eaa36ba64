"""Partner self-service and specialist review.

A partner never edits the live row. Its proposal becomes a ``ChangeRequest`` (JSON values);
the public keeps seeing the last approved values until a specialist approves, and approving
copies the proposal onto the live row in one transaction.
"""

import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import ChangeRequest, Opportunity, Partner, User
from cpspartners.models.opportunity import audience_needs_vetting
from cpspartners.services import vetting
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.audit import diff, jsonable, record
from cpspartners.services.errors import Conflict, NotFound, RuleBroken
from cpspartners.taxonomy import (
    OPPORTUNITY_ARCHIVED,
    OPPORTUNITY_DRAFT,
    OPPORTUNITY_PENDING_REVIEW,
    OPPORTUNITY_PUBLISHED,
    PARTNER_ACTIVE,
    PARTNER_INACTIVE,
    PARTNER_PENDING,
)
from cpspartners.text import slugify

PARTNER_FIELDS = (
    "name",
    "kind",
    "mission",
    "mission_es",
    "website",
    "contact_email",
    "contact_phone",
    "address",
    "community_area_number",
    "languages",
)
OPPORTUNITY_FIELDS = (
    "title",
    "title_es",
    "kind",
    "summary",
    "summary_es",
    "description",
    "description_es",
    "audience",
    "grade_min",
    "grade_max",
    "modality",
    "location_name",
    "address",
    "community_area_number",
    "starts_on",
    "ends_on",
    "deadline",
    "schedule",
    "capacity",
    "paid",
    "stipend",
    "transportation",
    "languages",
    "clusters",
    "tags",
)
DATE_FIELDS = ("starts_on", "ends_on", "deadline")


def snapshot(obj: Partner | Opportunity) -> dict[str, Any]:
    """The editable values of a live partner or opportunity, JSON-safe."""
    fields = PARTNER_FIELDS if isinstance(obj, Partner) else OPPORTUNITY_FIELDS
    return {field: jsonable(getattr(obj, field)) for field in fields}


def _apply(obj: Partner | Opportunity, values: Mapping[str, Any]) -> None:
    for field, value in values.items():
        if field in DATE_FIELDS and isinstance(value, str):
            value = date.fromisoformat(value)
        setattr(obj, field, value)


def open_request(subject_type: str, subject_id: int) -> ChangeRequest | None:
    return db.session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.subject_type == subject_type,
            ChangeRequest.subject_id == subject_id,
            ChangeRequest.status.in_(("pending", "changes_requested")),
        )
    ).first()


def _submit(
    user: User, subject_type: str, obj: Partner | Opportunity, values: Mapping[str, Any], is_new: bool = False
) -> ChangeRequest:
    values = {k: jsonable(v) for k, v in values.items()}
    request = open_request(subject_type, obj.id)
    if request is None:
        if not is_new and not diff(snapshot(obj), values):
            raise RuleBroken(_l("Nothing changed, so there is nothing to review."))
        request = ChangeRequest(subject_type=subject_type, subject_id=obj.id, is_new=is_new)
        db.session.add(request)
    request.proposed = values
    request.status = "pending"
    request.submitted_by_id = user.id
    request.submitted_at = utcnow()
    db.session.flush()
    record(user, "submitted", subject_type, obj.id, diff(snapshot(obj), values), note=f"change request {request.id}")
    return request


@transaction
def submit_partner_change(user: User, partner: Partner, values: Mapping[str, Any]) -> ChangeRequest:
    """Partner staff propose new profile values; the live profile stays as it is."""
    return _submit(user, "partner", partner, values, is_new=partner.status == PARTNER_PENDING)


@transaction
def create_opportunity(user: User, partner: Partner, values: Mapping[str, Any]) -> tuple[Opportunity, ChangeRequest]:
    """A new listing: saved as pending review (not public) with a change request to approve."""
    opp = Opportunity(
        partner=partner,
        status=OPPORTUNITY_PENDING_REVIEW,
        slug="%s-%s" % (slugify(values.get("title", ""), 100), secrets.token_hex(3)),
    )
    _apply(opp, values)
    db.session.add(opp)
    db.session.flush()
    request = _submit(user, "opportunity", opp, values, is_new=True)
    record(user, "created", "opportunity", opp.id, {"status": [None, OPPORTUNITY_PENDING_REVIEW]})
    return opp, request


@transaction
def submit_opportunity_change(user: User, opp: Opportunity, values: Mapping[str, Any]) -> ChangeRequest:
    if opp.status == OPPORTUNITY_ARCHIVED:
        raise RuleBroken(_l("This listing is archived. Ask your partnership specialist to restore it."))
    return _submit(
        user, "opportunity", opp, values, is_new=opp.status in (OPPORTUNITY_PENDING_REVIEW, OPPORTUNITY_DRAFT)
    )


def missing_vetting(partner: Partner, today: date | None = None) -> list[vetting.Gap]:
    """The vetting records a partner lacks or has let expire, with dates (``vetting.gaps``)."""
    return vetting.gaps(partner, today)


def publishing_blockers(opp: Opportunity, audience: str | None = None, today: date | None = None) -> list[vetting.Gap]:
    """Why a listing may not be published: one for students needs a vetted (or exempt) partner."""
    if not audience_needs_vetting(audience or opp.audience):
        return []
    return vetting.blockers(opp.partner, today)


def check_publishable(opp: Opportunity, today: date | None = None) -> None:
    """The publishing gate: refuse (``RuleBroken``) while ``publishing_blockers`` lists anything."""
    missing = publishing_blockers(opp, today=today)
    if missing:
        raise RuleBroken(
            _l(
                "This listing is for students, so it cannot be published until the partner has "
                "current records for: %(missing)s.",
                missing=", ".join(str(m) for m in missing),
            )
        )


@transaction
def approve(reviewer: User, request: ChangeRequest, today: date | None = None) -> Partner | Opportunity:
    """Apply the proposal to the live row (publishing a new listing), behind the publishing gate."""
    if not request.is_open:
        raise Conflict(_l("This request was already decided."))
    obj = subject_of(request)
    before = snapshot(obj)
    before_status = obj.status
    _apply(obj, request.proposed)
    if request.subject_type == "opportunity":
        if request.is_new or obj.status == OPPORTUNITY_PENDING_REVIEW:
            obj.status = OPPORTUNITY_PUBLISHED
        if obj.status == OPPORTUNITY_PUBLISHED:
            db.session.flush()
            check_publishable(obj, today)
    elif request.is_new or obj.status == PARTNER_PENDING:
        obj.status = PARTNER_ACTIVE
    vetting.refresh(obj if isinstance(obj, Partner) else obj.partner, today)
    _decide(reviewer, request, "approved", "")
    changes = diff(before, snapshot(obj))
    if before_status != obj.status:
        changes["status"] = [before_status, obj.status]
    record(reviewer, "approved", request.subject_type, obj.id, changes, note=f"change request {request.id}")
    return obj


@transaction
def request_changes(reviewer: User, request: ChangeRequest, comment: str) -> None:
    if not request.is_open:
        raise Conflict(_l("This request was already decided."))
    _decide(reviewer, request, "changes_requested", comment)
    record(reviewer, "requested_changes", request.subject_type, request.subject_id, note=comment)


@transaction
def reject(reviewer: User, request: ChangeRequest, comment: str) -> None:
    if not request.is_open:
        raise Conflict(_l("This request was already decided."))
    obj = subject_of(request)
    _decide(reviewer, request, "rejected", comment)
    changes = {}
    if request.is_new:
        new_status = OPPORTUNITY_DRAFT if request.subject_type == "opportunity" else PARTNER_INACTIVE
        changes["status"] = [obj.status, new_status]
        obj.status = new_status
    record(reviewer, "rejected", request.subject_type, obj.id, changes, note=comment)


def _decide(reviewer: User, request: ChangeRequest, status: str, comment: str) -> None:
    request.status = status
    request.reviewer_comment = comment or ""
    request.reviewed_by_id = reviewer.id
    request.reviewed_at = utcnow()


def subject_of(request: ChangeRequest) -> Partner | Opportunity:
    model = Partner if request.subject_type == "partner" else Opportunity
    obj = db.session.get(model, request.subject_id)
    if obj is None:
        raise NotFound(_l("The listing this request was about no longer exists."))
    return obj


def review_rows(request: ChangeRequest) -> list[tuple[str, Any, Any, bool]]:
    """(field, old, new, changed) for the side-by-side review page."""
    obj = subject_of(request)
    old = {} if request.is_new else snapshot(obj)
    fields = PARTNER_FIELDS if request.subject_type == "partner" else OPPORTUNITY_FIELDS
    rows = []
    for field in fields:
        if field not in request.proposed and field not in old:
            continue
        new = request.proposed.get(field, old.get(field))
        rows.append((field, old.get(field), new, old.get(field) != new))
    return rows


@transaction
def edit_directly(
    actor: User, obj: Partner | Opportunity, values: Mapping[str, Any], today: date | None = None
) -> dict[str, list[Any]]:
    """A specialist corrects a live listing or profile at once (audited, behind the gate).

    Refused while the partner has a change waiting, so a specialist never overwrites it unseen.
    """
    subject_type = "partner" if isinstance(obj, Partner) else "opportunity"
    if open_request(subject_type, obj.id) is not None:
        raise Conflict(_l("A change from the partner is waiting for review: decide it first."))
    changes = diff(snapshot(obj), values)
    if not changes:
        raise RuleBroken(_l("Nothing changed, so there is nothing to save."))
    _apply(obj, values)
    if subject_type == "opportunity" and obj.status == OPPORTUNITY_PUBLISHED:
        db.session.flush()
        check_publishable(obj, today)
    vetting.refresh(obj if isinstance(obj, Partner) else obj.partner, today)
    record(actor, "updated", subject_type, obj.id, changes, note="edited by a specialist")
    return changes
