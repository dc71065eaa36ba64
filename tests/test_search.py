"""Search: the index follows the database (outbox), queries, facets, sorts, pages and odd input."""

import multiprocessing
import os
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import CommunityArea, IndexOutbox, Opportunity, School
from cpspartners.search import outbox
from cpspartners.search.storage import open_writer
from tests.conftest import config_for


def keys():
    return outbox.indexed_keys()


def search(client, marks=False, **args):
    """The /search page's HTML; highlight marks removed unless ``marks``."""
    response = client.get("/search", query_string=args)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return html if marks else html.replace("<mark>", "").replace("</mark>", "")


# ------------------------------------------------------------------ sync


def test_new_published_opportunity_is_indexed_after_commit(make_opportunity):
    opp = make_opportunity(title="Welding basics")
    assert f"o:{opp.id}" in keys()
    assert f"p:{opp.partner_id}" in keys()
    assert db.session.scalar(select(IndexOutbox).where(IndexOutbox.applied_at.is_(None))) is None


def test_update_changes_what_is_found(client, make_opportunity):
    opp = make_opportunity(title="Welding basics")
    opp.title = "Robotics club"
    db.session.commit()
    assert "Robotics club" in search(client, q="robotics")
    assert "No opportunities match" in search(client, q="welding")


def test_update_seen_by_a_reader_already_open(client, make_opportunity):
    """The reader was open before the edit: the listing's old version must not stay live."""
    make_opportunity(title="Welding basics")
    opp = make_opportunity(title="Welding advanced")
    assert "Welding advanced" in search(client, q="welding")
    opp.title = "Robotics club"
    db.session.commit()
    assert "Robotics club" in search(client, q="robotics")
    html = search(client, q="welding")
    assert "Welding basics" in html and "Robotics club" not in html


def test_delete_removes_from_index(make_opportunity):
    opp = make_opportunity()
    key = f"o:{opp.id}"
    db.session.delete(opp)
    db.session.commit()
    assert key not in keys()


def test_rollback_leaves_index_and_outbox_alone(make_partner):
    partner = make_partner()
    before = keys()
    db.session.add(
        Opportunity(title="Never saved", slug="never-saved", kind="workshop", partner=partner, status="published")
    )
    db.session.flush()
    assert "cpspartners_search_pending" in db.session.info
    db.session.rollback()
    assert "cpspartners_search_pending" not in db.session.info
    assert keys() == before
    assert db.session.scalar(select(IndexOutbox).where(IndexOutbox.object_id == -1)) is None
    assert not db.session.scalars(select(IndexOutbox).where(IndexOutbox.applied_at.is_(None))).all()


def test_unpublishing_removes_and_republishing_restores(make_opportunity):
    opp = make_opportunity()
    opp.status = "archived"
    db.session.commit()
    assert f"o:{opp.id}" not in keys()
    opp.status = "published"
    db.session.commit()
    assert f"o:{opp.id}" in keys()


def test_partner_going_inactive_hides_its_opportunities(make_partner, make_opportunity):
    partner = make_partner()
    opps = [make_opportunity(partner=partner) for _ in range(2)]
    partner.status = "inactive"
    db.session.commit()
    assert not {f"o:{o.id}" for o in opps} & keys()
    assert f"p:{partner.id}" not in keys()


def test_partner_rename_reindexes_its_opportunities(client, make_partner, make_opportunity):
    partner = make_partner(name="Acme Foundry")
    make_opportunity(partner=partner, title="Metal workshop")
    partner.name = "Zephyr Metalworks"
    db.session.commit()
    assert "Metal workshop" in search(client, q="zephyr")
    assert "No opportunities match" in search(client, q="acme foundry")


def test_changing_tags_and_clusters_reindexes(client, make_opportunity):
    opp = make_opportunity(title="Saturday lab", tags=["coding"], clusters=["060100"])
    opp.tags = ["beekeeping"]
    opp.clusters = ["050100"]
    db.session.commit()
    assert "Saturday lab" in search(client, q="beekeeping")
    assert "Saturday lab" in search(client, q="agriculture")
    assert "Saturday lab" in search(client, q="agricultura")


