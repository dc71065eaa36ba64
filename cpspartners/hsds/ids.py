"""Stable HSDS ids: UUIDs derived from natural keys, and the way back from an id to a row.

An id is ``uuid5(NAMESPACE, "<entity>:<natural key>")``. The natural keys are the ones that
survive a re-seed and a search-index rebuild: a partner's and a listing's slug (unique, set once
when the row is made), a school's CPS id, a taxonomy's name and a term's code. So no column holds
the ids and no migration was needed; a listing keeps its id as long as it keeps its slug.

Going back (``/services/{id}``) needs a map from id to row. ``Resolver`` keeps one per app and
entity (ids of every row, public or not: the public rule is applied by the caller on the row it
loads), read on first use; a lookup that misses reads only the rows edited or added since.
"""

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, opportunity_school

# Fixed for ever: every id this site publishes hangs from it.
NAMESPACE = uuid.UUID("6f0f3c2e-6a39-5c7e-9a2b-2f8f1c3d0a17")
EXTENSION = "cpspartners_hsds_ids"


def make(entity: str, key: object) -> str:
    """The id of ``entity`` with natural key ``key``, as HSDS writes it (lower-case, hyphens)."""
    return str(uuid.uuid5(NAMESPACE, "%s:%s" % (entity, key)))


def service(slug: str) -> str:
    return make("service", slug)


def organization(slug: str) -> str:
    return make("organization", slug)


def school_location(school_id: int) -> str:
    return make("location", "school:%d" % school_id)


def place_location(opportunity_slug: str) -> str:
    """The listing's own place (its address), when it is not held at a school."""
    return make("location", "place:%s" % opportunity_slug)


def partner_location(partner_slug: str) -> str:
    return make("location", "partner:%s" % partner_slug)


def service_at_location(opportunity_slug: str, location_id: str) -> str:
    return make("service_at_location", "%s:%s" % (opportunity_slug, location_id))


def child(entity: str, parent_id: str, key: object = "") -> str:
    """Ids of the small records inside one answer (a language, a phone, an attribute)."""
    return make(entity, "%s:%s" % (parent_id, key))


def parse(value: str) -> str | None:
    """``value`` as a canonical UUID string, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


@dataclass
class _Map:
    """One entity's ids, and how far through the table they were read."""

    by_id: dict[str, object] = field(default_factory=dict)
    seen_until: datetime | None = None  # the latest ``updated_at`` read
    last_id: int = 0  # the highest row id read


class Resolver:
    """id -> row for partners, listings and listing-at-place pairs. Each entity's map is read
    when first asked for, and on a miss catches up with the rows edited or added since it was
    last read (one query; slugs never change, so nothing read goes wrong, and a row gone or no
    longer public is refused by the caller's query)."""

    def __init__(self) -> None:
        self._maps: dict[str, _Map] = {}
        self._lock = threading.Lock()

    def find(self, entity: str, hsds_id: str) -> object | None:
        current = self._maps.get(entity)
        found = current.by_id.get(hsds_id) if current is not None else None
        if found is None:
            with self._lock:
                found = self._catch_up(entity).by_id.get(hsds_id)
        return found

    def _catch_up(self, entity: str) -> _Map:
        current = self._maps.setdefault(entity, _Map())
        model = Partner if entity == "organization" else Opportunity
        stmt = select(model.id, model.slug, model.updated_at)
        if entity == "service_at_location":
            stmt = stmt.add_columns(Opportunity.modality, Opportunity.address)
        if current.seen_until is not None:
            stmt = stmt.where(or_(model.updated_at >= current.seen_until, model.id > current.last_id))
        rows = db.session.execute(stmt).all()
        for row in rows:
            current.seen_until = max(current.seen_until or row.updated_at, row.updated_at)
            current.last_id = max(current.last_id, row.id)
        if entity == "service_at_location":
            self._places(current, rows)
        else:
            current.by_id.update((make(entity, row.slug), row.id) for row in rows)
        return current

    @staticmethod
    def _places(current: _Map, rows: list) -> None:
        slugs = {row.id: row.slug for row in rows}
        for row in rows:
            if row.modality != "virtual" and row.address:
                current.by_id[service_at_location(row.slug, place_location(row.slug))] = (row.id, None)
        links = select(opportunity_school.c.opportunity_id, opportunity_school.c.school_id)
        if len(slugs) <= 900:  # a catch-up: only the listings read now (all of them the first time)
            links = links.where(opportunity_school.c.opportunity_id.in_(list(slugs)))
        for opp_id, school_id in db.session.execute(links):
            if opp_id in slugs:
                current.by_id[service_at_location(slugs[opp_id], school_location(school_id))] = (opp_id, school_id)


def resolver() -> Resolver:
    return current_app.extensions.setdefault(EXTENSION, Resolver())


def lookup(entity: str, hsds_id: str) -> object | None:
    """What ``hsds_id`` names (public or not): a partner's or a listing's row id, or for a
    service at a location (listing row id, school id or None for its own place); else None."""
    canonical = parse(hsds_id)
    return resolver().find(entity, canonical) if canonical else None
