"""The only code that writes the index: apply the outbox, rebuild, and check for drift.

``apply_outbox`` takes the index write lock *before* it reads the outbox and the rows, so two
processes applying at once write in the order they read: the last writer has read the newest
data, and no update is lost.
"""

import logging
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.writing import IndexWriter

from cpspartners import pagecache
from cpspartners.extensions import db
from cpspartners.models import (
    CommunityArea,
    IndexOutbox,
    Opportunity,
    OpportunityCluster,
    OpportunityTag,
    Partner,
    School,
    _base,
    opportunity_school,
    partner_area,
)
from cpspartners.search import documents
from cpspartners.search.storage import create_generation, ensure_index, open_writer, swap_in
from cpspartners.search.sync import backend, writer_mode
from cpspartners.taxonomy import CAREER_CLUSTERS, OPPORTUNITY_KINDS

log = logging.getLogger(__name__)
BATCH = 500
# Memory for a rebuild's postings before Whoosh sorts a run out to disk (its estimate, in MB).
# A 100,000-listing directory has about 4.5 million postings, about 800 MB by Whoosh's estimate:
# they fit, so they are sorted once in memory instead of pickled to runs one posting at a time
# and merged back (48 s instead of 74 s at 512 MB; peak memory 1.4 GB instead of 1.1 GB).
# A larger directory spills to disk again: slower, never more memory. docs/benchmarks.md.
REBUILD_LIMIT_MB = 1024


def index_root() -> str:
    return current_app.extensions["cpspartners_search"].root


def labels() -> documents.Labels:
    """Kind and cluster labels in English and Spanish, for the documents."""
    table: dict[str, dict[str, tuple[str, str]]] = {}
    for name, pairs in (("kind", OPPORTUNITY_KINDS), ("cluster", CAREER_CLUSTERS)):
        entries = {}
        for entry in pairs:
            with force_locale("en"):
                english = str(entry[-1])
            with force_locale("es"):
                spanish = str(entry[-1])
            entries[entry[0]] = (english, spanish)
        table[name] = entries
    return table


def public_opportunity_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Opportunity.id).where(Opportunity.is_public).order_by(Opportunity.id)))


def public_partner_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Partner.id).where(Partner.is_active).order_by(Partner.id)))


OPPORTUNITY_COLUMNS = (
    "id",
    "kind",
    "title",
    "title_es",
    "summary",
    "summary_es",
    "description",
    "description_es",
    "location_name",
    "credential",
    "stipend",
    "grade_min",
    "grade_max",
    "modality",
    "paid",
    "languages",
    "community_area_number",
    "latitude",
    "longitude",
    "deadline",
    "created_at",
)


