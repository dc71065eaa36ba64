"""The workflow rules services ask policy about: the sides of an application or a visit, who is
asked for feedback, which applications a person may list, and approval. And the rule about the
rule: outside policy.py no service or view reads an account's role or approval."""

import pathlib
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Application, Opportunity, VisitRequest

ROOT = pathlib.Path(__file__).parent.parent / "cpspartners"


@pytest.fixture
def world(make_user, make_partner, make_opportunity):
    own, other = make_partner(name="Own partner"), make_partner(name="Other partner")
    users = {
        "student": make_user("student"),
        "other_student": make_user("student"),
        "teacher": make_user("teacher"),
        "staff": make_user("partner_staff", partner=own),
        "other_staff": make_user("partner_staff", partner=other),
        "specialist": make_user("specialist"),
        "admin": make_user("admin"),
    }
    opp = make_opportunity(partner=own, grade_min=9, grade_max=12)
    application = Application(opportunity_id=opp.id, student_id=users["student"].id, state="completed")
    day = date.today() + timedelta(days=5)
    visit = VisitRequest(
        teacher_id=users["teacher"].id,
        partner_id=own.id,
        school_id=users["teacher"].school_id,
        topic="Robots",
        grade=9,
        class_size=20,
        date_1=day,
        state="completed",
    )
    db.session.add_all([application, visit])
    db.session.commit()
    return users, application, visit


def sides(users, decide, thing):
    return {name: decide(user, thing) for name, user in users.items()} | {"nobody": decide(None, thing)}


def test_the_sides_of_an_application(world):
    users, application, _visit = world
    assert sides(users, policy.application_side, application) == {
        "student": "student",
        "other_student": None,
        "teacher": None,
        "staff": "partner",
        "other_staff": None,
        "specialist": "partner",
        "admin": "partner",
        "nobody": None,
    }


def test_the_sides_of_a_visit(world):
    users, _application, visit = world
    assert sides(users, policy.visit_side, visit) == {
        "student": None,
        "other_student": None,
        "teacher": "teacher",
        "staff": "partner",
        "other_staff": None,
        "specialist": "specialist",
        "admin": "specialist",
        "nobody": None,
    }


def test_specialists_read_surveys_but_are_not_asked(world):
    users, application, visit = world
    asked_about_application = {k for k, v in sides(users, policy.survey_role, application).items() if v}
    asked_about_visit = {k for k, v in sides(users, policy.survey_role, visit).items() if v}
    assert asked_about_application == {"student", "staff"}
    assert asked_about_visit == {"teacher", "staff"}


def test_who_lists_which_applications(world, make_opportunity):
    users, application, _visit = world
    stranger = make_opportunity(grade_min=9, grade_max=12)
    db.session.add(Application(opportunity_id=stranger.id, student_id=users["other_student"].id))
    db.session.commit()

    def listed(user):
        stmt = select(Application.id).join(Opportunity).where(policy.applications_visible_to(user))
        return len(db.session.scalars(stmt).all())

    assert {name: listed(user) for name, user in users.items()} == {
        "student": 1,
        "other_student": 1,
        "teacher": 0,
        "staff": 1,
        "other_staff": 0,
        "specialist": 2,
        "admin": 2,
    }


def test_only_teacher_and_partner_accounts_wait_for_approval(make_user):
    assert policy.approved_on_registration("student")
    assert not policy.approved_on_registration("teacher") and not policy.approved_on_registration("partner_staff")
    assert policy.awaits_approval(make_user("teacher", is_approved=False))
    assert not policy.awaits_approval(make_user("teacher"))
    assert not policy.awaits_approval(make_user("student", is_approved=False))


READS_A_ROLE = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot in\b)|\.role\.in_\(|\.is_approved\b(?!\s*=[^=])")


def test_no_service_or_view_reads_a_role_or_an_approval():
    """Writing an account's role or approval is a service's job; deciding by them is policy's."""
    sources = [*ROOT.glob("services/*.py"), *ROOT.glob("*/views.py"), ROOT / "calendars" / "personal.py"]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if READS_A_ROLE.search(line)
    ]
    assert found == []
