"""The shared read side: what the public may see and what a student may apply to.

Each rule is one hybrid property on the models; these tests hold the loaded-row reading and the
SQL reading to each other, and to what the rule says in words.
"""

from datetime import date, timedelta
from itertools import count, product

from flask import current_app
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpspartners import policy
from cpspartners.directory.filters import Filters
from cpspartners.extensions import db
from cpspartners.models import Application, Notification, Opportunity, Partner, School, User, queries
from cpspartners.search import documents, outbox
from cpspartners.search.reader import IndexReader
from cpspartners.services import ServiceError, accounts, applications, imports, listings, upkeep, vetting
from cpspartners.taxonomy import (
    OPPORTUNITY_ARCHIVED,
    OPPORTUNITY_PENDING_REVIEW,
    OPPORTUNITY_PUBLISHED,
    OPPORTUNITY_STATUSES,
    PARTNER_ACTIVE,
    PARTNER_INACTIVE,
    PARTNER_PENDING,
    PARTNER_STATUSES,
    codes,
)

TODAY = date(2030, 6, 15)


def ids_where(clause):
    return set(db.session.scalars(select(Opportunity.id).where(clause)))


def test_public_means_published_by_an_active_partner(app, make_partner, make_opportunity):
    expected = set()
    for partner_status in codes(PARTNER_STATUSES):
        partner = make_partner(status=partner_status)
        for status in codes(OPPORTUNITY_STATUSES):
            opp = make_opportunity(partner=partner, status=status)
            if (status, partner_status) == ("published", "active"):
                expected.add(opp.id)
    loaded = db.session.scalars(select(Opportunity)).all()
    assert {opp.id for opp in loaded if opp.is_public} == expected
    assert {opp.id for opp in db.session.scalars(queries.public_opportunities())} == expected
    assert {p.id for p in db.session.scalars(select(Partner)) if p.is_active} == {
        p.id for p in db.session.scalars(queries.public_partners())
    }


def test_a_partner_archived_in_the_session_hides_its_listings_at_once(app, make_opportunity):
    """The property reads the partner row, not a copy taken when the listing was loaded."""
    opp = make_opportunity()
    assert opp.is_public
    opp.partner.status = "inactive"
    assert not opp.is_public
    assert opp.id not in ids_where(Opportunity.is_public)  # autoflushed


def test_applications_rules_agree_in_python_and_sql(app, make_partner, make_opportunity):
    partner, archived = make_partner(), make_partner(status="inactive")
    deadlines = (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))
    seats = ((None, 0), (2, 1), (2, 2), (0, 0))
    for owner, deadline, (capacity, taken), status in product(
        (partner, archived), deadlines, seats, ("published", "draft")
    ):
        make_opportunity(partner=owner, deadline=deadline, capacity=capacity, seats_taken=taken, status=status)
    loaded = db.session.scalars(select(Opportunity)).all()
    taking = {o.id for o in loaded if o.is_public and (o.deadline is None or o.deadline >= TODAY)}
    with_seat = {o.id for o in loaded if o.capacity is None or o.seats_taken < o.capacity}
    assert (
        {o.id for o in loaded if o.takes_applications(TODAY)}
        == taking
        == ids_where(Opportunity.takes_applications(TODAY))
    )
    assert len(taking) == 3 * 4  # rolling, today and tomorrow, each with every seat count
    assert {o.id for o in loaded if o.open_for_applications(TODAY)} == taking & with_seat
    assert ids_where(Opportunity.open_for_applications(TODAY)) == taking & with_seat
    assert len(taking & with_seat) == 3 * 2


# --- The rule holds whatever the services do, in any order ---------------------------------------
#
# Partners register, are approved, archived, restored and merged; listings are proposed, approved
# (behind the publishing gate), archived and restored: only through the service functions. After
# every step, four readers must name the same public listings and partners as a plain model of
# the statuses: the directory's query, the model property on loaded rows, the search outbox
# (the ids a rebuild or `flask search check` wants, and its records' flag) and the live index
# that the outbox wrote after each commit.

STATEFUL = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,  # a step commits and writes the index: its time depends on the machine
    suppress_health_check=[HealthCheck.too_slow],
    # The same examples on every run, so CI cannot be the first to meet a new one; widen the
    # search by hand (derandomize=False, more examples) when the services change.
    derandomize=True,
)
_registrations = count(1)


VETTING_KINDS = ("agreement", "insurance", "background_check")


