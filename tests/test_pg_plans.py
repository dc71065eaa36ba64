"""The queries behind the list, home, partner, school and area pages, as PostgreSQL plans them
after a bulk load: none reads the whole listings table for a page of 20 rows.

The demo is seeded with ``seed_demo``, which refreshes the statistics itself when it finishes
(``models.statistics.analyze``): without that, straight after a bulk load the planner believes
the tables empty and picks plans that took 18 s at 100,000 listings. The planner's defaults are
left as they are (``enable_seqscan`` on): the test reads the plan PostgreSQL would choose.
"""

import json
from datetime import date

import pytest
from sqlalchemy import select, text

from cpspartners.directory import listing
from cpspartners.directory.filters import Filters
from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, School, opportunity_school, queries
from cpspartners.seed.demo import seed_demo
from tests.conftest import PG_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: the plans checked are PostgreSQL's"),
]

ROWS = 4000


def plan_of(stmt):
    """The plan PostgreSQL chooses for ``stmt``, as JSON."""
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    return db.session.execute(text("EXPLAIN (FORMAT JSON) " + str(compiled))).scalar()


def scans(node, found=None):
    """(node type, relation) of every node of a plan."""
    found = [] if found is None else found
    found.append((node.get("Node Type"), node.get("Relation Name")))
    for child in node.get("Plans", ()):
        scans(child, found)
    return found


def seq_scans_of_opportunity(stmt):
    plan = plan_of(stmt)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return [s for s in scans(plan[0]["Plan"]) if s == ("Seq Scan", "opportunity")]


@pytest.fixture
def loaded(app):
    seed_demo(opportunities=ROWS, seed=11, today=date.today())
    busy = db.session.scalar(
        select(Opportunity.partner_id).group_by(Opportunity.partner_id).order_by(db.func.count().desc()).limit(1)
    )
    school = db.session.scalar(
        select(opportunity_school.c.school_id)
        .group_by(opportunity_school.c.school_id)
        .order_by(db.func.count().desc())
        .limit(1)
    )
    return {"partner": db.session.get(Partner, busy), "school": db.session.get(School, school)}


def page(stmt, size=20, offset=0):
    return stmt.limit(size).offset(offset)


def test_statistics_were_refreshed_by_the_seed(loaded):
    rows = db.session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'opportunity'")).scalar()
    assert rows > ROWS / 2  # the planner knows the table's size, not the empty table it started as


def test_page_queries_do_not_read_the_whole_listings_table(loaded):
    today = date.today()
    partner, school = loaded["partner"], loaded["school"]
    some_ids = list(db.session.scalars(select(Opportunity.id).order_by(Opportunity.id).limit(20)))
    checked = {
        # The list page from the index, and the home page's kept ids: 20 rows loaded by id.
        "rows by id": queries.public_opportunities().where(Opportunity.id.in_(some_ids)),
        "partner page": page(
            queries.open_first(queries.public_opportunities().where(Opportunity.partner_id == partner.id), today)
        ),
        "list page, by school (database path)": page(queries.filtered_opportunities(Filters(school=school.id), today)),
        "school page, offered there": page(
            queries.open_first(
                queries.public_opportunities()
                .join(opportunity_school)
                .where(opportunity_school.c.school_id == school.id),
                today,
            ),
            50,
        ),
        "area page": page(queries.filtered_opportunities(Filters(area=31), today)),
    }
    found = {name: seq_scans_of_opportunity(stmt) for name, stmt in checked.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert listing.INDEX_FACETS  # the list page without a grade or school is the index's


def test_the_listings_near_a_school_are_read_through_the_location_index(loaded):
    """The school page's "nearby" reads the listings in a box around the school: through
    ``ix_opportunity_latitude_longitude``, not by the whole table or all that are published."""
    school = loaded["school"]
    stmt = queries.public_in_box(school.latitude, school.longitude, 2.0, school.id).with_only_columns(
        Opportunity.id, Opportunity.latitude, Opportunity.longitude
    )
    plan = plan_of(stmt)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    indexes = set()

    def walk(node):
        if node.get("Relation Name") == "opportunity" or node.get("Node Type") == "Bitmap Index Scan":
            indexes.add(node.get("Index Name") or node.get("Node Type"))
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan[0]["Plan"])
    assert "ix_opportunity_latitude_longitude" in indexes, plan
