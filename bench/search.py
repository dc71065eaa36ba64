"""Search benchmark: rebuild time, index size, query latency (Whoosh vs SQLite FTS5), page over HTTP.

    .venv/bin/python bench/search.py                 # whichever `whoosh` is installed in this venv
    /tmp/venv-ng/bin/python bench/search.py --tag ng # the same with whoosh-ng in a throwaway venv
    .venv/bin/python bench/search.py --postgres postgresql://postgres@127.0.0.1:5432/cps_bench
                                                     # both backends on PostgreSQL, in one run

With ``--postgres URL`` the database is PostgreSQL (seeded once with the same demo at
``--scale``), and the two search backends are measured side by side in the same process: the
Whoosh folder and PostgreSQL's full-text table (``SEARCH_BACKEND = "postgres"``, search/pg.py),
each rebuilt and timed, their sizes, then the same queries alternating backend query by query
(so a busy moment of the machine falls on both alike), p50/p95 each.

Seeds (once) or reuses bench/.data/bench.sqlite with `flask seed demo --scale 100000`, then:
1. rebuilds the index into bench/.data/index-<tag> and reports time and size;
2. runs QUERIES end to end in the process (parse, search, facet counts, loading the 20 rows shown
   from the database): one warm-up pass, then REPEAT measured passes; p50/p95;
3. runs the same queries against SQLite FTS5 over the same rows (match, filters, count, facet
   counts, top 20, loading the rows) as the yardstick;
4. serves /search with gunicorn (2 workers) on 127.0.0.1 and times a bounded number of requests.
"""

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench", ".data")
DB = os.path.join(DATA, "bench.sqlite")
FTS = os.path.join(DATA, "fts.sqlite")
TODAY = "2026-11-01"

# 60 realistic queries: 1-4 words; every other one with 1-2 facet filters; some by deadline.
WORDS = [
    "welding",
    "robotics",
    "guest speaker",
    "paid internship",
    "nursing",
    "coding workshop",
    "tecnologia",
    "robotica",
    "climate science",
    "film",
    "carpentry apprenticeship",
    "data science",
    "game design",
    "public health",
    "field trip",
    "mentoring",
    "early college",
    "cybersecurity",
    "music production",
    "entrepreneurship",
    "photography",
    "gardening",
    "architecture",
    "aviation",
    "law",
    "cooking",
    "skilled trades electrical",
    "guest speaker climate science",
    "internship finance",
    "taller",
    "pasantia",
    "salud",
    "engineering team challenge",
    "mental health",
    "fashion design",
    "journalism",
    "animals",
    "space",
    "visual arts",
    "theater",
]
FILTERS = [
    {"kind": ["internship"]},
    {"modality": ["in_person"], "band": ["high"]},
    {"cluster": ["060100"]},
    {"paid": ["1"]},
    {"band": ["middle"]},
    {"area": ["31"]},
    {"kind": ["workshop"], "lang": ["es"]},
    {"modality": ["virtual"]},
    {"cluster": ["040200"], "band": ["high"]},
    {"kind": ["guest_speaker"]},
]


