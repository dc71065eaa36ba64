"""Import partners and opportunities from a spreadsheet: a dry run, then all or nothing.

Rows are matched on ``external_id``: a row whose values equal what is stored is "unchanged",
so importing the same file twice changes nothing. ``plan`` never writes; ``apply`` writes
every create and update in one transaction or, if any row is rejected, nothing at all.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.formats.spreadsheets import Column, Row, duplicate_ids, parse
from cpspartners.models import CommunityArea, Opportunity, Partner, School
from cpspartners.services._base import transaction
from cpspartners.services.errors import RuleBroken
from cpspartners.taxonomy import (
    AUDIENCES,
    CAREER_CLUSTERS,
    LANGUAGES,
    MODALITIES,
    OPPORTUNITY_KINDS,
    OPPORTUNITY_STATUSES,
    PARTNER_KINDS,
    PARTNER_STATUSES,
    codes,
)
from cpspartners.text import slugify

LANGUAGE_CODES = codes(LANGUAGES)

PARTNER_COLUMNS = (
    Column("external_id", required=True, max_length=80),
    Column("name", required=True, max_length=200),
    Column("kind", kind="choice", required=True, choices=codes(PARTNER_KINDS)),
    Column("mission", max_length=4000),
    Column("mission_es", max_length=4000),
    Column("website", max_length=300),
    Column("contact_email", max_length=254),
    Column("contact_phone", max_length=20),
    Column("address", max_length=200),
    Column("community_area", kind="int", low=1, high=77),
    Column("languages", kind="list", choices=LANGUAGE_CODES),
    Column("status", kind="choice", choices=codes(PARTNER_STATUSES)),
)

OPPORTUNITY_COLUMNS = (
    Column("external_id", required=True, max_length=80),
    Column("partner_external_id", required=True, max_length=80),
    Column("kind", kind="choice", required=True, choices=codes(OPPORTUNITY_KINDS)),
    Column("title", required=True, max_length=200),
    Column("title_es", max_length=200),
    Column("summary", max_length=500),
    Column("summary_es", max_length=500),
    Column("description", max_length=8000),
    Column("description_es", max_length=8000),
    Column("clusters", kind="list", choices=codes(CAREER_CLUSTERS)),
    Column("tags", kind="list", max_length=400),
    Column("grade_min", kind="int", low=0, high=12),
    Column("grade_max", kind="int", low=0, high=12),
    Column("audience", kind="choice", choices=codes(AUDIENCES)),
    Column("modality", kind="choice", choices=codes(MODALITIES)),
    Column("school_ids", kind="list", max_length=400),
    Column("community_area", kind="int", low=1, high=77),
    Column("address", max_length=200),
    Column("starts_on", kind="date"),
    Column("ends_on", kind="date"),
    Column("deadline", kind="date"),
    Column("capacity", kind="int", low=0, high=100_000),
    Column("paid", kind="bool"),
    Column("transportation", kind="bool"),
    Column("languages", kind="list", choices=LANGUAGE_CODES),
    Column("credential", max_length=200),
    Column("status", kind="choice", choices=tuple(s for s in codes(OPPORTUNITY_STATUSES) if s != "pending_review")),
)

SPECS = {"partners": (Partner, PARTNER_COLUMNS), "opportunities": (Opportunity, OPPORTUNITY_COLUMNS)}


@dataclass
class PlannedRow:
    number: int
    external_id: str
    action: str  # create | update | unchanged | reject
    reasons: list = field(default_factory=list)
    changes: dict = field(default_factory=dict)  # field -> (old, new) for updates


@dataclass
class ImportPlan:
    what: str
    rows: list

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def ok(self) -> bool:
        return self.count("reject") == 0


def plan(what: str, raw: bytes, max_rows: int = 100_000) -> ImportPlan:
    """A dry run: what each row would do. Raises ``ImportFileError`` for file-level problems."""
    model, columns = SPECS[what]
    rows = parse(raw, columns, max_rows=max_rows)
    duplicate_ids(rows, "external_id")
    existing = load_existing(model, [r.values.get("external_id") for r in rows if r.values.get("external_id")])
    context = lookups(rows) if what == "opportunities" else {}
    planned = []
    for row in rows:
        reasons = list(row.errors)
        if not reasons:
            reasons.extend(cross_checks(what, row.values, context))
        if reasons:
            planned.append(PlannedRow(row.number, row.values.get("external_id", ""), "reject", reasons))
            continue
        values = to_model_values(what, row.values, context)
        current = existing.get(row.values["external_id"])
        if current is None:
            planned.append(PlannedRow(row.number, row.values["external_id"], "create", changes=values))
        else:
            changes = differences(what, current, values)
            planned.append(
                PlannedRow(row.number, row.values["external_id"], "update" if changes else "unchanged", changes=changes)
            )
    return ImportPlan(what, planned)


def load_existing(model: type[Partner] | type[Opportunity], external_ids: list[str]) -> dict[str, Any]:
    found = {}
    for start in range(0, len(external_ids), 900):  # stay under SQLite's parameter limit
        chunk = external_ids[start : start + 900]
        for obj in db.session.scalars(select(model).where(model.external_id.in_(chunk))):
            found[obj.external_id] = obj
    return found


def lookups(rows: Iterable[Row]) -> dict[str, Any]:
    partner_ids = {r.values.get("partner_external_id") for r in rows} - {None}
    partners = (
        dict(
            db.session.execute(select(Partner.external_id, Partner.id).where(Partner.external_id.in_(partner_ids)))
            .tuples()
            .all()
        )
        if partner_ids
        else {}
    )
    schools = set(db.session.scalars(select(School.id)))
    areas = set(db.session.scalars(select(CommunityArea.number)))
    return {"partners": partners, "schools": schools, "areas": areas}


def cross_checks(what: str, values: Mapping[str, Any], context: Mapping[str, Any]) -> list[str]:
    """Rules that need more than one cell, or the database."""
    reasons: list[str] = []
    if what != "opportunities":
        return reasons
    if values.get("partner_external_id") not in context["partners"]:
        reasons.append("partner_external_id: no partner with that id (import partners first)")
    low, high = values.get("grade_min"), values.get("grade_max")
    if low is not None and high is not None and low > high:
        reasons.append("grade_min is above grade_max")
    if values.get("starts_on") and values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        reasons.append("ends_on is before starts_on")
    for school in values.get("school_ids") or []:
        if not school.isdigit() or int(school) not in context["schools"]:
            reasons.append("school_ids: %s is not a CPS school id" % school)
    return reasons


def to_model_values(what: str, values: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """Column values to model attribute values (only the columns present in the file)."""
    out = {}
    for name, value in values.items():
        if name == "community_area":
            out["community_area_number"] = value
        elif name == "languages":
            out["languages"] = ",".join(value) if value else "en"
        elif name == "partner_external_id":
            out["partner_id"] = context["partners"][value]
        elif name == "school_ids":
            out["school_ids"] = sorted(int(s) for s in value)
        elif name in ("clusters", "tags"):
            out[name] = sorted(dict.fromkeys(v.lower() if name == "tags" else v for v in value))
        elif value is None and name in (
            "mission",
            "mission_es",
            "website",
            "contact_email",
            "contact_phone",
            "address",
            "title_es",
            "summary",
            "summary_es",
            "description",
            "description_es",
            "credential",
        ):
            out[name] = ""
        elif value is None and name in ("paid", "transportation"):
            out[name] = False
        else:
            out[name] = value
    out.pop("external_id", None)
    return out


def current_value(obj: Partner | Opportunity, name: str) -> Any:
    if name == "school_ids":
        return sorted(school.id for school in obj.schools)
    if name in ("clusters", "tags"):
        return sorted(getattr(obj, name))
    return getattr(obj, name)


def differences(what: str, obj: Partner | Opportunity, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        name: (current_value(obj, name), new)
        for name, new in values.items()
        if current_value(obj, name) != new and not (name in ("grade_min", "grade_max", "status") and new is None)
    }


@transaction
def apply(plan_: ImportPlan, progress: Callable[[int], object] = lambda n: None) -> dict[str, int]:
    """Write every create and update in one transaction; refuse if any row was rejected."""
    if not plan_.ok:
        raise RuleBroken(_l("The import has rejected rows; fix them and try again. Nothing was written."))
    model, _columns = SPECS[plan_.what]
    existing = load_existing(model, [row.external_id for row in plan_.rows if row.action == "update"])
    for row in plan_.rows:
        if row.action == "create":
            obj = model(external_id=row.external_id)
            set_values(obj, dict(row.changes.items()), plan_.what)
            db.session.add(obj)
        elif row.action == "update":
            new_values = {name: new for name, (_old, new) in row.changes.items()}
            set_values(existing[row.external_id], new_values, plan_.what)
        progress(1)
    return {action: plan_.count(action) for action in ("create", "update", "unchanged")}


def set_values(obj: Partner | Opportunity, values: Mapping[str, Any], what: str) -> None:
    for name, value in values.items():
        if name == "school_ids":
            obj.schools = db.session.scalars(select(School).where(School.id.in_(value))).all() if value else []
        elif value is not None or name not in ("grade_min", "grade_max", "status"):
            setattr(obj, name, value)
    if not obj.slug:
        label = obj.name if what == "partners" else obj.title
        obj.slug = unique_slug(type(obj), slugify("%s %s" % (label, obj.external_id), 150))
    if what == "partners" and not obj.status:
        obj.status = "pending"
    if what == "opportunities" and not obj.status:
        obj.status = "draft"


def unique_slug(model: type[Partner] | type[Opportunity], base: str) -> str:
    slug, n = base, 1
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        n += 1
        slug = "%s-%d" % (base, n)
    return slug
