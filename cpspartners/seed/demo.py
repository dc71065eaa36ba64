"""A deterministic demo directory on top of the real schools.

The same ``seed`` and ``today`` always give the same rows. Rows are keyed by external ids
(``demo-p-00001``, ``demo-o-000001``), and only missing ones are inserted, so seeding twice
changes nothing and ``--scale 100000`` after a plain seed adds just the difference.
Rows go in through bulk Core inserts: fast enough for 100,000 opportunities.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from cpspartners.extensions import db
from cpspartners.models import (
    CommunityArea,
    Opportunity,
    OpportunityCluster,
    OpportunityTag,
    Partner,
    School,
    Verification,
    VettingRecord,
    opportunity_school,
    partner_area,
)
from cpspartners.models.statistics import DIRECTORY_TABLES, analyze
from cpspartners.search import sync
from cpspartners.seed.demo_content import KIND_TEMPLATES, MISSIONS, MISSIONS_ES, NOUNS, PARTNER_PATTERNS, TOPICS
from cpspartners.services import vetting
from cpspartners.taxonomy import OPPORTUNITY_KINDS
from cpspartners.text import slugify

DEFAULT_PARTNERS = 300
DEFAULT_OPPORTUNITIES = 3000
MAX_OPPORTUNITIES = 100_000

# The kinds the demo directory cycles through: the adult kinds added later are left out, so the
# demo stays the same directory it was (its real examples come from ``seed.programmes``).
DEMO_KINDS = tuple(kind for kind in OPPORTUNITY_KINDS if kind[0] not in ("digital_literacy", "adult_upskilling"))
BATCH = 2000


def partner_count_for(opportunities):
    """About one partner per ten opportunities, never fewer than the default few hundred."""
    return max(DEFAULT_PARTNERS, min(opportunities // 10, 5000))


def jitter(rng, lat, lon, spread=0.01):
    """A point near (lat, lon), at most ``spread`` degrees off each way."""
    return round(lat + rng.uniform(-spread, spread), 6), round(lon + rng.uniform(-spread, spread), 6)


# Every rng call below keeps its place in the sequence: the same seed must keep giving the same
# rows, and splitting a function must not reorder its draws.


def _partner_words(rng, n, name, area, noun):
    """A partner's mission (in Spanish for about half) and contact details."""
    mission_index = rng.randrange(len(MISSIONS))
    return {
        "mission": MISSIONS[mission_index].format(area=area.name, noun_l=noun.lower()) + " (Demo listing.)",
        "mission_es": MISSIONS_ES[mission_index].format(area=area.name) if rng.random() < 0.5 else "",
        "website": "https://example.org/%s" % slugify(name, 40),
        "contact_email": "hello-%d@example.org" % n,
        "contact_phone": "312555%04d" % (n % 10000),
        "address": "%d W Demo St (demo address)" % rng.randint(100, 9900),
    }


def _partner_status(n):
    return "pending" if n % 25 == 0 else ("inactive" if n % 40 == 0 else "active")


def make_partner(rng, n, areas):
    """Demo partner ``n``: ``{"row": its columns, "areas": the community areas it serves}``."""
    kind, pattern = PARTNER_PATTERNS[n % len(PARTNER_PATTERNS)]
    area = rng.choice(areas)
    noun = rng.choice(NOUNS)
    name = pattern.format(area=area.name, noun=noun)
    lat, lon = jitter(rng, area.centroid_lat, area.centroid_lon)
    served = {area.number} | {rng.choice(areas).number for _ in range(rng.randint(0, 4))}
    row = {
        "external_id": "demo-p-%05d" % n,
        "slug": "%s-%d" % (slugify(name, 100), n),
        "name": name,
        "kind": kind,
        **_partner_words(rng, n, name, area, noun),
        "latitude": lat,
        "longitude": lon,
        "community_area_number": area.number,
        "languages": rng.choice(("en", "en", "en,es", "en,es", "en,pl", "en,zh")),
        "status": _partner_status(n),
    }
    return {"row": row, "areas": served}


SCHEDULES = (  # (English, Spanish)
    ("Saturdays 10am-1pm", "Sábados de 10:00 a 13:00"),
    ("Weekdays after school", "Entre semana después de clases"),
    ("One afternoon", "Una tarde"),
    ("Six weeks in summer", "Seis semanas en verano"),
    ("Tuesdays and Thursdays 4-6pm", "Martes y jueves de 16:00 a 18:00"),
)


def _capitalized(text):
    return text[0].upper() + text[1:]


