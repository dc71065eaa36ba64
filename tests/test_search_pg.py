"""The PostgreSQL full-text backend (``SEARCH_BACKEND = "postgres"``, search/pg.py).

Parity: the search page's tests of tests/test_search.py, and the list page's of
tests/test_listing.py (with its property test comparing every filter with SQL), and the public
rule's stateful test (tests/test_public_rule.py: every service path, every reader), run here again,
unchanged, against PostgreSQL's search table instead of the Whoosh index (imported below:
pytest runs them in this module, under its fixture). Then what only this backend promises: documents change in the same
transaction as the listing, a rebuild leaves no drift, and the vocabulary's counts stay exact.
"""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from cpspartners.extensions import db
from cpspartners.models import IndexOutbox, Opportunity
from cpspartners.search import outbox, pg
from tests.conftest import skip_or_fail
from tests.test_listing import (  # noqa: F401  (the list page from the index: here, from the table)
    test_a_listing_saved_again_keeps_its_place_among_the_same_deadline,
    test_grade_and_school_filters_are_answered_by_the_index,
    test_home_and_area_counts_from_the_index_match_the_database,
    test_list_from_the_index_has_the_databases_order,
    test_the_index_never_shows_what_the_database_hides,
)
from tests.test_listing_property import (  # noqa: F401
    test_the_index_answers_every_list_filter_as_the_database_does,
)
from tests.test_public_rule import (  # noqa: F401  (the stateful promise test, every reader: here the table)
    test_every_reader_agrees_on_what_is_public_whatever_the_services_do,
)
from tests.test_search import (  # noqa: F401  (collected here, under the PostgreSQL backend)
    search,
    test_accents_case_and_spanish_words,
    test_did_you_mean_offers_a_corrected_search,
    test_empty_query_browses_everything_and_partners_are_searchable,
    test_english_stemming_and_school_and_area_names,
    test_facets_count_and_combine_with_text,
    test_hidden_items_never_show,
    test_highlight_escapes_stored_html,
    test_long_query_is_cut_with_a_note,
    test_nearest_school_sort_uses_real_coordinates,
    test_odd_queries_never_fail_and_echo_nothing_unescaped,
    test_open_deadline_grade_band_language_and_modality_facets,
    test_pagination,
    test_sorts_by_deadline_and_newest,
    test_spanish_page_shows_spanish_title_and_labels,
    test_stale_index_hit_for_deleted_row_vanishes,
    test_suggest_endpoint_completes_the_last_word,
    test_title_outranks_summary_and_description,
    test_unknown_and_repeated_params_give_notes,
    test_update_changes_what_is_found,
    test_update_seen_by_a_reader_already_open,
)

pytestmark = pytest.mark.postgres


_made = []


def _empty_search_tables():
    with db.engine.begin() as conn:
        if not _made:  # made afresh once per run: a test database may hold an older layout
            pg.uninstall(conn)
            _made.append(True)
        pg.install(conn)
        conn.execute(text(f"DELETE FROM {pg.TABLE}"))
        conn.execute(text(f"DELETE FROM {pg.VOCABULARY}"))
        pg.mark_built(conn)  # as after a rebuild of an empty directory


@pytest.fixture(autouse=True)
def postgres_backend(app):
    if db.engine.dialect.name != "postgresql":
        skip_or_fail("the PostgreSQL search backend needs PostgreSQL (set CPSPARTNERS_TEST_DATABASE_URL)")
    _empty_search_tables()
    app.config["SEARCH_BACKEND"] = "postgres"
    yield
    app.config["SEARCH_BACKEND"] = "whoosh"
    db.session.rollback()
    _empty_search_tables()


def documents():
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT key, spell FROM {pg.TABLE} WHERE key <> :b"), {"b": pg.BUILT_KEY}).all()
        return dict(rows)


def vocabulary():
    with db.engine.connect() as conn:
        return dict(conn.execute(text(f"SELECT word, frequency FROM {pg.VOCABULARY}")).all())


def test_documents_change_in_the_same_transaction_with_no_outbox(make_opportunity, make_partner):
    opp = make_opportunity(title="Welding basics")
    assert f"o:{opp.id}" in documents() and f"p:{opp.partner_id}" in documents()
    assert db.session.scalar(select(IndexOutbox)) is None  # nothing owed: it is already there
    partner = make_partner()
    db.session.add(
        Opportunity(title="Never saved", slug="never-saved-pg", kind="workshop", partner=partner, status="published")
    )
    db.session.flush()
    with db.engine.connect() as other:  # another connection does not see the uncommitted document
        assert other.execute(text(f"SELECT count(*) FROM {pg.TABLE} WHERE spell @> '{{never}}'")).scalar() == 0
    db.session.rollback()
    assert not [key for key, spell in documents().items() if "never" in spell]
    opp = db.session.get(Opportunity, opp.id)
    opp.status = "archived"
    db.session.commit()
    assert f"o:{opp.id}" not in documents()


def test_rebuild_refills_the_table_and_check_finds_no_drift(app, make_opportunity):
    make_opportunity(title="Robotics club")
    make_opportunity(title="Draft thing", status="draft")
    before, words = documents(), vocabulary()
    with db.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {pg.TABLE} WHERE type = 'partner'"))
    assert outbox.check()["missing"]
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert documents() == before and vocabulary() == words
    report = outbox.check()
    assert (report["missing"], report["extra"]) == ([], [])


def test_vocabulary_counts_follow_edits_and_deletes(make_opportunity, make_partner):
    partner = make_partner(name="Harbor Guild")
    first = make_opportunity(title="Welding basics", partner=partner)
    second = make_opportunity(title="Welding advanced", partner=partner)
    first.title = "Robotics basics"
    db.session.commit()
    db.session.delete(second)
    db.session.commit()
    expected = Counter(word for spell in documents().values() for word in spell)
    assert vocabulary() == dict(expected)
    assert "welding" not in vocabulary() and vocabulary()["robotics"] == 1


def test_list_page_is_answered_from_the_table(client, make_opportunity):
    make_opportunity(title="Sooner", deadline=date.today() + timedelta(days=2))
    make_opportunity(title="Later", deadline=date.today() + timedelta(days=40))
    make_opportunity(title="Closed", deadline=date.today() - timedelta(days=1))
    html = client.get("/opportunities").get_data(as_text=True)
    assert html.index("Sooner") < html.index("Later") < html.index("Closed")  # open first, then by deadline


def test_websearch_syntax_or_and_minus(client, make_opportunity):
    make_opportunity(title="Welding class")
    make_opportunity(title="Robotics class")
    make_opportunity(title="Cooking class")
    html = search(client, q="welding OR robotics")
    assert "Welding class" in html and "Robotics class" in html and "Cooking class" not in html
    html = search(client, q="class -cooking")
    assert "Cooking class" not in html and "Welding class" in html
    html = search(client, q='"robotics class"')
    assert "Robotics class" in html and "Welding class" not in html


def test_a_table_never_built_is_not_taken_for_an_empty_directory(client, make_opportunity):
    from cpspartners import search
    from cpspartners.directory import listing
    from cpspartners.directory.filters import Filters

    make_opportunity(title="Listed anyway")
    assert search.available()
    with db.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {pg.TABLE} WHERE key = :b"), {"b": pg.BUILT_KEY})
    assert not search.available() and not listing.index_can_answer(Filters())
    assert "Listed anyway" in client.get("/opportunities").get_data(as_text=True)  # the database answers
