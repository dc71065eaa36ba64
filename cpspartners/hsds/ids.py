"""Stable HSDS ids: UUIDs derived from natural keys, and the way back from an id to a row.

An id is ``uuid5(NAMESPACE, "<entity>:<natural key>")``. The natural keys are the ones that
survive a re-seed and a search-index rebuild: a partner's and a listing's slug (unique, set once
when the row is made), a school's CPS id, a taxonomy's name and a term's code. So no column holds
the ids and no migration was needed; a listing keeps its id as long as it keeps its slug.

Going back (``/services/{id}``) needs a map from id to row. ``Resolver`` keeps one per app for
partners and listings (ids of every row, public or not: the public rule is applied by the caller
on the row it loads), built on first use and built again only when a lookup misses and the
tables' size changed, so an unknown id costs one small query, not a scan.
"""

import threading
import uuid
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

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
class _Maps:
    signature: tuple = ()
    by_id: dict[str, dict[str, object]] = field(default_factory=dict)


class Resolver:
    """id -> row for partners, listings and listing-at-place pairs; built again when a lookup
    misses and the tables changed since (their sizes, last ids, last edits)."""

    def __init__(self) -> None:
        self._maps = _Maps()
        self._lock = threading.Lock()

    def find(self, entity: str, hsds_id: str) -> object | None:
        found = self._maps.by_id.get(entity, {}).get(hsds_id)
        if found is None and self._refresh():
            found = self._maps.by_id.get(entity, {}).get(hsds_id)
        return found

    def _signature(self) -> tuple:
        counts = [
            tuple(db.session.execute(select(func.count(), func.max(model.id), func.max(model.updated_at))).one())
            for model in (Partner, Opportunity)
        ]
        links = db.session.scalar(select(func.count()).select_from(opportunity_school))
        return (*counts, links)

    def _refresh(self) -> bool:
        """Build the maps again if the tables changed since; True if they were built."""
        signature = self._signature()
        if signature == self._maps.signature:
            return False
        maps = _Maps(signature=signature)
        maps.by_id["organization"] = {
            organization(slug): pk for pk, slug in db.session.execute(select(Partner.id, Partner.slug))
        }
        places: dict[str, object] = {}
        slugs = {}
        rows = db.session.execute(select(Opportunity.id, Opportunity.slug, Opportunity.modality, Opportunity.address))
        for pk, slug, modality, address in rows:
            slugs[pk] = slug
            if modality != "virtual" and address:
                places[service_at_location(slug, place_location(slug))] = (pk, None)
        maps.by_id["service"] = {service(slug): pk for pk, slug in slugs.items()}
        for pk, school_id in db.session.execute(
            select(opportunity_school.c.opportunity_id, opportunity_school.c.school_id)
        ):
            places[service_at_location(slugs[pk], school_location(school_id))] = (pk, school_id)
        maps.by_id["service_at_location"] = places
        with self._lock:
            self._maps = maps
        return True


def resolver() -> Resolver:
    return current_app.extensions.setdefault(EXTENSION, Resolver())


def lookup(entity: str, hsds_id: str) -> object | None:
    """What ``hsds_id`` names (public or not): a partner's or a listing's row id, or for a
    service at a location (listing row id, school id or None for its own place); else None."""
    canonical = parse(hsds_id)
    return resolver().find(entity, canonical) if canonical else None
