"""Time the specialists' toolkit on a seeded directory: exports, the outcome report for every
school, and an import dry run. Prints one line per measurement (median of ``--repeat`` runs).

    .venv/bin/python bench/toolkit_pages.py --scale 3000 --rows 5000
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import User
from cpspartners.seed.demo import seed_demo
from cpspartners.seed.schools import seed_schools
from cpspartners.services import imports


def timed(repeat, action):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def partner_csv(rows):
    lines = ["external_id,name,kind,mission,community_area,languages,status"]
    lines += ["B-%d,Bench partner %d,nonprofit,Mission %d,%d,en,active" % (n, n, n, n % 77 + 1) for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=3000, help="demo opportunities")
    parser.add_argument("--rows", type=int, default=5000, help="rows in the import file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cpsp-bench-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.sqlite"),
            "IMPORT_UPLOAD_DIR": os.path.join(folder, "uploads"),
        }
    )
    with app.app_context():
        db.create_all()
        seed_schools(app.config["DATA_DIR"])
        seed_demo(opportunities=args.scale, seed=7)
        user = User(email="bench@example.org", role="specialist", is_approved=True)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        for label, path in (
            ("GET /transfers/opportunities.csv", "/transfers/opportunities.csv"),
            ("GET /transfers/partners.csv", "/transfers/partners.csv"),
            ("GET /outcomes (630 schools, page 1)", "/outcomes"),
            ("GET /outcomes/export.csv (every school)", "/outcomes/export.csv"),
        ):
            assert client.get(path).status_code == 200, path
            print("%-50s %8.3f s" % (label, timed(args.repeat, lambda path=path: client.get(path).get_data())))
        raw = partner_csv(args.rows)
        print(
            "%-50s %8.3f s"
            % (
                "imports.plan partners (%d rows, %d KB)" % (args.rows, len(raw) // 1024),
                timed(args.repeat, lambda: imports.plan("partners", raw)),
            )
        )


if __name__ == "__main__":
    main()
