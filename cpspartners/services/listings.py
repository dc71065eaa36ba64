"""Partner self-service and specialist review.

A partner never edits the live row. Its proposal becomes a ``ChangeRequest`` (JSON values);
the public keeps seeing the last approved values until a specialist approves, and approving
copies the fields the partner changed onto the live row in one transaction.

No lost update: a listing's or profile's content carries a ``version``; every content write
takes the next one in ``claim_version`` (one conditional UPDATE), so a form opened at an older
version is refused with ``Stale``, which lists what changed meanwhile. A subject has at most one
open request; a second submission revises it. A request remembers the values the partner saw
(``base``), so approving never reverts a correction made since.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, ChangeRequest, Opportunity, Partner, Place, User
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
    "place_id",
    "location_name",
    "address",
    "community_area_number",
    "starts_on",
    "ends_on",
    "deadline",
    "schedule",
    "schedule_es",
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
    if isinstance(obj, Opportunity) and values.get("place_id"):
        locate_at_place(obj, db.session.get(Place, values["place_id"]))


def locate_at_place(opp: Opportunity, place: Place | None) -> None:
    """A listing held at one of the city's learning places takes its name, address, area and
    point from the place (the partner picked it instead of typing them), so it is on the map
    and in "near my school" like any located listing."""
    if place is None:
        opp.place_id = None
        return
    opp.place_id = place.id
    opp.location_name = place.name
    opp.address = place.address
    opp.community_area_number = place.community_area_number
    opp.latitude, opp.longitude = place.latitude, place.longitude


def open_request(subject_type: str, subject_id: int) -> ChangeRequest | None:
    return db.session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.subject_type == subject_type,
            ChangeRequest.subject_id == subject_id,
            ChangeRequest.status.in_(("pending", "changes_requested")),
        )
    ).first()


def request_token(request: ChangeRequest | None) -> str:
    """Which revision of the open request a form showed ("" when none was open)."""
    if request is None:
        return ""
    return "%s:%s" % (request.id, request.submitted_at.isoformat() if request.submitted_at else "")


@dataclass(frozen=True)
class Seen:
    """What a form showed when it was opened; a part left ``None`` is not checked.

    ``version``: the subject's version; ``request``: the open request's ``request_token``;
    ``values``: the values shown (only used to say what changed since).
    """

    version: int | None = None
    request: str | None = None
    values: Mapping[str, Any] | None = None


class Stale(Conflict):
    """Someone saved since the form was opened: nothing was written.

    ``changes`` lists (field, value when the form was opened, value now); ``current`` holds the
    values now, and ``version`` and ``request`` what a new form should carry.
    """

    def __init__(
        self,
        message: LazyString,
        changes: list[tuple[str, Any, Any]],
        current: dict[str, Any],
        version: int,
        request: str,
    ) -> None:
        super().__init__(message)
        self.changes, self.current, self.version, self.request = changes, current, version, request


STALE_LIVE = _l(
    "Someone saved this since you opened the form, so your changes were not saved. What changed is "
    "listed below; your own changes are still in the form: check them and save again."
)
STALE_REQUEST = _l(
    "Someone from your organization changed the request waiting for review since you opened the form, "
    "so your changes were not sent. What changed is listed below; your own changes are still in the "
    "form: check them and send again."
)
STALE_DECIDED = _l(
    "The request you were editing was decided since you opened the form, so your changes were not sent. "
    "The form now starts from the saved values; your own changes are still in it: check them and send again."
)


def _stale(message: LazyString, seen: Seen, now: dict[str, Any], obj: Partner | Opportunity) -> Stale:
    then = seen.values or {}
    changes = [(f, then.get(f), value) for f, value in now.items() if f in then and jsonable(then[f]) != value]
    return Stale(message, changes, now, obj.version, request_token(open_request(_kind(obj), obj.id)))


def _kind(obj: Partner | Opportunity) -> str:
    return "partner" if isinstance(obj, Partner) else "opportunity"


def claim_version(obj: Partner | Opportunity, seen: int | None = None) -> bool:
    """Take the next content version of ``obj``; False when it is no longer ``seen``.

    One conditional UPDATE (``version = version + 1 WHERE version = :seen``): of two saves that
    saw the same version, the second waits for the first's row lock, then matches no row, so
    both can never pass. The row stays locked until commit, and ``obj`` is reloaded so what
    follows compares against the latest values. Only content writes call this: bookkeeping such
    as ``seats_taken`` must not make an open form stale.
    """
    db.session.flush()  # the reload below must not drop what the caller set on ``obj`` already
    table = type(obj).__table__
    stmt = update(table).where(table.c.id == obj.id)
    if seen is not None:
        stmt = stmt.where(table.c.version == seen)
    result = db.session.execute(stmt.values(version=table.c.version + 1))
    claimed = result.rowcount == 1  # type: ignore[attr-defined]  # a CursorResult: scoped_session's stub says Result
    db.session.refresh(obj)
    return claimed


def save_content(
    actor: User | None,
    obj: Partner | Opportunity,
    values: Mapping[str, Any],
    seen: Seen | None = None,
    today: date | None = None,
    note: object = "",
) -> dict[str, list[Any]]:
    """Write new content onto a live listing or profile: the version check, the publishing gate
    and the audit entry. Runs in the caller's transaction; returns {field: [old, new]}.

    ``seen.version`` is the version the person's form showed (a stale one raises ``Stale``);
    an import leaves it out, having compared the row's values itself.
    """
    seen = seen or Seen()
    if not claim_version(obj, seen.version):
        raise _stale(STALE_LIVE, seen, snapshot(obj), obj)
    changes = diff(snapshot(obj), values)
    if not changes:
        raise RuleBroken(_l("Nothing changed, so there is nothing to save."))
    _apply(obj, values)
    if isinstance(obj, Opportunity) and obj.status == OPPORTUNITY_PUBLISHED:
        db.session.flush()
        check_publishable(obj, today)
    vetting.refresh(obj if isinstance(obj, Partner) else obj.partner, today)
    record(actor, "updated", _kind(obj), obj.id, changes, note=note)
    return changes


def _submit(
    user: User,
    subject_type: str,
    obj: Partner | Opportunity,
    values: Mapping[str, Any],
    is_new: bool = False,
    seen: Seen | None = None,
) -> ChangeRequest:
    values = {k: jsonable(v) for k, v in values.items()}
    seen = seen or Seen()
    # Locks the subject's row (PostgreSQL): two submissions for one subject go one after the other,
    # so the second finds the request the first opened.
    db.session.refresh(obj, with_for_update=True)
    if seen.version is not None and obj.version != seen.version:
        raise _stale(STALE_LIVE, seen, snapshot(obj), obj)
    request = open_request(subject_type, obj.id)
    if seen.request is not None and request_token(request) != seen.request:
        if request is not None and request.proposed == values:
            return request  # the same proposal sent twice (a double click): already there
        message = STALE_REQUEST if request is not None else STALE_DECIDED
        raise _stale(message, seen, dict(request.proposed) if request else snapshot(obj), obj)
    revised = request is not None
    if request is None:
        if not is_new and not diff(snapshot(obj), values):
            raise RuleBroken(_l("Nothing changed, so there is nothing to review."))
        request = _open_request(subject_type, obj, is_new)
    request.proposed = values
    request.status = "pending"
    request.submitted_by_id = user.id
    request.submitted_at = utcnow()
    db.session.flush()
    action = "revised" if revised else "submitted"
    record(
        user,
        action,
        subject_type,
        obj.id,
        diff(snapshot(obj), values),
        note=_l("change request %(number)d", number=request.id),
    )
    return request


def _open_request(subject_type: str, obj: Partner | Opportunity, is_new: bool) -> ChangeRequest:
    """A new open request, remembering the values the partner saw (none for a new listing or
    partner: approving applies all of it). The unique index ``uq_change_request_open`` is the
    backstop should two submissions get past the row lock (SQLite has none)."""
    request = ChangeRequest(
        subject_type=subject_type,
        subject_id=obj.id,
        is_new=is_new,
        proposed={},
        base_version=obj.version,
        base=None if is_new else snapshot(obj),
    )
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(
            _l(
                "Someone else sent changes for this at the same moment, so yours were not sent. "
                "Open the form again to see theirs, then send yours."
            )
        ) from None
    return request


def revisions(request: ChangeRequest) -> int:
    """How many times the partner revised this request after first sending it."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "revised", AuditEntry.note == f"change request {request.id}")
        )
        or 0
    )