def public_rule_machine(app, specialist_id, index_folder, clock, school_ids=(), student_ids=()):
    """The state machine class, bound to the specialist who reviews and keeps the directory.
    ``clock`` is a one-item list holding the date ``vetting.clock()`` answers (days pass)."""
    runs = count(1)

    class PublicRule(RuleBasedStateMachine):
        partners = Bundle("partners")
        listings = Bundle("listings")

        def __init__(self):
            super().__init__()
            self.partner_status, self.staff = {}, {}
            # The model of the gate: each partner's records as (kind, issued, expires), and who is exempt.
            self.records, self.exempt = {}, set()
            # The clock only moves forward, also from one run to the next: rows of earlier runs stay.
            self.listing_status, self.listing_partner, self.audience = {}, {}, {}
            # Who may apply: each listing's grades and the schools it is offered at (None: citywide);
            # each staff account's standing; the applications made, as (student, listing) pairs.
            self.grades, self.offered, self.staff_ok, self.applied = {}, {}, {}, set()
            # A fresh index per run: Hypothesis seeds `random` alike for every run, and Whoosh
            # names its segments with `random`, so a second run in one folder reuses a name.
            app.extensions["cpspartners_search"].close()
            app.extensions["cpspartners_search"] = IndexReader(str(index_folder / f"run-{next(runs)}"))
            self.schools, self.students = school_ids, student_ids

        @property
        def specialist(self):
            return db.session.get(User, specialist_id)

        @initialize(target=partners)
        def a_vetted_partner_showing_a_listing_to_students(self):
            """Every run starts where the gate matters: records to delete or let expire."""
            partner_id = self.register_partner(vetted=True, approved=True)
            self.publish_student_listing(partner_id)
            return partner_id

        @rule(target=partners, vetted=st.booleans(), approved=st.booleans())
        def register_partner(self, vetted, approved):
            n = next(_registrations)
            staff, _created = accounts.register(
                f"staff{n}@example.org", "a fine long password", "partner_staff", new_partner_name=f"Org {n}"
            )
            partner_id = staff.partner_id
            self.records[partner_id] = []
            if vetted:
                for kind in VETTING_KINDS:
                    self.save_record(partner_id, kind, -30, 300)
            self.partner_status[partner_id], self.staff[partner_id] = PARTNER_PENDING, staff.id
            self.staff_ok[partner_id] = False  # partner staff wait for a specialist's approval
            partner = db.session.get(Partner, partner_id)
            partner.external_id = f"ORG-{n}"  # what a spreadsheet names it by
            db.session.commit()
            if approved:  # a shortcut to the states worth testing: an active partner at once
                self.approve_partner(partner_id)
            return partner_id

        def save_record(self, partner_id, kind, starts_in, lasts):
            issued = self.today + timedelta(days=starts_in)
            values = {"kind": kind, "subject": "", "note": "", "issued_on": issued}
            values["expires_on"] = issued + timedelta(days=lasts)
            upkeep.save_vetting(self.specialist, db.session.get(Partner, partner_id), values)
            self.records[partner_id].append((kind, values["issued_on"], values["expires_on"]))

        @property
        def today(self):
            return clock[0]

        def vetted(self, partner_id):
            """The model's answer: exempt, or each kind has a record current today."""
            current = {kind for kind, issued, expires in self.records[partner_id] if issued <= self.today <= expires}
            return partner_id in self.exempt or current >= set(VETTING_KINDS)

        @rule(
            partner_id=partners,
            kind=st.sampled_from(VETTING_KINDS),
            starts_in=st.sampled_from([-5, 0, 1]),
            lasts=st.sampled_from([0, 1, 2, 30]),
        )
        def add_vetting_record(self, partner_id, kind, starts_in, lasts):
            self.save_record(partner_id, kind, starts_in, lasts)

        @rule(partner_id=partners, kind=st.sampled_from(VETTING_KINDS))
        def delete_a_vetting_record(self, partner_id, kind):
            partner = db.session.get(Partner, partner_id)
            kept = [r for r in partner.vetting_records if r.kind == kind]
            if kept:
                gone = kept[0]
                self.records[partner_id].remove((gone.kind, gone.issued_on, gone.expires_on))
                upkeep.delete_vetting(self.specialist, gone)

        @rule(days=st.sampled_from([1, 2, 31]))
        def days_pass_and_the_sweep_runs(self, days):
            clock[0] = self.today + timedelta(days=days)
            vetting.sweep(self.today)
            assert vetting.sweep(self.today).checked == 0  # idempotent: nothing left due

        @rule(partner_id=partners)
        def grant_exemption(self, partner_id):
            with refused_when(partner_id in self.exempt):
                vetting.grant_exemption(self.specialist, db.session.get(Partner, partner_id), "District-run")
                self.exempt.add(partner_id)

        @rule(partner_id=partners)
        def remove_exemption(self, partner_id):
            with refused_when(partner_id not in self.exempt):
                vetting.remove_exemption(self.specialist, db.session.get(Partner, partner_id))
                self.exempt.discard(partner_id)

        @rule(partner_id=partners)
        def approve_partner(self, partner_id):
            request = listings.open_request("partner", partner_id)
            if request is not None:
                listings.approve(self.specialist, request)
                self.partner_status[partner_id] = PARTNER_ACTIVE

        @rule(partner_id=partners)
        def archive_partner(self, partner_id):
            archived = self.partner_status[partner_id] == PARTNER_INACTIVE
            with refused_when(archived):
                upkeep.archive_partner(self.specialist, db.session.get(Partner, partner_id))
                self.partner_status[partner_id] = PARTNER_INACTIVE

        @rule(partner_id=partners)
        def restore_partner(self, partner_id):
            with refused_when(self.partner_status[partner_id] != PARTNER_INACTIVE):
                upkeep.restore_partner(self.specialist, db.session.get(Partner, partner_id))
                self.partner_status[partner_id] = PARTNER_ACTIVE

        @rule(keep=partners, duplicate=partners)
        def merge_partners(self, keep, duplicate):
            with refused_when(keep == duplicate):
                upkeep.merge_partners(
                    self.specialist, db.session.get(Partner, keep), db.session.get(Partner, duplicate)
                )
                for listing, owner in self.listing_partner.items():
                    if owner == duplicate:
                        self.listing_partner[listing] = keep
                # The records move to keep with everything else; an exemption stays where it was.
                self.records[keep] += self.records[duplicate]
                self.records[duplicate] = []
                self.partner_status[duplicate] = PARTNER_INACTIVE

        @rule(target=listings, partner_id=partners, audience=st.sampled_from(["students", "classrooms"]))
        def propose_listing(self, partner_id, audience):
            staff = db.session.get(User, self.staff[partner_id])
            values = {"title": "Welding night", "kind": "workshop", "audience": audience}
            opp, _request = listings.create_opportunity(staff, db.session.get(Partner, partner_id), values)
            self.listing_status[opp.id], self.listing_partner[opp.id] = OPPORTUNITY_PENDING_REVIEW, partner_id
            self.audience[opp.id], self.grades[opp.id], self.offered[opp.id] = audience, (opp.grade_min, 12), None
            return opp.id

        @rule(target=listings, partner_id=partners, published=st.booleans())
        def import_listing(self, partner_id, published):
            """A specialist's spreadsheet: grades 9-12, offered at one school only. Published only
            through the gate: for an unvetted or inactive partner the row is refused."""
            n = next(_registrations)
            partner = db.session.get(Partner, partner_id)
            status = "published" if published else "draft"
            school = self.schools[0]
            raw = (
                "external_id,partner_external_id,kind,title,audience,grade_min,grade_max,school_ids,status\r\n"
                f"OPP-{n},{partner.external_id},workshop,Imported {n},students,9,12,{school},{status}\r\n"
            ).encode()
            gate_shut = published and not (
                self.vetted(partner_id) and self.partner_status[partner_id] == PARTNER_ACTIVE
            )
            run = imports.import_file("opportunities", raw, self.specialist)
            if published and not self.vetted(partner_id):
                assert run.state == "failed", "an import published a listing for students of an unvetted partner"
            if run.state != "done":
                assert gate_shut, run.error  # refused, and nothing written
                assert db.session.scalar(select(Opportunity.id).where(Opportunity.external_id == f"OPP-{n}")) is None
                return multiple()
            opp_id = db.session.scalar(select(Opportunity.id).where(Opportunity.external_id == f"OPP-{n}"))
            self.listing_status[opp_id] = OPPORTUNITY_PUBLISHED if published else "draft"
            self.listing_partner[opp_id], self.audience[opp_id] = partner_id, "students"
            self.grades[opp_id], self.offered[opp_id] = (9, 12), {school}
            return opp_id

        @rule(listing_id=listings, audience=st.sampled_from(["students", "classrooms"]))
        def edit_audience_directly(self, listing_id, audience):
            """A specialist's correction through the edit form's service, at the version it saw."""
            opp = db.session.get(Opportunity, listing_id)
            waiting = listings.open_request("opportunity", listing_id) is not None
            unchanged = self.audience[listing_id] == audience
            published = self.listing_status[listing_id] == OPPORTUNITY_PUBLISHED
            gated = published and audience == "students" and not self.vetted(self.listing_partner[listing_id])
            with refused_when(waiting or unchanged or gated):
                listings.edit_directly(
                    self.specialist, opp, {"audience": audience}, seen=listings.Seen(version=opp.version)
                )
                self.audience[listing_id] = audience

        @rule(listing_id=listings)
        def reject_listing(self, listing_id):
            request = listings.open_request("opportunity", listing_id)
            if request is not None:
                was_new = request.is_new
                listings.reject(self.specialist, request, "Not for us")
                if was_new:
                    self.listing_status[listing_id] = "draft"

        @rule(partner_id=partners)
        def approve_staff(self, partner_id):
            staff = db.session.get(User, self.staff[partner_id])
            with refused_when(self.staff_ok[partner_id]):
                accounts.approve_account(self.specialist, staff)
                self.staff_ok[partner_id] = True

        @rule(partner_id=partners)
        def revoke_staff(self, partner_id):
            staff = db.session.get(User, self.staff[partner_id])
            with refused_when(not self.staff_ok[partner_id]):
                accounts.revoke_approval(self.specialist, staff)
                self.staff_ok[partner_id] = False

        @rule(listing_id=listings, who=st.integers(0, 3))
        def a_student_applies(self, listing_id, who):
            """Students in grades 7 and 10 at two schools: applied exactly when the model says they
            may (public, the grade fits, offered at their school) and have not yet."""
            student = db.session.get(User, self.students[who])
            low, high = self.grades[listing_id]
            may = (
                listing_id in self.expected_public()
                and low <= student.grade <= high
                and (self.offered[listing_id] is None or student.school_id in self.offered[listing_id])
                and (student.id, listing_id) not in self.applied
            )
            with refused_when(not may):
                applications.apply(
                    student, db.session.get(Opportunity, listing_id), "I like welding.", today=self.today
                )
                self.applied.add((student.id, listing_id))

        @rule(target=listings, partner_id=partners)
        def publish_student_listing(self, partner_id):
            """Proposed and approved in one step: a shortcut to a published listing for students."""
            listing_id = self.propose_listing(partner_id, "students")
            self.approve_listing(listing_id)
            return listing_id

        @rule(listing_id=listings)
        def approve_listing(self, listing_id):
            request = listings.open_request("opportunity", listing_id)
            if request is not None:
                with refused_when(self.gate_shut(listing_id)):
                    listings.approve(self.specialist, request)
                    self.listing_status[listing_id] = OPPORTUNITY_PUBLISHED

        @rule(listing_id=listings)
        def archive_listing(self, listing_id):
            with refused_when(self.listing_status[listing_id] == OPPORTUNITY_ARCHIVED):
                upkeep.archive_opportunity(self.specialist, db.session.get(Opportunity, listing_id))
                self.listing_status[listing_id] = OPPORTUNITY_ARCHIVED

        @rule(listing_id=listings)
        def restore_listing(self, listing_id):
            archived = self.listing_status[listing_id] == OPPORTUNITY_ARCHIVED
            with refused_when(not archived or self.gate_shut(listing_id)):
                upkeep.restore_opportunity(self.specialist, db.session.get(Opportunity, listing_id))
                self.listing_status[listing_id] = OPPORTUNITY_PUBLISHED

        def gate_shut(self, listing_id):
            """The publishing gate: a listing for students needs a fully vetted partner."""
            return self.audience[listing_id] == "students" and not self.vetted(self.listing_partner[listing_id])

        @invariant()
        def no_student_listing_visible_without_a_vetted_active_partner(self):
            db.session.expire_all()
            mine = Opportunity.id.in_(list(self.listing_status))
            for opp in db.session.scalars(
                select(Opportunity).where(mine, Opportunity.is_public, Opportunity.needs_vetting)
            ):
                assert opp.partner.is_active and vetting.blockers(opp.partner, self.today) == [], opp
            assert [opp for opp in vetting.violators(self.today) if opp.id in self.listing_status] == []

        def expected_public(self):
            return {
                listing
                for listing, status in self.listing_status.items()
                if status == OPPORTUNITY_PUBLISHED
                and self.partner_status[self.listing_partner[listing]] == PARTNER_ACTIVE
                and not self.gate_shut(listing)
            }

        @invariant()
        def only_staff_in_good_standing_reach_student_data(self):
            db.session.expire_all()
            for partner_id, staff_id in self.staff.items():
                staff = db.session.get(User, staff_id)
                ok = self.staff_ok[partner_id]
                assert policy.in_good_standing(staff) == ok
                listed = select(Application.id).join(Opportunity).where(policy.applications_visible_to(staff))
                mine = set(db.session.scalars(listed))
                # staff.partner_id, not partner_id: a merge moves the duplicate's staff to the partner kept
                theirs = {
                    a.id
                    for a in db.session.scalars(select(Application))
                    if a.opportunity.partner_id == staff.partner_id
                }
                assert mine == (theirs if ok else set()), (partner_id, ok)
                for application in db.session.scalars(select(Application).where(Application.id.in_(theirs))):
                    assert policy.application_side(staff, application) == ("partner" if ok else None)
                if not ok:  # nothing about students' activity waits for an account that may not see it
                    assert db.session.scalar(select(func.count()).where(Notification.user_id == staff_id)) == 0

        @invariant()
        def applications_are_those_the_model_allowed(self):
            mine = Application.opportunity_id.in_(list(self.listing_status))  # earlier runs' rows stay
            made = {(a.student_id, a.opportunity_id) for a in db.session.scalars(select(Application).where(mine))}
            assert made == self.applied

        @invariant()
        def everyone_agrees_on_what_is_public(self):
            db.session.expire_all()  # read what was committed, not what the session remembers
            expected = self.expected_public()
            readers = public_listings_by_reader(set(self.listing_status))
            assert readers == dict.fromkeys(readers, expected), readers
            active = {partner for partner, status in self.partner_status.items() if status == PARTNER_ACTIVE}
            readers = public_partners_by_reader(set(self.partner_status))
            assert readers == dict.fromkeys(readers, active), readers

    return PublicRule


