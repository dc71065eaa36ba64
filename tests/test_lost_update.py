"""No lost update: a stale save is refused with what changed, one open request per subject (a
second submission revises it), and approving never reverts a correction made since."""

import re
import threading
from html import unescape

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, ChangeRequest, Opportunity, Partner, User
from cpspartners.services import applications, listings
from cpspartners.services.errors import Conflict
from cpspartners.services.listings import Seen, Stale
from tests.conftest import PG_URL, post

_INPUT = re.compile(r'<input[^>]*name="(csrf_token|version|loaded|request_token)"[^>]*value="([^"]*)"')


def hidden(html):
    """The hidden fields of the page's form, as the browser would send them back."""
    return {name: unescape(value) for name, value in _INPUT.findall(html)}


def opened(client, path):
    """Open an edit form like a browser: the hidden fields it carries."""
    page = client.get(path)
    assert page.status_code == 200
    return hidden(page.get_data(as_text=True))


def opp_form(opp, **changes):
    """What the listing form posts when nothing but ``changes`` is edited."""
    form = {
        "title": opp.title,
        "kind": opp.kind,
        "summary": opp.summary,
        "audience": opp.audience,
        "grade_min": str(opp.grade_min),
        "grade_max": str(opp.grade_max),
        "modality": opp.modality,
        "community_area_number": "0",
        "languages": opp.languages.split(","),
        "clusters": list(opp.clusters),
        "tags": ", ".join(opp.tags),
        "deadline": opp.deadline.isoformat() if opp.deadline else "",
    }
    form.update(changes)
    return form


PROFILE = {"name": "Pilsen Robotics", "kind": "nonprofit", "mission": "Robots.", "community_area_number": "0"}


@pytest.fixture
def listing(make_opportunity):
    # For families: no vetting gate in the way of these edits.
    return make_opportunity(audience="families", title="Robotics club", summary="Build robots.")


def test_two_specialists_editing_one_listing_the_second_is_shown_the_first_ones_change(client_as, listing):
    path = f"/review/opportunities/{listing.id}/edit"
    first, second = client_as("specialist"), client_as("specialist")
    first_form, second_form = opened(first, path), opened(second, path)
    saved = first.post(path, data={**opp_form(listing, summary="Build and race robots."), **first_form})
    assert saved.status_code == 302

    stale = second.post(path, data={**opp_form(listing, title="Robotics team"), **second_form})

    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone saved this since you opened the form" in page
    assert "What changed since you opened the form" in page
    assert "<td>Build robots.</td>" in page and "<td>Build and race robots.</td>" in page  # then and now
    assert 'value="Robotics team"' in page  # the second specialist's own input is kept
    db.session.expire_all()
    kept = db.session.get(Opportunity, listing.id)
    assert (kept.title, kept.summary, kept.version) == ("Robotics club", "Build and race robots.", 2)

    # Saving again from the refused page keeps both changes: the form now holds the first's too.
    again = second.post(path, data={**opp_form(listing, title="Robotics team"), **hidden(page)})
    assert again.status_code == 302
    db.session.expire_all()
    both = db.session.get(Opportunity, listing.id)
    assert (both.title, both.summary, both.version) == ("Robotics team", "Build and race robots.", 3)


def test_the_stale_page_speaks_the_readers_language(client_as, listing):
    path = f"/review/opportunities/{listing.id}/edit"
    first, second = client_as("specialist"), client_as("specialist", preferred_language="es")
    second.set_cookie("lang", "es")
    first_form, second_form = opened(first, path), opened(second, path)
    first.post(path, data={**opp_form(listing, summary="Build and race robots."), **first_form})
    page = second.post(path, data={**opp_form(listing, title="Robotics team"), **second_form})
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "Someone saved this since" not in text and "Qué cambió desde que abrió el formulario" in text


def test_a_form_without_its_version_is_refused_not_saved(client_as, listing):
    specialist = client_as("specialist")
    path = f"/review/opportunities/{listing.id}/edit"
    state = opened(specialist, path)
    response = specialist.post(path, data={**opp_form(listing, title="Other"), "csrf_token": state["csrf_token"]})
    assert response.status_code == 400 and "This form is out of date" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Opportunity, listing.id).title == "Robotics club"


