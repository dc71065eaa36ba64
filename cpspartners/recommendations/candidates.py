"""Recommendations, app side: database rows in, ``ranking`` records out, ranked by ``ranking``.

* :func:`candidate_index` loads every public opportunity as a :class:`ranking.Offer` with one
  query per table (never one per opportunity) and keeps the built :class:`ranking.OfferIndex`
  for the process. It checks whether the directory changed at most every
  ``RECOMMEND_CACHE_SECONDS`` (a few cheap aggregate queries) and rebuilds only then, or after
  ``RECOMMEND_CACHE_MAX_AGE`` seconds so that popularity (saved counts) catches up.
* :func:`seeker_for` turns a student or teacher, their profile and their dismissals into a
  :class:`ranking.Seeker`.
* :func:`recommendations_for` does both and ranks.

Seats left is the capacity less the seats applications hold (``Opportunity.seats_taken``).
"""

import threading
import time
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, select

from cpspartners.extensions import db
from cpspartners.models import (
    Dismissal,
    Opportunity,
    OpportunityCluster,
    OpportunityTag,
    Partner,
    SavedOpportunity,
    StudentProfile,
    TeacherProfile,
    User,
    opportunity_school,
)
from cpspartners.models.engagement import split_codes
from cpspartners.models.queries import admitting, public_opportunities
from cpspartners.recommendations import ranking

_lock = threading.Lock()
RECHECK_SPARE = 8  # extra offers ranked, so the database re-check rarely leaves the list short


def today() -> date:
    """Today in Chicago: deadlines are Chicago dates, whatever the server's clock zone."""
    return datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "America/Chicago"))).date()


def _directory_version() -> tuple[Any, ...]:
    """A cheap fingerprint of the public directory: changes when a listing, its partner's
    status, its tags, clusters or schools change."""
    listed = (
        public_opportunities()
        .with_only_columns(Opportunity.id, Opportunity.updated_at, Opportunity.seats_taken)
        .subquery()
    )
    # Seats are taken by a conditional UPDATE that leaves updated_at alone, so sum them too.
    count, newest, seats = db.session.execute(
        select(func.count(), func.max(listed.c.updated_at), func.coalesce(func.sum(listed.c.seats_taken), 0))
    ).one()
    partners = db.session.execute(select(func.count(), func.max(Partner.updated_at)).where(Partner.is_active)).one()
    links = tuple(
        db.session.scalar(select(func.count()).select_from(table))
        for table in (OpportunityTag.__table__, OpportunityCluster.__table__, opportunity_school)
    )
    return (count, str(newest), int(seats), partners[0], str(partners[1])) + links


# Opportunity columns an Offer takes as they are, and those it takes under another name.
_SAME_COLUMNS = (
    "id",
    "partner_id",
    "kind",
    "grade_min",
    "grade_max",
    "modality",
    "deadline",
    "paid",
    "transportation",
    "audience",
)
_RENAMED_COLUMNS = {"community_area": "community_area_number", "lat": "latitude", "lon": "longitude"}
_OTHER_COLUMNS = ("capacity", "seats_taken", "languages", "created_at")


def _grouped(stmt: Select[Any], wanted: set[int]) -> dict[int, frozenset[Any]]:
    """``{opportunity id: {values}}`` from (id, value) rows, for the ids ``wanted`` only."""
    found: dict[int, set[Any]] = {}
    for opportunity_id, value in db.session.execute(stmt):
        if opportunity_id in wanted:
            found.setdefault(opportunity_id, set()).add(value)
    return {key: frozenset(values) for key, values in found.items()}


def _save_counts() -> dict[int, int]:
    """How many people saved each opportunity: its popularity."""
    stmt = select(SavedOpportunity.opportunity_id, func.count()).group_by(SavedOpportunity.opportunity_id)
    return dict(db.session.execute(stmt).tuples().all())


