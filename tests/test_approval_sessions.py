"""Issue 12, points 2, 8 and 11: only approved, active accounts act for a partner or a school;
sessions end server-side when they should; the district's messages say they are the district's.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cpspartners import policy
from cpspartners.accounts.auth import make_reset_token
from cpspartners.calendars import personal
from cpspartners.extensions import db
from cpspartners.models import Application, AuditEntry, Notification, Opportunity, User, VisitRequest
from cpspartners.services import accounts, applications, feedback, messages, outbox, visit_requests
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from tests.conftest import TEST_PASSWORD, consent_on_record, csrf_token, post, sign_in_as

RATINGS = dict.fromkeys(("relevance", "engagement", "organization", "recommend"), 3)


@pytest.fixture
def crew(make_user, make_partner, make_opportunity):
    """A partner with approved, pending and switched-off staff; a student's application to its
    listing and a teacher's accepted request to it, both with a message from each side."""
    partner = make_partner(name="Pilsen Robotics")
    staff = {
        "approved": make_user("partner_staff", partner=partner),
        "pending": make_user("partner_staff", partner=partner, is_approved=False),
        "deactivated": make_user("partner_staff", partner=partner, active=False),
    }
    student, teacher = make_user("student"), make_user("teacher")
    opp = make_opportunity(partner=partner, grade_min=9, grade_max=12)
    application = Application(opportunity_id=opp.id, student_id=student.id, answer="I like robots", state="completed")
    day = date.today() + timedelta(days=9)
    visit = VisitRequest(
        teacher_id=teacher.id,
        partner_id=partner.id,
        school_id=teacher.school_id,
        topic="Robots",
        grade=9,
        class_size=20,
        date_1=day,
        state="accepted",
        visit_date=day,
    )
    db.session.add_all([application, visit])
    db.session.commit()
    return {"partner": partner, "opp": opp, "student": student, "teacher": teacher, "application": application}, (
        staff,
        visit,
    )


def notified(user, kind=None):
    stmt = select(func.count()).select_from(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return db.session.scalar(stmt)


# --- Point 2: approval -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["pending", "deactivated"])
def test_unapproved_or_switched_off_staff_act_for_nobody_in_services(crew, who):
    world, (staff, visit) = crew
    person, application = staff[who], world["application"]
    assert policy.application_side(person, application) is None
    assert policy.visit_side(person, visit) is None
    assert policy.survey_role(person, application) is None and policy.survey_role(person, visit) is None
    assert not policy.can_record_credential(person, application)
    assert db.session.scalars(applications.visible_to(person)).all() == []
    with pytest.raises(NotAllowed):
        messages.post(person, application, "Hello")
    with pytest.raises(NotAllowed):
        messages.post(person, visit, "Hello")
    with pytest.raises(NotAllowed):
        applications.move(application, "accepted", person)
    with pytest.raises(NotAllowed):
        visit_requests.confirm(person, visit, True)
    with pytest.raises(NotAllowed):
        feedback.submit(person, application, RATINGS)
    assert feedback.pending(person) == []
    # The approved colleague is the control: the same calls are open to them.
    assert policy.application_side(staff["approved"], application) == "partner"
    assert db.session.scalars(applications.visible_to(staff["approved"])).all() == [application]


def test_pending_staff_pages_refuse_student_data_requests_and_ics(app, crew):
    world, (staff, visit) = crew
    application = world["application"]
    client = sign_in_as(app.test_client(), staff["pending"])
    token = csrf_token(client)
    refused = {
        "application": client.get(f"/applications/{application.id}").status_code,
        "message": client.post(
            f"/applications/{application.id}/messages", data={"csrf_token": token, "body": "Hi"}
        ).status_code,
        "received": client.get("/applications/received").status_code,
        "visit": client.get(f"/visits/{visit.id}").status_code,
        "visit message": client.post(
            f"/visits/{visit.id}/messages", data={"csrf_token": token, "body": "Hi"}
        ).status_code,
        "requests": client.get("/visits/received").status_code,
        "ics": client.get(f"/calendar/visits/{visit.id}.ics").status_code,
        "survey": client.get(f"/outcomes/survey/applications/{application.id}").status_code,
        "survey post": client.post(
            f"/outcomes/survey/applications/{application.id}", data={"csrf_token": token, **RATINGS}
        ).status_code,
    }
    assert refused == dict.fromkeys(refused, 403)
    assert "I like robots" not in client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(messages.thread_of(application).subquery())) == 0


