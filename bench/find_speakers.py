"""Time "Find a speaker or partner" (cpspartners.workflows.finder.search) for many teachers.

    .venv/bin/python bench/find_speakers.py --db /tmp/bench.sqlite --scale 100000 --teachers 200

Builds the database on first use (real schools, then the demo directory at ``--scale``), then
runs one search per teacher school, cycling through a few typical criteria, and prints p50/p95.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, select  # noqa: E402

from cpspartners import create_app  # noqa: E402
from cpspartners.extensions import db  # noqa: E402
from cpspartners.models import Opportunity, School  # noqa: E402
from cpspartners.workflows import finder  # noqa: E402

CRITERIA = [finder.Criteria(), finder.Criteria(words=("robot",)), finder.Criteria(cluster="040200", grade=9),
            finder.Criteria(subject="science"), finder.Criteria(words=("careers",), grade=11)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/cpspartners-bench.sqlite")
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--teachers", type=int, default=200)
    args = parser.parse_args()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite:///" + args.db})
    with app.app_context(), app.test_request_context():
        if not os.path.exists(args.db) or not db.session.scalar(select(func.count()).select_from(Opportunity)):
            from cpspartners.seed.demo import seed_demo
            from cpspartners.seed.schools import seed_schools

            db.create_all()
            seed_schools(app.config["DATA_DIR"])
            seed_demo(opportunities=args.scale, seed=7)
        schools = db.session.scalars(select(School).order_by(School.id).limit(args.teachers)).all()
        total = db.session.scalar(select(func.count()).select_from(Opportunity))
        timings, results = [], 0
        for number, school in enumerate(schools):
            start = time.perf_counter()
            found, _page, _pages, rows = finder.search(CRITERIA[number % len(CRITERIA)], school, 1, 20)
            timings.append((time.perf_counter() - start) * 1000)
            results += found
            db.session.expunge_all()
        timings.sort()
        print(f"{total} opportunities, {len(timings)} searches, mean {results / len(timings):.0f} matches")
        print(f"p50 {statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms")


if __name__ == "__main__":
    main()
