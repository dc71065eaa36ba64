"""The HSDS 3.0 API (/api/hsds): every answer validates against the official schemas, only what
the public rule admits is ever published, ids are stable, and bad input is a JSON 4xx."""

import functools
import json
import uuid
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.hsds import ids, openapi, vocabulary
from cpspartners.models import Application, Opportunity, Partner, queries
from cpspartners.models._base import utcnow
from cpspartners.search.outbox import rebuild
from cpspartners.seed.demo import seed_demo

API = "/api/hsds"
LISTS = {
    "/services": "compiled/service_list.json",
    "/organizations": "compiled/organization_list.json",
    "/service_at_locations": "compiled/service_at_location_list.json",
    "/taxonomies": "schema/taxonomy.json",
    "/taxonomy_terms": "schema/taxonomy_term.json",
}
DETAILS = {
    "/services": "compiled/service.json",
    "/organizations": "compiled/organization.json",
    "/service_at_locations": "compiled/service_at_location.json",
    "/taxonomies": "schema/taxonomy.json",
    "/taxonomy_terms": "schema/taxonomy_term.json",
}
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


@functools.cache
def registry() -> Registry:
    """Our copies, under the names the per-entity schemas use for each other ("metadata.json")."""
    resources = [
        (name.split("/")[-1], DRAFT202012.create_resource(openapi.load_schema(name))) for name in openapi.SCHEMA_FILES
    ]
    return Registry().with_resources(resources)


@functools.cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(openapi.load_schema(name), registry=registry(), format_checker=FormatChecker())


def assert_valid(name: str, record: dict) -> None:
    errors = sorted(validator(name).iter_errors(record), key=lambda e: e.path)
    assert not errors, "%s: %s at %s" % (name, errors[0].message, list(errors[0].path))


def get_json(client, path, status=200, **kwargs):
    response = client.get(API + path, **kwargs)
    assert response.status_code == status, (path, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json"
    return response.get_json()


def ndjson(client, path):
    response = client.get(API + path)
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines() if line]


@pytest.fixture
def demo(app):
    seed_demo(opportunities=150, seed=5)
    rebuild()
    return app


def test_every_endpoint_answers_what_the_official_schemas_accept(demo, client):
    root = get_json(client, "/")
    assert root["version"] == "3.0" and root["openapi_url"].endswith("/api/hsds/openapi.json")
    for path, schema in LISTS.items():
        page = get_json(client, path + "?per_page=40")
        assert set(page) == PAGE_KEYS and page["contents"], path
        for record in page["contents"]:
            assert_valid(schema, record)
        for record in page["contents"][:8]:
            assert_valid(DETAILS[path], get_json(client, "%s/%s" % (path, record["id"])))
            assert_valid(DETAILS[path], get_json(client, "%s/%s?lang=es" % (path, record["id"])))
    for record in get_json(client, "/services?minimal=true")["contents"]:
        assert set(record) == {"id", "last_modified"}
        assert_valid("compiled/service_list.json", record | {"name": "x", "status": "active"})
    org = get_json(client, "/organizations")["contents"][0]["id"]
    assert_valid("compiled/organization.json", get_json(client, "/organizations/%s?full_service=true" % org))


def test_a_service_carries_its_terms_languages_places_and_organization(app, client, make_opportunity, curie):
    opp = make_opportunity(
        kind="internship",
        clusters=["060100"],
        grade_min=9,
        grade_max=12,
        languages="en,es",
        address="3939 W 79th St",
        modality="in_person",
        schools=[curie],
    )
    service = get_json(client, "/services/" + ids.service(opp.slug))
    assert service["organization"]["id"] == service["organization_id"] == ids.organization(opp.partner.slug)
    codes = {(a["link_type"], a["value"]) for a in service["attributes"]}
    assert codes == {
        ("cpspartners_opportunity_kind", "internship"),
        ("career_clusters_2024", "060100"),
        ("cpspartners_grade_band", "high"),
        ("cpspartners_audience", "students"),
    }
    assert all(a["taxonomy_term_id"] in vocabulary.TERM_BY_ID for a in service["attributes"])
    assert [lang["code"] for lang in service["languages"]] == ["en", "es"]
    places = {sal["location_id"] for sal in service["service_at_locations"]}
    assert places == {ids.school_location(curie.id), ids.place_location(opp.slug)}
    school = next(s for s in service["service_at_locations"] if s["location"].get("external_identifier"))
    assert school["location"]["external_identifier"] == str(curie.id)
    detail = get_json(client, "/service_at_locations/" + school["id"])
    assert detail["service"]["id"] == service["id"] and detail["location_id"] == ids.school_location(curie.id)