def test_students_taking_seats_do_not_make_an_open_form_stale(client_as, listing):
    specialist = client_as("specialist")
    path = f"/review/opportunities/{listing.id}/edit"
    state = opened(specialist, path)
    assert applications.take_seat(listing.id)
    db.session.commit()
    response = specialist.post(path, data={**opp_form(listing, title="Robotics team"), **state})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Opportunity, listing.id).seats_taken == 1


def open_requests_for(partner):
    return db.session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.subject_type == "partner",
            ChangeRequest.subject_id == partner.id,
            ChangeRequest.status.in_(("pending", "changes_requested")),
        )
    ).all()


def test_a_partners_second_profile_submission_revises_the_open_request(client_as):
    staff = client_as("partner_staff")
    partner = staff.user.partner
    assert (
        post(staff, "/partner/profile", dict(PROFILE, mission="First."), token_from="/partner/profile").status_code
        == 302
    )
    second = post(staff, "/partner/profile", dict(PROFILE, mission="Second."), token_from="/partner/profile")
    assert second.status_code == 302
    [request] = open_requests_for(partner)
    assert request.proposed["mission"] == "Second."
    assert "You updated your request waiting for review" in staff.get("/partner").get_data(as_text=True)
    page = client_as("specialist").get(f"/review/changes/{request.id}").get_data(as_text=True)
    assert "Revised by the partner 1 time" in page
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.note == f"change request {request.id}"))
    assert list(actions) == ["submitted", "revised"]


def test_a_colleagues_submission_in_between_is_not_overwritten(client_as, make_user):
    first = client_as("partner_staff")
    partner = first.user.partner
    second = client_as("partner_staff", partner=partner)
    first_form, second_form = opened(first, "/partner/profile"), opened(second, "/partner/profile")
    assert first.post("/partner/profile", data={**PROFILE, "mission": "Theirs.", **first_form}).status_code == 302

    refused = second.post("/partner/profile", data={**PROFILE, "mission": "Mine.", **second_form})

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Someone from your organization changed the request" in page and "Theirs." in page
    assert "Mine." in page  # still in the form, to send again
    [request] = open_requests_for(partner)
    assert request.proposed["mission"] == "Theirs."
    # The same proposal sent twice (a double click) is simply the one request.
    again = first.post("/partner/profile", data={**PROFILE, "mission": "Theirs.", **first_form})
    assert again.status_code == 302 and len(open_requests_for(partner)) == 1


def test_the_open_request_index_backstop_is_a_clear_conflict(app, make_user, monkeypatch):
    staff = make_user("partner_staff")
    partner = staff.partner
    listings.submit_partner_change(staff, partner, dict(listings.snapshot(partner), mission="One."))
    monkeypatch.setattr(listings, "open_request", lambda *args: None)  # as if both passed the check at once
    with pytest.raises(Conflict) as refused:
        listings.submit_partner_change(staff, partner, dict(listings.snapshot(partner), mission="Two."))
    assert "at the same moment" in str(refused.value)
    assert len(open_requests_for(partner)) == 1


def test_approving_an_older_request_keeps_a_later_correction(app, make_user):
    staff, specialist = make_user("partner_staff"), make_user("specialist")
    partner = staff.partner
    opened_at = listings.snapshot(partner)
    proposal = dict(opened_at, mission="Teaching robotics to teens.")
    request = listings.submit_partner_change(staff, partner, proposal, seen=Seen(version=partner.version))
    # Since then, a specialist corrected the name (an import takes this path too).
    listings.save_content(specialist, partner, dict(opened_at, name="Pilsen Robotics, Inc."))
    db.session.commit()

    listings.approve(specialist, request)

    db.session.expire_all()
    partner = db.session.get(Partner, partner.id)
    assert partner.name == "Pilsen Robotics, Inc." and partner.mission == "Teaching robotics to teens."


