"""Web benchmark: the site's public pages against a bare floor app, under gunicorn, with wrk.

    .venv/bin/python bench/web.py                      # SQLite, bench/.data/bench.sqlite
    .venv/bin/python bench/web.py --seconds 5 --rounds 2 --connections 8
    .venv/bin/python bench/web.py --database postgresql://postgres@127.0.0.1:5432/cps_bench [--backend postgres]

1. Seeds (once) or reuses the 100,000-listing database of bench/search.py and its index.
2. In the process, warm: each public page GET ``--repeat`` times; p50/p95 per page, and a
   signed-in student's For you page; the first request of a fresh app after ``warm`` (what a
   new worker's first visitor waits).
With ``--database URL`` the site and the floor read that PostgreSQL database instead (seed it
with ``bench/search.py --postgres URL``, which also builds both search backends), and
``--backend postgres`` answers searches from PostgreSQL's full-text table.
3. Starts the site under gunicorn as docs/deploy.md says (``gunicorn -c gunicorn.conf.py
   wsgi:app``, its worker count; only the port changed) and the floor (bench/floor_app.py: a
   Flask-SQLAlchemy paginated list through a Jinja layout) with the same workers, then drives
   each page and the floor with ``wrk`` (loopback), ``--rounds`` rounds in alternating order.
   Reports requests/s, p50/p99, bytes, and each as a share of the floor's requests/s in the
   same round; the load average before and after, and the CPU time the servers used.
Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and Redis on 127.0.0.1 (rate limits with
several workers; keys prefixed ``perf-bench``).
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, ROOT)

import search as search_bench

DATA = search_bench.DATA
INDEX = os.path.join(DATA, "index-seed")
PAGES = [
    "/",
    "/opportunities",
    "/opportunities?page=50",
    "/opportunities?kind=internship&area=31",
    "/opportunities?grade=10",
    "/opportunities?school=609756",
    "/search?q=welding",
    "/search?q=paid+internship&kind=internship",
    "/search?q=science&sort=deadline",
    "/partners",
    "/areas",
    "/areas/31",
    "/schools/609756",
]
SITE_PORT, FLOOR_PORT = 8731, 8732


OPTIONS = {"database": None, "backend": "whoosh", "page_cache": None, "shared_pages": True}
# Where the workers share kept pages, as docs/deploy.md sets PAGE_CACHE_REDIS_URL (keys prefixed).
PAGES_REDIS, PAGES_PREFIX = "redis://127.0.0.1:6379/2", "perf-bench-pages:"
STUDENT = ("bench-for-you@example.org", "bench-student-pass")


def env():
    values = search_bench.env_for(INDEX)
    values["CPSPARTNERS_RATELIMIT_KEY_PREFIX"] = "perf-bench"
    if OPTIONS["database"]:
        values["CPSPARTNERS_SQLALCHEMY_DATABASE_URI"] = OPTIONS["database"]
        values["CPSPARTNERS_SEARCH_INDEX_DIR"] = os.path.join(DATA, "index-pg-whoosh3")  # bench/search.py's
    values["CPSPARTNERS_SEARCH_BACKEND"] = OPTIONS["backend"]
    if OPTIONS["page_cache"] is not None:
        values["CPSPARTNERS_PAGE_CACHE_SECONDS"] = str(OPTIONS["page_cache"])
    if OPTIONS["shared_pages"]:
        values["CPSPARTNERS_PAGE_CACHE_REDIS_URL"] = PAGES_REDIS
        values["CPSPARTNERS_PAGE_CACHE_REDIS_PREFIX"] = PAGES_PREFIX
    return values


def forget_keys(url, pattern):
    """Delete the Redis keys at ``url`` matching ``pattern`` (the bench's own, by prefix)."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=pattern, count=1000):
        client.delete(key)


def forget_shared_pages():
    """Drop the pages an earlier run left in Redis under the bench's prefix: each run starts cold."""
    forget_keys(PAGES_REDIS, PAGES_PREFIX + "*")


def for_you_client(app):
    """A test client signed in as a bench student (made once, at a real school, grade 11)."""
    from sqlalchemy import select

    from cpspartners.extensions import db
    from cpspartners.models import School, User

    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == STUDENT[0])) is None:
            school = db.session.scalars(select(School).order_by(School.id)).first()
            user = User(email=STUDENT[0], role="student", name="Bench", school_id=school.id, grade=11, is_approved=True)
            user.set_password(STUDENT[1])
            db.session.add(user)
            db.session.commit()
    client = app.test_client()
    page = client.get("/account/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/account/sign-in", data={"email": STUDENT[0], "password": STUDENT[1], "csrf_token": token})
    assert answer.status_code in (302, 303), answer.status_code
    return client


