"""Rows to HSDS 3.0 records. Plain functions: loaded rows in, dicts out (no queries, no Flask
beyond rendering a label in the chosen language); links come from the caller's ``Links``.

Listings are services, partners organizations, schools and a listing's own place locations.
Each service carries its terms (``vocabulary.listing_terms``) as attributes and the languages it
is offered in as ``languages``. Text is in one language per answer (``locale``): ``es`` gives the
Spanish title and description where the listing has them, and the other language's title goes in
``alternate_name``, so both names travel in either answer.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale

from cpspartners.hsds import ids, vocabulary
from cpspartners.models import Opportunity, Partner, School
from cpspartners.taxonomy import AUDIENCES, LANGUAGES, MODALITIES

# HSDS asks for ISO 639 codes; American Sign Language is "ase" there.
ISO_639 = {"asl": "ase"}
LANGUAGE_LABELS = dict(LANGUAGES)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Links:
    """Where the site shows a listing and a partner, for ``url`` fields."""

    listing: Callable[[str], str]
    partner: Callable[[str], str]


def _label(pairs, code: str, locale: str) -> str:
    with force_locale(locale):
        return str(dict(pairs).get(code, code))


def stamp(moment: datetime | None) -> str | None:
    """An RFC 3339 date-time, UTC."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z") if moment.tzinfo else moment.isoformat() + "Z"


def _drop_empty(record: dict) -> dict:
    return {key: value for key, value in record.items() if value not in (None, "", [])}


def organization_brief(partner: Partner, locale: str) -> dict:
    """The organization as a service embeds it (id, name, description are required)."""
    mission = partner.mission_es if locale == "es" and partner.mission_es else partner.mission
    return _drop_empty(
        {
            "id": ids.organization(partner.slug),
            "name": partner.name,
            "description": mission or partner.name,
            "website": partner.website,
            "email": partner.contact_email if EMAIL.match(partner.contact_email or "") else "",
        }
    )


def organization_list_item(partner: Partner, locale: str, links: Links) -> dict:
    return organization_brief(partner, locale) | {"uri": links.partner(partner.slug)}


def organization_full(
    partner: Partner, services: list[Opportunity], locale: str, links: Links, full_service: bool = False
) -> dict:
    """The organization with its phone, its own place and its public listings."""
    record = organization_list_item(partner, locale, links)
    org_id = record["id"]
    if partner.contact_phone:
        record["phones"] = [
            {"id": ids.child("phone", org_id), "organization_id": org_id, "number": partner.contact_phone}
        ]
    if partner.address:
        location_id = ids.partner_location(partner.slug)
        record["locations"] = [
            _drop_empty(
                {
                    "id": location_id,
                    "location_type": "physical",
                    "organization_id": org_id,
                    "name": partner.name,
                    "latitude": partner.latitude,
                    "longitude": partner.longitude,
                    "addresses": [_address(location_id, partner.address)],
                }
            )
        ]
    if full_service:
        record["services"] = [service_full(opp, locale, links) for opp in services]
    else:
        record["services"] = [service_brief(opp, locale) for opp in services]
    return record


def _address(location_id: str, street: str, postal_code: str = "") -> dict:
    return {
        "id": ids.child("address", location_id),
        "location_id": location_id,
        "address_1": street,
        "city": "Chicago",
        "state_province": "IL",
        "postal_code": postal_code,
        "country": "US",
        "address_type": "physical",
    }


def _languages(codes: list[str], link: dict, parent_id: str) -> list[dict]:
    return [
        link
        | {
            "id": ids.child("language", parent_id, code),
            "name": _label(LANGUAGES, code, "en"),
            "code": ISO_639.get(code, code),
        }
        for code in codes
        if code in LANGUAGE_LABELS
    ]


def _texts(opp: Opportunity, locale: str) -> tuple[str, str, str]:
    """Name, alternate name and description in ``locale`` (English where no Spanish exists)."""
    spanish = locale == "es" and bool(opp.title_es)
    name = opp.title_es if spanish else opp.title
    alternate = opp.title if spanish else opp.title_es
    description = opp.localized("description", locale) or opp.localized("summary", locale) or name
    return name, alternate, description


def service_brief(opp: Opportunity, locale: str) -> dict:
    name, _alternate, _description = _texts(opp, locale)
    return {"id": ids.service(opp.slug), "name": name, "status": "active"}


def service_minimal(opp: Opportunity) -> dict:
    """What ``minimal=true`` returns: the id and when it last changed."""
    return {"id": ids.service(opp.slug), "last_modified": stamp(opp.updated_at)}


def service_list_item(opp: Opportunity, locale: str, links: Links) -> dict:
    """The one-to-one fields of a service, and its organization."""
    name, alternate, description = _texts(opp, locale)
    with force_locale(locale):
        grades = "K" if opp.grade_min == 0 else str(opp.grade_min)
        eligibility = "%s; %s %s-%d" % (
            _label(AUDIENCES, opp.audience, locale),
            _grade_word(locale),
            grades,
            opp.grade_max,
        )
    record = {
        "id": ids.service(opp.slug),
        "organization_id": ids.organization(opp.partner.slug),
        "name": name,
        "alternate_name": alternate,
        "description": description,
        "url": links.listing(opp.slug),
        "status": "active",
        "application_process": _deadline_text(opp, locale),
        "fees_description": _fees_text(opp, locale),
        "eligibility_description": eligibility,
        "interpretation_services": "",
        "last_modified": stamp(opp.updated_at),
        "organization": organization_brief(opp.partner, locale),
    }
    return _drop_empty(record)


