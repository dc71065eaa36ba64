"""Reading another publisher's HSDS 3.0 directory: a JSON package, or a folder of HSDS CSV
tables, into partner and listing values this site stores. Pure: no database, no Flask.

A JSON package may be a list of organizations (with their ``services``), a list of services
(each with its ``organization`` or ``organization_id``), an HSDS page (``contents``), NDJSON (one
record a line, as ``format=ndjson`` gives), or ``{"organizations": [...], "services": [...]}``.
A folder holds ``organizations.csv`` and ``services.csv`` and, if the publisher has them,
``attributes.csv`` with ``taxonomy_terms.csv``, ``languages.csv``, ``phones.csv``,
``schedules.csv`` and ``cost_options.csv`` (the HSDS tabular names).

Only the fields a record carries are returned: what the package leaves out is left as it is here.
"""

import csv
import json
import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cpspartners.hsds import vocabulary
from cpspartners.taxonomy import AUDIENCES, CAREER_CLUSTERS, LANGUAGES, OPPORTUNITY_KINDS, codes

MAX_BYTES = 50 * 1024 * 1024
KINDS, CLUSTERS, AUDIENCE_CODES = set(codes(OPPORTUNITY_KINDS)), set(codes(CAREER_CLUSTERS)), set(codes(AUDIENCES))
LANGUAGE_CODES = set(codes(LANGUAGES))
FROM_ISO_639 = {"ase": "asl", "eng": "en", "spa": "es", "pol": "pl", "zho": "zh", "ara": "ar"}
DEFAULT_KIND = "workshop"


class PackageError(ValueError):
    """The package cannot be read at all (not JSON, no organizations.csv...)."""


@dataclass
class Incoming:
    """One record of the package: the publisher's id and the values it gives us."""

    publisher_id: str
    values: dict[str, Any]
    organization_id: str = ""  # for a service: its organization's publisher id
    notes: list[str] = field(default_factory=list)


@dataclass
class Package:
    organizations: list[Incoming] = field(default_factory=list)
    services: list[Incoming] = field(default_factory=list)


