"""The vetting gate: whether a partner may show listings to students, kept in one place.

A listing aimed at students (``Opportunity.needs_vetting``) is public only while its partner is
vetted (``Opportunity.is_public``). ``Partner.vetted`` is a stored flag so that every reader,
SQL and search index alike, can ask it cheaply; this module is the only writer of it:

- ``refresh(partner, today)`` recomputes it from the partner's records and exemption. Every
  path that changes either calls it: saving or deleting a record, merging partners, restoring,
  approving, a specialist's direct edit, imports, the seed.
- ``sweep(today)`` (``flask vetting sweep``, daily from cron) refreshes the partners whose
  ``vetted_until`` has passed, so a listing leaves students' view on the day after a record
  expires, and tells the partner's staff and the specialists.

``vetted_until`` is the last day the stored answer is known to hold: for a vetted partner the
last day all three records stay current (renewals that follow on without a gap included); for
an unvetted one the day before a record issued for the future starts (NULL when nothing is
due). So ``vetted_until < today`` (indexed) finds every partner whose answer may have changed.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, User, VettingRecord
from cpspartners.services._base import transaction
from cpspartners.services.audit import record
from cpspartners.services.errors import RuleBroken
from cpspartners.services.notify import Page, notify, partner_staff, specialists
from cpspartners.taxonomy import OPPORTUNITY_PUBLISHED, VETTING_KINDS, codes, label

REQUIRED = codes(VETTING_KINDS)
EXEMPTION_MAX = 300  # the column's length
SWEEP_BATCH = 200


def clock() -> date:
    """The date the gate is judged on when a caller gives none: one clock, which tests move."""
    return date.today()


@dataclass(frozen=True)
class Gap:
    """One required record a partner lacks today: never had one (``expired_on`` None), let
    it lapse (the day it expired), or holds one that starts later (``starts_on``)."""

    kind: str
    expired_on: date | None = None
    starts_on: date | None = None

    def __str__(self) -> str:
        name = label(VETTING_KINDS, self.kind)
        if self.starts_on is not None:
            return str(_l("%(record)s (starts %(date)s)", record=name, date=format_date(self.starts_on, "long")))
        if self.expired_on is not None:
            return str(_l("%(record)s (expired %(date)s)", record=name, date=format_date(self.expired_on, "long")))
        return str(_l("%(record)s (missing)", record=name))


@dataclass(frozen=True)
class Standing:
    """What ``refresh`` stores, with the reasons: ``gaps`` are listed even for an exempt partner."""

    vetted: bool
    until: date | None
    gaps: tuple[Gap, ...]
    exempt: bool


def _covered_until(records: Sequence[VettingRecord], today: date) -> date | None:
    """The last day from ``today`` on that some record of one kind is current, following
    renewals that start by the day after the previous one ends; None when none is current today."""
    last = today - timedelta(days=1)
    extended = True
    while extended:
        extended = False
        for r in records:
            if r.issued_on <= last + timedelta(days=1) and r.expires_on > last:
                last, extended = r.expires_on, True
    return last if last >= today else None


def standing(partner: Partner, today: date, records: Iterable[VettingRecord] | None = None) -> Standing:
    """The partner's vetting today, from ``records`` (default: its loaded records)."""
    by_kind: dict[str, list[VettingRecord]] = {kind: [] for kind in REQUIRED}
    for r in partner.vetting_records if records is None else records:
        by_kind.setdefault(r.kind, []).append(r)
    gaps, ends = [], []
    for kind in REQUIRED:
        kept = by_kind[kind]
        end = _covered_until(kept, today)
        if end is not None:
            ends.append(end)
            continue
        later = [r.issued_on for r in kept if r.issued_on > today]
        past = [r.expires_on for r in kept if r.expires_on < today]
        gaps.append(Gap(kind, expired_on=max(past) if past else None, starts_on=min(later) if later else None))
    exempt = bool(partner.vetting_exemption.strip()) if partner.vetting_exemption else False
    if exempt:
        return Standing(True, None, tuple(gaps), True)
    if not gaps:
        return Standing(True, min(ends), (), False)
    starts = [gap.starts_on for gap in gaps if gap.starts_on is not None]
    return Standing(False, min(starts) - timedelta(days=1) if starts else None, tuple(gaps), False)