def _grade_word(locale: str) -> str:
    return "grados" if locale == "es" else "grades"


def _deadline_text(opp: Opportunity, locale: str) -> str:
    if opp.deadline is None:
        return "Inscripción continua" if locale == "es" else "Rolling admission"
    return ("Solicitar antes del %s" if locale == "es" else "Apply by %s") % opp.deadline.isoformat()


def _fees_text(opp: Opportunity, locale: str) -> str:
    if opp.cost_cents:
        return "$%.2f" % (opp.cost_cents / 100)
    return "Gratis" if locale == "es" else "Free"


def attributes(opp: Opportunity, service_id: str, locale: str) -> list[dict]:
    out = []
    for found in vocabulary.listing_terms(opp):
        out.append(
            {
                "id": ids.child("attribute", service_id, found.id),
                "link_id": service_id,
                "link_type": found.taxonomy,
                "link_entity": "service",
                "taxonomy_term_id": found.id,
                "value": found.code,
                "taxonomy_term": taxonomy_term(found, locale),
            }
        )
    return out


def locations_of(opp: Opportunity, locale: str) -> list[dict]:
    """The schools it is offered at, and its own place when it has one."""
    found = [school_location(school) for school in opp.schools]
    place = place_location(opp, locale)
    return found + [place] if place else found


def place_location(opp: Opportunity, locale: str) -> dict | None:
    """The listing's own place: in person (or hybrid) at an address; None otherwise."""
    if opp.modality == "virtual" or not opp.address:
        return None
    location_id = ids.place_location(opp.slug)
    return _drop_empty(
        {
            "id": location_id,
            "location_type": "physical",
            "organization_id": ids.organization(opp.partner.slug),
            "name": opp.location_name or opp.address,
            "description": _label(MODALITIES, opp.modality, locale),
            "latitude": opp.latitude,
            "longitude": opp.longitude,
            "addresses": [_address(location_id, opp.address)],
        }
    )


def school_location(school: School) -> dict:
    location_id = ids.school_location(school.id)
    return _drop_empty(
        {
            "id": location_id,
            "location_type": "physical",
            "url": school.website if school.website.startswith("http") else "",
            "name": school.long_name,
            "latitude": school.latitude,
            "longitude": school.longitude,
            "external_identifier": str(school.id),
            "external_identifier_type": "CPS school id",
            "addresses": [_address(location_id, school.address, school.zip)] if school.address else [],
        }
    )


def service_full(opp: Opportunity, locale: str, links: Links) -> dict:
    """The service with everything HSDS nests in it that the site knows."""
    record = service_list_item(opp, locale, links)
    service_id = record["id"]
    record["languages"] = _languages(opp.language_codes, {"service_id": service_id}, service_id)
    record["attributes"] = attributes(opp, service_id, locale)
    record["service_at_locations"] = [
        service_at_location_brief(opp, location) for location in locations_of(opp, locale)
    ]
    schedule = _drop_empty(
        {
            "id": ids.child("schedule", service_id),
            "service_id": service_id,
            "valid_from": opp.starts_on.isoformat() if opp.starts_on else "",
            "valid_to": opp.ends_on.isoformat() if opp.ends_on else "",
            "description": opp.localized("schedule", locale),
        }
    )
    if len(schedule) > 2:
        record["schedules"] = [schedule]
    if opp.cost_cents:
        record["cost_options"] = [
            {
                "id": ids.child("cost_option", service_id),
                "service_id": service_id,
                "currency": "USD",
                "amount": opp.cost_cents / 100,
            }
        ]
    return _drop_empty(record)


def service_at_location_brief(opp: Opportunity, location: dict) -> dict:
    return {
        "id": ids.service_at_location(opp.slug, location["id"]),
        "service_id": ids.service(opp.slug),
        "location_id": location["id"],
        "location": location,
    }


def service_at_location_item(opp: Opportunity, location: dict, locale: str) -> dict:
    return service_at_location_brief(opp, location) | {"service": service_brief(opp, locale)}


def service_at_location_full(opp: Opportunity, location: dict, locale: str, links: Links) -> dict:
    service = service_full(opp, locale, links)
    service.pop("service_at_locations", None)
    return service_at_location_brief(opp, location) | {"service": service}


def taxonomy(found: vocabulary.Taxonomy) -> dict:
    return _drop_empty(
        {
            "id": found.id,
            "name": found.name,
            "description": found.description,
            "uri": found.uri,
            "version": found.version,
        }
    )


def taxonomy_term(found: vocabulary.Term, locale: str) -> dict:
    name = vocabulary.label(found, locale)
    return {
        "id": found.id,
        "code": found.code,
        "name": name,
        "description": name,
        "taxonomy": found.taxonomy,
        "taxonomy_id": vocabulary.TAXONOMY_BY_NAME[found.taxonomy].id,
        "language": locale,
    }
