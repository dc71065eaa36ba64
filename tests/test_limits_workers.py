"""Rate limits hold across workers: gunicorn with four workers, counters in Redis.

The finding: with four workers and memory storage each worker counted alone, so "5 sign-ins a
minute per account" let 9 through, the per-address limit 22 of 20, reset 12 of 5, registration 20
of 10. Here gunicorn runs the production configuration (gunicorn.conf.py) with four workers and
rate limits on a Redis database of their own; visitors post real forms (CSRF token, session
cookie) concurrently, each through its own connection with the PROXY protocol line the proxy
would send, so every scenario has a visitor address of its own. Exactly the limit gets through.

Marked ``gunicorn`` (deselect with ``-m "not gunicorn"`` for a quick run); it skips without
Redis outside CI and fails in CI, like every other test needing a tool.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from cpspartners import create_app
from tests.conftest import TEST_PASSWORD, config_for, skip_or_fail

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMITS_REDIS = os.environ.get("CPSPARTNERS_TEST_LIMITS_REDIS_URL", "redis://127.0.0.1:6379/12")
WORKERS = 4
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
POST_LINE = re.compile(r'^<(\d+)> "POST (\S+) HTTP/1\.[01]" (\d+)$')


def redis_or_skip():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(LIMITS_REDIS)
    try:
        connection.ping()
    except RedisDown:
        skip_or_fail(f"Redis does not answer at {LIMITS_REDIS}")
    finally:
        connection.close()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(tmp_path, database_url, workers, storage):
    """gunicorn with gunicorn.conf.py, as in production, on a free port: (process, port, logs)."""
    port = free_port()
    logs = {"access": tmp_path / "access.log", "error": tmp_path / "error.log"}
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        CPSPARTNERS_SECRET_KEY="gunicorn-test-" + uuid.uuid4().hex,
        CPSPARTNERS_SQLALCHEMY_DATABASE_URI=database_url,
        CPSPARTNERS_SEARCH_INDEX_DIR=str(tmp_path / "search-index"),
        CPSPARTNERS_IMPORT_UPLOAD_DIR=str(tmp_path / "imports"),
        CPSPARTNERS_RATELIMIT_STORAGE_URI=storage,
        # A prefix of its own: this run counts from zero, and no other run's keys are touched.
        CPSPARTNERS_RATELIMIT_KEY_PREFIX="test-" + uuid.uuid4().hex,
        CPSPARTNERS_MAIL_SERVER="",
        CPSPARTNERS_RQ_REDIS_URL="",
    )
    env.pop("WEB_CONCURRENCY", None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        str(logs["access"]),
        "--access-logformat",
        '%(p)s "%(r)s" %(s)s',
        "--error-logfile",
        str(logs["error"]),
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, logs


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Visitor(http.client.HTTPConnection):
    """One connection from ``address``: it starts with the PROXY line HAProxy sends."""

    def __init__(self, port, address):
        super().__init__("127.0.0.1", port, timeout=60)
        self.address = address

    def connect(self):
        super().connect()
        self.sock.sendall(f"PROXY TCP4 {self.address} 127.0.0.1 40000 {self.port}\r\n".encode())


def call(port, address, method, path, body=None, cookie=None):
    """(status, headers, text) of one request from ``address``, on a connection of its own."""
    connection = Visitor(port, address)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request(method, path, body=urlencode(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        connection.close()


def submit(port, address, path, data):
    """Load the form at ``path`` as a browser would (CSRF token, session cookie), then post it."""
    status, headers, html = call(port, address, "GET", path)
    assert status == 200, (path, status)
    cookie = "; ".join(value.split(";")[0] for name, value in headers if name.lower() == "set-cookie")
    token = CSRF.search(html).group(1)
    status, _headers, _html = call(port, address, "POST", path, {"csrf_token": token, **data}, cookie)
    return status


def wait_until_serving(process, port, logs):
    for _ in range(600):
        if process.poll() is not None:
            pytest.fail("gunicorn stopped: " + logs["error"].read_text())
        try:
            if call(port, "127.0.0.1", "GET", "/account/sign-in")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        pytest.fail("gunicorn did not answer: " + logs["error"].read_text())
    # Every worker booted and loaded the app before the attempts, so all four take requests.
    for _ in range(600):
        if logs["error"].read_text().count("Booting worker") >= WORKERS:
            break
        time.sleep(0.2)
    with ThreadPoolExecutor(WORKERS * 2) as pool:
        list(pool.map(lambda _n: call(port, "127.0.0.1", "GET", "/account/sign-in"), range(WORKERS * 4)))


@pytest.fixture(scope="module")
def server(_schema, tmp_path_factory):
    redis_or_skip()
    process, port, logs = start_gunicorn(tmp_path_factory.mktemp("gunicorn"), _schema, WORKERS, LIMITS_REDIS)
    try:
        wait_until_serving(process, port, logs)
        yield {"port": port, "logs": logs}
    finally:
        stop(process)


def attempts(server, address, path, forms):
    """Post every form in ``forms`` at once from ``address``: the statuses, and the worker pids
    that answered the posts."""
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda data: submit(server["port"], address, path, data), forms))
    time.sleep(0.5)  # let gunicorn write the last access-log lines (not a timing assertion)
    pids = set()
    for line in server["logs"]["access"].read_text().splitlines():
        match = POST_LINE.match(line)
        if match and match.group(2) == path:
            pids.add(match.group(1))
    return statuses, pids


def through(statuses):
    assert all(status < 500 for status in statuses), statuses
    return sum(status != 429 for status in statuses)


pytestmark = pytest.mark.gunicorn


def test_sign_in_per_account_holds_across_four_workers(app, server, make_user):
    user = make_user("teacher")
    statuses, pids = attempts(
        server, "198.51.100.1", "/account/sign-in", [{"email": user.email, "password": "wrong guess"}] * 12
    )
    assert through(statuses) == 5  # SIGNIN_LIMIT_PER_ACCOUNT: 5 per minute
    assert len(pids) > 1  # several workers answered, and still they counted together


def test_sign_in_per_address_holds_across_four_workers(app, server):
    forms = [{"email": f"guess{n}@example.org", "password": "wrong guess"} for n in range(25)]
    statuses, pids = attempts(server, "198.51.100.2", "/account/sign-in", forms)
    assert through(statuses) == 20  # SIGNIN_LIMIT_PER_ADDRESS: 20 per minute
    assert len(pids) > 1


def test_reset_requests_hold_across_four_workers(app, server, make_user):
    user = make_user("teacher")
    statuses, _pids = attempts(server, "198.51.100.3", "/account/reset", [{"email": user.email}] * 12)
    assert through(statuses) == 5  # RESET_LIMIT: 5 per minute, per address and per account
    spread = [{"email": f"someone{n}@example.org"} for n in range(12)]
    statuses, pids = attempts(server, "198.51.100.4", "/account/reset", spread)
    assert through(statuses) == 5
    assert len(pids) > 1


def test_registration_holds_across_four_workers(app, server, curie):
    forms = [
        {
            "role": "student",
            "email": f"new{n}@example.org",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
            "school_id": str(curie.id),
            "grade": "9",
            "partner_id": "0",
            "language": "en",
        }
        for n in range(20)
    ]
    statuses, pids = attempts(server, "198.51.100.5", "/account/register", forms)
    assert through(statuses) == 10  # REGISTER_LIMIT: 10 per minute
    assert len(pids) > 1


def test_gunicorn_refuses_several_workers_with_limits_in_memory(_schema, tmp_path):
    process, _port, logs = start_gunicorn(tmp_path, _schema, 2, "memory://")
    try:
        assert process.wait(timeout=120) != 0
    finally:
        stop(process)
    assert "Refusing to start 2 workers with rate limits in memory" in logs["error"].read_text()


# --- The check itself, without gunicorn -------------------------------------------------------


def production(database_url, tmp_path, **settings):
    return config_for(
        database_url, TESTING=False, SECRET_KEY="not-the-default", SEARCH_INDEX_DIR=str(tmp_path), **settings
    )


def test_production_refuses_memory_limits_with_several_workers(_schema, tmp_path):
    with pytest.raises(RuntimeError, match="Refusing to start 3 workers with rate limits in memory"):
        create_app(production(_schema, tmp_path, WORKERS=3))


def test_production_starts_with_one_worker_or_shared_limits(_schema, tmp_path):
    assert create_app(production(_schema, tmp_path, WORKERS=1)).config["RATELIMIT_STORAGE_URI"] == "memory://"
    shared = create_app(production(_schema, tmp_path, WORKERS=9, RATELIMIT_STORAGE_URI=LIMITS_REDIS))
    assert shared.config["WORKERS"] == 9


def test_testing_with_several_workers_only_warns(_schema, tmp_path, caplog):
    create_app(config_for(_schema, WORKERS=4, SEARCH_INDEX_DIR=str(tmp_path)))
    assert "Refusing to start 4 workers with rate limits in memory" in caplog.text
