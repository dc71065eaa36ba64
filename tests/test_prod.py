"""The production set-up on one machine: the Procfile that `make prod` runs with honcho, and the
scheduler's table of cron jobs (cpspartners/schedule.py).

The quick tests read the Procfile and check that each process's command exists (the ``flask``
subcommands, gunicorn's config, RQ's queue), that the schedule is the crontab docs/deploy.md
tells people to install, and how the scheduler starts and skips jobs. The last one starts the
Procfile under honcho against PostgreSQL and Redis, waits for /health/ready, writes a listing and
finds it through the site once the follower has indexed it, has the RQ worker run a job, then
stops everything with one SIGTERM, as Ctrl-C on `make prod` would.
"""

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime

import pytest
from honcho.environ import parse_procfile

from cpspartners import create_app, jobs, schedule
from tests.conftest import config_for, skip_or_fail

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
PROD_REDIS = os.environ.get("CPSPARTNERS_TEST_PROD_REDIS_URL", "redis://127.0.0.1:6379/13")


def procfile():
    """Each process's command, without the ``exec`` that lets it take honcho's signals itself."""
    with open(os.path.join(ROOT, "Procfile")) as handle:
        processes = parse_procfile(handle.read()).processes
    assert all(command.startswith("exec ") for command in processes.values()), processes
    return {name: command.removeprefix("exec ") for name, command in processes.items()}


def test_procfile_runs_the_four_processes():
    processes = procfile()
    assert list(processes) == ["web", "follower", "worker", "scheduler"]
    web = shlex.split(processes["web"])
    assert web[:3] == ["gunicorn", "-c", "gunicorn.conf.py"] and web[-1] == "wsgi:app"
    assert processes["follower"] == "flask search follow"
    worker = shlex.split(processes["worker"])
    # The queue the app puts jobs on (jobs.later, the newsletters), at the app's RQ_REDIS_URL.
    assert worker[:3] == ["rq", "worker", jobs.QUEUE]
    assert worker[3:] == ["--url", "$CPSPARTNERS_RQ_REDIS_URL"]
    assert processes["scheduler"] == "flask schedule run"
    for command in processes.values():
        assert os.access(os.path.join(BIN, shlex.split(command)[0]), os.X_OK), command


def flask_help(app, command):
    """``flask COMMAND --help`` in this process: 0 when the subcommand and its options exist."""
    return app.test_cli_runner().invoke(args=[*shlex.split(command), "--help"])


def test_every_flask_command_of_the_procfile_and_the_schedule_exists(tmp_path):
    app = create_app(config_for("sqlite:///" + str(tmp_path / "db.sqlite")))
    commands = [c.removeprefix("flask ") for c in procfile().values() if c.startswith("flask ")]
    commands += [command for job in schedule.SCHEDULE for command in job.commands]
    assert "schedule run" in commands and "newsletters send-pending" in commands
    for command in commands:
        result = flask_help(app, command)
        assert result.exit_code == 0, (command, result.output)
    assert flask_help(app, "search nonsense").exit_code != 0  # the check can fail


