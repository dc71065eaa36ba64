"""The shared read side: what the public may see and what a student may apply to.

Each rule is one hybrid property on the models; these tests hold the loaded-row reading and the
SQL reading to each other, and to what the rule says in words.
"""

from datetime import date, timedelta
from itertools import product

from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, queries
from cpspartners.taxonomy import OPPORTUNITY_STATUSES, PARTNER_STATUSES, codes

TODAY = date(2030, 6, 15)


def ids_where(clause):
    return set(db.session.scalars(select(Opportunity.id).where(clause)))


def test_public_means_published_by_an_active_partner(app, make_partner, make_opportunity):
    expected = set()
    for partner_status in codes(PARTNER_STATUSES):
        partner = make_partner(status=partner_status)
        for status in codes(OPPORTUNITY_STATUSES):
            opp = make_opportunity(partner=partner, status=status)
            if (status, partner_status) == ("published", "active"):
                expected.add(opp.id)
    loaded = db.session.scalars(select(Opportunity)).all()
    assert {opp.id for opp in loaded if opp.is_public} == expected
    assert {opp.id for opp in db.session.scalars(queries.public_opportunities())} == expected
    assert {p.id for p in db.session.scalars(select(Partner)) if p.is_active} == {
        p.id for p in db.session.scalars(queries.public_partners())
    }


def test_a_partner_archived_in_the_session_hides_its_listings_at_once(app, make_opportunity):
    """The property reads the partner row, not a copy taken when the listing was loaded."""
    opp = make_opportunity()
    assert opp.is_public
    opp.partner.status = "inactive"
    assert not opp.is_public
    assert opp.id not in ids_where(Opportunity.is_public)  # autoflushed


def test_applications_rules_agree_in_python_and_sql(app, make_partner, make_opportunity):
    partner, archived = make_partner(), make_partner(status="inactive")
    deadlines = (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))
    seats = ((None, 0), (2, 1), (2, 2), (0, 0))
    for owner, deadline, (capacity, taken), status in product(
        (partner, archived), deadlines, seats, ("published", "draft")
    ):
        make_opportunity(partner=owner, deadline=deadline, capacity=capacity, seats_taken=taken, status=status)
    loaded = db.session.scalars(select(Opportunity)).all()
    taking = {o.id for o in loaded if o.is_public and (o.deadline is None or o.deadline >= TODAY)}
    with_seat = {o.id for o in loaded if o.capacity is None or o.seats_taken < o.capacity}
    assert (
        {o.id for o in loaded if o.takes_applications(TODAY)}
        == taking
        == ids_where(Opportunity.takes_applications(TODAY))
    )
    assert len(taking) == 3 * 4  # rolling, today and tomorrow, each with every seat count
    assert {o.id for o in loaded if o.open_for_applications(TODAY)} == taking & with_seat
    assert ids_where(Opportunity.open_for_applications(TODAY)) == taking & with_seat
    assert len(taking & with_seat) == 3 * 2
