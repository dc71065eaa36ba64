"""`flask import hsds`: another publisher's HSDS directory becomes change requests for review,
matched by the publisher's ids, so importing the same package twice (or our own API's output)
changes nothing the second time."""

import csv
import json
import os

import pytest
from sqlalchemy import func, select

from cpspartners.extensions import db
from cpspartners.hsds import ids, incoming, vocabulary
from cpspartners.models import ChangeRequest, Opportunity, Partner
from cpspartners.search.outbox import rebuild
from cpspartners.seed.demo import seed_demo
from cpspartners.services import ServiceError, hsds_imports, listings

API = "/api/hsds"
ORG_A, ORG_B = "0b0e8a5e-0000-4000-8000-00000000000a", "0b0e8a5e-0000-4000-8000-00000000000b"
SVC_1, SVC_2 = "5e1a0c1e-0000-4000-8000-000000000001", "5e1a0c1e-0000-4000-8000-000000000002"


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def term(taxonomy, code):
    found = vocabulary.term(taxonomy, code)
    return {"id": "a77e0000-0000-4000-8000-%012d" % abs(hash(found.id) % 10**12), "taxonomy_term_id": found.id}


def foreign_package():
    """Two organizations and two services as a 211 directory might publish them."""
    return {
        "organizations": [
            {
                "id": ORG_A,
                "name": "Southside Robotics Collective",
                "description": "After-school robotics for teens.",
                "website": "https://robots.example.org",
                "email": "hello@robots.example.org",
                "phones": [{"id": "9a000000-0000-4000-8000-000000000001", "number": "312-555-0142"}],
            },
            {
                "id": ORG_B,
                "name": "Lakeview Library Friends",
                "description": "Library programmes.",
                "website": "not a url",
            },
        ],
        "services": [
            {
                "id": SVC_1,
                "organization_id": ORG_A,
                "name": "Saturday robot league",
                "description": "Build and race robots.",
                "status": "active",
                "attributes": [
                    term("cpspartners_opportunity_kind", "team_challenge"),
                    term("career_clusters_2024", "060100"),
                    term("cpspartners_grade_band", "high"),
                    term("cpspartners_audience", "families"),
                ],
                "languages": [
                    {"id": "1a000000-0000-4000-8000-000000000001", "code": "en"},
                    {"id": "1a000000-0000-4000-8000-000000000002", "code": "spa"},
                ],
                "schedules": [
                    {
                        "id": "5c000000-0000-4000-8000-000000000001",
                        "valid_from": "2031-01-10",
                        "description": "Saturdays 10-12",
                    }
                ],
            },
            {"id": SVC_2, "organization_id": ORG_B, "name": "Homework help", "status": "active"},
        ],
    }


def write(tmp_path, package, name="package.json"):
    path = tmp_path / name
    path.write_text(json.dumps(package))
    return str(path)


@pytest.fixture
def specialist(make_user):
    return make_user("specialist")


def test_a_foreign_directory_arrives_as_requests_for_review_and_stays_out_of_sight(app, client, tmp_path, specialist):
    package = incoming.read(write(tmp_path, foreign_package()))
    done = hsds_imports.apply(specialist, package)
    assert (done.count("create", "organization"), done.count("create", "service")) == (2, 2)
    robots = db.session.scalar(select(Partner).where(Partner.external_id == "hsds:" + ORG_A))
    assert (robots.status, robots.contact_phone, robots.website) == (
        "pending",
        "312-555-0142",
        "https://robots.example.org",
    )
    library = db.session.scalar(select(Partner).where(Partner.external_id == "hsds:" + ORG_B))
    assert library.website == ""  # "not a url" was left out, with a note in the report
    league = db.session.scalar(select(Opportunity).where(Opportunity.external_id == "hsds:" + SVC_1))
    assert (league.status, league.kind, league.clusters, league.audience) == (
        "pending_review",
        "team_challenge",
        ["060100"],
        "families",
    )
    assert (league.grade_min, league.grade_max, league.languages, league.schedule) == (
        9,
        12,
        "en,es",
        "Saturdays 10-12",
    )
    waiting = db.session.scalars(select(ChangeRequest).where(ChangeRequest.status == "pending")).all()
    assert {(r.subject_type, r.is_new) for r in waiting} == {("partner", True), ("opportunity", True)} and len(
        waiting
    ) == 4
    assert all(r.submitted_by_id == specialist.id for r in waiting)
    assert json.loads(client.get(API + "/services").data)["total_items"] == 0
    assert json.loads(client.get(API + "/organizations").data)["total_items"] == 0


def test_the_same_package_twice_changes_nothing_and_a_changed_name_revises_the_request(app, tmp_path, specialist):
    path = write(tmp_path, foreign_package())
    hsds_imports.apply(specialist, incoming.read(path))
    before = (count(Partner), count(Opportunity), count(ChangeRequest))
    again = hsds_imports.plan(incoming.read(path))
    assert again.count("unchanged") == len(again.rows) == 4
    hsds_imports.apply(specialist, incoming.read(path))
    assert (count(Partner), count(Opportunity), count(ChangeRequest)) == before
    changed = foreign_package()
    changed["services"][0]["name"] = "Saturday robot league (spring)"
    report = hsds_imports.apply(specialist, incoming.read(write(tmp_path, changed, "changed.json")))
    assert [(r.entity, r.action) for r in report.rows if r.action != "unchanged"] == [("service", "update")]
    league = db.session.scalar(select(Opportunity).where(Opportunity.external_id == "hsds:" + SVC_1))
    request = listings.open_request("opportunity", league.id)
    assert request.proposed["title"] == "Saturday robot league (spring)"
    assert count(ChangeRequest) == before[2]  # revised, not a second request
    assert hsds_imports.plan(incoming.read(write(tmp_path, changed, "changed.json"))).count("update") == 0


