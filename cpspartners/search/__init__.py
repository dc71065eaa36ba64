"""Search: the small facade the views and commands call.

The database is the truth and the index a cache that can always be rebuilt: results come back
from the index as keys and are loaded from the database in rank order, so a stale hit on a
deleted row simply vanishes. See ARCHITECTURE.md, "Search".
"""

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from cpspartners.extensions import db
from cpspartners.geo import miles_between
from cpspartners.models import Opportunity, Partner, School
from cpspartners.paging import PagerMixin
from cpspartners.search import sync
from cpspartners.search.highlight import highlighted
from cpspartners.search.params import SearchParams
from cpspartners.search.pg import PgReader
from cpspartners.search.reader import IndexReader, SearchRequest
from cpspartners.search.storage import current_path
from cpspartners.taxonomy import PARTNER_ACTIVE
from cpspartners.text import like_contains

log = logging.getLogger(__name__)
MAX_FALLBACK_WORDS = 5
EXTENSION = "cpspartners_search"
PG_EXTENSION = "cpspartners_search_pg"


def init_app(app: Flask) -> None:
    """Give the app its index folder and start listening to session changes."""
    root = app.config.get("SEARCH_INDEX_DIR") or os.path.join(app.instance_path, "search-index")
    app.config["SEARCH_INDEX_DIR"] = root
    if app.config.get("SEARCH_WRITER", "inline") not in ("inline", "follower"):
        raise RuntimeError('SEARCH_WRITER must be "inline" or "follower"')
    backend = app.config.get("SEARCH_BACKEND", "whoosh")
    if backend not in ("whoosh", "postgres"):
        raise RuntimeError('SEARCH_BACKEND must be "whoosh" or "postgres"')
    if backend == "postgres" and not str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        raise RuntimeError('SEARCH_BACKEND "postgres" needs the database to be PostgreSQL')
    app.extensions[EXTENSION] = IndexReader(root)
    app.extensions[PG_EXTENSION] = PgReader(lambda: db.engine)
    sync.install(FlaskSession)


def reader() -> Any:
    """The reader of the configured backend: the Whoosh index's, or PostgreSQL's (``pg.PgReader``,
    the same methods)."""
    if sync.backend() == "postgres":
        return current_app.extensions[PG_EXTENSION]
    return current_app.extensions[EXTENSION]


def available() -> bool:
    """There is an index to ask: a built Whoosh generation, or a PostgreSQL search table a
    rebuild has filled (a fresh index must not pass for "nothing matches")."""
    if sync.backend() == "postgres":
        try:
            return bool(reader().is_built())
        except Exception:
            log.exception("The PostgreSQL search table cannot answer")
            return False
    return os.path.exists(current_path(reader().root))


def nearest_offered_ids(
    lat: float, lon: float, miles: float, school_id: int, limit: int, exclude: Sequence[int] = ()
) -> list[int] | None:
    """Ids the Whoosh index proposes as the listings offered at a school nearest a point
    (``IndexReader.nearest_offered``), or None when it cannot answer: the PostgreSQL backend, no
    index, one built before the school field, or a failure (logged). The caller re-checks them."""
    if sync.backend() != "whoosh" or not available():
        return None
    try:
        index_reader = reader()
        if not index_reader.has_fields("school"):
            return None
        return index_reader.nearest_offered(lat, lon, miles, school_id, limit, exclude)
    except Exception:
        log.exception("The search index could not say what is near a school; asking the database")
        return None


@dataclass
class Hit:
    opportunity: Opportunity
    title: str  # Markup, from highlight.highlighted
    snippet: str  # Markup
    lang: str
    miles: float | None = None


@dataclass
class Outcome(PagerMixin):
    params: SearchParams
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    open_count: int = 0
    partners: list[Partner] = field(default_factory=list)
    did_you_mean: str | None = None
    school: School | None = None
    failed: bool = False
    nothing_to_search: bool = False


