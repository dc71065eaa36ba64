"""The scheduler's table of cron jobs (cpspartners/schedule.py): every command exists, it is the
crontab docs/deploy.md tells people to install, and how `flask schedule run` starts and skips jobs.
"""

import os
import re
import shlex
from datetime import datetime

from cpspartners import create_app, schedule
from tests.conftest import config_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def flask_help(app, command):
    """``flask COMMAND --help`` in this process: 0 when the subcommand and its options exist."""
    return app.test_cli_runner().invoke(args=[*shlex.split(command), "--help"])


def test_every_flask_command_of_the_schedule_exists(tmp_path):
    app = create_app(config_for("sqlite:///" + str(tmp_path / "db.sqlite")))
    commands = [command for job in schedule.SCHEDULE for command in job.commands]
    assert "newsletters send-pending" in commands and "search prune" in commands
    for command in commands + ["schedule run", "schedule crontab"]:
        result = flask_help(app, command)
        assert result.exit_code == 0, (command, result.output)
    assert flask_help(app, "search nonsense").exit_code != 0  # the check can fail


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