def test_our_own_api_output_imports_back_idempotently(app, client, tmp_path, specialist):
    seed_demo(opportunities=120, seed=9)
    rebuild()
    organizations = [json.loads(line) for line in client.get(API + "/organizations?format=ndjson").data.splitlines()]
    services = [json.loads(line) for line in client.get(API + "/services?format=ndjson&minimal=true").data.splitlines()]
    package = {
        "organizations": [json.loads(client.get("%s/organizations/%s" % (API, o["id"])).data) for o in organizations],
        "services": [json.loads(client.get("%s/services/%s" % (API, s["id"])).data) for s in services],
    }
    path = write(tmp_path, package)
    first = hsds_imports.apply(specialist, incoming.read(path))
    # Our own ids name our own rows, and what we publish reads back as what we hold.
    assert first.count("unchanged") == len(first.rows) == len(organizations) + len(services) > 100
    before = (
        count(Partner),
        count(Opportunity),
        count(ChangeRequest),
        db.session.scalar(select(func.max(ChangeRequest.submitted_at))),
    )
    second = hsds_imports.plan(incoming.read(path))
    assert second.ok and second.count("unchanged") == len(second.rows) == len(organizations) + len(services)
    hsds_imports.apply(specialist, incoming.read(path))
    after = (
        count(Partner),
        count(Opportunity),
        count(ChangeRequest),
        db.session.scalar(select(func.max(ChangeRequest.submitted_at))),
    )
    assert after == before


def test_a_folder_of_hsds_csv_tables_reads_like_the_json_package(app, tmp_path, specialist):
    folder = tmp_path / "tables"
    folder.mkdir()

    def table(name, rows):
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    kind = vocabulary.term("cpspartners_opportunity_kind", "mentoring")
    table(
        "organizations.csv", [{"id": ORG_A, "name": "Mentors United", "description": "Mentoring.", "email": "a@b.org"}]
    )
    table("services.csv", [{"id": SVC_1, "organization_id": ORG_A, "name": "Mentor match", "status": "active"}])
    table("taxonomy_terms.csv", [{"id": kind.id, "code": "mentoring", "taxonomy": kind.taxonomy, "name": "Mentoring"}])
    table("attributes.csv", [{"id": SVC_2, "link_id": SVC_1, "link_entity": "service", "taxonomy_term_id": kind.id}])
    table("phones.csv", [{"id": ORG_B, "organization_id": ORG_A, "number": "773-555-0199"}])
    package = incoming.read(str(folder))
    assert [o.values["contact_phone"] for o in package.organizations] == ["773-555-0199"]
    hsds_imports.apply(specialist, package)
    match = db.session.scalar(select(Opportunity).where(Opportunity.external_id == "hsds:" + SVC_1))
    assert (match.title, match.kind, match.partner.name) == ("Mentor match", "mentoring", "Mentors United")
    assert hsds_imports.plan(incoming.read(str(folder))).count("unchanged") == 2


def test_nothing_is_written_when_a_record_is_rejected(app, tmp_path, specialist, make_opportunity, make_user):
    package = foreign_package()
    package["services"].append(
        {
            "id": "5e1a0c1e-0000-4000-8000-000000000003",
            "organization_id": "nobody",
            "name": "Orphan",
            "status": "active",
        }
    )
    ours = make_opportunity()
    staff = make_user("partner_staff", partner=ours.partner)
    listings.submit_opportunity_change(staff, ours, listings.snapshot(ours) | {"title": "Staff's own edit"})
    package["services"].append(
        {
            "id": ids.service(ours.slug),
            "organization_id": ids.organization(ours.partner.slug),
            "name": "Import's edit",
            "status": "active",
        }
    )
    before = (count(Partner), count(Opportunity), count(ChangeRequest))
    report = hsds_imports.plan(incoming.read(write(tmp_path, package)))
    reasons = {r.publisher_id: r.reasons for r in report.rows if r.action == "reject"}
    assert "neither in the package nor here" in reasons["5e1a0c1e-0000-4000-8000-000000000003"][0]
    assert "waiting for review" in reasons[ids.service(ours.slug)][0]
    with pytest.raises(ServiceError):
        hsds_imports.apply(specialist, incoming.read(write(tmp_path, package)))
    assert (count(Partner), count(Opportunity), count(ChangeRequest)) == before
    with pytest.raises(ServiceError):
        hsds_imports.apply(staff, incoming.read(write(tmp_path, foreign_package(), "clean.json")))


def test_flask_import_hsds_dry_run_reports_and_writes_nothing(app, tmp_path, specialist):
    path = write(tmp_path, foreign_package())
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "hsds", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "organizations: 2 to create" in dry.output and "services: 2 to create" in dry.output
    assert "website 'not a url' is not usable" in dry.output and "Dry run: nothing written." in dry.output
    assert count(Partner) == 0
    assert runner.invoke(args=["import", "hsds", path]).exit_code != 0  # no --as: who sends the requests?
    done = runner.invoke(args=["import", "hsds", path, "--as", specialist.email])
    assert done.exit_code == 0 and "Written for review" in done.output, done.output
    assert count(Partner) == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(args=["import", "hsds", str(broken)])
    assert result.exit_code != 0 and "not JSON" in result.output
    assert os.path.exists(path)
