"""The fast path: the offers as column arrays (numpy), every candidate scored at once.

:class:`OfferIndex` turns the offers into arrays and postings once, so scoring every candidate
for one seeker is a few dozen vector operations; only the best few dozen are then re-scored one
by one by the reference (:func:`scoring.score_offer`) to get exact scores and their reasons.
Build the index once per process and reuse it.
"""

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

import numpy as np

from cpspartners.geo import EARTH_RADIUS_MILES
from cpspartners.recommendations.records import (
    IN_PERSON,
    OFFER_MODALITIES,
    STUDENT,
    VIRTUAL,
    Offer,
    Recommendation,
    Seeker,
)
from cpspartners.recommendations.scoring import diversify, popularity_points, recommendation, text_points
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
    TRANSPORT_NEEDED,
    W_CLUSTER,
    W_TAG,
)

_EPSILON = 1e-6  # vector and one-by-one scores may differ in the last bits
_NO_DATE = 10**7  # a date ordinal later than any real deadline

T = TypeVar("T")


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, from latitudes and longitudes in radians."""
    return np.stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


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
        self.size = len(live)
        self.ids = np.fromiter((o.id for o in live), np.int64, self.size)
        self.partner = np.fromiter((o.partner_id for o in live), np.int64, self.size)
        self._index_grades_and_dates(live)
        self._index_places(live)
        self._index_flags(live)
        self._index_postings(live)
        self._cached: dict[Hashable, Any] = {}  # seeker-independent vectors, per day, grade, language set, modality

    def _index_grades_and_dates(self, live: Sequence[Offer]) -> None:
        n = self.size
        self.grade_min = np.fromiter((o.grade_min for o in live), np.int16, n)
        self.grade_max = np.fromiter((o.grade_max for o in live), np.int16, n)
        self.narrow = (self.grade_max - self.grade_min) <= GRADE_FIT_WIDTH
        self.deadline = np.fromiter((o.deadline.toordinal() if o.deadline else _NO_DATE for o in live), np.int64, n)
        self.created = np.fromiter((o.created.toordinal() if o.created else -_NO_DATE for o in live), np.int64, n)

    def _index_places(self, live: Sequence[Offer]) -> None:
        n = self.size
        self.located = np.fromiter((o.located for o in live), bool, n)
        # Points on the unit sphere: the great-circle distance follows from one dot product, and
        # only offers within NEAR_MILES need the arcsine (the same haversine, rearranged).
        lat = np.radians(np.fromiter((o.lat if o.located else 0.0 for o in live), np.float64, n))
        lon = np.radians(np.fromiter((o.lon if o.located else 0.0 for o in live), np.float64, n))
        self.xyz = _unit_vectors(lat, lon)
        self.xyz[:, ~self.located] = 0.0  # dot product 0: a quarter of the Earth away, never near
        self.areas = self._postings(
            live, lambda o: (o.community_area,) if o.community_area is not None and o.modality != VIRTUAL else ()
        )

    def _index_flags(self, live: Sequence[Offer]) -> None:
        n = self.size
        self.modality = {m: np.fromiter((o.modality == m for o in live), bool, n) for m in OFFER_MODALITIES}
        self.paid = np.fromiter((o.paid for o in live), bool, n)
        self.transportation = np.fromiter((o.transportation for o in live), bool, n)
        self.restricted = np.fromiter((bool(o.schools) for o in live), bool, n)
        self.classrooms = np.fromiter((o.audience == "classrooms" for o in live), bool, n)
        self.popularity = np.fromiter((popularity_points(o.popularity) for o in live), np.float64, n)

    def _index_postings(self, live: Sequence[Offer]) -> None:
        self.clusters = self._postings(live, lambda o: o.clusters)
        self.tags = self._postings(live, lambda o: o.tags)
        self.schools = self._postings(live, lambda o: o.schools)
        self.partners = self._postings(live, lambda o: (o.partner_id,))
        self.kinds = self._postings(live, lambda o: {(o.kind, code) for code in o.clusters})
        self.languages = {}
        for code, found in self._postings(live, lambda o: o.languages).items():
            mask = np.zeros(self.size, bool)
            mask[found] = True
            self.languages[code] = mask

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

    @staticmethod
    def _any_mask(masks: Mapping[str, np.ndarray], codes: Iterable[str]) -> np.ndarray | bool:
        found = None
        for code in codes:
            mask = masks.get(code)
            if mask is not None:
                found = mask.copy() if found is None else found | mask
        return found if found is not None else False

    def scores(self, seeker: Seeker, today: date, text_scores: Mapping[int, Any] | None = None) -> np.ndarray:
        """Every indexed offer's score for ``seeker``; -inf where a hard rule excludes it.

        Must agree with :func:`scoring.score_offer` (to rounding): the tests compare the two paths.
        """
        score, ok = self._scores(seeker, today, text_scores)
        return np.where(ok, score, -np.inf)

    def _scores(
        self, seeker: Seeker, today: date, text_scores: Mapping[int, Any] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(points, eligible)`` arrays: the work behind :meth:`scores`, in the reference's order."""
        key = (today, seeker.kind, seeker.grade if seeker.kind == STUDENT else seeker.grade_bands)
        ok, base = self._memo(key, lambda: self._base(seeker, today))
        fit = self._memo(
            ("fit", seeker.languages, seeker.modality), lambda: self._fit(seeker.languages, seeker.modality)
        )
        score = base + fit
        if seeker.needs_paid:
            score += PAID_NEEDED * self.paid
        self._add_interests(score, seeker, text_scores)
        restricted_ok, far = self._add_place(score, seeker)
        self._add_needs_and_dismissals(score, seeker, far)
        return score, self._not_dismissed(ok & restricted_ok, seeker)

    def _add_interests(self, score: np.ndarray, seeker: Seeker, text_scores: Mapping[int, Any] | None) -> None:
        """Points for tags and clusters in common, and the search index's scores for free words."""
        for postings, keys, weight in ((self.tags, seeker.tags, W_TAG), (self.clusters, seeker.clusters, W_CLUSTER)):
            if keys:
                score += weight * self._hits(postings, keys)
        if text_scores:
            found = [(self.position[i], text_points(v)) for i, v in text_scores.items() if i in self.position]
            if found:
                where, points = zip(*found, strict=False)
                score[list(where)] += np.array(points, np.float64)

    def _add_place(self, score: np.ndarray, seeker: Seeker) -> tuple[np.ndarray, np.ndarray | bool]:
        """Points for at my school, in my area and near my school. Returns ``(allowed, far)``:
        offers the school restriction lets through, and which are far from the school."""
        at_school = self.schools.get(seeker.school_id)
        restricted_ok = ~self.restricted
        if at_school is not None:
            score[at_school] += AT_SCHOOL
            restricted_ok[at_school] = True
        in_area = self.areas.get(seeker.community_area)
        if in_area is not None:
            score[in_area] += IN_AREA
        return restricted_ok, self._add_near(score, seeker) if seeker.located else True

    def _add_near(self, score: np.ndarray, seeker: Seeker) -> np.ndarray:
        """Points falling with the distance from a located seeker's school; returns which offers are far."""
        here = _unit_vectors(np.radians(seeker.lat), np.radians(seeker.lon))  # type: ignore[arg-type]  # located
        dot = here @ self.xyz
        near = np.flatnonzero(dot > np.cos(NEAR_MILES / EARTH_RADIUS_MILES))
        # haversine: sin^2(d / 2R) = (1 - cos(d / R)) / 2 = (1 - dot) / 2
        miles = 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.maximum(1.0 - dot[near], 0.0) / 2))
        score[near] += NEAR * np.maximum(0.0, 1.0 - miles / NEAR_MILES)
        return dot < np.cos(FAR_MILES / EARTH_RADIUS_MILES)

    def _add_needs_and_dismissals(self, score: np.ndarray, seeker: Seeker, far: np.ndarray | bool) -> None:
        """Transportation for those who need it; offers like dismissed ones move down."""
        if seeker.needs_transportation:
            score += TRANSPORT_NEEDED * self.transportation
            score += NO_TRANSPORT_FAR * (self.modality[IN_PERSON] & ~self.transportation & (far | ~self.located))
        if seeker.dismissed_partners:
            score += DISMISSED_PARTNER * self._any(self.partners, seeker.dismissed_partners)
        if seeker.dismissed_kinds:
            score += DISMISSED_KIND * self._any(self.kinds, seeker.dismissed_kinds)

    def _not_dismissed(self, ok: np.ndarray, seeker: Seeker) -> np.ndarray:
        """``ok`` with the offers the seeker dismissed turned off."""
        for offer_id in seeker.dismissed:
            i = self.position.get(offer_id)
            if i is not None:
                ok[i] = False
        return ok

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
        while True:
            pool = min(pool, shown)
            if pool == 0:
                return []
            # The pool's worst score, less a little: everything at or above it is re-scored exactly.
            floor = np.partition(values, shown - pool)[shown - pool] - _EPSILON
            chosen = candidates[values >= floor]
            ranked = self._rescored(chosen, seeker, today, text_scores or {})
            taken = diversify(ranked, limit, per_partner, lambda r: self.by_id[r.offer_id].partner_id)
            if len(chosen) >= shown or (len(taken) == limit and taken[-1].score > floor + 2 * _EPSILON):
                return taken
            pool *= 4  # one partner filled the pool: look deeper

    def _rescored(
        self, chosen: np.ndarray, seeker: Seeker, today: date, text_scores: Mapping[int, Any]
    ) -> list[Recommendation]:
        """The offers at positions ``chosen``, scored exactly by the reference, best first (ties by id)."""
        ranked = [recommendation(seeker, self.offers[i], today, text_scores) for i in chosen.tolist()]
        ranked.sort(key=lambda r: (-r.score, r.offer_id))
        return ranked
