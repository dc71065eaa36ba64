"""Whole pages that every anonymous visitor sees alike, kept by each worker until the directory changes.

At 100,000 listings a list, search, area or school page costs 8-20 ms to build (the index
query, 20 to 50 rows loaded and re-checked, a card each through Jinja), and the same few pages
are asked for again and again in an application window. A view marked ``@shared`` is answered
from this process's copy when one was made for the same address, language, day and
**directory version**; otherwise it is built and, when fit to share, kept.

The directory version (``DirectoryVersion``, one row) is what makes a kept page safe: every
transaction that writes a table an anonymous page can show bumps it before it commits
(``before_commit``), in that same transaction. A page is looked up under the number read at the
start of the request, and a request that starts after a commit reads the new number, so once a
listing is archived, a partner deactivated or a school renamed, no worker serves a page built
before it. What counts as a write: an ORM flush of any row, and a bulk ``update()`` / ``delete()``
/ ``insert()`` through the session, except on the tables in ``PRIVATE_TABLES`` (accounts,
applications, messages, logs...: nothing an anonymous page shows, and written on every sign-in
or application, which would otherwise empty every worker's pages during a surge). Writes that
bypass the session (a rebuild of the search index, SQL on a bare connection) call ``bump()``.

What is never kept or served from here: a signed-in person's page (anything may differ, and it
must never reach another person); a request whose session holds a flashed message (the message
belongs to that visitor); a response that is not a plain 200 HTML page, or that wrote to the
session. Kept pages also expire after ``PAGE_CACHE_SECONDS`` (config; 0 turns this off), as
``Cache-Control: public, max-age`` already lets a proxy keep them: a listing newly published
appears on a kept page once the index has it and the page is rebuilt, within that time at most.
Each worker holds at most ``PAGE_CACHE_BYTES`` of pages, the least recently used leaving first.

With several workers each builds every page once for itself: in a surge's mix (bench/load.py)
five workers built 2,400 pages a minute where one would have built 1,700. ``PAGE_CACHE_REDIS_URL``
(docs/deploy.md) shares them: a page one worker built is taken from Redis by the others, under
the same key (version, day, language, address), expiring in Redis after the same seconds. Redis
is only ever a cache here: when it is down or slow (50 ms), the page is built as without it, and
Redis is not asked again for a few seconds.
"""

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from cpspartners.caching import publicly_cacheable
from cpspartners.connections import reads_without_transaction
from cpspartners.extensions import db
from cpspartners.models import DirectoryVersion

log = logging.getLogger(__name__)
EXTENSION = "cpspartners_pagecache"
SHARED_EXTENSION = "cpspartners_pagecache_shared"
CHANGED = "cpspartners_directory_changed"  # session.info: this transaction wrote what pages show
# Tables no anonymous page reads. Any other table written counts as a change (a new table too,
# until it is listed here): a needless bump costs a rebuilt page, a missing one a stale page.
PRIVATE_TABLES = frozenset(
    {
        "application",
        "audit_entry",
        "anonymised_outcome",
        "change_request",
        "consent",
        "contact",
        "contact_staff",
        "consent_eligibility",
        "credential",
        "deletion_certificate",
        "directory_version",
        "disclosure",
        "dismissal",
        "event_signup",
        "family_link",
        "feedback",
        "follow_up",
        "import_run",
        "incident",
        "index_outbox",
        "licence_request",
        "message",
        "newsletter",
        "newsletter_delivery",
        "newsletter_item",
        "newsletter_story",
        "newsletter_subscriber",
        "notification",
        "partner_data_agreement",
        "prospect",
        "record_share",
        "recovery_code",
        "rights_request",
        "saved_opportunity",
        "seat_allocation",
        "seat_assignment",
        "seat_waitlist_entry",
        "speaker_request",
        "student_profile",
        "teacher_profile",
        "user",
    }
)
_BUMP = update(DirectoryVersion).where(DirectoryVersion.id == 1).values(number=DirectoryVersion.number + 1)
_installed: list[type[Session]] = []


