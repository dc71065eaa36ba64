"""Every public page answers in English and Spanish; bad input never gives a 500."""

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import CommunityArea, Opportunity, School

PAGES = ["/", "/opportunities", "/partners", "/schools", "/areas", "/about"]


@pytest.fixture
def directory(app, make_partner, make_opportunity, curie):
    partner = make_partner(name="Pilsen Robotics Club", slug="pilsen-robotics-club", community_area_number=31)
    opp = make_opportunity(
        partner=partner,
        title="Robotics workshop",
        title_es="Taller de robótica",
        slug="robotics-workshop",
        summary="Build a robot.",
        summary_es="Construye un robot.",
        schools=[curie],
        kind="workshop",
        latitude=curie.latitude + 0.01,
        longitude=curie.longitude,
        community_area_number=31,
    )
    make_opportunity(partner=partner, title="Secret draft", slug="secret-draft", status="draft")
    return {"partner": partner, "opp": opp, "school": curie}


def detail_pages(directory):
    return [
        "/opportunities/robotics-workshop",
        "/partners/pilsen-robotics-club",
        f"/schools/{directory['school'].id}",
        "/areas/31",
    ]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_public_page_renders_in_both_languages(client, directory, lang):
    client.set_cookie("lang", lang)
    for url in PAGES + detail_pages(directory):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.text, url
        assert "<main" in response.text


def test_spanish_page_uses_spanish_text(es_client, directory):
    page = es_client.get("/opportunities/robotics-workshop").text
    assert "Taller de robótica" in page
    assert "Oportunidades" in page


def test_opportunity_detail_shows_the_facts(client, directory):
    page = client.get("/opportunities/robotics-workshop").text
    assert "Robotics workshop" in page
    assert "Pilsen Robotics Club" in page
    assert directory["school"].long_name in page
    assert "Digital Technology" in page


def test_drafts_and_inactive_partners_are_not_public(client, directory, make_partner, make_opportunity):
    assert client.get("/opportunities/secret-draft").status_code == 404
    hidden = make_partner(slug="hidden-partner", status="pending")
    assert client.get("/partners/hidden-partner").status_code == 404
    make_opportunity(partner=hidden, slug="of-hidden-partner")
    assert client.get("/opportunities/of-hidden-partner").status_code == 404
    assert "Secret draft" not in client.get("/opportunities").text


def test_school_page_lists_offered_and_nearby(client, directory, make_opportunity):
    school = directory["school"]
    make_opportunity(
        title="Nearby mural project", slug="nearby-mural", latitude=school.latitude + 0.005, longitude=school.longitude
    )
    make_opportunity(title="Far away farm", slug="far-farm", latitude=school.latitude + 0.5, longitude=school.longitude)
    page = client.get(f"/schools/{school.id}").text
    assert "Robotics workshop" in page
    assert "Nearby mural project" in page
    assert "miles away" in page
    assert "Far away farm" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/opportunities/no-such-thing",
        "/partners/nobody",
        "/schools/1",
        "/schools/abc",
        "/areas/78",
        "/areas/0",
        "/no/such/page",
        "/language/fr",
    ],
)
def test_unknown_things_get_the_friendly_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "could not find" in response.text


def test_404_in_spanish(es_client):
    assert "No encontramos" in es_client.get("/nope").text


def test_filters_narrow_the_list(client, directory, make_opportunity):
    make_opportunity(
        title="Virtual coding night",
        slug="virtual-coding",
        modality="virtual",
        kind="community_event",
        clusters=["060100"],
        grade_min=9,
        grade_max=12,
    )
    assert "Virtual coding night" in client.get("/opportunities?modality=virtual").text
    assert "Robotics workshop" not in client.get("/opportunities?modality=virtual").text
    assert "Virtual coding night" not in client.get("/opportunities?grade=7").text
    assert "Robotics workshop" in client.get(f"/opportunities?school={directory['school'].id}").text
    assert "Robotics workshop" in client.get("/opportunities?area=31&kind=workshop&cluster=060100").text


def test_open_filter_hides_passed_deadlines(client, directory, make_opportunity):
    from datetime import date, timedelta

    make_opportunity(title="Closed internship", slug="closed", deadline=date.today() - timedelta(days=1))
    assert "Closed internship" in client.get("/opportunities").text
    assert "Closed internship" not in client.get("/opportunities?open=1").text


@pytest.mark.parametrize(
    "query",
    [
        "grade=abc",
        "grade=99",
        "kind=pirate",
        "cluster=<script>alert(1)</script>",
        "area=-3",
        "school=x",
        "page=0",
        "page=-1",
        "page=999999999999999999999",
        "page=abc",
        "kind=workshop&kind=internship",
        "modality=%00",
        "open=maybe",
        "grade=" + "9" * 5000,
    ],
)
def test_malformed_filters_are_ignored_with_a_note(client, directory, query):
    response = client.get("/opportunities?" + query)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    if query not in ("open=maybe",):
        assert 'class="notice"' in response.text


def test_page_past_the_end_shows_the_last_page(app, client, directory, make_opportunity):
    app.config["PAGE_SIZE"] = 1
    response = client.get("/opportunities?page=500")
    assert response.status_code == 200
    assert "Page 1 of 1" in response.text or "opportunit" in response.text


def test_pagination_keeps_filters(app, client, directory, make_opportunity):
    app.config["PAGE_SIZE"] = 2
    for n in range(4):
        make_opportunity(title=f"Workshop {n}", slug=f"ws-{n}", kind="workshop")
    page = client.get("/opportunities?kind=workshop").text
    assert "kind=workshop&amp;page=2" in page or "page=2&amp;kind=workshop" in page


def test_partner_list_and_school_list_reject_bad_values_gracefully(client, directory):
    assert 'class="notice"' in client.get("/partners?kind=pirates").text
    assert 'class="notice"' in client.get("/schools?area=abc").text
    assert client.get("/partners?page=-5").status_code == 200


def test_area_page_lists_its_opportunities_and_partners(client, directory):
    page = client.get("/areas/31").text
    assert "Lower West Side" in page
    assert "Robotics workshop" in page
    assert "Pilsen Robotics Club" in page


def test_huge_query_string_does_not_break(client):
    response = client.get("/opportunities?" + "&".join(f"x{n}=1" for n in range(2000)))
    assert response.status_code in (200, 414)


def test_only_published_rows_counted_on_home(client, directory):
    assert db.session.query(Opportunity).count() == 2
    assert "See all 1 opportunities" in client.get("/").text or "1" in client.get("/").text


def test_the_areas_table_counts_each_areas_schools(client, curie):
    area = db.session.get(CommunityArea, curie.community_area_number)
    in_area = db.session.scalar(select(func.count()).where(School.community_area_number == area.number))
    html = client.get("/areas").get_data(as_text=True)
    row = html[html.index(f'href="/areas/{area.number}"') :].split("</tr>", 1)[0]
    assert row.rstrip().endswith(f'<td class="num">{in_area}</td>') and in_area > 0