def test_only_approved_active_staff_are_told_of_student_activity(crew, make_user):
    world, (staff, visit) = crew
    newcomer = make_user("student")
    applications.apply(newcomer, world["opp"], answer="Me too")
    messages.post(world["student"], world["application"], "A question")
    visit_requests.create(world["teacher"], world["partner"], "Drones", 9, 25, [date.today() + timedelta(days=20)])
    messages.post(world["teacher"], visit, "Bus at nine")
    assert {who: notified(person) for who, person in staff.items()} == {"approved": 4, "pending": 0, "deactivated": 0}
    # No consent is on record yet: the partner is told of the application without its details.
    assert notified(staff["approved"], "application_waiting") == 1 and notified(staff["approved"], "request_new") == 1


def test_revoked_teacher_is_told_nothing_and_sees_no_requests(crew, make_user):
    world, (staff, visit) = crew
    specialist, teacher = make_user("specialist"), world["teacher"]
    accounts.revoke_approval(specialist, teacher)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "revoked_approval")).one()
    assert (entry.actor_id, entry.subject_id, entry.changes) == (
        specialist.id,
        teacher.id,
        {"is_approved": [True, False]},
    )
    assert policy.visit_side(teacher, visit) is None
    with pytest.raises(NotAllowed):
        visit_requests.create(teacher, world["partner"], "Drones", 9, 25, [date.today() + timedelta(days=20)])
    messages.post(staff["approved"], visit, "See you then")
    assert notified(teacher) == 0
    entries = personal.entries(teacher, lambda opp: "", "en")
    assert [e for e in entries if e.uid.startswith("me-visit-")] == []


def test_a_revoked_staff_feed_loses_its_visits(app, crew, make_user):
    world, (staff, visit) = crew
    person = staff["approved"]
    url = f"/calendar/{personal.token_for(person)}.ics"
    assert f"me-visit-{visit.id}@" in app.test_client().get(url).get_data(as_text=True)
    accounts.revoke_approval(make_user("specialist"), person)
    assert f"me-visit-{visit.id}@" not in app.test_client().get(url).get_data(as_text=True)


def test_revocation_takes_effect_on_the_next_request(app, crew, make_user):
    world, (staff, _visit) = crew
    person, application = staff["approved"], world["application"]
    partner_client = sign_in_as(app.test_client(), person)
    assert partner_client.get(f"/applications/{application.id}").status_code == 200
    specialist = sign_in_as(app.test_client(), make_user("specialist"))
    page = specialist.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Withdraw the approval" in page
    response = post(specialist, f"/admin/users/{person.id}/revoke", token_from=f"/admin/users/{person.id}")
    assert response.status_code == 302
    assert "The approval is withdrawn." in specialist.get(response.headers["Location"]).get_data(as_text=True)
    # The very next request: the old session is gone, and a new one holds no partner's rights.
    refused = partner_client.get(f"/applications/{application.id}")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/account/sign-in")
    db.session.refresh(person)
    again = sign_in_as(app.test_client(), person)
    assert again.get(f"/applications/{application.id}").status_code == 403
    assert not person.is_approved and policy.awaits_approval(person)  # back in the approval queue


def test_revocation_is_refused_where_it_means_nothing(crew, make_user):
    world, (staff, _visit) = crew
    specialist = make_user("specialist")
    with pytest.raises(Conflict):
        accounts.revoke_approval(specialist, staff["pending"])
    with pytest.raises(RuleBroken):
        accounts.revoke_approval(specialist, world["student"])


def test_a_specialist_cannot_revoke_a_students_account_from_the_page(app, crew, make_user):
    world, _ = crew
    specialist = sign_in_as(app.test_client(), make_user("specialist"))
    response = post(specialist, f"/admin/users/{world['student'].id}/revoke")
    assert response.status_code == 403
    assert db.session.get(User, world["student"].id).is_approved