def test_index_failure_after_commit_is_repaired_by_next_apply(app, client, make_partner, monkeypatch, caplog):
    partner = make_partner()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(outbox, "open_writer", broken)
    opp = Opportunity(
        title="Carpentry crew", slug="carpentry-crew", kind="workshop", partner=partner, status="published"
    )
    db.session.add(opp)
    db.session.commit()  # must not raise: the data is saved
    assert db.session.get(Opportunity, opp.id) is not None
    assert "outbox rows left for repair" in caplog.text
    row = db.session.scalars(
        select(IndexOutbox).where(IndexOutbox.object_id == opp.id, IndexOutbox.kind == "opportunity")
    ).one()
    assert row.applied_at is None and row.attempts == 1 and "disk full" in row.last_error
    assert f"o:{opp.id}" not in keys()
    monkeypatch.undo()
    assert outbox.apply_outbox() >= 1
    assert f"o:{opp.id}" in keys()
    assert "Carpentry crew" in search(client, q="carpentry")


def _writer_process(url, index_dir, prefix, count):
    app = create_app(config_for(url, SEARCH_INDEX_DIR=index_dir))
    with app.app_context():
        from cpspartners.models import Partner

        partner = db.session.scalars(select(Partner).where(Partner.slug == "two-process")).one()
        for n in range(count):
            db.session.add(
                Opportunity(
                    title=f"{prefix} {n}",
                    slug=f"{prefix}-{n}",
                    kind="workshop",
                    partner_id=partner.id,
                    status="published",
                )
            )
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_two_processes_writing_together_lose_no_update(app, make_partner):
    make_partner(slug="two-process")
    index_dir = app.config["SEARCH_INDEX_DIR"]
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer_process, args=(url, index_dir, prefix, 15)) for prefix in ("ant", "bee")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    ids = db.session.scalars(
        select(Opportunity.id).where(Opportunity.slug.like("ant-%") | Opportunity.slug.like("bee-%"))
    ).all()
    assert len(ids) == 30
    assert {f"o:{i}" for i in ids} <= keys()
    assert outbox.check()["missing"] == []


# ------------------------------------------------------------------ commands


def test_rebuild_swaps_in_a_complete_index_and_check_passes(app, make_opportunity):
    opps = [make_opportunity() for _ in range(3)]
    runner = app.test_cli_runner()
    before = os.path.realpath(os.path.join(app.config["SEARCH_INDEX_DIR"], "current"))
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 opportunities" in result.output
    after = os.path.realpath(os.path.join(app.config["SEARCH_INDEX_DIR"], "current"))
    assert after != before and not os.path.exists(before)
    assert {f"o:{o.id}" for o in opps} <= keys()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "matches the database" in result.output


