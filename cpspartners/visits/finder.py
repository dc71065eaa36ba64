""" "Find a speaker or partner" for teachers: classroom-facing opportunities, nearest to the
teacher's school first, virtual ones included and labelled.

Topic words are matched by the search index as the search page matches them (stemmed, accents
folded, English and Spanish fields, every word required); the index only names candidate ids,
and the database still decides what is public and fits the other criteria, and orders them.
When the index cannot answer, words are matched with ``LIKE`` on titles, summaries, partner
names and tags instead (substrings, so "bot" finds "robot" there), and that is logged.

The ordering (``rank``) is a plain function over plain tuples, testable without a database.
"""

import json
import logging
from dataclasses import dataclass, field, replace
from math import cos, radians

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, any_, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from cpspartners import querystring
from cpspartners import search as search_index
from cpspartners.extensions import db
from cpspartners.geo import miles_between
from cpspartners.models import Opportunity, OpportunityCluster, OpportunityTag, Partner
from cpspartners.models.queries import public_opportunities
from cpspartners.paging import PagerMixin
from cpspartners.search.documents import grade_bands
from cpspartners.taxonomy import CAREER_CLUSTERS, codes
from cpspartners.text import fold, like_contains, strip_hidden

# What a class can host or visit. Guest speakers come first in the finder: "Find a speaker" is
# what teachers come for, and the home page's "Find a guest speaker" lands here.
CLASSROOM_KINDS = ("guest_speaker", "workshop", "field_trip", "team_challenge", "mentoring")
FIRST_KIND = "guest_speaker"


def requestable(opp):
    """A teacher may ask for this listing as a visit: public and of a classroom kind."""
    return opp is not None and opp.is_public and opp.kind in CLASSROOM_KINDS


# School subjects and the career clusters whose partners usually fit them.
SUBJECTS = (
    ("science", _l("Science"), ("040200", "050100", "050200")),
    ("math", _l("Mathematics"), ("030100", "060100", "010100")),
    ("computer_science", _l("Computer science"), ("060100",)),
    ("english", _l("English and language arts"), ("020100", "040100")),
    ("social_studies", _l("Social studies and civics"), ("040300", "040100")),
    ("arts", _l("Arts and music"), ("020100",)),
    ("business", _l("Business and economics"), ("030100", "060200", "060300")),
    ("cte", _l("Career and technical education"), ("010100", "010200", "010300", "020200")),
    ("health", _l("Health and physical education"), ("040200",)),
)


SUBJECT_CLUSTERS = {code: clusters for code, _label, clusters in SUBJECTS}


MAX_WORDS = 8


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Criteria:
    """What a teacher asks the finder for; empty values ask for everything."""

    words: tuple = ()
    cluster: str = ""
    subject: str = ""
    grade: int | None = None
    kind: str = ""  # one of CLASSROOM_KINDS, or "" for all of them


@dataclass
class Found(PagerMixin):
    """One page of results and how many there are in all (the pager macro reads it)."""

    total: int
    page: int
    pages: int
    results: list = field(default_factory=list)  # [(Opportunity, miles or None, is_virtual)]
    words_ignored: bool = False  # no topic word could be searched for (stop words, emoji)


def words_of(text):
    """Search words from what the teacher typed: folded, deduplicated, at most ``MAX_WORDS``."""
    seen = []
    # A hidden character (NUL above all, which PostgreSQL refuses) separates words.
    for word in fold(strip_hidden(text or "", " ")).replace(",", " ").split():
        word = word.strip(".;:!?\"'()")[:40]
        if len(word) >= 2 and word not in seen:
            seen.append(word)
    return tuple(seen[:MAX_WORDS])


