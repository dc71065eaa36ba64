"""`flask seed schools` loads the real data; `flask seed demo` adds a deterministic directory."""

import csv
import os

from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import CommunityArea, Opportunity, OpportunityCluster, Partner, School, VettingRecord
from cpspartners.seed.demo import seed_demo
from tests.conftest import DATA_DIR


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_schools_loads_real_data_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "schools"])
    assert first.exit_code == 0, first.output
    assert "652 schools" in first.output
    totals = (count(School), count(CommunityArea), count(Opportunity), count(Partner))
    again = runner.invoke(args=["seed", "schools"])
    assert again.exit_code == 0
    assert (count(School), count(CommunityArea), count(Opportunity), count(Partner)) == totals
    assert totals[:2] == (652, 77)
    assert db.session.scalar(select(func.sum(School.student_count))) == 325_370


def test_real_cte_programmes_become_opportunities_at_their_schools(app):
    app.test_cli_runner().invoke(args=["seed", "schools"])
    with open(os.path.join(DATA_DIR, "cps_school_programs_2024.csv"), newline="") as handle:
        cte = [row for row in csv.DictReader(handle) if row["is_cte"] == "true"]
    pairs = {(int(row["school_id"]), row["cte_pathway"]) for row in cte}
    opps = db.session.scalars(select(Opportunity).where(Opportunity.external_id.like("cps-cte-%"))).all()
    assert len(opps) == len(pairs)
    carpentry = next(o for o in opps if "Carpentry" in o.title)
    assert carpentry.kind == "skilled_trades"
    assert carpentry.clusters == ["010200"]  # Construction, through the crosswalk
    assert carpentry.schools and carpentry.schools[0].id == 609674  # Chicago Vocational
    assert all(o.status == "published" for o in opps)


def test_community_areas_carry_hardship_figures(app):
    area = db.session.get(CommunityArea, 54)  # Riverdale
    assert area.name == "Riverdale"
    assert area.hardship_index == 98


def test_demo_is_deterministic_and_idempotent(app):
    first = seed_demo(opportunities=120, seed=7)
    assert first == {"partners": 300, "opportunities": 120}
    titles = db.session.scalars(select(Opportunity.title).order_by(Opportunity.external_id)).all()
    assert seed_demo(opportunities=120, seed=7) == {"partners": 0, "opportunities": 0}
    assert count(Opportunity) == 120
    assert db.session.scalars(select(Opportunity.title).order_by(Opportunity.external_id)).all() == titles


def test_demo_covers_every_kind_some_spanish_and_real_schools(app):
    from cpspartners.seed.demo import DEMO_KINDS
    from cpspartners.taxonomy import OPPORTUNITY_KINDS

    seed_demo(opportunities=240, seed=3)
    kinds = set(db.session.scalars(select(Opportunity.kind).distinct()))
    assert kinds == {code for code, _ in DEMO_KINDS}
    # The adult kinds come from the real family programmes (``flask seed programmes``), not the demo.
    assert {code for code, _ in OPPORTUNITY_KINDS} - kinds == {"digital_literacy", "adult_upskilling"}
    assert db.session.scalar(select(func.count()).where(Opportunity.title_es != "")) > 20
    assert db.session.scalar(select(func.count()).select_from(OpportunityCluster)) >= 240
    assert count(VettingRecord) > 300
    placed = db.session.scalars(select(Opportunity).where(Opportunity.schools.any())).all()
    assert placed and all(s.id for o in placed for s in o.schools)


def test_demo_scale_adds_only_the_difference(app):
    seed_demo(opportunities=50, seed=1)
    assert seed_demo(opportunities=80, seed=1)["opportunities"] == 30
    assert count(Opportunity) == 80


def test_demo_command_reports_progress_and_counts(app):
    result = app.test_cli_runner().invoke(args=["seed", "demo", "--scale", "40", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "40 new opportunities" in result.output


def test_demo_command_rejects_bad_scale(app):
    for bad in ("0", "100001", "lots"):
        result = app.test_cli_runner().invoke(args=["seed", "demo", "--scale", bad])
        assert result.exit_code == 2
        assert count(Opportunity) == 0


def test_demo_needs_schools_first(app):
    """With no schools it says what to do; the deletion below is rolled back afterwards."""
    import pytest

    db.session.execute(School.__table__.delete())
    with pytest.raises(LookupError, match="seed schools"):
        seed_demo(opportunities=10)
    db.session.rollback()
    assert count(School) == 652
    assert count(Opportunity) == 0


def test_demo_seed_leaves_the_index_to_one_rebuild_and_the_rebuild_shows_it(app):
    """The seed writes no outbox rows (its caller rebuilds once); after the rebuild the index
    holds exactly the public listings, and a later edit is indexed by the usual events again."""
    from cpspartners.models import IndexOutbox
    from cpspartners.search.outbox import check, rebuild

    seed_demo(opportunities=120, seed=7)
    assert count(IndexOutbox) == 0
    rebuild()
    drift = check()
    assert drift["missing"] == drift["extra"] == drift["unapplied"] == []
    assert count(Opportunity) > 100
    opp = db.session.scalars(select(Opportunity).where(Opportunity.external_id.like("demo-o-%"))).first()
    opp.summary = opp.summary + " edited"
    db.session.commit()
    assert count(IndexOutbox) == 1
