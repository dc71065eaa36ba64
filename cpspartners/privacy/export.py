"""Everything held about one student, for the student's (or a parent's) copy (SOPPA 85/33(c)).

The sections follow the inventory: every table with a row about the student, every declared
column. Other features add sections with ``register_section`` (the disclosure log, consents):
a provider takes the student and returns a ``Section`` or None.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.privacy import inventory
from cpspartners.services.privacy import student_rows


@dataclass
class Section:
    key: str
    title: object  # a lazy string, shown in the reader's language
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: object = ""


Provider = Callable[[Any], "Section | None"]
PROVIDERS: list[Provider] = []


def register_section(provider: Provider) -> Provider:
    """Add a section to every copy (usable as a decorator)."""
    PROVIDERS.append(provider)
    return provider


# Columns never shown even in the person's own copy: secrets, not information about them.
WITHHELD = {
    ("user", "password_hash"): _l("(kept as a one-way hash; not shown)"),
    ("record_share", "token_hash"): _l("(kept as a one-way hash; not shown)"),
    ("user", "totp_secret"): _l("(a sign-in secret; not shown)"),
}


def _value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _table_section(name: str, student_id: int) -> Section | None:
    where = student_rows(name, student_id)
    if where is None:
        return None
    table = db.metadata.tables[name]
    entry = inventory.TABLES[name]
    rows = []
    for row in db.session.execute(select(table).where(where)).mappings():
        values = {}
        for column in entry.fields:
            withheld = WITHHELD.get((name, column))
            values[column] = str(withheld) if withheld else _value(row[column])
        rows.append(values)
    if not rows:
        return None
    return Section(key=name, title=entry.about, rows=rows)


def build(student: Any) -> list[Section]:
    """Every section with something in it, inventory tables first, then the providers'."""
    sections = [s for s in (_table_section(name, student.id) for name in inventory.TABLES) if s]
    for provider in PROVIDERS:
        section = provider(student)
        if section is not None:
            sections.append(section)
    return sections


def as_json(student: Any, language: str) -> str:
    sections = build(student)
    payload = {
        "student": student.id,
        "language": language,
        "generated_at": datetime.now().astimezone().isoformat(),
        "sections": [{"key": s.key, "title": str(s.title), "note": str(s.note), "rows": s.rows} for s in sections],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)
