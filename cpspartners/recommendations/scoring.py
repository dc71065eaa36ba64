"""The reference: the hard rules and the score of one offer, in plain Python.

:func:`score_offer` is the definition every faster path must match: the vector path in
``offer_index`` picks a pool with it and re-scores that pool here, and the tests compare the
two. The score is summed term by term in one fixed order (a float sum depends on its order),
each term beside the reason it gives, through a :class:`_Tally`.
"""

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from math import log1p
from typing import Any, TypeVar

from cpspartners.geo import miles_between
from cpspartners.recommendations.records import (
    IN_PERSON,
    STUDENT,
    TEACHER,
    VIRTUAL,
    Offer,
    Reason,
    Recommendation,
    Seeker,
)
from cpspartners.recommendations.weights import (
    AT_SCHOOL,
    CLOSING_SOON,
    CLOSING_SOON_DAYS,
    DISMISSED_KIND,
    DISMISSED_PARTNER,
    FAR_MILES,
    FOR_CLASSES,
    GRADE_FIT,
    GRADE_FIT_WIDTH,
    IN_AREA,
    LANGUAGE_BONUS,
    LANGUAGE_MISMATCH,
    MAX_INTEREST_HITS,
    MODALITY,
    NEAR,
    NEAR_MILES,
    NEW,
    NEW_DAYS,
    NO_TRANSPORT_FAR,
    PAID,
    PAID_NEEDED,
    PER_PARTNER,
    POPULAR,
    POPULAR_REASON_MIN,
    POPULAR_SCALE,
    TRANSPORT_NEEDED,
    W_CLUSTER,
    W_TAG,
    W_TEXT,
)

T = TypeVar("T")


def grade_fits(seeker: Seeker, offer: Offer) -> bool:
    """A student's grade is in the offer's range; a teacher's bands (if any) overlap it."""
    if seeker.kind == STUDENT:
        return offer.grade_min <= seeker.grade <= offer.grade_max  # type: ignore[operator]  # a student has a grade
    if not seeker.grade_bands:
        return True
    return any(low <= offer.grade_max and offer.grade_min <= high for low, high in seeker.grade_bands)


def eligible(seeker: Seeker, offer: Offer, today: date) -> bool:
    """The hard rules: False when the seeker cannot take ``offer`` at all."""
    return (
        offer.published
        and (offer.seats_left is None or offer.seats_left > 0)
        and (offer.deadline is None or offer.deadline >= today)
        and grade_fits(seeker, offer)
        and (not offer.schools or seeker.school_id in offer.schools)
        and not (seeker.kind == STUDENT and offer.audience == "classrooms")
        and offer.id not in seeker.dismissed
    )


def text_points(value: Any) -> float:
    """The search index's score as points: clipped to [0, 1]; NaN or junk counts as nothing."""
    try:
        value = float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0
    if not value > 0:  # also catches NaN
        return 0.0
    return W_TEXT * min(value, 1.0)


def popularity_points(popularity: int) -> float:
    """Points for how many saved an offer: growing like a logarithm, at most ``POPULAR``."""
    return min(POPULAR, POPULAR * log1p(max(popularity, 0)) / log1p(POPULAR_SCALE))


def distance_miles(seeker: Seeker, offer: Offer) -> float | None:
    """Miles from the seeker's school to an in-person offer, or None when either has no place."""
    if not seeker.located or not offer.located:
        return None
    return miles_between(seeker.lat, seeker.lon, offer.lat, offer.lon)


@dataclass
class _Tally:
    """A score summed in the reference's order, with its reasons: ``first`` ones lead (offered
    at your school, then interests), ``later`` ones follow in the order they were found."""

    score: float = 0.0
    first: list[Reason] = field(default_factory=list)
    later: list[Reason] = field(default_factory=list)

    def add(self, points: float, reason: Reason | None = None) -> None:
        self.score += points
        if reason is not None:
            self.later.append(reason)


def _interests(tally: _Tally, seeker: Seeker, offer: Offer, text_score: float) -> None:
    """Interest tags and career clusters in common, and the seeker's free words matched."""
    tags = sorted(seeker.tags & offer.tags)
    clusters = sorted(seeker.clusters & offer.clusters)
    tally.add(W_TAG * min(len(tags), MAX_INTEREST_HITS))
    tally.add(W_CLUSTER * min(len(clusters), MAX_INTEREST_HITS))
    tally.first += [("interest", {"interest": tag}) for tag in tags]
    tally.first += [("cluster", {"cluster": code}) for code in clusters]
    points = text_points(text_score)
    if points:
        tally.add(points)
        tally.first.append(("text_match", {}))


def _place(tally: _Tally, seeker: Seeker, offer: Offer) -> float | None:
    """Offered at my school, in my community area, near my school. Returns the miles (or None)."""
    at_school = seeker.school_id is not None and seeker.school_id in offer.schools
    in_area = (
        seeker.community_area is not None
        and offer.modality != VIRTUAL
        and offer.community_area == seeker.community_area
    )
    miles = distance_miles(seeker, offer)
    if at_school:
        tally.add(AT_SCHOOL)
        tally.first.insert(0, ("at_your_school", {"school": seeker.school_name}))
    if in_area:
        tally.add(IN_AREA)
    if miles is not None:
        # The at-your-school reason already says where it is.
        near = not at_school and miles <= NEAR_MILES
        reason = ("distance", {"miles": round(miles, 1), "school": seeker.school_name}) if near else None
        tally.add(NEAR * max(0.0, 1.0 - miles / NEAR_MILES), reason)
    if in_area and not at_school:
        tally.later.append(("in_your_area", {"area": seeker.community_area}))
    return miles


