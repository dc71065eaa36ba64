"""Refreshing the query planner's statistics after a bulk write.

PostgreSQL plans from statistics that autovacuum refreshes in its own time; after 100,000 rows
were seeded the planner still believed the tables empty and chose a nested loop over every
partner (18 s a page, docs/benchmarks.md). On a server without autovacuum, or before it comes
round, nothing else would correct it. So every bulk write (``flask seed schools`` and ``demo``,
an import run, a rebuild of the search outbox) ends by calling ``analyze`` with the tables it
filled. SQLite gets the same (its ``ANALYZE`` writes ``sqlite_stat1``, which its planner reads).
"""

from sqlalchemy import text

from cpspartners.extensions import db

DIRECTORY_TABLES = (
    "partner",
    "partner_area",
    "vetting_record",
    "opportunity",
    "opportunity_cluster",
    "opportunity_tag",
    "opportunity_school",
)
SCHOOL_TABLES = ("community_area", "school")


def analyze(tables):
    """``ANALYZE`` each of ``tables`` (names from the models, never from input), after the
    caller's transaction committed: statistics of rows not yet committed would be wrong."""
    known = set(db.metadata.tables)
    names = [name for name in dict.fromkeys(tables) if name in known]
    if not names:
        return []
    with db.engine.connect() as conn:
        for name in names:
            conn.execute(text(f'ANALYZE "{name}"'))
        conn.commit()
    return names