def gaps(partner: Partner, today: date | None = None) -> list[Gap]:
    """The records a partner lacks today, with dates; empty when all three are current.
    An exempt partner's gaps are still listed: pages show them beside the exemption."""
    return list(standing(partner, today or clock()).gaps)


def blockers(partner: Partner, today: date | None = None) -> list[Gap]:
    """Why the partner may not show listings to students today: its gaps, unless exempt."""
    found = standing(partner, today or clock())
    return [] if found.exempt else list(found.gaps)


def refresh(partner: Partner, today: date | None = None) -> bool:
    """Recompute ``partner.vetted`` and ``vetted_until`` from its records (read from the
    database, after a flush, so records just added, moved or deleted count). Runs inside the
    caller's transaction and commits nothing. Returns True when ``vetted`` changed; the search
    outbox reindexes the partner's listings because the partner row changed."""
    db.session.flush()
    records = db.session.scalars(select(VettingRecord).where(VettingRecord.partner_id == partner.id)).all()
    found = standing(partner, today or clock(), records)
    changed = bool(partner.vetted) != found.vetted
    partner.vetted, partner.vetted_until = found.vetted, found.until
    return changed


def refresh_all(today: date | None = None, partner_ids: Iterable[int] | None = None) -> int:
    """``refresh`` every partner (or those of ``partner_ids``), in the caller's transaction: for
    the seed, whose bulk inserts set no flags. Returns how many changed."""
    if partner_ids is None:
        partner_ids = db.session.scalars(select(Partner.id).order_by(Partner.id)).all()
    ids = sorted(set(partner_ids))
    changed = 0
    for start in range(0, len(ids), 500):  # stay under SQLite's parameter limit
        chunk = select(Partner).where(Partner.id.in_(ids[start : start + 500])).order_by(Partner.id)
        changed += sum(refresh(partner, today) for partner in db.session.scalars(chunk).all())
    return changed


# --- Exemptions -------------------------------------------------------------------------------


