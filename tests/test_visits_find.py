""" "Find a speaker or partner": topic words through the search index (stemming, accents, both
languages, every word required), the database still deciding, the LIKE fallback when the index
cannot answer, and odd input."""

import logging
import os
import shutil

import pytest
from sqlalchemy import func, select, update

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner
from cpspartners.search.storage import create_generation, current_path, swap_in
from cpspartners.visits import finder
from tests.conftest import sign_in_as


@pytest.fixture(autouse=True)
def approved(people):
    people["teacher"].is_approved = True
    db.session.commit()


@pytest.fixture
def listings(people, make_opportunity, curie):
    """Four classroom listings around Curie (the garden one virtual) and an internship, which
    the finder never shows. Partners: "Pilsen Robotics", "Austin Builders", "Test Partner N"."""

    def at(miles_north):
        return {"latitude": curie.latitude + miles_north / 69.0, "longitude": curie.longitude}

    return {
        "bridges": make_opportunity(
            partner=people["other_partner"],
            title="Bridge engineers visit",
            kind="guest_speaker",
            summary="Civil engineering for middle grades.",
            tags=["bridges"],
            clusters=["010200"],
            grade_min=6,
            grade_max=8,
            **at(1),
        ),
        "robots": make_opportunity(
            partner=people["partner"],
            title="Coding club workshop",
            kind="workshop",
            title_es="Taller de robótica",
            summary="Build and program a small machine.",
            summary_es="Construimos puentes y máquinas.",
            tags=["drones"],
            **at(2),
        ),
        "nurses": make_opportunity(
            title="Nurses talk to your class",
            kind="guest_speaker",
            clusters=["040200"],
            summary="Careers in health care.",
            description="We bring a stethoscope.",
            **at(3),
        ),
        "garden": make_opportunity(
            title="Community garden challenge",
            kind="team_challenge",
            modality="virtual",
            summary="Gardening and food.",
            clusters=["050100"],
        ),
        "internship": make_opportunity(
            partner=people["partner"],
            title="Robotics internship",
            kind="internship",
            summary="Engineering for bridges and robots, with a stethoscope.",
        ),
    }


def found(words, curie, page=1, per_page=20, **criteria):
    return finder.search(finder.Criteria(words=finder.words_of(words), **criteria), curie, page, per_page)


def titles(words, curie, **criteria):
    return [opp.title for opp, _miles, _virtual in found(words, curie, **criteria).results]


def like_titles(words, curie):
    result = finder.search(finder.Criteria(words=finder.words_of(words)), curie, 1, 20, use_index=False)
    return [opp.title for opp, _miles, _virtual in result.results]


def find_page(app, people, q):
    response = sign_in_as(app.test_client(), people["teacher"]).get("/visits/find", query_string={"q": q})
    return response.status_code, response.get_data(as_text=True)


def test_words_are_stemmed_and_accents_folded_in_both_languages(listings, curie):
    assert titles("engineer", curie) == ["Bridge engineers visit"]  # never the internship
    assert titles("visits", curie) == ["Bridge engineers visit"]
    assert like_titles("visits", curie) == []  # "visits" is no substring of "visit"
    assert titles("robotica", curie) == ["Coding club workshop"]  # its Spanish title, typed without the accent
    assert titles("Robótica", curie) == ["Coding club workshop"]
    assert like_titles("robotica", curie) == []
    assert titles("puente", curie) == ["Coding club workshop"]  # the Spanish summary, in the singular
    assert titles("drone", curie) == ["Coding club workshop"]  # a tag
    assert titles("stethoscope", curie) == ["Nurses talk to your class"]  # the description, which LIKE never read
    assert titles("nursing careers", curie) == ["Nurses talk to your class"]


def test_every_word_is_required(listings, curie):
    assert titles("bridge engineers", curie) == ["Bridge engineers visit"]
    assert titles("bridge nurses", curie) == []
    assert titles("pilsen workshop", curie) == ["Coding club workshop"]  # the partner's name, as before
    assert titles("pilsen nurses", curie) == []
    assert titles("the bridge of engineers", curie) == ["Bridge engineers visit"]  # stop words narrow nothing


def test_substrings_are_no_longer_words(listings, curie):
    assert like_titles("ridge", curie) == ["Bridge engineers visit"]
    assert titles("ridge", curie) == []


def test_other_criteria_order_and_paging_stay_with_the_database(listings, curie):
    # Guest speakers first, then nearest in person, then virtual; the internship (a tag
    # "coding" too) never.
    assert titles("coding", curie) == [
        "Nurses talk to your class",
        "Coding club workshop",
        "Community garden challenge",
    ]
    first, second = found("coding", curie, 1, 2), found("coding", curie, 2, 2)
    assert (first.total, first.pages, len(first.results)) == (3, 2, 2)
    assert [opp.title for opp, _m, _v in second.results] == ["Community garden challenge"] and second.page == 2
    assert second.results[0][2] is True and first.results[1][1] == 2.0
    assert titles("engineers", curie, grade=7) == ["Bridge engineers visit"]
    assert titles("engineers", curie, grade=10) == []
    assert titles("engineers", curie, cluster="010200") == ["Bridge engineers visit"]
    assert titles("engineers", curie, cluster="060100") == []
    assert titles("coding", curie, subject="health") == ["Nurses talk to your class"]
    assert titles("coding", curie, subject="computer_science", grade=12) == ["Coding club workshop"]


