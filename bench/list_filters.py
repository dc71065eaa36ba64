"""The list page's filters in the process: answered by the index, and the same pages forced to SQL.

    PYTHONPATH=$PWD .venv/bin/python bench/list_filters.py [--repeat 20]

Uses (or seeds once) the 100,000-listing database of bench/search.py and its index
(bench/.data/index-seed, which must have been built by this code: an index built before the
grade and school fields would send those pages to SQL in both columns). For each page: p50/p95
of ``--repeat`` warm requests through the Flask test client, first with the index answering
what it can (``listing.index_can_answer``), then with the grade and school filters sent to the
database as they were before. Also the first request of a fresh app.
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, ROOT)

import search as search_bench

INDEX = os.path.join(search_bench.DATA, "index-seed")
PAGES = [
    "/opportunities",
    "/opportunities?grade=10",
    "/opportunities?school=609756",
    "/opportunities?kind=internship&grade=10",
    "/opportunities?grade=10&page=50",
    "/opportunities?grade=7&school=609756&open=1",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    search_bench.ensure_db(100_000)
    os.environ.update(search_bench.env_for(INDEX))
    from cpspartners import create_app
    from cpspartners.directory import listing

    app = create_app()
    client = app.test_client()
    started = time.perf_counter()
    client.get("/opportunities?kind=workshop")
    print("first request of a fresh app: %.0f ms" % ((time.perf_counter() - started) * 1000))
    index_answers = listing.index_can_answer

    def as_before(filters):
        return False if filters.grade is not None or filters.school else index_answers(filters)

    for label, check in (("index", index_answers), ("sql", as_before)):
        listing.index_can_answer = check
        for path in PAGES:
            client.get(path)
            times = []
            for _ in range(options.repeat):
                t = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            p95 = search_bench.percentile(times, 95)
            print("%-6s %-46s p50 %7.1f ms  p95 %7.1f ms" % (label, path, statistics.median(times), p95))


if __name__ == "__main__":
    main()
