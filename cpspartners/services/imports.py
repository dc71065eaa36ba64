"""Import partners and opportunities from a spreadsheet: a dry run, then the same checks again as
every row is written through the services the forms use.

Rows are matched on ``external_id``: a row whose values equal what is stored is "unchanged",
so importing the same file (or the site's own export) again changes nothing. ``plan`` never
writes. ``import_file`` records an ``ImportRun`` under the commit token (posted twice, applied
once), runs the dry run again and, if every row passes, writes batch by batch: each batch is
checked again as it is written and committed with the run's progress, so a 100,000-row file
neither holds every object in memory nor hides its progress. The checks are the forms' rules
(``fieldrules``), the columns' lengths (read from the models), the publishing gate
(``listings.check_publishable``) and the review rule (a partner's waiting change is decided
first), so a file that passed the dry run does not fail when written, on SQLite or PostgreSQL.

Updates go through ``listings.edit_directly`` (a specialist's correction: audited, behind the
gate); a new partner without a status waits in the review queue with a change request, as one
proposed at registration does; every audit entry is tied to the import run.
"""

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import islice
from types import SimpleNamespace
from typing import Any, cast

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload

from cpspartners.extensions import db
from cpspartners.fieldrules import email_problem, phone_problem, tags_problem, url_problem
from cpspartners.formats.spreadsheets import Column, ImportFileError, Row, fold, iter_rows
from cpspartners.i18n import freeze
from cpspartners.models import ChangeRequest, CommunityArea, ImportRun, Opportunity, Partner, School, User
from cpspartners.models.statistics import DIRECTORY_TABLES, analyze
from cpspartners.services import listings
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.audit import import_run, jsonable, record
from cpspartners.services.errors import RuleBroken, ServiceError
from cpspartners.taxonomy import (
    AUDIENCES,
    CAREER_CLUSTERS,
    LANGUAGES,
    MODALITIES,
    OPPORTUNITY_DRAFT,
    OPPORTUNITY_KINDS,
    OPPORTUNITY_PENDING_REVIEW,
    OPPORTUNITY_PUBLISHED,
    OPPORTUNITY_STATUSES,
    PARTNER_KINDS,
    PARTNER_PENDING,
    PARTNER_STATUSES,
    codes,
)
from cpspartners.text import slugify

logger = logging.getLogger(__name__)
BATCH = 1000  # rows planned, written and committed together
KEEP = 1000  # rows of each sort a plan keeps to show; the counts cover all
SHOWN = 1000  # rows a report keeps (rejections first): the check page shows them


def length(model: type[Partner] | type[Opportunity], name: str) -> int:
    """The column's length in the database: the one limit, read where it is declared."""
    return int(model.__table__.c[name].type.length)


# Columns whose labels (both languages, any case) are read as their codes; see ``with_aliases``.
VOCABULARIES: dict[str, tuple] = {
    "kind": (),  # filled per file kind below
    "audience": AUDIENCES,
    "modality": MODALITIES,
    "clusters": CAREER_CLUSTERS,
    "languages": LANGUAGES,
}

PARTNER_COLUMNS = (
    Column("external_id", required=True, max_length=length(Partner, "external_id")),
    Column("name", required=True, max_length=length(Partner, "name")),
    Column("kind", kind="choice", required=True, choices=codes(PARTNER_KINDS)),
    Column("mission", max_length=4000),
    Column("mission_es", max_length=4000),
    Column("website", max_length=length(Partner, "website"), rule=url_problem),
    Column("contact_email", max_length=length(Partner, "contact_email"), rule=email_problem),
    Column("contact_phone", max_length=length(Partner, "contact_phone"), rule=phone_problem),
    Column("address", max_length=length(Partner, "address")),
    Column("community_area", kind="int", low=1, high=77),
    Column("languages", kind="list", choices=codes(LANGUAGES), joined_length=length(Partner, "languages")),
    Column("status", kind="choice", choices=codes(PARTNER_STATUSES)),
)

