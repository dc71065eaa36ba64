"""No student contact details reach partners (issue 12, point 4): students' free text is
screened before it is sent and reaches the partner masked; staff pages and the audit log show
students by record number; seats go to students by a claim code, never an email lookup; list
views of student data are access-logged like detail views."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import Application, AuditEntry, Message
from cpspartners.screening import MASK
from cpspartners.services import applications
from tests.conftest import post, sign_in_as

# Consent is on record for the people fixture's students (tests/test_consent.py tests without it).
pytestmark = pytest.mark.usefixtures("consent_for_people")

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


# --- The audit log names students by record number -------------------------------------------------


def test_specialists_never_see_a_students_email_in_the_audit_log_or_its_csv(app, people, program):
    from cpspartners.services import accounts

    student = people["student"]
    accounts.update_profile(student, "Ana María Reyes", "es")  # the student is the actor
    legacy = AuditEntry(  # an entry written before students were named by number
        actor_id=student.id, actor_label=student.email, action="updated_profile", subject_type="user", subject_id=1
    )
    db.session.add(legacy)
    db.session.commit()
    specialist = as_(app, people["specialist"])
    page = specialist.get("/review/audit").get_data(as_text=True)
    assert "Student #%d" % student.id in page
    assert student.email not in page
    csv = specialist.get("/transfers/audit.csv").get_data(as_text=True)
    assert "Student #%d" % student.id in csv and student.email not in csv
    # The "Who" filter cannot test whether an address belongs to a student.
    probe = specialist.get("/review/audit?actor=" + student.email).get_data(as_text=True)
    assert "No entries match" in probe
    assert "Student #%d" % student.id in specialist.get("/review/audit?actor=student+%23").get_data(as_text=True)
    staff_probe = specialist.get("/review/audit?actor=staff@example.org")
    assert staff_probe.status_code == 200


# --- List views are access-logged like detail views -------------------------------------------------


def _views(note_start):
    return db.session.scalars(
        select(AuditEntry.subject_id).where(
            AuditEntry.subject_type == "student_record",
            AuditEntry.action == "viewed",
            AuditEntry.note.startswith(note_start),
        )
    ).all()


def test_the_partners_applications_list_is_access_logged(app, people, program):
    applications.apply(people["student"], program)
    applications.apply(people["student2"], program)
    assert as_(app, people["staff"]).get("/applications/received").status_code == 200
    assert sorted(_views("/applications/received")) == sorted([people["student"].id, people["student2"].id])
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.note.startswith("/applications/received"))).all()
    assert {e.actor_id for e in logged} == {people["staff"].id}
    as_(app, people["specialist"]).get("/applications/received?state=submitted")
    assert len(_views("/applications/received?state=submitted")) == 2


def test_the_specialists_credential_queue_is_access_logged(app, people, program):
    from cpspartners.models.outcomes import CREDENTIAL_KINDS
    from cpspartners.services import credentials

    application = applications.apply(people["student"], program)
    applications.move(application, "accepted", people["staff"])
    applications.move(application, "completed", people["staff"])
    kind = CREDENTIAL_KINDS[0][0] if isinstance(CREDENTIAL_KINDS[0], tuple) else CREDENTIAL_KINDS[0]
    credentials.record_credential(people["staff"], application, kind, "CPR", None, TODAY, "card")
    assert as_(app, people["specialist"]).get("/outcomes/credentials").status_code == 200
    assert _views("/outcomes/credentials") == [people["student"].id]


# --- Seats go to students by a claim code -------------------------------------------------------------


@pytest.fixture
def allocation(people):
    from cpspartners.models import SeatPool
    from cpspartners.services import pools

    pool = SeatPool(name="Certificates", provider=people["other_partner"], total_seats=10, validity_days=120)
    db.session.add(pool)
    db.session.commit()
    return pools.allocate(pool.id, people["partner"].id, 3)


def _assign(staff, allocation, data):
    return post(staff, f"/pools/seats/{allocation.id}/assign", data, token_from="/pools/seats")


def test_seat_assignment_never_tells_a_partner_whether_an_email_is_a_students(app, people, allocation):
    from cpspartners.models import SeatAssignment

    staff = as_(app, people["staff"])
    answers = []
    for email in (people["student"].email, "nobody-at-all@example.org"):
        response = _assign(staff, allocation, {"student_email": email, "holder_language": "en"})
        followed = staff.get(response.headers["Location"]).get_data(as_text=True)
        # The CSRF token carries the second it was made in: not part of the answer.
        followed = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "CSRF", followed)
        followed = re.sub(r'name="csrf_token" value="[^"]*"', "CSRF", followed)  # the header's forms too
        answers.append((response.status_code, followed.replace(email, "EMAIL")))
    assert answers[0] == answers[1]
    assert count(SeatAssignment) == 0
    page = staff.get("/pools/seats").get_data(as_text=True)
    assert 'name="student_email"' not in page and "Reyes" not in page


def test_a_student_claims_a_seat_with_the_code_and_the_partner_sees_the_first_name_only(app, people, allocation):
    from cpspartners.models import SeatAssignment
    from cpspartners.services import pools

    staff = as_(app, people["staff"])
    response = _assign(staff, allocation, {"for_whom": "student", "holder_name": "Ana R.", "holder_language": "en"})
    seat = db.session.scalars(select(SeatAssignment)).one()
    code = pools.shown_code(seat.claim_code)
    assert seat.holder_user_id is None and len(seat.claim_code) == 10
    assert set(seat.claim_code) <= set(pools.CODE_ALPHABET)
    assert code in staff.get(response.headers["Location"]).get_data(as_text=True)
    student = as_(app, people["student"])
    claimed = post(student, "/pools/my-seats", {"code": code.lower().replace("-", " ")}, token_from="/pools/my-seats")
    assert claimed.status_code == 302
    db.session.refresh(seat)
    assert seat.holder_user_id == people["student"].id and seat.holder_name == "" and seat.claim_code is None
    assert "Certificates" in student.get("/pools/my-seats").get_data(as_text=True)
    page = staff.get("/pools/seats").get_data(as_text=True)
    assert "Ana" in page and "Reyes" not in page and people["student"].email not in page
    # A used code does not work twice, for anyone.
    again = post(as_(app, people["student2"]), "/pools/my-seats", {"code": code}, token_from="/pools/my-seats")
    assert again.status_code == 400 and "does not match a seat" in again.get_data(as_text=True)


@pytest.mark.parametrize("code", ["WRONG-CODE1", "ABCDE-FGHJK", "x" * 40, "<b>1</b>"])
def test_a_wrong_code_gets_a_clear_4xx_in_the_students_language(app, people, allocation, code):
    student = as_(app, people["student"], "es")
    response = post(student, "/pools/my-seats", {"code": code}, token_from="/pools/my-seats")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "código" in html and "<b>1</b>" not in html


def test_only_students_claim_seats(app, people):
    assert as_(app, people["staff"]).get("/pools/my-seats").status_code == 403


def test_family_seats_work_as_before(app, people, allocation):
    from cpspartners.models import SeatAssignment

    staff = as_(app, people["staff"])
    data = {"for_whom": "family", "holder_name": "Familia Reyes", "holder_email": "mama@example.org"}
    assert _assign(staff, allocation, {**data, "holder_language": "es"}).status_code == 302
    seat = db.session.scalars(select(SeatAssignment)).one()
    assert (seat.holder_name, seat.holder_email, seat.claim_code) == ("Familia Reyes", "mama@example.org", None)


def test_claim_codes_are_rate_limited_per_student_account(app, people, allocation):
    app.config["CLAIM_LIMIT"] = "3 per minute"
    statuses = []
    for n in range(5):  # a new visitor and address each time: the limit follows the account
        student = as_(app, people["student"])
        student.environ_base["REMOTE_ADDR"] = "10.0.1.%d" % (n + 1)
        statuses.append(post(student, "/pools/my-seats", {"code": "WRONG-CODE%d" % n}, token_from="/pools/my-seats"))
    assert [r.status_code for r in statuses] == [400, 400, 400, 429, 429]
    assert "Too many attempts" in statuses[-1].get_data(as_text=True)
    other = as_(app, people["student2"])  # another student is not held back
    assert post(other, "/pools/my-seats", {"code": "WRONG-CODE9"}, token_from="/pools/my-seats").status_code == 400
