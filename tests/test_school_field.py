"""The school in the registration, student-school and newsletter forms: one text box
(``formtools.SchoolField``) that takes a school's name or CPS id, resolved by ``school_lookup``
as the list and search filters are, instead of a 652-option drop-down on each of those pages."""

import re

from sqlalchemy import func, select

from cpspartners import school_lookup
from cpspartners.extensions import db
from cpspartners.models import NewsletterSubscriber, School, User
from tests.conftest import TEST_PASSWORD, post

OLD_PAGE_BYTES = 45_000  # each of these pages was 47 to 51 KB with the drop-down


def register(client, **fields):
    data = {
        "role": "student",
        "email": "typed@example.org",
        "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD,
        "grade": "9",
        "language": "en",
    }
    data.update(fields)
    return post(client, "/account/register", data, token_from="/account/register")


def subscribe(client, **fields):
    data = {"email": "family@example.org", "language": "en"}
    data.update(fields)
    return post(client, "/newsletters/subscribe", data, token_from="/newsletters/subscribe")


def users():
    return db.session.scalar(select(func.count()).select_from(User))


def school_box(html, field_id="school_id"):
    match = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', html)
    assert match, f"no text box #{field_id}"
    return match.group(0)


def test_registering_by_school_name_stores_its_id(client, curie):
    response = register(client, school_id=curie.long_name.lower())
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "typed@example.org")).one()
    assert (user.school_id, user.grade) == (curie.id, 9)


def test_registering_by_cps_id_still_works(client, curie):
    assert register(client, role="teacher", school_id=f" {curie.id} ").status_code == 302
    assert db.session.scalars(select(User).where(User.email == "typed@example.org")).one().school_id == curie.id


def test_a_name_matching_several_schools_is_an_error_that_offers_them(client):
    response = register(client, school_id="Elementary")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and users() == 0
    assert 'id="school_id-error"' in html and "Several schools match “Elementary”" in html
    offered = re.findall(r"<li>([^<]*)</li>", re.search(r'<ul class="school-matches".*?</ul>', html, re.S).group(0))
    assert 2 <= len(offered) <= school_lookup.MAX_OFFERED
    assert all("elementary" in name.lower() for name in offered)
    for name in offered:  # also offered in the box's own list, which works without JavaScript
        assert f'<option value="{name}">' in html
    assert 'value="Elementary"' in school_box(html)  # what was typed is kept
    assert "school_id-matches" in school_box(html)  # and the names are tied to the box


def test_unknown_names_and_ids_are_errors(client, curie):
    for typed, said in (("Hogwarts Academy", "No school matches “Hogwarts Academy”"), ("99999999", "CPS id 99999999")):
        response = register(client, school_id=typed)
        assert response.status_code == 400, typed
        assert said in response.get_data(as_text=True)
    assert users() == 0


def test_partner_staff_may_leave_the_school_empty_but_not_wrong(client, make_partner):
    partner = make_partner()
    fields = {"role": "partner_staff", "organization": partner.name, "partner_id": str(partner.id)}
    assert register(client, school_id="Hogwarts", **fields).status_code == 400
    assert register(client, school_id="0", **fields).status_code == 302  # the old drop-down's "Choose a school"
    assert db.session.scalars(select(User).where(User.email == "typed@example.org")).one().school_id is None


def test_the_error_is_in_spanish_on_a_spanish_page(es_client):
    html = register(es_client, school_id="Elementary").get_data(as_text=True)
    assert "Varias escuelas coinciden con “Elementary”" in html
    html = register(es_client, school_id="Hogwarts").get_data(as_text=True)
    assert "Ninguna escuela coincide con “Hogwarts”" in html
    assert "Escribe parte de su nombre" in html  # the help under the label


def test_the_pages_no_longer_carry_every_school(client, client_as):
    student = client_as("student")
    pages = {
        "/account/register": client.get("/account/register"),
        "/newsletters/subscribe": client.get("/newsletters/subscribe"),
        "/account": student.get("/account"),
    }
    for path, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert html.count("<option") < 30, path  # grades and languages; not 652 schools
        assert len(response.get_data()) < OLD_PAGE_BYTES / 3, path
        box = school_box(html, "school-school_id" if path == "/account" else "school_id")
        assert 'data-suggest="/schools/suggest"' in box and 'list="' in box


def test_a_students_school_is_shown_by_name_and_changed_by_name(client_as, curie):
    other = db.session.scalars(select(School).where(School.id != curie.id).order_by(School.id)).first()
    student = client_as("student")
    assert f'value="{curie.long_name}"' in school_box(student.get("/account").text, "school-school_id")
    form = {"school-school_id": other.long_name, "school-grade": 11}
    assert post(student, "/account/school", form, token_from="/account").status_code == 302
    db.session.refresh(student.user)
    assert (student.user.school_id, student.user.grade) == (other.id, 11)
    for typed in ("", "Elementary", "Hogwarts"):
        form = {"school-school_id": typed, "school-grade": 12}
        assert post(student, "/account/school", form, token_from="/account").status_code == 400, typed
    db.session.refresh(student.user)
    assert (student.user.school_id, student.user.grade) == (other.id, 11)


def test_the_newsletter_school_stays_optional(client, curie):
    assert subscribe(client, school_id="").status_code == 200
    assert db.session.scalars(select(NewsletterSubscriber)).one().school_id is None


def test_the_newsletter_takes_a_school_name_and_refuses_an_ambiguous_one(client, curie):
    response = subscribe(client, school_id="Elementary")
    assert response.status_code == 400 and "Several schools match" in response.text
    assert db.session.scalars(select(NewsletterSubscriber)).all() == []
    assert subscribe(client, school_id="curie metropolitan").status_code == 200
    assert db.session.scalars(select(NewsletterSubscriber)).one().school_id == curie.id


def test_a_signed_in_student_subscribes_for_their_school_by_default(client_as, curie):
    page = client_as("student").get("/newsletters/subscribe").text
    assert f'value="{curie.long_name}"' in school_box(page)
