"""Time "Find a speaker or partner" (cpspartners.workflows.finder.search) for many teachers.

    .venv/bin/python bench/find_speakers.py --db /tmp/bench.sqlite --scale 100000 --teachers 200

Builds the database on first use (real schools, then the demo directory at ``--scale``) and the
search index beside it (``--index``, default ``<db>.index``), then runs one search per teacher
school, cycling through typical criteria, twice: topic words matched through the search index
(what the page does) and through the SQL ``LIKE`` fallback (what the page did before, and does
when the index cannot answer). The two take turns on each school, so both see the same machine
load. Prints p50/p95 overall and per criterion for both.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, select

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import Opportunity, School
from cpspartners.search.storage import current_path
from cpspartners.visits import finder

# The first five are the criteria of the earlier runs (docs/benchmarks.md); the last two add a
# Spanish word typed without its accent and two words that must both match.
CRITERIA = [
    ("none", finder.Criteria()),
    ("word robot", finder.Criteria(words=("robot",))),
    ("cluster and grade", finder.Criteria(cluster="040200", grade=9)),
    ("subject", finder.Criteria(subject="science")),
    ("word careers, grade", finder.Criteria(words=("careers",), grade=11)),
    ("word robotica", finder.Criteria(words=("robotica",))),
    ("words climate science", finder.Criteria(words=("climate", "science"))),
]
MODES = (("index", True), ("like", False))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def prepare(app, args):
    """Seed the database and build the index when they are not there yet."""
    if not os.path.exists(args.db) or not db.session.scalar(select(func.count()).select_from(Opportunity)):
        from cpspartners.seed.demo import seed_demo
        from cpspartners.seed.schools import seed_schools

        start = time.perf_counter()
        db.create_all()
        seed_schools(app.config["DATA_DIR"])
        seed_demo(opportunities=args.scale, seed=7)
        print(f"seeded in {time.perf_counter() - start:.0f} s")
    if not os.path.exists(current_path(args.index)):
        from cpspartners.search.outbox import rebuild

        start = time.perf_counter()
        counts = rebuild()
        print(f"index built in {time.perf_counter() - start:.0f} s: {counts}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/cpspartners-bench.sqlite", help="SQLite file, seeded on first use")
    parser.add_argument("--index", help="search index folder, built on first use (default: <db>.index)")
    parser.add_argument("--scale", type=int, default=100_000, help="opportunities to seed on first use")
    parser.add_argument("--teachers", type=int, default=200, help="searches per mode, one per school")
    parser.add_argument("--modes", default="index,like", help="index, like, or both (comma-separated)")
    args = parser.parse_args()
    args.index = args.index or args.db + ".index"
    modes = [(name, flag) for name, flag in MODES if name in args.modes.split(",")]
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + args.db,
            "SEARCH_INDEX_DIR": args.index,
        }
    )
    with app.app_context(), app.test_request_context():
        prepare(app, args)
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(f"nproc {os.cpu_count()}; {load}")
        schools = db.session.scalars(select(School).order_by(School.id).limit(args.teachers)).all()
        total = db.session.scalar(select(func.count()).select_from(Opportunity))
        start = time.perf_counter()
        finder.search(finder.Criteria(words=("welding",)), schools[0], 1, 20)
        print(
            f"{total} opportunities; first index search (opens the index, maps documents to ids) "
            f"{(time.perf_counter() - start) * 1000:.0f} ms, not counted"
        )
        db.session.expunge_all()
        # Modes take turns on each school (which goes first alternates), so a burst of load
        # from other work on the machine falls on both alike.
        timings = {mode: [] for mode, _flag in modes}
        per = {mode: {} for mode, _flag in modes}
        for number, school in enumerate(schools):
            label, criteria = CRITERIA[number % len(CRITERIA)]
            for mode, use_index in modes[number % 2 :] + modes[: number % 2]:
                start = time.perf_counter()
                found = finder.search(criteria, school, 1, 20, use_index=use_index)
                elapsed = (time.perf_counter() - start) * 1000
                timings[mode].append(elapsed)
                times, counts = per[mode].setdefault(label, ([], []))
                times.append(elapsed)
                counts.append(found.total)
                db.session.expunge_all()
        for mode, _flag in modes:
            print(
                f"\n{mode}: {len(timings[mode])} searches, p50 {statistics.median(timings[mode]):.1f} ms, "
                f"p95 {percentile(timings[mode], 95):.1f} ms"
            )
            for label, _criteria in CRITERIA:
                times, counts = per[mode].get(label, ([], []))
                if times:
                    print(
                        f"  {label:<24} p50 {statistics.median(times):6.1f} ms  p95 {percentile(times, 95):6.1f} ms"
                        f"  matches {min(counts)}-{max(counts)}  ({len(times)} schools)"
                    )
        print("\n" + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
