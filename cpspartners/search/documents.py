"""Turning an opportunity or a partner into the dict the index stores. Pure: no Flask, no session.

Labels (kinds, clusters, grade bands) arrive as a ``labels`` mapping of code -> text in both
languages, so a Spanish reader's words ("pasantía", "tecnología") find English records too.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cpspartners.search.analysis import words_not_in

# Grade bands used as a facet: an opportunity is in every band its grade range touches.
GRADE_BANDS = (("elementary", 0, 5), ("middle", 6, 8), ("high", 9, 12))
PAID_WORDS = "paid stipend pagado pagada estipendio"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# "kind" and "cluster" -> {code: (English label, Spanish label)}
Labels = Mapping[str, Mapping[str, tuple[str, str]]]


def opportunity_key(object_id: int) -> str:
    return "o:%d" % object_id


def partner_key(object_id: int) -> str:
    return "p:%d" % object_id


@dataclass
class OpportunityRecord:
    """What an opportunity's document is made from, flattened out of the database rows."""

    id: int
    public: bool  # Opportunity.is_public, read in the same select
    partner_name: str
    kind: str
    title: str
    title_es: str
    summary: str
    summary_es: str
    description: str
    description_es: str
    location_name: str
    credential: str
    stipend: str
    grade_min: int
    grade_max: int
    modality: str
    paid: bool
    languages: str
    community_area_number: int | None
    area_name: str
    latitude: float | None
    longitude: float | None
    deadline: date | None
    created_at: datetime | str | None  # SQLite through Core may hand back text
    clusters: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    school_names: list[str] = field(default_factory=list)
    school_ids: list[int] = field(default_factory=list)  # opportunity_school, as the list's filter reads it


@dataclass
class PartnerRecord:
    id: int
    active: bool  # Partner.is_active, read in the same select
    name: str
    mission: str
    mission_es: str
    created_at: datetime | str | None
    place_names: list[str] = field(default_factory=list)


def is_public_opportunity(opp: OpportunityRecord) -> bool:
    """Only public opportunities are searchable: ``Opportunity.is_public``, not a copy of it."""
    return bool(opp.public)


def is_public_partner(partner: PartnerRecord) -> bool:
    """Only active partners are searchable: ``Partner.is_active``."""
    return bool(partner.active)


def grade_bands(low: int, high: int) -> list[str]:
    """The bands an inclusive grade range overlaps: (6, 12) -> ["middle", "high"]."""
    return [name for name, lo, hi in GRADE_BANDS if low <= hi and high >= lo]


def grades(low: int, high: int) -> list[str]:
    """Every grade of an inclusive range, as terms: (9, 12) -> ["9", "10", "11", "12"]. A listing
    is in the list's grade filter when ``grade_min <= grade <= grade_max`` (queries.py)."""
    return [str(grade) for grade in range(low, high + 1)]


def _timestamp(moment: datetime | str | None) -> int:
    if moment is None:
        return 0
    if isinstance(moment, str):  # SQLite through Core may hand back text
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:  # SQLite hands back naive UTC datetimes
        moment = moment.replace(tzinfo=UTC)
    return int((moment - EPOCH).total_seconds() * 1000)  # milliseconds: two rows made in one second still order


def _join(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def _unique_words(*texts: str) -> str:
    """Each word once: the spelling dictionary needs words, not how often they occur."""
    return " ".join(dict.fromkeys(" ".join(texts).split()))


def opportunity_document(opp: OpportunityRecord, labels: Labels) -> dict[str, Any]:
    """The index document for a public opportunity (an ``OpportunityRecord``).

    ``labels`` maps "kind", "cluster" to {code: (english, spanish)}. Only the key is stored;
    results are loaded back from the database, so nothing shown is stale. Few fields keep the
    index small and the build fast: title, summary, and one "body" per language for the rest.
    """
    kind_en, kind_es = labels["kind"].get(opp.kind, (opp.kind, opp.kind))
    cluster_pairs = [labels["cluster"].get(code, (code, code)) for code in opp.clusters]
    places = list(opp.school_names) + ([opp.area_name] if opp.area_name else [])
    has_point = opp.latitude is not None and opp.longitude is not None
    labels_en = _join(
        kind_en, " ".join(opp.tags), " ".join(en for en, _es in cluster_pairs), PAID_WORDS if opp.paid else ""
    )
    labels_es = _join(kind_es, " ".join(es for _en, es in cluster_pairs))
    return {
        "key": opportunity_key(opp.id),
        "type": "opportunity",
        "title": opp.title,
        "title_es": opp.title_es,
        "summary": opp.summary,
        "summary_es": opp.summary_es,
        # The body leaves out words the title or summary already has: see ``words_not_in``.
        "body": words_not_in(
            _join(
                opp.description,
                opp.location_name,
                opp.credential,
                opp.stipend,
                opp.partner_name,
                labels_en,
                " ".join(places),
            ),
            opp.title,
            opp.summary,
        ),
        "body_es": words_not_in(_join(opp.description_es, labels_es), opp.title_es, opp.summary_es),
        "spell": _unique_words(opp.title, opp.title_es, opp.partner_name, labels_en, labels_es, " ".join(places)),
        "kind": opp.kind,
        "cluster": ",".join(opp.clusters),
        "band": ",".join(grade_bands(opp.grade_min, opp.grade_max)),
        "area": str(opp.community_area_number) if opp.community_area_number else "",
        "modality": opp.modality,
        "paid": "1" if opp.paid else "0",
        "lang": ",".join(code for code in opp.languages.split(",") if code),
        "grade": ",".join(grades(opp.grade_min, opp.grade_max)),
        # Only the schools named: a citywide listing (none) is not in a school's filter (queries.py).
        "school": ",".join(str(school_id) for school_id in sorted(opp.school_ids)),
        "deadline": opp.deadline.toordinal() if opp.deadline else 0,
        "created": _timestamp(opp.created_at),
        "lat": opp.latitude if has_point else 0.0,
        "lon": opp.longitude if has_point else 0.0,
    }


def partner_document(partner: PartnerRecord) -> dict[str, Any]:
    """The index document for an active partner (a ``PartnerRecord``): name, mission, neighborhoods."""
    places = " ".join(dict.fromkeys(partner.place_names))
    return {
        "key": partner_key(partner.id),
        "type": "partner",
        "title": partner.name,
        "summary": partner.mission,
        "summary_es": partner.mission_es,
        "body": places,
        "spell": _unique_words(partner.name, places),
        "created": _timestamp(partner.created_at),
    }


VOCABULARY_PREFIX = "v:"


def vocabulary_documents(counts: Mapping[str, int]) -> Iterator[dict[str, Any]]:
    """The spelling dictionary of a full rebuild as a few documents, one per word count.

    Every document used to carry its own "spell" field; at 100,000 listings that was about a
    quarter of the build time. A rebuild now counts the words once and writes each distinct count
    as one document whose "spell" field is boosted by that count, so term weights (what the search
    box's suggestions sort by) stay what they were. Single upserts still carry their own field.
    """
    by_count: dict[int, list[str]] = {}
    for word, count in counts.items():
        by_count.setdefault(count, []).append(word)
    for count, words in sorted(by_count.items()):
        yield {
            "key": "%s%d" % (VOCABULARY_PREFIX, count),
            "type": "vocabulary",
            "spell": " ".join(sorted(words)),
            "_spell_boost": float(count),
        }
