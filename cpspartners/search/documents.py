"""Turning an opportunity or a partner into the dict the index stores. Pure: no Flask, no session.

Labels (kinds, clusters, grade bands) arrive as a ``labels`` mapping of code -> text in both
languages, so a Spanish reader's words ("pasantía", "tecnología") find English records too.
"""

from datetime import datetime, timezone

# Grade bands used as a facet: an opportunity is in every band its grade range touches.
GRADE_BANDS = (("elementary", 0, 5), ("middle", 6, 8), ("high", 9, 12))
PAID_WORDS = "paid stipend pagado pagada estipendio"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def opportunity_key(object_id):
    return "o:%d" % object_id


def partner_key(object_id):
    return "p:%d" % object_id


def is_public_opportunity(opp):
    """Only published opportunities of active partners are searchable."""
    return opp.status == "published" and opp.partner is not None and opp.partner.status == "active"


def is_public_partner(partner):
    return partner.status == "active"


def grade_bands(low, high):
    """The bands an inclusive grade range overlaps: (6, 12) -> ["middle", "high"]."""
    return [name for name, lo, hi in GRADE_BANDS if low <= hi and high >= lo]


def _timestamp(moment):
    if moment is None:
        return 0
    if moment.tzinfo is None:  # SQLite hands back naive UTC datetimes
        moment = moment.replace(tzinfo=timezone.utc)
    return int((moment - EPOCH).total_seconds() * 1000)  # milliseconds: two rows made in one second still order


def _join(*parts):
    return " ".join(part for part in parts if part)


def opportunity_document(opp, labels):
    """The index document for a public opportunity.

    ``labels`` maps "kind", "cluster" to {code: (english, spanish)}. Only small fields are
    stored (the key); results are loaded back from the database, so nothing shown is stale.
    """
    kind_en, kind_es = labels["kind"].get(opp.kind, (opp.kind, opp.kind))
    cluster_pairs = [labels["cluster"].get(code, (code, code)) for code in opp.clusters]
    places = [school.long_name for school in opp.schools]
    if opp.community_area is not None:
        places.append(opp.community_area.name)
    has_point = opp.latitude is not None and opp.longitude is not None
    return {
        "key": opportunity_key(opp.id),
        "type": "opportunity",
        "title": opp.title,
        "title_es": opp.title_es,
        "summary": opp.summary,
        "summary_es": opp.summary_es,
        "description": _join(opp.description, opp.location_name, opp.credential, opp.stipend),
        "description_es": opp.description_es,
        "partner": opp.partner.name,
        "labels": _join(kind_en, " ".join(opp.tags), " ".join(en for en, _es in cluster_pairs),
                        PAID_WORDS if opp.paid else ""),
        "labels_es": _join(kind_es, " ".join(es for _en, es in cluster_pairs)),
        "places": " ".join(places),
        "spell": _join(opp.title, opp.title_es, opp.partner.name, " ".join(opp.tags), kind_en, kind_es,
                       " ".join(en + " " + es for en, es in cluster_pairs), " ".join(places)),
        "kind": opp.kind,
        "cluster": ",".join(opp.clusters),
        "band": ",".join(grade_bands(opp.grade_min, opp.grade_max)),
        "area": str(opp.community_area_number) if opp.community_area_number else "",
        "modality": opp.modality,
        "paid": "1" if opp.paid else "0",
        "lang": ",".join(opp.language_codes),
        "deadline": opp.deadline.toordinal() if opp.deadline else 0,
        "created": _timestamp(opp.created_at),
        "lat": opp.latitude if has_point else 0.0,
        "lon": opp.longitude if has_point else 0.0,
    }


def partner_document(partner):
    """The index document for an active partner: its name, mission and neighborhoods."""
    places = [area.name for area in partner.areas_served]
    if partner.community_area is not None:
        places.append(partner.community_area.name)
    return {
        "key": partner_key(partner.id),
        "type": "partner",
        "title": partner.name,
        "summary": partner.mission,
        "summary_es": partner.mission_es,
        "partner": partner.name,
        "places": " ".join(dict.fromkeys(places)),
        "spell": _join(partner.name, " ".join(dict.fromkeys(places))),
        "created": _timestamp(partner.created_at),
    }
