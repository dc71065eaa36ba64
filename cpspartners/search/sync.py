"""Keeping the index in step with the database, through SQLAlchemy session events.

``after_flush``: note which opportunities and partners changed (ids exist by then, and
autoflushed changes are seen) and write one ``index_outbox`` row each, on the same connection,
so the change and the index entry it owes commit or roll back together.
With ``SEARCH_BACKEND = "postgres"`` the documents are written there and then instead
(``pg.write_changes``), in the same transaction; none of the rest applies.
``after_commit``: apply the outbox (unless ``SEARCH_WRITER`` is "follower": then a NOTIFY,
sent in the flush's transaction, wakes `flask search follow`). ``after_rollback``: forget what was noted.

Bulk ``query.update()`` / ``query.delete()`` and Core inserts skip these events: code that uses
them on indexed tables must write outbox rows itself or rebuild (``flask seed`` rebuilds).
``bulk(session)`` turns the events off for a block whose caller rebuilds the index afterwards.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from cpspartners.models import IndexOutbox, Opportunity, OpportunityCluster, OpportunityTag, Partner

PENDING = "cpspartners_search_pending"
BULK = "cpspartners_search_bulk"
CHANNEL = "cpspartners_index_outbox"  # LISTEN/NOTIFY channel of `flask search follow`
log = logging.getLogger(__name__)
_installed: list[type[Session]] = []


def changed_keys(session: Session) -> set[tuple[str, int]]:
    """{(kind, id)} the flush being finished touched, including related rows' owners."""
    changes = set()
    partner_ids = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if obj in session.dirty and not session.is_modified(obj, include_collections=True):
            continue
        if isinstance(obj, Opportunity) and obj.id is not None:
            changes.add(("opportunity", obj.id))
        elif isinstance(obj, (OpportunityCluster, OpportunityTag)) and obj.opportunity_id is not None:
            changes.add(("opportunity", obj.opportunity_id))
        elif isinstance(obj, Partner) and obj.id is not None:
            changes.add(("partner", obj.id))
            if obj not in session.new:
                partner_ids.add(obj.id)
    if partner_ids:
        # A partner's name and status are part of its opportunities' documents and visibility.
        rows = session.connection().execute(select(Opportunity.id).where(Opportunity.partner_id.in_(partner_ids)))
        changes.update(("opportunity", opp_id) for (opp_id,) in rows)
    return changes


def _enabled() -> bool:
    return has_app_context() and "cpspartners_search" in current_app.extensions


@contextmanager
def bulk(session: Session) -> Iterator[None]:
    """No outbox rows and no index writes for what ``session`` flushes and commits in this block:
    the caller rebuilds the index afterwards. For the seed, which touches every listing at once
    (the vetting refresh flags 100,000 rows' partners); applying 100,000 outbox rows one batch at
    a time took over half an hour, then the rebuild did the same work again in a minute."""
    session.info[BULK] = True
    try:
        yield
    finally:
        session.info.pop(BULK, None)


def backend() -> str:
    """What answers searches: "whoosh" (the index folder) or "postgres" (search/pg.py)."""
    return current_app.config.get("SEARCH_BACKEND", "whoosh")


def writer_mode() -> str:
    """Who writes the index: "inline" (each process after its commit) or "follower" (one per machine)."""
    return current_app.config.get("SEARCH_WRITER", "inline")


def after_flush(session: Session, _flush_context: Any) -> None:
    if not _enabled() or session.info.get(BULK):
        return
    changes = changed_keys(session)
    if not changes:
        return
    if backend() == "postgres":
        from cpspartners.search import pg

        # The documents change in the flush's own transaction: no outbox, no lag, and a
        # rollback takes them back with the change.
        pg.write_changes(session.connection(), changes)
        return
    rows = [{"kind": kind, "object_id": object_id, "action": "upsert"} for kind, object_id in sorted(changes)]
    connection = session.connection()
    connection.execute(insert(IndexOutbox), rows)
    if connection.dialect.name == "postgresql" and writer_mode() == "follower":
        # Only a follower listens, so inline mode (the default) sends nothing. Delivered at
        # commit, with the rows, and dropped on rollback: the follower wakes only for rows it
        # can see. Several in one transaction fold into one notification.
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    session.info.setdefault(PENDING, set()).update(changes)


def after_commit(session: Session) -> None:
    if not session.info.pop(PENDING, None) or not _enabled():
        return
    if writer_mode() == "follower":
        return  # `flask search follow` is this machine's only writer; web workers only read
    from cpspartners.search.outbox import apply_outbox, note_failure

    try:
        apply_outbox()
    except Exception as error:  # the data is saved; the outbox rows stay unapplied, repaired later
        log.exception("Search index update failed after commit; outbox rows left for repair")
        try:
            note_failure(error)
        except Exception:
            log.exception("Could not record the search index failure on the outbox")


def after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def install(session_class: type[Session]) -> None:
    """Listen on ``session_class`` once per process."""
    if session_class in _installed:
        return
    event.listen(session_class, "after_flush", after_flush)
    event.listen(session_class, "after_commit", after_commit)
    event.listen(session_class, "after_rollback", after_rollback)
    _installed.append(session_class)
