"""``flask seed schools|places|programmes|demo|users`` fill the database; ``flask users create-admin`` makes the first admin."""

import signal
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from cpspartners.seed.demo import DEFAULT_OPPORTUNITIES, MAX_OPPORTUNITIES, partner_count_for, seed_demo
from cpspartners.seed.places import seed_places
from cpspartners.seed.programmes import seed_programmes
from cpspartners.seed.schools import seed_schools
from cpspartners.seed.users import seed_users

seed_cli = AppGroup("seed", help="Load real Chicago data and the demo directory.")


@seed_cli.command("schools")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False), help="Folder with the CSV files.")
def seed_schools_command(data_dir):
    """Load CPS schools, community areas and real CTE programmes (safe to run again)."""
    counts = seed_schools(data_dir or current_app.config["DATA_DIR"])
    for what, count in counts.items():
        click.echo(f"{count:>6} {what}")
    # School and area names are in opportunity documents, and seeding bypasses session events.
    rebuild_index_with_progress()


@seed_cli.command("demo")
@click.option(
    "--scale",
    type=click.IntRange(1, MAX_OPPORTUNITIES),
    default=DEFAULT_OPPORTUNITIES,
    show_default=True,
    help="How many demo opportunities to have in all.",
)
@click.option("--seed", "seed_value", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date the demo is built around.")
def seed_demo_command(scale, seed_value, today):
    """Add a deterministic demo directory of partners and opportunities (safe to run again)."""
    total = partner_count_for(scale) + scale
    with click.progressbar(length=total, label="Seeding demo directory") as bar:
        try:
            counts = seed_demo(scale, seed_value, today.date() if today else date.today(), bar.update)
        except LookupError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"{counts['partners']:>6} new partners\n{counts['opportunities']:>6} new opportunities")
    # Bulk Core inserts skip session events, so the index is rebuilt from the database.
    rebuild_index_with_progress()


@seed_cli.command("places")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False), help="Folder with the CSV files.")
def seed_places_command(data_dir):
    """Load library branches, parks and Connect Chicago centres (after schools; safe to run again)."""
    try:
        counts = seed_places(data_dir or current_app.config["DATA_DIR"])
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    for what, count in counts.items():
        click.echo(f"{count:>6} {what}")


@seed_cli.command("programmes")
def seed_programmes_command():
    """Add Chicago Connected, Coursera and the Parent Universities with their family listings (safe to run again)."""
    for what, count in seed_programmes().items():
        click.echo(f"{count:>6} {what}")


@seed_cli.command("users")
def seed_users_command():
    """One demo account per role with public passwords (development only)."""
    app = current_app
    if not (app.debug or app.testing or app.config.get("DEMO_USERS")):
        raise click.ClickException(
            "Demo users have public passwords: run this only in development "
            "(FLASK_DEBUG=1 or CPSPARTNERS_DEMO_USERS=true)."
        )
    try:
        made = seed_users()
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Demo accounts (development only):")
    for email, role, password, created in made:
        click.echo(f"  {role:<14} {email:<40} password: {password}{'' if created else '  (already there)'}")


users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create-admin")
@click.option("--email", prompt=True, help="The admin's email address.")
@click.option("--name", default="", help="Display name.")
@click.password_option(help="At least 10 characters (asked for when not given).")
def create_admin_command(email, name, password):
    """Create an administrator account (the first one, or another)."""
    from cpspartners.services import ServiceError
    from cpspartners.services.accounts import create_staff

    if len(password) < 10:
        raise click.ClickException("The password needs at least 10 characters.")
    if "@" not in email or len(email) > 254:
        raise click.ClickException("That does not look like an email address.")
    try:
        user = create_staff(email, password, "admin", name=name)
    except ServiceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Admin account {user.email} created.")


import_cli = AppGroup(
    "import", help="Import partners or opportunities from a CSV file (Google Sheets export), or an HSDS directory."
)


def _import(what, raw, dry_run, show, filename=""):
    """The dry run with a progress bar, its report, then (unless ``dry_run``) the import."""
    from cpspartners.formats.spreadsheets import ImportFileError
    from cpspartners.services import imports

    lines = max(raw.count(b"\n"), 1)
    try:
        with click.progressbar(length=lines, label="Checking") as bar:
            planned = imports.plan(what, raw, progress=bar.update)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from error
    _echo_plan(planned, show)
    if not planned.ok:
        raise click.ClickException("Nothing was written: fix the rejected rows and run it again.")
    if dry_run:
        click.echo("Dry run: nothing written.")
        return
    # The import checks every row again, then writes them: two passes over the rows.
    with click.progressbar(length=2 * planned.total, label="Importing") as bar:
        run = imports.import_file(what, raw, filename=filename, progress=bar.update)
    if run.state != "done":
        raise click.ClickException("Import %d failed: %s" % (run.id, run.error))
    click.echo("Written: %(create)d created, %(update)d updated, %(unchanged)d unchanged." % run.summary)


