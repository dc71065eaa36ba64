"""Benchmark: recommendations on the 100,000-opportunity demo database.

    .venv/bin/python bench/match.py [--db bench/.data/match-100k.sqlite] [--students 300] [--batch 10000]

Creates the database when it is missing (migrate, real schools, ``seed demo --scale 100000``),
then measures, on generated students spread over real schools, grades and interests:

* building the candidate index (one query per table, then the numpy columns), once per process;
* one student's top 10 (p50 / p95 / max over ``--students`` students);
* a digest batch: ``--batch`` students' top 10, students per second;
* for comparison, the plain-Python reference (every offer scored one by one) on a few students,
  and checks that it gives exactly the same answers.

Figures go to docs/benchmarks.md ("## Matching") with the machine and this command.
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import inspect, select

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import School
from cpspartners.recommendations import ranking
from cpspartners.recommendations.candidates import load_offers
from cpspartners.taxonomy import CAREER_CLUSTERS, INTEREST_TAGS

DEFAULT_DB = os.path.join(ROOT, "bench", ".data", "match-100k.sqlite")


def ensure_database(path, scale):
    """Migrate, seed the real schools and the demo directory when missing (idempotent)."""
    env = dict(
        os.environ,
        FLASK_APP="cpspartners",
        CPSPARTNERS_SQLALCHEMY_DATABASE_URI="sqlite:///" + path,
        CPSPARTNERS_SECRET_KEY='"bench"',
    )
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run([flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + path, "SECRET_KEY": "bench"})
    with app.app_context():
        have_schools = db.session.scalar(select(School.id).limit(1)) is not None
        from cpspartners.models import Opportunity

        count = db.session.scalar(select(db.func.count()).select_from(Opportunity)) if have_schools else 0
    if not have_schools:
        subprocess.run([flask, "seed", "schools"], env=env, check=True, capture_output=True)
    if count < scale:
        subprocess.run([flask, "seed", "demo", "--scale", str(scale)], env=env, check=True, capture_output=True)
    return app


def make_students(rng, schools, tags, count):
    """Varied students: real schools serving grades 6-12, grades, interests, needs, dismissals."""
    students = []
    clusters = [code for code, _name, _label in CAREER_CLUSTERS]
    while len(students) < count:
        school = rng.choice(schools)
        low, high = max(6, school.lowest_grade or 6), min(12, school.highest_grade or 12)
        if low > high:
            continue
        students.append(
            ranking.Seeker(
                kind="student",
                school_id=school.id,
                school_name=school.long_name,
                lat=school.latitude,
                lon=school.longitude,
                community_area=school.community_area_number,
                grade=rng.randint(low, high),
                clusters=rng.sample(clusters, rng.choice((0, 1, 1, 2, 3))),
                tags=rng.sample(tags, rng.choice((0, 1, 2, 2, 3, 4))),
                languages=rng.choice(({"en"}, {"en"}, {"en", "es"}, {"es"}, {"en", "pl"})),
                modality=rng.choice(("either", "either", "in_person", "virtual")),
                needs_paid=rng.random() < 0.3,
                needs_transportation=rng.random() < 0.3,
                dismissed=frozenset(rng.sample(range(1, 100_000), rng.choice((0, 0, 2, 5)))),
            )
        )
    return students


def text_scores_for(rng, offer_ids, seeker):
    """Pretend search results for students who wrote free words: 200 offers with scores."""
    if rng.random() < 0.5:
        return None
    return {offer_id: rng.random() for offer_id in rng.sample(offer_ids, 200)}


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--reference", type=int, default=10, help="students checked against the slow reference")
    args = parser.parse_args()

    app = ensure_database(os.path.abspath(args.db), args.scale)
    rng = random.Random(2026)
    with app.app_context():
        assert "saved_opportunity" in inspect(db.engine).get_table_names()
        schools = db.session.scalars(select(School).order_by(School.id)).all()
        today = date.today()
        started = time.perf_counter()
        offers = load_offers()
        loaded = time.perf_counter()
        index = ranking.OfferIndex(offers)
        built = time.perf_counter()
    tags = sorted({t for o in offers for t in o.tags} | set(INTEREST_TAGS))
    offer_ids = [o.id for o in offers]
    print(f"public offers: {len(offers)}, indexed (seats left): {index.size}, distinct tags: {len(tags)}")
    print(
        f"load from SQLite: {loaded - started:.2f} s, build index: {built - loaded:.2f} s, "
        f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )

    # Warm up (first numpy calls allocate), then one student at a time.
    for seeker in make_students(random.Random(1), schools, tags, 20):
        index.recommend(seeker, today)
    students = make_students(rng, schools, tags, args.students)
    timings, cpu, sizes = [], [], []
    for seeker in students:
        scores = text_scores_for(rng, offer_ids, seeker)
        t0, c0 = time.perf_counter(), time.process_time()
        found = index.recommend(seeker, today, 10, scores)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        sizes.append(len(found))
    print(
        f"one student (n={len(timings)}), wall clock: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 95):.1f} ms, max {max(timings):.1f} ms; "
        f"CPU time: p50 {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 95):.1f} ms; "
        f"results per student min {min(sizes)}, mean {statistics.mean(sizes):.1f}"
    )

    batch = make_students(random.Random(7), schools, tags, args.batch)
    t0, c0 = time.perf_counter(), time.process_time()
    digests = ranking.recommend_many(batch, index, today, 10)
    elapsed, used = time.perf_counter() - t0, time.process_time() - c0
    assert len(digests) == args.batch and all(len(found) == 10 for _seeker, found in digests)
    print(
        f"batch of {args.batch} students' top 10: {elapsed:.1f} s wall clock, {args.batch / elapsed:.0f} "
        f"students/s; {used:.1f} s CPU, {args.batch / used:.0f} students per CPU second"
    )

    if args.reference:
        slow = []
        for seeker in students[: args.reference]:
            t0 = time.perf_counter()
            expected = ranking.reference_recommend(seeker, offers, today, 10)
            slow.append((time.perf_counter() - t0) * 1000)
            assert index.recommend(seeker, today, 10) == expected, seeker
        print(
            f"plain-Python reference (every offer scored one by one, n={len(slow)}): "
            f"median {statistics.median(slow):.0f} ms per student; same results as the index: yes"
        )


if __name__ == "__main__":
    main()
