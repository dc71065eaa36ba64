"""The import page (dry run, commit all or nothing, bad files) and the CSV exports."""

import csv
import io
import os

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.models import AuditEntry, ImportRun, Partner
from cpspartners.services.audit import record
from tests.conftest import csrf_token
from tests.test_transfers_imports import PARTNERS


@pytest.fixture
def specialist(client_as, app, tmp_path):
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    return client_as("specialist")


def upload(client, raw, what="partners", name="sheet.csv"):
    return client.post(
        "/transfers/import",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, "/transfers/import"), "what": what, "file": (io.BytesIO(raw), name)},
    )


def partners():
    return db.session.scalar(select(func.count()).select_from(Partner))


def commit(client, page):
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    return client.post(
        "/transfers/import/commit",
        data={"csrf_token": csrf_token(client, "/transfers/import"), "what": "partners", "token": token},
        follow_redirects=True,
    ), token


def test_dry_run_then_commit_then_same_file_changes_nothing(specialist, app):
    response = upload(specialist, PARTNERS)
    page = response.text
    assert response.status_code == 200
    assert "To create: 2" in page and "Import these 2 rows" in page and "Pilsen" not in page.split("<table")[0]
    assert partners() == 0
    done, token = commit(specialist, page)
    assert "Imported: 2 created, 0 updated, 0 unchanged." in done.text
    assert partners() == 2
    assert not os.listdir(app.config["IMPORT_UPLOAD_DIR"])  # the stored upload is gone after the commit
    again = upload(specialist, PARTNERS).text
    assert "Unchanged: 2" in again and "Import these 0 rows" in again
    # Replaying the old token applies nothing again: it shows the first run's result.
    replay = specialist.post(
        "/transfers/import/commit",
        data={"csrf_token": csrf_token(specialist, "/transfers/import"), "what": "partners", "token": token},
        follow_redirects=True,
    )
    assert "Imported: 2 created, 0 updated, 0 unchanged." in replay.text
    assert partners() == 2 and db.session.scalar(select(func.count()).select_from(ImportRun)) == 1


def test_update_shows_old_and_new_values(specialist):
    upload_page = upload(specialist, PARTNERS).text
    commit(specialist, upload_page)
    changed = PARTNERS.replace(b"Radio for teens", b"Radio by teens")
    page = upload(specialist, changed).text
    assert "To update: 1" in page
    assert "mission: Radio for teens → Radio by teens" in page


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "binary data"),
        (b"external_id,name\n", "missing columns: kind"),
        (b"external_id,name,kind,favourite_colour\nP-1,A,nonprofit,blue\n", "unknown columns: favourite_colour"),
        (
            "external_id,name,kind\nP-1,Caf\u00e9,nonprofit\n".encode()
            + "P-2,Ni\u00f1os,nonprofit\n".encode("latin-1"),
            "not all UTF-8 (lines 3)",
        ),
    ],
)
def test_bad_files_get_a_clear_message_and_write_nothing(specialist, raw, message):
    response = upload(specialist, raw)
    assert response.status_code == 400
    assert message in response.text
    assert partners() == 0


def test_rejected_rows_are_listed_and_cannot_be_committed(specialist):
    raw = (
        b"external_id,name,kind,community_area\n"
        b"P-1,Good,nonprofit,31\n"
        b"P-1,Duplicate,nonprofit,31\n"
        b'P-3,=HYPERLINK("http://evil"),nonprofit,31\n'
        b"P-4,Bad area,nonprofit,99\n"
    )
    page = upload(specialist, raw).text
    assert "Rejected: 3" in page
    assert "already appears on line 2" in page and "spreadsheet formula" in page and "between 1 and 77" in page
    assert 'name="token"' not in page  # nothing to commit
    assert partners() == 0


def test_not_a_csv_name_no_file_and_too_large_files(specialist, app):
    no_file = specialist.post(
        "/transfers/import",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(specialist, "/transfers/import"), "what": "partners"},
    )
    assert no_file.status_code == 400 and "Choose a CSV file." in no_file.text
    assert "Upload a .csv file" in upload(specialist, PARTNERS, name="sheet.xlsx").text
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = upload(specialist, PARTNERS + b"x" * 2000)
    assert response.status_code == 413
    assert "too large" in response.text
    assert partners() == 0


def test_someone_elses_or_forged_token_imports_nothing(specialist, client_as):
    page = upload(specialist, PARTNERS).text
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    other = client_as("specialist")
    for who, value in ((other, token), (specialist, "../../etc/passwd"), (specialist, "A" * 32)):
        response = who.post(
            "/transfers/import/commit",
            data={"csrf_token": csrf_token(who, "/transfers/import"), "what": "partners", "token": value},
            follow_redirects=True,
        )
        assert "no longer available" in response.text
    assert partners() == 0


def test_templates_have_the_expected_columns(specialist):
    response = specialist.get("/transfers/import/template-opportunities.csv")
    assert response.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert header[:3] == ["external_id", "partner_external_id", "kind"]


