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
from cpspartners.seed.demo_content import KIND_TEMPLATES, MISSIONS, MISSIONS_ES, NOUNS, PARTNER_PATTERNS, TOPICS
from cpspartners.taxonomy import OPPORTUNITY_KINDS
from cpspartners.text import slugify

DEFAULT_PARTNERS = 300
DEFAULT_OPPORTUNITIES = 3000
MAX_OPPORTUNITIES = 100_000
BATCH = 2000


def partner_count_for(opportunities):
    """About one partner per ten opportunities, never fewer than the default few hundred."""
    return max(DEFAULT_PARTNERS, min(opportunities // 10, 5000))


def jitter(rng, lat, lon, spread=0.01):
    return round(lat + rng.uniform(-spread, spread), 6), round(lon + rng.uniform(-spread, spread), 6)


def make_partner(rng, n, areas):
    kind, pattern = PARTNER_PATTERNS[n % len(PARTNER_PATTERNS)]
    area = rng.choice(areas)
    noun = rng.choice(NOUNS)
    name = pattern.format(area=area.name, noun=noun)
    lat, lon = jitter(rng, area.centroid_lat, area.centroid_lon)
    served = {area.number} | {rng.choice(areas).number for _ in range(rng.randint(0, 4))}
    mission_index = rng.randrange(len(MISSIONS))
    return {
        "row": {
            "external_id": "demo-p-%05d" % n,
            "slug": "%s-%d" % (slugify(name, 100), n),
            "name": name,
            "kind": kind,
            "mission": MISSIONS[mission_index].format(area=area.name, noun_l=noun.lower()) + " (Demo listing.)",
            "mission_es": MISSIONS_ES[mission_index].format(area=area.name) if rng.random() < 0.5 else "",
            "website": "https://example.org/%s" % slugify(name, 40),
            "contact_email": "hello-%d@example.org" % n,
            "contact_phone": "312555%04d" % (n % 10000),
            "address": "%d W Demo St" % rng.randint(100, 9900),
            "latitude": lat,
            "longitude": lon,
            "community_area_number": area.number,
            "languages": rng.choice(("en", "en", "en,es", "en,es", "en,pl", "en,zh")),
            "status": "pending" if n % 25 == 0 else ("inactive" if n % 40 == 0 else "active"),
        },
        "areas": served,
    }


def make_opportunity(rng, n, partner, schools_by_band, today):
    kind = OPPORTUNITY_KINDS[n % len(OPPORTUNITY_KINDS)][0]
    title_en, title_es, summary_en, summary_es, grades, audience = KIND_TEMPLATES[kind]
    cluster, topic, topic_es, tags = rng.choice(TOPICS)
    org = partner["name"]
    spanish = rng.random() < 0.3
    lo, hi = grades
    title = title_en.format(topic=topic)
    title = title[0].upper() + title[1:]
    modality = rng.choices(("in_person", "virtual", "hybrid"), (70, 15, 15))[0]
    band = "HS" if lo >= 9 else "ES"
    at_schools = rng.sample(schools_by_band[band], rng.randint(1, 3)) if rng.random() < 0.35 else []
    starts = today + timedelta(days=rng.randint(-30, 200))
    deadline = starts - timedelta(days=rng.randint(3, 45)) if rng.random() < 0.8 else None
    paid = kind == "internship" or (kind in ("skilled_trades", "mentoring") and rng.random() < 0.3)
    lat, lon = (None, None) if modality == "virtual" else jitter(rng, partner["latitude"], partner["longitude"], 0.004)
    status = rng.choices(("published", "pending_review", "draft", "archived"), (90, 4, 3, 3))[0]
    verified = datetime.combine(today - timedelta(days=rng.randint(0, 400)), time(12), UTC)
    row = {
        "external_id": "demo-o-%06d" % n,
        "slug": "%s-%d" % (slugify(title, 100), n),
        "partner_id": partner["id"],
        "kind": kind,
        "title": title,
        "title_es": (title_es.format(topic_es=topic_es)[0].upper() + title_es.format(topic_es=topic_es)[1:])
        if spanish
        else "",
        "summary": summary_en.format(topic=topic, org=org),
        "summary_es": summary_es.format(topic_es=topic_es, org=org) if spanish else "",
        "description": "%s Open to grades %d-%d. %s"
        % (
            summary_en.format(topic=topic, org=org),
            lo,
            hi,
            "Transportation support is provided." if rng.random() < 0.3 else "Students arrange their own travel.",
        ),
        "description_es": summary_es.format(topic_es=topic_es, org=org) if spanish else "",
        "grade_min": lo,
        "grade_max": hi,
        "audience": audience,
        "modality": modality,
        "location_name": org if modality != "virtual" else "",
        "address": partner["address"] if modality != "virtual" else "",
        "latitude": lat,
        "longitude": lon,
        "community_area_number": partner["community_area_number"] if modality != "virtual" else None,
        "starts_on": starts,
        "ends_on": starts + timedelta(days=rng.choice((0, 0, 1, 5, 30, 60))),
        "schedule": rng.choice(
            (
                "Saturdays 10am-1pm",
                "Weekdays after school",
                "One afternoon",
                "Six weeks in summer",
                "Tuesdays and Thursdays 4-6pm",
            )
        ),
        "deadline": deadline,
        "capacity": rng.choice((None, 10, 15, 20, 25, 30, 60)),
        "paid": paid,
        "stipend": "$%d stipend" % rng.choice((300, 500, 900, 1500)) if paid else "",
        "transportation": rng.random() < 0.3,
        "cost_cents": 0 if rng.random() < 0.9 else rng.choice((500, 1000, 2500)),
        "languages": "en,es" if spanish else partner["languages"],
        "credential": ("%s certificate" % topic.title()) if kind == "certification" else "",
        "college_credit": kind == "early_college",
        "status": status,
        "last_verified_at": verified if rng.random() < 0.85 else None,
    }
    return row, cluster, tags, list(at_schools)


def _insert(model_or_table, rows):
    if rows:
        db.session.execute(insert(model_or_table), rows)


def seed_partners(rng, total, areas, today, progress):
    existing = set(db.session.scalars(select(Partner.external_id).where(Partner.external_id.like("demo-p-%"))))
    made = []
    for n in range(1, total + 1):
        made.append(make_partner(rng, n, areas))
    new = [p for p in made if p["row"]["external_id"] not in existing]
    _insert(Partner, [p["row"] for p in new])
    ids = dict(
        db.session.execute(select(Partner.external_id, Partner.id).where(Partner.external_id.like("demo-p-%"))).all()
    )
    for p in new:
        pid = ids[p["row"]["external_id"]]
        _insert(partner_area, [{"partner_id": pid, "community_area_number": a} for a in sorted(p["areas"])])
        _insert(VettingRecord, vetting_rows(rng, pid, today))
        if p["row"]["status"] == "active":
            _insert(
                Verification,
                [
                    {
                        "partner_id": pid,
                        "method": rng.choice(("call", "site_visit", "attestation")),
                        "verified_at": datetime.combine(today - timedelta(days=rng.randint(0, 300)), time(12), UTC),
                        "note": "Demo verification.",
                    }
                ],
            )
        progress(1)
    for p in made:
        p["row"]["id"] = ids[p["row"]["external_id"]]
    return [p["row"] for p in made], len(new)


def vetting_rows(rng, partner_id, today):
    rows = []
    for kind in ("agreement", "insurance", "background_check"):
        if rng.random() < 0.08:
            continue  # some partners are missing a record, as in life
        issued = today - timedelta(days=rng.randint(30, 700))
        rows.append(
            {
                "partner_id": partner_id,
                "kind": kind,
                "issued_on": issued,
                "expires_on": issued + timedelta(days=365 * rng.choice((1, 2))),
                "subject": "Program staff" if kind == "background_check" else "",
            }
        )
    return rows


def seed_opportunities(rng, total, partners, today, progress):
    schools_by_band = {"HS": [], "ES": []}
    for school_id, category in db.session.execute(select(School.id, School.category).order_by(School.id)):
        schools_by_band["HS" if category == "HS" else "ES"].append(school_id)
    existing = set(db.session.scalars(select(Opportunity.external_id).where(Opportunity.external_id.like("demo-o-%"))))
    created = 0
    for start in range(1, total + 1, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, total + 1)):
            made = make_opportunity(rng, n, partners[n % len(partners)], schools_by_band, today)
            if made[0]["external_id"] not in existing:
                batch.append(made)
        _insert(Opportunity, [b[0] for b in batch])
        ids = (
            dict(
                db.session.execute(
                    select(Opportunity.external_id, Opportunity.id).where(
                        Opportunity.external_id.in_([b[0]["external_id"] for b in batch])
                    )
                ).all()
            )
            if batch
            else {}
        )
        _insert(OpportunityCluster, [{"opportunity_id": ids[b[0]["external_id"]], "cluster": b[1]} for b in batch])
        _insert(OpportunityTag, [{"opportunity_id": ids[b[0]["external_id"]], "tag": t} for b in batch for t in b[2]])
        _insert(
            opportunity_school,
            [{"opportunity_id": ids[b[0]["external_id"]], "school_id": s} for b in batch for s in b[3]],
        )
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
    try:
        partners, new_partners = seed_partners(rng, partner_count_for(opportunities), areas, today, progress)
        new_opps = seed_opportunities(random.Random(seed + 1), opportunities, partners, today, progress)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return {"partners": new_partners, "opportunities": new_opps}
