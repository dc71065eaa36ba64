"""HSDS API benchmark: /api/hsds/services and /api/hsds/services/{id} at 100,000 listings,
in process, beside the search page (/search) timed in the same run as the yardstick.

    .venv/bin/python bench/hsds.py                   # seeds bench/.data/bench.sqlite once (bench/search.py's builder)
    .venv/bin/python bench/hsds.py --requests 100    # fewer timed requests per kind

Every request goes through the Flask test client (routing, the rate limiter, JSON, the ETag):
1. the first /services/{id}, which builds the id map (``hsds.ids.Resolver``) once per process;
2. /services: the first page, pages further on, a taxonomy term, an organization, ``search=``;
3. /services/{id} for listings spread over the table;
4. /search with the bench's queries (bench/search.py), the page whose budgets the API is held to:
   p95 <= 50 ms in process.
One warm-up pass each, then the timed ones; p50 and p95, with the CPU time of the whole run.
"""

import argparse
import importlib.util
import os
import random
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bench_search", os.path.join(HERE, "search.py"))
bench_search = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_search)


def timed(client, urls, label):
    for url in urls[: max(len(urls) // 5, 1)]:  # warm-up
        assert client.get(url).status_code == 200, url
    times = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    p50, p95 = bench_search.percentile(times, 50), bench_search.percentile(times, 95)
    print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(times)} requests")
    return p50, p95


def search_urls(n):
    urls = []
    for text, filters, sort, open_only in bench_search.queries():
        args = [("q", text), ("sort", sort)] + [(k, v) for k, vs in filters.items() for v in vs]
        if open_only:
            args.append(("open", "1"))
        urls.append("/search?" + urllib.parse.urlencode(args))
    return (urls * (n // len(urls) + 1))[:n]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=120, help="timed requests of each kind")
    options = parser.parse_args()

    bench_search.ensure_db(options.scale)
    os.environ.update(bench_search.env_for(os.path.join(bench_search.DATA, "index-seed")))
    os.environ["CPSPARTNERS_RATELIMIT_STORAGE_URI"] = "memory://"
    os.environ["CPSPARTNERS_HSDS_LIMIT"] = "1000000 per minute"
    from sqlalchemy import select

    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.hsds import ids, vocabulary
    from cpspartners.models import Opportunity, Partner, queries

    print("\n".join(bench_search.machine()))
    cpu_start = time.process_time()
    app = create_app()
    with app.app_context():
        db.create_all()  # tables newer than the bench database, if any
        client = app.test_client()
        rng = random.Random(17)
        slugs = list(db.session.scalars(queries.public_opportunities().with_only_columns(Opportunity.slug)))
        partner_slugs = list(db.session.scalars(select(Partner.slug).where(Partner.is_active)))
        print(f"public listings: {len(slugs)}; active partners: {len(partner_slugs)}")
        start = time.perf_counter()
        assert client.get("/api/hsds/services/" + ids.service(slugs[0])).status_code == 200
        print(f"first /services/{{id}} (builds the id map): {(time.perf_counter() - start) * 1000:.0f} ms")
        n = options.requests
        pages = max(len(slugs) // 50, 1)
        terms = [term.id for taxonomy in vocabulary.TAXONOMIES for term in taxonomy.terms]
        words = ["welding", "robotics", "nursing", "coding workshop", "film", "mentoring"]
        timed(client, ["/api/hsds/services"] * n, "/services (page 1 of 50)")
        timed(client, ["/api/hsds/services?page=%d" % rng.randint(2, pages) for _ in range(n)], "/services?page=random")
        timed(
            client,
            ["/api/hsds/services?taxonomy_term_id=" + rng.choice(terms) for _ in range(n)],
            "/services?taxonomy_term_id",
        )
        orgs = ["/api/hsds/services?organization_id=" + ids.organization(rng.choice(partner_slugs)) for _ in range(n)]
        timed(client, orgs, "/services?organization_id")
        timed(
            client,
            ["/api/hsds/services?search=" + urllib.parse.quote(rng.choice(words)) for _ in range(n)],
            "/services?search",
        )
        timed(client, ["/api/hsds/services/" + ids.service(rng.choice(slugs)) for _ in range(n)], "/services/{id}")
        timed(
            client,
            ["/api/hsds/services/%s?lang=es" % ids.service(rng.choice(slugs)) for _ in range(n)],
            "/services/{id}?lang=es",
        )
        timed(client, search_urls(n), "/search (the yardstick, same run)")
    print(f"CPU time of the whole run: {time.process_time() - cpu_start:.1f} s")
    print("uptime: " + bench_search.subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
