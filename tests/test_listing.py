"""The list page and home answered from the search index agree with the database's answer."""

import re
from datetime import date, timedelta

from sqlalchemy import update

from cpspartners.directory import listing
from cpspartners.directory.filters import Filters
from cpspartners.extensions import db
from cpspartners.models import Opportunity, queries

TITLE = re.compile(r'<h3 class="card-title"><a href="/opportunities/([^"]+)"')


def slugs_on(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return TITLE.findall(response.get_data(as_text=True))


def make_mixed(make_opportunity, area):
    today = date.today()
    deadlines = [today + timedelta(days=d) for d in (9, 2, 30, 2)] + [None, None] + [today - timedelta(days=3)]
    made = []
    for n, deadline in enumerate(deadlines):
        kind = "internship" if n % 2 else "workshop"
        made.append(make_opportunity(deadline=deadline, kind=kind, community_area_number=area))
    return made


def test_list_from_the_index_has_the_databases_order(client, make_opportunity):
    make_mixed(make_opportunity, 31)
    today = date.today()
    for filters, path in (
        (Filters(), "/opportunities"),
        (Filters(kind="internship"), "/opportunities?kind=internship"),
        (Filters(open_only=True, area=31), "/opportunities?open=1&area=31"),
    ):
        assert listing.index_can_answer(filters)
        expected = list(db.session.scalars(queries.filtered_opportunities(filters, today)))
        by_slug = {opp.slug: opp for opp in expected}
        shown = slugs_on(client, path)
        assert sorted(shown) == sorted(by_slug), path
        # The same order, except between listings with the same deadline (the index's own order).
        assert [by_slug[slug].deadline for slug in shown] == [opp.deadline for opp in expected], path


def test_the_index_never_shows_what_the_database_hides(client, make_opportunity):
    shown, hidden = make_opportunity(title="Stays"), make_opportunity(title="Archived behind the index's back")
    # A Core UPDATE skips the session events that keep the index: the index still lists it.
    db.session.execute(update(Opportunity).where(Opportunity.id == hidden.id).values(status="archived"))
    db.session.commit()
    assert slugs_on(client, "/opportunities") == [shown.slug]


def test_a_grade_filter_is_answered_by_the_database(client, make_opportunity):
    young = make_opportunity(grade_min=6, grade_max=8)
    make_opportunity(grade_min=9, grade_max=12)
    assert not listing.index_can_answer(Filters(grade=7))
    assert slugs_on(client, "/opportunities?grade=7") == [young.slug]


def test_home_and_area_counts_from_the_index_match_the_database(app, client, make_opportunity):
    make_mixed(make_opportunity, 31)
    today = date.today()
    counts, soon = listing.home_page(today)
    assert counts["opportunities"] == 7
    dated = queries.filtered_opportunities(Filters(open_only=True), today).where(Opportunity.deadline.is_not(None))
    assert [opp.deadline for opp in soon] == [opp.deadline for opp in db.session.scalars(dated.limit(6))]
    assert listing.area_counts(today) == queries.count_public_opportunities_by_area() == {31: 7}


def test_kept_facts_last_until_the_ttl(app, make_opportunity):
    make_opportunity()
    today = date.today()
    assert listing.home_page(today)[0]["opportunities"] == 1
    make_opportunity()
    assert listing.home_page(today)[0]["opportunities"] == 1  # kept
    app.config["HOME_CACHE_SECONDS"] = 0
    assert listing.home_page(today)[0]["opportunities"] == 2