@dataclass
class Kept:
    made: float  # time.monotonic()
    body: bytes
    headers: list[tuple[str, str]]


class PageStore:
    """This process's pages, least recently used first, within ``limit`` bytes of bodies."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.pages: OrderedDict[tuple, Kept] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple, ttl: float) -> Kept | None:
        with self.lock:
            found = self.pages.get(key)
            if found is None:
                return None
            if time.monotonic() - found.made >= ttl:
                self._drop(key)
                return None
            self.pages.move_to_end(key)
            return found

    def put(self, key: tuple, kept: Kept) -> None:
        if len(kept.body) > self.limit:
            return
        with self.lock:
            if key in self.pages:
                self._drop(key)
            self.pages[key] = kept
            self.size += len(kept.body)
            while self.size > self.limit:
                self._drop(next(iter(self.pages)))

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()
            self.size = 0

    def _drop(self, key: tuple) -> None:
        self.size -= len(self.pages.pop(key).body)


class SharedPages:
    """Kept pages in Redis, for every worker of the machine; any failure reads as "not kept".

    An entry is the page's headers as JSON, a newline, then the body; its age in Redis is its
    expiry (``PX``), so the worker that takes it keeps it only for what is left of that time."""

    RETRY_AFTER = 5.0  # seconds without asking Redis after a failure

    def __init__(self, url: str, prefix: str) -> None:
        from redis import Redis

        self.client = Redis.from_url(url, socket_timeout=0.05, socket_connect_timeout=0.05)
        self.prefix = prefix
        self.down_until = 0.0

    def name(self, key: tuple) -> str:
        return self.prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    def get(self, key: tuple) -> tuple[Kept, float] | None:
        """(the page, seconds it has left) or None."""
        if time.monotonic() < self.down_until:
            return None
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.get(self.name(key))
            pipe.pttl(self.name(key))
            data, left_ms = pipe.execute()
        except Exception:
            self._failed()
            return None
        if not data or left_ms is None or left_ms <= 0:
            return None
        head, _, body = data.partition(b"\n")
        headers = [(str(name), str(value)) for name, value in json.loads(head)]
        return Kept(time.monotonic(), body, headers), left_ms / 1000

    def put(self, key: tuple, kept: Kept, ttl: float) -> None:
        if time.monotonic() < self.down_until:
            return
        try:
            self.client.set(self.name(key), json.dumps(kept.headers).encode() + b"\n" + kept.body, px=int(ttl * 1000))
        except Exception:
            self._failed()

    def _failed(self) -> None:
        log.warning("Kept pages: Redis did not answer; building pages without it for %.0f s", self.RETRY_AFTER)
        self.down_until = time.monotonic() + self.RETRY_AFTER


def store() -> PageStore:
    return current_app.extensions[EXTENSION]


def shared_store() -> SharedPages | None:
    return current_app.extensions.get(SHARED_EXTENSION)


def current_version() -> int | None:
    """The directory version now (None without its row: then nothing is kept)."""
    return db.session.scalar(select(DirectoryVersion.number).where(DirectoryVersion.id == 1))


def bump(connection: Any = None) -> None:
    """Every kept page is out of date: for writes that skip the session's events (``connection``:
    the one they were made on, so the bump commits with them)."""
    if connection is not None:
        connection.execute(_BUMP)
        return
    with db.engine.begin() as own:
        own.execute(_BUMP)


def _anonymous_read() -> bool:
    """An anonymous visitor's GET with no message waiting: what may be kept, and only reads."""
    return request.method in ("GET", "HEAD") and not current_user.is_authenticated and "_flashes" not in session


def _fit_to_keep(response: Response) -> bool:
    """What a proxy may keep (``caching.publicly_cacheable``: the same for every visitor), an
    HTML page, asked for with GET (a HEAD's answer is the GET's without its body)."""
    return request.method == "GET" and response.mimetype == "text/html" and publicly_cacheable(response)


