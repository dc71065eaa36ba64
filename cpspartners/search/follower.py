"""`flask search follow`: the one process per machine that writes that machine's index.

With ``SEARCH_WRITER = "follower"`` web workers only read the index; this loop applies the
outbox instead, woken by PostgreSQL ``NOTIFY`` (sent by ``sync.after_flush`` in the same
transaction as the outbox rows, so it arrives when they commit) and polling as the fallback
(SQLite, a lost connection, a missed notification).

Each index folder keeps its own place in the outbox (``follower.json`` beside ``current``), not
the shared ``applied_at``, so two machines each follow every row: a second machine starts from
zero by rebuilding and then follows. The place is written only after the index commit: a
follower killed mid-write applies the same rows again (an upsert from the database's current
state is idempotent), never fewer.

Outbox ids come from a sequence and are taken before commit, so a row with a lower id can become
visible after a higher one. The follower therefore looks back ``SEARCH_FOLLOW_LOOKBACK`` seconds
each pass and applies any row in that window it has not seen yet.
"""

import contextlib
import json
import logging
import os
import select as selectors
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from cpspartners import pagecache
from cpspartners.extensions import db
from cpspartners.models import IndexOutbox, _base
from cpspartners.search import outbox
from cpspartners.search.storage import ensure_index, open_writer
from cpspartners.search.sync import CHANNEL

log = logging.getLogger(__name__)
STATE = "follower.json"
DEFAULT_LOOKBACK = 300.0
DEFAULT_POLL = 5.0


def state_path(root: str) -> str:
    return os.path.join(root, STATE)


def read_state(root: str) -> dict[str, Any] | None:
    """This index's place in the outbox, or None when it has never followed (rebuild first)."""
    try:
        with open(state_path(root)) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    return {"high": int(data["high"]), "seen": {int(k): v for k, v in data.get("seen", {}).items()}}


def write_state(root: str, high: int, seen: dict[int, str]) -> None:
    """Replace the state file atomically, so a kill leaves the old place or the new, never half."""
    os.makedirs(root, exist_ok=True)
    tmp = state_path(root) + ".%d.tmp" % os.getpid()
    with open(tmp, "w") as handle:
        json.dump({"high": high, "seen": {str(k): v for k, v in seen.items()}}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, state_path(root))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone=True columns; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_base.utcnow().tzinfo)


def start_from_zero(progress: Callable[[int], object] = lambda n: None) -> dict[str, int]:
    """Rebuild this machine's index and take the place the rebuild started from.

    Every row with an id up to ``high`` was committed before the rebuild read the database, so
    the new index holds it; rows committed later (and lower ids committed late) are applied by
    the following passes through the look-back window.
    """
    root = outbox.index_root()
    with Session(db.engine) as session:
        high = session.scalar(select(func.coalesce(func.max(IndexOutbox.id), 0))) or 0
    counts = outbox.build_and_swap(progress=progress)
    write_state(root, high, {})
    return counts