@import_cli.command("partners")
@click.argument("path", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Only show what would happen; write nothing.")
@click.option("--show", type=int, default=20, show_default=True, help="How many rejected rows to list.")
def import_partners_command(path, dry_run, show):
    """Import partners from a CSV file (checked first; nothing is written if a row is rejected)."""
    _import("partners", path.read(), dry_run, show, path.name)


@import_cli.command("opportunities")
@click.argument("path", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Only show what would happen; write nothing.")
@click.option("--show", type=int, default=20, show_default=True, help="How many rejected rows to list.")
def import_opportunities_command(path, dry_run, show):
    """Import opportunities from a CSV file (checked first; nothing is written if a row is rejected)."""
    _import("opportunities", path.read(), dry_run, show, path.name)


@import_cli.command("run")
@click.argument("what", type=click.Choice(["partners", "opportunities"]))
@click.argument("path", type=click.File("rb"))
@click.option("--commit", is_flag=True, help="Write the changes. Without it, only show what would happen.")
@click.option("--show", type=int, default=20, show_default=True, help="How many rejected rows to list.")
def import_command(what, path, commit, show):
    """The older spelling: a dry run unless --commit (``flask import partners|opportunities`` writes unless --dry-run)."""
    _import(what, path.read(), not commit, show, path.name)


@import_cli.command("hsds")
@click.argument("path", type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Only show what would happen; write nothing.")
@click.option("--as", "actor_email", help="The partnership specialist the change requests come from.")
@click.option("--show", type=int, default=20, show_default=True, help="How many records to list.")
def import_hsds_command(path, dry_run, actor_email, show):
    """Bring in an HSDS 3.0 directory (a JSON package or a folder of CSV tables) as change requests for review."""
    from sqlalchemy import func, select

    from cpspartners.extensions import db
    from cpspartners.hsds import incoming
    from cpspartners.models import User
    from cpspartners.services import ServiceError, hsds_imports

    try:
        package = incoming.read(path)
    except (incoming.PackageError, OSError) as error:
        raise click.ClickException(str(error)) from error
    report = hsds_imports.plan(package)
    click.echo(hsds_imports.summary(report))
    listed = [row for row in report.rows if row.action != "unchanged"][:show]
    for row in listed:
        why = "; ".join(row.reasons or row.notes or sorted(row.changes))
        click.echo("  %s %s %s (%s): %s" % (row.action, row.entity, row.publisher_id, row.name, why))
    if not report.ok:
        raise click.ClickException("Nothing was written: fix the rejected records and run it again.")
    if dry_run:
        click.echo("Dry run: nothing written.")
        return
    if not actor_email:
        raise click.ClickException("Name the specialist the change requests come from: --as EMAIL.")
    actor = db.session.scalar(select(User).where(func.lower(User.email) == actor_email.strip().lower()))
    if actor is None:
        raise click.ClickException("No account with the email %s." % actor_email)
    try:
        done = hsds_imports.apply(actor, package)
    except ServiceError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Written for review: " + hsds_imports.summary(done))


def _echo_plan(planned, show):
    """What an import would do, and the first ``show`` rejected rows with their reasons."""
    click.echo(
        "%d to create, %d to update, %d unchanged, %d rejected"
        % (planned.count("create"), planned.count("update"), planned.count("unchanged"), planned.count("reject"))
    )
    for row in [r for r in planned.rows if r.action == "reject"][:show]:
        click.echo(
            "  line %d (%s): %s" % (row.number, row.external_id or "no id", "; ".join(str(r) for r in row.reasons))
        )


pools_cli = AppGroup("pools", help="Seat and licence pools: the daily sweep and usage reports.")


@pools_cli.command("expire")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if it were this date.")
def pools_expire_command(today):
    """Mark lapsed seats expired and give freed seats to the waitlist (for a daily cron)."""
    from cpspartners.services import pools

    lapsed, promoted = pools.expire(today.date() if today else None)
    click.echo("%d seats expired, %d people moved from the waitlist to a seat" % (len(lapsed), len(promoted)))


@pools_cli.command("prune-requests")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if it were this date.")
def pools_prune_requests_command(today):
    """Delete families' licence requests past their keeping time (docs/data-inventory.md; daily cron)."""
    from cpspartners.services import licences

    click.echo("%d licence requests deleted" % licences.prune(today.date() if today else None))


@pools_cli.command("report")
def pools_report_command():
    """Usage of every pool as CSV on standard output."""
    from sqlalchemy import select

    from cpspartners.extensions import db
    from cpspartners.formats.spreadsheets import to_csv
    from cpspartners.models import SeatPool
    from cpspartners.services import pools

    rows = []
    for pool in db.session.scalars(select(SeatPool).order_by(SeatPool.id)):
        use = pools.usage(pool)
        rows.append(
            [pool.id, pool.name, pool.total_seats, use.allocated, use.active, use.expired, use.released, use.waiting]
        )
    header = ["pool_id", "pool", "total_seats", "allocated", "active", "expired", "released", "waiting"]
    click.echo(to_csv(header, rows).lstrip("\ufeff"), nl=False)


saved_cli = AppGroup("saved", help="Saved opportunities: deadline reminders (for a daily cron).")


@saved_cli.command("remind")
@click.option(
    "--days",
    type=click.IntRange(1, 60),
    default=3,
    show_default=True,
    help="Remind when a saved listing's deadline is this many days away.",
)
@click.option("--base-url", default=None, help="Where links in emails point (default: the SITE_URL setting).")
def saved_remind_command(days, base_url):
    """Email each person whose saved listing closes in exactly DAYS days (once per listing)."""
    from cpspartners.mail import send_email
    from cpspartners.services.engagement import deadline_reminders

    sent = 0
    with current_app.test_request_context(base_url=base_url or current_app.config["SITE_URL"]):
        for user, opportunity in deadline_reminders(date.today(), days):
            send_email(user.email, "saved_reminder", user.preferred_language, user=user, opportunity=opportunity)
            sent += 1
    click.echo(f"{sent} reminders sent")


def rebuild_index_with_progress():
    """Rebuild the search index beside the live one, showing a progress bar, then swap it in."""
    from sqlalchemy.orm import Session

    from cpspartners.extensions import db
    from cpspartners.search.outbox import rebuild, work_to_do

    with Session(db.engine) as session:
        total = work_to_do(session)
    with click.progressbar(length=total, label="Building search index") as bar:
        counts = rebuild(progress=bar.update)
    click.echo(f"{counts['opportunities']:>6} opportunities and {counts['partners']} partners indexed")


search_cli = AppGroup("search", help="Build, repair and check the search index.")


@search_cli.command("rebuild")
def search_rebuild_command():
    """Rebuild the whole index from the database, in batches, and swap it in atomically."""
    rebuild_index_with_progress()


@search_cli.command("apply")
def search_apply_command():
    """Apply the index changes still owed (unapplied outbox rows) now."""
    from cpspartners.search.outbox import apply_outbox, prune_outbox

    applied = apply_outbox()
    pruned = prune_outbox()
    click.echo(f"{applied} outbox rows applied, {pruned} old applied rows pruned")


@search_cli.command("prune")
def search_prune_command():
    """Forget outbox rows applied more than 7 days ago (with SEARCH_WRITER=follower, for cron)."""
    from cpspartners.search.outbox import prune_outbox

    click.echo(f"{prune_outbox()} old applied rows pruned")


@search_cli.command("follow")
@click.option("--poll", type=float, default=None, help="Seconds between passes without a NOTIFY (SEARCH_FOLLOW_POLL).")
@click.option("--once", is_flag=True, help="Apply what is owed once and exit (rebuilding first if never followed).")
@click.option("--rebuild", is_flag=True, help="Start from zero: rebuild this machine's index, then follow.")
def search_follow_command(poll, once, rebuild):
    """Be this machine's only index writer: apply the outbox as it commits (SEARCH_WRITER=follower)."""
    from cpspartners.search import follower
    from cpspartners.search.sync import writer_mode

    if writer_mode() != "follower":
        click.echo('note: SEARCH_WRITER is not "follower": web workers also write this index', err=True)
    if rebuild or follower.read_state(current_app.config["SEARCH_INDEX_DIR"]) is None:
        counts = follower.start_from_zero()
        click.echo(f"rebuilt: {counts['opportunities']} opportunities and {counts['partners']} partners")
    if once:
        click.echo(f"{follower.apply_pass()} outbox rows applied")
        return
    click.echo("following the index outbox")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    follower.follow(poll=poll, echo=click.echo)


def _exit_on_sigterm(signum, frame):
    """SIGTERM (systemd, honcho) ends the follower as Ctrl-C would, without a traceback: an index
    write in hand is cancelled and the LISTEN connection closed. A write cut short is applied
    again on the next start, as after a kill (follower.py)."""
    raise SystemExit(0)


@search_cli.command("check")
def search_check_command():
    """List drift between database and index; exit with status 1 if there is any."""
    from cpspartners.search.outbox import check

    report = check()
    for key in report["missing"]:
        click.echo(f"in the database but not the index: {key}")
    for key in report["extra"]:
        click.echo(f"in the index but not the database: {key}")
    for row in report["unapplied"]:
        click.echo(
            f"unapplied outbox row {row.id}: {row.kind} {row.object_id} "
            f"(attempts {row.attempts}{', ' + row.last_error if row.last_error else ''})"
        )
    drift = sum(len(report[name]) for name in ("missing", "extra", "unapplied"))
    if drift:
        raise click.ClickException(
            f"search index drift: {len(report['missing'])} missing, "
            f"{len(report['extra'])} extra, {len(report['unapplied'])} unapplied"
        )
    click.echo("search index matches the database")


@pools_cli.command("remind")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if it were this date.")
def pools_remind_command(today):
    """Email the holders of seats about to expire, in their language, and mark them reminded."""
    from cpspartners.services import pool_reminders

    # Links in the reminders (a family's licence page) point at the site.
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        sent = pool_reminders.send_due(today.date() if today else None)
    click.echo("%d reminders sent" % sent)


newsletters_cli = AppGroup("newsletters", help="Send newsletters (outside any web request).")


def _sent_line(newsletter, sent):
    if newsletter.status == "sent":
        return "Newsletter %d sent to %d recipients." % (newsletter.id, sent)
    return "Newsletter %d: sent to %d of %d so far; the next run sends to the rest." % (
        newsletter.id,
        sent,
        newsletter.recipient_total,
    )


@newsletters_cli.command("send")
@click.argument("newsletter_id", type=int)
def newsletters_send_command(newsletter_id):
    """Send one newsletter now (a draft, or one the Send button marked), or carry on sending it."""
    from cpspartners.extensions import db
    from cpspartners.models import Newsletter
    from cpspartners.services import newsletter_delivery
    from cpspartners.services.newsletters import NewsletterError

    newsletter = db.session.get(Newsletter, newsletter_id)
    if newsletter is None:
        raise click.ClickException("There is no newsletter %d." % newsletter_id)
    try:
        sent = newsletter_delivery.send(newsletter)
    except NewsletterError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_sent_line(newsletter, sent))


@newsletters_cli.command("send-pending")
def newsletters_send_pending_command():
    """Send every newsletter the Send button marked, and finish interrupted ones (cron, every few minutes)."""
    from cpspartners.services import newsletter_delivery

    done = newsletter_delivery.send_pending()
    for newsletter, sent in done:
        click.echo(_sent_line(newsletter, sent))
    if not done:
        click.echo("No newsletter is waiting to be sent.")


@newsletters_cli.command("prune")
def newsletters_prune_command():
    """Delete who-got-it records of newsletters sent over NEWSLETTER_DELIVERY_KEEP_DAYS ago (cron, daily)."""
    from cpspartners.services import newsletter_delivery

    click.echo("%d delivery records deleted." % newsletter_delivery.prune_deliveries())


notifications_cli = AppGroup("notifications", help="Email people their new notifications.")


@notifications_cli.command("send")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=None,
    help="People per batch (default: NOTIFICATION_BATCH_SIZE).",
)
def send_notifications_command(batch_size):
    """Email every notification not yet emailed, one message per person, in their language."""
    from cpspartners.services.outbox import send_all

    sent = send_all(batch_size or current_app.config["NOTIFICATION_BATCH_SIZE"])
    click.echo(f"{sent} messages sent")


requests_cli = AppGroup("requests", help="Follow up teachers' requests (run from cron).")


@requests_cli.command("escalate")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=None,
    help="Days without an answer (default: REQUEST_ESCALATION_DAYS).",
)
def escalate_requests_command(days):
    """Flag requests nobody answered to the partnership specialists."""
    from cpspartners.services import visit_requests

    flagged = visit_requests.escalate(days or current_app.config["REQUEST_ESCALATION_DAYS"])
    click.echo(f"{len(flagged)} requests flagged")


