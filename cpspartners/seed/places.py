"""Load the city's learning places from ``data/``: 81 library branches (with their usual hours),
617 parks and 259 Connect Chicago computer and training centres (a historical directory).

An upsert keyed by each source's own id, so running it twice changes nothing. Places are not
in the search index (the search page lists matching places beside the results from the
database itself), so nothing here needs a rebuild.
"""

from cpspartners.extensions import db
from cpspartners.models import CommunityArea, Place
from cpspartners.models.places import PLACE_SOURCES
from cpspartners.seed.schools import _int, read_csv

# The park facility columns whose meaning is clear from the source (data/PROVENANCE.md); the
# uncertain ones (fac_community_, fac_wheelchr_a...) are not shown until checked on the portal.
PARK_FACILITIES = (
    ("fac_gymnasium", "Gymnasium"),
    ("fac_fitness_ce", "Fitness center"),
    ("fac_pool_indoo", "Indoor pool"),
    ("fac_pool_outdo", "Outdoor pool"),
    ("fac_nature_cen", "Nature center"),
    ("fac_cultural_c", "Cultural center"),
    ("fac_gallery", "Gallery"),
    ("fac_conservato", "Conservatory"),
    ("fac_climbing_w", "Climbing wall"),
    ("fac_boxing_cen", "Boxing center"),
    ("fac_skate_park", "Skate park"),
    ("fac_track", "Track"),
    ("fac_playground", "Playground"),
    ("fac_beach", "Beach"),
    ("fac_garden", "Garden"),
    ("fac_tennis_cou", "Tennis courts"),
)


def _area(value, known):
    number = _int(value)
    return number if number in known else None


def _upsert(source, key, fields, known_areas, existing):
    place = existing.get((source, str(key)))
    if place is None:
        place = Place(source=source, source_key=str(key))
        db.session.add(place)
    place.kind = PLACE_SOURCES[source][0]
    fields["community_area_number"] = _area(fields.get("community_area_number"), known_areas)
    for name, value in fields.items():
        setattr(place, name, value)
    return place


def _library(row):
    return {
        # "Woodson Regional Library" already says so; "Albany Park" becomes "Albany Park Library".
        "name": row["branch_name"] if row["branch_name"].endswith("Library") else f"{row['branch_name']} Library",
        "organization_type": "Chicago Public Library",
        "address": row["address"],
        "zip": row["zip"],
        "phone": row["phone"],
        "website": row["website"],
        "hours": row["service_hours"],
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "community_area_number": row["community_area_number"],
    }


def _park(row):
    facilities = [name for column, name in PARK_FACILITIES if (_int(row.get(column)) or 0) > 0]
    return {
        "name": row["label"] or row["park_name"].title(),
        "organization_type": (row["park_class"] or "").title(),
        "address": (row["address"] or "").title(),
        "zip": row["zip"],
        "website": "",
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "community_area_number": row["community_area_number"],
        "facilities": ", ".join(facilities)[:300],
    }


def _centre(row):
    return {
        "name": row["organization_name"][:200],
        "organization_type": row["organization_type"][:80],
        "address": row["address"][:200],
        "zip": row["zip"][:5],
        "phone": row["phone"][:10],
        "website": (row["website"] or row["connect_chicago_url"])[:300],
        "hours": row["hours"][:300],
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "community_area_number": row["community_area_number"],
        "description": row["description"],
        "training_types": row["training_types"][:300],
        "training_description": " ".join(p for p in (row["training_headline"], row["training_description"]) if p),
        "accessibility": row["accessibility_detail"],
        "assistive_technology": row["assistive_technology"][:300],
        "public_computers": row["public_computers"][:60],
    }


LOADERS = (
    ("cpl", "chicago_public_library_branches.csv", "branch_name", _library),
    ("cpd", "chicago_park_district_parks.csv", "park_no", _park),
    ("connect", "connect_chicago_locations_historical.csv", "location_id", _centre),
)


def seed_places(data_dir):
    """Upsert every place, in one transaction; returns counts by source file. Rows without a
    location are skipped (a place the map and "near my school" cannot put anywhere)."""
    known_areas = set(db.session.scalars(db.select(CommunityArea.number)))
    if not known_areas:
        raise LookupError("Load the community areas first: flask seed schools")
    existing = {(p.source, p.source_key): p for p in db.session.scalars(db.select(Place))}  # one query, not 957
    counts = {}
    for source, filename, key, build in LOADERS:
        rows = [row for row in read_csv(data_dir, filename) if row["latitude"] and row["longitude"]]
        for row in rows:
            _upsert(source, row[key], build(row), known_areas, existing)
        counts[filename] = len(rows)
    db.session.commit()
    return counts
