"""Bringing another publisher's HSDS directory in for review: every organization and service of
a package (``hsds.incoming``) becomes a pending change request, never a live edit.

Matched by the publisher's ids: a record we made from one keeps it as ``external_id``
(``hsds:<id>``), and an id this site published itself (``hsds.ids``) names our own row. Then:

- a new organization is a pending partner with its request, as one proposed at registration;
- a new service is a listing waiting for review (``listings.create_opportunity``);
- a changed one is a change request (``listings.submit_*_change``), which a specialist approves;
- a record whose values already equal what is live or waiting is unchanged, so a second import of
  the same package (or of our own API's output) changes nothing.

``plan`` only reads (the dry run). ``apply`` plans again and writes nothing unless every record
passes, all in one transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.fieldrules import email_problem, phone_problem, url_problem
from cpspartners.hsds import ids, vocabulary
from cpspartners.hsds.incoming import Incoming, Package
from cpspartners.models import ChangeRequest, Opportunity, Partner, User
from cpspartners.services import listings
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.audit import jsonable, record
from cpspartners.services.errors import NotAllowed, RuleBroken
from cpspartners.services.imports import length
from cpspartners.taxonomy import OPPORTUNITY_ARCHIVED, PARTNER_PENDING
from cpspartners.text import slugify

EXTERNAL = "hsds:%s"
TEXT_LIMITS = {"mission": 4000, "description": 8000}
OPTIONAL_RULES = {"website": url_problem, "contact_email": email_problem, "contact_phone": phone_problem}


@dataclass
class Planned:
    """What one record of the package would do."""

    entity: str  # organization | service
    publisher_id: str
    name: str
    action: str = "unchanged"  # create | update | unchanged | reject
    changes: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    target: Any = None  # the matched partner or listing
    values: dict[str, Any] = field(default_factory=dict)
    parent: str = ""  # a service's organization publisher id


@dataclass
class Report:
    rows: list[Planned] = field(default_factory=list)

    def count(self, action: str, entity: str | None = None) -> int:
        return sum(1 for r in self.rows if r.action == action and entity in (None, r.entity))

    @property
    def ok(self) -> bool:
        return self.count("reject") == 0


def external_id(publisher_id: str) -> str:
    return EXTERNAL % publisher_id


def _match(model: type[Partner] | type[Opportunity], entity: str, publisher_id: str) -> Any:
    found = db.session.scalar(select(model).where(model.external_id == external_id(publisher_id)))
    if found is not None:
        return found
    row_id = ids.lookup(entity, publisher_id)
    if row_id is None:
        return None
    obj = db.session.get(model, row_id)
    return obj if obj is not None and ids.make(entity, obj.slug) == ids.parse(publisher_id) else None


def _effective(obj: Partner | Opportunity) -> tuple[dict[str, Any], ChangeRequest | None]:
    """The values as they stand: live, with what already waits for review laid over them."""
    values = listings.snapshot(obj)
    request = listings.open_request("partner" if isinstance(obj, Partner) else "opportunity", obj.id)
    if request is not None:
        values.update(request.proposed)
    return values, request


def _checked(entity: str, incoming: Incoming, planned: Planned) -> dict[str, Any]:
    """The values we would store: within the columns' limits; a bad optional value left out."""
    model = Partner if entity == "organization" else Opportunity
    fields = listings.PARTNER_FIELDS if entity == "organization" else listings.OPPORTUNITY_FIELDS
    values = {k: v for k, v in incoming.values.items() if k in fields or k == "grade_bands"}
    for name, rule in OPTIONAL_RULES.items():
        if name in values and rule(values[name]):
            planned.notes.append("%s %r is not usable: left out" % (name, values.pop(name)))
    for name, value in values.items():
        limit = TEXT_LIMITS.get(name) or (
            length(model, name) if isinstance(value, str) and name in model.__table__.c else None
        )
        if isinstance(value, str) and limit and len(value) > limit:
            planned.reasons.append("%s is longer than %d characters" % (name, limit))
    return values