def test_the_database_decides_what_is_shown(listings, curie):
    """Rows changed without the outbox leave the index stale: its ids are only candidates."""
    db.session.execute(update(Opportunity).where(Opportunity.id == listings["nurses"].id).values(status="draft"))
    db.session.execute(update(Opportunity).where(Opportunity.id == listings["bridges"].id).values(kind="internship"))
    db.session.commit()
    assert titles("stethoscope", curie) == []
    assert titles("engineers", curie) == []
    assert titles("coding", curie) == ["Coding club workshop", "Community garden challenge"]


def test_the_index_follows_edits(listings, make_opportunity, people, curie):
    assert titles("engineers", curie) == ["Bridge engineers visit"]
    solar = make_opportunity(
        partner=people["partner"],
        title="Solar engineers visit",
        kind="guest_speaker",
        latitude=curie.latitude + 0.1,
        longitude=curie.longitude,
    )
    assert titles("engineers", curie) == ["Bridge engineers visit", "Solar engineers visit"]
    solar.title = "Solar panel installers"
    db.session.commit()
    assert titles("engineers", curie) == ["Bridge engineers visit"]
    assert titles("installer", curie) == ["Solar panel installers"]


@pytest.mark.parametrize("q", ["the and of", "🤖🤖", "%% ++ ¿¿ —— ##", "de la y los"])
def test_only_stop_words_or_symbols_narrow_nothing_and_say_so(app, people, listings, curie, q):
    result = found(q, curie)
    assert result.words_ignored and result.total == 4
    status, html = find_page(app, people, q)
    assert status == 200 and "4 results" in html and "cannot be searched for" in html


def test_emoji_among_words_are_ignored(app, people, listings, curie):
    assert titles("🤖 engineers 🤖🤖", curie) == ["Bridge engineers visit"]
    assert not found("🤖 engineers 🤖🤖", curie).words_ignored
    status, html = find_page(app, people, "🤖 engineers 🌉")
    assert status == 200 and "1 result" in html and "cannot be searched for" not in html


def test_ten_thousand_characters(app, people, listings, curie):
    status, html = find_page(app, people, "engineers " * 1000)
    assert status == 200 and "Bridge engineers visit" in html and "1 result" in html
    status, html = find_page(app, people, "x" * 10_000)
    assert status == 200 and "0 results" in html
    assert finder.words_of("ñ" * 10_000) == ("n" * 40,)
    assert len(finder.words_of(" ".join(["word%d" % n for n in range(2000)]))) == finder.MAX_WORDS
    assert titles("é" * 10_000, curie) == []


@pytest.mark.parametrize(
    "q, shown, ignored",
    [
        ("'; DROP TABLE opportunity; --", 0, False),  # "drop", "table", "opportunity": no listing has all three
        ("1); DELETE FROM partner; --", 0, False),
        ("robot' OR '1'='1", 1, False),  # "robot" (Pilsen Robotics); "or" and "1" are too short or common
        ('engineers" OR ""="', 1, False),
        ("%' OR 1=1 --", 4, True),
        ("\\%_%", 4, True),
    ],
)
def test_sql_fragments_are_only_words(app, people, listings, q, shown, ignored):
    partners = db.session.scalar(select(func.count()).select_from(Partner))
    status, html = find_page(app, people, q)
    assert status == 200 and ("%d result" % shown) in html and ("cannot be searched for" in html) == ignored
    assert db.session.scalar(select(func.count()).select_from(Opportunity)) == 5
    assert db.session.scalar(select(func.count()).select_from(Partner)) == partners


def test_missing_index_falls_back_to_like_and_logs(app, people, listings, curie, caplog):
    app.extensions["cpspartners_search"].close()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    with caplog.at_level(logging.WARNING):
        assert titles("ridge", curie) == ["Bridge engineers visit"]  # a substring: LIKE answered
        status, html = find_page(app, people, "engineers")
    assert status == 200 and "Bridge engineers visit" in html
    assert "matched topic words with LIKE" in caplog.text and "no search index" in caplog.text
    assert not os.path.exists(current_path(app.config["SEARCH_INDEX_DIR"]))  # no empty index made to answer


def test_broken_index_falls_back_to_like_and_logs(app, people, listings, curie, caplog):
    """The live generation's files are gone (a half-copied or cleaned-up folder)."""
    app.extensions["cpspartners_search"].close()
    live = os.path.realpath(current_path(app.config["SEARCH_INDEX_DIR"]))
    for name in os.listdir(live):
        os.unlink(os.path.join(live, name))
    with caplog.at_level(logging.WARNING):
        assert titles("ridge", curie) == ["Bridge engineers visit"]
        status, html = find_page(app, people, "engineers")
    assert status == 200 and "Bridge engineers visit" in html
    assert "matched topic words with LIKE" in caplog.text and "EmptyIndexError" in caplog.text


def test_index_failing_while_read_falls_back_to_like(app, listings, curie, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OSError("Input/output error")

    monkeypatch.setattr(app.extensions["cpspartners_search"], "opportunity_ids", broken)
    with caplog.at_level(logging.WARNING):
        assert titles("ridge", curie) == ["Bridge engineers visit"]
    assert "OSError: Input/output error" in caplog.text


def test_empty_index_falls_back_to_like(app, listings, curie, caplog):
    """An index never built (the reader makes an empty one) must not pass for "nothing matches"."""
    root = app.config["SEARCH_INDEX_DIR"]
    swap_in(root, create_generation(root))
    with caplog.at_level(logging.WARNING):
        assert titles("engineers", curie) == ["Bridge engineers visit"]
    assert "holds no opportunities" in caplog.text


def test_the_finder_filters_by_kind(listings, curie):
    assert titles("coding", curie, kind="guest_speaker") == ["Nurses talk to your class"]
    assert titles("coding", curie, kind="workshop") == ["Coding club workshop"]
