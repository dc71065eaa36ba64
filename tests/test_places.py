"""The city's learning places: loaded by ``flask seed places`` with their source, on the map,
in search and near a school, and usable as the place of a listing."""

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Place
from cpspartners.seed.places import seed_places
from cpspartners.services import listings
from tests.conftest import DATA_DIR, post


@pytest.fixture
def places(app):
    seed_places(DATA_DIR)
    return Place


def count(**where):
    return db.session.scalar(select(func.count()).select_from(Place).filter_by(**where))


def test_seed_places_loads_every_source_once_and_is_idempotent(places, app):
    assert (count(kind="library"), count(kind="park"), count(kind="tech_centre")) == (81, 617, 259)
    before = {(p.source, p.source_key): (p.id, p.name) for p in db.session.scalars(select(Place))}
    result = app.test_cli_runner().invoke(args=["seed", "places"])
    assert result.exit_code == 0, result.output
    assert "81 chicago_public_library_branches.csv" in result.output
    after = {(p.source, p.source_key): (p.id, p.name) for p in db.session.scalars(select(Place))}
    assert after == before


def test_places_keep_hours_accessibility_training_and_provenance(places):
    albany = db.session.scalars(select(Place).where(Place.source == "cpl", Place.name == "Albany Park Library")).one()
    assert albany.hours.startswith("Mon. & Wed., 10-6")
    assert albany.community_area.name == "North Park"
    assert (albany.as_of, albany.historical) == ("2026-04-15", False)
    centre = db.session.scalars(select(Place).where(Place.source == "connect", Place.source_key == "1")).one()
    assert centre.accessibility == "Entry doors and restrooms are handicapped accessible."
    assert "touchscreen" in centre.assistive_technology
    assert centre.historical and centre.as_of == "2013-2016"
    assert "Connect Chicago" in centre.publisher


def test_places_outside_the_city_keep_no_community_area(places):
    willett = db.session.scalars(select(Place).where(Place.source == "connect", Place.source_key == "74")).one()
    assert willett.community_area_number is None


def test_seed_places_needs_the_areas_first(app):
    from cpspartners.seed import places as module

    def no_areas(_stmt):
        return iter(())

    original = db.session.scalars
    db.session.scalars = no_areas
    try:
        with pytest.raises(LookupError):
            module.seed_places(DATA_DIR)
    finally:
        db.session.scalars = original


def test_a_historical_centre_says_its_age_on_its_page(places, client, es_client):
    centre = db.session.scalars(select(Place).where(Place.source == "connect", Place.source_key == "1")).one()
    html = client.get(f"/places/{centre.id}").get_data(as_text=True)
    assert "historical directory (about 2013-2016)" in html
    assert "Entry doors and restrooms" in html
    spanish = es_client.get(f"/places/{centre.id}").get_data(as_text=True)
    assert "directorio histórico" in spanish
    library = db.session.scalars(select(Place).where(Place.source == "cpl", Place.name == "Albany Park Library")).one()
    assert "historical directory" not in client.get(f"/places/{library.id}").get_data(as_text=True)


def test_place_list_filters_by_kind_area_and_words(places, client):
    html = client.get("/places?kind=tech_centre&q=digital+literacy").get_data(as_text=True)
    assert "Digital Literacy" in html or "digital literacy" in html.lower()
    listed = html.split("<h2>")[1]
    assert listed.count('<span class="meta">') == listed.count("Computer and training centre")
    assert client.get("/places?kind=castle").status_code == 200  # an unknown kind is a note, not an error
    assert "not one we know" in client.get("/places?kind=castle").get_data(as_text=True)
    assert client.get("/places/999999").status_code == 404


def test_search_lists_matching_places_beside_the_results_and_near_the_school(places, client, curie):
    html = client.get("/search?q=worknet").get_data(as_text=True)
    assert "Learning places" in html and "WorkNet" in html
    near = client.get(f"/search?q=robotics&school={curie.id}").get_data(as_text=True)
    assert f"Near {curie.long_name}" in near
    assert "miles away" in near


