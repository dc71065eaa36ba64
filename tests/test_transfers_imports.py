"""Importing partners and opportunities: dry run, all-or-nothing commit, idempotent re-import."""

from datetime import date, timedelta

from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, VettingRecord
from cpspartners.services import imports

PARTNERS = (
    "\ufeffexternal_id,name,kind,mission,community_area,languages,status\r\n"
    'P-1,Pilsen Youth Radio,nonprofit,Radio for teens,31,"en,es",active\r\n'
    "P-2,Austin Builders Union,union,Apprenticeships,25,en,active\r\n"
).encode()

OPPORTUNITIES = (
    b"external_id,partner_external_id,kind,title,title_es,clusters,tags,grade_min,grade_max,school_ids,deadline,status\n"
    b'O-1,P-1,workshop,Radio workshop,Taller de radio,020100,"radio, music",9,12,609674,2027-01-15,published\n'
    b"O-2,P-2,skilled_trades,Carpentry pre-apprenticeship,,010200,carpentry,10,12,,,published\n"
)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def vet(*external_ids):
    """Give the partners current records, so their student listings may be published."""
    today = date.today()
    for external_id in external_ids:
        partner = db.session.scalar(select(Partner).where(Partner.external_id == external_id))
        for kind in ("agreement", "insurance", "background_check"):
            partner.vetting_records.append(
                VettingRecord(kind=kind, issued_on=today - timedelta(days=30), expires_on=today + timedelta(days=300))
            )
    db.session.commit()


def commit(what, raw):
    run = imports.import_file(what, raw)
    assert run.state == "done", run.error
    return run.summary


def test_dry_run_writes_nothing_and_says_what_would_happen(app):
    planned = imports.plan("partners", PARTNERS)
    assert [(r.external_id, r.action) for r in planned.rows] == [("P-1", "create"), ("P-2", "create")]
    assert count(Partner) == 0


def test_commit_then_reimport_changes_nothing(app):
    assert commit("partners", PARTNERS)["create"] == 2
    vet("P-1", "P-2")
    assert commit("opportunities", OPPORTUNITIES)["create"] == 2
    radio = db.session.scalar(select(Opportunity).where(Opportunity.external_id == "O-1"))
    assert radio.partner.name == "Pilsen Youth Radio"
    assert radio.clusters == ["020100"] and radio.tags == ["music", "radio"]
    assert [s.id for s in radio.schools] == [609674]
    again_p = imports.plan("partners", PARTNERS)
    again_o = imports.plan("opportunities", OPPORTUNITIES)
    assert {r.action for r in again_p.rows} == {"unchanged"}
    assert {r.action for r in again_o.rows} == {"unchanged"}


def test_update_shows_old_and_new_values(app):
    commit("partners", PARTNERS)
    changed = PARTNERS.replace(b"Radio for teens", b"Radio by teens")
    planned = imports.plan("partners", changed)
    first = planned.rows[0]
    assert first.action == "update"
    assert first.changes == {"mission": ("Radio for teens", "Radio by teens")}
    assert commit("partners", changed)["update"] == 1
    assert db.session.scalar(select(Partner.mission).where(Partner.external_id == "P-1")) == "Radio by teens"


def test_one_bad_row_means_nothing_is_written(app):
    commit("partners", PARTNERS)
    vet("P-1", "P-2")
    bad = (
        OPPORTUNITIES
        + b"O-3,P-404,workshop,Orphan,,,,,,,,\nO-4,P-1,workshop,Backwards,,,,12,9,,,\nO-5,P-1,workshop,No school,,,,,,1,,\n"
    )
    planned = imports.plan("opportunities", bad)
    reasons = {r.external_id: r.reasons for r in planned.rows if r.action == "reject"}
    assert "no partner with that id" in reasons["O-3"][0]
    assert "grade_min is above grade_max" in reasons["O-4"][0]
    assert "not a CPS school id" in reasons["O-5"][0]
    run = imports.import_file("opportunities", bad)
    assert run.state == "failed" and "Nothing was written" in run.error
    assert count(Opportunity) == 0


def test_cli_dry_run_and_commit(app, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_bytes(PARTNERS)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "run", "partners", str(path)])
    assert dry.exit_code == 0 and "2 to create" in dry.output and "Dry run" in dry.output
    assert count(Partner) == 0
    done = runner.invoke(args=["import", "run", "partners", str(path), "--commit"])
    assert done.exit_code == 0 and "2 created" in done.output
    assert count(Partner) == 2


def test_cli_import_partners_and_opportunities_commands(app, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_bytes(PARTNERS)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "partners", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Dry run" in dry.output and count(Partner) == 0
    done = runner.invoke(args=["import", "partners", str(path)])
    assert done.exit_code == 0 and "2 created" in done.output and count(Partner) == 2
    opps = tmp_path / "opps.csv"
    opps.write_bytes(OPPORTUNITIES.replace(b"published", b"draft"))
    done = runner.invoke(args=["import", "opportunities", str(opps)])
    assert done.exit_code == 0 and "2 created" in done.output and count(Opportunity) == 2


def test_cli_reports_bad_files_clearly(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"name,colour\nX,red\n")
    result = app.test_cli_runner().invoke(args=["import", "run", "partners", str(path), "--commit"])
    assert result.exit_code == 1
    assert "unknown columns: colour" in result.output
    assert count(Partner) == 0