def read(path: str) -> Package:
    """The package at ``path``: a JSON (or NDJSON) file, or a folder of HSDS CSV tables."""
    if os.path.isdir(path):
        return from_records(*_csv_tables(path))
    if os.path.getsize(path) > MAX_BYTES:
        raise PackageError("%s is larger than %d MB" % (path, MAX_BYTES // 1024 // 1024))
    with open(path, "rb") as f:
        return from_records(*_json_records(f.read()))


def _json_records(raw: bytes) -> tuple[list[dict], list[dict]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PackageError("the file is not UTF-8 text") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            raise PackageError("not JSON or NDJSON: %s" % error) from None
    if isinstance(data, dict) and ("organizations" in data or "services" in data):
        return _dicts(data.get("organizations")), _dicts(data.get("services"))
    if isinstance(data, dict) and "contents" in data:
        data = data["contents"]
    if isinstance(data, dict):
        data = [data]
    records = _dicts(data)
    services = [r for r in records if "status" in r and "services" not in r]
    return [r for r in records if r not in services], services


def _dicts(value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PackageError("expected a list of HSDS records")
    return value


def _table(folder: str, name: str) -> list[dict]:
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [{k: v for k, v in row.items() if k and v not in (None, "")} for row in csv.DictReader(f)]


def _csv_tables(folder: str) -> tuple[list[dict], list[dict]]:
    """The tables joined back into nested records, as the JSON package would give them."""
    if not os.path.exists(os.path.join(folder, "services.csv")):
        raise PackageError("%s has no services.csv" % folder)
    organizations = _table(folder, "organizations.csv")
    services = _table(folder, "services.csv")
    terms = {row["id"]: row for row in _table(folder, "taxonomy_terms.csv") if row.get("id")}
    by_service: dict[str, dict[str, list]] = {}
    for name, key in (("languages", "service_id"), ("schedules", "service_id"), ("cost_options", "service_id")):
        for row in _table(folder, name + ".csv"):
            by_service.setdefault(row.get(key, ""), {}).setdefault(name, []).append(row)
    for row in _table(folder, "attributes.csv"):
        if row.get("link_entity", "service") == "service":
            row = dict(row, taxonomy_term=terms.get(row.get("taxonomy_term_id", ""), {}))
            by_service.setdefault(row.get("link_id", ""), {}).setdefault("attributes", []).append(row)
    phones: dict[str, list] = {}
    for row in _table(folder, "phones.csv"):
        phones.setdefault(row.get("organization_id", ""), []).append(row)
    for service in services:
        service.update(by_service.get(service.get("id", ""), {}))
    for organization in organizations:
        organization["phones"] = phones.get(organization.get("id", ""), [])
    return organizations, services


def from_records(organizations: list[dict], services: list[dict]) -> Package:
    package = Package()
    seen: set[str] = set()
    for record in organizations:
        package.organizations.append(organization_values(record))
        seen.add(str(record.get("id", "")))
        for nested in _dicts(record.get("services")):
            if "name" in nested and len(nested) > 3:  # a full service, not only its id and name
                services.append(dict(nested, organization_id=nested.get("organization_id") or record.get("id")))
    for record in services:
        parent = record.get("organization")
        if isinstance(parent, dict) and str(parent.get("id", "")) not in seen:
            package.organizations.append(organization_values(parent))
            seen.add(str(parent.get("id", "")))
        package.services.append(service_values(record))
    return package


def _text(record: dict, name: str) -> str | None:
    value = record.get(name)
    return " ".join(str(value).split()) if value not in (None, "") else None


def organization_values(record: dict) -> Incoming:
    values: dict[str, Any] = {}
    for ours, theirs in (("name", "name"), ("website", "website"), ("contact_email", "email")):
        if (value := _text(record, theirs)) is not None:
            values[ours] = value
    if (mission := record.get("description")) not in (None, ""):
        values["mission"] = str(mission).strip()
    phones = [p for p in record.get("phones") or [] if isinstance(p, dict) and p.get("number")]
    if phones:
        values["contact_phone"] = str(phones[0]["number"]).strip()
    return Incoming(str(record.get("id", "")), values)


def _terms(record: dict) -> list[vocabulary.Term]:
    """Our taxonomy terms among the service's attributes (by our term ids, or taxonomy and code)."""
    found = []
    for attribute in record.get("attributes") or []:
        if not isinstance(attribute, dict):
            continue
        term = vocabulary.TERM_BY_ID.get(str(attribute.get("taxonomy_term_id", "")))
        detail = attribute.get("taxonomy_term") or {}
        taxonomy = detail.get("taxonomy") or attribute.get("link_type")
        code = detail.get("code") or attribute.get("value")
        if term is None and taxonomy in vocabulary.TAXONOMY_BY_NAME:
            term = next((t for t in vocabulary.TAXONOMY_BY_NAME[taxonomy].terms if t.code == code), None)
        if term is not None:
            found.append(term)
    return found


def service_values(record: dict) -> Incoming:
    values: dict[str, Any] = {}
    notes: list[str] = []
    if (name := _text(record, "name")) is not None:
        values["title"] = name
    if (description := record.get("description")) not in (None, ""):
        values["description"] = str(description).strip()
    terms = _terms(record)
    by_taxonomy: dict[str, list[str]] = {}
    for term in terms:
        by_taxonomy.setdefault(term.taxonomy, []).append(term.code)
    kinds = [k for k in by_taxonomy.get("cpspartners_opportunity_kind", []) if k in KINDS]
    values["kind"] = kinds[0] if kinds else DEFAULT_KIND
    if not kinds:
        notes.append("no opportunity kind among its attributes: %s assumed" % DEFAULT_KIND)
    if "career_clusters_2024" in by_taxonomy:
        values["clusters"] = sorted(c for c in by_taxonomy["career_clusters_2024"] if c in CLUSTERS)
    audiences = [a for a in by_taxonomy.get("cpspartners_audience", []) if a in AUDIENCE_CODES]
    if audiences:
        values["audience"] = audiences[0]
    bands = sorted(b for b in set(by_taxonomy.get("cpspartners_grade_band", [])) if b in vocabulary.BANDS)
    if bands:  # the grades the bands span; ``services.hsds_imports`` keeps a range already in them
        values["grade_bands"] = bands
    languages = [
        FROM_ISO_639.get(str(lang.get("code", "")), str(lang.get("code", "")))
        for lang in record.get("languages") or []
        if isinstance(lang, dict)
    ]
    languages = [code for code in dict.fromkeys(languages) if code in LANGUAGE_CODES]
    if languages:
        values["languages"] = ",".join(languages)
    values.update(_schedule(record, notes))
    organization = record.get("organization")
    parent = record.get("organization_id") or (organization.get("id") if isinstance(organization, dict) else "")
    return Incoming(str(record.get("id", "")), values, str(parent or ""), notes)


def _schedule(record: dict, notes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    schedules = [s for s in record.get("schedules") or [] if isinstance(s, dict)]
    if schedules:
        first = schedules[0]
        for ours, theirs in (("starts_on", "valid_from"), ("ends_on", "valid_to")):
            if first.get(theirs):
                try:
                    out[ours] = date.fromisoformat(str(first[theirs])[:10])
                except ValueError:
                    notes.append("%s is not a date: left out" % theirs)
        if first.get("description"):
            out["schedule"] = str(first["description"]).strip()
    costs = [c for c in record.get("cost_options") or [] if isinstance(c, dict) and c.get("amount") not in (None, "")]
    if costs:
        try:
            out["cost_cents"] = max(int(round(float(costs[0]["amount"]) * 100)), 0)
        except (TypeError, ValueError):
            notes.append("cost_options amount is not a number: left out")
    return out
