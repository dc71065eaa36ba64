"""Recommendations: which opportunities suit one student or teacher, and why.

A pure ranking module: it imports neither Flask nor SQLAlchemy (a test checks this), so it is
tested and benchmarked without an app. The app side (``cpspartners.recommend``) turns database
rows into the small frozen records below and calls :func:`recommend`.

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
influence ranking: students are minors and the order must be about what suits them. ``paid``
means the *student* is paid (a stipend), which is a need some students have.

Speed: :class:`OfferIndex` turns the offers into column arrays once (numpy), so scoring every
candidate for one seeker is a few dozen vector operations; only the best few dozen are then
re-scored one by one in plain Python (:func:`score_offer`, the reference definition of the
score) to get exact scores and their reasons. Build the index once per process and reuse it.
"""

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from math import log1p
from typing import Any, TypeAlias, TypeVar

import numpy as np

from cpspartners.geo import EARTH_RADIUS_MILES, miles_between

STUDENT, TEACHER = "student", "teacher"
IN_PERSON, VIRTUAL, HYBRID, EITHER = "in_person", "virtual", "hybrid", "either"
OFFER_MODALITIES = (IN_PERSON, VIRTUAL, HYBRID)
PREFERENCES = (IN_PERSON, VIRTUAL, EITHER)

# Points. Interest outweighs place, place outweighs the small fit signals.
W_TAG = 3.0  # per interest tag in common, at most MAX_INTEREST_HITS of them
W_CLUSTER = 2.0  # per career cluster in common, at most MAX_INTEREST_HITS
MAX_INTEREST_HITS = 2
W_TEXT = 3.0  # times the search index's score in [0, 1] for the seeker's free words
AT_SCHOOL = 3.0
IN_AREA = 1.5
NEAR = 2.0  # falls linearly to 0 at NEAR_MILES from the seeker's school
NEAR_MILES = 6.0
GRADE_FIT = 0.5  # a range of at most GRADE_FIT_WIDTH + 1 grades that contains the student's
GRADE_FIT_WIDTH = 3
LANGUAGE_BONUS = 1.0  # offered in a language the seeker speaks other than English
LANGUAGE_MISMATCH = -3.0  # offered in no language the seeker speaks
# MODALITY[preference][offer modality]
MODALITY = {
    IN_PERSON: {IN_PERSON: 0.0, HYBRID: 0.0, VIRTUAL: -2.0},
    VIRTUAL: {IN_PERSON: -2.0, HYBRID: 1.0, VIRTUAL: 1.5},
    EITHER: {IN_PERSON: 0.0, HYBRID: 0.25, VIRTUAL: 0.5},
}
PAID = 0.5
PAID_NEEDED = 2.0  # on top of PAID when the student needs paid work
TRANSPORT_NEEDED = 1.5
NO_TRANSPORT_FAR = -1.0  # needs transportation, in person only, none provided, far or unknown
FAR_MILES = 3.0
FOR_CLASSES = 2.0  # a teacher and an offer meant for classrooms
POPULAR = 1.0  # times log1p(popularity) / log1p(POPULAR_SCALE), at most POPULAR
POPULAR_SCALE = 100
POPULAR_REASON_MIN = 10
CLOSING_SOON = 0.5
CLOSING_SOON_DAYS = 14
NEW = 0.3
NEW_DAYS = 21
DISMISSED_PARTNER = -2.5
DISMISSED_KIND = -1.5
PER_PARTNER = 2

_EPSILON = 1e-6  # vector and one-by-one scores may differ in the last bits
_NO_DATE = 10**7  # a date ordinal later than any real deadline

# A reason: a code and its parameters, e.g. ("interest", {"interest": "robotics"}).
Reason: TypeAlias = tuple[str, dict[str, Any]]
T = TypeVar("T")


def _frozen(values: Iterable[Any] | None) -> frozenset[Any]:
    return frozenset(values or ())