def queries():
    out = []
    for n in range(60):
        text = WORDS[n % len(WORDS)]
        filters = FILTERS[(n // 2) % len(FILTERS)] if n % 2 else {}
        sort = "deadline" if n % 5 == 0 else "relevance"
        out.append((text, filters, sort, n % 7 == 3))  # last: "still open" as well
    return out


def machine():
    lines = ["nproc: " + subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()]
    lines += subprocess.run("lscpu | head -15", shell=True, capture_output=True, text=True).stdout.splitlines()
    lines += subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    lines.append("uptime: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    lines.append("python " + platform.python_version())
    return lines


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def env_for(index_dir):
    env = dict(
        os.environ,
        FLASK_APP="cpspartners",
        CPSPARTNERS_SECRET_KEY="bench-only",
        CPSPARTNERS_SQLALCHEMY_DATABASE_URI="sqlite:///" + DB,
        CPSPARTNERS_SEARCH_INDEX_DIR=index_dir,
        # Two workers may not keep rate limits in memory (the app refuses to start); /search has
        # no limit, so Redis is never asked.
        CPSPARTNERS_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/1",
    )
    return env


def ensure_db(scale):
    if os.path.exists(DB):
        return
    os.makedirs(DATA, exist_ok=True)
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    env = env_for(os.path.join(DATA, "index-seed"))
    for args in (["db", "upgrade"], ["seed", "schools"], ["seed", "demo", "--scale", str(scale), "--today", TODAY]):
        subprocess.run([flask, *args], check=True, env=env, cwd=ROOT)


def du(path):
    total = 0
    for folder, _dirs, files in os.walk(os.path.realpath(path)):
        total += sum(os.path.getsize(os.path.join(folder, name)) for name in files)
    return total


def build_fts():
    """An FTS5 table over the same public rows, with the facet columns beside it."""
    if os.path.exists(FTS):
        os.unlink(FTS)
    conn = sqlite3.connect(FTS)
    conn.execute(f"ATTACH DATABASE '{DB}' AS src")
    conn.executescript("""
        CREATE VIRTUAL TABLE doc USING fts5(title, title_es, summary, summary_es, description, description_es,
            partner, labels, tokenize = 'porter unicode61 remove_diacritics 2');
        CREATE TABLE facet(rowid INTEGER PRIMARY KEY, kind TEXT, modality TEXT, paid INT, area INT, lang TEXT,
            band TEXT, deadline TEXT, created TEXT);
        CREATE TABLE cluster(rowid INT, code TEXT);
        CREATE INDEX cluster_rowid ON cluster(rowid, code);
        INSERT INTO doc(rowid, title, title_es, summary, summary_es, description, description_es, partner, labels)
            SELECT o.id, o.title, o.title_es, o.summary, o.summary_es, o.description, o.description_es, p.name,
                   (SELECT group_concat(tag, ' ') FROM src.opportunity_tag t WHERE t.opportunity_id = o.id)
            FROM src.opportunity o JOIN src.partner p ON p.id = o.partner_id
            WHERE o.status = 'published' AND p.status = 'active';
        INSERT INTO facet SELECT o.id, o.kind, o.modality, o.paid, o.community_area_number, o.languages,
            CASE WHEN o.grade_min >= 9 THEN 'high' WHEN o.grade_max <= 8 THEN 'middle' ELSE 'middle,high' END,
            o.deadline, o.created_at
            FROM src.opportunity o JOIN src.partner p ON p.id = o.partner_id
            WHERE o.status = 'published' AND p.status = 'active';
        INSERT INTO cluster SELECT opportunity_id, cluster FROM src.opportunity_cluster
            WHERE opportunity_id IN (SELECT rowid FROM facet);
    """)
    conn.commit()
    return conn


def fts_query(conn, text, filters, sort, open_only):
    words = " ".join('"%s"' % w.replace('"', "") for w in text.split())
    where, args = ["doc MATCH ?"], [words]
    for name, values in filters.items():
        if name == "cluster":
            where.append("f.rowid IN (SELECT rowid FROM cluster WHERE code IN (%s))" % ",".join("?" * len(values)))
        elif name in ("lang", "band"):
            where.append("(" + " OR ".join("instr(f.%s, ?)" % name for _ in values) + ")")
        else:
            where.append("f.%s IN (%s)" % (name, ",".join("?" * len(values))))
        args += [int(v) if name in ("paid", "area") else v for v in values]
    if open_only:
        where.append("(f.deadline IS NULL OR f.deadline >= ?)")
        args.append(TODAY)
    base = "FROM doc JOIN facet f ON f.rowid = doc.rowid WHERE " + " AND ".join(where)
    total = conn.execute("SELECT count(*) " + base, args).fetchone()[0]
    for column in ("kind", "modality", "paid", "area", "band", "lang"):
        conn.execute(f"SELECT f.{column}, count(*) {base} GROUP BY f.{column}", args).fetchall()
    conn.execute(
        f"SELECT c.code, count(*) {base.replace('WHERE', 'JOIN cluster c ON c.rowid = f.rowid WHERE', 1)}"
        " GROUP BY c.code",
        args,
    ).fetchall()
    order = "f.deadline IS NULL, f.deadline" if sort == "deadline" else "bm25(doc, 4, 4, 2, 2, 1, 1, 1.5, 1.5)"
    ids = [row[0] for row in conn.execute(f"SELECT doc.rowid {base} ORDER BY {order} LIMIT 20", args)]
    if ids:  # load the shown rows, as the site does
        conn.execute("SELECT * FROM src.opportunity WHERE id IN (%s)" % ",".join("?" * len(ids)), ids).fetchall()
    return total


def timed(fn, items, repeat):
    for item in items:  # warm-up: caches, the long-lived searcher, OS page cache
        fn(*item)
    times = []
    for _ in range(repeat):
        for item in items:
            start = time.perf_counter()
            fn(*item)
            times.append((time.perf_counter() - start) * 1000)
    return times


def http_bench(index_dir, port, requests):
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env_for(index_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/search?"
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "q=welding", timeout=30).read()
                break
            except OSError:
                time.sleep(0.3)
        items = []
        for text, filters, sort, open_only in queries():
            args = [("q", text), ("sort", sort)] + [(k, v) for k, vs in filters.items() for v in vs]
            if open_only:
                args.append(("open", "1"))
            items.append((url + urllib.parse.urlencode(args),))
        for (link,) in items[:20]:  # warm both workers
            urllib.request.urlopen(link, timeout=30).read()
        times = []
        for n in range(requests):
            start = time.perf_counter()
            urllib.request.urlopen(items[n % len(items)][0], timeout=30).read()
            times.append((time.perf_counter() - start) * 1000)
        return times
    finally:
        proc.terminate()
        proc.wait(10)


def postgres_main(options):
    """Both backends on one PostgreSQL database, in one run (see the module doc)."""
    from datetime import date

    from sqlalchemy import text

    index_dir = os.path.join(DATA, "index-pg-" + options.tag)
    env = dict(env_for(index_dir), CPSPARTNERS_SQLALCHEMY_DATABASE_URI=options.postgres)
    os.environ.update(env)
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    subprocess.run([flask, "db", "upgrade"], check=True, env=env, cwd=ROOT)
    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.search import run
    from cpspartners.search.outbox import rebuild
    from cpspartners.search.params import SearchParams

    app = create_app()
    with app.app_context():
        listings = db.session.scalar(text("SELECT count(*) FROM opportunity"))
    if not listings:
        for args in (["seed", "schools"], ["seed", "demo", "--scale", str(options.scale), "--today", TODAY]):
            subprocess.run([flask, *args], check=True, env=env, cwd=ROOT)
    print("\n".join(machine()))
    today = date.fromisoformat(TODAY)
    items = queries()
    with app.app_context():
        print(f"listings in the database: {db.session.scalar(text('SELECT count(*) FROM opportunity'))}")
        for backend in ("whoosh", "postgres"):
            app.config["SEARCH_BACKEND"] = backend
            start = time.perf_counter()
            counts = rebuild()
            print(
                f"{backend} rebuild: {time.perf_counter() - start:.1f} s for {counts['opportunities']} opportunities "
                f"+ {counts['partners']} partners"
            )
        size = db.session.scalar(
            text("SELECT pg_total_relation_size('search_document') + pg_total_relation_size('search_vocabulary')")
        )
        print(f"whoosh index size: {du(os.path.join(index_dir, 'current')) / 1e6:.1f} MB")
        print(f"postgres tables and indexes: {size / 1e6:.1f} MB")

        def query(backend, text_, filters, sort, open_only):
            app.config["SEARCH_BACKEND"] = backend
            params = SearchParams(text=text_, filters=filters, sort=sort, open_only=open_only)
            with app.test_request_context("/search"):
                outcome = run(params, today=today)
                assert not outcome.failed
            db.session.remove()
            return outcome.total

        for backend in ("whoosh", "postgres"):  # warm-up: searcher, caches, buffers
            for item in items:
                query(backend, *item)
        times: dict[str, list[float]] = {"whoosh": [], "postgres": []}
        slowest: dict[str, tuple[float, str]] = {"whoosh": (0.0, ""), "postgres": (0.0, "")}
        totals_differ = 0
        for _ in range(options.repeat):
            for n, item in enumerate(items):
                order = ("whoosh", "postgres") if n % 2 else ("postgres", "whoosh")
                found = {}
                for backend in order:
                    start = time.perf_counter()
                    found[backend] = query(backend, *item)
                    took = (time.perf_counter() - start) * 1000
                    times[backend].append(took)
                    if took > slowest[backend][0]:
                        slowest[backend] = (took, "%s %s %s" % (item[0], item[1], item[2]))
                totals_differ += found["whoosh"] != found["postgres"]
        for backend, values in times.items():
            print(
                f"{backend} in-process: p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
                f"max {slowest[backend][0]:.0f} ms ({slowest[backend][1]}) over {len(values)} queries"
            )
        print(f"queries whose totals differ between the backends: {totals_differ} of {len(items) * options.repeat}")
    print("uptime: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tag", default="whoosh3", help="names the index folder and the report")
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--limitmb", type=int, default=1024)
    parser.add_argument("--multisegment", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--http-requests", type=int, default=300)
    parser.add_argument("--port", type=int, default=5101)
    parser.add_argument("--postgres", metavar="URL", help="both search backends on this PostgreSQL database")
    options = parser.parse_args()
    if options.postgres:
        postgres_main(options)
        return

    ensure_db(options.scale)
    index_dir = os.path.join(DATA, "index-" + options.tag)
    os.environ.update(env_for(index_dir))
    import whoosh

    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.search import run
    from cpspartners.search.outbox import rebuild
    from cpspartners.search.params import SearchParams

    print("\n".join(machine()))
    print(f"whoosh {whoosh.versionstring()} from {os.path.dirname(whoosh.__file__)}")
    app = create_app()
    with app.app_context():
        db.create_all()  # the outbox table, if the bench database predates it
        if not options.skip_rebuild:
            if os.path.exists(index_dir):
                shutil.rmtree(index_dir)
            start = time.perf_counter()
            counts = rebuild(procs=options.procs, limitmb=options.limitmb, multisegment=options.multisegment)
            took = time.perf_counter() - start
            print(
                f"rebuild: {took:.1f} s for {counts['opportunities']} opportunities + {counts['partners']} partners "
                f"(procs={options.procs}, limitmb={options.limitmb}, multisegment={options.multisegment})"
            )
        print(f"index size: {du(os.path.join(index_dir, 'current')) / 1e6:.1f} MB")
        from datetime import date

        today = date.fromisoformat(TODAY)

        def whoosh_query(text, filters, sort, open_only):
            params = SearchParams(text=text, filters=filters, sort=sort, open_only=open_only)
            with app.test_request_context("/search"):
                outcome = run(params, today=today)
                assert not outcome.failed
            db.session.remove()

        items = queries()
        start = time.perf_counter()
        whoosh_query(*items[1])
        print(
            f"first query on a fresh searcher (opens the index, builds facet bitsets and sort keys): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )
        times = timed(whoosh_query, items, options.repeat)
        print(
            f"whoosh in-process: p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms "
            f"over {len(times)} queries ({len(items)} distinct)"
        )
    start = time.perf_counter()
    conn = build_fts()
    print(f"fts5 build: {time.perf_counter() - start:.1f} s, size {os.path.getsize(FTS) / 1e6:.1f} MB")
    times = timed(lambda *q: fts_query(conn, *q), items, options.repeat)
    print(f"fts5 in-process: p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms")
    conn.close()
    if options.http_requests:
        times = http_bench(index_dir, options.port, options.http_requests)
        print(
            f"/search over HTTP (gunicorn -w 2): p50 {percentile(times, 50):.1f} ms, "
            f"p95 {percentile(times, 95):.1f} ms over {len(times)} requests; mean {statistics.mean(times):.1f} ms"
        )


if __name__ == "__main__":
    main()
