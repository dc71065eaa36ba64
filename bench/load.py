"""Surge benchmark: a steady rate of requests in the mix of an application window, loopback only.

    .venv/bin/python bench/load.py                       # 70 requests/s for 60 s, then the ceiling
    .venv/bin/python bench/load.py --rate 70 --seconds 60 --steps 100,140,200 --step-seconds 20

Starts the site under gunicorn as bench/web.py does (docs/deploy.md's command, 100,000 listings),
makes 40 student accounts in the bench database once, then sends requests at fixed times (an
open loop: a late answer does not slow the sending, and each latency counts from the moment the
request was due, so queueing shows). The mix: two thirds browsing and list pages (home, the list
with filters and pages, listings, partners, schools, areas), a third searches, and 3% sign-ins
(form, then POST) and applications (a signed-in student's listing page, then POST). Each
connection starts with a PROXY line naming a different address, as the proxy in front would
send, so the per-address sign-in limits count visitors, not the benchmark.

First, for ``--floor-seconds``, the same loop at the same rate against bench/floor_app.py (the
bare paginated list bench/web.py compares against) under as many workers: the machine is shared
and noisy, and the floor's p95 in the same run says what a bare page got from it just then.

Reports the rate answered, p50/p95/p99, errors (5xx and failed connections), refusals (4xx) and
requests dropped (still due 30 s after the run should have ended: the run stays bounded). Then,
if the rate held, each of ``--steps`` upwards, else each of ``--lower`` downwards, for
``--step-seconds`` each, and the highest rate whose p95 stayed within 250 ms with no errors.
``LOAD_BY_KIND=1`` adds p50/p95 by kind of request (a sign-in's POST, an application's, and the
listing page read before it count from when each was sent); ``LOAD_TIMELINE=5`` adds p95 by
5-second window of when requests were due, to see whether slow answers gather at the start. The load generator runs on the same cores as the site: its CPU time is reported.
"""

import argparse
import collections
import http.client
import os
import random
import re
import resource
import statistics
import sys
import threading
import time
import urllib.parse

import web

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WORDS = [
    "welding",
    "robotics",
    "nursing",
    "coding",
    "film",
    "music",
    "science",
    "internship",
    "salud",
    "arte",
    "mentoring",
    "law",
    "cooking",
    "design",
    "data",
    "paid internship",
    "guest speaker",
    "college",
]
KINDS = ["internship", "workshop", "guest_speaker", "field_trip", "mentoring", "apprenticeship"]
# Bench student accounts (made once). Enough that a run of a few minutes stays within the
# per-account sign-in limits (5 a minute, 20 an hour), as a surge of distinct students does.
STUDENTS = 400
MAX_LATE = 30  # seconds past the end of a run after which requests still due are dropped
PASSWORD = "bench-student-pass"


def forget_rate_limits(environ):
    """Drop the bench's rate-limit counters (keys under its prefix) left by an earlier run, so
    each run starts as a fresh surge of visitors; nothing else in Redis is touched."""
    prefix = environ.get("CPSPARTNERS_RATELIMIT_KEY_PREFIX")
    uri = environ.get("CPSPARTNERS_RATELIMIT_STORAGE_URI", "")
    if prefix and uri.startswith("redis://"):
        web.forget_keys(uri, f"*{prefix}*")


def setup(port, environ=None):
    """Listings and partners to visit, and the bench students (made once); ``environ``: the
    settings to use instead of the bench's SQLite database (web.env())."""
    web.os.environ.update(web.env() if environ is None else environ)
    forget_rate_limits(web.os.environ)
    from sqlalchemy import select

    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.models import Opportunity, Partner, School, User

    app = create_app()
    with app.app_context():
        slugs = list(db.session.scalars(select(Opportunity.slug).where(Opportunity.is_public).limit(3000)))
        partners = list(db.session.scalars(select(Partner.slug).where(Partner.is_active).limit(500)))
        schools = list(db.session.scalars(select(School.id).limit(200)))
        for n in range(STUDENTS):
            email = f"bench-student-{n}@example.org"
            if db.session.scalar(select(User.id).where(User.email == email)) is None:
                user = User(
                    email=email,
                    role="student",
                    name=f"Bench {n}",
                    school_id=schools[n % len(schools)],
                    grade=11,
                    is_approved=True,
                )
                user.set_password(PASSWORD)
                db.session.add(user)
        db.session.commit()
    return {"slugs": slugs, "partners": partners, "schools": schools}