@transaction
def submit_partner_change(
    user: User, partner: Partner, values: Mapping[str, Any], seen: Seen | None = None
) -> ChangeRequest:
    """Partner staff propose new profile values; the live profile stays as it is.

    A second submission revises the open request; ``seen`` (from the form) refuses a stale one.
    """
    return _submit(user, "partner", partner, values, is_new=partner.status == PARTNER_PENDING, seen=seen)


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
def create_partner(user: User, values: Mapping[str, Any]) -> tuple[Partner, ChangeRequest]:
    """A new partner: saved as pending (not public) with a change request a specialist approves
    in the review queue, like a partner proposed at registration."""
    partner = Partner(
        status=PARTNER_PENDING, slug="%s-%s" % (slugify(values.get("name", ""), 90), secrets.token_hex(3))
    )
    _apply(partner, values)
    db.session.add(partner)
    db.session.flush()
    request = _submit(user, "partner", partner, values, is_new=True)
    record(user, "created", "partner", partner.id, {"status": [None, PARTNER_PENDING]})
    return partner, request


@transaction
def submit_opportunity_change(
    user: User, opp: Opportunity, values: Mapping[str, Any], seen: Seen | None = None
) -> ChangeRequest:
    """Like ``submit_partner_change``, for a listing."""
    if opp.status == OPPORTUNITY_ARCHIVED:
        raise RuleBroken(_l("This listing is archived. Ask your partnership specialist to restore it."))
    is_new = opp.status in (OPPORTUNITY_PENDING_REVIEW, OPPORTUNITY_DRAFT)
    return _submit(user, "opportunity", opp, values, is_new=is_new, seen=seen)


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


