"""Reset-request timing: does a known address answer like an unknown one?

    .venv/bin/python bench/reset.py [--repeat 200]

Builds an app on a throwaway SQLite file with one account, points it at a local SMTP server
(aiosmtpd, as the tests do), and posts /account/reset for the account's address and for an
address nobody has, alternating, REPEAT times each. It reports, for each, the median and p95 of
the time until the response is ready (what the visitor waits for) and of the work done after it
(``response.close()``, where a WSGI server runs ``response.call_on_close``: the job that looks
the account up and sends the mail, when RQ_REDIS_URL is not set).

The tests assert no timings; this script only measures them.
"""

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def summary(name, times):
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{name}: median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.models import User

    folder = tempfile.mkdtemp(prefix="bench-reset-")
    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.sqlite"),
            "SEARCH_INDEX_DIR": os.path.join(folder, "index"),
            "WTF_CSRF_ENABLED": False,
            "RESET_LIMIT": "1000000 per minute",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
        }
    )
    with app.app_context():
        db.create_all()
        user = User(email="known@example.org", role="specialist", name="Known", is_approved=True)
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    answered = {"known": [], "unknown": []}
    after = {"known": [], "unknown": []}
    addresses = {"known": "known@example.org", "unknown": "nobody@example.org"}
    for round_ in range(args.repeat + 5):
        for kind, email in addresses.items():
            start = time.perf_counter()
            response = client.post("/account/reset", data={"email": email})
            ready = time.perf_counter()
            response.close()
            done = time.perf_counter()
            assert response.status_code == 302, response.status_code
            if round_ >= 5:  # the first rounds warm up caches, templates, the SMTP connection path
                answered[kind].append((ready - start) * 1000)
                after[kind].append((done - ready) * 1000)
    smtp.stop()
    print(f"reset requests, {args.repeat} each, alternating (Python {sys.version.split()[0]})")
    for kind in addresses:
        print("  " + summary(f"{kind:7} until the answer", answered[kind]))
        print("  " + summary(f"{kind:7} after the answer", after[kind]))


if __name__ == "__main__":
    main()
