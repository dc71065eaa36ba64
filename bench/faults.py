"""Fault benchmark: the surge mix (bench/load.py) while one part of the production set-up fails.

    .venv/bin/python bench/faults.py                      # every fault, 70 requests/s, 60 s each
    .venv/bin/python bench/faults.py --faults follower,redis --seconds 30

Loopback only, and it touches nothing but its own servers: it creates (once) and starts its own
PostgreSQL cluster, ``15/faults`` on port 5440 (``pg_createcluster``, trust for local TCP), with
a database ``faults`` seeded with ``flask seed demo --scale 10000`` (``--scale``), and runs its
own Redis on port 6390 (``redis-server --save ''``, a child process) and a local SMTP sink
(aiosmtpd, in this process). It never stops or restarts any other PostgreSQL or Redis; at the
end it stops its Redis and its cluster (``--keep-cluster`` leaves the cluster running).

Against them it starts the production set-up of docs/deploy.md ("Running the production set-up
on one machine", the Procfile with `make prod`'s CPSPARTNERS_* settings): gunicorn with
gunicorn.conf.py, ``flask search follow`` (SEARCH_WRITER=follower) and an RQ worker, each as a
process of its own so one can be killed. The scheduler is not started: where its work matters
(``flask newsletters send-pending``) this script runs it and says when.

For each fault, one at a time: ``--rate`` requests/s of the surge mix for ``--seconds``, a
writer in this process changing a listing's title 4 times a second (the changes the index must
take), and ``--at`` seconds in, the fault:

- ``follower``: kill -9 ``flask search follow``, start it again 5 s later;
- ``worker``: kill -9 one gunicorn worker (the master starts another);
- ``postgres``: ``pg_ctlcluster 15 faults restart`` (fast shutdown: connections are cut);
- ``redis``: stop Redis for 10 s, then start it again (empty: it has no persistence here);
- ``mail``: queue a newsletter to 800 families and 10 confirmation emails, and kill -9 the RQ
  worker (and its work horse) once 300 newsletter messages have reached the sink; start it again.
- ``none``: no fault, the yardstick.

Then, for each: the errors clients saw (5xx and failed connections) from the fault on, the time
from the fault to the last error, and, after recovery: the index holds every committed change
(drift 0: the latest title of each changed listing, and `flask search check`'s missing, extra
and unapplied), every application the clients saw succeed is saved once and none they saw
refused was saved, the seats taken match the applications holding one, every email reached the
sink exactly once, and the sign-in limit still answers 429 (6 tries for one account).
"""

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import load
import web

ROOT = web.ROOT
DATA = os.path.join(web.DATA, "faults")
BIN = os.path.dirname(sys.executable)
CLUSTER = ("15", "faults")
SITE_PORT = 8741
FAULTS = ("none", "follower", "worker", "postgres", "redis", "mail")
NEWSLETTER_PEOPLE, CONFIRMATIONS, KILL_AFTER = 800, 10, 300
SINK_DELAY = 0.02  # seconds the sink takes per message, so a send lasts long enough to interrupt


def errors_after(events, start, end=None):
    """(errors, seconds from ``start`` to the last error) among ``events`` [(time, status)] from
    ``start`` (to ``end``): an error is a 5xx or a failed connection (status 0); (0, 0.0) when none."""
    bad = [t for t, status in events if t >= start and (end is None or t <= end) and (status == 0 or status >= 500)]
    return len(bad), (max(bad) - start if bad else 0.0)


def answer_rate(events, start, end):
    """Answers a second among ``events`` [(time, status)] from ``start`` to ``end``, any status."""
    return round(sum(1 for t, _status in events if start <= t < end) / (end - start), 1)