class Client:
    """One keep-alive connection, opened with a PROXY line for ``address``; a cookie jar."""

    def __init__(self, port, address, proxy=True):
        self.port, self.address, self.cookies, self.conn, self.proxy = port, address, {}, None, proxy

    def _connect(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.conn.connect()
        if self.proxy:
            self.conn.sock.sendall(f"PROXY TCP4 {self.address} 127.0.0.1 40000 {self.port}\r\n".encode())

    def request(self, method, path, form=None):
        if self.conn is None:
            self._connect()
        headers = {"Accept-Encoding": "gzip"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn = None
            raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn = None
        return response.status, data, response.getheader("Content-Encoding")


def text_of(data, encoding):
    import gzip

    return (gzip.decompress(data) if encoding == "gzip" else data).decode("utf-8", "replace")


def browse(rng, world):
    choice = rng.random()
    if choice < 0.15:
        return "/"
    if choice < 0.55:
        args = {}
        if rng.random() < 0.5:
            args["kind"] = rng.choice(KINDS)
        if rng.random() < 0.3:
            args["area"] = rng.randint(1, 77)
        if rng.random() < 0.15:
            args["grade"] = rng.randint(6, 12)
        if rng.random() < 0.4:
            args["page"] = rng.randint(2, 40)
        return "/opportunities?" + urllib.parse.urlencode(args)
    if choice < 0.8:
        return "/opportunities/" + rng.choice(world["slugs"])
    if choice < 0.9:
        return "/partners/" + rng.choice(world["partners"])
    if choice < 0.95:
        return "/schools/%d" % rng.choice(world["schools"])
    return "/areas/%d" % rng.randint(1, 77)


def searching(rng):
    args = {"q": rng.choice(WORDS)}
    if rng.random() < 0.4:
        args["kind"] = rng.choice(KINDS)
    if rng.random() < 0.2:
        args["sort"] = "deadline"
    return "/search?" + urllib.parse.urlencode(args)


def sign_in_and_apply(client, rng, world, record, due, applied=None, kinds=("interest",)):
    """Sign in as a bench student; half the time then apply to a listing (form, then POST),
    where the listing's page offers the form.

    ``applied``, a list, gets (email, slug, status) for each application POST: the status the
    client saw, or None when the connection failed before an answer (it may have been saved)."""
    status, data, enc = client.request("GET", "/account/sign-in")
    record(due, status, "GET sign-in")
    token = CSRF.search(text_of(data, enc))
    n = rng.randrange(STUDENTS)
    form = {
        "csrf_token": token.group(1) if token else "",
        "email": f"bench-student-{n}@example.org",
        "password": PASSWORD,
    }
    email = form["email"]
    sent = time.perf_counter()  # each later request's latency counts from when it was sent
    status, _data, _enc = client.request("POST", "/account/sign-in", form)
    record(sent, status, "POST sign-in")
    if rng.random() < 0.5:
        # A student applies where the page offers the form: up to three listings read to find one
        # (most are closed, for other grades or for named schools, and say so instead).
        for _attempt in range(3):
            slug = rng.choice(world["slugs"])
            sent = time.perf_counter()
            status, data, enc = client.request("GET", "/opportunities/" + slug)
            record(sent, status, "GET listing, signed in")
            page = text_of(data, enc)
            start = page.find(f'action="/applications/apply/{slug}"')
            token = CSRF.search(page, start) if start >= 0 else None
            if token:
                break
        if token:
            kind = kinds[0] if len(kinds) == 1 else rng.choice(kinds)
            form = {"csrf_token": token.group(1), "kind": kind, "answer": ""}
            sent = time.perf_counter()
            try:
                status, _data, _enc = client.request("POST", "/applications/apply/" + slug, form)
            except (OSError, http.client.HTTPException):
                if applied is not None:
                    applied.append((email, slug, None))
                raise
            if applied is not None:
                applied.append((email, slug, status))
            record(sent, status, "POST apply")
    client.cookies.clear()


def run_at(port, world, rate, seconds, threads=24, events=None, applied=None, kinds=("interest",), only=None):
    """Send ``rate`` requests/s for ``seconds``; (latencies ms, errors, refusals, sent).

    ``events``, a list, gets (time.perf_counter() when answered, status) for every request, 0 for
    a failed connection; ``applied`` and ``kinds`` go to ``sign_in_and_apply``."""
    start = time.perf_counter() + 0.5
    due_times = [start + i / rate for i in range(int(rate * seconds))]
    lock = threading.Lock()
    latencies, counts = [], {"errors": 0, "refused": 0, "dropped": 0}
    refused_by = collections.Counter()  # (what, status) of each 4xx, so a refusal can be explained
    by_what = collections.defaultdict(list)  # latencies by kind of request, to see which are slow
    by_second = collections.defaultdict(list)  # latencies by the second they were due, for LOAD_TIMELINE
    give_up = start + seconds + MAX_LATE
    cursor = iter(range(len(due_times)))

    def record(due, status, what="GET"):
        with lock:
            now = time.perf_counter()
            latencies.append((now - due) * 1000)
            by_what[what].append((now - due) * 1000)
            by_second[int(due - start)].append((now - due) * 1000)
            if events is not None:
                events.append((now, status))
            if status >= 500:
                counts["errors"] += 1
            elif status >= 400:
                counts["refused"] += 1
                refused_by[(what, status)] += 1

    def worker(n):
        rng = random.Random(n)
        client = Client(port, f"10.{n}.{rng.randint(0, 255)}.{rng.randint(1, 254)}", proxy=only is None)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            due = due_times[index]
            if time.perf_counter() > give_up:  # far behind: bounded, and it says how many it dropped
                with lock:
                    counts["dropped"] += 1
                continue
            time.sleep(max(0.0, due - time.perf_counter()))
            pick = rng.random()
            try:
                if only is not None:
                    status, _data, _enc = client.request("GET", only(rng))
                    record(due, status, "GET floor")
                elif pick < 0.03:
                    sign_in_and_apply(client, rng, world, record, due, applied, kinds)
                else:
                    path = searching(rng) if pick < 0.36 else browse(rng, world)
                    status, _data, _enc = client.request("GET", path)
                    record(due, status, "GET " + path.split("?")[0].split("/")[1])
            except (OSError, http.client.HTTPException):
                with lock:
                    counts["errors"] += 1
                    if events is not None:
                        events.append((time.perf_counter(), 0))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    counts["wall"] = time.perf_counter() - start
    counts["refused_by"] = dict(refused_by)
    counts["by_what"] = dict(by_what)
    counts["by_second"] = dict(by_second)
    return latencies, counts


def floor_at(py, rate, seconds):
    """The same open loop at ``rate`` against bench/floor_app.py (a paginated list of 20,000 rows,
    as bench/web.py's floor, its pages 1 to 50) under gunicorn with as many workers as the site:
    what this machine gives a bare page at this rate just now, printed before the site's runs."""
    workers = web.os.environ.get("WEB_CONCURRENCY") or str(2 * len(web.os.sched_getaffinity(0)) + 1)
    floor = web.serve(
        [web.os.path.join(py, "gunicorn"), "-w", workers, "--bind", f"127.0.0.1:{web.FLOOR_PORT}", "floor_app:app"],
        web.FLOOR_PORT,
        web.os.path.join(web.ROOT, "bench"),
    )
    try:
        latencies, counts = run_at(web.FLOOR_PORT, None, rate, seconds, only=lambda rng: f"/?page={rng.randint(1, 50)}")
        print("| rate asked | answered/s | p50 ms | p95 ms | p99 ms | errors | refused (4xx) | dropped |")
        print("|---|---|---|---|---|---|---|---|")
        summary(f"floor, {rate:.0f}/s for {seconds} s", latencies, counts)
    finally:
        floor.terminate()
        floor.wait(timeout=90)


def database_cpu():
    """User+system seconds of the PostgreSQL server's processes so far (0 when none run here)."""
    found = web.subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout.split()
    return web.cpu_seconds(int(pid) for pid in found)


def summary(label, latencies, counts):
    """Prints a row; True when it held: p95 within 250 ms, no errors, nothing dropped."""
    p = web.percentile
    line = (
        f"| {label} | {len(latencies) / counts['wall']:.1f} | {statistics.median(latencies):.0f} | "
        f"{p(latencies, 95):.0f} | {p(latencies, 99):.0f} | {counts['errors']} | {counts['refused']} | "
        f"{counts['dropped']} |"
    )
    print(line, flush=True)
    if counts.get("by_what") and os.environ.get("LOAD_BY_KIND"):
        rows = sorted(counts["by_what"].items(), key=lambda item: -p(item[1], 95))
        print(
            "  p50/p95 ms by kind: "
            + ", ".join(f"{what} ({len(v)}) {statistics.median(v):.0f}/{p(v, 95):.0f}" for what, v in rows)
        )
    if counts.get("by_second") and os.environ.get("LOAD_TIMELINE"):
        width = max(1, int(os.environ["LOAD_TIMELINE"]))  # seconds a window
        windows = collections.defaultdict(list)
        for second, values in counts["by_second"].items():
            windows[second // width * width].extend(values)
        print(
            f"  p95 ms by {width} s due: "
            + ", ".join(f"{start}s {p(values, 95):.0f}" for start, values in sorted(windows.items()) if start >= 0)
        )
    if counts.get("refused_by"):
        print(
            "  4xx: " + ", ".join(f"{what} {status}: {n}" for (what, status), n in sorted(counts["refused_by"].items()))
        )
    return p(latencies, 95) <= 250 and not counts["errors"] and not counts["dropped"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=70)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--steps", default="100,140,200")
    parser.add_argument("--lower", default="40,20,10", help="rates tried, downwards, when --rate fails")
    parser.add_argument("--step-seconds", type=int, default=20)
    parser.add_argument(
        "--floor-seconds", type=int, default=20, help="seconds of the floor app at --rate first, the same way (0: none)"
    )
    parser.add_argument("--database", help="a PostgreSQL URL instead of bench/.data/bench.sqlite (as bench/web.py)")
    parser.add_argument("--page-cache", type=int, metavar="SECONDS", help="PAGE_CACHE_SECONDS for the site (0: off)")
    parser.add_argument(
        "--no-shared-pages", action="store_true", help="each worker keeps its own pages (no PAGE_CACHE_REDIS_URL)"
    )
    args = parser.parse_args()
    web.OPTIONS.update(database=args.database, page_cache=args.page_cache, shared_pages=not args.no_shared_pages)
    web.forget_shared_pages()
    if not args.database:
        web.search_bench.ensure_db(100_000)
    world = setup(web.SITE_PORT)
    print("command:", " ".join(sys.argv))
    print("load average before:", web.loadavg())
    py = web.os.path.dirname(sys.executable)
    if args.floor_seconds:
        floor_at(py, args.rate, args.floor_seconds)
    site = web.serve(
        [
            web.os.path.join(py, "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{web.SITE_PORT}",
            "--access-logfile",
            "/dev/null",
            "wsgi:app",
        ],
        web.SITE_PORT,
        web.ROOT,
    )
    try:
        cpu0, db0 = web.cpu_of(site.pid), database_cpu()
        print("| rate asked | answered/s | p50 ms | p95 ms | p99 ms | errors | refused (4xx) | dropped |")
        print("|---|---|---|---|---|---|---|---|")
        latencies, counts = run_at(web.SITE_PORT, world, args.rate, args.seconds)
        held = summary(f"{args.rate:.0f}/s for {args.seconds} s", latencies, counts)
        best = args.rate if held else None
        # Up from the asked rate while it holds; down from it until one holds.
        steps = args.steps if held else args.lower
        for rate in [float(r) for r in steps.split(",") if r]:
            latencies, counts = run_at(web.SITE_PORT, world, rate, args.step_seconds)
            step_held = summary(f"{rate:.0f}/s for {args.step_seconds} s", latencies, counts)
            if step_held:
                best = max(best or 0, rate)
            if step_held != held:  # going up, it failed; going down, it held
                break
        print("highest rate held with p95 <= 250 ms and no errors:", best)
        print("load average after:", web.loadavg())
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            "CPU seconds: site %.1f, PostgreSQL %.1f, load generator %.1f"
            % (web.cpu_of(site.pid) - cpu0, database_cpu() - db0, usage.ru_utime + usage.ru_stime)
        )
    finally:
        site.terminate()
        site.wait(timeout=90)


if __name__ == "__main__":
    main()