OPPORTUNITY_COLUMNS = (
    Column("external_id", required=True, max_length=length(Opportunity, "external_id")),
    Column("partner_external_id", required=True, max_length=length(Partner, "external_id")),
    Column("kind", kind="choice", required=True, choices=codes(OPPORTUNITY_KINDS)),
    Column("title", required=True, max_length=length(Opportunity, "title")),
    Column("title_es", max_length=length(Opportunity, "title_es")),
    Column("summary", max_length=length(Opportunity, "summary")),
    Column("summary_es", max_length=length(Opportunity, "summary_es")),
    Column("description", max_length=8000),
    Column("description_es", max_length=8000),
    Column("clusters", kind="list", choices=codes(CAREER_CLUSTERS)),
    Column("tags", kind="list", max_length=1000, rule=tags_problem),
    Column("grade_min", kind="int", low=0, high=12),
    Column("grade_max", kind="int", low=0, high=12),
    Column("audience", kind="choice", choices=codes(AUDIENCES)),
    Column("modality", kind="choice", choices=codes(MODALITIES)),
    Column("school_ids", kind="list", max_length=4000),
    Column("community_area", kind="int", low=1, high=77),
    Column("address", max_length=length(Opportunity, "address")),
    Column("starts_on", kind="date"),
    Column("ends_on", kind="date"),
    Column("deadline", kind="date"),
    Column("schedule", max_length=length(Opportunity, "schedule")),
    Column("schedule_es", max_length=length(Opportunity, "schedule_es")),
    Column("capacity", kind="int", low=0, high=100_000),
    Column("paid", kind="bool"),
    Column("transportation", kind="bool"),
    Column("languages", kind="list", choices=codes(LANGUAGES), joined_length=length(Opportunity, "languages")),
    Column("credential", max_length=length(Opportunity, "credential")),
    Column("status", kind="choice", choices=codes(OPPORTUNITY_STATUSES)),
)

SPECS = {"partners": (Partner, PARTNER_COLUMNS), "opportunities": (Opportunity, OPPORTUNITY_COLUMNS)}
KIND_VOCABULARY = {"partners": PARTNER_KINDS, "opportunities": OPPORTUNITY_KINDS}
STATUS_VOCABULARY = {"partners": PARTNER_STATUSES, "opportunities": OPPORTUNITY_STATUSES}
# Values the services store as "" or False when a cell is empty.
EMPTY_TEXT = (
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
    "schedule",
    "schedule_es",
    "credential",
)


def aliases(pairs: Iterable[tuple]) -> dict[str, str]:
    """Folded spellings of each code: the code, the English and Spanish labels, a name."""
    out: dict[str, str] = {}
    for entry in pairs:
        code = entry[0]
        out[fold(code)] = code
        for name in entry[1:-1]:  # CAREER_CLUSTERS carries the Framework's name as well
            out[fold(name)] = code
        for locale in ("en", "es"):
            with force_locale(locale):
                out[fold(entry[-1])] = code
    return out