class refused_when:
    """Run the block; when ``refused``, the service must raise ``ServiceError`` instead (and the
    rest of the block, which updates the model, is skipped)."""

    def __init__(self, refused):
        self.refused = refused

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if self.refused:
            assert kind is not None and issubclass(kind, ServiceError), "the service should have refused"
            return True
        return False


def public_listings_by_reader(ids):
    """{reader: the public listings among ``ids``}, for every reader of the rule."""
    listed = {opp.id for opp in db.session.scalars(queries.filtered_opportunities(Filters()))}
    loaded = {opp.id for opp in db.session.scalars(select(Opportunity).where(Opportunity.id.in_(ids)))}
    with Session(db.engine) as session:
        wanted = set(outbox.public_opportunity_ids(session))
        records = {r.id for r in outbox.load_opportunities(session, sorted(ids)) if documents.is_public_opportunity(r)}
    indexed = {int(key[2:]) for key in outbox.indexed_keys() if key.startswith("o:")}
    # An anonymous visitor's listing pages, through the pages each worker keeps (pagecache): a
    # page kept before a change must never be served after it.
    visitor = current_app.test_client()
    slugs = {i: db.session.get(Opportunity, i).slug for i in ids}
    pages = {i for i, slug in slugs.items() if visitor.get(f"/opportunities/{slug}").status_code == 200}
    return {
        "anonymous pages": pages,
        "directory": listed & ids,
        "is_public": {i for i in loaded if db.session.get(Opportunity, i).is_public},
        "search wants": wanted & ids,
        "search records": records,
        "index": indexed & ids,
    }


def public_partners_by_reader(ids):
    """{reader: the public partners among ``ids``}, likewise."""
    with Session(db.engine) as session:
        wanted = set(outbox.public_partner_ids(session))
        records = {r.id for r in outbox.load_partners(session, sorted(ids)) if documents.is_public_partner(r)}
    return {
        "directory": {p.id for p in db.session.scalars(queries.public_partners())} & ids,
        "is_active": {i for i in ids if db.session.get(Partner, i).is_active},
        "search wants": wanted & ids,
        "search records": records,
        "index": {int(key[2:]) for key in outbox.indexed_keys() if key.startswith("p:")} & ids,
    }


def test_every_reader_agrees_on_what_is_public_whatever_the_services_do(app, make_user, tmp_path, monkeypatch):
    clock = [TODAY]
    monkeypatch.setattr(vetting, "clock", lambda: clock[0])
    schools = list(db.session.scalars(select(School.id).order_by(School.id).limit(2)))
    students = [make_user("student", grade=grade, school_id=school).id for school in schools for grade in (7, 10)]
    machine = public_rule_machine(app, make_user("specialist").id, tmp_path, clock, schools, students)
    run_state_machine_as_test(machine, settings=STATEFUL)
