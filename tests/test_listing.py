"""The list page and home answered from the search index agree with the database's answer."""

import re
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index

from cpspartners import search
from cpspartners.directory import listing
from cpspartners.directory.filters import Filters
from cpspartners.extensions import db
from cpspartners.models import IndexOutbox, Opportunity, queries
from cpspartners.search import outbox, storage
from cpspartners.search.params import SearchParams
from cpspartners.search.schema import FILTER_FIELDS, make_schema

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
        assert slugs_on(client, path) == [opp.slug for opp in expected], path


def test_a_listing_saved_again_keeps_its_place_among_the_same_deadline(client, make_opportunity):
    """Saving a listing moves its document to the end of the index; the list still orders the
    listings of one day by id, as the database does."""
    first, second = make_mixed(make_opportunity, 31)[1::2][:2]  # both due in 2 days
    assert first.deadline == second.deadline
    first.title = "Saved again"
    db.session.commit()
    expected = list(db.session.scalars(queries.filtered_opportunities(Filters(), date.today())))
    assert slugs_on(client, "/opportunities") == [opp.slug for opp in expected]


def test_the_index_never_shows_what_the_database_hides(client, make_opportunity):
    shown, hidden = make_opportunity(title="Stays"), make_opportunity(title="Archived behind the index's back")
    # A Core UPDATE skips the session events that keep the index: the index still lists it.
    db.session.execute(update(Opportunity).where(Opportunity.id == hidden.id).values(status="archived"))
    db.session.commit()
    assert slugs_on(client, "/opportunities") == [shown.slug]


def test_grade_and_school_filters_are_answered_by_the_index(client, make_opportunity, curie):
    young = make_opportunity(grade_min=6, grade_max=8)
    at_curie = make_opportunity(grade_min=9, grade_max=12, schools=[curie])
    make_opportunity(grade_min=9, grade_max=12)  # citywide: not in a school's filter, as in SQL
    assert listing.index_can_answer(Filters(grade=7)) and listing.index_can_answer(Filters(school=curie.id))
    assert slugs_on(client, "/opportunities?grade=7") == [young.slug]
    assert slugs_on(client, "/opportunities?grade=8") == [young.slug]
    assert slugs_on(client, f"/opportunities?school={curie.id}") == [at_curie.slug]
    assert slugs_on(client, f"/opportunities?school={curie.id}&grade=8") == []


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


def swap_in_an_index_without(*fields):
    """The live index rebuilt as a generation made before ``fields`` existed: its schema lacks them,
    and its documents are written as the outbox writes to such an index (``outbox.fitting``)."""
    root = outbox.index_root()
    generation = storage.create_generation(root)
    schema = make_schema()
    for name in fields:
        schema.remove(name)
    index = whoosh_index.create_in(generation, schema)
    writer = index.writer()
    with Session(db.engine) as session:
        changes = {("opportunity", opp_id) for opp_id in outbox.public_opportunity_ids(session)}
        outbox.write_changes(writer, session, changes, outbox.labels())
    writer.commit()
    storage.swap_in(root, generation)


def test_an_index_built_before_the_grade_and_school_fields_leaves_them_to_sql(client, make_opportunity, curie):
    young = make_opportunity(grade_min=6, grade_max=8, kind="internship")
    at_curie = make_opportunity(grade_min=9, grade_max=12, schools=[curie])
    swap_in_an_index_without(*FILTER_FIELDS)
    assert not search.reader().has_fields("grade") and not search.reader().has_fields("school")
    assert not listing.index_can_answer(Filters(grade=7))
    assert not listing.index_can_answer(Filters(school=curie.id, kind="internship"))
    assert listing.index_can_answer(Filters(kind="internship"))  # what the old index holds, it answers
    assert slugs_on(client, "/opportunities?grade=7") == [young.slug]
    assert slugs_on(client, f"/opportunities?school={curie.id}") == [at_curie.slug]
    # Asked anyway (the index swapped between the check and the search), it fails rather than
    # answer "nothing matches", and the page goes to the database.
    assert search.run(SearchParams(filters={"grade": ["7"]}, sort="deadline"), today=date.today()).failed
    # Saving a listing still writes the old index (without the fields), and nothing is left unapplied.
    young.grade_max = 12
    db.session.commit()
    assert db.session.scalar(select(IndexOutbox).where(IndexOutbox.applied_at.is_(None))) is None
    assert not search.reader().has_fields("grade")
    assert slugs_on(client, "/opportunities?grade=10") == [young.slug, at_curie.slug]  # same deadline: by id
    # A rebuild gives the index the fields: the index answers again.
    outbox.rebuild()
    assert listing.index_can_answer(Filters(grade=7, school=curie.id))
    assert slugs_on(client, f"/opportunities?grade=10&school={curie.id}") == [at_curie.slug]


def test_warming_renders_a_page_of_each_kind_and_builds_the_coordinates(app, make_opportunity, monkeypatch):
    """``warm`` (a worker, before its first visitor) renders one page of each public kind, and the
    index's coordinates for a school's nearby are built then, not on a visitor's request."""
    opp = make_opportunity(title="Robotics lab", latitude=41.88, longitude=-87.63)
    asked = []
    real_open = app.test_client_class.open

    def noting(client, *args, **kwargs):
        asked.append(args[0] if args else kwargs.get("path"))
        return real_open(client, *args, **kwargs)

    monkeypatch.setattr(app.test_client_class, "open", noting)
    listing.warm(app)
    kinds = {path.split("?")[0].split("/")[1] for path in asked}
    assert {"", "opportunities", "partners", "schools", "areas", "search", "account"} <= kinds, asked
    assert f"/opportunities/{opp.slug}" in asked and f"/partners/{opp.partner.slug}" in asked
    _searcher, cache = search.reader().current()
    assert {":lat", ":lon"} <= set(cache._order_arrays)


def test_warming_an_empty_directory_renders_what_there_is(app):
    listing.warm(app)  # no listing, partner: those pages are skipped, nothing fails
