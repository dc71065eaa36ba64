"""Choosing a school by typing its name (or its CPS id), instead of a drop-down of all 652.

The drop-down made the opportunity list and the search page about 40 KB heavier each, on every
visit. A filter now takes text: a school id (what links and older bookmarks send), or a name,
resolved here. An exact name (accents and case aside) or one school whose name holds every word
typed is chosen; several are offered as links to choose from; none is said plainly. Works
without JavaScript; the shared suggestion script (static/js/search-suggest.js) fills the box's
``<datalist>`` from ``suggest`` as one types. The forms that ask for a school (registration, a
student's school, the newsletter) use the same rule through ``formtools.SchoolField``.

The list of names is kept in each process for ``TTL`` seconds: schools are reference data,
changed only by ``flask seed schools``, and a filter reads them on every request.
"""

import time
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from cpspartners.extensions import db
from cpspartners.models import School
from cpspartners.text import clean_query, fold

TTL = 300  # seconds a process keeps the school names before reading them again
MAX_OFFERED = 8
MAX_TYPED = 200

_names: dict = {"at": None, "rows": ()}


@dataclass
class Choice:
    """What a school field's text came to: the ``school_id`` chosen, or why none was."""

    typed: str = ""
    school_id: int | None = None
    name: str = ""
    matches: list = field(default_factory=list)  # (id, name) when several schools match
    note: object = None


def names():
    """(id, name, folded words) of every school, by name, read at most every ``TTL`` seconds."""
    now = time.monotonic()
    if _names["at"] is None or now - _names["at"] > TTL:
        rows = db.session.execute(select(School.id, School.long_name).order_by(School.long_name)).all()
        _names["rows"] = tuple((row.id, row.long_name, fold(row.long_name)) for row in rows)
        _names["at"] = now
    return _names["rows"]


def forget():
    """Drop the kept names (after seeding schools; tests)."""
    _names["at"] = None


def matching(text, limit=MAX_OFFERED):
    """(id, name) of the schools whose name holds every word of ``text``, names starting with it first."""
    words = fold(clean_query(text, MAX_TYPED)).split()
    if not words:
        return []
    start = " ".join(words)
    found = [(not folded.startswith(start), name, sid) for sid, name, folded in names() if _has_all(folded, words)]
    return [(sid, name) for _later, name, sid in sorted(found)[:limit]]


def _has_all(folded, words):
    return all(word in folded for word in words)


def resolve(value):
    """A ``Choice`` for what a school field sent: empty, an id, or a name."""
    typed = clean_query(value, MAX_TYPED) if isinstance(value, str) else ""
    if not typed:
        return Choice()
    by_id = {sid: name for sid, name, _folded in names()}
    if typed.isdigit():
        if int(typed) in by_id:
            return Choice(typed, int(typed), by_id[int(typed)])
        return Choice(typed, note=_l("The school choice was ignored: it is not one we know."))
    exact = [(sid, name) for sid, name, folded in names() if folded == fold(typed)]
    found = exact or matching(typed, MAX_OFFERED + 1)
    if len(found) == 1:
        return Choice(typed, found[0][0], found[0][1])
    if not found:
        return Choice(
            typed,
            note=_l(
                "No school matches \u201c%(typed)s\u201d. Check the spelling or type less of the name.", typed=typed
            ),
        )
    return Choice(
        typed,
        matches=found[:MAX_OFFERED],
        note=_l(
            "Several schools match \u201c%(typed)s\u201d: choose one below, or type more of the name.", typed=typed
        ),
    )


def with_school_id(args, choice):
    """``args`` with ``school`` replaced by the chosen id (or left out), for parsers that take a number."""
    cleaned = MultiDict(args)
    cleaned.poplist("school")
    if choice.school_id is not None:
        cleaned["school"] = str(choice.school_id)
    return cleaned
