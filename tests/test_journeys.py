"""The journeys without friction (issue 14), checked without a browser: demo marks, no dead
ends, next steps, accounts people run themselves, newsletters by name."""

from cpspartners.extensions import db


def test_demo_listings_and_partners_say_they_are_demo(client, es_client, make_partner, make_opportunity):
    demo = make_partner(name="Pilsen Makers Works", slug="pilsen-makers-works-1", external_id="demo-p-00001")
    make_opportunity(slug="demo-listing", partner=demo, external_id="demo-o-000001")
    real = make_partner(name="Real Partner", slug="real-partner")
    make_opportunity(slug="real-listing", partner=real, external_id="import-42")
    listing = client.get("/opportunities/demo-listing").text
    assert "badge-demo" in listing and "made-up listing" in listing
    assert "badge-demo" in client.get("/partners/pilsen-makers-works-1").text
    assert "badge-demo" not in client.get("/opportunities/real-listing").text
    assert "badge-demo" not in client.get("/partners/real-partner").text
    assert "Demostración" in es_client.get("/opportunities/demo-listing").text


def test_the_demo_seed_marks_its_rows_and_writes_no_real_looking_address(app):
    from sqlalchemy import select

    from cpspartners.models import Opportunity, Partner
    from cpspartners.seed.demo import seed_demo

    seed_demo(opportunities=60, seed=5)
    partners = db.session.scalars(select(Partner)).all()
    assert partners and all(p.is_demo for p in partners)
    assert all("demo address" in p.address for p in partners)
    assert not any("City Colleges" in p.name for p in partners)
    listings = db.session.scalars(select(Opportunity)).all()
    assert listings and all(o.is_demo for o in listings)
    # A bilingual partner writes its listings in Spanish too.
    bilingual = [o for o in listings if "es" in o.partner.language_codes]
    assert bilingual and all(o.title_es for o in bilingual)
