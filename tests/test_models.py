"""The database itself refuses rows that break the model's rules."""

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, User, Verification, VettingRecord


def add_and_commit(obj):
    db.session.add(obj)
    db.session.commit()


def rejected(obj):
    with pytest.raises(IntegrityError):
        add_and_commit(obj)
    db.session.rollback()
    return True


def test_unknown_partner_kind_is_rejected(app):
    assert rejected(Partner(name="X", slug="x", kind="pirate"))


def test_partner_slug_is_unique(app, make_partner):
    make_partner(slug="same")
    assert rejected(Partner(name="Y", slug="same", kind="nonprofit"))


def test_opportunity_grade_range_must_be_ordered(app, make_partner):
    partner = make_partner()
    assert rejected(Opportunity(partner=partner, slug="g", title="G", kind="workshop", grade_min=11, grade_max=8))


def test_opportunity_grade_outside_k12_is_rejected(app, make_partner):
    assert rejected(
        Opportunity(partner=make_partner(), slug="h", title="H", kind="workshop", grade_min=6, grade_max=14)
    )


def test_opportunity_negative_capacity_is_rejected(app, make_partner):
    assert rejected(Opportunity(partner=make_partner(), slug="c", title="C", kind="workshop", capacity=-1))


def test_unknown_career_cluster_is_rejected(app, make_opportunity):
    opp = make_opportunity()
    opp.clusters = ["999999"]
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_opportunity_needs_an_existing_partner(app):
    """Foreign keys are enforced, on SQLite too."""
    assert rejected(Opportunity(partner_id=987654, slug="o", title="O", kind="workshop"))


def test_student_needs_grade_and_school_but_no_birth_date(app, curie):
    assert not hasattr(User, "birth_date")
    assert rejected(User(email="s1@example.org", role="student", school_id=curie.id))
    assert rejected(User(email="s2@example.org", role="student", school_id=curie.id, grade=4))
    add_and_commit(User(email="s3@example.org", role="student", school_id=curie.id, grade=10))


def test_only_students_have_a_grade(app, curie):
    assert rejected(User(email="t@example.org", role="teacher", school_id=curie.id, grade=10))


def test_partner_staff_belong_to_a_partner(app, make_partner):
    assert rejected(User(email="p@example.org", role="partner_staff"))
    add_and_commit(User(email="p2@example.org", role="partner_staff", partner=make_partner()))


def test_vetting_record_cannot_expire_before_it_starts(app, make_partner):
    assert rejected(
        VettingRecord(partner=make_partner(), kind="insurance", issued_on=date(2026, 5, 1), expires_on=date(2026, 1, 1))
    )


def test_vetting_record_is_current_only_inside_its_dates():
    record = VettingRecord(kind="agreement", issued_on=date(2026, 1, 1), expires_on=date(2026, 12, 31))
    assert record.is_current(date(2026, 6, 1))
    assert not record.is_current(date(2027, 1, 1))


def test_verification_is_about_exactly_one_thing(app, make_opportunity):
    opp = make_opportunity()
    assert rejected(Verification(method="call"))
    assert rejected(Verification(method="call", partner_id=opp.partner_id, opportunity_id=opp.id))
    add_and_commit(Verification(method="site_visit", opportunity_id=opp.id))


def test_verification_is_kept_apart_from_updated_at(app, make_opportunity):
    opp = make_opportunity()
    before = opp.updated_at
    add_and_commit(Verification(method="call", opportunity_id=opp.id))
    db.session.refresh(opp)
    assert opp.updated_at == before
    assert len(opp.verifications) == 1


def test_tags_are_normalised_and_deduplicated(app, make_opportunity):
    opp = make_opportunity(tags=["Welding", "welding ", " ", "Robotics"])
    assert opp.tags == ["robotics", "welding"]