def test_a_revoked_account_keeps_no_notifications_and_is_emailed_none(crew, make_user):
    world, (staff, _visit) = crew
    person = staff["approved"]
    colleague = make_user("partner_staff", partner=world["partner"])
    applications.apply(make_user("student"), world["opp"], answer="Me too")
    assert notified(person) == notified(colleague) == 1
    accounts.revoke_approval(make_user("specialist"), person)
    assert notified(person) == 0
    assert outbox.recipients_waiting(100) == [colleague.id]
    # Switched off: the queued notification stays on the account but is never emailed.
    accounts.set_role(make_user("admin"), colleague, "partner_staff", world["partner"].id, active=False)
    assert notified(colleague) == 1 and outbox.recipients_waiting(100) == []


SIDE_ROLES = ("student", "teacher", "partner_staff", "specialist", "admin")


@settings(derandomize=True, max_examples=150, deadline=None)
@given(role=st.sampled_from(SIDE_ROLES), approved=st.booleans(), active=st.booleans(), own=st.booleans())
def test_no_account_out_of_good_standing_has_a_side(role, approved, active, own):
    """Whatever the account, if it is not in good standing no workflow check lets it in; if it
    is, the owner or the partner's staff do get in (the rule is not simply "nobody")."""
    user = User(id=7, role=role, is_approved=approved, active=active, partner_id=3 if role == "partner_staff" else None)
    user.school_id = 1 if role in ("student", "teacher") else None
    owner = 7 if own else 8
    application = Application(id=1, student_id=owner, opportunity=Opportunity(id=1, partner_id=3 if own else 4))
    visit = VisitRequest(id=1, teacher_id=owner, partner_id=3 if own else 4)
    sides = (
        policy.application_side(user, application),
        policy.visit_side(user, visit),
        policy.survey_role(user, application),
        policy.survey_role(user, visit),
        policy.can_record_credential(user, application) or None,
        policy.is_partner_account(user)
        or policy.is_teacher_account(user)
        or policy.is_specialist_account(user)
        or None,
    )
    if not policy.in_good_standing(user):
        assert sides == (None,) * len(sides)
        assert not active or (role in policy.WAIT_FOR_APPROVAL and not approved)
    elif own or role in policy.STAFF:
        assert policy.application_side(user, application) or policy.visit_side(user, visit)


# --- Point 8: sessions -----------------------------------------------------------------------


def signed_in_copy(app, user):
    """Sign ``user`` in through the form with "remember me"; return the client and copies of its
    session cookie and its remember-me cookie, as someone who copied them would hold them."""
    client = app.test_client()
    response = post(client, "/account/sign-in", {"email": user.email, "password": TEST_PASSWORD, "remember": "y"})
    assert response.status_code == 302
    session = client.get_cookie("session")
    remember = client.get_cookie("remember_token")
    assert session is not None and remember is not None
    return client, session.value, remember.value


def replay(app, session=None, remember=None):
    """A fresh browser carrying the copied cookies; True if it is signed in."""
    thief = app.test_client()
    if session:
        thief.set_cookie("session", session)
    if remember:
        thief.set_cookie("remember_token", remember)
    response = thief.get("/account")
    return response.status_code == 200


def test_copied_cookies_work_until_the_account_ends_its_sessions(app, make_user):
    """The control for the tests below: the copies are worth something until an event."""
    user = make_user("teacher")
    _client, session, remember = signed_in_copy(app, user)
    assert replay(app, session=session)
    assert replay(app, remember=remember)  # a new session from the remember-me cookie alone


def test_sign_out_ends_every_copy(app, make_user):
    user = make_user("teacher")
    client, session, remember = signed_in_copy(app, user)
    post(client, "/account/sign-out", token_from="/account")
    assert not replay(app, session=session)
    assert not replay(app, remember=remember)
    assert not replay(app, session=session, remember=remember)