def _grouped(session: Session, stmt: Select[Any]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for owner, value in session.execute(stmt):
        out[owner].append(value)
    return out


def load_opportunities(session: Session, ids: Sequence[int]) -> list[documents.OpportunityRecord]:
    """``OpportunityRecord``s for ``ids`` through plain Core selects: no ORM objects, several
    times faster for a rebuild, and the same code path for a single upsert."""
    table = Opportunity.__table__
    stmt = (
        select(
            *(table.c[name] for name in OPPORTUNITY_COLUMNS), Opportunity.is_public, Partner.name, CommunityArea.name
        )
        .join(Partner, Partner.id == table.c.partner_id)
        .outerjoin(CommunityArea, CommunityArea.number == table.c.community_area_number)
        .where(table.c.id.in_(ids))
    )
    clusters = _grouped(
        session,
        select(OpportunityCluster.opportunity_id, OpportunityCluster.cluster)
        .where(OpportunityCluster.opportunity_id.in_(ids))
        .order_by(OpportunityCluster.cluster),
    )
    tags = _grouped(
        session,
        select(OpportunityTag.opportunity_id, OpportunityTag.tag)
        .where(OpportunityTag.opportunity_id.in_(ids))
        .order_by(OpportunityTag.tag),
    )
    # The links themselves (the list's school filter reads opportunity_school), each with its name.
    schools: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for opp_id, school_id, name in session.execute(
        select(opportunity_school.c.opportunity_id, opportunity_school.c.school_id, School.long_name)
        .outerjoin(School, School.id == opportunity_school.c.school_id)
        .where(opportunity_school.c.opportunity_id.in_(ids))
    ):
        schools[opp_id].append((school_id, name))
    records = []
    for row in session.execute(stmt):
        values = dict(zip(OPPORTUNITY_COLUMNS, row[: len(OPPORTUNITY_COLUMNS)], strict=False))
        public, partner_name, area_name = row[len(OPPORTUNITY_COLUMNS) :]
        records.append(
            documents.OpportunityRecord(
                **values,
                public=public,
                partner_name=partner_name,
                area_name=area_name or "",
                clusters=clusters.get(values["id"], []),
                tags=tags.get(values["id"], []),
                school_names=[name for _id, name in schools.get(values["id"], []) if name],
                school_ids=[school_id for school_id, _name in schools.get(values["id"], [])],
            )
        )
    return records


def load_partners(session: Session, ids: Sequence[int]) -> list[documents.PartnerRecord]:
    """``PartnerRecord``s for ``ids``: home neighborhood first, then the ones served."""
    served = _grouped(
        session,
        select(partner_area.c.partner_id, CommunityArea.name)
        .join(CommunityArea, CommunityArea.number == partner_area.c.community_area_number)
        .where(partner_area.c.partner_id.in_(ids))
        .order_by(CommunityArea.name),
    )
    stmt = (
        select(
            Partner.id,
            Partner.is_active,
            Partner.name,
            Partner.mission,
            Partner.mission_es,
            Partner.created_at,
            CommunityArea.name,
        )
        .outerjoin(CommunityArea, CommunityArea.number == Partner.community_area_number)
        .where(Partner.id.in_(ids))
    )
    return [
        documents.PartnerRecord(
            id=pid,
            active=active,
            name=name,
            mission=mission,
            mission_es=mission_es,
            created_at=created,
            place_names=([home] if home else []) + served.get(pid, []),
        )
        for pid, active, name, mission, mission_es, created, home in session.execute(stmt)
    ]


def fitting(document: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """``document`` without the fields ``schema`` lacks: an index built before a field was added
    takes the document it can hold (Whoosh refuses unknown fields) until a rebuild, and its
    readers do not use that field meanwhile (``IndexReader.has_fields``)."""
    return {name: value for name, value in document.items() if name.startswith("_") or name in schema}


def write_changes(
    writer: IndexWriter, session: Session, changes: Iterable[tuple[str, int]], label_table: documents.Labels
) -> None:
    """Upsert what is public now, delete what is not (or is gone)."""
    # The schema of the index being written (not ``make_schema()``): Whoosh's SegmentWriter keeps
    # it as an attribute its base class does not declare.
    schema: Schema = writer.schema  # type: ignore[attr-defined]
    opp_ids = sorted(object_id for kind, object_id in changes if kind == "opportunity")
    partner_ids = sorted(object_id for kind, object_id in changes if kind == "partner")
    for start in range(0, len(opp_ids), BATCH):
        chunk = opp_ids[start : start + BATCH]
        found = {opp.id: opp for opp in load_opportunities(session, chunk)}
        for opp_id in chunk:
            opp = found.get(opp_id)
            if opp is not None and documents.is_public_opportunity(opp):
                writer.update_document(**fitting(documents.opportunity_document(opp, label_table), schema))
            else:
                writer.delete_by_term("key", documents.opportunity_key(opp_id))
    for start in range(0, len(partner_ids), BATCH):
        chunk = partner_ids[start : start + BATCH]
        partners = {p.id: p for p in load_partners(session, chunk)}
        for partner_id in chunk:
            partner = partners.get(partner_id)
            if partner is not None and documents.is_public_partner(partner):
                writer.update_document(**fitting(documents.partner_document(partner), schema))
            else:
                writer.delete_by_term("key", documents.partner_key(partner_id))


def apply_outbox(batch: int = BATCH) -> int:
    """Apply every unapplied outbox row to the index; return how many rows were applied (none
    with ``SEARCH_BACKEND = "postgres"``: its documents are written with each change)."""
    if backend() == "postgres":
        return 0
    applied = 0
    label_table = labels()
    while True:
        writer = open_writer(ensure_index(index_root()))
        try:
            with Session(db.engine) as session:
                rows = session.execute(
                    select(IndexOutbox.id, IndexOutbox.kind, IndexOutbox.object_id)
                    .where(IndexOutbox.applied_at.is_(None))
                    .order_by(IndexOutbox.id)
                    .limit(batch)
                ).all()
                if rows:
                    write_changes(writer, session, {(kind, object_id) for _id, kind, object_id in rows}, label_table)
            if not rows:
                writer.cancel()
                return applied
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        with db.engine.begin() as conn:
            conn.execute(
                update(IndexOutbox)
                .where(IndexOutbox.id.in_([row[0] for row in rows]))
                .values(applied_at=_base.utcnow())
            )
            pagecache.bump(conn)  # the index changed: pages kept from it are rebuilt
        applied += len(rows)


def note_failure(error: BaseException) -> None:
    """Count a failed attempt on the unapplied rows, so `flask search check` can show why."""
    with db.engine.begin() as conn:
        conn.execute(
            update(IndexOutbox)
            .where(IndexOutbox.applied_at.is_(None))
            .values(attempts=IndexOutbox.attempts + 1, last_error=str(error)[:300])
        )


def prune_outbox(days: int = 7) -> int:
    """Forget applied rows older than ``days``; unapplied rows are never pruned."""
    cutoff = _base.utcnow() - timedelta(days=days)
    with db.engine.begin() as conn:
        return conn.execute(delete(IndexOutbox).where(IndexOutbox.applied_at < cutoff)).rowcount


def rebuild(
    progress: Callable[[int], object] = lambda n: None,
    batch: int = 2000,
    procs: int = 1,
    limitmb: int = REBUILD_LIMIT_MB,
    multisegment: bool = False,
) -> dict[str, int]:
    """Build a new index from the database beside the live one, then swap it in.

    Rows applied to the old index while this ran are marked unapplied again and re-applied
    to the new one after the swap, so nothing committed during the rebuild is lost.
    With ``SEARCH_WRITER = "follower"`` the follower's own place is reset instead (follower.py);
    with ``SEARCH_BACKEND = "postgres"`` the search table is refilled in one transaction.
    """
    if backend() == "postgres":
        from cpspartners.search import pg

        with db.engine.begin() as conn:
            counts = pg.rebuild(conn, progress, batch)
            pagecache.bump(conn)
        pg.vacuum(db.engine)
        return counts
    if writer_mode() == "follower":
        from cpspartners.search.follower import start_from_zero

        return start_from_zero(progress)
    started = _base.utcnow() - timedelta(seconds=1)
    counts = build_and_swap(progress, batch, procs, limitmb, multisegment)
    with db.engine.begin() as conn:
        conn.execute(update(IndexOutbox).where(IndexOutbox.applied_at >= started).values(applied_at=None))
        pagecache.bump(conn)
    apply_outbox()
    return counts


def build_and_swap(
    progress: Callable[[int], object] = lambda n: None,
    batch: int = 2000,
    procs: int = 1,
    limitmb: int = REBUILD_LIMIT_MB,
    multisegment: bool = False,
) -> dict[str, int]:
    """The rebuild itself: every public document into a new generation, swapped in whole."""
    root = index_root()
    generation = create_generation(root)
    marker = os.path.join(generation, ".building")
    open(marker, "w").close()
    label_table = labels()
    counts = {"opportunities": 0, "partners": 0}
    writer = whoosh_index.open_dir(generation).writer(procs=procs, limitmb=limitmb, multisegment=multisegment)
    try:
        with Session(db.engine) as session:
            opp_ids = public_opportunity_ids(session)
            vocabulary: Counter[str] = Counter()
            for start in range(0, len(opp_ids), batch):
                for opp in load_opportunities(session, opp_ids[start : start + batch]):
                    document = documents.opportunity_document(opp, label_table)
                    vocabulary.update(document.pop("spell").split())
                    writer.add_document(**document)
                    counts["opportunities"] += 1
                session.expunge_all()
                progress(len(opp_ids[start : start + batch]))
            partner_ids = public_partner_ids(session)
            for start in range(0, len(partner_ids), batch):
                for partner in load_partners(session, partner_ids[start : start + batch]):
                    document = documents.partner_document(partner)
                    vocabulary.update(document.pop("spell").split())
                    writer.add_document(**document)
                    counts["partners"] += 1
                session.expunge_all()
                progress(len(partner_ids[start : start + batch]))
            for document in documents.vocabulary_documents(vocabulary):
                writer.add_document(**document)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        if os.path.exists(marker):
            os.unlink(marker)
    swap_in(root, generation)
    return counts


def work_to_do(session: Session) -> int:
    """How many public opportunities and partners there are: the length of a rebuild's progress bar."""
    return len(public_opportunity_ids(session)) + len(public_partner_ids(session))


def indexed_keys() -> set[str]:
    """Every key in the live index (deleted documents left out)."""
    if backend() == "postgres":
        from cpspartners.search import pg

        with db.engine.connect() as conn:
            return pg.indexed_keys(conn)
    searcher, _cache = current_app.extensions["cpspartners_search"].current()
    return {fields["key"] for _docnum, fields in searcher.reader().iter_docs()}


def check() -> dict[str, Any]:
    """Drift between the database and the index: {missing, extra, unapplied}."""
    with Session(db.engine) as session:
        wanted = {documents.opportunity_key(i) for i in public_opportunity_ids(session)}
        wanted |= {documents.partner_key(i) for i in public_partner_ids(session)}
        unapplied = session.execute(
            select(
                IndexOutbox.id, IndexOutbox.kind, IndexOutbox.object_id, IndexOutbox.attempts, IndexOutbox.last_error
            )
            .where(IndexOutbox.applied_at.is_(None))
            .order_by(IndexOutbox.id)
        ).all()
    have = {key for key in indexed_keys() if not key.startswith(documents.VOCABULARY_PREFIX)}
    return {"missing": sorted(wanted - have), "extra": sorted(have - wanted), "unapplied": unapplied}
