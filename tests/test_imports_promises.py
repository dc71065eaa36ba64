"""Imports are ordinary writes (issue 12, point 6): the forms' rules, the publishing gate, the
audit log and the review queue hold for every imported row; the dry run checks what the commit
will; the site's own export imports back unchanged; a commit token is applied once."""

import csv
import io
import string
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from cpspartners.extensions import db
from cpspartners.fieldrules import plain_text_problem
from cpspartners.formats.spreadsheets import to_csv
from cpspartners.models import AuditEntry, ChangeRequest, ImportRun, Opportunity, Partner, VettingRecord
from cpspartners.services import exports, imports
from tests.conftest import PG_URL, csrf_token
from tests.test_transfers_imports import PARTNERS, vet

HEADER = "external_id,name,kind,mission,website,contact_email,contact_phone,community_area,languages,status\n"


def sheet(*lines, header=HEADER):
    return (header + "".join(line + "\n" for line in lines)).encode()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def reasons(planned):
    return {row.external_id: " | ".join(str(r) for r in row.reasons) for row in planned.rows if row.action == "reject"}


def committed(what, raw, **kwargs):
    run = imports.import_file(what, raw, **kwargs)
    assert run.state == "done", run.error
    return run


def export(what):
    header, rows = exports.partners_csv() if what == "partners" else exports.opportunities_csv()
    return to_csv(header, rows).encode()


def opportunity(external_id):
    return db.session.scalar(select(Opportunity).where(Opportunity.external_id == external_id))


def partner(external_id):
    return db.session.scalar(select(Partner).where(Partner.external_id == external_id))


# The dialect: quotes, neutralised cells, the site's own export.


def test_cells_with_double_quotes_survive_export_and_import(app, make_partner):
    make_partner(
        external_id="P-Q",
        name='The "Best" Builders, Inc.',
        mission='She said "hi";\nthen: ""left"", \'twice\'',
        address='1 "A" St',
    )
    raw = export("partners")
    planned = imports.plan("partners", raw)
    assert planned.ok and planned.count("unchanged") == 1, reasons(planned)
    # A fresh database reads the same cells back.
    db.session.delete(partner("P-Q"))
    db.session.commit()
    committed("partners", raw)
    assert partner("P-Q").name == 'The "Best" Builders, Inc.'
    assert partner("P-Q").mission == 'She said "hi";\nthen: ""left"", \'twice\''


def test_neutralised_cells_come_back_without_the_apostrophe(app, make_partner):
    make_partner(external_id="P-F", name="=cmd|' /C calc'!A0", mission="-5 degrees", address="'quoted'")
    raw = export("partners")
    assert b"'=cmd" in raw and b"'-5 degrees" in raw and b"''quoted'" in raw
    assert imports.plan("partners", raw).count("unchanged") == 1
    db.session.delete(partner("P-F"))
    db.session.commit()
    committed("partners", raw)
    stored = partner("P-F")
    assert (stored.name, stored.mission, stored.address) == ("=cmd|' /C calc'!A0", "-5 degrees", "'quoted'")


def test_a_typed_formula_is_still_refused(app):
    planned = imports.plan("partners", sheet('P-1,"=HYPERLINK(""http://x"")",nonprofit,,,,,,,'))
    assert "spreadsheet formula" in reasons(planned)["P-1"]


def test_the_sites_own_export_imports_back_with_no_changes(app, make_partner, make_opportunity, curie):
    one = make_partner(
        external_id="P-1",
        website="https://example.org",
        contact_email="a@example.org",
        contact_phone="312-555-0100",
        community_area_number=31,
        languages="en,es",
    )
    two = make_partner(external_id="P-2", status="pending")
    make_opportunity(partner=one, external_id="O-1", audience="classrooms", schools=[curie], tags=["welding"])
    make_opportunity(partner=two, external_id="O-2", status="pending_review", paid=True, capacity=12)
    make_opportunity(partner=one, external_id="O-3", status="draft", title='Say "cheese", then =smile')
    for what in ("partners", "opportunities"):
        planned = imports.plan(what, export(what))
        assert planned.ok, reasons(planned)
        assert planned.count("unchanged") == planned.total and planned.total >= 2


