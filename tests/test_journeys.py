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


def test_a_teacher_can_request_every_classroom_listing_from_lists_and_its_page(client_as, make_opportunity):
    speaker = make_opportunity(slug="nurses-talk", kind="guest_speaker", title="Nurses talk")
    internship = make_opportunity(slug="an-internship", kind="internship", title="An internship")
    teacher = client_as("teacher")
    request_link = "/visits/new?opportunity=%d" % speaker.id
    listing = teacher.get("/opportunities?kind=guest_speaker").text
    assert request_link in listing
    assert request_link in teacher.get("/opportunities/nurses-talk").text
    assert "/visits/new?opportunity=%d" % internship.id not in teacher.get("/opportunities/an-internship").text
    assert teacher.get(request_link).status_code == 200
    # The home page's "Find a guest speaker" takes a teacher to the finder, speakers only.
    assert "/visits/find?kind=guest_speaker" in teacher.get("/").text


def test_students_and_visitors_see_no_request_control(client, client_as, make_opportunity):
    speaker = make_opportunity(slug="nurses-talk", kind="guest_speaker")
    for who in (client, client_as("student")):
        assert "/visits/new?opportunity=%d" % speaker.id not in who.get("/opportunities?kind=guest_speaker").text


def test_the_newsletter_sign_up_is_linked_where_families_look(client, make_opportunity):
    make_opportunity(slug="family-night", audience="families", kind="community_event")
    home = client.get("/").text
    assert home.count('href="/newsletters/subscribe"') >= 2  # the families' entry point and the footer
    assert 'href="/newsletters/subscribe"' in client.get("/partners").text  # the footer, everywhere
    assert "newsletter for families" in client.get("/opportunities/family-night").text


def test_a_students_school_is_chosen_for_them_in_search(client_as, curie):
    student = client_as("student")
    from html import escape

    # The school box is typed into (issue 13): it comes filled in with the student's school.
    chosen = 'value="%s"' % escape(curie.long_name)
    page = student.get("/search?q=robot").text
    assert chosen in page
    # An explicit "no school" stays a choice.
    page = student.get("/search?q=robot&school=").text
    assert chosen not in page