def _offer(row: Any, links: Mapping[str, Mapping[int, frozenset[Any]]], saves: Mapping[int, int]) -> ranking.Offer:
    """One opportunity row, its tags, clusters and schools (``links``) and saves as an Offer."""
    values = {name: getattr(row, name) for name in _SAME_COLUMNS}
    values.update({name: getattr(row, column) for name, column in _RENAMED_COLUMNS.items()})
    empty: frozenset[Any] = frozenset()
    return ranking.Offer(
        **values,
        clusters=links["clusters"].get(row.id, empty),
        tags=links["tags"].get(row.id, empty),
        schools=links["schools"].get(row.id, empty),
        seats_left=None if row.capacity is None else max(row.capacity - row.seats_taken, 0),
        published=True,
        languages=frozenset(split_codes(row.languages)) or frozenset({"en"}),
        popularity=saves.get(row.id, 0),
        created=row.created_at.date() if row.created_at else None,
    )


def load_offers() -> list[ranking.Offer]:
    """Every public opportunity as a ``ranking.Offer``: one query per table."""
    names = _SAME_COLUMNS + tuple(_RENAMED_COLUMNS.values()) + _OTHER_COLUMNS
    columns = [getattr(Opportunity, name) for name in names]
    rows = db.session.execute(public_opportunities().with_only_columns(*columns)).all()
    wanted = {row.id for row in rows}
    links = {
        "clusters": _grouped(select(OpportunityCluster.opportunity_id, OpportunityCluster.cluster), wanted),
        "tags": _grouped(select(OpportunityTag.opportunity_id, OpportunityTag.tag), wanted),
        "schools": _grouped(select(opportunity_school.c.opportunity_id, opportunity_school.c.school_id), wanted),
    }
    saves = _save_counts()
    return [_offer(row, links, saves) for row in rows]


class _Cache:
    def __init__(self) -> None:
        self.index: ranking.OfferIndex | None = None
        self.version: tuple[Any, ...] | None = None
        self.built_at = 0.0
        self.checked_at = 0.0


def _cache() -> _Cache:
    return current_app.extensions.setdefault("cpspartners_recommend_cache", _Cache())


def candidate_index(force: bool = False) -> ranking.OfferIndex:
    """The process's ``OfferIndex`` of public opportunities, rebuilt when the directory changed."""
    cache = _cache()
    now = time.monotonic()
    recheck = current_app.config["RECOMMEND_CACHE_SECONDS"]
    max_age = current_app.config["RECOMMEND_CACHE_MAX_AGE"]
    if not force and cache.index is not None and now - cache.checked_at < recheck and now - cache.built_at < max_age:
        return cache.index
    with _lock:
        version = _directory_version()
        cache.checked_at = time.monotonic()
        stale = force or cache.index is None or version != cache.version or now - cache.built_at >= max_age
        if stale:
            cache.index = ranking.OfferIndex(load_offers())
            cache.version = version
            cache.built_at = time.monotonic()
        return cache.index  # type: ignore[return-value]  # built just above when missing


def _dismissals(user_id: int) -> tuple[frozenset[int], frozenset[int], frozenset[tuple[str, str]]]:
    """The ids a user dismissed and the (partner, kind+cluster) signals they carry."""
    rows = db.session.execute(
        select(Dismissal.opportunity_id, Opportunity.partner_id, Opportunity.kind, OpportunityCluster.cluster)
        .join(Opportunity, Opportunity.id == Dismissal.opportunity_id)
        .outerjoin(OpportunityCluster, OpportunityCluster.opportunity_id == Dismissal.opportunity_id)
        .where(Dismissal.user_id == user_id)
    ).all()
    ids = frozenset(row[0] for row in rows)
    partners = frozenset(row[1] for row in rows)
    kinds = frozenset((row[2], row[3]) for row in rows if row[3] is not None)
    return ids, partners, kinds


def _seeker_basics(user: User) -> dict[str, Any]:
    """What every seeker has: kind, school and its place, and dismissals."""
    school = user.school
    dismissed, partners, kinds = _dismissals(user.id)
    return {
        "kind": user.role,
        "school_id": user.school_id,
        "school_name": school.name if school else "",
        "lat": school.latitude if school else None,
        "lon": school.longitude if school else None,
        "community_area": school.community_area_number if school else None,
        "dismissed": dismissed,
        "dismissed_partners": partners,
        "dismissed_kinds": kinds,
    }