def percentile(values, p):
    return search_bench.percentile(values, p)


def in_process(repeat):
    """p50/p95 of each page in the process, warm; and a fresh app's first request after warming."""
    os.environ.update(env())
    from cpspartners import create_app
    from cpspartners.directory.listing import warm

    app = create_app()
    started = time.perf_counter()
    warm(app)
    warm_s = time.perf_counter() - started
    client = app.test_client()
    first = {}
    for path in ("/opportunities?kind=workshop", "/search?q=robotics", "/"):
        t = time.perf_counter()
        client.get(path)
        first[path] = (time.perf_counter() - t) * 1000
    rows = []
    for path in PAGES:
        client.get(path)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
        rows.append((path, response.status_code, statistics.median(times), percentile(times, 95)))
    student = for_you_client(app)
    student.get("/for-you")
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = student.get("/for-you")
        times.append((time.perf_counter() - t) * 1000)
    rows.append(
        ("/for-you (a signed-in student)", response.status_code, statistics.median(times), percentile(times, 95))
    )
    return warm_s, first, rows


def serve(cmd, port, cwd, environ=None, **popen):
    """Start ``cmd`` (with ``environ``, else the bench's env()) and wait until it answers /."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env() if environ is None else environ,
        stdout=popen.pop("stdout", subprocess.DEVNULL),
        stderr=popen.pop("stderr", subprocess.DEVNULL),
        **popen,
    )
    for _ in range(600):  # workers warm before they accept: up to a minute or two at 100,000
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            settle(proc.pid)
            return proc
        except urllib.error.HTTPError as error:  # up, but broken: say so rather than wait
            proc.terminate()
            raise RuntimeError("server on port %d answers %s" % (port, error.code)) from error
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("server on port %d did not start" % port)


def settle(pid, limit=180.0):
    """Wait until the server's processes are idle: the first worker to answer may be the only
    warm one, the others still warming (about 10 s of CPU each at 100,000 listings), and a run
    started then measures the warming, not the site. Idle: under 0.1 s of CPU in a second."""
    end = time.monotonic() + limit
    before = cpu_of(pid)
    while time.monotonic() < end:
        time.sleep(1.0)
        now = cpu_of(pid)
        if now - before < 0.1:
            return
        before = now


def wrk(url, seconds, connections):
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url], capture_output=True, text=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, lat.get("50", "?"), lat.get("99", "?"), int(errors.group(1)) if errors else 0


def read_file(path):
    with open(path) as handle:
        return handle.read()


def loadavg():
    return read_file("/proc/loadavg").strip()


def cpu_of(pid):
    """User+system seconds of a process and its children so far (from /proc)."""
    return cpu_seconds([pid] + children(pid))


def cpu_seconds(pids):
    """User+system seconds of the processes ``pids`` so far (one that ended counts nothing)."""
    total = 0.0
    for task in pids:
        try:
            fields = read_file(f"/proc/{task}/stat").rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def children(pid):
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database", help="a PostgreSQL URL instead of bench/.data/bench.sqlite")
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument(
        "--page-cache",
        type=int,
        metavar="SECONDS",
        help="PAGE_CACHE_SECONDS for the site (0: every page built on every request, as a visitor "
        "whose page no one asked for yet is served)",
    )
    parser.add_argument(
        "--no-shared-pages", action="store_true", help="each worker keeps its own pages (no PAGE_CACHE_REDIS_URL)"
    )
    args = parser.parse_args()
    OPTIONS.update(
        database=args.database,
        backend=args.backend,
        page_cache=args.page_cache,
        shared_pages=not args.no_shared_pages,
    )
    forget_shared_pages()
    if not args.database:
        search_bench.ensure_db(100_000)
    print("\n".join(search_bench.machine()))
    print("command:", " ".join(sys.argv))
    warm_s, first, rows = in_process(args.repeat)
    print(f"\n## In process, warm ({args.repeat} requests each); warm-up {warm_s:.1f} s")
    for path, ms in first.items():
        print(f"first request after warm-up {path}: {ms:.1f} ms")
    print("| page | status | p50 ms | p95 ms |\n|---|---|---|---|")
    for path, status, p50, p95 in rows:
        print(f"| `{path}` | {status} | {p50:.1f} | {p95:.1f} |")
    py = os.path.dirname(sys.executable)
    site = serve(
        [
            os.path.join(py, "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{SITE_PORT}",
            "--access-logfile",
            "/dev/null",
            "wsgi:app",
        ],
        SITE_PORT,
        ROOT,
    )
    workers = len(children(site.pid))
    try:
        floor = serve(
            [os.path.join(py, "gunicorn"), "-w", str(workers), "--bind", f"127.0.0.1:{FLOOR_PORT}", "floor_app:app"],
            FLOOR_PORT,
            os.path.join(ROOT, "bench"),
        )
    except BaseException:  # no site left behind on the port
        site.terminate()
        site.wait(timeout=90)
        raise
    try:
        print(f"\n## gunicorn, {workers} workers each; wrk -t1 -c{args.connections} -d{args.seconds}s")
        print("load average before:", loadavg())
        cpu0 = {"site": cpu_of(site.pid), "floor": cpu_of(floor.pid)}
        print("| round | page | req/s | p50 | p99 | non-2xx | KB | share of floor |\n|---|---|---|---|---|---|---|---|")
        for n in range(args.rounds):
            floor_first = n % 2 == 0
            if floor_first:
                floor_rate = wrk(f"http://127.0.0.1:{FLOOR_PORT}/?page=50", args.seconds, args.connections)
            results = [
                (path, wrk(f"http://127.0.0.1:{SITE_PORT}{path}", args.seconds, args.connections))
                for path in (PAGES if floor_first else PAGES[::-1])
            ]
            if not floor_first:
                floor_rate = wrk(f"http://127.0.0.1:{FLOOR_PORT}/?page=50", args.seconds, args.connections)
            size = len(urllib.request.urlopen(f"http://127.0.0.1:{FLOOR_PORT}/?page=50").read()) / 1024
            print(
                f"| {n + 1} | floor | {floor_rate[0]:.0f} | {floor_rate[1]} | {floor_rate[2]} | {floor_rate[3]} | {size:.1f} | 100% |"
            )
            for path, (rate, p50, p99, bad) in results:
                size = len(urllib.request.urlopen(f"http://127.0.0.1:{SITE_PORT}{path}").read()) / 1024
                print(
                    f"| {n + 1} | `{path}` | {rate:.0f} | {p50} | {p99} | {bad} | {size:.1f} | {rate / floor_rate[0]:.0%} |"
                )
        print("load average after:", loadavg())
        print(
            "CPU seconds used: site %.1f, floor %.1f; this process %.1f"
            % (
                cpu_of(site.pid) - cpu0["site"],
                cpu_of(floor.pid) - cpu0["floor"],
                resource.getrusage(resource.RUSAGE_SELF).ru_utime,
            )
        )
    finally:
        for proc in (site, floor):
            proc.terminate()
            proc.wait(timeout=90)


if __name__ == "__main__":
    main()