def test_school_page_lists_the_nearest_places(places, client, curie):
    html = client.get(f"/schools/{curie.id}").get_data(as_text=True)
    assert "Libraries, parks and computer centres nearby" in html
    assert "miles away" in html.split('id="places-near"')[1]


def test_places_show_on_the_equity_map_as_a_layer(places, client_as):
    specialist = client_as("specialist")
    html = specialist.get("/equity").get_data(as_text=True)
    assert html.count('class="places"') == 1
    assert "Albany Park Library (Library branch)" in html  # a marker's tooltip
    parks_only = specialist.get("/equity?layers=1&layer=park").get_data(as_text=True)
    assert "Albany Park Library (Library branch)" not in parks_only and "(Park)</title>" in parks_only
    assert 'class="places"' not in specialist.get("/equity?layers=1").get_data(as_text=True)


def test_a_partner_picks_a_place_and_the_listing_takes_its_address(app, make_opportunity, make_user, client):
    library = Place(
        source="cpl",
        source_key="Test",
        kind="library",
        name="Test Branch Library",
        address="1 W. Test St.",
        latitude=41.88,
        longitude=-87.63,
        community_area_number=32,
    )
    db.session.add(library)
    db.session.commit()
    opp = make_opportunity(location_name="Typed", address="Typed address")
    specialist = make_user("specialist")
    listings.edit_directly(specialist, opp, {**listings.snapshot(opp), "place_id": library.id})
    opp = db.session.get(Opportunity, opp.id)
    assert (opp.place_id, opp.location_name, opp.address, opp.community_area_number) == (
        library.id,
        "Test Branch Library",
        "1 W. Test St.",
        32,
    )
    assert (opp.latitude, opp.longitude) == (41.88, -87.63)
    assert "About this place" in client.get(f"/opportunities/{opp.slug}").get_data(as_text=True)
    assert opp.title in client.get(f"/places/{library.id}").get_data(as_text=True)


def test_the_listing_form_offers_places_and_refuses_an_unknown_one(app, client_as):
    partner_client = client_as("partner_staff")
    library = Place(
        source="cpl", source_key="Form", kind="library", name="Form Library", latitude=41.9, longitude=-87.7
    )
    db.session.add(library)
    db.session.commit()
    page = partner_client.get("/partner/opportunities/new").get_data(as_text=True)
    assert f'value="{library.id}">Form Library, Library branch</option>' in page
    form = {
        "title": "At the library",
        "summary": "Held at a branch.",
        "kind": "digital_literacy",
        "audience": "families",
        "grade_min": 0,
        "grade_max": 12,
        "modality": "in_person",
        "community_area_number": 0,
        "languages": "en",
    }
    answer = post(
        partner_client,
        "/partner/opportunities/new",
        {**form, "place_id": library.id + 1000},
        token_from="/partner/opportunities/new",
    )
    assert answer.status_code == 400
    assert "Choose a place from the list." in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Opportunity)) == 0
    answer = post(
        partner_client,
        "/partner/opportunities/new",
        {**form, "place_id": library.id},
        token_from="/partner/opportunities/new",
    )
    assert answer.status_code == 302
    made = db.session.scalars(select(Opportunity)).one()
    assert (made.place_id, made.location_name, made.latitude) == (library.id, "Form Library", 41.9)


def test_adult_kinds_are_filters_people_can_use(app, make_opportunity, client):
    make_opportunity(title="Northstar class", kind="digital_literacy", audience="families")
    make_opportunity(title="Welding camp", kind="skilled_trades")
    html = client.get("/opportunities?kind=digital_literacy").get_data(as_text=True)
    assert "Northstar class" in html and "Welding camp" not in html
    assert "Digital access and digital-literacy training" in client.get("/opportunities").get_data(as_text=True)
