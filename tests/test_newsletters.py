"""Composing newsletters: proposals, reordering, removal, rendering in the newsletter's language."""

from datetime import UTC, date, datetime, timedelta

import pytest

from cpspartners.services import newsletters
from cpspartners.services.newsletters import NewsletterError

TODAY = date(2026, 11, 23)
VERIFIED = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def listings(app, make_opportunity, curie):
    return {
        "soon": make_opportunity(
            title="Soon", title_es="Pronto", deadline=TODAY + timedelta(days=3), last_verified_at=VERIFIED, slug="soon"
        ),
        "later": make_opportunity(
            title="Later", deadline=TODAY + timedelta(days=30), last_verified_at=VERIFIED, slug="later", schools=[curie]
        ),
        "closed": make_opportunity(title="Closed", deadline=TODAY - timedelta(days=1), last_verified_at=VERIFIED),
        "stale": make_opportunity(
            title="Stale", deadline=TODAY + timedelta(days=5), last_verified_at=datetime(2025, 1, 1, tzinfo=UTC)
        ),
        "classroom": make_opportunity(
            title="Classroom", audience="classrooms", deadline=TODAY + timedelta(days=4), last_verified_at=VERIFIED
        ),
        "draft": make_opportunity(
            title="Draft", status="draft", deadline=TODAY + timedelta(days=4), last_verified_at=VERIFIED
        ),
        "elsewhere": make_opportunity(
            title="Elsewhere", deadline=TODAY + timedelta(days=6), last_verified_at=VERIFIED, schools=[]
        ),
    }


def titles(items):
    return [i.title for i in items]


def test_proposal_is_fresh_verified_open_and_for_the_audience(listings):
    assert titles(newsletters.propose("students", today=TODAY)) == ["Soon", "Elsewhere", "Later"]
    assert titles(newsletters.propose("teachers", today=TODAY)) == ["Classroom"]


def test_school_scope_keeps_citywide_and_that_schools_listings(listings, curie, make_opportunity):
    from cpspartners.extensions import db
    from cpspartners.models import School

    other_school = db.session.scalars(db.select(School).where(School.id != curie.id).limit(1)).first()
    make_opportunity(
        title="Other school", deadline=TODAY + timedelta(days=2), last_verified_at=VERIFIED, schools=[other_school]
    )
    proposed = titles(newsletters.propose("students", "school", str(curie.id), TODAY))
    assert proposed == ["Soon", "Elsewhere", "Later"]
    assert "Other school" in titles(newsletters.propose("students", "school", str(other_school.id), TODAY))


def test_reorder_remove_and_render_in_spanish(listings):
    letter = newsletters.create_draft("Novedades", "students", "citywide", "", "es", today=TODAY)
    ids = [i.opportunity_id for i in letter.items]
    newsletters.move(letter, ids[2], -2)
    assert [i.opportunity.title for i in letter.items] == ["Later", "Soon", "Elsewhere"]
    newsletters.remove(letter, ids[1])
    newsletters.set_note(letter, "Novedades de noviembre", "¡Hola familias!")
    html, text = newsletters.render(letter, "http://localhost")
    assert "Pronto" in html and "Solicita" in html and "¡Hola familias!" in html
    assert "Elsewhere" not in html
    assert "http://localhost/opportunities/soon" in text
    assert '<html lang="es">' in html


def test_sent_newsletters_cannot_change(listings):
    letter = newsletters.create_draft("Hi", "students", "citywide", "", "en", today=TODAY)
    letter.status = "sent"
    with pytest.raises(NewsletterError, match="sent"):
        newsletters.remove(letter, letter.items[0].opportunity_id)


def test_only_public_listings_can_be_added(listings):
    letter = newsletters.create_draft("Hi", "students", "citywide", "", "en", today=TODAY)
    with pytest.raises(NewsletterError, match="published"):
        newsletters.add(letter, listings["draft"].id)
    newsletters.add(letter, listings["classroom"].id)
    assert letter.items[-1].opportunity.title == "Classroom"