def _add_facts(row, rng, partner, schools_by_band, today):
    """Where and when: modality, place, dates, pay and status. Returns the schools it is
    offered at and when it was last verified, which are not columns of the row."""
    modality = row["modality"] = rng.choices(("in_person", "virtual", "hybrid"), (70, 15, 15))[0]
    band = "HS" if row["grade_min"] >= 9 else "ES"
    at_schools = rng.sample(schools_by_band[band], rng.randint(1, 3)) if rng.random() < 0.35 else []
    starts = row["starts_on"] = today + timedelta(days=rng.randint(-30, 200))
    row["deadline"] = starts - timedelta(days=rng.randint(3, 45)) if rng.random() < 0.8 else None
    kind = row["kind"]
    row["paid"] = kind == "internship" or (kind in ("skilled_trades", "mentoring") and rng.random() < 0.3)
    in_person = modality != "virtual"
    row["latitude"], row["longitude"] = (
        jitter(rng, partner["latitude"], partner["longitude"], 0.004) if in_person else (None, None)
    )
    row["location_name"], row["address"] = (partner["name"], partner["address"]) if in_person else ("", "")
    row["community_area_number"] = partner["community_area_number"] if in_person else None
    row["status"] = rng.choices(("published", "pending_review", "draft", "archived"), (90, 4, 3, 3))[0]
    return at_schools, datetime.combine(today - timedelta(days=rng.randint(0, 400)), time(12), UTC)


def _add_texts(row, rng, n, texts, topic, topic_es, org, spanish):
    """Slug, titles, summaries and descriptions: English always, Spanish for some."""
    title_en, title_es, summary_en, summary_es = texts
    row["title"] = _capitalized(title_en.format(topic=topic))
    row["slug"] = "%s-%d" % (slugify(row["title"], 100), n)
    row["title_es"] = _capitalized(title_es.format(topic_es=topic_es)) if spanish else ""
    row["summary"] = summary_en.format(topic=topic, org=org)
    row["summary_es"] = row["description_es"] = summary_es.format(topic_es=topic_es, org=org) if spanish else ""
    travel = "Transportation support is provided." if rng.random() < 0.3 else "Students arrange their own travel."
    row["description"] = "%s Open to grades %d-%d. %s" % (row["summary"], row["grade_min"], row["grade_max"], travel)


def _add_terms(row, rng, topic, partner, spanish):
    """How long, when, how many, what it costs or pays, and in which languages."""
    row["ends_on"] = row["starts_on"] + timedelta(days=rng.choice((0, 0, 1, 5, 30, 60)))
    row["schedule"], schedule_es = rng.choice(SCHEDULES)
    row["schedule_es"] = schedule_es if spanish else ""
    row["capacity"] = rng.choice((None, 10, 15, 20, 25, 30, 60))
    row["stipend"] = "$%d" % rng.choice((300, 500, 900, 1500)) if row["paid"] else ""
    row["transportation"] = rng.random() < 0.3
    row["cost_cents"] = 0 if rng.random() < 0.9 else rng.choice((500, 1000, 2500))
    row["languages"] = "en,es" if spanish else partner["languages"]
    row["credential"] = ("%s certificate" % topic.title()) if row["kind"] == "certification" else ""
    row["college_credit"] = row["kind"] == "early_college"


def make_opportunity(rng, n, partner, schools_by_band, today):
    """Demo opportunity ``n`` of ``partner``: ``(row, cluster, tags, school ids)``."""
    kind = DEMO_KINDS[n % len(DEMO_KINDS)][0]
    *texts, (lo, hi), audience = KIND_TEMPLATES[kind]
    cluster, topic, topic_es, tags = rng.choice(TOPICS)
    # A bilingual partner writes its listings in both languages; others, now and then. The draw
    # comes first and always happens, so the same seed keeps giving the same rows after it.
    spanish = rng.random() < 0.3 or "es" in partner["languages"].split(",")
    row = {"external_id": "demo-o-%06d" % n, "partner_id": partner["id"], "kind": kind}
    row.update(grade_min=lo, grade_max=hi, audience=audience)
    at_schools, verified = _add_facts(row, rng, partner, schools_by_band, today)
    _add_texts(row, rng, n, texts, topic, topic_es, partner["name"], spanish)
    _add_terms(row, rng, topic, partner, spanish)
    row["last_verified_at"] = verified if rng.random() < 0.85 else None
    return row, cluster, tags, list(at_schools)


def _insert(model_or_table, rows):
    """One bulk Core insert; nothing at all for no rows."""
    if rows:
        db.session.execute(insert(model_or_table), rows)


def _demo_partner_ids():
    """``{external id: id}`` of the demo partners in the database."""
    stmt = select(Partner.external_id, Partner.id).where(Partner.external_id.like("demo-p-%"))
    return dict(db.session.execute(stmt).all())


def _verification_row(rng, partner_id, today):
    return {
        "partner_id": partner_id,
        "method": rng.choice(("call", "site_visit", "attestation")),
        "verified_at": datetime.combine(today - timedelta(days=rng.randint(0, 300)), time(12), UTC),
        "note": "Demo verification.",
    }


def _add_partner_records(rng, partner_id, made, today):
    """A new partner's community areas, its vetting records and, when active, a verification."""
    _insert(partner_area, [{"partner_id": partner_id, "community_area_number": a} for a in sorted(made["areas"])])
    _insert(VettingRecord, vetting_rows(rng, partner_id, today))
    if made["row"]["status"] == "active":
        _insert(Verification, [_verification_row(rng, partner_id, today)])