def criteria_from(args, notes):
    """``Criteria`` from the query string of the finder's form; what was ignored is noted."""
    words = words_of((querystring.one(args, "q", notes) or "")[:300])
    unknown_cluster = _l("That career cluster is not known, so every cluster is shown.")
    cluster = querystring.choice(args, "cluster", codes(CAREER_CLUSTERS), notes, unknown_cluster)
    unknown_subject = _l("That subject is not known, so every subject is shown.")
    subject = querystring.choice(args, "subject", SUBJECT_CLUSTERS, notes, unknown_subject)
    bad_grade = _l("Grades go from K (0) to 12, so every grade is shown.")
    grade = querystring.number(args, "grade", 0, 12, notes, bad_grade)
    unknown_kind = _l("That kind of visit is not known, so every kind is shown.")
    kind = querystring.choice(args, "kind", CLASSROOM_KINDS, notes, unknown_kind)
    return Criteria(words=words, cluster=cluster or "", subject=subject or "", grade=grade, kind=kind or "")


def rank(rows, school_lat, school_lon):
    """Order (id, latitude, longitude, modality) rows: nearest in-person first, then virtual,
    then those with no known place. Returns [(id, miles or None, is_virtual)]; ties by id."""
    ranked = []
    for opp_id, lat, lon, modality in rows:
        if modality == "virtual":
            ranked.append((1, 0.0, opp_id, None, True))
        elif lat is None or lon is None:
            ranked.append((2, 0.0, opp_id, None, False))
        else:
            miles = miles_between(school_lat, school_lon, lat, lon)
            ranked.append((0, miles, opp_id, round(miles, 1), False))
    ranked.sort()
    return [(opp_id, miles, virtual) for _group, _d, opp_id, miles, virtual in ranked]