def apply_pass(lookback: float | None = None, batch: int = outbox.BATCH) -> int:
    """Apply what this index has not seen yet; return how many outbox rows were applied."""
    root = outbox.index_root()
    lookback = current_app.config.get("SEARCH_FOLLOW_LOOKBACK", DEFAULT_LOOKBACK) if lookback is None else lookback
    state = read_state(root)
    if state is None:
        start_from_zero()
        state = read_state(root)
        assert state is not None
    high, seen = state["high"], state["seen"]
    # Rows an earlier pass indexed but could not mark (the database went away between the index
    # commit and the mark): marked now, or `flask search check` would report them for ever.
    mark_applied(list(seen))
    label_table = outbox.labels()
    applied = 0
    while True:
        cutoff = _base.utcnow() - timedelta(seconds=lookback)
        # The writer (and its lock) first, as apply_outbox: rows read after it are written in order.
        writer = open_writer(ensure_index(root))
        try:
            with Session(db.engine) as session:
                found = session.execute(
                    select(IndexOutbox.id, IndexOutbox.kind, IndexOutbox.object_id, IndexOutbox.created_at)
                    .where(or_(IndexOutbox.id > high, IndexOutbox.created_at >= cutoff))
                    .order_by(IndexOutbox.id)
                ).all()
                rows = [row for row in found if row.id not in seen][:batch]
                if rows:
                    outbox.write_changes(writer, session, {(r.kind, r.object_id) for r in rows}, label_table)
            if not rows:
                writer.cancel()
                break
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        # Only now, after the index commit, does this index move on.
        for row in rows:
            seen[row.id] = _aware(row.created_at).isoformat()
        high = max(high, max(row.id for row in rows))
        seen = {k: v for k, v in seen.items() if datetime.fromisoformat(v) >= cutoff}
        write_state(root, high, seen)
        mark_applied([row.id for row in rows])
        applied += len(rows)
    # Forget what fell out of the window even when nothing new came.
    kept = {k: v for k, v in seen.items() if datetime.fromisoformat(v) >= _base.utcnow() - timedelta(seconds=lookback)}
    if kept != seen:
        write_state(root, high, kept)
    return applied


def mark_applied(ids: list[int]) -> None:
    """Shared bookkeeping for `flask search check` and pruning: these rows are in some index."""
    if not ids:
        return
    with db.engine.begin() as conn:
        conn.execute(
            update(IndexOutbox)
            .where(IndexOutbox.id.in_(ids), IndexOutbox.applied_at.is_(None))
            .values(applied_at=_base.utcnow())
        )
        pagecache.bump(conn)  # this machine's index changed (whoever marked the rows first)


class Waker:
    """Waits for a NOTIFY on PostgreSQL, or just sleeps out the poll interval elsewhere."""

    def __init__(self) -> None:
        self.conn: Any = None

    def _connect(self) -> None:
        if db.engine.dialect.name != "postgresql":
            return
        try:
            raw = db.engine.raw_connection()
            self.conn = raw.driver_connection
            self.conn.autocommit = True
            self.conn.execute(f"LISTEN {CHANNEL}")
            self._raw = raw
        except Exception:
            log.warning("Index follower could not LISTEN; polling only until it can", exc_info=True)
            self.conn = None

    def wait(self, timeout: float) -> bool:
        """True when woken by a notification, False after ``timeout`` (or on a broken connection)."""
        if self.conn is None:
            self._connect()
        if self.conn is None:
            time.sleep(timeout)
            return False
        try:
            ready, _w, _x = selectors.select([self.conn.fileno()], [], [], timeout)
            if not ready:
                return False
            woken = False
            for _note in self.conn.notifies(timeout=0):
                woken = True
            return woken
        except Exception:
            # PostgreSQL restarted under us: drop the connection, poll, listen again next time.
            log.warning("Index follower lost its LISTEN connection; reconnecting", exc_info=True)
            self.close()
            time.sleep(min(timeout, 1.0))
            return False

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing left to close
                self._raw.invalidate()
        self.conn = None


def follow(
    poll: float | None = None, stop: Callable[[], bool] = lambda: False, echo: Callable[[str], object] = log.info
) -> None:
    """Apply passes forever (until ``stop()``): one at start, then one per wake-up or poll."""
    poll = current_app.config.get("SEARCH_FOLLOW_POLL", DEFAULT_POLL) if poll is None else poll
    waker = Waker()
    try:
        while not stop():
            try:
                applied = apply_pass()
                if applied:
                    echo(f"{applied} outbox rows applied")
            except Exception as error:
                log.exception("Index follower pass failed; retrying after the poll interval")
                try:
                    outbox.note_failure(error)
                except Exception:
                    log.debug("Could not record the failure either (database down?)", exc_info=True)
                db.engine.dispose()  # a restarted database leaves dead pooled connections
            waker.wait(poll)
    finally:
        waker.close()