def test_check_reports_drift_and_exits_non_zero(app, make_opportunity):
    kept, lost = make_opportunity(), make_opportunity()
    writer = open_writer(os.path.realpath(os.path.join(app.config["SEARCH_INDEX_DIR"], "current")))
    writer.delete_by_term("key", f"o:{lost.id}")
    writer.add_document(key="o:999999", type="opportunity", title="Ghost")
    writer.commit()
    # rows owed but never applied, as after a crash between commit and apply
    db.session.add(IndexOutbox(kind="opportunity", object_id=kept.id, action="upsert"))
    db.session.add(IndexOutbox(kind="partner", object_id=kept.partner_id, action="upsert"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code != 0
    assert f"in the database but not the index: o:{lost.id}" in result.output
    assert "in the index but not the database: o:999999" in result.output
    assert "unapplied outbox row" in result.output
    applied = app.test_cli_runner().invoke(args=["search", "apply"])
    assert applied.exit_code == 0 and "2 outbox rows applied" in applied.output
    assert outbox.check()["unapplied"] == []


def test_seed_commands_leave_the_index_right(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "demo", "--scale", "60", "--today", "2026-11-01"])
    assert result.exit_code == 0, result.output
    report = outbox.check()
    assert report["missing"] == [] and report["extra"] == []
    assert len([k for k in keys() if k.startswith("o:")]) > 40


# ------------------------------------------------------------------ the page


def test_title_outranks_summary_and_description(client, make_opportunity):
    make_opportunity(title="Guest speakers", summary="Talks.", description="Volcano science for all.")
    make_opportunity(title="Volcano lab", summary="Hands on.")
    make_opportunity(title="Earth talks", summary="All about each volcano.")
    html = search(client, q="volcano")
    assert html.index("Volcano lab") < html.index("Earth talks") < html.index("Guest speakers")


def test_accents_case_and_spanish_words(client, make_opportunity):
    make_opportunity(title="Tech night", title_es="Noche de tecnología", summary_es="Robótica para jóvenes.")
    assert "Tech night" in search(client, q="tecnologia")
    assert "Tech night" in search(client, q="ROBOTICA")
    assert "Tech night" in search(client, q="robóticas")  # Spanish stemming


def test_english_stemming_and_school_and_area_names(client, make_opportunity, curie):
    area = db.session.get(CommunityArea, 57)
    make_opportunity(title="Welding class", tags=["metal"], schools=[curie], community_area_number=area.number)
    assert "Welding class" in search(client, q="welded")
    assert "Welding class" in search(client, q="curie")
    assert "Welding class" in search(client, q=area.name.lower())


def test_spanish_page_shows_spanish_title_and_labels(es_client, make_opportunity):
    make_opportunity(title="Robotics club", title_es="Club de robótica")
    html = es_client.get("/search", query_string={"q": "robotica"}).get_data(as_text=True)
    assert 'lang="es"' in html and "Club de <mark>robótica</mark>" in html
    assert "Buscar" in html


def test_highlight_escapes_stored_html(client, make_opportunity):
    make_opportunity(title="<script>alert(1)</script> welding", summary="<b>welding</b> & more")
    html = search(client, marks=True, q="welding")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>welding</mark>" in html
    assert "&lt;b&gt;<mark>welding</mark>&lt;/b&gt; &amp; more" in html


def test_facets_count_and_combine_with_text(client, make_opportunity):
    make_opportunity(title="Paid coding internship", kind="internship", paid=True, clusters=["060100"], tags=[])
    make_opportunity(title="Coding workshop", kind="workshop", clusters=["060100"], modality="virtual", tags=[])
    make_opportunity(title="Cooking workshop", kind="workshop", clusters=["020200"], tags=[])
    html = search(client, q="coding")
    assert "2 opportunities" in html
    assert 'Internship <span class="count">(1)</span>' in html
    assert 'Workshop <span class="count">(1)</span>' in html
    html = search(client, q="coding", kind="workshop")
    assert "1 opportunity for" in html and "Coding workshop" in html and "Paid coding" not in html
    # the other kind stays offered with its count (disjunctive facets)
    assert 'Internship <span class="count">(1)</span>' in html
    html = search(client, kind=["workshop", "internship"], paid="1")
    assert "1 opportunity" in html and "Paid coding internship" in html


def test_open_deadline_grade_band_language_and_modality_facets(client, make_opportunity):
    make_opportunity(title="Closed one", deadline=date.today() - timedelta(days=1), grade_min=9, grade_max=12)
    make_opportunity(
        title="Open one",
        deadline=date.today() + timedelta(days=3),
        grade_min=6,
        grade_max=8,
        languages="en,es",
        modality="virtual",
    )
    html = search(client, open="1")
    assert "Open one" in html and "Closed one" not in html
    assert "Closed one" in search(client, band="high") and "Open one" not in search(client, band="high")
    assert "Open one" in search(client, lang="es") and "Closed one" not in search(client, lang="es")
    assert "Open one" in search(client, modality="virtual") and "Closed one" not in search(client, modality="virtual")


def test_sorts_by_deadline_and_newest(client, make_opportunity):
    make_opportunity(title="Later", deadline=date.today() + timedelta(days=40))
    make_opportunity(title="Sooner", deadline=date.today() + timedelta(days=2))
    html = search(client, sort="deadline")
    assert html.index("Sooner") < html.index("Later")
    html = search(client, sort="newest")
    assert html.index("Sooner") < html.index("Later")  # made last, so newest


def test_nearest_school_sort_uses_real_coordinates(client, make_opportunity, curie):
    far = db.session.scalars(select(School).where(School.long_name.like("%Senn%"))).first()
    make_opportunity(title="Far away lab", latitude=far.latitude, longitude=far.longitude)
    make_opportunity(title="Close by lab", latitude=curie.latitude + 0.001, longitude=curie.longitude)
    make_opportunity(title="Online lab", modality="virtual")
    html = search(client, q="lab", sort="nearest", school=str(curie.id))
    assert html.index("Close by lab") < html.index("Far away lab") < html.index("Online lab")
    assert "0.1 miles away" in html
    html = search(client, q="lab", sort="nearest", school="99999999")
    assert "not one we know" in html


def test_did_you_mean_offers_a_corrected_search(client, make_opportunity):
    make_opportunity(title="Welding workshop", tags=["welding"])
    html = search(client, q="weldng")
    assert "Did you mean" in html and 'href="/search?q=welding"' in html


def test_pagination(client, make_partner, make_opportunity):
    partner = make_partner()
    for n in range(23):
        make_opportunity(title=f"Drone class {n}", partner=partner)
    html = search(client, q="drone")
    assert "23 opportunities" in html and "Page 1 of 2" in html and "page=2" in html
    html = search(client, q="drone", page="2")
    assert html.count('class="card"') == 3
    assert "Page 2 of 2" in search(client, q="drone", page="9999")


def test_empty_query_browses_everything_and_partners_are_searchable(client, make_partner, make_opportunity):
    partner = make_partner(name="Lakeview Makers Guild")
    make_opportunity(partner=partner, title="First")
    make_opportunity(title="Second")
    html = search(client)
    assert "2 opportunities" in html
    html = search(client, q="makers guild")
    assert "Lakeview Makers Guild" in html and f"/partners/{partner.slug}" in html


def test_hidden_items_never_show(client, make_partner, make_opportunity):
    make_opportunity(title="Draft welding", status="draft")
    make_opportunity(title="Inactive welding", partner=make_partner(status="inactive"))
    html = search(client, q="welding")
    assert "Draft welding" not in html and "Inactive welding" not in html


def test_stale_index_hit_for_deleted_row_vanishes(client, app, make_opportunity):
    opp = make_opportunity(title="Vanishing act")
    db.session.execute(Opportunity.__table__.delete().where(Opportunity.id == opp.id))  # bypasses events
    db.session.commit()
    assert "Vanishing act" not in search(client, q="vanishing")


def test_suggest_endpoint_completes_the_last_word(client, make_opportunity):
    make_opportunity(title="Robotics club", tags=["robotics"])
    data = client.get("/search/suggest", query_string={"q": "paid robo"}).get_json()
    assert "paid robotics" in data["suggestions"]
    assert client.get("/search/suggest").get_json() == {"suggestions": []}
    assert client.get("/search/suggest", query_string={"q": "<b>ro"}).get_json()["suggestions"] == []


def test_header_search_box_on_every_page(client):
    html = client.get("/partners").get_data(as_text=True)
    assert 'role="search"' in html and 'for="site-q"' in html and 'action="/search"' in html
    assert "js/search-suggest.js" in html and "<script>" not in html


# ------------------------------------------------------------------ odd queries

ODD = [
    '"unbalanced quote',
    "(unbalanced paren",
    "welding)",
    "AND OR NOT",
    "NOT",
    "title:",
    "*",
    "?",
    "a" * 10_000,
    "welding " * 2000,
    "🤖 robots 🚀",
    "'; DROP TABLE opportunity; --",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00nul\x1bescape",
    "\u202eRTL override",
    "مرحبا",
    "title:welding",
    "a:b:c",
    "^3",
    "welding~2",
    "[a TO z]",
    "((((((((((",
    "))))",
    '""',
    "-",
    "+",
    "welding AND",
    "OR welding",
]


@pytest.mark.parametrize("text", ODD)
def test_odd_queries_never_fail_and_echo_nothing_unescaped(client, make_opportunity, text):
    make_opportunity(title="Welding workshop")
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    suggest = client.get("/search/suggest", query_string={"q": text})
    assert suggest.status_code == 200 and isinstance(suggest.get_json()["suggestions"], list)


def test_unknown_and_repeated_params_give_notes(client, make_opportunity):
    make_opportunity(title="Welding workshop")
    html = search(
        client,
        q=["welding", "cooking"],
        kind=["spaceship", "workshop"],
        area="99",
        sort="sideways",
        page="-3",
        open=["1", "0"],
    )
    assert "Welding workshop" in html
    assert "Only the first value given for" in html
    assert "Some kind choices were ignored" in html and "Some area choices were ignored" in html
    assert "sort order is not one we know" in html and "page number was not valid" in html


def test_long_query_is_cut_with_a_note(client, make_opportunity):
    make_opportunity(title="Welding workshop")
    html = search(client, q="welding " + "x" * 10_000)
    assert "only its first 200 characters" in html
    heading = html[html.index('id="results-title"') :]
    assert "x" * 190 not in heading[:400]


def test_a_broken_index_gives_a_friendly_page_not_a_500(client, app, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("index gone")

    monkeypatch.setattr(app.extensions["cpspartners_search"], "search", broken)
    response = client.get("/search", query_string={"q": "welding"})
    assert response.status_code == 503
    assert "Search is not working right now" in response.get_data(as_text=True)