def with_aliases(what: str, columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """The columns with their labels attached (made per file: the Spanish needs the app)."""
    vocabularies = dict(VOCABULARIES, kind=KIND_VOCABULARY[what], status=STATUS_VOCABULARY[what])
    areas = {
        fold(name): number for number, name in db.session.execute(select(CommunityArea.number, CommunityArea.name))
    }
    out = []
    for column in columns:
        if column.name in vocabularies:
            column = replace(column, aliases=aliases(vocabularies[column.name]))
        elif column.name == "community_area":
            column = replace(column, aliases=areas)
        out.append(column)
    return tuple(out)


@dataclass
class PlannedRow:
    number: int
    external_id: str
    action: str  # create | update | unchanged | reject
    reasons: list = field(default_factory=list)
    changes: dict = field(default_factory=dict)  # field -> (old, new) for updates, field -> value for creates


@dataclass
class ImportPlan:
    """What a file would do: counts of every row, and the first ``KEEP`` rows of each sort."""

    what: str
    rows: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def add(self, row: PlannedRow) -> None:
        self.counts[row.action] = self.counts.get(row.action, 0) + 1
        if self.counts[row.action] <= KEEP:
            self.rows.append(row)

    def count(self, action: str) -> int:
        return self.counts.get(action, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ok(self) -> bool:
        return self.count("reject") == 0


@dataclass
class Step:
    """One planned row and what writing it needs: the stored record, the model values, the partner."""

    row: PlannedRow
    values: dict
    obj: Any = None
    partner: Partner | None = None
    schools: list = field(default_factory=list)


@dataclass
class Context:
    """What every batch of one file shares: ids seen so far, the schools, the file's columns."""

    what: str
    columns: tuple
    seen: dict = field(default_factory=dict)
    schools: dict = field(default_factory=dict)


def plan(
    what: str, raw: bytes, max_rows: int = 100_000, progress: Callable[[int], object] = lambda n: None
) -> ImportPlan:
    """A dry run: what each row would do. Raises ``ImportFileError`` for file-level problems."""
    result = ImportPlan(what)
    for batch in planned_batches(what, raw, max_rows):
        for step in batch:
            result.add(step.row)
        progress(len(batch))
    return result


def planned_batches(what: str, raw: bytes, max_rows: int = 100_000) -> Iterator[list[Step]]:
    """The file, ``BATCH`` rows at a time, each row planned against the database as it is now."""
    model, columns = SPECS[what]
    context = Context(what, with_aliases(what, columns))
    if what == "opportunities":
        context.schools = {school.id: school for school in db.session.scalars(select(School))}
    rows = iter_rows(raw, context.columns, max_rows=max_rows)
    while batch := list(islice(rows, BATCH)):
        yield plan_batch(context, batch)


def plan_batch(context: Context, rows: list[Row]) -> list[Step]:
    what = context.what
    model, _columns = SPECS[what]
    for row in rows:
        key = row.values.get("external_id")
        if key in (None, ""):
            continue
        if key in context.seen:
            row.reject(
                "external_id", _l("%(value)s already appears on line %(line)d", value=key, line=context.seen[key])
            )
        else:
            context.seen[key] = row.number
    existing = load_existing(model, [r.values["external_id"] for r in rows if r.values.get("external_id")])
    wanted = {r.values["partner_external_id"] for r in rows if r.values.get("partner_external_id")}
    partners = load_partners(wanted) if what == "opportunities" else {}
    steps = []
    for row in rows:
        external_id = row.values.get("external_id") or ""
        reasons = list(row.errors)
        partner = partners.get(row.values.get("partner_external_id") or "")
        if not reasons:
            reasons.extend(cross_checks(context, row.values, partner))
        if reasons:
            steps.append(Step(PlannedRow(row.number, external_id, "reject", reasons), {}))
            continue
        values = to_model_values(what, row.values, partner)
        current = existing.get(external_id)
        if current is None:
            planned = PlannedRow(row.number, external_id, "create", changes=values)
        else:
            changes = differences(current, values)
            planned = PlannedRow(row.number, external_id, "update" if changes else "unchanged", changes=changes)
        if planned.action != "unchanged":
            planned.reasons = write_checks(what, planned, current, values, partner)
            if planned.reasons:
                planned.action = "reject"
        schools = [context.schools[i] for i in values.get("school_ids") or []]
        steps.append(Step(planned, values, current, partner, schools))
    return steps


def load_existing(model: type[Partner] | type[Opportunity], external_ids: list[str]) -> dict[str, Any]:
    stmt = select(model)
    if model is Opportunity:
        # What ``differences`` and the gate read, in a few queries per batch rather than per row.
        stmt = stmt.options(
            joinedload(Opportunity.partner).selectinload(Partner.vetting_records),
            selectinload(Opportunity.schools),
            selectinload(Opportunity.cluster_rows),
            selectinload(Opportunity.tag_rows),
        )
    found = {}
    for start in range(0, len(external_ids), 900):  # stay under SQLite's parameter limit
        chunk = external_ids[start : start + 900]
        for obj in db.session.scalars(stmt.where(model.external_id.in_(chunk))):
            found[obj.external_id] = obj
    return found


def load_partners(external_ids: set[str]) -> dict[str, Partner]:
    if not external_ids:
        return {}
    stmt = select(Partner).options(selectinload(Partner.vetting_records))
    return {p.external_id: p for p in db.session.scalars(stmt.where(Partner.external_id.in_(external_ids)))}


def cross_checks(context: Context, values: Mapping[str, Any], partner: Partner | None) -> list[Any]:
    """Rules that need more than one cell, or the database."""
    reasons: list[Any] = []
    if context.what != "opportunities":
        return reasons
    if partner is None:
        reasons.append(_l("partner_external_id: no partner with that id (import partners first)"))
    low, high = values.get("grade_min"), values.get("grade_max")
    if low is not None and high is not None and low > high:
        reasons.append(_l("grade_min is above grade_max"))
    if values.get("starts_on") and values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        reasons.append(_l("ends_on is before starts_on"))
    for school in values.get("school_ids") or []:
        if not school.isdigit() or int(school) not in context.schools:
            reasons.append(_l("school_ids: %(id)s is not a CPS school id", id=school))
    return reasons


def write_checks(
    what: str, planned: PlannedRow, current: Any, values: Mapping[str, Any], partner: Partner | None
) -> list[Any]:
    """What the services would refuse when the row is written: said now, in the dry run."""
    reasons: list[Any] = []
    subject_type = "partner" if what == "partners" else "opportunity"
    if current is not None and listings.open_request(subject_type, current.id) is not None:
        reasons.append(_l("A change from the partner is waiting for review: decide it first."))
    if what != "opportunities":
        return reasons
    status = values.get("status") or (current.status if current is not None else OPPORTUNITY_DRAFT)
    if values.get("status") == OPPORTUNITY_PENDING_REVIEW and (current is None or current.status != status):
        reasons.append(_l("status: pending_review is set by the review queue; use draft or published"))
    if status == OPPORTUNITY_PUBLISHED:
        audience = values.get("audience") or (current.audience if current is not None else "students")
        # The listing as it would be, for the one publishing gate (a stand-in: nothing is added).
        would_be = SimpleNamespace(partner=partner or current.partner, audience=audience)
        try:
            listings.check_publishable(cast(Opportunity, would_be))
        except RuleBroken as refusal:
            reasons.append(refusal.args[0] if refusal.args else str(refusal))
    return reasons


def to_model_values(what: str, values: Mapping[str, Any], partner: Partner | None) -> dict[str, Any]:
    """Column values to model attribute values (only the columns present in the file)."""
    out = {}
    for name, value in values.items():
        if name == "community_area":
            out["community_area_number"] = value
        elif name == "languages":
            out["languages"] = ",".join(value) if value else "en"
        elif name == "partner_external_id":
            out["partner_id"] = partner.id if partner is not None else None
        elif name == "school_ids":
            out["school_ids"] = sorted({int(s) for s in value})
        elif name in ("clusters", "tags"):
            out[name] = sorted(dict.fromkeys(v.lower() if name == "tags" else v for v in value))
        elif value is None and name in EMPTY_TEXT:
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


def differences(obj: Partner | Opportunity, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        name: (current_value(obj, name), new)
        for name, new in values.items()
        if current_value(obj, name) != new and not (name in ("grade_min", "grade_max", "status") and new is None)
    }


# The run: a token recorded once, the dry run again, then the writes.


def report(planned: ImportPlan, filename: str = "", shown: int = SHOWN) -> dict[str, Any]:
    """A dry run as plain JSON data (kept beside the upload, read by the check page).

    Rejections first, then the rows that would change; a 100,000-row file keeps its first
    ``shown`` of them and the counts of all. Messages are frozen (``i18n.freeze``), so the page
    shows them in the reader's language whichever process and locale did the check.
    """
    rows = sorted((r for r in planned.rows if r.action != "unchanged"), key=lambda r: r.action != "reject")[:shown]
    return {
        "state": "checked",
        "what": planned.what,
        "filename": filename,
        "counts": dict(planned.counts),
        "rows": [
            {
                "number": r.number,
                "external_id": r.external_id,
                "action": r.action,
                "reasons": [freeze(reason) for reason in r.reasons],
                "changes": {name: plain(value) for name, value in r.changes.items()} if r.action == "update" else {},
            }
            for r in rows
        ],
    }


def file_report(what: str, filename: str, error: ImportFileError) -> dict[str, Any]:
    """The report of a file that cannot be read at all."""
    return {
        "state": "unreadable",
        "what": what,
        "filename": filename,
        "error": freeze(error.args[0] if error.args else ""),
    }


def plain(value: Any) -> Any:
    """A value of a planned change as JSON: lists and pairs element by element, dates as text."""
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def find_run(token: str) -> ImportRun | None:
    return db.session.scalar(select(ImportRun).where(ImportRun.token == token))


def start(actor: User | None, what: str, token: str, filename: str = "") -> tuple[ImportRun, bool]:
    """The run for ``token``, and whether this call made it: a token posted twice finds the first run."""
    run = find_run(token)
    if run is not None:
        return run, False
    run = ImportRun(
        token=token, actor_id=getattr(actor, "id", None), what=what, filename=filename[:255], state="queued"
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:  # the same token posted at the same instant: the other post won
        db.session.rollback()
        return cast(ImportRun, find_run(token)), False
    return run, True


def execute(run: ImportRun, raw: bytes, progress: Callable[[int], object] = lambda n: None) -> ImportRun:
    """Check the whole file again, then write it batch by batch; the run says how it went."""
    if run.state != "queued":
        return run  # applied once
    actor = db.session.get(User, run.actor_id) if run.actor_id else None
    run.state = "running"
    db.session.commit()
    try:
        checked = plan(run.what, raw)
        run.total_rows = checked.total
        db.session.commit()
        if not checked.ok:
            raise RuleBroken(_l("The import has rejected rows; fix them and try again. Nothing was written."))
        counts = {"create": 0, "update": 0, "unchanged": 0}
        for batch in planned_batches(run.what, raw):
            write_batch(run, actor, batch)
            for step in batch:
                counts[step.row.action] += 1
            progress(len(batch))
    except (ServiceError, ImportFileError, SQLAlchemyError) as error:
        return failed(run, str(error))
    except Exception:  # a bug: the run says it failed rather than staying "running" for ever
        logger.exception("import run %s failed", run.id)
        return failed(run, str(_l("The import stopped on an unexpected error. Nothing more was written.")))
    run.state, run.summary, run.finished_at = "done", counts, utcnow()
    db.session.commit()
    if counts["create"] or counts["update"]:
        analyze(DIRECTORY_TABLES + ("audit_entry", "change_request"))
    return run


def failed(run: ImportRun, error: str) -> ImportRun:
    db.session.rollback()
    run.state, run.error, run.finished_at = "failed", error[:2000], utcnow()
    db.session.commit()
    return run


def import_file(
    what: str,
    raw: bytes,
    actor: User | None = None,
    token: str | None = None,
    filename: str = "",
    progress: Callable[[int], object] = lambda n: None,
) -> ImportRun:
    """Record and run an import at once (the command line, tests). Returns the finished run."""
    run, fresh = start(actor, what, token or secrets.token_urlsafe(24), filename)
    return execute(run, raw, progress) if fresh else run


@transaction
def write_batch(run: ImportRun, actor: User | None, steps: list[Step]) -> None:
    """Write one batch, and its progress, in one transaction: all of it or, if anything is refused, none."""
    refused = [step.row for step in steps if step.row.action == "reject"]
    if refused:  # the directory changed since the dry run
        first = refused[0]
        raise RuleBroken(
            _l(
                "Line %(line)d no longer passes the checks (%(reasons)s); %(done)d rows were written before it.",
                line=first.number,
                reasons="; ".join(str(r) for r in first.reasons),
                done=run.done_rows,
            )
        )
    with import_run(run.id), db.session.no_autoflush:
        created = [step for step in steps if step.row.action == "create"]
        slugs = unique_slugs(run.what, created)
        for step in created:
            step.obj = build(run.what, step, slugs[step.row.external_id], step.schools)
            db.session.add(step.obj)
    db.session.flush()  # one INSERT pass for the batch; the new rows have ids from here on
    # No flush per row (a lazy load would flush each audit entry alone): one at the commit.
    with import_run(run.id), db.session.no_autoflush:
        for step in created:
            record_creation(run, actor, step)
        for step in steps:
            if step.row.action == "update":
                update(actor, step)
        run.done_rows += len(steps)


def build(what: str, step: Step, slug: str, schools: list[School]) -> Partner | Opportunity:
    values = dict(step.values)
    values.pop("school_ids", None)
    if what == "partners":
        values.setdefault("status", PARTNER_PENDING)
        values["status"] = values["status"] or PARTNER_PENDING
        return Partner(external_id=step.row.external_id, slug=slug, **values)
    values["status"] = values.get("status") or OPPORTUNITY_DRAFT
    for name in ("grade_min", "grade_max"):
        if values.get(name) is None:
            values.pop(name, None)
    values.pop("partner_id", None)
    opp = Opportunity(external_id=step.row.external_id, slug=slug, partner=step.partner, schools=schools)
    for name, value in values.items():
        setattr(opp, name, value)
    return opp


def record_creation(run: ImportRun, actor: User | None, step: Step) -> None:
    obj = step.obj
    subject_type = "partner" if isinstance(obj, Partner) else "opportunity"
    changes = {name: [None, jsonable(value)] for name, value in step.values.items() if value not in (None, "", [])}
    changes["status"] = [None, obj.status]
    filename = run.filename or _l("a file")
    waiting = False
    if isinstance(obj, Partner) and obj.status == PARTNER_PENDING:
        # Into the review queue, like a partner proposed at registration: a specialist decides.
        request = ChangeRequest(
            subject_type="partner",
            subject_id=obj.id,
            is_new=True,
            proposed=listings.snapshot(obj),
            submitted_by_id=getattr(actor, "id", None),
            submitted_at=utcnow(),
        )
        db.session.add(request)
        waiting = True
    if isinstance(obj, Opportunity) and obj.status == OPPORTUNITY_PUBLISHED:
        listings.check_publishable(obj)  # checked in the dry run; the gate holds here too
    note = (
        _l("imported from %(file)s; waiting for review", file=filename)
        if waiting
        else _l("imported from %(file)s", file=filename)
    )
    record(actor, "created", subject_type, obj.id, changes, note=note)


def update(actor: User | None, step: Step) -> None:
    """A specialist's correction, through the same service as the edit form."""
    obj = step.obj
    changes = step.row.changes
    fields = listings.PARTNER_FIELDS if isinstance(obj, Partner) else listings.OPPORTUNITY_FIELDS
    values = {name: new for name, (_old, new) in changes.items() if name != "school_ids"}
    # Columns the edit form's snapshot leaves out, with their real old values for the audit entry.
    extra = {name: [jsonable(old), jsonable(new)] for name, (old, new) in changes.items() if name not in fields}
    if "school_ids" in changes:
        obj.schools = step.schools
    if "partner_id" in changes:
        obj.partner = db.session.get(Partner, changes["partner_id"][1])
    if values:
        recorded = listings.edit_directly(cast(User, actor), obj, values)
        recorded.update(extra)  # the dict the entry holds, not yet flushed
    else:  # only the schools changed, which the edit form does not cover
        record(actor, "updated", "opportunity", obj.id, extra, note=_l("edited by a specialist"))


def unique_slugs(what: str, steps: list[Step]) -> dict[str, str]:
    """A free slug for each new row: one query per batch, not one per row."""
    model = Partner if what == "partners" else Opportunity
    limit = length(model, "slug") - 8  # room for a "-n" suffix
    wanted = {
        step.row.external_id: slugify(
            "%s %s" % (step.values.get("name" if what == "partners" else "title", ""), step.row.external_id), limit
        )
        for step in steps
    }
    taken: set[str] = set()
    values = list(set(wanted.values()))
    for start_ in range(0, len(values), 900):
        chunk = values[start_ : start_ + 900]
        like = select(model.slug).where(model.slug.in_(chunk))
        taken.update(db.session.scalars(like))
    out = {}
    for external_id, base in wanted.items():
        slug, n = base, 1
        while slug in taken or (n > 1 and db.session.scalar(select(model.id).where(model.slug == slug))):
            n += 1
            slug = "%s-%d" % (base, n)
        taken.add(slug)
        out[external_id] = slug
    return out
