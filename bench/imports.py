"""Time and peak memory of a 100,000-row opportunities import on SQLite.

    /work/main/.venv/bin/python bench/imports.py                 # 100,000 rows
    /work/main/.venv/bin/python bench/imports.py --rows 20000

Builds a throwaway SQLite database (schools and community areas from data/), imports 200
partners with current vetting records, writes a CSV of ``--rows`` generated listings (English
and Spanish text, clusters, tags, some school lists, a mix of published and draft), then times:
the dry run (``imports.plan``, what the upload page does), the import (``imports.import_file``:
the dry run again, then batches of 1,000 written and committed), and the dry run of the same
file again (every row "unchanged"). Peak RSS is the process's high-water mark after each phase.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WORDS = [
    "welding",
    "robotics",
    "coding",
    "nursing",
    "film",
    "music",
    "theater",
    "cooking",
    "carpentry",
    "aviation",
    "architecture",
    "engineering",
    "climate",
    "gardening",
    "finance",
    "teaching",
    "photography",
    "fashion",
    "space",
    "data",
    "design",
    "youth",
    "chicago",
    "community",
    "learn",
    "build",
    "studio",
    "workshop",
    "mentor",
    "career",
    "college",
    "summer",
    "paid",
    "skills",
    "team",
]
KINDS = ("internship", "workshop", "job_shadow", "mentoring", "field_trip", "skilled_trades")
CLUSTERS = ("010100", "010200", "020100", "040200", "060100", "060300")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu():
    """CPU seconds this process has had: on a shared machine, wall-clock time overstates."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(what, started, used):
    print(
        "%s: %.1f s wall, %.1f s CPU, peak RSS %.0f MB, load %.1f"
        % (what, time.perf_counter() - started, cpu() - used, peak_mb(), os.getloadavg()[0]),
        flush=True,
    )


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def opportunities_csv(rows, partners, school_ids, rng):
    header = (
        "external_id,partner_external_id,kind,title,title_es,summary,description,clusters,tags,"
        "grade_min,grade_max,audience,school_ids,deadline,capacity,paid,languages,status\n"
    )
    out = [header]
    today = date.today()
    for n in range(rows):
        low = rng.randint(6, 10)
        schools = ",".join(str(s) for s in rng.sample(school_ids, rng.choice((0, 0, 0, 1, 3))))
        out.append(
            '"O-%d","P-%d",%s,"%s","%s","%s","%s","%s","%s",%d,%d,%s,"%s",%s,%s,%s,"%s",%s\n'
            % (
                n,
                rng.randrange(partners),
                rng.choice(KINDS),
                words(rng, 5).title(),
                words(rng, 5),
                words(rng, 18),
                words(rng, 60),
                ",".join(rng.sample(CLUSTERS, rng.randint(0, 2))),
                ",".join(rng.sample(WORDS, rng.randint(0, 4))),
                low,
                rng.randint(low, 12),
                rng.choice(("students", "students", "classrooms")),
                schools,
                (today + timedelta(days=rng.randint(10, 300))).isoformat(),
                rng.choice(("", "12", "40")),
                rng.choice(("yes", "no")),
                rng.choice(("en", "en,es")),
                rng.choice(("published", "published", "draft")),
            )
        )
    return "".join(out).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--no-search", action="store_true", help="leave the search index out (the import's own cost alone)"
    )
    options = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="cps-import-bench-")
    url = "sqlite:///" + os.path.join(scratch, "bench.sqlite")

    from sqlalchemy import func, select

    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.models import Opportunity, Partner, School, VettingRecord
    from cpspartners.seed.schools import load_areas, load_schools
    from cpspartners.services import imports

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_INDEX_DIR": os.path.join(scratch, "index"),
        }
    )
    if options.no_search:
        app.extensions.pop("cpspartners_search", None)
    rng = random.Random(2026)
    with app.app_context():
        db.create_all()
        data = os.path.join(ROOT, "data")
        load_areas(data)
        load_schools(data)
        db.session.commit()
        partners = 200
        partner_rows = "external_id,name,kind,status\n" + "".join(
            "P-%d,Partner %d,nonprofit,active\n" % (n, n) for n in range(partners)
        )
        run = imports.import_file("partners", partner_rows.encode())
        assert run.state == "done", run.error
        today = date.today()
        for partner in db.session.scalars(select(Partner)):
            for kind in ("agreement", "insurance", "background_check"):
                partner.vetting_records.append(
                    VettingRecord(kind=kind, issued_on=today - timedelta(30), expires_on=today + timedelta(365))
                )
        db.session.commit()
        school_ids = list(db.session.scalars(select(School.id)))
        raw = opportunities_csv(options.rows, partners, school_ids, rng)
        print("file: %d rows, %.1f MB; peak RSS before import %.0f MB" % (options.rows, len(raw) / 1e6, peak_mb()))

        started, used = time.perf_counter(), cpu()
        planned = imports.plan("opportunities", raw)
        assert planned.ok and planned.count("create") == options.rows, planned.counts
        report("dry run", started, used)

        started, used = time.perf_counter(), cpu()
        run = imports.import_file("opportunities", raw, filename="bench.csv")
        assert run.state == "done", run.error
        report("import (dry run again + write)", started, used)

        started, used = time.perf_counter(), cpu()
        again = imports.plan("opportunities", raw)
        assert again.count("unchanged") == options.rows, again.counts
        report("dry run of the same file again (all unchanged)", started, used)
        total = db.session.scalar(select(func.count()).select_from(Opportunity))
        print("opportunities stored: %d; load average %s" % (total, " ".join("%.2f" % x for x in os.getloadavg())))


if __name__ == "__main__":
    main()