def application_check(before, after, seen):
    """What the clients saw against what was saved: ``before`` and ``after`` the sets of (email,
    slug) saved, ``seen`` [(email, slug, status or None)]. Returns counts: ok (saved and seen
    succeed), lost (seen succeed, not saved), ghost (saved, seen refused), unknown (saved or not,
    the client had no answer or a 5xx)."""
    new = after - before
    succeeded = {(e, s) for e, s, status in seen if status is not None and 300 <= status < 400}
    unanswered = {(e, s) for e, s, status in seen if status is None or status >= 500} - succeeded
    return {
        "ok": len(succeeded & new),
        "lost": len(succeeded - new),
        "ghost": len(new - succeeded - unanswered),
        "unknown": len(unanswered),
    }


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def say(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


# --- our own servers --------------------------------------------------------------------------


def pg_ready(port):
    return sh("pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port), check=False).returncode == 0


def wait_for(test, seconds, step=0.2):
    """Poll ``test`` until it is true or ``seconds`` passed; the seconds it took, or None."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if test():
            return time.perf_counter() - started
        time.sleep(step)
    return None


def ensure_cluster(port):
    """The bench's own cluster, created once (trust for TCP on loopback), started."""
    version, name = CLUSTER
    conf = f"/etc/postgresql/{version}/{name}"
    if not os.path.isdir(conf):
        say(f"creating PostgreSQL cluster {version}/{name} on port {port}")
        sh("pg_createcluster", version, name, "--port", str(port))
        hba = os.path.join(conf, "pg_hba.conf")
        with open(hba) as handle:
            lines = handle.read().splitlines()
        with open(hba, "w") as handle:
            for line in lines:
                fields = line.split()
                if fields[:3] == ["host", "all", "all"] and fields[3] in ("127.0.0.1/32", "::1/128"):
                    line = " ".join(fields[:4] + ["trust"])
                handle.write(line + "\n")
    if not pg_ready(port):
        sh("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start")
        wait_for(lambda: pg_ready(port), 30)


def pg_cluster(action):
    version, name = CLUSTER
    sh(
        "pg_ctlcluster",
        "--skip-systemctl-redirect",
        version,
        name,
        action,
        *(["-m", "fast"] if action != "start" else []),
    )


class Redis:
    """Our own redis-server on ``port``, a child process: stop() and start() again."""

    def __init__(self, port):
        self.port, self.proc = port, None

    def ping(self):
        return sh("redis-cli", "-p", str(self.port), "ping", check=False).stdout.strip() == "PONG"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        if wait_for(self.ping, 10) is None:
            raise RuntimeError("redis-server did not start on port %d" % self.port)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


class Sink:
    """SMTP handler: counts each message per recipient once it accepts it (after ``delay``)."""

    def __init__(self, delay):
        self.delay, self.count, self.lock = delay, Counter(), threading.Lock()
        self.last = {}  # recipient -> time.perf_counter() of its last message

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        with self.lock:
            self.count.update(envelope.rcpt_tos)
            self.last.update(dict.fromkeys(envelope.rcpt_tos, time.perf_counter()))
        return "250 OK"

    def total(self, prefix):
        with self.lock:
            return sum(n for rcpt, n in self.count.items() if rcpt.startswith(prefix))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environ(options, smtp_port):
    """`make prod`'s PROD_ENV against our own servers, with mail to the sink."""
    redis = f"redis://127.0.0.1:{options.redis_port}"
    return dict(
        os.environ,
        PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
        FLASK_APP="cpspartners",
        CPSPARTNERS_SQLALCHEMY_DATABASE_URI=f"postgresql://postgres@127.0.0.1:{options.pg_port}/faults",
        CPSPARTNERS_RQ_REDIS_URL=redis + "/0",
        CPSPARTNERS_RATELIMIT_STORAGE_URI=redis + "/1",
        CPSPARTNERS_RATELIMIT_IN_MEMORY_FALLBACK_ENABLED="true",
        CPSPARTNERS_SEARCH_WRITER="follower",
        CPSPARTNERS_SEARCH_INDEX_DIR=os.path.join(DATA, "search-index"),
        CPSPARTNERS_IMPORT_UPLOAD_DIR=os.path.join(DATA, "imports"),
        CPSPARTNERS_SITE_URL=f"http://127.0.0.1:{SITE_PORT}",
        CPSPARTNERS_MAIL_SERVER="127.0.0.1",
        CPSPARTNERS_MAIL_PORT=str(smtp_port),
    )


def ensure_db(options, env):
    admin = f"postgresql://postgres@127.0.0.1:{options.pg_port}/postgres"
    if sh("psql", admin, "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'faults'").stdout.strip() != "1":
        sh("psql", admin, "-qc", "CREATE DATABASE faults")
    flask = os.path.join(BIN, "flask")
    sh(flask, "db", "upgrade", env=env, cwd=ROOT)
    url = env["CPSPARTNERS_SQLALCHEMY_DATABASE_URI"]
    if sh("psql", url, "-tAc", "SELECT count(*) FROM opportunity").stdout.strip() == "0":
        say(f"seeding {options.scale} listings")
        for args in (["seed", "schools"], ["seed", "places"], ["seed", "demo", "--scale", str(options.scale)]):
            sh(flask, *args, env=env, cwd=ROOT)


class Processes:
    """gunicorn, the index follower and the RQ worker, as the Procfile starts them."""

    def __init__(self, env):
        self.env, self.site, self.follower, self.worker = env, None, None, None
        os.makedirs(DATA, exist_ok=True)
        self.log = open(os.path.join(DATA, "processes.log"), "a")  # noqa: SIM115  # closed by stop()

    def _popen(self, cmd, **kw):
        return subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log, **kw)

    def start_site(self):
        cmd = [os.path.join(BIN, "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{SITE_PORT}"]
        cmd += ["--access-logfile", "/dev/null", "wsgi:app"]
        self.site = web.serve(cmd, SITE_PORT, ROOT, environ=self.env, stdout=self.log, stderr=self.log)

    def start_follower(self):
        self.follower = self._popen([os.path.join(BIN, "flask"), "search", "follow"])

    def start_worker(self):
        url = self.env["CPSPARTNERS_RQ_REDIS_URL"]
        # A session of its own: kill -9 takes the worker and the work horse it forks for a job.
        self.worker = self._popen(
            [os.path.join(BIN, "rq"), "worker", "cpspartners", "--url", url], start_new_session=True
        )

    def kill_worker(self):
        """kill -9 the worker and the work horse it forked for the job in hand (RQ gives the horse a
        session of its own, so the worker's process group alone would leave it sending)."""
        for pid in [*web.children(self.worker.pid), self.worker.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self):
        for proc in (self.site, self.follower):
            if proc is not None and proc.poll() is None:
                proc.terminate()
        if self.worker is not None and self.worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.worker.pid, signal.SIGTERM)
        for proc in (self.site, self.follower, self.worker):
            if proc is not None:
                try:
                    proc.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.log.close()


# --- what must hold ---------------------------------------------------------------------------


class Checks:
    """The app in this process (follower mode: it writes the outbox, never the index)."""

    def __init__(self, env):
        os.environ.update(env)
        from cpspartners import create_app

        self.app = create_app()
        self.env = env
        self.changes = {}  # opportunity id -> the marker in its latest committed title
        self.maybe = {}  # opportunity id -> a marker whose commit failed with no answer
        self.seq = 0

    def public_ids(self, n=2000):
        from sqlalchemy import select

        from cpspartners.extensions import db
        from cpspartners.models import Opportunity

        with self.app.app_context():
            return list(db.session.scalars(select(Opportunity.id).where(Opportunity.is_public).limit(n)))

    def change_titles(self, ids, stop, tag, every=0.25):
        """Change a listing's title every ``every`` seconds until ``stop`` is set; record each commit."""
        from cpspartners.extensions import db
        from cpspartners.models import Opportunity

        rng = random.Random(tag)
        with self.app.app_context():
            while not stop.wait(every):
                opp_id = rng.choice(ids)
                self.seq += 1
                marker = f"zqx{tag}n{self.seq}"
                try:
                    opp = db.session.get(Opportunity, opp_id)
                    opp.title = " ".join(w for w in opp.title.split() if not w.startswith("zqx")) + " " + marker
                    db.session.commit()
                except Exception:
                    with contextlib.suppress(Exception):
                        db.session.rollback()
                    db.session.remove()
                    self.maybe[opp_id] = marker
                    continue
                self.changes[opp_id] = marker
                self.maybe.pop(opp_id, None)

    def index_place(self):
        """(the highest outbox id, the highest the follower has applied to our index)."""
        from sqlalchemy import func, select

        from cpspartners.extensions import db
        from cpspartners.models import IndexOutbox
        from cpspartners.search import follower, outbox

        with self.app.app_context():
            newest = db.session.scalar(select(func.coalesce(func.max(IndexOutbox.id), 0)))
            db.session.remove()
            state = follower.read_state(outbox.index_root())
        return newest, (state or {}).get("high", 0)

    def drift(self):
        """Listings whose latest committed title the index lacks, and `flask search check`."""
        from whoosh import query

        from cpspartners.search import documents, outbox

        with self.app.app_context():
            searcher, _cache = self.app.extensions["cpspartners_search"].current()
            analyzer = searcher.schema["title"].analyzer
            stale = 0
            for opp_id, marker in self.changes.items():
                found = set()
                for candidate in {marker, self.maybe.get(opp_id, marker)}:
                    term = next(iter(analyzer(candidate))).text
                    found |= {hit["key"] for hit in searcher.search(query.Term("title", term), limit=None)}
                stale += documents.opportunity_key(opp_id) not in found
            report = outbox.check()
        return {
            "stale": stale,
            "missing": len(report["missing"]),
            "extra": len(report["extra"]),
            "unapplied": len(report["unapplied"]),
        }

    def applications(self):
        """(email, slug) of every application by a bench student."""
        from sqlalchemy import select

        from cpspartners.extensions import db
        from cpspartners.models import Application, Opportunity, User

        with self.app.app_context():
            rows = db.session.execute(
                select(User.email, Opportunity.slug)
                .join(Application, Application.student_id == User.id)
                .join(Opportunity, Opportunity.id == Application.opportunity_id)
                .where(User.email.like("bench-student-%"))
            ).all()
            db.session.remove()
        return {(email, slug) for email, slug in rows}

    def seat_gaps(self):
        """{opportunity id: seats taken minus applications holding a seat}, where they differ."""
        from sqlalchemy import func, select

        from cpspartners.extensions import db
        from cpspartners.models import Application, Opportunity

        with self.app.app_context():
            holders = dict(
                db.session.execute(
                    select(Application.opportunity_id, func.count())
                    .where(Application.holds_seat)
                    .group_by(Application.opportunity_id)
                ).all()
            )
            taken = dict(
                db.session.execute(
                    select(Opportunity.id, Opportunity.seats_taken).where(Opportunity.seats_taken > 0)
                ).all()
            )
            db.session.remove()
        return {
            k: taken.get(k, 0) - holders.get(k, 0)
            for k in set(holders) | set(taken)
            if taken.get(k, 0) != holders.get(k, 0)
        }

    def queue_mail(self, tag):
        """A newsletter to NEWSLETTER_PEOPLE confirmed families, then CONFIRMATIONS confirmation
        emails for new ones, all through RQ."""
        from datetime import UTC, datetime

        from sqlalchemy import select, update

        from cpspartners import jobs
        from cpspartners.extensions import db
        from cpspartners.models import Newsletter, NewsletterItem, NewsletterSubscriber, Opportunity
        from cpspartners.services import newsletter_delivery

        with self.app.app_context():
            now = datetime.now(UTC)
            # Earlier runs' families leave, so this newsletter goes to this run's only.
            db.session.execute(
                update(NewsletterSubscriber)
                .where(NewsletterSubscriber.email.like("nl-%"), NewsletterSubscriber.unsubscribed_at.is_(None))
                .values(unsubscribed_at=now)
            )
            for n in range(NEWSLETTER_PEOPLE):
                db.session.add(NewsletterSubscriber(email=f"nl-{tag}-{n}@example.org", language="en", confirmed_at=now))
            fresh = [
                NewsletterSubscriber(email=f"confirm-{tag}-{n}@example.org", language="en")
                for n in range(CONFIRMATIONS)
            ]
            db.session.add_all(fresh)
            opp_id = db.session.scalar(select(Opportunity.id).where(Opportunity.is_public).limit(1))
            newsletter = Newsletter(subject=f"Fault bench {tag}", audience="families", language="en")
            newsletter.items.append(NewsletterItem(opportunity_id=opp_id, position=0))
            db.session.add(newsletter)
            db.session.commit()
            assert newsletter_delivery.queue(newsletter) == "queued"
            for subscriber in fresh:
                jobs.later(jobs.send_subscription_confirmation, subscriber.id, f"http://127.0.0.1:{SITE_PORT}/")
            newsletter_id = newsletter.id
            db.session.remove()
        return newsletter_id

    def newsletter_state(self, newsletter_id):
        from cpspartners.extensions import db
        from cpspartners.models import Newsletter

        with self.app.app_context():
            newsletter = db.session.get(Newsletter, newsletter_id)
            state = (newsletter.status, newsletter.recipient_count, newsletter.claimed_until)
            db.session.remove()
        return state

    def expire_claim(self, newsletter_id):
        """What an hour (CLAIM_FOR) does to a dead run's claim, so the next send-pending carries on."""
        from sqlalchemy import update

        from cpspartners.extensions import db
        from cpspartners.models import Newsletter

        with self.app.app_context():
            db.session.execute(update(Newsletter).where(Newsletter.id == newsletter_id).values(claimed_until=None))
            db.session.commit()
            db.session.remove()


def sign_in_limited(tag):
    """Six wrong sign-ins for one account from one address: the last must be refused (429)."""
    client = load.Client(SITE_PORT, f"192.0.2.{random.randint(1, 254)}")
    statuses = []
    for _ in range(6):
        try:
            _status, data, enc = client.request("GET", "/account/sign-in")
            token = load.CSRF.search(load.text_of(data, enc))
            form = {"csrf_token": token.group(1) if token else "", "email": f"limit-{tag}@example.org", "password": "x"}
            statuses.append(client.request("POST", "/account/sign-in", form)[0])
        except (OSError, load.http.client.HTTPException):
            statuses.append(0)
    return statuses


# --- the faults -------------------------------------------------------------------------------


def inject(name, procs, redis, checks, sink, tag, notes):
    """Cause fault ``name``; returns when it is over (the part restarted), noting what happened."""
    if name == "follower":
        procs.follower.kill()
        procs.follower.wait()
        time.sleep(5)
        procs.start_follower()
    elif name == "worker":
        victim = web.children(procs.site.pid)[0]
        os.kill(victim, signal.SIGKILL)
        notes["killed pid"] = victim
    elif name == "postgres":
        started = time.perf_counter()
        pg_cluster("restart")
        notes["restart took s"] = round(time.perf_counter() - started, 1)
    elif name == "redis":
        redis.stop()
        time.sleep(10)
        redis.start()
    elif name == "mail":
        notes["newsletter"] = checks.queue_mail(tag)
        prefix = f"nl-{tag}-"
        if wait_for(lambda: sink.total(prefix) >= KILL_AFTER, 60, step=0.01) is None:
            notes["not killed"] = "the newsletter did not reach %d messages" % KILL_AFTER
            return
        procs.kill_worker()
        notes["killed at"] = time.perf_counter()
        notes["sent before the kill"] = sink.total(prefix)
        procs.start_worker()


def run_fault(name, options, world, procs, redis, checks, sink):
    tag = f"{name[:4]}{int(time.time()) % 100000}"
    say(f"--- {name}: {options.rate:.0f}/s for {options.seconds} s, fault at {options.at} s")
    events, applied, notes = [], [], {}
    # load.py's senders draw the same choices every run: other listings, so applications are new.
    random.Random(tag).shuffle(world["slugs"])
    apps_before, seats_before = checks.applications(), checks.seat_gaps()
    stop = threading.Event()
    writer = threading.Thread(target=checks.change_titles, args=(world["ids"], stop, tag))
    result = {}

    def send():
        result["load"] = load.run_at(
            SITE_PORT, world, options.rate, options.seconds, events=events, applied=applied, kinds=("apply", "interest")
        )

    sender = threading.Thread(target=send)
    t0 = time.perf_counter()
    writer.start()
    sender.start()
    time.sleep(options.at)
    fault_at = time.perf_counter()
    if name != "none":
        say(f"{name}: injecting")
        inject(name, procs, redis, checks, sink, tag, notes)
        say(f"{name}: over after {time.perf_counter() - fault_at:.1f} s {notes or ''}")
    over_at = time.perf_counter()
    # Index lag: until the follower has applied every outbox row committed by now.
    newest, _high = checks.index_place()
    caught_up = wait_for(lambda: checks.index_place()[1] >= newest, 120, step=0.2)
    index_at = None if caught_up is None else time.perf_counter() - fault_at
    sender.join()
    stop.set()
    writer.join()
    say(f"{name}: load done in {time.perf_counter() - t0:.0f} s; checking")
    errors, recovery = errors_after(events, fault_at)
    # Answers a second (any status) before the fault, while it lasts, and the 15 s after it.
    during = over_at - fault_at
    rates = [
        answer_rate(events, fault_at - options.at, fault_at),
        answer_rate(events, fault_at, over_at) if during >= 1 else None,
        answer_rate(events, over_at, over_at + 15),
    ]
    total_errors, _ = errors_after(events, 0)
    ok = sum(1 for _t, status in events if 0 < status < 500)
    # The index: the follower catches up (or the wait runs out, and the drift says so).
    wait_for(lambda: not any(checks.drift().values()), 30, step=1)
    drift = checks.drift()
    print("| fault | answered/s | p50 ms | p95 ms | p99 ms | errors | refused (4xx) | dropped |")
    load.summary(name, *result["load"])
    apps = application_check(apps_before, checks.applications(), applied)
    seats_after = checks.seat_gaps()
    seat_changed = sum(1 for k in set(seats_before) | set(seats_after) if seats_before.get(k) != seats_after.get(k))
    mail = None
    if name == "mail" and "newsletter" in notes:
        mail = mail_outcome(checks, sink, tag, notes)
    limited = sign_in_limited(tag)
    row = {
        "fault": name,
        "answered": ok,
        "errors": errors,
        "errors before": total_errors - errors,
        "recovered s": round(recovery, 1),
        "answers/s before, during, after": rates,
        "index caught up s": None if index_at is None else round(index_at, 1),
        "drift": drift,
        "changes": len(checks.changes),
        "applications": apps,
        "application answers": dict(Counter(status for _e, _s, status in applied)),
        "seat counts changed": seat_changed,
        "mail": mail,
        "sign-in statuses": limited,
        "notes": {k: v for k, v in notes.items() if k != "killed at"},
    }
    say(f"{name}: {row}")
    return row


def mail_outcome(checks, sink, tag, notes):
    """Wait for the restarted worker; then what an hour later's send-pending does; per-recipient counts."""
    confirm = f"confirm-{tag}-"
    done = wait_for(lambda: sink.total(confirm) >= CONFIRMATIONS, 120, step=0.2)
    with sink.lock:
        last = max((t for r, t in sink.last.items() if r.startswith(confirm)), default=None)
    # From the kill to the last of the queued confirmations (the restarted worker's work).
    out = {"confirmations done s after the kill": None if done is None else round(last - notes["killed at"], 1)}
    status, count, claimed = checks.newsletter_state(notes["newsletter"])
    out["newsletter after restart"] = f"{status}, {count} recorded, claimed {'yes' if claimed else 'no'}"
    out["newsletter reached"] = sink.total(f"nl-{tag}-")
    # The RQ job died with its horse; the scheduler's send-pending carries on once the claim is over.
    checks.expire_claim(notes["newsletter"])
    sh(os.path.join(BIN, "flask"), "newsletters", "send-pending", env=checks.env, cwd=ROOT, check=False)
    with sink.lock:
        counts = {r: n for r, n in sink.count.items() if r.startswith((f"nl-{tag}-", confirm))}
    out["recipients"] = len(counts)
    out["expected"] = NEWSLETTER_PEOPLE + CONFIRMATIONS
    out["twice or more"] = sum(1 for n in counts.values() if n > 1)
    out["extra copies"] = sum(n - 1 for n in counts.values() if n > 1)
    out["never"] = out["expected"] - len(counts)
    return out


def table(rows):
    lines = [
        "| fault | answered | client errors from the fault | last error after (s) | index caught up (s) | drift "
        "(stale/missing/extra/unapplied) | applications ok/lost/ghost/unknown | seat counts off | sign-in 6th try |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        d, a = row["drift"], row["applications"]
        lines.append(
            f"| {row['fault']} | {row['answered']} | {row['errors']} | {row['recovered s']} | "
            f"{row['index caught up s']} | {d['stale']}/{d['missing']}/{d['extra']}/{d['unapplied']} "
            f"of {row['changes']} changes | {a['ok']}/{a['lost']}/{a['ghost']}/{a['unknown']} | "
            f"{row['seat counts changed']} | {row['sign-in statuses'][-1]} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--rate", type=float, default=70)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--at", type=float, default=15, help="seconds into the load the fault starts")
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--pg-port", type=int, default=5440)
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--keep-cluster", action="store_true", help="leave our PostgreSQL cluster running")
    options = parser.parse_args()
    names = [n for n in options.faults.split(",") if n]
    assert set(names) <= set(FAULTS), names
    print("\n".join(web.search_bench.machine()))
    print("command:", " ".join(sys.argv))
    from aiosmtpd.controller import Controller

    sink = Sink(SINK_DELAY)
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    redis = Redis(options.redis_port)
    procs = None
    ensure_cluster(options.pg_port)
    try:
        redis.start()
        env = environ(options, smtp_port)
        ensure_db(options, env)
        load.STUDENTS = 200  # 3 sign-ins a minute each at most: the per-account limit is 5
        world = load.setup(SITE_PORT, env)
        checks = Checks(env)
        world["ids"] = checks.public_ids()
        procs = Processes(env)
        say("starting the follower, the RQ worker and gunicorn")
        procs.start_follower()
        procs.start_worker()
        procs.start_site()
        took = wait_for(lambda: not any(checks.drift().values()), 180, step=1)
        say(f"site up; index caught up after {took} s; load average {web.loadavg()}")
        rows = []
        for name in names:
            rows.append(run_fault(name, options, world, procs, redis, checks, sink))
            print("load average:", web.loadavg(), flush=True)
        print()
        print(table(rows))
        for row in rows:
            if row["mail"]:
                print(f"mail ({row['fault']}):", row["mail"])
            print(f"{row['fault']}: errors before the fault {row['errors before']}; notes {row['notes']}")
    finally:
        if procs is not None:
            procs.stop()
        redis.stop()
        controller.stop()
        if not options.keep_cluster:
            pg_cluster("stop")


if __name__ == "__main__":
    main()