def _id_among(ids):
    """``Opportunity.id`` is one of ``ids``, sent as one value however many there are: a word
    can match tens of thousands of listings, and as many bound parameters would be slow (and
    past 32,766 on SQLite or 65,535 on PostgreSQL, refused)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Opportunity.id == any_(literal(list(ids), ARRAY(Integer)))
    listed = func.json_each(json.dumps(list(ids))).table_valued("value")
    return Opportunity.id.in_(select(listed.c.value))


def _words_like(stmt, words):
    """The fallback: every word a substring of a title, summary, partner name or tag."""
    for word in words:
        pattern = like_contains(word)
        stmt = stmt.where(
            or_(
                func.lower(Opportunity.title).like(pattern, escape="\\"),
                func.lower(Opportunity.summary).like(pattern, escape="\\"),
                func.lower(Opportunity.title_es).like(pattern, escape="\\"),
                func.lower(Opportunity.summary_es).like(pattern, escape="\\"),
                func.lower(Partner.name).like(pattern, escape="\\"),
                Opportunity.id.in_(
                    select(OpportunityTag.opportunity_id).where(OpportunityTag.tag.like(pattern, escape="\\"))
                ),
            )
        )
    return stmt


def topic_ids(criteria):
    """The search index's candidates for the topic words: a list of ids, or None when no word
    is searchable. Raises ``search.Unavailable`` when the index cannot answer.

    The index also narrows them by its kind, cluster and grade-band facets, so a common word
    ("careers": a fifth of the directory) sends the database thousands of ids, not tens of
    thousands. Those facets hold a superset of what the criteria allow (a grade's band holds
    every range around it); the database still checks each criterion exactly.
    """
    narrow = [("kind", (criteria.kind,) if criteria.kind else CLASSROOM_KINDS)]
    if criteria.cluster:
        narrow.append(("cluster", (criteria.cluster,)))
    if criteria.subject in SUBJECT_CLUSTERS:
        narrow.append(("cluster", SUBJECT_CLUSTERS[criteria.subject]))
    if criteria.grade is not None:
        narrow.append(("band", grade_bands(criteria.grade, criteria.grade)))
    return search_index.opportunity_ids(criteria.words, narrow)


def _in_clusters(condition):
    """``Opportunity.id`` has a career cluster that meets ``condition``."""
    return Opportunity.id.in_(select(OpportunityCluster.opportunity_id).where(condition))


def candidates(criteria, ids=None):
    """The matching opportunities as a select of (id, latitude, longitude, modality), the place
    falling back to the partner's address. ``ids``: the index's candidates for the topic words;
    None matches the words with ``LIKE`` instead."""
    # Joined for its name (matched by the words) and its address (the fallback place).
    stmt = public_opportunities().join(Partner, Opportunity.partner_id == Partner.id)
    stmt = stmt.where(Opportunity.kind.in_(CLASSROOM_KINDS))
    if criteria.kind:
        stmt = stmt.where(Opportunity.kind == criteria.kind)
    if criteria.cluster:
        stmt = stmt.where(_in_clusters(OpportunityCluster.cluster == criteria.cluster))
    if criteria.subject in SUBJECT_CLUSTERS:
        stmt = stmt.where(_in_clusters(OpportunityCluster.cluster.in_(SUBJECT_CLUSTERS[criteria.subject])))
    if criteria.grade is not None:
        stmt = stmt.where(Opportunity.grade_min <= criteria.grade, Opportunity.grade_max >= criteria.grade)
    if ids is not None:
        stmt = stmt.where(_id_among(ids))
    else:
        stmt = _words_like(stmt, criteria.words)
    lat = func.coalesce(Opportunity.latitude, Partner.latitude)
    lon = func.coalesce(Opportunity.longitude, Partner.longitude)
    return stmt.with_only_columns(
        Opportunity.id, lat.label("lat"), lon.label("lon"), Opportunity.modality, Opportunity.kind
    )


def _topic_candidates(criteria, use_index):
    """``(ids, criteria, words ignored)``: the index's candidate ids for the topic words, or
    None to match them with ``LIKE``; criteria without words when none could be searched for."""
    if not (criteria.words and use_index):
        return None, criteria, False
    try:
        ids = topic_ids(criteria)
    except search_index.Unavailable as error:
        log.warning("Finder matched topic words with LIKE: the search index cannot answer (%s)", error)
        return None, criteria, False
    if ids is None:  # only stop words or symbols: they narrow nothing, as on the search page
        return None, replace(criteria, words=()), True
    return ids, criteria, False


def _nearest_first(inner, school):
    """Order expressions for ``inner``: guest speakers first, then the ``rank`` group, the
    flat-earth distance, the id."""
    shrink = cos(radians(school.latitude))
    group = case((inner.c.modality == "virtual", 1), (or_(inner.c.lat.is_(None), inner.c.lon.is_(None)), 2), else_=0)
    flat = case(
        (
            group == 0,
            (inner.c.lat - school.latitude) * (inner.c.lat - school.latitude)
            + (inner.c.lon - school.longitude) * (inner.c.lon - school.longitude) * shrink * shrink,
        ),
        else_=0,
    )
    return case((inner.c.kind == FIRST_KIND, 0), else_=1), group, flat, inner.c.id


def _page_rows(inner, school, page, per_page):
    """The (id, lat, lon, modality) rows of one page, nearest first."""
    return db.session.execute(
        select(inner.c.id, inner.c.lat, inner.c.lon, inner.c.modality)
        .order_by(*_nearest_first(inner, school))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()


def _opportunities_by_id(ids):
    return {o.id: o for o in db.session.scalars(select(Opportunity).where(Opportunity.id.in_(ids)))}


def search(criteria, school, page, per_page, use_index=True):
    """One page of results as a ``Found``.

    Topic words go to the search index for candidate ids (``use_index=False``, or an index
    that cannot answer, matches them with ``LIKE`` instead). The database filters and orders by
    the same groups as ``rank`` and, inside a city, by the flat-earth distance (degrees of
    longitude shrunk by cos(latitude)), which orders exactly like the great-circle distance at
    this scale; only the shown page is fetched and measured in miles.
    """
    ids, criteria, ignored = _topic_candidates(criteria, use_index)
    inner = candidates(criteria, ids).subquery()
    total = db.session.scalar(select(func.count()).select_from(inner))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    chosen = rank(_page_rows(inner, school, page, per_page), school.latitude, school.longitude)
    found = _opportunities_by_id([opp_id for opp_id, _m, _v in chosen])
    # The page came in the database's order, guest speakers first; ``rank`` orders by place
    # alone, so a stable sort puts the speakers back in front, nearest first among them.
    chosen.sort(key=lambda item: found[item[0]].kind != FIRST_KIND)
    return Found(total, page, pages, [(found[opp_id], miles, virtual) for opp_id, miles, virtual in chosen], ignored)