def _grades(values: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Grade bands to a grade range, unless the range we hold already lies in exactly those bands."""
    bands = values.pop("grade_bands", None)
    if not bands:
        return
    if current is not None:
        held = [
            n for n, (lo, hi) in vocabulary.BANDS.items() if current["grade_min"] <= hi and current["grade_max"] >= lo
        ]
        if held == [n for n in vocabulary.BANDS if n in bands]:
            return
    values["grade_min"] = min(vocabulary.BANDS[b][0] for b in bands)
    values["grade_max"] = max(vocabulary.BANDS[b][1] for b in bands)


def _compare(planned: Planned, obj: Any, values: dict[str, Any], waiting_ok: bool = True) -> None:
    current, request = _effective(obj)
    planned.changes = {k: [current.get(k), jsonable(v)] for k, v in values.items() if current.get(k) != jsonable(v)}
    planned.action = "update" if planned.changes else "unchanged"
    if planned.changes and request is not None and not waiting_ok:
        planned.reasons.append("a change from the partner is waiting for review: decide it first")


def _plan_one(entity: str, incoming: Incoming, known: set[str]) -> Planned:
    name = incoming.values.get("name" if entity == "organization" else "title", "")
    planned = Planned(entity, incoming.publisher_id, name, notes=list(incoming.notes), parent=incoming.organization_id)
    if not incoming.publisher_id or len(external_id(incoming.publisher_id)) > length(Partner, "external_id"):
        planned.action, planned.reasons = "reject", ["no usable id (at most 75 characters)"]
        return planned
    values = _checked(entity, incoming, planned)
    model = Partner if entity == "organization" else Opportunity
    obj = planned.target = _match(model, entity, incoming.publisher_id)
    _grades(values, listings.snapshot(obj) if obj is not None else None)
    planned.values = values
    if obj is None:
        planned.action, planned.changes = "create", {k: [None, jsonable(v)] for k, v in values.items()}
        if not name:
            planned.reasons.append("a new record needs a name")
    elif isinstance(obj, Opportunity) and obj.status == OPPORTUNITY_ARCHIVED:
        _compare(planned, obj, values)
        if planned.changes:
            planned.reasons.append("the listing is archived here: a specialist restores it first")
    else:
        _compare(planned, obj, values, waiting_ok=_waiting_is_ours(obj))
    if entity == "service" and planned.parent not in known and _match(Partner, "organization", planned.parent) is None:
        planned.reasons.append("its organization %r is neither in the package nor here" % planned.parent)
    if planned.reasons:
        planned.action = "reject"
    return planned


def _waiting_is_ours(obj: Partner | Opportunity) -> bool:
    """No request waits, or a specialist's does (an earlier import, ours to revise); one from
    partner staff is theirs, and a specialist decides it first."""
    request = listings.open_request("partner" if isinstance(obj, Partner) else "opportunity", obj.id)
    return request is None or (request.submitted_by is not None and policy.can_review(request.submitted_by))


def plan(package: Package) -> Report:
    """The dry run: what each organization and service would do. Writes nothing."""
    report = Report()
    known = {o.publisher_id for o in package.organizations}
    seen: set[tuple[str, str]] = set()
    for entity, records in (("organization", package.organizations), ("service", package.services)):
        for incoming in records:
            key = (entity, incoming.publisher_id)
            if key in seen:
                continue  # the same record twice in one package (nested and listed): once is enough
            seen.add(key)
            report.rows.append(_plan_one(entity, incoming, known))
    return report


@transaction
def apply(actor: User, package: Package) -> Report:
    """Write the package as change requests for review, all or nothing; returns what it did."""
    if not policy.can_review(actor):
        raise NotAllowed(_l("Only a partnership specialist may import a directory."))
    report = plan(package)
    if not report.ok:
        raise RuleBroken(_l("The package has rejected records, so nothing was written."))
    partners: dict[str, Partner] = {}
    for row in report.rows:
        if row.entity == "organization":
            partners[row.publisher_id] = _write_partner(actor, row)
    for row in report.rows:
        if row.entity == "service":
            parent = partners.get(row.parent) or _match(Partner, "organization", row.parent)
            _write_listing(actor, row, parent)
    return report


def _write_partner(actor: User, row: Planned) -> Partner:
    if row.action == "create":
        partner = Partner(
            kind="nonprofit",
            status=PARTNER_PENDING,
            slug="%s-%s" % (slugify(row.name, 90), ids.make("slug", row.publisher_id)[:6]),
            external_id=external_id(row.publisher_id),
            **row.values,
        )
        db.session.add(partner)
        db.session.flush()
        db.session.add(
            ChangeRequest(
                subject_type="partner",
                subject_id=partner.id,
                is_new=True,
                proposed=listings.snapshot(partner),
                submitted_by_id=actor.id,
                submitted_at=utcnow(),
            )
        )
        record(
            actor,
            "created",
            "partner",
            partner.id,
            row.changes,
            note=_l("imported from an HSDS package; waiting for review"),
        )
        return partner
    if row.action == "update":
        current, _request = _effective(row.target)
        listings.submit_partner_change(actor, row.target, current | jsonable_values(row.values))
    return row.target


def _write_listing(actor: User, row: Planned, partner: Partner) -> None:
    if row.action == "create":
        opp, _request = listings.create_opportunity(actor, partner, row.values)
        opp.external_id = external_id(row.publisher_id)
    elif row.action == "update":
        current, _request = _effective(row.target)
        listings.submit_opportunity_change(actor, row.target, current | jsonable_values(row.values))


def jsonable_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in values.items()}


def summary(report: Report, entities: Iterable[str] = ("organization", "service")) -> str:
    """One line of counts per entity: "services: 2 to create, 0 to update, ..."."""
    parts = []
    for entity in entities:
        create, update, unchanged, reject = (
            report.count(a, entity) for a in ("create", "update", "unchanged", "reject")
        )
        parts.append(
            "%ss: %d to create, %d to update, %d unchanged, %d rejected" % (entity, create, update, unchanged, reject)
        )
    return "; ".join(parts)