def test_gunicorn_accepts_its_config_with_production_settings(tmp_path):
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        CPSPARTNERS_SECRET_KEY=uuid.uuid4().hex,
        CPSPARTNERS_SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "db.sqlite"),
        CPSPARTNERS_SEARCH_INDEX_DIR=str(tmp_path / "index"),
        CPSPARTNERS_RATELIMIT_STORAGE_URI=PROD_REDIS,
        CPSPARTNERS_SEARCH_WRITER="follower",
    )
    command = [os.path.join(BIN, "gunicorn"), "--check-config", "-c", "gunicorn.conf.py", "wsgi:app"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_worker_warms_then_hides_what_it_made_from_the_garbage_collector(app, monkeypatch):
    """gunicorn.conf.py's ``post_worker_init``: warm the app, then ``gc.freeze`` what it built."""
    import gc
    import importlib.util
    import types

    from cpspartners.directory import listing

    spec = importlib.util.spec_from_file_location("gunicorn_conf", os.path.join(ROOT, "gunicorn.conf.py"))
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    warmed = []
    monkeypatch.setattr(listing, "warm", lambda wsgi: warmed.append(wsgi))
    assert gc.get_freeze_count() == 0
    try:
        conf.post_worker_init(types.SimpleNamespace(wsgi=app, log=None))
        assert warmed == [app] and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_docs_install_the_crontab_from_the_schedule():
    """One place for the schedule: docs/deploy.md has no crontab of `flask` commands of its own."""
    with open(os.path.join(ROOT, "docs", "deploy.md")) as handle:
        docs = handle.read()
    assert "flask schedule crontab" in docs and "cpspartners/schedule.py" in docs
    cron_line = re.compile(r"^\S+ \S+ \S+ \S+ \S+\s+cd .*flask ", re.MULTILINE)
    assert not cron_line.findall(docs)


def test_crontab_lines():
    tab = schedule.crontab(schedule.jobs_for("inline"), "/srv/cpspartners", ".venv/bin/flask", "ops@example.org")
    lines = tab.splitlines()
    assert lines[0] == "MAILTO=ops@example.org"
    assert (
        "*/5 * * * *   cd /srv/cpspartners && flock -n /run/lock/cpspartners-newsletters "
        ".venv/bin/flask newsletters send-pending 2>&1 | logger -t cpspartners-cron"
    ) in lines
    assert (
        "30 6 * * *    cd /srv/cpspartners && (.venv/bin/flask pools expire && .venv/bin/flask pools remind && "
        ".venv/bin/flask pools prune-requests) 2>&1 | logger -t cpspartners-cron"
    ) in lines
    assert '15 5 * * *    cd /srv/cpspartners && out=$(.venv/bin/flask search check 2>&1) || echo "$out"' in lines
    jobs_lines = [line for line in lines if not line.startswith(("#", "MAILTO"))]
    assert len(jobs_lines) == len(schedule.jobs_for("inline"))


def test_follower_mode_drops_search_apply():
    """docs/deploy.md: with a follower, `flask search apply` would write this index beside it."""
    inline = {job.name for job in schedule.jobs_for("inline")}
    follower = {job.name for job in schedule.jobs_for("follower")}
    assert inline - follower == {"search apply"}
    assert follower - inline == {"search prune"}
    for job in schedule.SCHEDULE:
        schedule.next_run(job, datetime(2026, 3, 8))  # every expression parses


class FakeRun:
    def __init__(self):
        self.alive = True

    def is_alive(self):
        return self.alive


def test_scheduler_starts_due_jobs_and_skips_one_still_running():
    every5 = schedule.Job("*/5 * * * *", ("newsletters send-pending",), "")
    daily = schedule.Job("0 7 * * *", ("requests escalate",), "")
    now = [datetime(2026, 12, 2, 6, 58, 30)]
    started, said = [], []

    def start(job):
        started.append((now[0], job.name))
        return FakeRun()

    scheduler = schedule.Scheduler([every5, daily], start, clock=lambda: now[0], echo=said.append)
    assert scheduler.tick() == 90  # until 07:00
    assert started == []
    now[0] = datetime(2026, 12, 2, 7, 0, 0, 200000)
    scheduler.tick()
    assert [name for _at, name in started] == ["newsletters send-pending", "requests escalate"]
    # 07:05: the newsletters run from 07:00 is still going, so this one is skipped (flock -n).
    now[0] = datetime(2026, 12, 2, 7, 5, 1)
    scheduler.tick()
    assert len(started) == 2 and said == ["skipped newsletters send-pending: its last run is still going"]
    scheduler.running[every5].alive = False
    now[0] = datetime(2026, 12, 2, 7, 10, 0)
    assert 0 < scheduler.tick() <= 300
    assert started[-1] == (now[0], "newsletters send-pending")
    assert scheduler.due[daily] == datetime(2026, 12, 3, 7, 0)


def test_runner_runs_commands_in_order_until_one_fails(monkeypatch):
    calls = []

    class Child:
        def __init__(self, argv):
            calls.append(argv[3:])
            self.status = 1 if argv[3:] == ["pools", "remind"] else 0

        def wait(self, timeout=None):
            return self.status

    monkeypatch.setattr(schedule.subprocess, "Popen", Child)
    said = []
    runner = schedule.Runner(echo=said.append)
    runner.start(schedule.Job("30 6 * * *", ("pools expire", "pools remind", "pools prune-requests"), "")).join(5)
    assert calls == [["pools", "expire"], ["pools", "remind"]]
    assert said[-1] == "flask pools remind failed with status 1"


# --- The whole set-up, under honcho ---------------------------------------------------------


def redis_or_skip(url):
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisDown:
        skip_or_fail(f"Redis does not answer at {url}")
    return connection


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:  # not listening yet, refused, reset or timed out (URLError is one too)
        return None, ""


class Output:
    """honcho's output, read by a thread as it comes, so waiting for a line needs no polling of a file."""

    def __init__(self, stream):
        self.text = ""
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            with self.changed:
                self.text += line
                self.changed.notify_all()

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        with self.changed:
            while not re.search(pattern, self.text, re.MULTILINE):
                left = deadline - time.monotonic()
                assert left > 0, f"no {pattern!r} in honcho's output:\n{self.text}"
                self.changed.wait(left)


@pytest.mark.gunicorn
@pytest.mark.postgres
def test_make_prod_processes_serve_index_and_stop(app, make_opportunity, tmp_path):
    if not os.access(os.path.join(BIN, "honcho"), os.X_OK):
        skip_or_fail("honcho is not installed (make install)")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        skip_or_fail("the follower is woken by PostgreSQL NOTIFY")
    redis = redis_or_skip(PROD_REDIS)
    port = free_port()
    env = dict(
        os.environ,
        PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
        PYTHONPATH=ROOT,
        FLASK_APP="cpspartners",
        WEB_CONCURRENCY="2",
        CPSPARTNERS_SECRET_KEY="prod-test-" + uuid.uuid4().hex,
        CPSPARTNERS_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        CPSPARTNERS_RQ_REDIS_URL=PROD_REDIS,
        CPSPARTNERS_RATELIMIT_STORAGE_URI=PROD_REDIS,
        CPSPARTNERS_RATELIMIT_KEY_PREFIX="prod-test-" + uuid.uuid4().hex,
        CPSPARTNERS_SEARCH_WRITER="follower",
        CPSPARTNERS_SEARCH_INDEX_DIR=str(tmp_path / "prod-index"),
        CPSPARTNERS_IMPORT_UPLOAD_DIR=str(tmp_path / "imports"),
        CPSPARTNERS_SITE_URL=f"http://127.0.0.1:{port}",
        CPSPARTNERS_MAIL_SERVER="",
        PYTHONUNBUFFERED="1",
    )
    for name in ("CPSPARTNERS_DEBUG", "CPSPARTNERS_TESTING", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    started = time.monotonic()
    honcho = subprocess.Popen(
        [os.path.join(BIN, "honcho"), "start", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(honcho.stdout)
    try:
        deadline = time.monotonic() + 60
        while get(port, "/health/ready")[0] != 200:
            assert honcho.poll() is None, output.text
            assert time.monotonic() < deadline, output.text
            time.sleep(0.3)
        ready = time.monotonic() - started
        output.wait_for(r"following the index outbox", 30)
        output.wait_for(r"Listening on .*" + jobs.QUEUE, 30)
        output.wait_for(r"scheduler started, pid \d+: %d jobs" % len(schedule.jobs_for("follower")), 30)

        # A change written here reaches the site's search through the follower alone: this app
        # only sends the NOTIFY (SEARCH_WRITER=follower), the web workers only read.
        app.config["SEARCH_WRITER"] = "follower"
        word = "zq" + uuid.uuid4().hex[:8]
        written = time.monotonic()
        make_opportunity(title=f"Welding {word} workshop")
        deadline = time.monotonic() + 20
        while True:
            status, page = get(port, f"/search?q={word}")
            if status == 200 and f"Welding {word} workshop" in page.replace("<mark>", "").replace("</mark>", ""):
                break
            assert time.monotonic() < deadline, output.text
            time.sleep(0.2)
        indexed = time.monotonic() - written

        # The worker runs the app's jobs from the app's queue.
        from rq import Queue

        job = Queue(jobs.QUEUE, connection=redis).enqueue(
            jobs.send_reset_link, "nobody-" + word + "@example.org", f"http://127.0.0.1:{port}"
        )
        deadline = time.monotonic() + 30
        while job.get_status(refresh=True) not in ("finished", "failed"):
            assert time.monotonic() < deadline, output.text
            time.sleep(0.2)
        assert job.get_status() == "finished", output.text
    finally:
        stopping = time.monotonic()
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Each process has a session of its own: kill those honcho did not stop, then honcho.
            for pid in map(int, re.findall(r"started \(pid=(\d+)\)", output.text)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            honcho.kill()
            honcho.wait()
        output.thread.join(5)
        honcho.stdout.close()
    stopped = time.monotonic() - stopping
    print(f"ready after {ready:.1f} s, indexed {indexed:.1f} s after the commit, stopped in {stopped:.1f} s")
    assert "SIGKILL" not in output.text, output.text
    for name in ("web", "follower", "worker", "scheduler"):
        assert re.search(rf"{name}\.1 stopped \(rc=0\)", output.text), output.text
    assert stopped < 10
