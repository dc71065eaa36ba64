"""Passing a teacher's request to another partner: the specialist searches or picks a suggestion,
never a drop-down of every organization in the directory."""

from datetime import date, timedelta

import pytest

from cpspartners.extensions import db
from cpspartners.models import VisitRequest
from cpspartners.services import visit_requests
from cpspartners.visits import reassign
from tests.conftest import post, sign_in_as

TODAY = date.today()


@pytest.fixture
def setting(app, people, make_partner, make_opportunity, curie):
    """A request to Pilsen Robotics about a robotics listing, and partners near and far."""
    for person in people.values():
        if hasattr(person, "is_approved"):
            person.is_approved = True  # as after sign-up or a specialist's approval
    listing = make_opportunity(
        partner=people["partner"], title="Robot builders visit", kind="guest_speaker", clusters=["060100"]
    )
    near = make_partner(name="Near Coders", latitude=curie.latitude + 0.01, longitude=curie.longitude)
    far = make_partner(name="Far Coders", latitude=curie.latitude + 0.3, longitude=curie.longitude)
    nowhere = make_partner(name="Placeless Coders")
    other_cluster = make_partner(name="Near Bakers", latitude=curie.latitude, longitude=curie.longitude)
    no_classroom = make_partner(name="Near Interns", latitude=curie.latitude, longitude=curie.longitude)
    for partner in (near, far, nowhere):
        make_opportunity(partner=partner, kind="workshop", clusters=["060100"])
    make_opportunity(partner=other_cluster, kind="workshop", clusters=["020100"])
    make_opportunity(partner=no_classroom, kind="internship", clusters=["060100"])
    req = visit_requests.create(
        people["teacher"], people["partner"], "Robots", 9, 25, [TODAY + timedelta(days=9)], opportunity=listing
    )
    return {"req": req, "near": near, "far": far, "nowhere": nowhere}


def names(partners):
    return [partner.name for partner in partners]


def test_suggestions_share_a_cluster_and_come_nearest_first(setting):
    assert names(reassign.suggested(setting["req"])) == ["Near Coders", "Far Coders", "Placeless Coders"]
    assert names(reassign.suggested(setting["req"], limit=2)) == ["Near Coders", "Far Coders"]


def test_search_finds_partners_by_name_but_never_the_current_one(setting):
    assert sorted(names(reassign.candidates(setting["req"], "coders"))) == [
        "Far Coders",
        "Near Coders",
        "Placeless Coders",
    ]
    assert "Pilsen Robotics" not in names(reassign.candidates(setting["req"], "Pilsen Robotics"))
    assert reassign.candidates(setting["req"], "zzqqxx") == []


def test_search_falls_back_to_names_in_the_database_when_the_index_fails(setting, monkeypatch, caplog):
    from cpspartners import search

    def broken(*args, **kwargs):
        raise OSError("index gone")

    monkeypatch.setattr(search.reader(), "partners", broken)
    assert names(reassign.candidates(setting["req"], "near CODERS")) == ["Near Coders"]
    assert names(reassign.candidates(setting["req"], "100%_")) == []
    assert "Partner search failed" in caplog.text


def test_the_page_offers_suggestions_then_search_results(app, people, setting):
    specialist = sign_in_as(app.test_client(), people["specialist"])
    url = "/visits/%d" % setting["req"].id
    html = specialist.get(url).get_data(as_text=True)
    assert "Suggested: organizations with classroom listings" in html
    assert html.index("Near Coders") < html.index("Far Coders") and "Near Interns" not in html
    html = specialist.get(url + "?partner_q=placeless").get_data(as_text=True)
    assert "1 organization matches" in html and "Placeless Coders" in html and "Near Coders" not in html
    html = specialist.get(url + "?partner_q=zzqqxx").get_data(as_text=True)
    assert "No organization matches" in html and 'name="partner_id"' not in html
    specialist.set_cookie("lang", "es")  # the account's English wins over Accept-Language; a choice wins over both
    spanish = specialist.get(url + "?partner_q=zzqqxx").get_data(as_text=True)
    assert "Ninguna organización coincide" in spanish


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_000,
        "\x00\x01 coders",
        "🤖 coders",
        "' OR 1=1 --",
        "<b>coders</b>",
        "title:",
        '"unbalanced',
        "AND OR NOT",
        "*",
    ],
)
def test_odd_searches_answer_without_error_and_escape_what_they_echo(app, people, setting, query):
    specialist = sign_in_as(app.test_client(), people["specialist"])
    response = specialist.get("/visits/%d" % setting["req"].id, query_string={"partner_q": query})
    assert response.status_code == 200
    assert "<b>coders</b>" not in response.get_data(as_text=True)


def test_reassigning_to_a_searched_partner(app, people, setting):
    specialist = sign_in_as(app.test_client(), people["specialist"])
    req = setting["req"]
    bad = post(specialist, "/visits/%d/reassign?partner_q=placeless" % req.id, {"partner_id": "0"})
    assert bad.status_code == 400 and "Choose an organization." in bad.get_data(as_text=True)
    assert "Placeless Coders" in bad.get_data(as_text=True)
    post(specialist, "/visits/%d/reassign" % req.id, {"partner_id": str(setting["far"].id)})
    assert db.session.get(VisitRequest, req.id).partner_id == setting["far"].id


def test_only_specialists_see_the_search(app, people, setting):
    teacher = sign_in_as(app.test_client(), people["teacher"])
    html = teacher.get("/visits/%d?partner_q=coders" % setting["req"].id).get_data(as_text=True)
    assert "Pass to another partner" not in html and "Far Coders" not in html