class _Find(Enum):
    FIND = "look the profile up"


Profile: TypeAlias = StudentProfile | TeacherProfile


def profile_of(user: User) -> Profile | None:
    """A student's or a teacher's own profile, or None before they fill one in. A page that needs
    it more than once looks it up once: the session remembers rows it loaded, not rows it did
    not find, so each ``session.get`` of a missing profile was another query."""
    return db.session.get(StudentProfile if user.role == ranking.STUDENT else TeacherProfile, user.id)


def _student_seeker(user: User, common: dict[str, Any], profile: StudentProfile | None) -> ranking.Seeker:
    if profile is None:  # a brand-new student: cold start on school and grade alone
        return ranking.Seeker(grade=user.grade, languages={user.preferred_language, "en"}, **common)  # type: ignore[arg-type]
    return ranking.Seeker(
        grade=user.grade,
        clusters=profile.cluster_codes,
        tags=profile.tag_list,
        words=tuple(profile.free_words.split()),
        languages=profile.language_codes,
        modality=profile.modality,
        needs_paid=profile.needs_paid,
        needs_transportation=profile.needs_transportation,
        **common,
    )


def _teacher_seeker(user: User, common: dict[str, Any], profile: TeacherProfile | None) -> ranking.Seeker:
    subjects = profile.subject_list if profile else []
    return ranking.Seeker(
        grade_bands=profile.band_ranges if profile else (),
        tags=[s.lower() for s in subjects],  # type: ignore[arg-type]  # Seeker freezes them
        words=tuple(subjects),
        languages={user.preferred_language, "en"},  # type: ignore[arg-type]
        **common,
    )


def seeker_for(user: User, profile: Profile | None | _Find = _Find.FIND) -> ranking.Seeker:
    """A ``ranking.Seeker`` for a student or a teacher, from their school, profile (``profile_of``,
    unless the caller has it) and dismissals."""
    if user.role not in (ranking.STUDENT, ranking.TEACHER):
        raise ValueError("only students and teachers get recommendations")
    if profile is _Find.FIND:
        profile = profile_of(user)
    if user.role == ranking.STUDENT:
        return _student_seeker(user, _seeker_basics(user), profile if isinstance(profile, StudentProfile) else None)
    return _teacher_seeker(user, _seeker_basics(user), profile if isinstance(profile, TeacherProfile) else None)


def recommendations_for(
    user: User,
    limit: int = 10,
    text_scores: Mapping[int, Any] | None = None,
    on: date | None = None,
    profile: Profile | None | _Find = _Find.FIND,
) -> list[ranking.Recommendation]:
    """Ranked ``ranking.Recommendation`` list for ``user``. ``text_scores``: offer id -> score in
    [0, 1] from the search index for the user's free words, when the caller has one.

    The ranking's hard rules already leave out what the seeker cannot take up, on offers cached
    for a few seconds; the result is then re-checked in the database against the one rule (for a
    student, ``Opportunity.admits``: open, grade, school), so a listing edited, closed or
    restricted meanwhile is never offered. Near-identical listings (same partner, same title
    but for case and numbers) are shown once: the best-ranked of them."""
    day = on or today()
    ranked = candidate_index().recommend(seeker_for(user, profile), day, 2 * limit + RECHECK_SPARE, text_scores)
    rule = admitting(user, day) if user.role == ranking.STUDENT else Opportunity.takes_applications(day)
    ids = [r.offer_id for r in ranked]
    rows = (
        db.session.execute(
            select(Opportunity.id, Opportunity.title, Opportunity.partner_id).where(Opportunity.id.in_(ids), rule)
        ).all()
        if ids
        else []
    )
    keys = {row.id: ranking.near_duplicate_key(row.title, row.partner_id) for row in rows}
    return ranking.without_near_duplicates([r for r in ranked if r.offer_id in keys], keys)[:limit]
