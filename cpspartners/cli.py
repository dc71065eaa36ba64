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