def merge_plan(request: ChangeRequest, live: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What approving would apply: the fields the partner changed from the values they saw
    (``base``), and among them the conflicts: fields someone else changed since, to another value.

    A request without a base (a new listing or partner, or one sent before bases were kept)
    applies all of its proposal.
    """
    if request.base is None:
        return dict(request.proposed), []
    base = request.base
    changed = {f: v for f, v in request.proposed.items() if jsonable(base.get(f)) != v}
    conflicts = [f for f, v in changed.items() if live.get(f) != jsonable(base.get(f)) and live.get(f) != v]
    return changed, conflicts


def conflicts(request: ChangeRequest) -> list[str]:
    """The fields the reviewer must decide: changed by the partner and, since, by someone else."""
    return merge_plan(request, snapshot(subject_of(request)))[1]


@transaction
def approve(
    reviewer: User, request: ChangeRequest, today: date | None = None, take: tuple[str, ...] | list[str] = ()
) -> Partner | Opportunity:
    """Apply the fields the partner changed to the live row (publishing a new listing), behind
    the publishing gate. A field someone else changed since the partner opened the form keeps
    its current value unless the reviewer named it in ``take``: never a silent revert.
    """
    if not request.is_open:
        raise Conflict(_l("This request was already decided."))
    obj = subject_of(request)
    claim_version(obj)  # locks the row and reloads it: the plan compares with the latest values
    db.session.refresh(request)  # a revision or decision that committed while we waited counts
    if not request.is_open:
        raise Conflict(_l("This request was already decided."))
    if obj.status in (OPPORTUNITY_ARCHIVED, PARTNER_INACTIVE):
        # Archived since the request was sent: approving must not bring it back as a side effect.
        raise Conflict(
            _l("This listing was archived after the request was sent. Restore it first, or reject the request.")
            if request.subject_type == "opportunity"
            else _l("This partner was archived after the request was sent. Restore it first, or reject the request.")
        )
    before = snapshot(obj)
    before_status = obj.status
    changed, conflicting = merge_plan(request, before)
    kept = [f for f in conflicting if f not in take]
    _apply(obj, {f: v for f, v in changed.items() if f not in kept})
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
    note = (
        _l("change request %(number)d; kept the current %(fields)s", number=request.id, fields=", ".join(kept))
        if kept
        else _l("change request %(number)d", number=request.id)
    )
    record(reviewer, "approved", request.subject_type, obj.id, changes, note=note)
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


class ReviewRow(NamedTuple):
    """One field on the review page: its value now, after approval, and when the partner opened
    the form (``then``); ``conflict``: someone else changed it since, so the reviewer decides."""

    field: str
    old: Any
    new: Any
    changed: bool
    then: Any = None
    conflict: bool = False


def review_rows(request: ChangeRequest) -> list[ReviewRow]:
    """The side-by-side rows of the review page."""
    obj = subject_of(request)
    old = {} if request.is_new else snapshot(obj)
    changed, conflicting = merge_plan(request, old)
    base = request.base or {}
    fields = PARTNER_FIELDS if request.subject_type == "partner" else OPPORTUNITY_FIELDS
    rows = []
    for field in fields:
        if field not in request.proposed and field not in old:
            continue
        new = (changed if request.base is not None else request.proposed).get(field, old.get(field))
        rows.append(ReviewRow(field, old.get(field), new, old.get(field) != new, base.get(field), field in conflicting))
    return rows


@transaction
def edit_directly(
    actor: User,
    obj: Partner | Opportunity,
    values: Mapping[str, Any],
    today: date | None = None,
    seen: Seen | None = None,
) -> dict[str, list[Any]]:
    """A specialist corrects a live listing or profile at once (audited, behind the gate).

    Refused while the partner has a change waiting, so a specialist never overwrites it unseen,
    and refused (``Stale``) when someone saved since the form at ``seen.version`` was opened.
    """
    if open_request(_kind(obj), obj.id) is not None:
        raise Conflict(_l("A change from the partner is waiting for review: decide it first."))
    return save_content(actor, obj, values, seen, today, note=_l("edited by a specialist"))
