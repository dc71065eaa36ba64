"""The families' programmes of the source documents: Chicago Connected and the Coursera licences,
as real partners and public listings for families, in both languages, found by search and linked
from the home page, loaded by ``flask seed programmes`` (idempotent, vetting through an exemption)."""

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Opportunity, Partner, SeatPool
from cpspartners.seed.programmes import seed_programmes


@pytest.fixture
def programmes(app):
    seed_programmes()


def test_seed_programmes_is_idempotent(programmes, app):
    def state():
        partners = {p.external_id: (p.id, p.vetted, p.vetting_exemption) for p in db.session.scalars(select(Partner))}
        listings = {o.external_id: (o.id, o.status, o.title) for o in db.session.scalars(select(Opportunity))}
        audits = db.session.scalar(select(func.count()).select_from(AuditEntry))
        pools = db.session.scalar(select(func.count()).select_from(SeatPool))
        return partners, listings, audits, pools

    before = state()
    result = app.test_cli_runner().invoke(args=["seed", "programmes"])
    assert result.exit_code == 0, result.output
    assert state() == before
    assert set(before[0]) == {"chicago-connected", "coursera", "cps-parent-universities"}
    assert before[3] == 1


def test_partners_stand_outside_the_gate_only_by_a_recorded_exemption(programmes):
    for partner in db.session.scalars(select(Partner)):
        assert partner.vetted and partner.vetting_exemption, partner.name
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == partner.id, AuditEntry.action == "exempted")
        ).one()
        assert entry.actor_id is None  # the seed: "system"


def test_listings_are_public_for_families_through_the_public_rule(programmes):
    listings = db.session.scalars(select(Opportunity).order_by(Opportunity.id)).all()
    assert len(listings) == 3
    assert all(o.is_public and o.audience == "families" for o in listings)
    assert {o.kind for o in listings} == {"digital_literacy", "adult_upskilling"}
    # The rule decides, not the seed: archive the partner and its listings leave the public side.
    connected = db.session.scalars(select(Partner).where(Partner.external_id == "chicago-connected")).one()
    connected.status = "inactive"
    db.session.commit()
    assert (
        not db.session.scalars(select(Opportunity).where(Opportunity.slug == "chicago-connected-free-home-internet"))
        .one()
        .is_public
    )


def test_listings_say_what_who_and_how_in_both_languages_and_link_the_official_pages(programmes, client, es_client):
    page = client.get("/opportunities/chicago-connected-free-home-internet").get_data(as_text=True)
    for words in (
        "What it offers",
        "Who is eligible",
        "How to take part",
        "https://cps.edu/getconnected",
        "cannot sign you up",
    ):
        assert words in page, words
    spanish = es_client.get("/opportunities/chicago-connected-free-home-internet").get_data(as_text=True)
    assert "Internet gratis de alta velocidad" in spanish and "Quién califica" in spanish
    licences = client.get("/opportunities/coursera-learning-licences-for-families").get_data(as_text=True)
    assert "four months" in licences and "Parent Universit" in licences and "IT support" in licences


def test_the_coursera_pool_lasts_four_months_and_waits_for_the_administrator_to_share_it(programmes):
    pool = db.session.scalars(select(SeatPool)).one()
    assert (pool.validity_days, pool.total_seats, pool.provider.name) == (120, 1000, "Coursera")
    assert pool.opportunity.slug == "coursera-learning-licences-for-families"
    assert pool.allocations == []  # the split between distributors is not public: specialists make it


@pytest.mark.parametrize("words", ["internet", "broadband", "internet gratis", "IT support", "data analytics"])
def test_search_finds_the_family_programmes(programmes, client, words):
    html = client.get("/search", query_string={"q": words}).get_data(as_text=True)
    assert "Chicago Connected" in html or "Coursera" in html


def test_spanish_search_for_free_internet_finds_chicago_connected(programmes, es_client):
    html = es_client.get("/search", query_string={"q": "internet gratis"}).get_data(as_text=True)
    assert (
        'href="/opportunities/chicago-connected-free-home-internet" lang="es">Chicago Connected: <mark>internet</mark>'
        in html
    )


def test_home_page_family_entry_point_leads_to_the_programmes(programmes, client, es_client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/families"' in home
    families = client.get("/families").get_data(as_text=True)
    assert "https://cps.edu/getconnected" in families
    assert 'href="/licences"' in families
    assert "Chicago Connected: free high-speed home internet" in families
    assert "Internet gratis en casa" in es_client.get("/families").get_data(as_text=True)


def test_partners_are_in_the_directory(programmes, client):
    html = client.get("/partners").get_data(as_text=True)
    assert "Chicago Connected" in html and "Coursera" in html and "CPS Parent Universities" in html
