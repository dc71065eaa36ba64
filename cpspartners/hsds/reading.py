"""What the API lists and finds, built on the shared read side (``models.queries``): every
statement here starts from ``public_opportunities()`` or ``public_partners()``, so the API shows
exactly what the directory shows. Filters combine with AND; pages come in the HSDS page shape.
"""

import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Integer, Select, bindparam, event, false, func, literal, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from cpspartners import search
from cpspartners.extensions import db
from cpspartners.hsds import ids, vocabulary
from cpspartners.hsds.params import ApiParams
from cpspartners.models import Opportunity, OpportunityCluster, Partner, School, opportunity_school, queries

SEARCH_PARTNERS_LIMIT = 2000  # organizations a search may match: more than the directory holds by far
STREAM_BATCH = 500


class SearchUnavailable(Exception):
    """The search index cannot answer a ``search``: a 503, never a wrong answer."""


@dataclass
class Page:
    items: list[Any]
    total: int
    number: int
    size: int

    def shape(self, contents: list[dict]) -> dict:
        """The HSDS page: counts, where this page is, and its records."""
        pages = max(math.ceil(self.total / self.size), 1)
        return {
            "total_items": self.total,
            "total_pages": pages,
            "page_number": self.number,
            "size": len(contents),
            "first_page": self.number == 1,
            "last_page": self.number >= pages,
            "empty": not contents,
            "contents": contents,
        }


def listing_loads(full: bool) -> tuple:
    """What a page of services reads besides the rows: the partner; for full records, schools and clusters."""
    loads = [joinedload(Opportunity.partner)]
    if full:
        loads += [selectinload(Opportunity.schools), selectinload(Opportunity.cluster_rows)]
    return tuple(loads)


def _search_ids(text: str) -> list[int]:
    try:
        found = search.opportunity_ids(text.split())
    except search.Unavailable as error:
        raise SearchUnavailable(str(error)) from error
    return found or []


def listing_filters(params: ApiParams) -> list:
    """The WHERE clauses of ``params``' filters on listings (each one narrows: AND)."""
    clauses: list = []
    if params.search:
        found = _search_ids(params.search)
        clauses.append(Opportunity.id.in_(bindparam("search_ids", found, expanding=True, literal_execute=True)))
    if params.taxonomy_term_id:
        term = vocabulary.TERM_BY_ID.get(params.taxonomy_term_id)
        clauses.append(vocabulary.term_clause(term) if term else false())
    if params.taxonomy_id:
        taxonomy = vocabulary.TAXONOMY_BY_ID.get(params.taxonomy_id)
        clauses.append(vocabulary.taxonomy_clause(taxonomy) if taxonomy else false())
    if params.organization_id:
        partner_id = ids.lookup("organization", params.organization_id)
        clauses.append(Opportunity.partner_id == partner_id if partner_id else false())
    if params.modified_after:
        clauses.append(Opportunity.updated_at >= params.modified_after)
    return clauses


def services(params: ApiParams) -> Select:
    """The public listings ``params`` asks for, in a stable order (by row id)."""
    return queries.public_opportunities().where(*listing_filters(params)).order_by(Opportunity.id)


def count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def page_of(stmt: Select, params: ApiParams, options: tuple = ()) -> Page:
    offset = (params.page - 1) * params.per_page
    rows = list(db.session.scalars(stmt.options(*options).limit(params.per_page).offset(offset)))
    return Page(rows, count(stmt), params.page, params.per_page)


# A page of /services: the public listing ids, read once through ``public_opportunities()`` and
# kept for ``HSDS_LIST_SECONDS``, narrowed by each filter's ids, sliced, and the page's rows
# loaded by id and read against the rule again (``is_public``), as search does with its hits.
# So a page costs a slice and one small query, not a count and an OFFSET over 100,000 rows that
# each ask the rule (docs/benchmarks.md, "HSDS API"). A write in this process forgets the ids at
# once; one in another process is seen within the TTL, and a listing that stopped being public
# meanwhile is never shown (the re-check drops it).

_PUBLIC_IDS = "cpspartners_hsds_public_ids"
_changes = itertools.count()
_generation = [0]


@event.listens_for(Session, "after_flush")
def _forget_public_ids(session, _context) -> None:
    watched = (Opportunity, Partner, OpportunityCluster)
    if any(isinstance(obj, watched) for obj in (*session.new, *session.dirty, *session.deleted)):
        _generation[0] = next(_changes) + 1


