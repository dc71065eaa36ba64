"""Schemathesis against the served OpenAPI document: generated requests to every operation of
/api/hsds get no 5xx, and every answer conforms to the document (status, content type, schema).

Bounded: a few derandomized examples per operation, so it runs in seconds, the same way each time.
The schemas the document refers to by URL are inlined from our copies (nothing is fetched), and
each ``{id}`` takes the ids of real records (so the 200 answers are checked) or unknown ones.
"""

import json
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cpspartners.hsds import ids, openapi, vocabulary
from cpspartners.search.outbox import rebuild

API = "/api/hsds"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12


def _local_name(name: str) -> str:
    return "hsds_" + name.split("/")[-1].removesuffix(".json")


def _inline(node, schemas_url: str):
    """Point every reference to one of our schema files at a copy inside the document."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.endswith(".json"):
            name = ref.removeprefix(schemas_url)
            node["$ref"] = "#/components/schemas/" + _local_name(name)
        for value in node.values():
            _inline(value, schemas_url)
    elif isinstance(node, list):
        for value in node:
            _inline(value, schemas_url)


def inlined(doc: dict, schemas_url: str, real_ids: dict[str, list[str]]) -> dict:
    for name in openapi.SCHEMA_FILES:
        doc["components"]["schemas"][_local_name(name)] = openapi.load_schema(name)
    _inline(doc, schemas_url)
    for path, item in doc["paths"].items():
        for parameter in item.get("parameters", []):
            if parameter["in"] == "path" and real_ids.get(path):
                unknown = ["not-a-uuid", str(uuid.UUID(int=1)), "%00"]
                parameter["schema"] = {"type": "string", "enum": real_ids[path] + unknown}
    return doc


@pytest.fixture
def api_schema(app, client, make_partner, make_opportunity, curie):
    app.config["HSDS_LIMIT"] = "100000 per minute"
    partner = make_partner(contact_phone="3125550100", address="1 N State St", website="https://example.org")
    opps = [
        make_opportunity(partner=partner, schools=[curie], title="Welding lab", title_es="Taller de soldadura"),
        make_opportunity(partner=partner, address="2 W Madison St", modality="hybrid", cost_cents=1500),
    ]
    rebuild()
    sal = json.loads(client.get(API + "/service_at_locations").data)["contents"]
    real_ids = {
        "/services/{id}": [ids.service(opp.slug) for opp in opps],
        "/organizations/{id}": [ids.organization(partner.slug)],
        "/service_at_locations/{id}": [record["id"] for record in sal],
        "/taxonomies/{id}": [taxonomy.id for taxonomy in vocabulary.TAXONOMIES],
        "/taxonomy_terms/{id}": [taxonomy.terms[0].id for taxonomy in vocabulary.TAXONOMIES],
    }
    served = json.loads(client.get(API + "/openapi.json").data)
    loaded = schemathesis.openapi.from_dict(inlined(served, "http://localhost/api/hsds/schemas/", real_ids))
    loaded.app = app
    return loaded


def test_every_operation_conforms_to_the_served_document(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 11
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def conforms(case):
            # Uncompressed: schemathesis reads a WSGI answer's body as it is, and the site gzips
            # JSON for clients that accept it (a real HTTP client undoes that itself).
            case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})

        conforms()
