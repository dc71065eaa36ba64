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
"""

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
from cpspartners.extensions import db
from cpspartners.models import DirectoryVersion

EXTENSION = "cpspartners_pagecache"
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


def store() -> PageStore:
    return current_app.extensions[EXTENSION]


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


def _applies() -> bool:
    """This request may be answered from, and its page kept in, what every anonymous visitor shares."""
    return (
        current_app.config.get("PAGE_CACHE_SECONDS", 0) > 0
        and request.method in ("GET", "HEAD")
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def _fit_to_keep(response: Response) -> bool:
    """What a proxy may keep (``caching.publicly_cacheable``: the same for every visitor), an
    HTML page, asked for with GET (a HEAD's answer is the GET's without its body)."""
    return request.method == "GET" and response.mimetype == "text/html" and publicly_cacheable(response)


def shared(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose page is the same for every anonymous visitor (for one address, language
    and day): it is answered from the worker's kept copy while the directory has not changed."""

    @wraps(view)
    def answer(*args: Any, **kwargs: Any) -> Any:
        if not _applies():
            return view(*args, **kwargs)
        version = current_version()
        if version is None:
            return view(*args, **kwargs)
        key = (version, date.today().toordinal(), str(get_locale()), request.host_url, request.full_path)
        pages = store()
        found = pages.get(key, current_app.config["PAGE_CACHE_SECONDS"])
        if found is not None:
            return Response(found.body, status=200, headers=found.headers)
        response = make_response(view(*args, **kwargs))
        if _fit_to_keep(response):
            headers = [(name, value) for name, value in response.headers.items() if name != "Content-Length"]
            pages.put(key, Kept(time.monotonic(), response.get_data(), headers))
        return response

    return answer


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
    app.extensions[EXTENSION] = PageStore(app.config["PAGE_CACHE_BYTES"])
    from flask_sqlalchemy.session import Session as FlaskSession

    install(FlaskSession)