@dataclass
class _Kept:
    value: Any
    read_at: float
    generation: int


def _kept(key: str, read: Callable[[], Any]) -> Any:
    """``read()``, kept per app until a write in this process or ``HSDS_LIST_SECONDS`` pass."""
    kept = current_app.extensions.setdefault(_PUBLIC_IDS, {})
    found = kept.get(key)
    fresh_for = current_app.config["HSDS_LIST_SECONDS"]
    if found is None or found.generation != _generation[0] or time.monotonic() - found.read_at > fresh_for:
        generation = _generation[0]
        found = kept[key] = _Kept(read(), time.monotonic(), generation)
    return found.value


def public_ids() -> list[int]:
    """Every public listing's id, in id order."""
    stmt = queries.public_opportunities().with_only_columns(Opportunity.id).order_by(Opportunity.id)
    return _kept("public", lambda: list(db.session.scalars(stmt)))


def _ids_where(*clauses) -> set[int]:
    return set(db.session.scalars(select(Opportunity.id).where(*clauses)))


def _term_ids(term: vocabulary.Term) -> set[int]:
    if term.taxonomy == "career_clusters_2024":  # by the cluster's own index, not a subquery a row
        stmt = select(OpportunityCluster.opportunity_id).where(OpportunityCluster.cluster == term.code)
        return set(db.session.scalars(stmt))
    return _ids_where(vocabulary.term_clause(term))


def narrowing(params: ApiParams) -> list[set[int]]:
    """Each filter of ``params`` as the set of listing ids it admits (ANDed by the caller)."""
    sets: list[set[int]] = []
    if params.search:
        sets.append(set(_search_ids(params.search)))
    if params.taxonomy_term_id:
        term = vocabulary.TERM_BY_ID.get(params.taxonomy_term_id)
        sets.append(_kept("term:" + term.id, lambda: _term_ids(term)) if term else set())
    if params.taxonomy_id:
        taxonomy = vocabulary.TAXONOMY_BY_ID.get(params.taxonomy_id)
        if taxonomy is None:
            sets.append(set())
        elif taxonomy.name == "career_clusters_2024":
            clustered = select(OpportunityCluster.opportunity_id).distinct()
            sets.append(_kept("clustered", lambda: set(db.session.scalars(clustered))))
    if params.organization_id:
        partner_id = ids.lookup("organization", params.organization_id)
        sets.append(_ids_where(Opportunity.partner_id == partner_id) if partner_id else set())
    if params.modified_after:
        sets.append(_ids_where(Opportunity.updated_at >= params.modified_after))
    return sets


def service_page(params: ApiParams) -> Page:
    matching = public_ids()
    for admitted in sorted(narrowing(params), key=len):
        matching = [i for i in matching if i in admitted]
    start = (params.page - 1) * params.per_page
    shown = matching[start : start + params.per_page]
    rows = {
        opp.id: opp
        for opp in db.session.scalars(
            select(Opportunity)
            .where(Opportunity.id.in_(shown))
            .options(*listing_loads(False))
            .execution_options(populate_existing=True)  # the rows as they are now, not as last seen
        )
    }
    # Read against the rule again: what stopped being public since the ids were read is left out.
    loaded = [rows[i] for i in shown if i in rows and rows[i].is_public]
    return Page(loaded, len(matching) - (len(shown) - len(loaded)), params.page, params.per_page)


def stream(stmt: Select, options: tuple = ()) -> Iterator[Any]:
    """Every row of ``stmt``, a batch at a time (keyset on the id, so memory stays flat)."""
    last = 0
    model = stmt.column_descriptions[0]["entity"]
    while True:
        batch = list(db.session.scalars(stmt.where(model.id > last).options(*options).limit(STREAM_BATCH)))
        yield from batch
        if len(batch) < STREAM_BATCH:
            return
        last = batch[-1].id
        db.session.expunge_all()  # the batch is written out: let it go


def find_service(hsds_id: str) -> Opportunity | None:
    """The public listing ``hsds_id`` names, or None (unknown, or not public)."""
    row_id = ids.lookup("service", hsds_id)
    if row_id is None:
        return None
    stmt = queries.public_opportunities().where(Opportunity.id == row_id).options(*listing_loads(True))
    opp = db.session.scalar(stmt)
    return opp if opp is not None and ids.service(opp.slug) == ids.parse(hsds_id) else None