TEXT = st.text(
    alphabet=st.sampled_from(list(string.ascii_letters + string.digits) + list(" \"',;=+-@\n\r\tñé<>|!")),
    min_size=1,
    max_size=30,
).map(str.strip)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT, mission=TEXT, address=TEXT)
def test_round_trip_property_export_then_import_changes_nothing(app, name, mission, address):
    for value in (name, mission, address):
        if not value or plain_text_problem(value):
            return  # the forms would not have stored it either
    db.session.execute(db.delete(AuditEntry))
    db.session.execute(db.delete(ChangeRequest))
    db.session.execute(db.delete(Partner))
    db.session.add(
        Partner(external_id="P-H", slug="p-h", name=name, kind="nonprofit", mission=mission, address=address)
    )
    db.session.commit()
    raw = export("partners")
    planned = imports.plan("partners", raw)
    assert planned.count("unchanged") == 1, (reasons(planned), [r.changes for r in planned.rows])
    db.session.execute(db.delete(Partner))
    db.session.commit()
    committed("partners", raw)
    stored = partner("P-H")
    assert (stored.name, stored.mission, stored.address) == (name, mission, address)


# The same rules as the forms.


def test_labels_in_either_language_and_any_case_are_read_as_codes(app):
    raw = sheet(
        'P-1,Radio,Nonprofit,,,,,Grand Boulevard,"English, español",Active',
        "P-2,Union Hall,sin fines de lucro,,,,,grand boulevard,ASL,activo",
        "P-3,Casa,Organización comunitaria,,,,,38,Inglés,pending",
    )
    planned = imports.plan("partners", raw)
    assert planned.ok, reasons(planned)
    committed("partners", raw)
    assert (partner("P-1").kind, partner("P-1").community_area_number, partner("P-1").languages) == (
        "nonprofit",
        38,
        "en,es",
    )
    assert (partner("P-2").kind, partner("P-2").languages, partner("P-2").status) == ("nonprofit", "asl", "active")
    assert partner("P-3").kind == "cbo"
    assert "must be one of" in reasons(imports.plan("partners", sheet("P-4,X,pirate,,,,,,,")))["P-4"]


def test_opportunity_labels_clusters_and_statuses(app):
    committed("partners", PARTNERS)
    raw = (
        b"external_id,partner_external_id,kind,title,clusters,audience,modality,status\n"
        b"O-1,P-1,Workshop,Radio,Construction,Classrooms and teachers,Virtual,Borrador\n"
        b'O-2,P-1,taller,Radio 2,"Digital Technology, 010200",familias,presencial,Draft\n'
    )
    planned = imports.plan("opportunities", raw)
    assert planned.ok, reasons(planned)
    committed("opportunities", raw)
    assert (opportunity("O-1").clusters, opportunity("O-1").audience, opportunity("O-1").status) == (
        ["010200"],
        "classrooms",
        "draft",
    )
    assert sorted(opportunity("O-2").clusters) == ["010200", "060100"] and opportunity("O-2").modality == "in_person"


def test_bad_email_url_and_phone_are_refused_as_the_form_refuses_them(app):
    from cpspartners.partners.forms import PartnerForm

    planned = imports.plan(
        "partners",
        sheet(
            "P-1,A,nonprofit,,not a url,,,,,",
            "P-2,B,nonprofit,,,not-an-email,,,,",
            "P-3,C,nonprofit,,,,call me maybe,,,",
            "P-4,D,nonprofit,,https://example.org,d@example.org,(312) 555-0100 x12,,,",
        ),
    )
    found = reasons(planned)
    assert "web address" in found["P-1"] and "email address" in found["P-2"] and "phone number" in found["P-3"]
    assert "P-4" not in found
    with app.test_request_context():
        form = PartnerForm(
            MultiDict(
                {"name": "A", "kind": "nonprofit", "website": "not a url", "contact_email": "not-an-email"}
                | {"contact_phone": "call me maybe"}
            ),
            meta={"csrf": False},
        )
        form.community_area_number.choices = []
        assert not form.validate()
        assert set(form.errors) >= {"website", "contact_email", "contact_phone"}


def test_row_reasons_are_given_in_spanish_too(app):
    planned = imports.plan("partners", sheet("P-1,A,nonprofit,,,not-an-email,,99,,"))
    with app.test_request_context(), force_locale("es"):
        text = " | ".join(str(r) for r in planned.rows[0].reasons)
    assert "correo" in text and "entre 1 y 77" in text


# What PostgreSQL refused at commit, now refused in the dry run with a reason on the row.


