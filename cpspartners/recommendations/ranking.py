"""Recommendations: which opportunities suit one student or teacher, and why.

A pure ranking package: neither this module nor those it imports use Flask or SQLAlchemy (a test
checks this), so it is tested and benchmarked without an app. The app side
(``recommendations.candidates``) turns database rows into the small frozen records of
``records`` and calls :func:`recommend`. This module is the one to import; the others hold
one concern each:

* ``records``: :class:`Seeker`, :class:`Offer`, :class:`Recommendation`;
* ``weights``: the points of every signal;
* ``scoring``: the hard rules and the reference score of one offer (:func:`score_offer`);
* ``offer_index``: :class:`OfferIndex`, the same score for every offer at once (numpy);
* ``reasons``: the words for each reason.

How an offer is scored for a seeker (a student or a teacher):

* Hard rules first. An offer is never shown when it is unpublished, its deadline has passed, it
  has no seats left, it does not fit the student's grade (or any of a teacher's grade bands), it
  is offered only at other schools, it is meant for whole classrooms and the seeker is a student,
  or the seeker dismissed it ("Not interested").
* Then points, each with a structured reason (a code and its parameters, rendered elsewhere in
  English or Spanish): interest tags and career clusters in common, free words matched by the
  search index (``text_scores``, computed elsewhere), place (offered at my school, in my community
  area, distance from my school by real coordinates), a close grade fit, language, modality,
  needs (paid, transportation), popularity, a deadline soon, a new listing.
* Offers like ones the seeker dismissed (same partner; same kind and cluster) move down.
* Diversity: at most ``per_partner`` offers from one partner in the results (greedy re-rank).
* Ties are broken by offer id, so the same input always gives the same output.

No sponsorship, advertising or payment field exists on :class:`Offer`, and none may ever
influence ranking: students are minors and the order must be about what suits them.

Speed: :class:`OfferIndex` turns the offers into column arrays once, so scoring every candidate
for one seeker is a few dozen vector operations; only the best few dozen are then re-scored one
by one in plain Python (:func:`score_offer`, the reference definition of the score) to get exact
scores and their reasons. Build the index once per process and reuse it.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from cpspartners.recommendations.offer_index import OfferIndex
from cpspartners.recommendations.reasons import REASON_MESSAGES, reason_text
from cpspartners.recommendations.records import (
    EITHER,
    HYBRID,
    IN_PERSON,
    OFFER_MODALITIES,
    PREFERENCES,
    STUDENT,
    TEACHER,
    VIRTUAL,
    Offer,
    Reason,
    Recommendation,
    Seeker,
)
from cpspartners.recommendations.scoring import (
    distance_miles,
    diversify,
    eligible,
    grade_fits,
    popularity_points,
    recommendation,
    score_offer,
    similar_signals,
    text_points,
)
from cpspartners.recommendations.weights import PER_PARTNER

__all__ = [
    "EITHER",
    "HYBRID",
    "IN_PERSON",
    "OFFER_MODALITIES",
    "PER_PARTNER",
    "PREFERENCES",
    "REASON_MESSAGES",
    "STUDENT",
    "TEACHER",
    "VIRTUAL",
    "Offer",
    "OfferIndex",
    "Reason",
    "Recommendation",
    "Seeker",
    "distance_miles",
    "diversify",
    "eligible",
    "grade_fits",
    "near_duplicate_key",
    "popularity_points",
    "reason_text",
    "recommend",
    "recommend_many",
    "reference_recommend",
    "score_offer",
    "similar_signals",
    "text_points",
    "without_near_duplicates",
]


def near_duplicate_key(title: str, partner_id: int) -> tuple[str, int]:
    """What makes two listings the same card to a reader: the partner and the title, without
    case, accents, numbers or punctuation ("Robotics Workshop (2)" is "robotics workshop")."""
    folded = unicodedata.normalize("NFKD", title or "")
    letters = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z]+", " ", letters).split()), partner_id


def without_near_duplicates(
    ranked: Iterable[Recommendation], key_of: Mapping[int, tuple[str, int]]
) -> list[Recommendation]:
    """``ranked`` keeping only the best of each near-identical group (``key_of``: offer id ->
    ``near_duplicate_key``); an offer with no key is kept. Order is kept."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for item in ranked:
        key = key_of.get(item.offer_id)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(item)
    return kept


def _index(offers: OfferIndex | Iterable[Offer]) -> OfferIndex:
    return offers if isinstance(offers, OfferIndex) else OfferIndex(offers)


def recommend(
    seeker: Seeker,
    offers: OfferIndex | Iterable[Offer],
    today: date,
    limit: int = 10,
    text_scores: Mapping[int, Any] | None = None,
    per_partner: int = PER_PARTNER,
) -> list[Recommendation]:
    """Ranked :class:`Recommendation` list for ``seeker``.

    ``offers`` is an :class:`OfferIndex` (build it once and reuse it) or any iterable of
    :class:`Offer`. ``text_scores`` maps offer id to the search index's score in [0, 1] for the
    seeker's free words.
    """
    return _index(offers).recommend(seeker, today, limit, text_scores, per_partner)


def recommend_many(
    seekers: Iterable[Seeker],
    offers: OfferIndex | Iterable[Offer],
    today: date,
    limit: int = 10,
    per_partner: int = PER_PARTNER,
) -> list[tuple[Seeker, list[Recommendation]]]:
    """Top ``limit`` for many seekers (digests): ``[(seeker, [Recommendation, ...]), ...]``."""
    index = _index(offers)
    return [(seeker, index.recommend(seeker, today, limit, None, per_partner)) for seeker in seekers]


def reference_recommend(
    seeker: Seeker,
    offers: Iterable[Offer],
    today: date,
    limit: int = 10,
    text_scores: Mapping[int, Any] | None = None,
    per_partner: int = PER_PARTNER,
) -> list[Recommendation]:
    """The same ranking by scoring every offer one by one: slow, for tests and the benchmark."""
    text_scores = text_scores or {}
    ranked = [
        (recommendation(seeker, offer, today, text_scores), offer.partner_id)
        for offer in offers
        if eligible(seeker, offer, today)
    ]
    ranked.sort(key=lambda pair: (-pair[0].score, pair[0].offer_id))
    return [r for r, _p in diversify(ranked, limit, per_partner, lambda pair: pair[1])]