def seed_partners(rng, total, areas, today, progress):
    """Insert the demo partners not yet there; returns (every demo partner's row with its id, how many were new)."""
    existing = set(db.session.scalars(select(Partner.external_id).where(Partner.external_id.like("demo-p-%"))))
    made = [make_partner(rng, n, areas) for n in range(1, total + 1)]
    new = [p for p in made if p["row"]["external_id"] not in existing]
    _insert(Partner, [p["row"] for p in new])
    ids = _demo_partner_ids()
    for p in new:
        _add_partner_records(rng, ids[p["row"]["external_id"]], p, today)
        progress(1)
    for p in made:
        p["row"]["id"] = ids[p["row"]["external_id"]]
    return [p["row"] for p in made], len(new)


KINDS = ("agreement", "insurance", "background_check")


def vetting_rows(rng, partner_id, today):
    """A partner's agreement, insurance and background check, so the demo shows the gate at work:
    about 70% of partners hold all three current, 10% have one expiring within six weeks (the
    sweep will hide their listings for students that day), 10% never filed one, 7% let one
    expire in the last three months, and 3% (new partners) have none yet."""
    profile = rng.random()
    odd = rng.choice(KINDS)  # the record that is expiring, missing or expired
    rows = []
    for kind in KINDS:
        issued = today - timedelta(days=rng.randint(10, 330))
        expires = issued + timedelta(days=365)
        if profile >= 0.97 or (0.80 <= profile < 0.90 and kind == odd):
            continue
        if 0.70 <= profile < 0.80 and kind == odd:
            expires = today + timedelta(days=rng.randint(1, 42))
            issued = expires - timedelta(days=365)
        elif 0.90 <= profile < 0.97 and kind == odd:
            expires = today - timedelta(days=rng.randint(1, 90))
            issued = expires - timedelta(days=365)
        rows.append(
            {
                "partner_id": partner_id,
                "kind": kind,
                "issued_on": issued,
                "expires_on": expires,
                "subject": "Program staff" if kind == "background_check" else "",
            }
        )
    return rows


def _schools_by_band():
    """School ids of high schools ("HS") and of every other school ("ES")."""
    found = {"HS": [], "ES": []}
    for school_id, category in db.session.execute(select(School.id, School.category).order_by(School.id)):
        found["HS" if category == "HS" else "ES"].append(school_id)
    return found


def _insert_opportunities(batch):
    """Insert made opportunities with their clusters, tags and schools."""
    if not batch:
        return
    _insert(Opportunity, [b[0] for b in batch])
    stmt = select(Opportunity.external_id, Opportunity.id).where(
        Opportunity.external_id.in_([b[0]["external_id"] for b in batch])
    )
    ids = dict(db.session.execute(stmt).all())
    _insert(OpportunityCluster, [{"opportunity_id": ids[b[0]["external_id"]], "cluster": b[1]} for b in batch])
    _insert(OpportunityTag, [{"opportunity_id": ids[b[0]["external_id"]], "tag": t} for b in batch for t in b[2]])
    _insert(
        opportunity_school,
        [{"opportunity_id": ids[b[0]["external_id"]], "school_id": s} for b in batch for s in b[3]],
    )


def seed_opportunities(rng, total, partners, today, progress):
    """Insert the demo opportunities not yet there, ``BATCH`` at a time; returns how many."""
    schools_by_band = _schools_by_band()
    existing = set(db.session.scalars(select(Opportunity.external_id).where(Opportunity.external_id.like("demo-o-%"))))
    created = 0
    for start in range(1, total + 1, BATCH):
        # Every one is made, even those already there, so the draws stay in the same order.
        made = [
            make_opportunity(rng, n, partners[n % len(partners)], schools_by_band, today)
            for n in range(start, min(start + BATCH, total + 1))
        ]
        batch = [m for m in made if m[0]["external_id"] not in existing]
        _insert_opportunities(batch)
        created += len(batch)
        progress(min(BATCH, total + 1 - start))
    return created


def seed_demo(opportunities=DEFAULT_OPPORTUNITIES, seed=2026, today=None, progress=lambda n: None):
    """Create the demo directory in one transaction. Needs ``seed_schools`` first."""
    if not 1 <= opportunities <= MAX_OPPORTUNITIES:
        raise ValueError("opportunities must be between 1 and %d" % MAX_OPPORTUNITIES)
    today = today or date.today()
    areas = db.session.scalars(select(CommunityArea).order_by(CommunityArea.number)).all()
    if not areas or not db.session.scalar(select(School.id).limit(1)):
        raise LookupError("No schools yet: run `flask seed schools` first.")
    rng = random.Random(seed)
    # Core inserts skip the index's session events anyway; the refresh below would otherwise note
    # every listing for the index one by one. The caller rebuilds the index (``flask seed demo``).
    with sync.bulk(db.session):
        try:
            partners, new_partners = seed_partners(rng, partner_count_for(opportunities), areas, today, progress)
            new_opps = seed_opportunities(random.Random(seed + 1), opportunities, partners, today, progress)
            # Bulk inserts set no flags: the gate is computed from the records just written.
            vetting.refresh_all(today, [p["id"] for p in partners])
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    analyze(DIRECTORY_TABLES)
    return {"partners": new_partners, "opportunities": new_opps}