def _in_order(model: Any, ids: list[int], options: Sequence[Any] = ()) -> list[Any]:
    if not ids:
        return []
    rows = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))}
    return [rows[i] for i in ids if i in rows]


def _lagging(kind: str, ids: list[int], shown: list[Any]) -> int:
    """How many hits the database no longer shows the public (the index lags); logged for repair."""
    stale = sorted(set(ids) - {row.id for row in shown})
    if stale:
        log.warning("Search index lags: %s %s no longer public; `flask search check` repairs it", kind, stale)
    return len(stale)


def _hit(opp: Opportunity, terms: dict[str, set[str]], locale: str, school: School | None) -> Hit:
    spanish = locale == "es"
    title_field = "title_es" if spanish and opp.title_es else "title"
    summary_field = "summary_es" if spanish and opp.summary_es else "summary"
    title = highlighted(getattr(opp, title_field), terms, title_field, whole=True)
    snippet = highlighted(getattr(opp, summary_field), terms, summary_field)
    if "<mark>" not in snippet:
        description_field = "description_es" if spanish and opp.description_es else "description"
        marked = highlighted(
            getattr(opp, description_field), terms, "body_es" if spanish and opp.description_es else "body"
        )
        if "<mark>" in marked:
            snippet = marked
    miles = None
    if school is not None and opp.latitude is not None and opp.longitude is not None:
        miles = miles_between(school.latitude, school.longitude, opp.latitude, opp.longitude)
    return Hit(opp, title, snippet, "es" if title_field.endswith("_es") else "en", miles)


def run(
    params: SearchParams, locale: str = "en", today: date | None = None, per_page: int = 20, facets: bool = True
) -> Outcome:
    """Search for ``params`` and load the page of opportunities (and a few partners) shown;
    ``facets=False`` for a page that shows no facet counts (they cost a pass each on PostgreSQL)."""
    today = today or date.today()
    outcome = Outcome(params=params)
    if params.school:
        outcome.school = db.session.get(School, params.school)
    near = (outcome.school.latitude, outcome.school.longitude) if outcome.school else None
    request = SearchRequest(
        text=params.text,
        filters=params.filters,
        open_only=params.open_only,
        sort=params.sort,
        near=near,
        page=params.page,
        per_page=per_page,
        today_ordinal=today.toordinal(),
        facets=facets,
    )
    try:
        result = reader().search(request)
        partner_ids = [int(k[2:]) for k in reader().partners(params.text)] if params.text and not params.filters else []
        if params.text and result.total < 5:
            outcome.did_you_mean = reader().did_you_mean(params.text)
    except Exception:  # a broken index must not break the page: say so, and log it for repair
        log.exception("Search failed for a query")
        outcome.failed = True
        return outcome
    # Hits are re-checked against the public rule as they are loaded: an index that lags behind
    # the database (a worker killed between the commit and the index write) never shows a listing
    # or a partner the public may no longer see, nor its snippet.
    # The rule is read on the loaded rows (each partner comes with its listing), which costs less
    # than adding it to the SELECT, which cost a few ms a search (docs/benchmarks.md).
    outcome.partners = [partner for partner in _in_order(Partner, partner_ids) if partner.is_active]
    _lagging("partners", partner_ids, outcome.partners)
    # Each card names its partner (joined to its row) and asks whether the reader may apply
    # (``card_flag``), which reads the schools a listing is offered at: one query for the page's
    # schools, not one per card.
    loads = (joinedload(Opportunity.partner), selectinload(Opportunity.schools))
    ids = [int(key[2:]) for key in result.keys]
    opps = [opp for opp in _in_order(Opportunity, ids, loads) if opp.is_public]
    outcome.hits = [_hit(opp, result.terms, locale, outcome.school) for opp in opps]
    # The total leaves out what this page found stale; pages further on may hold a few more.
    outcome.total = max(result.total - _lagging("opportunities", ids, opps), len(opps))
    outcome.page, outcome.pages = result.page, result.pages
    outcome.facets, outcome.open_count = result.facets, result.open_count
    outcome.nothing_to_search = bool(params.text) and not result.parsed
    return outcome


