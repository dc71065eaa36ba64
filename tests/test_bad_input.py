"""Every form against bad input: empty, overlong, wrong type, script tags, control characters —
a clear message next to the field (aria-describedby), the rest of the input kept, nothing
written. Right-to-left and accented text is welcome and stored as typed."""

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, ChangeRequest, Opportunity, User, VettingRecord
from tests.conftest import post

VALID_OPP = {
    "title": "Robotics club",
    "kind": "workshop",
    "summary": "Build robots.",
    "audience": "classrooms",
    "grade_min": "6",
    "grade_max": "8",
    "modality": "in_person",
    "community_area_number": "0",
    "location_name": "Kept place name",
}
VALID_PARTNER = {"name": "Kept Org", "kind": "nonprofit", "community_area_number": "0", "mission": "Kept mission"}
VALID_VETTING = {"kind": "insurance", "issued_on": "2026-01-01", "expires_on": "2027-01-01", "subject": "Kept subject"}

# (form, field, bad value, words in the message)
CASES = [
    ("opportunity", "title", "", "required"),
    ("opportunity", "title", "x" * 201, "at most 200"),
    ("opportunity", "title", "<script>alert(1)</script>", "HTML tags"),
    ("opportunity", "title", "Hidden\u202eevil", "invisible"),
    ("opportunity", "grade_min", "six", "Not a valid integer"),
    ("opportunity", "grade_min", "13", "from 0 (kindergarten) to 12"),
    ("opportunity", "grade_max", "5", "must not be below"),
    ("opportunity", "capacity", "-1", "whole number"),
    ("opportunity", "capacity", "9" * 40, "whole number"),
    ("opportunity", "starts_on", "31/12/2026", "Not a valid date"),
    ("opportunity", "kind", "spaceflight", "Not a valid choice"),
    ("opportunity", "community_area_number", "99", "community area"),
    ("opportunity", "community_area_number", "abc", "Invalid Choice"),
    ("opportunity", "tags", "a" * 41, "at most 40"),
    ("partner", "name", "", "required"),
    ("partner", "website", "javascript:alert(1)", "https://"),
    ("partner", "contact_email", "not-an-email", "email address"),
    ("partner", "mission", "<img src=x onerror=alert(1)>", "HTML tags"),
    ("vetting", "issued_on", "", "YYYY-MM-DD"),
    ("vetting", "expires_on", "tomorrow", "Not a valid date"),
    ("vetting", "subject", "<b>bold</b>", "HTML tags"),
]

FORMS = {
    "opportunity": ("partner_staff", "/partner/opportunities/new", VALID_OPP, "location_name", Opportunity),
    "partner": ("partner_staff", "/partner/profile", VALID_PARTNER, "mission", ChangeRequest),
    "vetting": ("specialist", None, VALID_VETTING, "subject", VettingRecord),
}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("form, field, value, message", CASES)
def test_bad_input_gets_a_message_next_to_the_field_and_writes_nothing(
    client_as, make_partner, form, field, value, message
):
    role, path, valid, kept_field, model = FORMS[form]
    client = client_as(role)
    if path is None:
        path = f"/review/partners/{make_partner().id}/vetting/new"
    data = dict(valid, **{field: value})
    if field == kept_field:
        kept_field = "title" if form == "opportunity" else "name"
    before = count(model), count(AuditEntry)
    response = post(client, path, data, token_from=path)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html
    assert f'aria-describedby="{field}-error"' in html or f"{field}-help {field}-error" in html
    error_text = html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert message.lower() in error_text.lower()
    if kept_field in valid:
        assert valid[kept_field] in html  # the rest of what was typed is still there
    assert "<script>alert(1)</script>" not in html  # never echoed unescaped
    assert (count(model), count(AuditEntry)) == before


def test_right_to_left_and_accented_text_is_accepted_as_typed(client_as):
    client = client_as("partner_staff")
    title = "Taller de robótica — ورشة الروبوتات"
    response = post(
        client,
        "/partner/opportunities/new",
        dict(VALID_OPP, title=title, summary="Ñandú 🐦"),
        token_from="/partner/opportunities/new",
    )
    assert response.status_code == 302
    opp = db.session.scalars(select(Opportunity)).one()
    assert opp.title == title and opp.summary == "Ñandú 🐦"


@pytest.mark.parametrize(
    "fields, error_field",
    [
        ({"email": ""}, "email"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"password": "short", "confirm": "short"}, "password"),
        ({"confirm": "different password"}, "confirm"),
        ({"name": "<script>x</script>"}, "name"),
        ({"grade": "twelve"}, "grade"),
        ({"grade": "5"}, "grade"),
        ({"school_id": "123456789"}, "school_id"),
        ({"role": "superuser"}, "role"),
        ({"role": "partner_staff", "organization": "<script>x</script>"}, "organization"),
        ({"role": "partner_staff", "organization": "x" * 201}, "organization"),
        ({"role": "partner_staff", "organization": "\x00\u202e"}, "organization"),
        ({"role": "partner_staff", "organization": "Zzyzx", "partner_id": "not a number"}, "organization"),
    ],
)
def test_register_bad_input(client, curie, fields, error_field):
    data = {
        "role": "student",
        "email": "kept@example.org",
        "password": "long enough pass",
        "name": "Kept name",
        "confirm": "long enough pass",
        "school_id": str(curie.id),
        "grade": "8",
        "partner_id": "0",
        "language": "en",
    }
    data.update(fields)
    response = post(client, "/account/register", data, token_from="/account/register")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{error_field}-error"' in html
    if error_field != "name":
        assert "Kept name" in html
    assert count(User) == 0


def test_sign_in_with_empty_fields_says_which(client):
    html = post(client, "/account/sign-in", {"email": "", "password": ""}).get_data(as_text=True)
    assert 'id="email-error"' in html and 'id="password-error"' in html


def test_someone_elses_object_is_403_and_unchanged(client_as, make_opportunity):
    staff = client_as("partner_staff")
    other = make_opportunity(title="Not yours")
    path = f"/partner/opportunities/{other.id}/edit"
    assert staff.get(path).status_code == 403
    assert post(staff, path, dict(VALID_OPP, title="Mine now")).status_code == 403
    assert db.session.get(Opportunity, other.id).title == "Not yours"
    assert count(ChangeRequest) == 0


def test_unknown_objects_are_404_not_500(client_as):
    specialist = client_as("specialist")
    for path in (
        "/review/changes/999999",
        "/review/partners/999999",
        "/review/opportunities/999999",
        "/review/vetting/999999/edit",
        "/admin/users/999999",
        "/partner/opportunities/999999/edit",
    ):
        assert specialist.get(path).status_code in (404, 403), path
    assert post(specialist, "/review/vetting/999999/delete").status_code == 404
    assert post(specialist, "/review/changes/999999/approve").status_code == 404