def organizations(params: ApiParams) -> Select:
    stmt = queries.public_partners().order_by(None).order_by(Partner.id)
    if params.search:
        found = [partner.id for partner in search.find_partners(params.search, SEARCH_PARTNERS_LIMIT)]
        stmt = stmt.where(Partner.id.in_(bindparam("partner_ids", found, expanding=True, literal_execute=True)))
    return stmt


def find_organization(hsds_id: str) -> Partner | None:
    row_id = ids.lookup("organization", hsds_id)
    if row_id is None:
        return None
    partner = db.session.scalar(queries.public_partners().where(Partner.id == row_id))
    return partner if partner is not None and ids.organization(partner.slug) == ids.parse(hsds_id) else None


def services_of(partner: Partner, full: bool) -> list[Opportunity]:
    stmt = queries.public_opportunities().where(Opportunity.partner_id == partner.id).order_by(Opportunity.id)
    return list(db.session.scalars(stmt.options(*listing_loads(full))))


# Services at locations: each public listing at each school it is offered at, and at its own place.


def _pairs(params: ApiParams):
    wanted = services(params).order_by(None).with_only_columns(Opportunity.id)
    at_schools = select(
        opportunity_school.c.opportunity_id.label("opp"), opportunity_school.c.school_id.label("school")
    ).where(opportunity_school.c.opportunity_id.in_(wanted))
    if params.postcode is not None:
        at_schools = at_schools.where(
            opportunity_school.c.school_id.in_(select(School.id).where(School.zip == params.postcode))
        )
        return at_schools.subquery()
    at_places = select(Opportunity.id.label("opp"), literal(None, Integer).label("school")).where(
        Opportunity.id.in_(wanted), Opportunity.modality != "virtual", Opportunity.address != ""
    )
    return union_all(at_schools, at_places).subquery()


def service_at_location_page(params: ApiParams) -> Page:
    pairs = _pairs(params)
    stmt = select(pairs.c.opp, pairs.c.school).order_by(pairs.c.opp, func.coalesce(pairs.c.school, 0))
    total = db.session.scalar(select(func.count()).select_from(pairs)) or 0
    offset = (params.page - 1) * params.per_page
    rows = db.session.execute(stmt.limit(params.per_page).offset(offset)).all()
    return Page(_load_pairs(rows), total, params.page, params.per_page)


def all_service_at_locations(params: ApiParams) -> Iterator[tuple[Opportunity, School | None]]:
    pairs = _pairs(params)
    stmt = select(pairs.c.opp, pairs.c.school).order_by(pairs.c.opp, func.coalesce(pairs.c.school, 0))
    offset = 0
    while rows := db.session.execute(stmt.limit(STREAM_BATCH).offset(offset)).all():
        yield from _load_pairs(rows)
        offset += STREAM_BATCH
        db.session.expunge_all()


def _load_pairs(rows) -> list[tuple[Opportunity, School | None]]:
    opp_ids = {opp_id for opp_id, _school in rows}
    opps = {
        opp.id: opp
        for opp in db.session.scalars(
            select(Opportunity).where(Opportunity.id.in_(opp_ids)).options(*listing_loads(True))
        )
    }
    schools = {school.id: school for opp in opps.values() for school in opp.schools}
    return [(opps[opp_id], schools.get(school_id) if school_id else None) for opp_id, school_id in rows]


def find_service_at_location(hsds_id: str) -> tuple[Opportunity, School | None] | None:
    found = ids.lookup("service_at_location", hsds_id)
    if found is None:
        return None
    opp_id, school_id = found  # type: ignore[misc]
    opp = db.session.scalar(
        queries.public_opportunities().where(Opportunity.id == opp_id).options(*listing_loads(True))
    )
    if opp is None:
        return None
    school = next((s for s in opp.schools if s.id == school_id), None)
    if school_id is not None and school is None:
        return None
    location_id = ids.school_location(school.id) if school else ids.place_location(opp.slug)
    if ids.service_at_location(opp.slug, location_id) != ids.parse(hsds_id):
        return None
    if school is None and (opp.modality == "virtual" or not opp.address):
        return None
    return opp, school