@requests_cli.command("confirmations")
def ask_confirmations_command():
    """Ask both sides of past visits whether they happened."""
    from cpspartners.services import visit_requests

    due = visit_requests.ask_for_confirmation()
    click.echo(f"{len(due)} visits to confirm")


vetting_cli = AppGroup("vetting", help="The vetting gate: the daily sweep and the violators report.")


@vetting_cli.command("sweep")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if it were this date.")
def vetting_sweep_command(today):
    """Hide listings for students of partners whose records lapsed, and tell them (cron, daily)."""
    from cpspartners.services import vetting

    result = vetting.sweep(today.date() if today else None)
    click.echo(
        "%d partners checked, %d no longer vetted, %d vetted again"
        % (result.checked, len(result.lapsed or []), len(result.renewed or []))
    )


@vetting_cli.command("violators")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge as if it were this date.")
def vetting_violators_command(today):
    """List listings for students that students can see although the partner is not vetted
    (exit status 1 if any), then partners whose published listings for students the gate hides."""
    from cpspartners.services import vetting

    day = today.date() if today else None
    found = vetting.violators(day)
    for opp in found:
        reasons = ", ".join(str(gap) for gap in vetting.blockers(opp.partner, day))
        click.echo(f"VISIBLE TO STUDENTS: listing {opp.id} {opp.slug} of partner {opp.partner_id}: {reasons}")
    for partner, count, gaps in vetting.held_back(day):
        reasons = ", ".join(str(gap) for gap in gaps) or "flag not yet refreshed (run the sweep)"
        click.echo(f"hidden: {count} listings for students of partner {partner.id} {partner.name}: {reasons}")
    if found:
        raise click.ClickException(f"{len(found)} listings for students visible without a vetted partner")
    click.echo("no listing for students is visible without a vetted partner")