@dataclass(frozen=True)
class Seeker:
    """Who is looking: a student (grade) or a teacher (grade bands), with school and interests."""

    kind: str = STUDENT
    school_id: int | None = None
    school_name: str = ""
    lat: float | None = None
    lon: float | None = None
    community_area: int | None = None
    grade: int | None = None
    grade_bands: tuple = ()  # teachers: ((low, high), ...); empty means every grade
    clusters: frozenset = frozenset()
    tags: frozenset = frozenset()
    words: tuple = ()  # free words; matched by the search index into ``text_scores``
    languages: frozenset = frozenset({"en"})
    modality: str = EITHER
    needs_paid: bool = False
    needs_transportation: bool = False
    dismissed: frozenset = frozenset()  # offer ids never to show again
    dismissed_partners: frozenset = frozenset()  # "dismissed similar": same partner moves down
    dismissed_kinds: frozenset = frozenset()  # (kind, cluster) pairs that move down

    def __post_init__(self) -> None:
        if self.kind not in (STUDENT, TEACHER):
            raise ValueError("kind must be student or teacher")
        if self.modality not in PREFERENCES:
            raise ValueError("modality must be one of %s" % ", ".join(PREFERENCES))
        if self.kind == STUDENT and self.grade is None:
            raise ValueError("a student needs a grade")
        for name in ("clusters", "tags", "languages", "dismissed", "dismissed_partners", "dismissed_kinds"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "tags", frozenset(t.strip().lower() for t in self.tags if t.strip()))
        object.__setattr__(self, "grade_bands", tuple(tuple(band) for band in self.grade_bands))
        object.__setattr__(self, "words", tuple(self.words))

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Offer:
    """One opportunity, reduced to what ranking needs. ``schools`` empty means citywide."""

    id: int
    partner_id: int
    kind: str
    clusters: frozenset = frozenset()
    tags: frozenset = frozenset()
    grade_min: int = 6
    grade_max: int = 12
    schools: frozenset = frozenset()
    community_area: int | None = None
    lat: float | None = None  # None for virtual offers
    lon: float | None = None
    modality: str = IN_PERSON
    deadline: date | None = None
    seats_left: int | None = None  # None = unlimited
    published: bool = True
    paid: bool = False
    transportation: bool = False
    languages: frozenset = frozenset({"en"})
    popularity: int = 0
    created: date | None = None
    audience: str = "students"  # students | classrooms | families

    def __post_init__(self) -> None:
        if self.modality not in OFFER_MODALITIES:
            raise ValueError("modality must be one of %s" % ", ".join(OFFER_MODALITIES))
        for name in ("clusters", "schools", "languages"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "tags", frozenset(t.strip().lower() for t in (self.tags or ()) if t.strip()))

    @property
    def located(self) -> bool:
        return self.modality != VIRTUAL and self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Recommendation:
    """An offer id, its score and the reasons behind it: ``(code, {parameters})`` pairs."""

    offer_id: int
    score: float
    reasons: tuple = field(default=())


# ----------------------------------------------------------------------------------------------
# The reference: hard rules and the score of one offer, in plain Python.


def grade_fits(seeker: Seeker, offer: Offer) -> bool:
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
    return min(POPULAR, POPULAR * log1p(max(popularity, 0)) / log1p(POPULAR_SCALE))


def distance_miles(seeker: Seeker, offer: Offer) -> float | None:
    """Miles from the seeker's school to an in-person offer, or None when either has no place."""
    if not seeker.located or not offer.located:
        return None
    return miles_between(seeker.lat, seeker.lon, offer.lat, offer.lon)


