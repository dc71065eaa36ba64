"""What every specialist list looks like as a spreadsheet: a header and rows of plain values.

Partners and opportunities are exported in the import's own shape, so a sheet exported,
edited and imported again updates the same records (matched on ``external_id``).
"""

from collections.abc import Iterator
from typing import Any, TypeAlias

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Feedback, Opportunity, Partner
from cpspartners.models.outcomes import RUBRIC
from cpspartners.services import audit
from cpspartners.services.imports import OPPORTUNITY_COLUMNS, PARTNER_COLUMNS

BATCH = 1000
# A header and its rows, made one by one as the download is written.
Sheet: TypeAlias = tuple[list[str], Iterator[list[Any]]]


def _text(value: Any) -> Any:
    return "" if value is None else value


def partner_row(partner: Partner) -> list[Any]:
    values = {
        "external_id": _text(partner.external_id),
        "name": partner.name,
        "kind": partner.kind,
        "mission": partner.mission,
        "mission_es": partner.mission_es,
        "website": partner.website,
        "contact_email": partner.contact_email,
        "contact_phone": partner.contact_phone,
        "address": partner.address,
        "community_area": _text(partner.community_area_number),
        "languages": partner.languages,
        "status": partner.status,
    }
    return [values[column.name] for column in PARTNER_COLUMNS]


OPPORTUNITY_DERIVED = (
    "partner_external_id",
    "clusters",
    "tags",
    "school_ids",
    "community_area",
    "paid",
    "transportation",
)


def opportunity_row(opp: Opportunity) -> list[Any]:
    # Plain columns straight from the row; the rest derived (``community_area`` is also the name of
    # a relationship, which getattr would load once per listing).
    values = {
        column.name: _text(getattr(opp, column.name))
        for column in OPPORTUNITY_COLUMNS
        if column.name not in OPPORTUNITY_DERIVED
    }
    values.update(
        {
            "partner_external_id": _text(opp.partner.external_id),
            "clusters": ",".join(sorted(opp.clusters)),
            "tags": ",".join(sorted(opp.tags)),
            "school_ids": ",".join(str(s.id) for s in sorted(opp.schools, key=lambda s: s.id)),
            "community_area": _text(opp.community_area_number),
            "paid": "yes" if opp.paid else "no",
            "transportation": "yes" if opp.transportation else "no",
        }
    )
    return [values[column.name] for column in OPPORTUNITY_COLUMNS]


def partners_csv(stmt: Select[tuple[Partner]] | None = None) -> Sheet:
    stmt = stmt if stmt is not None else select(Partner).order_by(Partner.name, Partner.id)
    return [c.name for c in PARTNER_COLUMNS], (
        partner_row(p) for p in db.session.scalars(stmt.execution_options(yield_per=BATCH))
    )


def opportunities_csv(stmt: Select[tuple[Opportunity]] | None = None) -> Sheet:
    stmt = stmt if stmt is not None else select(Opportunity).order_by(Opportunity.id)
    # Four queries per batch of 1,000 instead of four per listing.
    stmt = stmt.options(
        joinedload(Opportunity.partner),
        selectinload(Opportunity.schools),
        selectinload(Opportunity.cluster_rows),
        selectinload(Opportunity.tag_rows),
    )
    return [c.name for c in OPPORTUNITY_COLUMNS], (
        opportunity_row(o) for o in db.session.scalars(stmt.execution_options(yield_per=BATCH))
    )


def needs_verification_csv(stmt: Select[tuple[Opportunity]]) -> Sheet:
    header = ["opportunity_id", "title", "partner", "last_verified_at"]
    return header, (
        [o.id, o.title, o.partner.name, o.last_verified_at.isoformat() if o.last_verified_at else ""]
        for o in db.session.scalars(stmt)
    )


def audit_csv(stmt: Select[tuple[AuditEntry]]) -> Sheet:
    header = ["at", "who", "action", "record_type", "record_id", "changes", "note"]

    def changes(entry: AuditEntry) -> str:
        return "; ".join("%s: %s -> %s" % (name, pair[0], pair[1]) for name, pair in (entry.changes or {}).items())

    return header, (
        [e.at.isoformat(), audit.shown_actor(e), e.action, e.subject_type, e.subject_id, changes(e), e.note]
        for e in db.session.scalars(stmt)
    )


def feedback_csv(stmt: Select[tuple[Feedback]]) -> Sheet:
    """Responses for specialists. The respondent is identified by role and record number only."""
    header = ["response_id", "date", "partner", "opportunity", "respondent_role", *RUBRIC, "comment"]
    rows = (
        [
            f.id,
            f.created_at.date().isoformat(),
            f.partner.name if f.partner else "",
            f.opportunity.title if f.opportunity else "",
            f.respondent_role,
            *(getattr(f, item) for item in RUBRIC),
            f.comment,
        ]
        for f in db.session.scalars(stmt)
    )
    return header, rows
