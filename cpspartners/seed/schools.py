"""Load CPS schools, community areas and real CTE programmes from ``data/``.

Every load is an upsert keyed by the real ids (school id, area number, an external id for
each CTE programme), so running it twice changes nothing.
"""

import csv
import os

from cpspartners.extensions import db
from cpspartners.models import CommunityArea, Opportunity, Partner, School
from cpspartners.models.statistics import DIRECTORY_TABLES, SCHOOL_TABLES, analyze
from cpspartners.services import vetting
from cpspartners.taxonomy import CLUSTER_BY_NAME
from cpspartners.text import parse_grade, slugify

CPS_CTE_PARTNER = "cps-cte"
CPS_CTE_EXEMPTION = (
    "District-run programme: CPS CTE courses are taught by CPS staff in CPS schools, covered by the "
    "district's own employment screening and insurance, so no outside partner agreement, certificate "
    "or background check applies."
)


def read_csv(data_dir, name):
    """The rows of ``data/<name>`` as dicts (a byte-order mark is dropped)."""
    with open(os.path.join(data_dir, name), newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _float(value):
    return float(value) if value not in (None, "") else None


def _int(value):
    return int(float(value)) if value not in (None, "") else None


def load_areas(data_dir):
    """Upsert the 77 community areas with their hardship figures; returns how many."""
    hardship = {
        row["community_area_number"]: row for row in read_csv(data_dir, "community_area_socioeconomic_2008_2012.csv")
    }
    count = 0
    for row in read_csv(data_dir, "community_areas.csv"):
        number = int(row["community_area_number"])
        area = db.session.get(CommunityArea, number) or CommunityArea(number=number)
        socio = hardship.get(row["community_area_number"], {})
        area.name = row["community_area_name"]
        area.centroid_lat = float(row["centroid_latitude"])
        area.centroid_lon = float(row["centroid_longitude"])
        area.land_area_sq_mi = _float(row["land_area_sq_mi"])
        area.hardship_index = _int(socio.get("hardship_index"))
        area.per_capita_income = _int(socio.get("per_capita_income"))
        area.percent_below_poverty = _float(socio.get("percent_households_below_poverty"))
        db.session.add(area)
        count += 1
    db.session.flush()
    return count


def _fill_school(school, row):
    """Copy one row of the CPS school profile into ``school``."""
    school.short_name = row["short_name"]
    school.long_name = row["long_name"]
    school.category = row["primary_category"]
    school.grades_offered = row["grades_offered"]
    school.lowest_grade = parse_grade(row["lowest_grade"])
    school.highest_grade = parse_grade(row["highest_grade"])
    school.address = row["address"]
    school.zip = row["zip"]
    school.phone = row["phone"]
    school.website = row["website"]
    school.latitude = float(row["latitude"])
    school.longitude = float(row["longitude"])
    school.network = row["network"]
    school.community_area_number = int(row["community_area_number"])
    school.student_count = _int(row["student_count_total"]) or 0
    school.summary = (row["summary"] or "").strip().strip('"')


def load_schools(data_dir):
    """Upsert every school that has a place and a community area; returns how many."""
    count = 0
    for row in read_csv(data_dir, "cps_schools_sy2425.csv"):
        if not row["latitude"] or not row["community_area_number"]:
            continue
        school_id = int(row["school_id"])
        school = db.session.get(School, school_id) or School(id=school_id)
        _fill_school(school, row)
        db.session.add(school)
        count += 1
    db.session.flush()
    return count


def cps_partner():
    """The CPS CTE department as the partner that offers every CTE programme (upserted)."""
    partner = Partner.query.filter_by(external_id=CPS_CTE_PARTNER).one_or_none()
    if partner is None:
        partner = Partner(external_id=CPS_CTE_PARTNER, slug="cps-career-technical-education")
    partner.name = "Chicago Public Schools \u2014 Career & Technical Education"
    partner.kind = "government"
    partner.mission = (
        "CPS Career & Technical Education (CTE) programmes give high-school students hands-on "
        "pathways into skilled trades and careers, with industry certifications and early college credit."
    )
    partner.mission_es = (
        "Los programas de Educación Técnica y Profesional (CTE) de CPS ofrecen a los estudiantes de "
        "secundaria trayectorias prácticas hacia oficios y carreras, con certificaciones y créditos universitarios."
    )
    partner.website = "https://www.cps.edu/academics/career-and-technical-education/"
    partner.languages = "en,es"
    partner.status = "active"
    db.session.add(partner)
    db.session.flush()
    # Not a silent bypass of the vetting gate: a recorded exemption, audited, that a specialist
    # can see and remove on the partner's review page.
    vetting.set_exemption(None, partner, CPS_CTE_EXEMPTION)
    return partner


def crosswalk(data_dir):
    """CPS CTE (cluster, specialty) -> 2024 cluster code; a blank specialty is the default."""
    table = {}
    for row in read_csv(data_dir, "cps_cte_to_career_clusters_2024.csv"):
        code = CLUSTER_BY_NAME.get(row["cluster"])
        table[(row["cte_cluster"], row["cte_specialty"])] = (code, row["sub_cluster"])
    return table


def cte_kind(pathway):
    """Skilled trades for the hands-on pathways, certification for the rest."""
    trades = (
        "Construction",
        "Carpentry",
        "Transportation",
        "Manufacturing",
        "Machine",
        "Welding",
        "Cosmetology",
        "Culinary",
    )
    return "skilled_trades" if any(word in pathway for word in trades) else "certification"


def _cte_texts(opp, pathway, school, sub_cluster, row):
    """Titles, summaries and the admission facts, from the programme's row."""
    opp.title = f"{pathway} (CTE) at {school.long_name}"
    opp.title_es = f"{pathway} (CTE) en {school.long_name}"
    opp.summary = f"A Career & Technical Education pathway in {pathway} for students at {school.long_name}." + (
        f" Part of the {sub_cluster} sub-cluster." if sub_cluster else ""
    )
    opp.summary_es = (
        f"Una trayectoria de Educación Técnica y Profesional en {pathway} para estudiantes de {school.long_name}."
    )
    opp.description = (
        f"Admission: {row['application_requirements'] or 'see the school'}; "
        f"selection: {row['selection_type'] or 'see the school'}; priority: {row['priority'] or 'general'}."
    )


def _cte_at_school(opp, school):
    """In person at the school that offers it, for its grades 9 to 12, in English."""
    opp.grade_min, opp.grade_max = 9, 12
    opp.audience = "students"
    opp.modality = "in_person"
    opp.location_name = school.long_name
    opp.address = school.address
    opp.latitude, opp.longitude = school.latitude, school.longitude
    opp.community_area_number = school.community_area_number
    opp.schools = [school]
    opp.schedule = "School-year programme, grades 9-12"
    opp.languages = "en"


def _cte_opportunity(row, school, partner, table):
    """The published opportunity for one CTE programme row, found by external id or new."""
    pathway = row["cte_pathway"] or row["program_focus"]
    external_id = "cps-cte-%s-%s" % (school.id, slugify(pathway, 60))
    opp = Opportunity.query.filter_by(external_id=external_id).one_or_none()
    if opp is None:
        opp = Opportunity(external_id=external_id, slug=slugify(f"{pathway} {school.short_name} {school.id}", 150))
    code, sub_cluster = table.get((row["cte_cluster"], row["cte_specialty"])) or table.get(
        (row["cte_cluster"], ""), (None, "")
    )
    opp.partner = partner
    opp.kind = cte_kind(pathway)
    _cte_texts(opp, pathway, school, sub_cluster, row)
    _cte_at_school(opp, school)
    opp.clusters = [code] if code else []
    opp.tags = [word for word in slugify(pathway).split("-") if len(word) > 3][:4]
    opp.credential = "Industry-recognized certification (varies by pathway)"
    opp.status = "published"
    return opp


def load_cte_programs(data_dir):
    """Each real CTE programme becomes a published opportunity at the school that offers it."""
    partner = cps_partner()
    table = crosswalk(data_dir)
    count = 0
    for row in read_csv(data_dir, "cps_school_programs_2024.csv"):
        school = db.session.get(School, int(row["school_id"])) if row["is_cte"] == "true" else None
        if school is None:
            continue
        db.session.add(_cte_opportunity(row, school, partner, table))
        count += 1
    db.session.flush()
    return count


def seed_schools(data_dir):
    """Load everything real, in one transaction; returns counts by kind."""
    counts = {
        "community areas": load_areas(data_dir),
        "schools": load_schools(data_dir),
        "CTE programmes": load_cte_programs(data_dir),
    }
    db.session.commit()
    analyze(SCHOOL_TABLES + DIRECTORY_TABLES)  # the CTE programmes are partners and listings
    return counts