def shared(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose page is the same for every anonymous visitor (for one address, language
    and day): it is answered from the worker's kept copy while the directory has not changed."""

    @wraps(view)
    def answer(*args: Any, **kwargs: Any) -> Any:
        if not _anonymous_read():
            return view(*args, **kwargs)
        # Only reads, so without a transaction: on PostgreSQL that saves a BEGIN and a ROLLBACK,
        # round trips that were half of a kept page's (``connections``).
        with reads_without_transaction():
            return _kept_or_built(view, args, kwargs)

    return answer


def _kept_or_built(view: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """An anonymous reader's page from what this worker or Redis keeps, or built and kept (when
    ``PAGE_CACHE_SECONDS`` keeps pages at all)."""
    if current_app.config.get("PAGE_CACHE_SECONDS", 0) <= 0:
        return view(*args, **kwargs)
    version = current_version()
    if version is None:
        return view(*args, **kwargs)
    key = (version, date.today().toordinal(), str(get_locale()), request.host_url, request.full_path)
    ttl = current_app.config["PAGE_CACHE_SECONDS"]
    pages, machine = store(), shared_store()
    found = pages.get(key, ttl)
    if found is None and machine is not None:
        taken = machine.get(key)
        if taken is not None:
            found, left = taken
            # Kept here only for what it has left in Redis: made as long ago as it was there.
            found.made -= ttl - left
            pages.put(key, found)
    if found is not None:
        return Response(found.body, status=200, headers=found.headers)
    response = make_response(view(*args, **kwargs))
    if _fit_to_keep(response):
        headers = [(name, value) for name, value in response.headers.items() if name != "Content-Length"]
        kept = Kept(time.monotonic(), response.get_data(), headers)
        pages.put(key, kept)
        if machine is not None:
            machine.put(key, kept, ttl)
    return response


def _statement_tables(state: Any) -> set[str] | None:
    """The table a bulk statement writes (None: not known, so counted as a change)."""
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    return {name} if name else None


def _note_statement(state: Any) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    tables = _statement_tables(state)
    if tables is None or not tables <= PRIVATE_TABLES:
        state.session.info[CHANGED] = True


def _note_flush(session: Session, _context: Any) -> None:
    if session.info.get(CHANGED):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table not in PRIVATE_TABLES and (obj not in session.dirty or session.is_modified(obj)):
            session.info[CHANGED] = True
            return


def _bump_before_commit(session: Session) -> None:
    session.flush()  # what the commit would flush next, so its changes are noted now
    if session.info.pop(CHANGED, False):
        session.execute(_BUMP)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(CHANGED, None)


def install(session_class: type[Session]) -> None:
    if session_class in _installed:
        return
    event.listen(session_class, "do_orm_execute", _note_statement)
    event.listen(session_class, "after_flush", _note_flush)
    event.listen(session_class, "before_commit", _bump_before_commit)
    event.listen(session_class, "after_rollback", _forget)
    _installed.append(session_class)


def init_app(app: Flask) -> None:
    app.config.setdefault("PAGE_CACHE_SECONDS", 60)
    app.config.setdefault("PAGE_CACHE_BYTES", 32 * 1024 * 1024)
    app.config.setdefault("PAGE_CACHE_REDIS_URL", "")
    app.extensions[EXTENSION] = PageStore(app.config["PAGE_CACHE_BYTES"])
    if app.config["PAGE_CACHE_REDIS_URL"] and app.config["PAGE_CACHE_SECONDS"] > 0:
        prefix = app.config.get("PAGE_CACHE_REDIS_PREFIX") or "cpspartners-pages:"
        app.extensions[SHARED_EXTENSION] = SharedPages(app.config["PAGE_CACHE_REDIS_URL"], prefix)
    from flask_sqlalchemy.session import Session as FlaskSession

    install(FlaskSession)
