"""My record: a student's experiences, hours and credentials, and the links they share it by."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Application, AuditEntry, Credential, RecordShare
from cpspartners.services import records
from cpspartners.services._base import utcnow
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from tests.conftest import post

LINK = re.compile(r"(https?://[^\s<\"]+/my-record/shared/[A-Za-z0-9_\-]+)")


@pytest.fixture
def history(people, make_opportunity):
    """Ana completed two listings (12 and 3.5 hours) and holds confirmed college credit and a
    certification; one more credential is still waiting for a specialist."""
    student = people["student"]
    done = [make_opportunity(partner=people["partner"], title=t) for t in ("Robotics lab", "Welding intro")]
    for opp, hours in zip(done, (Decimal("12"), Decimal("3.5")), strict=True):
        db.session.add(
            Application(
                opportunity_id=opp.id,
                student_id=student.id,
                state="completed",
                hours=hours,
                completed_on=date(2025, 10, 1),
            )
        )
    db.session.add_all(
        [
            Credential(
                student_id=student.id,
                kind="college_credit",
                name="ENG 101",
                credits=Decimal("3"),
                earned_on=date(2025, 12, 1),
                status="confirmed",
            ),
            Credential(
                student_id=student.id,
                kind="certification",
                name="OSHA 10",
                earned_on=date(2025, 11, 1),
                status="confirmed",
            ),
            Credential(
                student_id=student.id,
                kind="college_credit",
                name="Not yet",
                credits=Decimal("4"),
                earned_on=date(2025, 12, 2),
                status="claimed",
            ),
        ]
    )
    db.session.commit()
    return student


def test_record_sums_hours_and_confirmed_credit_only(history):
    found = records.record_of(history)
    assert found.hours == Decimal("15.5")
    assert found.college_credits == Decimal("3")  # the claimed 4 credits do not count yet
    assert found.semester_percent == 20  # 3 of 15
    assert [c.name for c in found.credentials] == ["ENG 101", "OSHA 10"]
    assert found.first_name == "Ana"


def test_student_sees_record_in_spanish(app, history):
    client = app.test_client()
    client.set_cookie("lang", "es")
    from tests.conftest import sign_in_as

    sign_in_as(client, history)
    html = client.get("/my-record").get_data(as_text=True)
    assert "Mi historial" in html
    assert "Robotics lab" in html and "ENG 101" in html
    assert "Not yet" not in html  # a claimed credential is not on the record
    assert "@media print" not in html  # print styles live in the stylesheet, not inline


def test_only_students_have_a_record(client_as):
    assert client_as("teacher").get("/my-record").status_code == 403
    assert client_as("specialist").get("/my-record").status_code == 403


def test_sharing_makes_a_link_that_shows_the_record_without_contact_details(app, history):
    from tests.conftest import sign_in_as

    client = sign_in_as(app.test_client(), history)
    response = post(client, "/my-record/links", {"days": "7", "label": "my counsellor"}, token_from="/my-record")
    assert response.status_code == 200
    link = LINK.search(response.get_data(as_text=True)).group(1)
    share = db.session.scalars(select(RecordShare)).one()
    assert share.token_hash not in link  # only the hash is kept
    visitor = app.test_client()
    shared = visitor.get(link.replace("http://localhost", ""))
    html = shared.get_data(as_text=True)
    assert shared.status_code == 200
    assert "Robotics lab" in html and "ENG 101" in html
    assert history.email not in html and "Reyes" not in html and "my counsellor" not in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert shared.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in shared.headers["Cache-Control"]
    viewed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "viewed_by_link")).all()
    assert [(e.subject_type, e.subject_id) for e in viewed] == [("student_record", history.id)]
    db.session.refresh(share)
    assert share.views == 1


def test_revoked_and_expired_links_open_nothing(app, history):
    share, token = records.share_record(history, 7)
    assert records.open_share(token) is not None
    records.revoke_share(history, share)
    assert app.test_client().get(f"/my-record/shared/{token}").status_code == 404
    with pytest.raises(Conflict):
        records.revoke_share(history, share)
    later, token2 = records.share_record(history, 7)
    assert records.open_share(token2, now=utcnow() + timedelta(days=8)) is None
    assert app.test_client().get("/my-record/shared/not-a-token").status_code == 404


def test_a_switched_off_student_s_links_stop(app, history):
    _share, token = records.share_record(history, 30)
    history.active = False
    db.session.commit()
    assert records.open_share(token) is None


def test_only_the_student_stops_their_link(app, history, people, client_as):
    share, _token = records.share_record(history, 30)
    with pytest.raises(NotAllowed):
        records.revoke_share(people["student2"], share)
    other = client_as("student")
    response = post(other, f"/my-record/links/{share.id}/stop", token_from="/my-record")
    assert response.status_code == 403
    db.session.refresh(share)
    assert share.revoked_at is None


def test_nobody_else_can_share_a_record(people):
    with pytest.raises(NotAllowed):
        records.share_record(people["specialist"], 7)
    with pytest.raises(NotAllowed):
        records.share_record(people["teacher"], 7)


def test_bad_share_length_is_a_400_and_writes_nothing(app, history):
    from tests.conftest import sign_in_as

    client = sign_in_as(app.test_client(), history)
    response = post(client, "/my-record/links", {"days": "3650"}, token_from="/my-record")
    assert response.status_code == 400
    assert db.session.scalars(select(RecordShare)).all() == []
    with pytest.raises(RuleBroken):
        records.share_record(history, 3650)


def test_shares_need_a_csrf_token(app, history):
    from tests.conftest import sign_in_as

    client = sign_in_as(app.test_client(), history)
    assert client.post("/my-record/links", data={"days": "7"}).status_code == 400
    assert db.session.scalars(select(RecordShare)).all() == []