def set_exemption(actor: User | None, partner: Partner, reason: str, today: date | None = None) -> bool:
    """Record why a partner (a district-run programme) stands outside the gate, audited, in the
    caller's transaction; the seed calls it with no actor ("system"). False when unchanged."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleBroken(_l("Give the reason for the exemption."))
    if len(reason) > EXEMPTION_MAX:
        raise RuleBroken(_l("Keep the reason under %(n)d characters.", n=EXEMPTION_MAX))
    before = partner.vetting_exemption
    if before == reason:
        return False
    partner.vetting_exemption = reason
    refresh(partner, today)
    record(actor, "exempted", "partner", partner.id, {"vetting_exemption": [before or None, reason]})
    return True


@transaction
def grant_exemption(actor: User, partner: Partner, reason: str, today: date | None = None) -> None:
    """A specialist records an exemption with its reason (``set_exemption``) in one transaction."""
    if not set_exemption(actor, partner, reason, today):
        raise RuleBroken(_l("Nothing changed, so there is nothing to save."))


@transaction
def remove_exemption(actor: User, partner: Partner, today: date | None = None) -> None:
    """End an exemption: from now the partner needs its three records like everyone else."""
    before = partner.vetting_exemption
    if not before:
        raise RuleBroken(_l("This partner has no exemption."))
    partner.vetting_exemption = ""
    refresh(partner, today)
    record(actor, "unexempted", "partner", partner.id, {"vetting_exemption": [before, None]})


# --- The daily sweep --------------------------------------------------------------------------


@dataclass
class SweepResult:
    checked: int = 0
    lapsed: list[int] | None = None  # partners that stopped being vetted today
    renewed: list[int] | None = None  # partners vetted again by a record that started today


def due(today: date, limit: int = SWEEP_BATCH) -> list[int]:
    """Partners whose stored answer may have changed by ``today`` (an indexed date)."""
    return list(
        db.session.scalars(select(Partner.id).where(Partner.vetted_until < today).order_by(Partner.id).limit(limit))
    )


@transaction
def sweep_batch(today: date, limit: int = SWEEP_BATCH) -> tuple[int, list[int], list[int]]:
    """Refresh up to ``limit`` due partners in one transaction and notify about those that lapsed."""
    lapsed, renewed = [], []
    ids = due(today, limit)
    for partner in db.session.scalars(select(Partner).where(Partner.id.in_(ids)).order_by(Partner.id)):
        if not refresh(partner, today):
            continue
        if partner.vetted:
            renewed.append(partner.id)
            continue
        lapsed.append(partner.id)
        _tell_lapsed(partner, today)
    return len(ids), lapsed, renewed


def sweep(today: date | None = None, limit: int = SWEEP_BATCH) -> SweepResult:
    """Refresh every due partner, a batch per transaction; idempotent (a refreshed partner is
    no longer due, so a second run the same day finds nothing and sends nothing)."""
    today = today or clock()
    result = SweepResult(0, [], [])
    while True:
        checked, lapsed, renewed = sweep_batch(today, limit)
        result.checked += checked
        result.lapsed += lapsed  # type: ignore[operator]
        result.renewed += renewed  # type: ignore[operator]
        if checked < limit:
            return result


def _tell_lapsed(partner: Partner, today: date) -> None:
    """The partner's staff and the specialists learn the day it happens, and which records."""
    hidden = db.session.scalar(
        select(db.func.count(Opportunity.id)).where(
            Opportunity.partner_id == partner.id, Opportunity.status == OPPORTUNITY_PUBLISHED, Opportunity.needs_vetting
        )
    )
    what = ", ".join(str(gap) for gap in standing(partner, today).gaps)
    params = {"partner": partner.name, "records": what, "count": hidden or 0}
    notify(partner_staff(partner.id), "vetting_lapsed", Page("partners.dashboard"), **params)
    notify(specialists(), "vetting_lapsed", Page("review.partner_detail", {"partner_id": partner.id}), **params)


# --- Violators ---------------------------------------------------------------------------------


def violators(today: date | None = None) -> list[Opportunity]:
    """Listings students can see although their partner's records say it is not vetted today
    (the stored flag out of step with the records: none after every path refreshes)."""
    today = today or clock()
    stmt = select(Opportunity).where(Opportunity.is_public, Opportunity.needs_vetting).order_by(Opportunity.id)
    partners: dict[int, bool] = {}
    found = []
    for opp in db.session.scalars(stmt):
        if opp.partner_id not in partners:
            partners[opp.partner_id] = not blockers(opp.partner, today)
        if not partners[opp.partner_id]:
            found.append(opp)
    return found


def held_back(today: date | None = None) -> list[tuple[Partner, int, list[Gap]]]:
    """Active partners with published listings for students that the gate hides: (partner,
    how many listings, which records are missing or expired)."""
    today = today or clock()
    stmt = (
        select(Partner, db.func.count(Opportunity.id))
        .join(Opportunity, Opportunity.partner_id == Partner.id)
        .where(
            Partner.is_active,
            Partner.vetted.is_(False),
            Opportunity.status == OPPORTUNITY_PUBLISHED,
            Opportunity.needs_vetting,
        )
        .group_by(Partner.id)
        .order_by(Partner.name, Partner.id)
    )
    return [(partner, count, blockers(partner, today)) for partner, count in db.session.execute(stmt).all()]


def hidden_from_students(opp: Opportunity) -> bool:
    """Published, but kept from students by the gate: what pages mark beside "Published"."""
    return opp.status == OPPORTUNITY_PUBLISHED and not opp.vetting_gate_open