def test_nul_byte_long_name_and_long_lists_are_rejected_in_the_dry_run(app):
    committed("partners", PARTNERS)
    planned = imports.plan(
        "partners",
        sheet("P-1,Nul\x00here,nonprofit,,,,,,,", "P-2," + "N" * 201 + ",nonprofit,,,,,,,"),
    )
    found = reasons(planned)
    assert "invisible control characters" in found["P-1"] and "too long" in found["P-2"]
    raw = (
        b"external_id,partner_external_id,kind,title,tags\n"
        b'O-1,P-1,workshop,Radio,"' + b",".join(b"tag%d" % n for n in range(11)) + b'"\n'
        b"O-2,P-1,workshop,Radio," + b"t" * 41 + b"\n"
    )
    found = reasons(imports.plan("opportunities", raw))
    assert "at most 10 tags" in found["O-1"] and "40 characters" in found["O-2"]
    assert count(Opportunity) == 0


def test_a_nul_byte_early_in_the_file_is_a_row_problem_not_a_binary_file(app):
    planned = imports.plan("partners", b"external_id,name,kind\nP-1,A\x00,nonprofit\nP-2,B,nonprofit\n")
    assert list(reasons(planned)) == ["P-1"] and planned.count("create") == 1


def test_a_long_name_makes_a_slug_that_fits_its_column(app):
    committed("partners", sheet("P-1," + "N" * 200 + ",nonprofit,,,,,,,"))
    assert len(partner("P-1").slug) <= Partner.__table__.c.slug.type.length


# The token, the audit log, the review queue, the gate.


def test_the_same_token_twice_is_applied_once(app):
    first = committed("partners", PARTNERS, token="t" * 32)
    second = imports.import_file("partners", PARTNERS.replace(b"Radio for teens", b"Changed"), token="t" * 32)
    assert second.id == first.id and second.summary == {"create": 2, "update": 0, "unchanged": 0}
    assert count(Partner) == 2 and count(ImportRun) == 1
    assert partner("P-1").mission == "Radio for teens"


def test_every_changed_row_has_an_audit_entry_tied_to_the_import(app):
    run = committed("partners", PARTNERS)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.import_run_id == run.id)).all()
    assert sorted((e.action, e.subject_id) for e in entries) == sorted(
        ("created", p.id) for p in (partner("P-1"), partner("P-2"))
    )
    assert entries[0].changes["status"] == [None, "active"]
    again = committed(
        "partners", PARTNERS.replace(b"Radio for teens", b"Radio by teens").replace(b",active", b",inactive", 1)
    )
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.import_run_id == again.id)).all()
    assert entry.action == "updated" and entry.subject_id == partner("P-1").id
    assert entry.changes["mission"] == ["Radio for teens", "Radio by teens"]
    assert entry.changes["status"] == ["active", "inactive"]
    unchanged = committed(
        "partners", PARTNERS.replace(b"Radio for teens", b"Radio by teens").replace(b",active", b",inactive", 1)
    )
    assert db.session.scalar(select(func.count()).where(AuditEntry.import_run_id == unchanged.id)) == 0


def test_a_new_partner_without_a_status_waits_for_review_with_a_change_request(app):
    committed("partners", b"external_id,name,kind\nP-9,Newcomers,nonprofit\n")
    newcomer = partner("P-9")
    assert newcomer.status == "pending"
    request = db.session.scalar(select(ChangeRequest).where(ChangeRequest.subject_id == newcomer.id))
    assert request is not None and request.is_new and request.status == "pending"
    assert request.subject_type == "partner" and request.proposed["name"] == "Newcomers"


def test_the_review_queue_lists_an_imported_partner(app, client_as):
    committed("partners", b"external_id,name,kind\nP-9,Newcomers Collective,nonprofit\n")
    assert "Newcomers Collective" in client_as("specialist").get("/review").text


def test_a_published_import_for_an_unvetted_partner_is_refused_and_never_shown(app, client_as):
    committed("partners", PARTNERS)
    raw = (
        b"external_id,partner_external_id,kind,title,audience,status\n"
        b"O-1,P-1,internship,Unvetted internship,students,published\n"
    )
    planned = imports.plan("opportunities", raw)
    assert "cannot be published until the partner has current records" in reasons(planned)["O-1"]
    run = imports.import_file("opportunities", raw)
    assert run.state == "failed" and count(Opportunity) == 0
    assert db.session.scalar(select(func.count()).select_from(Opportunity).where(Opportunity.is_public)) == 0
    assert "Unvetted internship" not in client_as("student").get("/opportunities").text
    # A draft comes in; publishing it by a later import is refused the same way.
    committed("opportunities", raw.replace(b"published", b"draft"))
    assert "cannot be published" in reasons(imports.plan("opportunities", raw))["O-1"]
    vet("P-1")
    committed("opportunities", raw)
    assert opportunity("O-1").status == "published"


