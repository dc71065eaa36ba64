"""Where a search rebuild spends its time: loading, documents, add_document, commit.

    .venv/bin/python bench/search_build.py                       # every public opportunity
    .venv/bin/python bench/search_build.py --count 20000 --profile
    .venv/bin/python bench/search_build.py --limitmb 256 --no-gc

Uses the database bench/search.py seeds (bench/.data/bench.sqlite, 100,000 demo opportunities)
and writes a throwaway index in a temporary folder: opportunities only, no partners, no swap, so
each phase can be timed alone. `--profile` prints the 25 functions with the most own time.
"""

import argparse
import cProfile
import gc
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = os.path.join(ROOT, "bench", ".data", "bench.sqlite")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=None, help="index only the first COUNT public opportunities")
    parser.add_argument("--limitmb", type=int, default=None, help="Whoosh writer memory (default: what rebuild uses)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-gc", action="store_true", help="turn the garbage collector off while writing")
    options = parser.parse_args()
    if not os.path.exists(DB):
        sys.exit("No bench database yet: run bench/search.py once to seed it.")
    scratch = tempfile.mkdtemp()
    os.environ.update(
        FLASK_APP="cpspartners",
        CPSPARTNERS_SECRET_KEY="bench-only",
        CPSPARTNERS_SQLALCHEMY_DATABASE_URI="sqlite:///" + DB,
        CPSPARTNERS_SEARCH_INDEX_DIR=os.path.join(scratch, "unused"),
    )
    sys.path.insert(0, ROOT)
    from sqlalchemy.orm import Session
    from whoosh import index as whoosh_index

    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.search import documents
    from cpspartners.search.outbox import REBUILD_LIMIT_MB, labels, load_opportunities, public_opportunity_ids
    from cpspartners.search.schema import make_schema

    limitmb = options.limitmb or REBUILD_LIMIT_MB
    try:
        with create_app().app_context():
            label_table = labels()
            started = time.perf_counter()
            with Session(db.engine) as session:
                ids = public_opportunity_ids(session)[: options.count]
                records = []
                for start in range(0, len(ids), 2000):
                    records += load_opportunities(session, ids[start : start + 2000])
            loaded = time.perf_counter()
            docs = [documents.opportunity_document(record, label_table) for record in records]
            vocabulary = Counter()
            for document in docs:
                vocabulary.update(document.pop("spell").split())
            built = time.perf_counter()
            index_dir = os.path.join(scratch, "index")
            os.makedirs(index_dir)
            writer = whoosh_index.create_in(index_dir, make_schema()).writer(procs=1, limitmb=limitmb)
            if options.no_gc:
                gc.disable()
            profile = cProfile.Profile()
            if options.profile:
                profile.enable()
            adding = time.perf_counter()
            for document in docs:
                writer.add_document(**document)
            for document in documents.vocabulary_documents(vocabulary):
                writer.add_document(**document)
            committing = time.perf_counter()
            writer.commit()
            done = time.perf_counter()
            profile.disable()
            gc.enable()
            print(
                f"{len(docs)} documents, limitmb={limitmb}, gc {'off' if options.no_gc else 'on'}: "
                f"load {loaded - started:.1f} s, documents {built - loaded:.1f} s, "
                f"add_document {committing - adding:.1f} s, commit {done - committing:.1f} s, "
                f"total {done - started:.1f} s"
            )
            if options.profile:
                pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
