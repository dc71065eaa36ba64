"""``flask seed schools`` and ``flask seed demo``: the commands that fill the database."""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from .seed.demo import DEFAULT_OPPORTUNITIES, MAX_OPPORTUNITIES, partner_count_for, seed_demo
from .seed.schools import seed_schools

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
@click.option("--scale", type=click.IntRange(1, MAX_OPPORTUNITIES), default=DEFAULT_OPPORTUNITIES,
              show_default=True, help="How many demo opportunities to have in all.")
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


def rebuild_index_with_progress():
    """Rebuild the search index beside the live one, showing a progress bar, then swap it in."""
    from sqlalchemy.orm import Session

    from .extensions import db
    from .search.outbox import rebuild, work_to_do

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
    from .search.outbox import apply_outbox, prune_outbox

    applied = apply_outbox()
    pruned = prune_outbox()
    click.echo(f"{applied} outbox rows applied, {pruned} old applied rows pruned")


@search_cli.command("check")
def search_check_command():
    """List drift between database and index; exit with status 1 if there is any."""
    from .search.outbox import check

    report = check()
    for key in report["missing"]:
        click.echo(f"in the database but not the index: {key}")
    for key in report["extra"]:
        click.echo(f"in the index but not the database: {key}")
    for row in report["unapplied"]:
        click.echo(f"unapplied outbox row {row.id}: {row.kind} {row.object_id} "
                   f"(attempts {row.attempts}{', ' + row.last_error if row.last_error else ''})")
    drift = sum(len(report[name]) for name in ("missing", "extra", "unapplied"))
    if drift:
        raise click.ClickException(f"search index drift: {len(report['missing'])} missing, "
                                   f"{len(report['extra'])} extra, {len(report['unapplied'])} unapplied")
    click.echo("search index matches the database")