def _fit(tally: _Tally, seeker: Seeker, offer: Offer) -> None:
    """A close grade fit, an offer for classrooms (teachers), language and modality."""
    if seeker.kind == STUDENT and offer.grade_max - offer.grade_min <= GRADE_FIT_WIDTH:
        tally.add(GRADE_FIT, ("grade", {"grade": seeker.grade}))
    if seeker.kind == TEACHER and offer.audience == "classrooms":
        tally.add(FOR_CLASSES, ("for_classes", {}))
    if not seeker.languages & offer.languages:
        tally.add(LANGUAGE_MISMATCH)
    else:
        extra = sorted((seeker.languages - {"en"}) & offer.languages)
        if extra:
            tally.add(LANGUAGE_BONUS, ("language", {"language": extra[0]}))
    virtual = offer.modality == VIRTUAL and seeker.modality != IN_PERSON
    tally.add(MODALITY[seeker.modality][offer.modality], ("virtual", {}) if virtual else None)


def _needs(tally: _Tally, seeker: Seeker, offer: Offer, miles: float | None) -> None:
    """Paid work (more when the student needs it) and transportation for those who need it."""
    if offer.paid:
        tally.add(PAID + (PAID_NEEDED if seeker.needs_paid else 0.0), ("paid", {}))
    if seeker.needs_transportation:
        if offer.transportation:
            tally.add(TRANSPORT_NEEDED, ("transportation", {}))
        elif offer.modality == IN_PERSON and (miles is None or miles > FAR_MILES):
            tally.add(NO_TRANSPORT_FAR)


def _timing(tally: _Tally, offer: Offer, today: date) -> None:
    """A deadline soon, a new listing, and popularity."""
    if offer.deadline is not None and 0 <= (offer.deadline - today).days <= CLOSING_SOON_DAYS:
        tally.add(CLOSING_SOON, ("closing_soon", {"days": (offer.deadline - today).days}))
    if offer.created is not None and 0 <= (today - offer.created).days <= NEW_DAYS:
        tally.add(NEW, ("new", {}))
    popular = offer.popularity >= POPULAR_REASON_MIN
    tally.add(popularity_points(offer.popularity), ("popular", {"saves": offer.popularity}) if popular else None)


def _dismissed(tally: _Tally, seeker: Seeker, offer: Offer) -> None:
    """Offers like ones the seeker dismissed move down: same partner, same kind and cluster."""
    if offer.partner_id in seeker.dismissed_partners:
        tally.add(DISMISSED_PARTNER)
    if seeker.dismissed_kinds and any((offer.kind, code) in seeker.dismissed_kinds for code in offer.clusters):
        tally.add(DISMISSED_KIND)


def score_offer(seeker: Seeker, offer: Offer, today: date, text_score: float = 0.0) -> tuple[float, tuple[Reason, ...]]:
    """``(score, reasons)`` for one eligible offer: the definition every faster path must match."""
    tally = _Tally()
    _interests(tally, seeker, offer, text_score)
    miles = _place(tally, seeker, offer)
    _fit(tally, seeker, offer)
    _needs(tally, seeker, offer, miles)
    _timing(tally, offer, today)
    _dismissed(tally, seeker, offer)
    return tally.score, tuple(tally.first + tally.later)


def recommendation(seeker: Seeker, offer: Offer, today: date, text_scores: Mapping[int, Any]) -> Recommendation:
    """``offer`` scored for ``seeker`` by :func:`score_offer`, the score rounded as results show it."""
    score, reasons = score_offer(seeker, offer, today, text_scores.get(offer.id, 0.0))
    return Recommendation(offer.id, round(score, 6), reasons)


def similar_signals(dismissed_offers: Collection[Offer]) -> tuple[frozenset[int], frozenset[tuple[str, str]]]:
    """``(partner ids, {(kind, cluster)})`` of the offers a seeker dismissed, for :class:`Seeker`."""
    partners = frozenset(o.partner_id for o in dismissed_offers)
    kinds = frozenset((o.kind, code) for o in dismissed_offers for code in o.clusters)
    return partners, kinds


def diversify(
    ranked: Iterable[T], limit: int, per_partner: int = PER_PARTNER, partner_of: Callable[[T], Hashable] | None = None
) -> list[T]:
    """Greedy re-rank: walk ``ranked`` best first, skip an offer whose partner is already full."""
    taken: list[T] = []
    counts: dict[Hashable, int] = {}
    for item in ranked:
        partner = partner_of(item)  # type: ignore[misc]  # every caller passes one
        if counts.get(partner, 0) >= per_partner:
            continue
        counts[partner] = counts.get(partner, 0) + 1
        taken.append(item)
        if len(taken) == limit:
            break
    return taken