def test_spanish_by_lang_or_accept_language_where_the_listing_has_it(app, client, make_opportunity):
    opp = make_opportunity(title="Robot lab", title_es="Laboratorio de robots", description_es="En español.")
    plain = make_opportunity(title="Only English")
    path = "/services/" + ids.service(opp.slug)
    english = get_json(client, path)
    assert (english["name"], english["alternate_name"]) == ("Robot lab", "Laboratorio de robots")
    for spanish in (get_json(client, path + "?lang=es"), get_json(client, path, headers={"Accept-Language": "es"})):
        assert (spanish["name"], spanish["alternate_name"], spanish["description"]) == (
            "Laboratorio de robots",
            "Robot lab",
            "En español.",
        )
        assert spanish["organization"]["id"] == english["organization"]["id"]
    assert get_json(client, "/services/%s?lang=es" % ids.service(plain.slug))["name"] == "Only English"
    assert get_json(client, path, headers={"Accept-Language": "es"}) != get_json(client, path)


def test_ids_are_uuid5_of_natural_keys_and_survive_a_rebuild_and_a_reseed(demo, client):
    first = [r["id"] for r in ndjson(client, "/services?format=ndjson&minimal=true")]
    slugs = db.session.scalars(
        queries.public_opportunities().with_only_columns(Opportunity.slug).order_by(Opportunity.id)
    )
    assert first == [str(uuid.uuid5(ids.NAMESPACE, "service:" + slug)) for slug in slugs]
    rebuild()
    seed_demo(opportunities=150, seed=5)  # safe to run again: nothing new, nothing renumbered
    assert [r["id"] for r in ndjson(client, "/services?format=ndjson&minimal=true")] == first


def test_filters_combine_with_and(app, client, make_partner, make_opportunity):
    ours, theirs = make_partner(), make_partner()
    match = make_opportunity(partner=ours, kind="internship", clusters=["060100"])
    make_opportunity(partner=ours, kind="workshop", clusters=["060100"])
    make_opportunity(partner=theirs, kind="internship", clusters=["060100"])
    old = make_opportunity(partner=ours, kind="internship", clusters=["060100"])
    old.updated_at = utcnow() - timedelta(days=400)
    db.session.commit()
    kind = vocabulary.term("cpspartners_opportunity_kind", "internship").id
    since = (utcnow() - timedelta(days=30)).date().isoformat()
    query = "/services?taxonomy_term_id=%s&organization_id=%s&modified_after=%s" % (
        kind,
        ids.organization(ours.slug),
        since,
    )
    assert [s["id"] for s in get_json(client, query)["contents"]] == [ids.service(match.slug)]
    clusters = vocabulary.TAXONOMY_BY_NAME["career_clusters_2024"].id
    assert get_json(client, "/services?taxonomy_id=%s" % clusters)["total_items"] == 4
    unknown = str(uuid.uuid4())
    assert get_json(client, "/services?organization_id=" + unknown)["total_items"] == 0
    assert get_json(client, "/services?taxonomy_term_id=" + unknown)["empty"] is True


def test_search_goes_through_the_search_index(app, client, make_opportunity):
    wanted = make_opportunity(title="Underwater welding camp", tags=["welding"])
    make_opportunity(title="Poetry slam")
    rebuild()
    found = get_json(client, "/services?search=welding")
    assert [s["id"] for s in found["contents"]] == [ids.service(wanted.slug)]
    assert get_json(client, "/organizations?search=" + wanted.partner.name.split()[-1])["total_items"] >= 1


