"""No student contact details reach partners (issue 12, point 4): students' free text is
screened before it is sent and reaches the partner masked; staff pages and the audit log show
students by record number; seats go to students by a claim code, never an email lookup; list
views of student data are access-logged like detail views."""

from datetime import date

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import Application, AuditEntry, Message
from cpspartners.screening import MASK
from cpspartners.services import applications
from tests.conftest import post, sign_in_as

TODAY = date.today()
EMAIL, PHONE = "ana.reyes2009@gmail.com", "312 555 0199"
ANSWER = f"I love robots. Write to {EMAIL} or call {PHONE}."


def as_(app, user, lang="en"):
    client = app.test_client()
    client.set_cookie("lang", lang)
    return sign_in_as(client, user)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def approved(people):
    for person in people.values():
        if hasattr(person, "is_approved"):
            person.is_approved = True
    db.session.commit()


@pytest.fixture
def program(people, make_opportunity):
    return make_opportunity(partner=people["partner"], title="Robotics internship", grade_min=9, grade_max=12)


# --- Students' free text ----------------------------------------------------------------------------


def test_contact_details_in_an_answer_warn_the_student_before_sending(app, people, program):
    student = as_(app, people["student"], "es")  # Ana reads the site in Spanish
    response = post(student, f"/applications/apply/{program.slug}", {"kind": "apply", "answer": ANSWER})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert count(Application) == 0  # nothing was sent
    assert "datos de contacto" in html and "un correo electrónico" in html and "un número de teléfono" in html
    assert EMAIL in html and PHONE in html  # what was found, and the text kept for editing
    assert 'name="send_anyway"' in html


def test_sent_anyway_the_partner_sees_the_answer_masked(app, people, program):
    student = as_(app, people["student"])
    response = post(
        student, f"/applications/apply/{program.slug}", {"kind": "apply", "answer": ANSWER, "send_anyway": "y"}
    )
    assert response.status_code == 302
    application = db.session.scalars(select(Application)).one()
    assert EMAIL not in application.answer and PHONE not in application.answer and MASK in application.answer
    staff = as_(app, people["staff"])
    for page in ("/applications/received", f"/applications/{application.id}"):
        html = staff.get(page).get_data(as_text=True)
        assert EMAIL not in html and PHONE not in html
    assert "I love robots" in staff.get(f"/applications/{application.id}").get_data(as_text=True)


def test_an_edited_answer_without_contact_details_goes_through_unchanged(app, people, program):
    student = as_(app, people["student"])
    post(student, f"/applications/apply/{program.slug}", {"kind": "apply", "answer": ANSWER})
    response = post(student, f"/applications/apply/{program.slug}", {"kind": "apply", "answer": "I love robots."})
    assert response.status_code == 302
    assert db.session.scalars(select(Application.answer)).one() == "I love robots."


def test_contact_details_in_a_message_warn_the_student_and_reach_the_partner_masked(app, people, program):
    application = applications.apply(people["student"], program)
    student, staff = as_(app, people["student"], "es"), as_(app, people["staff"])
    url = f"/applications/{application.id}/messages"
    body = f"My insta is @ana_r09, mail {EMAIL}, phone {PHONE}"
    warned = post(student, url, {"body": body})
    html = warned.get_data(as_text=True)
    assert warned.status_code == 400 and count(Message) == 0
    assert "datos de contacto" in html and "una cuenta de redes sociales" in html and 'name="send_anyway"' in html
    assert post(student, url, {"body": body, "send_anyway": "y"}).status_code == 302
    stored = db.session.scalars(select(Message.body)).one()
    assert EMAIL not in stored and PHONE not in stored and "@ana_r09" not in stored
    page = staff.get(f"/applications/{application.id}").get_data(as_text=True)
    assert EMAIL not in page and PHONE not in page and "@ana_r09" not in page and MASK in page


def test_partner_messages_are_not_screened(app, people, program):
    """The rule is about students' details; a partner may give its own office number."""
    application = applications.apply(people["student"], program)
    staff = as_(app, people["staff"])
    body = "Our office: 312-555-0100"
    assert post(staff, f"/applications/{application.id}/messages", {"body": body}).status_code == 302
    assert db.session.scalars(select(Message.body)).one() == body


def test_every_path_screens_the_answer(people, program):
    from cpspartners.services.student_text import ContactDetailsFound

    with pytest.raises(ContactDetailsFound) as found:
        applications.apply(people["student"], program, ANSWER)
    assert {f.kind for f in found.value.screened.findings} == {"email", "phone"}
    assert count(Application) == 0
    application = applications.apply(people["student"], program, ANSWER, send_anyway=True)
    assert EMAIL not in application.answer and PHONE not in application.answer
