"""The ranking module, with no app: examples of every reason, and properties (Hypothesis)."""

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpspartners.geo import miles_between
from cpspartners.recommendations.ranking import (
    PER_PARTNER,
    REASON_MESSAGES,
    Offer,
    OfferIndex,
    Recommendation,
    Seeker,
    eligible,
    reason_text,
    recommend,
    reference_recommend,
    score_offer,
    similar_signals,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
TODAY = date(2026, 11, 23)
CURIE = (41.8075, -87.7250)  # about where Curie Metropolitan HS is
LANE = (41.9470, -87.6880)


def student(**overrides):
    values = {
        "kind": "student",
        "school_id": 1,
        "school_name": "Curie HS",
        "lat": CURIE[0],
        "lon": CURIE[1],
        "community_area": 57,
        "grade": 10,
    }
    values.update(overrides)
    return Seeker(**values)


def offer(id, **overrides):
    values = {"id": id, "partner_id": id, "kind": "workshop", "lat": LANE[0], "lon": LANE[1], "community_area": 5}
    values.update(overrides)
    return Offer(**values)


def codes(recommendation):
    return [code for code, _params in recommendation.reasons]


def ids(recommendations):
    return [r.offer_id for r in recommendations]


# --- purity ----------------------------------------------------------------------------------


def test_matching_imports_neither_flask_nor_sqlalchemy():
    """Load matching.py (and what it imports) with Flask and SQLAlchemy made unimportable."""
    script = """
import importlib.abc, sys, types
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy", "flask_babel", "werkzeug"):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
package = types.ModuleType("cpspartners")  # the real __init__ builds the app, so skip it
package.__path__ = [%r]
sys.modules["cpspartners"] = package
import cpspartners.recommendations.ranking as m
assert m.recommend
bad = sorted(n for n in sys.modules if n.split(".")[0] in ("flask", "sqlalchemy"))
assert not bad, bad
print("pure")
""" % os.path.join(ROOT, "cpspartners")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pure"


def test_no_sponsorship_or_payment_field_exists():
    fields = set(Offer.__dataclass_fields__)
    assert not {name for name in fields if any(w in name for w in ("sponsor", "promot", "boost", "fee", "ad_"))}


# --- reasons, one example each ------------------------------------------------------------------


def test_offered_at_your_school_comes_first():
    at_school = offer(1, schools={1}, tags={"welding"})
    elsewhere = offer(2, tags={"welding"})
    other_school = offer(3, schools={99}, tags={"welding"})
    found = recommend(student(tags={"welding"}), [at_school, elsewhere, other_school], TODAY)
    assert ids(found) == [1, 2]  # offered only at another school: never shown
    assert found[0].reasons[0] == ("at_your_school", {"school": "Curie HS"})
    assert ("interest", {"interest": "welding"}) in found[0].reasons


def test_interest_and_cluster_reasons():
    o = offer(1, tags={"welding", "robotics", "film"}, clusters={"010100"})
    _score, reasons = score_offer(student(tags={"Welding", "film"}, clusters={"010100", "060100"}), o, TODAY)
    assert ("interest", {"interest": "film"}) in reasons
    assert ("interest", {"interest": "welding"}) in reasons
    assert ("cluster", {"cluster": "010100"}) in reasons


def test_distance_reason_uses_real_miles():
    near = offer(1, lat=41.8200, lon=-87.7100)
    _score, reasons = score_offer(student(), near, TODAY)
    miles = round(miles_between(CURIE[0], CURIE[1], 41.82, -87.71), 1)
    assert ("distance", {"miles": miles, "school": "Curie HS"}) in reasons
    far = offer(2)  # Lane Tech, about 9.8 miles away: no distance reason
    assert "distance" not in [c for c, _p in score_offer(student(), far, TODAY)[1]]


def test_closer_ranks_higher_all_else_equal():
    near, far = offer(2, lat=41.81, lon=-87.72), offer(1, lat=41.86, lon=-87.70)
    assert ids(recommend(student(), [far, near], TODAY)) == [2, 1]


def test_community_area_reason():
    o = offer(1, community_area=57, lat=None, lon=None)
    assert ("in_your_area", {"area": 57}) in score_offer(student(), o, TODAY)[1]


@pytest.mark.parametrize(
    "seeker_kw, offer_kw, code",
    [
        ({"needs_paid": True}, {"paid": True}, "paid"),
        ({"needs_transportation": True}, {"transportation": True}, "transportation"),
        ({"languages": {"en", "es"}}, {"languages": {"en", "es"}}, "language"),
        ({"modality": "virtual"}, {"modality": "virtual", "lat": None, "lon": None}, "virtual"),
        ({}, {"grade_min": 9, "grade_max": 12}, "grade"),
        ({}, {"deadline": TODAY + timedelta(days=3)}, "closing_soon"),
        ({}, {"created": TODAY - timedelta(days=2)}, "new"),
        ({}, {"popularity": 40}, "popular"),
        ({"text": 0.8}, {}, "text_match"),
    ],
)
def test_each_reason_and_its_points(seeker_kw, offer_kw, code):
    text = seeker_kw.pop("text", 0.0)
    seeker = student(**seeker_kw)
    with_it, plain = offer(1, **offer_kw), offer(1)
    score, reasons = score_offer(seeker, with_it, TODAY, text)
    base, base_reasons = score_offer(seeker, plain, TODAY)
    assert code in [c for c, _p in reasons]
    assert code not in [c for c, _p in base_reasons]
    assert score > base


def test_teachers_get_classroom_offers_and_students_do_not():
    classroom = offer(1, audience="classrooms", kind="guest_speaker", grade_min=9, grade_max=12)
    teacher = Seeker(kind="teacher", school_id=1, lat=CURIE[0], lon=CURIE[1], grade_bands=((9, 12),))
    found = recommend(teacher, [classroom], TODAY)
    assert ids(found) == [1] and "for_classes" in codes(found[0])
    assert recommend(student(), [classroom], TODAY) == []
    assert recommend(replace(teacher, grade_bands=((6, 8),)), [classroom], TODAY) == []


def test_language_nobody_speaks_moves_down():
    spanish_only, english = offer(1, languages={"es"}), offer(2)
    assert ids(recommend(student(), [spanish_only, english], TODAY)) == [2, 1]
    assert ids(recommend(student(languages={"es"}), [spanish_only, english], TODAY)) == [1, 2]


def test_reason_text_renders_every_code_through_translate():
    calls = []

    def translate(message, **params):
        calls.append(message)
        return message % params

    assert reason_text(("distance", {"miles": 1.4, "school": "Curie HS"}), translate) == "1.4 miles from Curie HS"
    assert reason_text(("interest", {"interest": "welding"}), translate) == "Matches your interest in welding"
    named = reason_text(
        ("cluster", {"cluster": "010100"}),
        translate,
        describe=lambda name, value: "Advanced Manufacturing" if name == "cluster" else value,
    )
    assert named == "In a career area you chose: Advanced Manufacturing"
    assert calls[0] == REASON_MESSAGES["distance"]
    with pytest.raises(KeyError):
        reason_text(("sponsored", {}), translate)


# --- hard rules, dismissals, diversity, cold start -----------------------------------------------


def test_hard_rules_exclude():
    seeker = student(grade=7)
    excluded = [
        offer(1, grade_min=9, grade_max=12),
        offer(2, deadline=TODAY - timedelta(days=1)),
        offer(3, seats_left=0),
        offer(4, published=False),
    ]
    kept = [offer(5, deadline=TODAY), offer(6, seats_left=1), offer(7, deadline=None)]
    assert sorted(ids(recommend(seeker, excluded + kept, TODAY))) == [5, 6, 7]


def test_dismissed_never_shown_and_similar_move_down():
    dismissed = offer(1, partner_id=10, kind="internship", clusters={"010200"})
    same_partner = offer(2, partner_id=10, kind="workshop", clusters={"060100"})
    same_kind = offer(3, partner_id=11, kind="internship", clusters={"010200"})
    unrelated = offer(4, partner_id=12, kind="workshop", clusters={"060100"})
    everything = [dismissed, same_partner, same_kind, unrelated]
    assert ids(recommend(student(), everything, TODAY)) == [1, 2, 3, 4]  # equal: by id
    partners, kinds = similar_signals([dismissed])
    after = recommend(student(dismissed={1}, dismissed_partners=partners, dismissed_kinds=kinds), everything, TODAY)
    assert ids(after) == [4, 3, 2]


def test_diversity_caps_offers_per_partner():
    many = [offer(i, partner_id=1, tags={"welding"}) for i in range(1, 9)]
    others = [offer(i, partner_id=i) for i in range(9, 20)]
    found = recommend(student(tags={"welding"}), many + others, TODAY, limit=10)
    assert len(found) == 10
    assert ids(found)[:2] == [1, 2]
    assert sum(1 for r in found if r.offer_id < 9) == PER_PARTNER


def test_cold_start_prefers_popular_near_and_open_soon():
    newcomer = student()
    popular = offer(1, popularity=80)
    near = offer(2, lat=41.81, lon=-87.72)
    closing = offer(3, deadline=TODAY + timedelta(days=5))
    plain = offer(4)
    found = recommend(newcomer, [plain, closing, near, popular], TODAY)
    assert ids(found)[-1] == 4
    assert set(ids(found)[:3]) == {1, 2, 3}


def test_odd_text_scores_count_as_nothing_or_are_clipped():
    offers = [offer(1), offer(2), offer(3), offer(4)]
    odd = {1: float("nan"), 2: "junk", 3: float("inf"), 4: -5, 999: 1.0}
    found = recommend(student(), offers, TODAY, text_scores=odd)
    assert ids(found) == [3, 1, 2, 4]
    assert "text_match" in codes(found[0]) and found[0].score == pytest.approx(found[1].score + 3.0)
    assert found == reference_recommend(student(), offers, TODAY, text_scores=odd)


def test_empty_and_zero_limit():
    assert recommend(student(), [], TODAY) == []
    assert recommend(student(), [offer(1)], TODAY, limit=0) == []


def test_bad_seeker_and_offer_values_are_refused():
    with pytest.raises(ValueError):
        Seeker(kind="partner", grade=9)
    with pytest.raises(ValueError):
        Seeker(kind="student")  # no grade
    with pytest.raises(ValueError):
        student(modality="teleport")
    with pytest.raises(ValueError):
        offer(1, modality="carrier pigeon")


# --- properties --------------------------------------------------------------------------------

CLUSTERS = ["010100", "010200", "060100", "040200"]
TAGS = ["welding", "coding", "nursing", "film", "robotics"]

offers_strategy = st.builds(
    Offer,
    id=st.integers(1, 10_000),
    partner_id=st.integers(1, 6),
    kind=st.sampled_from(["workshop", "internship", "guest_speaker"]),
    clusters=st.frozensets(st.sampled_from(CLUSTERS), max_size=2),
    tags=st.frozensets(st.sampled_from(TAGS), max_size=3),
    grade_min=st.integers(6, 9),
    grade_max=st.integers(9, 12),
    schools=st.one_of(st.just(frozenset()), st.frozensets(st.integers(1, 4), min_size=1, max_size=2)),
    community_area=st.one_of(st.none(), st.integers(1, 3)),
    lat=st.one_of(st.none(), st.floats(41.65, 42.0)),
    lon=st.floats(-87.9, -87.55),
    modality=st.sampled_from(["in_person", "virtual", "hybrid"]),
    deadline=st.one_of(st.none(), st.dates(TODAY - timedelta(days=20), TODAY + timedelta(days=60))),
    seats_left=st.one_of(st.none(), st.integers(0, 3)),
    published=st.booleans(),
    paid=st.booleans(),
    transportation=st.booleans(),
    languages=st.frozensets(st.sampled_from(["en", "es", "pl"]), min_size=1, max_size=2),
    popularity=st.integers(0, 200),
    created=st.one_of(st.none(), st.dates(TODAY - timedelta(days=60), TODAY)),
    audience=st.sampled_from(["students", "classrooms", "families"]),
)
offer_lists = st.lists(offers_strategy, max_size=40, unique_by=lambda o: o.id)

seekers_strategy = st.builds(
    Seeker,
    kind=st.just("student"),
    school_id=st.integers(1, 4),
    school_name=st.just("School"),
    lat=st.floats(41.65, 42.0),
    lon=st.floats(-87.9, -87.55),
    community_area=st.integers(1, 3),
    grade=st.integers(6, 12),
    clusters=st.frozensets(st.sampled_from(CLUSTERS), max_size=3),
    tags=st.frozensets(st.sampled_from(TAGS), max_size=3),
    languages=st.frozensets(st.sampled_from(["en", "es", "pl"]), min_size=1, max_size=2),
    modality=st.sampled_from(["in_person", "virtual", "either"]),
    needs_paid=st.booleans(),
    needs_transportation=st.booleans(),
    dismissed=st.frozensets(st.integers(1, 10_000), max_size=5),
    dismissed_partners=st.frozensets(st.integers(1, 6), max_size=2),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seekers_strategy, offer_lists, st.integers(1, 12))
def test_property_hard_rules_never_broken(seeker, offers, limit):
    by_id = {o.id: o for o in offers}
    found = recommend(seeker, offers, TODAY, limit=limit)
    assert len(found) <= limit
    for r in found:
        o = by_id[r.offer_id]
        assert o.published and (o.seats_left is None or o.seats_left > 0)
        assert o.deadline is None or o.deadline >= TODAY
        assert o.grade_min <= seeker.grade <= o.grade_max
        assert not o.schools or seeker.school_id in o.schools
        assert o.audience != "classrooms"
        assert r.offer_id not in seeker.dismissed  # dismissed never shown
        assert eligible(seeker, o, TODAY)


@SETTINGS
@given(seekers_strategy, offer_lists, st.integers(1, 12))
def test_property_diversity_cap_respected(seeker, offers, limit):
    by_id = {o.id: o for o in offers}
    counts = {}
    for r in recommend(seeker, offers, TODAY, limit=limit):
        counts[by_id[r.offer_id].partner_id] = counts.get(by_id[r.offer_id].partner_id, 0) + 1
    assert all(n <= PER_PARTNER for n in counts.values())


@SETTINGS
@given(seekers_strategy, offer_lists, st.randoms(use_true_random=False))
def test_property_deterministic_and_equal_to_the_reference(seeker, offers, rnd):
    """Same answer whatever the input order, and the fast path equals scoring one by one."""
    text_scores = {o.id: 0.5 for o in offers[:3]}
    first = recommend(seeker, offers, TODAY, text_scores=text_scores)
    shuffled = list(offers)
    rnd.shuffle(shuffled)
    assert recommend(seeker, shuffled, TODAY, text_scores=text_scores) == first
    assert reference_recommend(seeker, offers, TODAY, text_scores=text_scores) == first
    scores = [r.score for r in first]
    assert all(isinstance(r, Recommendation) for r in first)
    assert scores == sorted(scores, reverse=True)


@SETTINGS
@given(seekers_strategy, offers_strategy, st.sampled_from(TAGS + CLUSTERS))
def test_property_stronger_interest_never_ranks_lower(seeker, base, interest):
    """Two offers alike but for one more interest in common: that one ranks at least as high."""
    seeker = replace(
        seeker,
        dismissed=frozenset(),
        dismissed_partners=frozenset(),
        tags=seeker.tags | ({interest} if interest in TAGS else set()),
        clusters=seeker.clusters | ({interest} if interest in CLUSTERS else set()),
    )
    weaker = replace(base, id=2, partner_id=2, tags=base.tags - {interest}, clusters=base.clusters - {interest})
    stronger = replace(
        weaker,
        id=1,
        partner_id=1,
        tags=weaker.tags | ({interest} if interest in TAGS else set()),
        clusters=weaker.clusters | ({interest} if interest in CLUSTERS else set()),
    )
    # id 1 also wins ties, so check the tie-free direction with the ids swapped too.
    for strong, weak in ((stronger, weaker), (replace(stronger, id=3), weaker)):
        found = ids(recommend(seeker, [weak, strong], TODAY))
        assert (strong.id in found) == (weak.id in found)  # the interest never changes eligibility
        if found:
            s_strong = score_offer(seeker, strong, TODAY)[0]
            s_weak = score_offer(seeker, weak, TODAY)[0]
            assert s_strong >= s_weak
            if s_strong > s_weak:
                assert found.index(strong.id) < found.index(weak.id)


@SETTINGS
@given(seekers_strategy, offer_lists)
def test_property_cold_start_returns_results(seeker, offers):
    newcomer = replace(seeker, clusters=frozenset(), tags=frozenset(), dismissed=frozenset())
    shown = [o for o in offers if eligible(newcomer, o, TODAY)]
    found = recommend(newcomer, offers, TODAY)
    partners = {o.partner_id for o in shown}
    assert len(found) == min(10, sum(min(PER_PARTNER, sum(o.partner_id == p for o in shown)) for p in partners))


def test_index_is_reusable_and_large_pools_look_deeper():
    """One partner owns the 60 best offers: the index still finds ten from others."""
    crowded = [offer(i, partner_id=1, tags={"welding"}, popularity=100) for i in range(1, 61)]
    rest = [offer(i, partner_id=i) for i in range(61, 80)]
    index = OfferIndex(crowded + rest)
    found = index.recommend(student(tags={"welding"}), TODAY)
    assert ids(found) == [1, 2] + list(range(61, 69))
    assert index.recommend(student(tags={"welding"}), TODAY) == found


def test_index_equals_the_reference_on_a_larger_random_directory():
    """2,000 offers, so the index re-scores only a small pool: it must still match exactly."""
    import random

    rng = random.Random(5)
    offers = []
    for i in range(1, 2001):
        modality = rng.choice(["in_person", "virtual", "hybrid"])
        low = rng.randint(6, 12)
        located = modality != "virtual" and rng.random() < 0.95
        offers.append(
            Offer(
                id=i,
                partner_id=rng.randint(1, 60),
                kind=rng.choice(["workshop", "internship"]),
                clusters={rng.choice(CLUSTERS)},
                tags=set(rng.sample(TAGS, 2)),
                grade_min=low,
                grade_max=rng.randint(low, 12),
                schools={rng.randint(1, 20)} if rng.random() < 0.2 else set(),
                community_area=rng.randint(1, 5) if modality != "virtual" else None,
                lat=41.7 + rng.random() * 0.3 if located else None,
                lon=-87.8 + rng.random() * 0.2 if located else None,
                modality=modality,
                deadline=TODAY + timedelta(days=rng.randint(-10, 60)) if rng.random() < 0.8 else None,
                seats_left=rng.choice([None, 0, 5]),
                published=rng.random() < 0.9,
                paid=rng.random() < 0.2,
                transportation=rng.random() < 0.3,
                languages=rng.choice([{"en"}, {"en", "es"}, {"es"}]),
                popularity=rng.randint(0, 50),
                created=TODAY - timedelta(days=rng.randint(0, 100)),
                audience=rng.choice(["students", "classrooms", "families"]),
            )
        )
    index = OfferIndex(offers)
    for _ in range(30):
        seeker = student(
            school_id=rng.randint(1, 20),
            community_area=rng.randint(1, 5),
            grade=rng.randint(6, 12),
            lat=41.7 + rng.random() * 0.3,
            lon=-87.8 + rng.random() * 0.2,
            clusters=set(rng.sample(CLUSTERS, rng.randint(0, 2))),
            tags=set(rng.sample(TAGS, rng.randint(0, 2))),
            languages=rng.choice([{"en"}, {"es"}, {"en", "es"}]),
            modality=rng.choice(["in_person", "virtual", "either"]),
            needs_paid=rng.random() < 0.5,
            needs_transportation=rng.random() < 0.5,
            dismissed={rng.randint(1, 2000)},
            dismissed_partners={rng.randint(1, 60)},
            dismissed_kinds={("workshop", rng.choice(CLUSTERS))},
        )
        text_scores = {rng.randint(1, 2000): rng.random() for _ in range(20)}
        vector = index.scores(seeker, TODAY, text_scores)
        for position, o in enumerate(index.offers):  # every offer, not only the winners
            if eligible(seeker, o, TODAY):
                assert vector[position] == pytest.approx(score_offer(seeker, o, TODAY, text_scores.get(o.id))[0])
            else:
                assert vector[position] == float("-inf")
        fast = index.recommend(seeker, TODAY, 10, text_scores)
        assert len(fast) == 10
        assert fast == reference_recommend(seeker, offers, TODAY, 10, text_scores)
