"""The cron jobs, in one table (``SCHEDULE``), read by two runners:

- ``flask schedule crontab`` writes it as the crontab of a real server (docs/deploy.md,
  "Scheduled jobs"), each line under ``flock -n`` where it says so and into ``logger``;
- ``flask schedule run`` runs it itself, the ``scheduler`` process of the Procfile (``make prod``):
  each job as the same ``flask`` command in a process of its own, as cron would, and a job whose
  last run is still going is skipped, as ``flock -n`` would.

Change a time or add a job here only. Times are the machine's local time, as cron reads them:
docs/deploy.md sets the time zone to America/Chicago, and the commands decide "today" by the
local date too. (RQ's own cron scheduler was the other candidate: it reads every expression in
UTC, and it would run these commands in the RQ worker, behind or ahead of the account emails.)
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

from croniter import croniter

LOG_TAG = "cpspartners-cron"


@dataclass(frozen=True)
class Job:
    """One line of the crontab: ``commands`` (``flask`` subcommands) run one after another while
    each succeeds, when ``cron`` (minute hour day month weekday, local time) says."""

    cron: str
    commands: tuple[str, ...]
    why: str
    lock: str = ""  # skip a run while the last one is going (every job does under `schedule run`)
    mail_on_failure: bool = False  # cron mails the output only when the command fails
    writer: str = ""  # only with this SEARCH_WRITER; every mode when empty

    @property
    def name(self) -> str:
        return self.commands[0]


SCHEDULE: tuple[Job, ...] = (
    Job(
        "*/5 * * * *",
        ("newsletters send-pending",),
        "Every 5 minutes: send newsletters whose Send button was pressed and finish interrupted ones.",
        lock="newsletters",
    ),
    Job(
        "*/10 * * * *",
        ("notifications send",),
        "Every 10 minutes: email new notifications, one message per person, in their language.",
        lock="notifications",
    ),
    Job(
        "0 * * * *",
        ("search apply",),
        "Hourly: apply index changes still owed (after an index failure); forget applied rows older than 7 days.",
        lock="search",
        writer="inline",
    ),
    Job(
        "0 * * * *",
        ("search prune",),
        "Hourly: forget outbox rows applied more than 7 days ago (`flask search follow` applies the rest).",
        lock="search",
        writer="follower",
    ),
    Job(
        "15 5 * * *",
        ("search check",),
        "Daily, 05:15, after the 05:00 apply: mail the drift between database and index, if there is any.",
        mail_on_failure=True,
    ),
    Job(
        "5 0 * * *",
        ("vetting sweep",),
        "Daily, 00:05: the vetting gate. Partners whose agreement, insurance or background check expired\n"
        "yesterday stop showing listings to students today; their staff and the specialists are told.",
        lock="vetting",
    ),
    Job(
        "30 6 * * *",
        ("pools expire", "pools remind", "pools prune-requests"),
        "Daily, 06:30: lapse expired seats (the waitlist moves up), then remind holders of seats about to expire\n"
        "(families who asked on the site get their licence page's renewal link), then delete licence requests\n"
        "past their keeping time (docs/data-inventory.md).",
    ),
    Job(
        "0 7 * * *",
        ("requests escalate",),
        "Daily, 07:00: flag to specialists teachers' requests unanswered for REQUEST_ESCALATION_DAYS (7).",
    ),
    Job(
        "15 7 * * *",
        ("requests confirmations",),
        "Daily, 07:15: ask both sides of past visits whether they happened (again each day until both answer).",
    ),
    Job(
        "45 7 * * *",
        ("saved remind --days 3",),
        "Daily, 07:45: remind people of saved listings whose deadline is exactly 3 days away. Once a day\n"
        "exactly: a second run the same day sends the same reminders again, a missed day skips them.",
    ),
    Job(
        "55 7 * * *",
        ("events remind --days 2",),
        "Daily, 07:55: remind everyone with a place at a community event in the next 2 days (once per place).",
        lock="events",
    ),
    Job(
        "50 7 * * *",
        ("newsletters prune",),
        "Daily, 07:50: forget who got which newsletter, NEWSLETTER_DELIVERY_KEEP_DAYS (30) after sending.",
    ),
    Job(
        "30 3 * * *",
        ("privacy sweep",),
        "Daily, 03:30: delete or anonymise what passed its retention in the data inventory\n"
        "(cpspartners/privacy/inventory.py; docs/privacy.md), and saved copies after PRIVACY_EXPORT_KEEP_DAYS.",
        lock="privacy",
    ),
)


def jobs_for(writer: str) -> list[Job]:
    """The jobs that run with this ``SEARCH_WRITER`` ("inline" or "follower")."""
    return [job for job in SCHEDULE if job.writer in ("", writer)]


def crontab(jobs: Iterable[Job], folder: str, flask: str, mailto: str = "") -> str:
    """The crontab for these jobs, run in ``folder`` with the ``flask`` executable (relative to
    ``folder`` when it is inside it)."""
    lines = [f"MAILTO={mailto}"] if mailto else []
    for job in jobs:
        run = [f"{flask} {command}" for command in job.commands]
        body = " && ".join(run)
        if job.lock:
            lock = f"flock -n /run/lock/cpspartners-{job.lock}"
            body = f"{lock} {body}" if len(run) == 1 else f"{lock} sh -c {shlex.quote(body)}"
        elif len(run) > 1:
            body = f"({body})"
        if job.mail_on_failure:
            line = f'out=$({body} 2>&1) || echo "$out"'
        else:
            line = f"{body} 2>&1 | logger -t {LOG_TAG}"
        lines += [f"# {why}" for why in job.why.splitlines()]
        lines.append(f"{job.cron:<13} cd {folder} && {line}")
    return "\n".join(lines) + "\n"


def next_run(job: Job, after: datetime) -> datetime:
    """When ``job`` runs next after ``after`` (naive local times, as cron)."""
    return croniter(job.cron, after).get_next(datetime)


class Scheduler:
    """Starts each job when it is due, unless its last run is still going.

    ``start(job)`` starts a run and returns something with ``is_alive()`` (a thread);
    ``clock()`` is the local time, naive, as cron reads it.
    """

    def __init__(
        self,
        jobs: Iterable[Job],
        start: Callable[[Job], threading.Thread],
        clock: Callable[[], datetime] = datetime.now,
        echo: Callable[[str], object] = print,
    ) -> None:
        self.jobs = list(jobs)
        self.start = start
        self.clock = clock
        self.echo = echo
        now = clock()
        self.due = {job: next_run(job, now) for job in self.jobs}
        self.running: dict[Job, threading.Thread] = {}

    def tick(self) -> float:
        """Start every job that is due; the seconds until the next one is."""
        now = self.clock()
        for job in self.jobs:
            if self.due[job] > now:
                continue
            self.due[job] = next_run(job, now)
            last = self.running.get(job)
            if last is not None and last.is_alive():
                self.echo(f"skipped {job.name}: its last run is still going")
                continue
            self.running[job] = self.start(job)
        soonest = min(self.due.values(), default=None)
        # .timestamp() reads a naive time as local, so a change to or from summer time counts.
        return 60.0 if soonest is None else max(0.0, soonest.timestamp() - now.timestamp())


class Runner:
    """Runs a job's commands as ``python -m flask ...`` processes, in this process's folder and
    environment (so the same app and settings), one after another while each exits 0."""

    def __init__(self, echo: Callable[[str], object] = print) -> None:
        self.echo = echo
        self.lock = threading.Lock()
        self.children: set[subprocess.Popen[bytes]] = set()

    def start(self, job: Job) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(job,), name=job.name, daemon=True)
        thread.start()
        return thread

    def _run(self, job: Job) -> None:
        for command in job.commands:
            self.echo(f"running flask {command}")
            child = subprocess.Popen([sys.executable, "-m", "flask", *shlex.split(command)])
            with self.lock:
                self.children.add(child)
            try:
                status = child.wait()
            finally:
                with self.lock:
                    self.children.discard(child)
            if status != 0:
                self.echo(f"flask {command} failed with status {status}")
                return
            self.echo(f"flask {command} done")

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the commands still running to stop (SIGTERM), and wait for them."""
        with self.lock:
            children = list(self.children)
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()


def run(jobs: list[Job], echo: Callable[[str], object] = print) -> None:
    """Run the schedule until SIGTERM or SIGINT, then stop the commands still running."""
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner = Runner(echo)
    scheduler = Scheduler(jobs, runner.start, echo=echo)
    for job in jobs:
        echo(f"{job.cron:<13} flask {' && flask '.join(job.commands)}  (next {scheduler.due[job]:%Y-%m-%d %H:%M})")
    echo(f"scheduler started, pid {os.getpid()}: {len(jobs)} jobs, local time {time.strftime('%Y-%m-%d %H:%M %Z')}")
    while not stopping.is_set():
        # At most a minute asleep, so a clock set forwards or backwards is noticed within one.
        stopping.wait(min(scheduler.tick(), 60.0))
    echo("scheduler stopping")
    runner.stop()