def test_a_partners_waiting_change_is_decided_before_an_import_changes_it(app):
    committed("partners", b"external_id,name,kind\nP-9,Newcomers,nonprofit\n")
    planned = imports.plan("partners", b"external_id,name,kind\nP-9,Renamed,nonprofit\n")
    assert "waiting for review" in reasons(planned)["P-9"]


# The web: the commit runs as a job whose page shows the progress.


def test_the_run_page_refreshes_itself_while_running_and_shows_the_result(app, client_as):
    specialist = client_as("specialist")
    run = ImportRun(token="r" * 32, what="partners", state="running", total_rows=100_000, done_rows=25_000)
    db.session.add(run)
    db.session.commit()
    page = specialist.get("/transfers/import/runs/%d" % run.id).text
    assert '<meta http-equiv="refresh" content="3">' in page and "25000 of 100000 rows" in page
    run.state, run.summary = "done", {"create": 3, "update": 1, "unchanged": 0}
    db.session.commit()
    page = specialist.get("/transfers/import/runs/%d" % run.id).text
    assert "http-equiv" not in page and "Imported: 3 created, 1 updated, 0 unchanged." in page


def test_a_file_over_two_megabytes_is_accepted_by_the_import_page(app, client_as, tmp_path):
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    specialist = client_as("specialist")
    raw = b"external_id,name,kind\n" + b"".join(
        b"P-%d,Partner number %d %s,nonprofit\n" % (n, n, b"x" * 60) for n in range(30_000)
    )
    assert len(raw) > 2 * 1024 * 1024
    # Encoded here: the test client would spool a body this large to a file it never closes.
    fields = {"csrf_token": csrf_token(specialist, "/transfers/import"), "what": "partners"}
    boundary, body = encode_multipart(MultiDict(fields) | {"file": FileStorage(io.BytesIO(raw), "big.csv")})
    response = specialist.post("/transfers/import", data=body, content_type="multipart/form-data; boundary=" + boundary)
    # Over IMPORT_CHECK_INLINE_BYTES: checked after the answer is sent, shown on the check page.
    assert response.status_code == 302 and "/transfers/import/check/" in response.location
    page = specialist.get(response.location)
    assert page.status_code == 200 and "To create: 30000" in page.text
    assert len(page.text) < 2_000_000  # the page lists the first rows, not all of them


# PostgreSQL: a file that passes the dry run commits.


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL, which enforces lengths and refuses NUL")
def test_a_file_that_passes_the_dry_run_commits_on_postgresql(app, curie):
    long_name = "Ñ" * 200
    partners_raw = sheet(
        "P-1," + long_name + ",nonprofit,,https://example.org,a@example.org,312-555-0100,Grand Boulevard,"
        '"en,es,en,pl,zh,ar,asl,es",active',
        'P-2,"Quote ""me"", please",union,"line one\nline two",,,,,,',
    )
    assert imports.plan("partners", partners_raw).ok
    committed("partners", partners_raw)
    vet("P-1")
    tags = ",".join("t%02d" % n + "x" * 37 for n in range(10))
    opportunities_raw = (
        "external_id,partner_external_id,kind,title,tags,school_ids,languages,status\n"
        "O-1,P-1,workshop," + "T" * 200 + ',"' + tags + '",' + str(curie.id) + ',"en,es,es,en",published\n'
    ).encode()
    planned = imports.plan("opportunities", opportunities_raw)
    assert planned.ok, reasons(planned)
    committed("opportunities", opportunities_raw)
    assert len(opportunity("O-1").tags) == 10 and partner("P-1").name == long_name
    # And the export of it all comes back unchanged.
    assert imports.plan("partners", export("partners")).count("unchanged") == 2
    assert imports.plan("opportunities", export("opportunities")).count("unchanged") == 1


def test_csv_reader_is_not_fooled_by_quotes_in_the_first_lines(app):
    rows = [["external_id", "name", "kind"], ["P-1", '"quoted" start', "nonprofit"], ["P-2", 'a;b "c"', "nonprofit"]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    planned = imports.plan("partners", buffer.getvalue().encode())
    assert planned.ok and [r.changes["name"] for r in planned.rows] == ['"quoted" start', 'a;b "c"']


def test_an_expired_record_blocks_a_published_import(app):
    committed("partners", PARTNERS)
    p = partner("P-2")
    today = date.today()
    p.vetting_records.append(
        VettingRecord(kind="agreement", issued_on=today - timedelta(400), expires_on=today - timedelta(1))
    )
    db.session.commit()
    raw = b"external_id,partner_external_id,kind,title,status\nO-1,P-2,workshop,Old papers,published\n"
    assert "cannot be published" in reasons(imports.plan("opportunities", raw))["O-1"]