def score_offer(seeker: Seeker, offer: Offer, today: date, text_score: float = 0.0) -> tuple[float, tuple[Reason, ...]]:
    """``(score, reasons)`` for one eligible offer: the definition every faster path must match."""
    score = 0.0
    first, later = [], []
    tags = sorted(seeker.tags & offer.tags)
    clusters = sorted(seeker.clusters & offer.clusters)
    score += W_TAG * min(len(tags), MAX_INTEREST_HITS)
    score += W_CLUSTER * min(len(clusters), MAX_INTEREST_HITS)
    first += [("interest", {"interest": tag}) for tag in tags]
    first += [("cluster", {"cluster": code}) for code in clusters]
    points = text_points(text_score)
    if points:
        score += points
        first.append(("text_match", {}))

    at_school = seeker.school_id is not None and seeker.school_id in offer.schools
    in_area = (
        seeker.community_area is not None
        and offer.modality != VIRTUAL
        and offer.community_area == seeker.community_area
    )
    miles = distance_miles(seeker, offer)
    if at_school:
        score += AT_SCHOOL
        first.insert(0, ("at_your_school", {"school": seeker.school_name}))
    if in_area:
        score += IN_AREA
    if miles is not None:
        score += NEAR * max(0.0, 1.0 - miles / NEAR_MILES)
        if not at_school and miles <= NEAR_MILES:
            later.append(("distance", {"miles": round(miles, 1), "school": seeker.school_name}))
    if in_area and not at_school:
        later.append(("in_your_area", {"area": seeker.community_area}))

    if seeker.kind == STUDENT and offer.grade_max - offer.grade_min <= GRADE_FIT_WIDTH:
        score += GRADE_FIT
        later.append(("grade", {"grade": seeker.grade}))
    if seeker.kind == TEACHER and offer.audience == "classrooms":
        score += FOR_CLASSES
        later.append(("for_classes", {}))

    if not seeker.languages & offer.languages:
        score += LANGUAGE_MISMATCH
    else:
        extra = sorted((seeker.languages - {"en"}) & offer.languages)
        if extra:
            score += LANGUAGE_BONUS
            later.append(("language", {"language": extra[0]}))

    score += MODALITY[seeker.modality][offer.modality]
    if offer.modality == VIRTUAL and seeker.modality != IN_PERSON:
        later.append(("virtual", {}))

    if offer.paid:
        score += PAID + (PAID_NEEDED if seeker.needs_paid else 0.0)
        later.append(("paid", {}))
    if seeker.needs_transportation:
        if offer.transportation:
            score += TRANSPORT_NEEDED
            later.append(("transportation", {}))
        elif offer.modality == IN_PERSON and (miles is None or miles > FAR_MILES):
            score += NO_TRANSPORT_FAR

    if offer.deadline is not None and 0 <= (offer.deadline - today).days <= CLOSING_SOON_DAYS:
        score += CLOSING_SOON
        later.append(("closing_soon", {"days": (offer.deadline - today).days}))
    if offer.created is not None and 0 <= (today - offer.created).days <= NEW_DAYS:
        score += NEW
        later.append(("new", {}))
    score += popularity_points(offer.popularity)
    if offer.popularity >= POPULAR_REASON_MIN:
        later.append(("popular", {"saves": offer.popularity}))

    if offer.partner_id in seeker.dismissed_partners:
        score += DISMISSED_PARTNER
    if seeker.dismissed_kinds and any((offer.kind, code) in seeker.dismissed_kinds for code in offer.clusters):
        score += DISMISSED_KIND
    return score, tuple(first + later)


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


# ----------------------------------------------------------------------------------------------
# The fast path: the offers as column arrays, every candidate scored at once.


