"""A school page's "nearby" from the search index's coordinates, checked by the database.

The index proposes the nearest listings offered at the school (``search.nearest_offered_ids``);
``queries.opportunities_near`` reads only those rows and applies the same rules as when it reads
the whole box. These tests hold the two answers equal on a seeded directory, and show that a
proposal the database would not show (no longer public, not offered there, too far) is dropped.
"""

import random
from datetime import date

import pytest
from sqlalchemy import select

from cpspartners import search
from cpspartners.directory import listing
from cpspartners.extensions import db
from cpspartners.models import Opportunity, School, queries
from cpspartners.search.outbox import rebuild
from cpspartners.seed.demo import seed_demo


@pytest.fixture
def seeded(app):
    seed_demo(opportunities=600, seed=7, today=date.today())
    rebuild()  # the demo's bulk inserts skip the session's events, as `flask seed demo` rebuilds
    return db.session.scalars(select(School).where(School.latitude.is_not(None)).order_by(School.id)).all()


def by_database(school, exclude, miles=2.0, limit=20):
    return queries.opportunities_near(
        school.latitude, school.longitude, miles, limit, exclude_ids=exclude, school_id=school.id
    )


def by_index(school, exclude, miles=2.0, limit=20):
    candidates = search.nearest_offered_ids(
        school.latitude, school.longitude, miles, school.id, 2 * limit, sorted(exclude)
    )
    assert candidates is not None  # the Whoosh index answers here
    return queries.opportunities_near(
        school.latitude,
        school.longitude,
        miles,
        limit,
        exclude_ids=exclude,
        school_id=school.id,
        candidates=candidates,
    )


def test_the_index_proposes_what_the_database_would_show(seeded):
    rng = random.Random(13)
    compared = 0
    for school in rng.sample(seeded, 40):
        offered = {opp.id for opp in queries.opportunities_at_school(school.id)}
        for miles, limit in ((2.0, 20), (5.0, 5), (0.5, 20)):
            expected = [(opp.id, round(d, 9)) for opp, d in by_database(school, offered, miles, limit)]
            got = [(opp.id, round(d, 9)) for opp, d in by_index(school, offered, miles, limit)]
            assert got == expected, (school.id, miles, limit)
            compared += len(expected)
    assert compared > 100  # schools with listings near them were compared, not only empty lists


def test_a_proposal_the_database_would_not_show_is_dropped(seeded, make_opportunity):
    school = seeded[0]
    near = {"latitude": school.latitude + 0.001, "longitude": school.longitude}
    shown = make_opportunity(title="Shown nearby", **near)
    draft = make_opportunity(title="Still a draft", status="draft", **near)
    others = [s for s in seeded if s.id != school.id][:2]
    elsewhere = make_opportunity(title="For other schools", schools=others, **near)
    far = make_opportunity(title="Far away", latitude=school.latitude + 1.0, longitude=school.longitude)
    got = queries.opportunities_near(
        school.latitude,
        school.longitude,
        school_id=school.id,
        candidates=[draft.id, elsewhere.id, far.id, shown.id],
    )
    assert [opp.id for opp, _miles in got] == [shown.id]


def test_a_listing_archived_after_indexing_leaves_the_school_page(seeded, client):
    school = seeded[1]
    # A public listing (published alone is not enough: its partner may be unvetted).
    opp = db.session.scalars(
        queries.public_opportunities().where(Opportunity.latitude.is_not(None)).order_by(Opportunity.id)
    ).first()
    # Demo titles repeat across listings: the page is searched for this one's own link.
    link = f'href="/opportunities/{opp.slug}"'
    # At the school itself, and the lowest public id: first among the nearest whatever else is near.
    opp.latitude, opp.longitude = school.latitude, school.longitude
    opp.schools = []
    db.session.commit()
    listing.forget_kept()
    assert link in client.get(f"/schools/{school.id}").text
    # Archived by a bulk statement, which the index does not hear of: it still proposes the row.
    db.session.execute(Opportunity.__table__.update().where(Opportunity.id == opp.id).values(status="archived"))
    db.session.commit()
    assert opp.id in search.nearest_offered_ids(school.latitude, school.longitude, 2.0, school.id, 40)
    listing.forget_kept()
    assert link not in client.get(f"/schools/{school.id}").text


def test_without_the_whoosh_index_the_database_answers(seeded, app):
    school = seeded[2]
    app.config["SEARCH_BACKEND"] = "postgres"
    try:
        assert search.nearest_offered_ids(school.latitude, school.longitude, 2.0, school.id, 40) is None
    finally:
        app.config["SEARCH_BACKEND"] = "whoosh"


def test_a_school_page_shows_a_page_of_what_it_offers_and_links_to_the_rest(app, client, make_opportunity, curie):
    for n in range(listing.OFFERED_SHOWN + 3):
        make_opportunity(title=f"Offered here {n:02d}", schools=[curie])
    html = client.get(f"/schools/{curie.id}").text
    offered = html[html.index('id="at-school"') : html.index('id="near-school"')]
    assert offered.count("Offered here") == listing.OFFERED_SHOWN
    assert f'href="/opportunities?school={curie.id}"' in offered
    listed = client.get(f"/opportunities?school={curie.id}&page=2").text
    assert "Offered here" in listed  # the rest are on the list it links to


def test_a_school_page_with_few_offered_needs_no_link_to_the_rest(app, client, make_opportunity, curie):
    make_opportunity(title="Only one here", schools=[curie])
    html = client.get(f"/schools/{curie.id}").text
    offered = html[html.index('id="at-school"') : html.index('id="near-school"')]
    assert "Only one here" in offered and "/opportunities?school=" not in offered