def test_pages_are_capped_and_ndjson_streams_everything(demo, client):
    total = get_json(client, "/services")["total_items"]
    assert total > 100
    big = get_json(client, "/services?per_page=100000")
    assert big["size"] == 200 or big["size"] == total
    second = get_json(client, "/services?per_page=50&page=2")
    assert (second["page_number"], second["first_page"], second["size"]) == (2, False, 50)
    assert second["total_pages"] == -(-total // 50)
    past = get_json(client, "/services?page=9999")
    assert past["empty"] is True and past["contents"] == [] and past["total_items"] == total
    streamed = ndjson(client, "/services?format=ndjson")
    assert len(streamed) == total == len({s["id"] for s in streamed})
    for record in streamed[:20]:
        assert_valid("compiled/service_list.json", record)
    sals = get_json(client, "/service_at_locations")["total_items"]
    assert len(ndjson(client, "/service_at_locations?format=ndjson")) == sals
    assert len(ndjson(client, "/organizations?format=ndjson")) == get_json(client, "/organizations")["total_items"]


def _crawl(client) -> tuple[list[dict], str]:
    """Every record the API publishes, and every byte of every answer."""
    bodies, services = [], []
    for path in LISTS:
        response = client.get(API + path + "?format=ndjson")
        bodies.append(response.get_data(as_text=True))
        records = [json.loads(line) for line in bodies[-1].splitlines()]
        if path == "/services":
            services = records
        for record in records:
            bodies.append(client.get("%s%s/%s?full_service=true" % (API, path, record["id"])).get_data(as_text=True))
    return services, "\n".join(bodies)


def test_the_whole_api_shows_only_what_the_public_rule_admits(app, client, make_partner, make_opportunity, make_user):
    shown = make_opportunity(title="Shown to all")
    unvetted = make_partner(vetted=False)
    hidden = [
        make_opportunity(partner=unvetted, audience="students", title="Unvetted for students"),
        make_opportunity(status="draft", title="A draft listing"),
        make_opportunity(status="pending_review", title="Waiting for review"),
        make_opportunity(status="archived", title="Archived listing"),
        make_opportunity(
            partner=make_partner(status="inactive", name="Archived Partner Org"), title="By an archived partner"
        ),
        make_opportunity(
            partner=make_partner(status="pending", name="Pending Partner Org"), title="By a pending partner"
        ),
    ]
    family = make_opportunity(partner=unvetted, audience="families", title="Families welcome")
    student = make_user("student", name="Secret Student", email="secret.student@example.org")
    db.session.add(Application(opportunity=shown, student=student, answer="My private answer"))
    db.session.commit()
    services, everything = _crawl(client)
    public = {ids.service(slug) for slug in db.session.scalars(select(Opportunity.slug).where(Opportunity.is_public))}
    assert {s["id"] for s in services} == public
    assert {ids.service(shown.slug), ids.service(family.slug)} <= public
    for opp in hidden:
        assert ids.service(opp.slug) not in everything and opp.title not in everything
        assert get_json(client, "/services/" + ids.service(opp.slug), status=404)["status"] == 404
    for secret in (
        "Secret Student",
        "secret.student@example.org",
        "My private answer",
        "Archived Partner Org",
        "Pending Partner Org",
    ):
        assert secret not in everything
    inactive = db.session.scalar(select(Partner).where(Partner.status == "inactive"))
    get_json(client, "/organizations/" + ids.organization(inactive.slug), status=404)


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=abc",
        "page=%C2%B2",
        "per_page=-1",
        "per_page=0",
        "format=xml",
        "minimal=maybe",
        "taxonomy_term_id=not-a-uuid",
        "taxonomy_id=1",
        "organization_id=%27%20OR%201=1",
        "modified_after=yesterday",
        "modified_after=2026-13-45",
        "lang=fr",
        "proximity=100",
    ],
)
def test_bad_parameters_get_an_hsds_style_400(app, client, query):
    for path in ("/services", "/service_at_locations"):
        body = get_json(client, "%s?%s" % (path, query), status=400)
        assert body["status"] == 400 and body["parameter"] == query.split("=")[0] and body["error"]


def test_unknown_ids_get_a_json_404(app, client):
    for path in DETAILS:
        for bad in (str(uuid.uuid4()), "not-a-uuid", "%00"):
            assert get_json(client, "%s/%s" % (path, bad), status=404)["status"] == 404


def test_open_to_any_origin_without_credentials_and_cached_by_etag(app, client, make_opportunity):
    make_opportunity()
    response = client.get(API + "/services", headers={"Origin": "https://example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = client.get(API + "/services", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_opportunity()
    assert client.get(API + "/services", headers={"If-None-Match": etag}).status_code == 200
    preflight = client.options(API + "/services", headers={"Origin": "https://example.com"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_rate_limited_with_a_json_429(app, client):
    app.config["HSDS_LIMIT"] = "3 per minute"
    assert [client.get(API + "/taxonomies").status_code for _ in range(3)] == [200, 200, 200]
    assert get_json(client, "/taxonomies", status=429)["status"] == 429


def test_the_openapi_document_is_the_official_one_with_this_site_filled_in(app, client):
    doc = get_json(client, "/openapi.json")
    assert doc["openapi"] == "3.1.0" and doc["servers"][0]["url"] == "http://localhost/api/hsds"
    assert "REQUIRED" not in json.dumps(doc["info"])
    assert set(doc["paths"]) == set(openapi.official()["paths"])
    refs = {ref for ref in json.dumps(doc).split('"$ref": ') if "raw.githubusercontent" in ref}
    assert not refs
    schema = client.get(API + "/schemas/compiled/service.json")
    assert schema.status_code == 200 and json.loads(schema.data)["required"] == ["id", "name", "status"]
    assert client.get(API + "/schemas/../config.py").status_code == 404


def test_the_guide_for_people_in_both_languages_is_linked_from_every_page(app, client, es_client):
    assert b'href="/api/hsds/guide"' in client.get("/").data
    english = client.get(API + "/guide").get_data(as_text=True)
    spanish = es_client.get(API + "/guide").get_data(as_text=True)
    assert "Open data: the directory as an API" in english and "/api/hsds/services?search=robotics" in english
    assert "Datos abiertos" in spanish and "/api/hsds/services?search=robotics" in spanish


def test_a_listing_unpublished_by_another_process_never_shows_on_a_page(app, client, make_opportunity):
    keep, gone = make_opportunity(), make_opportunity()
    assert get_json(client, "/services")["total_items"] == 2  # the public ids are read and kept
    with db.engine.begin() as conn:  # another worker's write: this process hears nothing of it
        conn.execute(Opportunity.__table__.update().where(Opportunity.id == gone.id).values(status="draft"))
    page = get_json(client, "/services")
    assert [s["id"] for s in page["contents"]] == [ids.service(keep.slug)] and page["total_items"] == 1
    get_json(client, "/services/" + ids.service(gone.slug), status=404)