def test_a_field_both_changed_is_the_reviewers_call(client_as, make_user):
    staff, specialist = make_user("partner_staff"), client_as("specialist")
    partner = staff.partner
    opened_at = listings.snapshot(partner)
    request = listings.submit_partner_change(
        staff, partner, dict(opened_at, mission="Partner's mission.", website="https://robots.example.org")
    )
    listings.save_content(specialist.user, partner, dict(opened_at, mission="Corrected mission."))
    db.session.commit()
    page = specialist.get(f"/review/changes/{request.id}").get_data(as_text=True)
    assert "someone else changed fields the partner also changed" in page
    assert 'name="take" value="mission"' in page and 'name="take" value="website"' not in page

    response = post(specialist, f"/review/changes/{request.id}/approve", token_from=f"/review/changes/{request.id}")

    assert response.status_code == 302
    db.session.expire_all()
    partner = db.session.get(Partner, partner.id)
    assert partner.mission == "Corrected mission."  # kept: the reviewer did not take the partner's
    assert partner.website == "https://robots.example.org"  # the partner's own change applied
    assert "kept their current value: Mission (English)" in specialist.get("/review").get_data(as_text=True)


def test_the_reviewer_may_take_the_partners_value_of_a_conflict(app, make_user):
    staff, specialist = make_user("partner_staff"), make_user("specialist")
    partner = staff.partner
    opened_at = listings.snapshot(partner)
    request = listings.submit_partner_change(staff, partner, dict(opened_at, mission="Partner's mission."))
    listings.save_content(specialist, partner, dict(opened_at, mission="Corrected mission."))
    db.session.commit()
    listings.approve(specialist, request, take=["mission"])
    db.session.expire_all()
    assert db.session.get(Partner, partner.id).mission == "Partner's mission."


def test_a_partner_form_opened_before_a_correction_is_stale(client_as, make_user):
    staff = client_as("partner_staff")
    partner = staff.user.partner
    state = opened(staff, "/partner/profile")
    specialist = make_user("specialist")
    listings.edit_directly(specialist, partner, dict(listings.snapshot(partner), name="Corrected Name"))
    refused = staff.post("/partner/profile", data={**PROFILE, "mission": "New.", **state})
    assert refused.status_code == 409 and "Corrected Name" in refused.get_data(as_text=True)
    assert open_requests_for(partner) == []


# PostgreSQL: two transactions at once --------------------------------------------------------


def run_together(app, work, count=2):
    """Run ``work(i)`` in ``count`` threads, each with its own session, released together."""
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def worker(i):
        with app.app_context():
            try:
                results[i] = work(i, lambda: barrier.wait(10))
            except Stale as error:
                results[i] = error
            except Exception as error:  # anything else fails the test below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL and concurrent transactions")
def test_two_saves_that_saw_version_one_exactly_one_wins_on_postgresql(app, listing, make_user):
    specialist_ids = [make_user("specialist").id, make_user("specialist").id]
    opp_id = listing.id

    def work(i, together):
        opp = db.session.get(Opportunity, opp_id)
        seen = Seen(version=opp.version, values=listings.snapshot(opp))
        assert seen.version == 1
        together()  # both have read version 1
        values = dict(listings.snapshot(opp), summary=f"Summary by {i}")
        return listings.edit_directly(db.session.get(User, specialist_ids[i]), opp, values, seen=seen)

    results, errors = run_together(app, work)

    assert errors == []
    stale = [r for r in results if isinstance(r, Stale)]
    saved = [r for r in results if isinstance(r, dict)]
    assert len(stale) == 1 and len(saved) == 1
    db.session.expire_all()
    opp = db.session.get(Opportunity, opp_id)
    assert opp.version == 2 and opp.summary == saved[0]["summary"][1]
    assert stale[0].changes == [("summary", "Build robots.", opp.summary)]


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL and concurrent transactions")
def test_two_submissions_at_the_same_instant_make_one_request_on_postgresql(app, make_user):
    staff = make_user("partner_staff")
    colleague = make_user("partner_staff", partner=staff.partner)
    ids, partner_id = [staff.id, colleague.id], staff.partner_id

    def work(i, together):
        partner = db.session.get(Partner, partner_id)
        values = dict(listings.snapshot(partner), mission=f"Mission {i}")
        seen = Seen(version=partner.version, request="", values=listings.snapshot(partner))
        together()
        return listings.submit_partner_change(db.session.get(User, ids[i]), partner, values, seen=seen).id

    results, errors = run_together(app, work)

    assert errors == []
    assert sorted(type(r).__name__ for r in results) == ["Stale", "int"]
    db.session.expire_all()
    [request] = open_requests_for(db.session.get(Partner, partner_id))
    assert request.id in results