def find_partners(text: str, limit: int = 25) -> list[Partner]:
    """Active partners whose name, mission or neighborhoods match ``text``, best first.

    If the index cannot answer, falls back to a name match in the database (logged), so a
    specialist can still find an organization while the index is repaired.
    """
    try:
        ids = [int(key[2:]) for key in reader().partners(text, limit)]
    except Exception:
        log.exception("Partner search failed; matching names in the database instead")
        return partners_named(text, limit=limit)
    return [partner for partner in _in_order(Partner, ids) if partner.is_active]


def partners_named(text: str, statuses: Sequence[str] = (PARTNER_ACTIVE,), limit: int = 25) -> list[Partner]:
    """Partners in ``statuses`` whose names contain every word of ``text`` (case aside), by name:
    the database's answer where the index has none (it holds active partners only)."""
    words = text.lower().split()[:MAX_FALLBACK_WORDS]
    if not words or limit <= 0:
        return []
    stmt = select(Partner).where(Partner.status.in_(statuses)).order_by(Partner.name, Partner.id).limit(limit)
    for word in words:
        stmt = stmt.where(func.lower(Partner.name).like(like_contains(word), escape="\\"))
    return list(db.session.scalars(stmt))


def suggest(text: str) -> list[str]:
    """Completions for the search box; an empty list if the index cannot answer."""
    try:
        return reader().suggest(text)
    except Exception:
        log.exception("Search suggestions failed")
        return []


def apply_outbox() -> int:
    from cpspartners.search.outbox import apply_outbox as apply

    return apply()


def text_scores(words: Iterable[str], limit: int = 200, today: date | None = None) -> dict[int, float]:
    """{opportunity id: score in (0, 1]} for free words, each word searched on its own.

    Recommendations use this to match a profile's own words ("drones", "poetry") against the
    listings; a listing's score is its best rank over the words. Empty if the index cannot answer.
    """
    today = today or date.today()
    scores: dict[int, float] = {}
    for word in list(dict.fromkeys(w.lower() for w in words if w.strip()))[:8]:
        request = SearchRequest(
            text=word,
            filters={},
            open_only=True,
            sort="relevance",
            near=None,
            page=1,
            per_page=limit,
            today_ordinal=today.toordinal(),
            facets=False,
        )
        try:
            keys = reader().search(request).keys
        except Exception:
            log.exception("Search for profile words failed")
            return {}
        for rank, key in enumerate(keys):
            if key.startswith("o:"):
                opp_id = int(key[2:])
                scores[opp_id] = max(scores.get(opp_id, 0.0), 1.0 - rank / (2.0 * limit))
    return scores


class Unavailable(Exception):
    """The index cannot answer: never built, holding no opportunity, or broken."""


def opportunity_ids(words: list[str], narrow: Iterable[tuple[str, Iterable[str]]] = ()) -> list[int] | None:
    """Ids of the opportunities whose index documents hold every searchable one of ``words``
    (stemmed, accents folded, English and Spanish fields), or None when no word is searchable
    (only stop words, emoji). ``narrow``: (facet, values) pairs, each requiring one of its
    values ("kind", "cluster", "band"...), so fewer candidates go back to the database.
    Only candidates: callers still check every criterion in the database.

    Raises ``Unavailable`` rather than answering from an index that is missing (the reader
    would create an empty one) or broken, so callers can fall back to matching in SQL.
    """
    index_reader = reader()
    if sync.backend() != "postgres" and not os.path.exists(current_path(index_reader.root)):
        raise Unavailable("no search index in %s" % index_reader.root)
    try:
        return index_reader.opportunity_ids(words, narrow)
    except Exception as error:
        raise Unavailable("%s: %s" % (type(error).__name__, error)) from error