def test_a_specialist_adds_the_missing_records_on_the_review_and_approves(client_as):
    """Approve was refused with "add the partner's records" and no way back: now the records
    are typed on the review page, saved together, and the same page approves."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from cpspartners.models import ChangeRequest, Opportunity, VettingRecord
    from tests.conftest import post
    from tests.test_review import OPP_FORM, vet

    staff = client_as("partner_staff")
    vet(staff.user.partner, missing=("insurance", "background_check"))
    post(staff, "/partner/opportunities/new", OPP_FORM, token_from="/partner/opportunities/new")
    change = db.session.scalars(select(ChangeRequest)).one()
    specialist = client_as("specialist")
    review = f"/review/changes/{change.id}"
    page = specialist.get(review).text
    assert 'action="%s/records"' % review in page and "insurance-issued_on" in page
    today, later = date.today(), date.today() + timedelta(days=365)
    records = {
        "insurance-subject": "Policy 123",
        "insurance-issued_on": today.isoformat(),
        "insurance-expires_on": later.isoformat(),
        "background_check-subject": "All staff",
        "background_check-issued_on": today.isoformat(),
        "background_check-expires_on": "",  # one missing date: nothing is saved, both forms stay
    }
    refused = post(specialist, review + "/records", records, token_from=review)
    assert refused.status_code == 400 and "Policy 123" in refused.text
    assert db.session.scalar(select(VettingRecord).where(VettingRecord.kind == "insurance")) is None
    records["background_check-expires_on"] = later.isoformat()
    saved = post(specialist, review + "/records", records, token_from=review)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(review + "#decide")
    back = specialist.get(review).text
    assert "You can approve now" in back and 'action="%s/records"' % review not in back
    assert post(specialist, review + "/approve", token_from=review).status_code == 302
    assert db.session.scalars(select(Opportunity)).one().status == "published"


def test_in_development_mail_goes_to_the_local_outbox_page_and_the_log(_schema, tmp_path, caplog):
    from cpspartners import create_app
    from tests.conftest import config_for

    app = create_app(config_for(_schema, SEARCH_INDEX_DIR=str(tmp_path / "index"), DEV_OUTBOX=True, MAIL_SERVER=""))
    app.instance_path = str(tmp_path)  # the outbox file goes beside this test, not in instance/
    with app.app_context():
        from cpspartners.mail import send_email

        send_email("ana@example.org", "newsletter_confirm", "es", link="http://localhost/n/confirm/abc")
        page = app.test_client().get("/dev/outbox").text
    assert "ana@example.org" in page and 'href="http://localhost/n/confirm/abc"' in page
    assert "Email not sent" in caplog.text


def test_the_outbox_is_refused_outside_debug_and_testing(_schema, tmp_path):
    import pytest

    from cpspartners import create_app
    from tests.conftest import config_for

    settings = config_for(_schema, SEARCH_INDEX_DIR=str(tmp_path / "index"), DEV_OUTBOX=True)
    settings.update(TESTING=False, DEBUG=False, SECRET_KEY="a real secret for this test")
    with pytest.raises(RuntimeError, match="DEV_OUTBOX"):
        create_app(settings)


def test_without_the_outbox_there_is_no_outbox_page(client):
    assert client.get("/dev/outbox").status_code == 404


def test_a_student_changes_school_and_grade_and_it_is_audited(client_as, curie):
    from sqlalchemy import select

    from cpspartners.models import AuditEntry, School
    from tests.conftest import post

    other = db.session.scalars(select(School).where(School.id != curie.id)).first()
    student = client_as("student")
    page = student.get("/account").text
    assert 'action="/account/school"' in page
    response = post(
        student, "/account/school", {"school-school_id": other.id, "school-grade": 11}, token_from="/account"
    )
    assert response.status_code == 302
    db.session.refresh(student.user)
    assert (student.user.school_id, student.user.grade) == (other.id, 11)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.subject_id == student.user.id)).one()
    assert entry.changes == {"school_id": [curie.id, other.id], "grade": [10, 11]}
    bad = post(student, "/account/school", {"school-school_id": other.id, "school-grade": 13}, token_from="/account")
    assert bad.status_code == 400
    db.session.refresh(student.user)
    assert student.user.grade == 11


def test_only_students_have_the_school_form(client_as):
    assert 'action="/account/school"' not in client_as("teacher").get("/account").text


def test_seat_holders_are_told_in_their_language_how_to_use_their_seat(app, make_partner, make_user, smtp_server):
    from cpspartners.models import Notification
    from cpspartners.services import notify, pool_reminders, pools

    pool = pools.create_pool("Museum pass", "Pase al museo", make_partner().id, 5, 30, 7)
    allocation = pools.allocate(pool.id, make_partner(name="Pilsen Library").id, 2)
    family = pools.assign(allocation.id, pools.Holder(name="Rosa", email="rosa@example.org", language="es"))
    student = make_user("student", preferred_language="es", email="lu@example.org")
    seat = pools.assign(allocation.id, pools.Holder(user_id=student.id))
    note = db.session.query(Notification).filter_by(user_id=student.id, kind="seat_given").one()
    assert "Tienes un cupo" in notify.text(note) and "Mis cupos" in notify.text(note)
    with app.test_request_context(base_url="http://localhost"):
        assert pool_reminders.send_seat_given([family.id, seat.id]) == 2
    to_family = smtp_server.last_to("rosa@example.org")
    assert "Tienes un cupo en Pase al museo" in to_family["Subject"]
    body = to_family.get_content()
    assert "Pilsen Library te dio un cupo" in body and "Cómo usarlo" in body
    assert "/pools/my-seats" in smtp_server.last_to("lu@example.org").get_content()


def test_newsletters_choose_schools_and_areas_by_name(client_as, curie):
    from sqlalchemy import select

    from cpspartners.models import CommunityArea, Newsletter
    from tests.conftest import post

    specialist = client_as("specialist")
    area = db.session.scalars(select(CommunityArea).where(CommunityArea.name == "Lower West Side")).one()

    def compose(scope, value):
        data = {"subject": "Picks", "audience": "families", "scope": scope, "scope_value": value, "language": "en"}
        return post(specialist, "/newsletters/new", data, token_from="/newsletters/new")

    assert compose("school", curie.long_name.upper()).status_code == 302
    assert compose("area", "lower west side").status_code == 302
    stored = [(n.scope, n.scope_value) for n in db.session.scalars(select(Newsletter).order_by(Newsletter.id))]
    assert stored == [("school", str(curie.id)), ("area", str(area.number))]
    listing = specialist.get("/newsletters").text
    assert curie.long_name in listing and "Lower West Side" in listing
    close = compose("area", "West Side")
    assert close.status_code == 400 and "Did you mean" in close.text and "Lower West Side" in close.text