privacy_cli = AppGroup("privacy", help="Retention: delete or anonymise what passed its time (docs/privacy.md).")


@privacy_cli.command("sweep")
@click.option("--now", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if it were this date (UTC).")
def privacy_sweep_command(now):
    """Apply the data inventory's retention periods (cron, daily)."""
    from datetime import UTC

    from cpspartners.services import privacy

    done = privacy.sweep(now.replace(tzinfo=UTC) if now else None, folder=privacy.export_dir())
    for what, count in sorted(done.items()):
        if count:
            click.echo(f"{what}: {count}")
    click.echo("%d rows and files past their retention" % sum(done.values()))


events_cli = AppGroup("events", help="Community events: sign-up reminders (for a daily cron).")


@events_cli.command("remind")
@click.option("--days", type=click.IntRange(0, 14), default=2, show_default=True, help="Remind this many days ahead.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if it were this date.")
def events_remind_command(days, today):
    """Tell everyone with a place at an event in the next DAYS days, once each (safe to run
    again: a place reminded is marked). The notifications are emailed by `flask notifications send`."""
    from cpspartners.services import events

    count = events.send_reminders(today.date() if today else None, days)
    click.echo("%d event reminders queued" % count)


schedule_cli = AppGroup(
    "schedule", help="The cron jobs (cpspartners/schedule.py): run them, or write them as a crontab."
)


@schedule_cli.command("run")
def schedule_run_command():
    """Run the cron jobs on their schedule until stopped: the scheduler process of the Procfile."""
    from cpspartners import schedule
    from cpspartners.search.sync import writer_mode

    schedule.run(schedule.jobs_for(writer_mode()), echo=lambda line: click.echo(line))


@schedule_cli.command("crontab")
@click.option("--folder", help="The project folder the lines change to (default: this project's).")
@click.option("--mailto", default="", help="Where cron mails what a job prints (a MAILTO line).")
def schedule_crontab_command(folder, mailto):
    """Print the cron jobs as a crontab (`... | crontab -`), for SEARCH_WRITER's mode."""
    import os
    import sys

    from cpspartners import schedule
    from cpspartners.search.sync import writer_mode

    folder = os.path.abspath(folder or os.path.dirname(current_app.root_path))
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    if flask.startswith(folder + os.sep):
        flask = os.path.relpath(flask, folder)
    click.echo(schedule.crontab(schedule.jobs_for(writer_mode()), folder, flask, mailto), nl=False)


# Every command group, for create_app to register.
GROUPS = (
    seed_cli,
    search_cli,
    users_cli,
    import_cli,
    pools_cli,
    saved_cli,
    newsletters_cli,
    notifications_cli,
    requests_cli,
    vetting_cli,
    events_cli,
    privacy_cli,
    schedule_cli,
)