class OfferIndex:
    """The offers as arrays and postings, built once and reused for every seeker.

    Only offers that can ever be shown are indexed (published, seats left); the rest are kept
    by id so that dismissed offers still tell us what "similar" means.
    """

    def __init__(self, offers: Iterable[Offer]) -> None:
        offers = sorted(offers, key=lambda o: o.id)
        self.by_id = {o.id: o for o in offers}
        live = [o for o in offers if o.published and (o.seats_left is None or o.seats_left > 0)]
        self.offers = live
        self.position = {o.id: i for i, o in enumerate(live)}
        n = len(live)
        self.size = n
        self.ids = np.fromiter((o.id for o in live), np.int64, n)
        self.partner = np.fromiter((o.partner_id for o in live), np.int64, n)
        self.grade_min = np.fromiter((o.grade_min for o in live), np.int16, n)
        self.grade_max = np.fromiter((o.grade_max for o in live), np.int16, n)
        self.narrow = (self.grade_max - self.grade_min) <= GRADE_FIT_WIDTH
        self.deadline = np.fromiter((o.deadline.toordinal() if o.deadline else _NO_DATE for o in live), np.int64, n)
        self.created = np.fromiter((o.created.toordinal() if o.created else -_NO_DATE for o in live), np.int64, n)
        self.located = np.fromiter((o.located for o in live), bool, n)
        # Points on the unit sphere: the great-circle distance follows from one dot product, and
        # only offers within NEAR_MILES need the arcsine (the same haversine, rearranged).
        lat = np.radians(np.fromiter((o.lat if o.located else 0.0 for o in live), np.float64, n))
        lon = np.radians(np.fromiter((o.lon if o.located else 0.0 for o in live), np.float64, n))
        self.xyz = np.stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
        self.xyz[:, ~self.located] = 0.0  # dot product 0: a quarter of the Earth away, never near
        self.areas = self._postings(
            live, lambda o: (o.community_area,) if o.community_area is not None and o.modality != VIRTUAL else ()
        )
        self.modality = {m: np.fromiter((o.modality == m for o in live), bool, n) for m in OFFER_MODALITIES}
        self.paid = np.fromiter((o.paid for o in live), bool, n)
        self.transportation = np.fromiter((o.transportation for o in live), bool, n)
        self.restricted = np.fromiter((bool(o.schools) for o in live), bool, n)
        self.classrooms = np.fromiter((o.audience == "classrooms" for o in live), bool, n)
        self.popularity = np.fromiter((popularity_points(o.popularity) for o in live), np.float64, n)
        self.clusters = self._postings(live, lambda o: o.clusters)
        self.tags = self._postings(live, lambda o: o.tags)
        self.schools = self._postings(live, lambda o: o.schools)
        self.partners = self._postings(live, lambda o: (o.partner_id,))
        self.kinds = self._postings(live, lambda o: {(o.kind, code) for code in o.clusters})
        self.languages = {}
        for code, found in self._postings(live, lambda o: o.languages).items():
            mask = np.zeros(n, bool)
            mask[found] = True
            self.languages[code] = mask
        self._cached: dict[Hashable, Any] = {}  # seeker-independent vectors, per day, grade, language set, modality

    def _memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """Vectors shared by many seekers (digests ask for thousands); a few dozen at most."""
        found = self._cached.get(key)
        if found is None:
            if len(self._cached) > 256:
                self._cached.clear()
            found = self._cached[key] = make()
        return found

    def _day(self, today: date) -> tuple[np.ndarray, np.ndarray]:
        """``(open, points)``: deadline not passed, and the points that depend only on the day."""
        day = today.toordinal()
        days_left = self.deadline - day
        age = day - self.created
        points = (
            self.popularity
            + PAID * self.paid
            + CLOSING_SOON * ((days_left >= 0) & (days_left <= CLOSING_SOON_DAYS))
            + NEW * ((age >= 0) & (age <= NEW_DAYS))
        )
        return self.deadline >= day, points

    def _base(self, seeker: Seeker, today: date) -> tuple[np.ndarray, np.ndarray]:
        """``(eligible, points)`` shared by every seeker of the same kind and grade on one day."""
        is_open, points = self._memo(("day", today), lambda: self._day(today))
        if seeker.kind == STUDENT:
            grade = seeker.grade
            ok = is_open & (self.grade_min <= grade) & (self.grade_max >= grade) & ~self.classrooms  # type: ignore[operator]  # a student has a grade
            return ok, points + GRADE_FIT * self.narrow
        ok = is_open
        if seeker.grade_bands:
            fits = np.zeros(self.size, bool)
            for low, high in seeker.grade_bands:
                fits |= (self.grade_min <= high) & (self.grade_max >= low)
            ok = ok & fits
        return ok, points + FOR_CLASSES * self.classrooms

    def _fit(self, languages: frozenset[str], modality: str) -> np.ndarray:
        """Points for language and modality, which depend on few seeker choices."""
        speaks = self._any_mask(self.languages, languages)
        points = np.where(speaks, 0.0, LANGUAGE_MISMATCH) + np.zeros(self.size)  # speaks may be False
        extra = languages - {"en"}
        if extra:
            points += LANGUAGE_BONUS * (speaks & self._any_mask(self.languages, extra))
        for offer_modality, mask in self.modality.items():
            if MODALITY[modality][offer_modality]:
                points += MODALITY[modality][offer_modality] * mask
        return points

    @staticmethod
    def _postings(live: Sequence[Offer], keys_of: Callable[[Offer], Iterable[Hashable]]) -> dict[Any, np.ndarray]:
        lists: dict[Any, list[int]] = {}
        for i, offer in enumerate(live):
            for key in keys_of(offer):
                lists.setdefault(key, []).append(i)
        return {key: np.array(found, np.int64) for key, found in lists.items()}

    def _any(self, postings: Mapping[Any, np.ndarray], keys: Iterable[Hashable]) -> np.ndarray:
        mask = np.zeros(self.size, bool)
        for key in keys:
            found = postings.get(key)
            if found is not None:
                mask[found] = True
        return mask

    def _hits(self, postings: Mapping[Any, np.ndarray], keys: Collection[Hashable]) -> np.ndarray:
        counts = np.zeros(self.size, np.int8)
        for key in keys:
            found = postings.get(key)
            if found is not None:
                counts[found] += 1
        return np.minimum(counts, MAX_INTEREST_HITS) if len(keys) > MAX_INTEREST_HITS else counts

    def scores(self, seeker: Seeker, today: date, text_scores: Mapping[int, Any] | None = None) -> np.ndarray:
        """Every indexed offer's score for ``seeker``; -inf where a hard rule excludes it.

        Must agree with :func:`score_offer` (to rounding): the tests compare the two paths.
        """
        score, ok = self._scores(seeker, today, text_scores)
        return np.where(ok, score, -np.inf)

    def _scores(
        self, seeker: Seeker, today: date, text_scores: Mapping[int, Any] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(points, eligible)`` arrays: the work behind :meth:`scores`."""
        key = (today, seeker.kind, seeker.grade if seeker.kind == STUDENT else seeker.grade_bands)
        ok, base = self._memo(key, lambda: self._base(seeker, today))
        fit = self._memo(
            ("fit", seeker.languages, seeker.modality), lambda: self._fit(seeker.languages, seeker.modality)
        )
        score = base + fit
        if seeker.needs_paid:
            score += PAID_NEEDED * self.paid
        for postings, keys, weight in ((self.tags, seeker.tags, W_TAG), (self.clusters, seeker.clusters, W_CLUSTER)):
            if keys:
                score += weight * self._hits(postings, keys)
        if text_scores:
            found = [(self.position[i], text_points(v)) for i, v in text_scores.items() if i in self.position]
            if found:
                where, points = zip(*found, strict=False)
                score[list(where)] += np.array(points, np.float64)

        at_school = self.schools.get(seeker.school_id)
        restricted_ok = ~self.restricted
        if at_school is not None:
            score[at_school] += AT_SCHOOL
            restricted_ok[at_school] = True
        in_area = self.areas.get(seeker.community_area)
        if in_area is not None:
            score[in_area] += IN_AREA
        if seeker.located:
            lat, lon = np.radians(seeker.lat), np.radians(seeker.lon)  # type: ignore[arg-type]  # located
            here = np.array((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
            dot = here @ self.xyz
            near = np.flatnonzero(dot > np.cos(NEAR_MILES / EARTH_RADIUS_MILES))
            # haversine: sin^2(d / 2R) = (1 - cos(d / R)) / 2 = (1 - dot) / 2
            miles = 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.maximum(1.0 - dot[near], 0.0) / 2))
            score[near] += NEAR * np.maximum(0.0, 1.0 - miles / NEAR_MILES)
            far = dot < np.cos(FAR_MILES / EARTH_RADIUS_MILES)
        else:
            far = True
        if seeker.needs_transportation:
            score += TRANSPORT_NEEDED * self.transportation
            score += NO_TRANSPORT_FAR * (self.modality[IN_PERSON] & ~self.transportation & (far | ~self.located))
        if seeker.dismissed_partners:
            score += DISMISSED_PARTNER * self._any(self.partners, seeker.dismissed_partners)
        if seeker.dismissed_kinds:
            score += DISMISSED_KIND * self._any(self.kinds, seeker.dismissed_kinds)
        ok = ok & restricted_ok
        for offer_id in seeker.dismissed:
            i = self.position.get(offer_id)
            if i is not None:
                ok[i] = False
        return score, ok

    @staticmethod
    def _any_mask(masks: Mapping[str, np.ndarray], codes: Iterable[str]) -> np.ndarray | bool:
        found = None
        for code in codes:
            mask = masks.get(code)
            if mask is not None:
                found = mask.copy() if found is None else found | mask
        return found if found is not None else False

    def recommend(
        self,
        seeker: Seeker,
        today: date,
        limit: int = 10,
        text_scores: Mapping[int, Any] | None = None,
        per_partner: int = PER_PARTNER,
    ) -> list[Recommendation]:
        """The best ``limit`` offers for ``seeker``, at most ``per_partner`` from one partner."""
        if limit <= 0 or not self.size:
            return []
        scores, ok = self._scores(seeker, today, text_scores)
        candidates = np.flatnonzero(ok)  # only the eligible: cheaper than masking the rest to -inf
        values = scores[candidates]
        shown = len(candidates)
        pool = max(limit * 2, 20)  # enough for the diversity cap almost always; else look deeper
        text_scores = text_scores or {}
        while True:
            pool = min(pool, shown)
            if pool == 0:
                return []
            # The pool's worst score, less a little: everything at or above it is re-scored exactly.
            floor = np.partition(values, shown - pool)[shown - pool] - _EPSILON
            chosen = candidates[values >= floor]
            ranked = []
            for i in chosen.tolist():
                offer = self.offers[i]
                score, reasons = score_offer(seeker, offer, today, text_scores.get(offer.id, 0.0))
                ranked.append(Recommendation(offer.id, round(score, 6), reasons))
            ranked.sort(key=lambda r: (-r.score, r.offer_id))
            taken = diversify(ranked, limit, per_partner, lambda r: self.by_id[r.offer_id].partner_id)
            if len(chosen) >= shown or (len(taken) == limit and taken[-1].score > floor + 2 * _EPSILON):
                return taken
            pool *= 4  # one partner filled the pool: look deeper


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
    index = offers if isinstance(offers, OfferIndex) else OfferIndex(offers)
    return index.recommend(seeker, today, limit, text_scores, per_partner)


def recommend_many(
    seekers: Iterable[Seeker],
    offers: OfferIndex | Iterable[Offer],
    today: date,
    limit: int = 10,
    per_partner: int = PER_PARTNER,
) -> list[tuple[Seeker, list[Recommendation]]]:
    """Top ``limit`` for many seekers (digests): ``[(seeker, [Recommendation, ...]), ...]``."""
    index = offers if isinstance(offers, OfferIndex) else OfferIndex(offers)
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
    ranked = []
    for offer in offers:
        if eligible(seeker, offer, today):
            score, reasons = score_offer(seeker, offer, today, text_scores.get(offer.id, 0.0))
            ranked.append((Recommendation(offer.id, round(score, 6), reasons), offer.partner_id))
    ranked.sort(key=lambda pair: (-pair[0].score, pair[0].offer_id))
    return [r for r, _p in diversify(ranked, limit, per_partner, lambda pair: pair[1])]


# ----------------------------------------------------------------------------------------------
# Words for reasons. Marked with N_ so `make messages` extracts them; the web layer passes
# its gettext as ``translate`` so they come out in the reader's language.


def N_(text: str) -> str:
    return text


REASON_MESSAGES = {
    "at_your_school": N_("Offered at your school"),
    "interest": N_("Matches your interest in %(interest)s"),
    "cluster": N_("In a career area you chose: %(cluster)s"),
    "text_match": N_("Matches the words in your profile"),
    "distance": N_("%(miles)s miles from %(school)s"),
    "in_your_area": N_("In your community area"),
    "grade": N_("Made for your grade"),
    "for_classes": N_("Made for classrooms"),
    "language": N_("Offered in %(language)s"),
    "virtual": N_("Virtual: join from anywhere"),
    "paid": N_("Paid"),
    "transportation": N_("Transportation provided"),
    "closing_soon": N_("Deadline soon"),
    "new": N_("New"),
    "popular": N_("Popular with students"),
}


def reason_text(
    reason: Reason, translate: Callable[..., str], describe: Callable[[str, Any], Any] | None = None
) -> str:
    """One reason in words. ``translate(message, **params)`` is gettext-like; ``describe(name,
    value)`` may turn codes (a cluster, a language) into names, which are the codes otherwise."""
    code, params = reason
    message = REASON_MESSAGES.get(code)
    if message is None:
        raise KeyError("unknown reason %r" % code)
    shown = {}
    for name, value in params.items():
        if describe is not None:
            value = describe(name, value)
        if isinstance(value, float):
            value = "%.1f" % value
        shown[name] = value
    return translate(message, **shown)
