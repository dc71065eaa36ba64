"""The OpenAPI document we serve: the official HSDS 3.0 one (``schemas/openapi.json``, unchanged
on disk) with this site's ``info`` and ``servers``, its schema references pointed at our copies
(served under ``/api/hsds/schemas/``), and what this API adds declared:

- error answers on every operation: 400 (a parameter we cannot use), 404 (an unknown id),
  429 (rate limit), 503 (search without an index), all ``Error`` bodies; 304 for conditional GET;
- ``lang`` (``en``|``es``) on every operation, beside ``Accept-Language``;
- ``format`` limited to ``json``|``ndjson`` and list answers also as ``application/x-ndjson``;
  ``page`` and ``per_page`` at least 1 (``per_page`` above ``MAX_PER_PAGE`` is cut to it);
- ``minimal=true`` items (``MinimalService``: id and last_modified) beside ``service_list`` ones;
- ``/service_at_locations/{id}`` answers a ``service_at_location`` (the official file names
  ``service.json`` there, which its own list endpoint and the schema's name contradict).
"""

import copy
import functools
import json
import os

from cpspartners.hsds.params import MAX_PER_PAGE

HERE = os.path.join(os.path.dirname(__file__), "schemas")
OFFICIAL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
SCHEMA_FILES = (
    "compiled/service.json",
    "compiled/service_list.json",
    "compiled/organization.json",
    "compiled/organization_list.json",
    "compiled/service_at_location.json",
    "compiled/service_at_location_list.json",
    "schema/taxonomy.json",
    "schema/taxonomy_term.json",
    "schema/metadata.json",
)
OFFICIAL_NAMES = {
    OFFICIAL + "compiled/" + os.path.basename(name)
    if name.startswith("compiled/")
    else OFFICIAL + os.path.basename(name): name
    for name in SCHEMA_FILES
}
ERROR = {
    "type": "object",
    "required": ["status", "error"],
    "properties": {
        "status": {"type": "integer"},
        "error": {"type": "string", "description": "What was wrong, in English."},
        "parameter": {"type": "string", "description": "The query parameter at fault."},
    },
}
MINIMAL_SERVICE = {
    "type": "object",
    "required": ["id", "last_modified"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "last_modified": {"type": "string", "format": "date-time"},
    },
}
EXTENSIONS = [
    "400, 404, 429 and 503 answers with an Error body on every operation; 304 for conditional GET",
    "lang=en|es on every operation, beside Accept-Language",
    "format is json or ndjson; list answers also as application/x-ndjson, one record a line",
    "page and per_page at least 1; per_page above %d is cut to %d" % (MAX_PER_PAGE, MAX_PER_PAGE),
    "minimal=true items on /services are MinimalService (id, last_modified)",
    "/service_at_locations/{id} answers a service_at_location (the official file names service.json)",
    "proximity is not supported (a 400); postcode matches a school location's ZIP code",
]
LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "en or es: the language of names and descriptions (else Accept-Language, else en).",
    "schema": {"type": "string", "enum": ["en", "es"]},
}


@functools.cache
def official() -> dict:
    with open(os.path.join(HERE, "openapi.json"), encoding="utf-8") as f:
        return json.load(f)


@functools.cache
def schema_text(name: str) -> str | None:
    """One of our copies of the HSDS schemas, by its path under schemas/ (None if not one)."""
    if name not in SCHEMA_FILES:
        return None
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


def load_schema(name: str) -> dict:
    return json.loads(schema_text(name) or "null")


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERRORS = {
    "304": {"description": "Not modified (the ETag sent in If-None-Match still holds)."},
    "400": _error("A query parameter this API cannot use."),
    "429": _error("Too many requests from this address: wait a minute."),
    "503": _error("Search is unavailable for a moment."),
}


def _point_refs(node, schemas_url: str):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in OFFICIAL_NAMES:
            node["$ref"] = schemas_url + OFFICIAL_NAMES[ref]
        for value in node.values():
            _point_refs(value, schemas_url)
    elif isinstance(node, list):
        for value in node:
            _point_refs(value, schemas_url)


def _declare(doc: dict) -> None:
    params = doc["components"]["parameters"]
    params["format"]["schema"] = {"type": "string", "enum": ["json", "ndjson"]}
    params["page"]["schema"] = {"type": "integer", "minimum": 1}
    params["per_page"]["schema"] = {"type": "integer", "minimum": 1}
    params["per_page"]["description"] += " At most %d: more is cut to %d." % (MAX_PER_PAGE, MAX_PER_PAGE)
    params["proximity"]["description"] += " Not supported here: a 400."
    doc["components"]["schemas"]["Error"] = ERROR
    doc["components"]["schemas"]["MinimalService"] = MINIMAL_SERVICE
    for path, item in doc["paths"].items():
        operation = item["get"]
        operation.setdefault("parameters", []).append(dict(LANG))
        operation["responses"].update(copy.deepcopy(ERRORS))
        if "{id}" in path:
            operation["responses"]["404"] = _error("No public record has that id.")
        content = operation["responses"]["200"]["content"]
        schema = content["application/json"]["schema"]
        if "allOf" in schema:  # a list: also streamed, one record a line
            content["application/x-ndjson"] = {"schema": copy.deepcopy(schema["properties"]["contents"]["items"])}
    services = doc["paths"]["/services"]["get"]["responses"]["200"]["content"]
    for media in services.values():
        items = media["schema"]["properties"]["contents"]["items"] if "allOf" in media["schema"] else media["schema"]
        listed = dict(items)
        items.clear()
        items["anyOf"] = [listed, {"$ref": "#/components/schemas/MinimalService"}]
    sal = doc["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    sal["schema"] = {"$ref": OFFICIAL + "compiled/service_at_location.json"}


def document(base_url: str, schemas_url: str) -> dict:
    """The official document, for the API at ``base_url`` with schemas under ``schemas_url``."""
    doc = copy.deepcopy(official())
    doc["info"] = {
        "title": "cpspartners: Chicago Public Schools community partners (HSDS 3.0)",
        "version": "1.0.0",
        "summary": "The public directory of CPS community partners and their opportunities, as Open Referral HSDS 3.0.",
        "description": (
            "Listings are services, partners organizations, schools and a listing's own place locations. "
            "Only what the public directory shows is here. Ids are stable UUIDs. See /api/hsds/guide."
        ),
        "contact": {"name": "CPS Office of Partnerships", "url": base_url + "/guide"},
        "license": {
            "name": "HSDS specification and schemas: CC BY-SA 4.0 (Open Referral)",
            "url": "https://creativecommons.org/licenses/by-sa/4.0/",
        },
    }
    doc["servers"] = [{"url": base_url, "description": "This site"}]
    doc["x-cpspartners-extensions"] = EXTENSIONS
    _declare(doc)
    _point_refs(doc, schemas_url)
    return doc