def test_a_new_password_ends_every_other_session_and_keeps_this_one(app, make_user):
    user = make_user("teacher")
    client, session, remember = signed_in_copy(app, user)
    response = post(
        client,
        "/account/password",
        {"pw-current": TEST_PASSWORD, "pw-password": "a brand new passphrase", "pw-confirm": "a brand new passphrase"},
        token_from="/account",
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # the person who changed it carries on
    assert not replay(app, session=session)
    assert not replay(app, remember=remember)


def test_a_password_reset_ends_every_session(app, make_user):
    user = make_user("teacher")
    _client, session, remember = signed_in_copy(app, user)
    path = f"/account/reset/{make_reset_token(user)}"
    response = post(
        app.test_client(),
        path,
        {"password": "a brand new passphrase", "confirm": "a brand new passphrase"},
        token_from=path,
    )
    assert response.status_code == 302
    assert not replay(app, session=session)
    assert not replay(app, remember=remember)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"role": "teacher", "active": False}, id="deactivated"),
        pytest.param({"role": "specialist", "active": True}, id="role-changed"),
    ],
)
def test_an_admin_change_ends_every_session(app, make_user, change):
    user, admin = make_user("teacher"), make_user("admin")
    _client, session, remember = signed_in_copy(app, user)
    accounts.set_role(admin, db.session.get(User, user.id), **change)
    assert not replay(app, session=session)
    assert not replay(app, remember=remember)


def test_a_saved_profile_keeps_the_session(app, make_user):
    """Only the events that should end sessions do: an ordinary write leaves them alone."""
    user = make_user("teacher")
    _client, session, _remember = signed_in_copy(app, user)
    accounts.update_profile(db.session.get(User, user.id), "New Name", "es")
    assert replay(app, session=session)


def test_revoking_an_approval_ends_every_session(app, make_user):
    user = make_user("partner_staff")
    _client, session, remember = signed_in_copy(app, user)
    accounts.revoke_approval(make_user("specialist"), db.session.get(User, user.id))
    assert not replay(app, session=session)
    assert not replay(app, remember=remember)


def test_session_ids_carry_the_version_and_plain_ids_are_refused(app, make_user):
    user = make_user("teacher")
    assert user.get_id() == f"{user.id}:0"
    old_style = app.test_client()
    with old_style.session_transaction() as session:
        session["_user_id"] = str(user.id)  # a session from before versions: no longer enough
        session["_fresh"] = True
    assert old_style.get("/account").status_code == 302
    for forged in (f"{user.id}:", f"{user.id}:x", f"{user.id}:\u00b2", "x:0", ""):
        assert accounts_loader(forged) is None, forged
    assert accounts_loader(user.get_id()) == user


def accounts_loader(session_id):
    from cpspartners.accounts.auth import user_from_session_id

    return user_from_session_id(session_id)


# --- Point 11: who wrote a message ------------------------------------------------------------


def test_the_districts_messages_are_labelled_as_the_district(app, crew, make_user):
    world, (staff, visit) = crew
    application, student, teacher = world["application"], world["student"], world["teacher"]
    specialist = make_user("specialist")
    consent_on_record(student, world["partner"])  # the partner writes only once consent is on record
    messages.post(specialist, application, "The district checked your application.")
    messages.post(staff["approved"], application, "Welcome aboard.")
    messages.post(specialist, visit, "Bus passes are arranged.")

    page = sign_in_as(app.test_client(), student).get(f"/applications/{application.id}").get_data(as_text=True)
    thread = page[page.index('id="messages"') :]
    district_item = thread[: thread.index("The district checked")].rsplit("<li>", 1)[1]
    partner_item = thread[: thread.index("Welcome aboard")].rsplit("<li>", 1)[1]
    assert "Chicago Public Schools (district staff)" in district_item and "Pilsen Robotics" not in district_item
    assert "Pilsen Robotics" in partner_item

    es = sign_in_as(app.test_client(), student)
    es.set_cookie("lang", "es")
    assert "Chicago Public Schools (personal del distrito)" in es.get(f"/applications/{application.id}").get_data(
        as_text=True
    )

    visit_page = sign_in_as(app.test_client(), teacher).get(f"/visits/{visit.id}").get_data(as_text=True)
    item = visit_page[: visit_page.index("Bus passes are arranged")].rsplit("<li>", 1)[1]
    assert "Chicago Public Schools (district staff)" in item and "Pilsen Robotics" not in item

    # The partner reads it as the district's too; the specialist sees their own as "You".
    partner_page = sign_in_as(app.test_client(), staff["approved"]).get(f"/applications/{application.id}")
    assert "Chicago Public Schools (district staff)" in partner_page.get_data(as_text=True)
    own = sign_in_as(app.test_client(), specialist).get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Chicago Public Schools (district staff)" not in own