def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_exports_neutralise_formulas_and_reimport_unchanged(specialist, make_partner, make_opportunity):
    partner = make_partner(name="=cmd|' /C calc'!A0", external_id="P-9")
    make_opportunity(partner=partner, external_id="O-9", title="@SUM(1)")
    rows = read_csv(specialist.get("/transfers/partners.csv"))
    assert rows[0][:3] == ["external_id", "name", "kind"]
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    opp_rows = read_csv(specialist.get("/transfers/opportunities.csv"))
    assert opp_rows[1][3] == "'@SUM(1)" and opp_rows[1][1] == "P-9"
    # The partner export is the import's shape: importing it back changes nothing (formula cells
    # come back rejected, so use a plain name).
    partner.name = "Plain Name"
    db.session.commit()
    exported = specialist.get("/transfers/partners.csv").get_data()
    page = upload(specialist, exported).text
    assert "Unchanged: 1" in page and "Rejected: 0" in page


def test_needs_verification_and_audit_exports_follow_the_filters(specialist, make_opportunity):
    make_opportunity(title="Never checked", last_verified_at=None)
    rows = read_csv(specialist.get("/transfers/needs-verification.csv?days=30"))
    assert [r[1] for r in rows[1:]] == ["Never checked"]
    record(specialist.user, "archived", "partner", 1, {"status": ["active", "archived"]})
    record(specialist.user, "verified", "partner", 2)
    db.session.commit()
    rows = read_csv(specialist.get("/transfers/audit.csv?action=archived"))
    assert len(rows) == 2 and rows[1][2] == "archived" and "status: active -> archived" in rows[1][5]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 2
    assert 'href="/transfers/audit.csv?action=archived"' in specialist.get("/review/audit?action=archived").text


# A large upload is checked in the background: the same report, on its own page.


@pytest.fixture
def in_background(app):
    app.config["IMPORT_CHECK_INLINE_BYTES"] = 0  # every upload counts as large


def test_a_background_check_shows_the_same_report_and_commits(specialist, app, in_background):
    response = upload(specialist, PARTNERS)
    assert response.status_code == 302 and "/transfers/import/check/" in response.location
    page = specialist.get(response.location)
    assert page.status_code == 200 and "To create: 2" in page.text and "Import these 2 rows" in page.text
    assert partners() == 0
    done, _token = commit(specialist, page.text)
    assert "Imported: 2 created, 0 updated, 0 unchanged." in done.text and partners() == 2
    assert not os.listdir(app.config["IMPORT_UPLOAD_DIR"])  # upload and report both gone


def test_a_background_check_that_has_not_finished_says_so_then_stalls(specialist, app, in_background):
    import time

    from cpspartners.transfers import checks, uploads

    base, user_id = app.config["IMPORT_UPLOAD_DIR"], specialist.user.id
    token = uploads.save(base, user_id, PARTNERS)
    checks.begin(base, user_id, token, "partners", "sheet.csv")
    page = specialist.get("/transfers/import/check/" + token).text
    assert '<meta http-equiv="refresh" content="3">' in page and "Checking every row" in page
    assert 'name="token"' not in page  # nothing to commit while the check runs
    stale = uploads.load_report(base, user_id, token) | {"started": time.time() - checks.STALE_SECONDS - 1}
    uploads.save_report(base, user_id, token, stale)
    page = specialist.get("/transfers/import/check/" + token).text
    assert "http-equiv" not in page and "The check did not finish." in page


def test_a_background_check_reports_rejections_in_the_readers_language(specialist, app, in_background):
    raw = b"external_id,name,kind,community_area\nP-1,Good,nonprofit,31\nP-1,Twice,nonprofit,99\n"
    location = upload(specialist, raw).location  # the job runs in English, the upload's language
    token = location.rsplit("/", 1)[1]
    english = specialist.get(location).text
    assert "Rejected: 1" in english and "already appears on line 2" in english and "between 1 and 77" in english
    assert 'name="token"' not in english
    assert uploads_left(app) == [token]  # the rejected file itself is dropped, only its report stays
    specialist.set_cookie("lang", "es")
    spanish = specialist.get(location).text
    assert "ya aparece en la línea 2" in spanish and "entre 1 y 77" in spanish
    forced = specialist.post(
        "/transfers/import/commit",
        data={"csrf_token": csrf_token(specialist, "/transfers/import"), "what": "partners", "token": token},
        follow_redirects=True,
    )
    assert partners() == 0 and forced.status_code == 200


def uploads_left(app):
    return sorted({name.split("-", 1)[1].rsplit(".", 1)[0] for name in os.listdir(app.config["IMPORT_UPLOAD_DIR"])})


def test_an_unreadable_large_file_gets_its_message_on_the_check_page(specialist, in_background):
    location = upload(specialist, b"\x89PNG\r\n\x1a\n\x00\x00\x00binary").location
    page = specialist.get(location)
    assert page.status_code == 400 and "binary data" in page.text and 'name="token"' not in page.text


def test_someone_elses_or_a_made_up_check_page_is_not_found(specialist, client_as, in_background):
    location = upload(specialist, PARTNERS).location
    other = client_as("specialist")
    assert other.get(location).status_code == 404
    assert specialist.get("/transfers/import/check/" + "A" * 32).status_code == 404
    assert specialist.get("/transfers/import/check/..%2F..%2Fetc").status_code == 404
