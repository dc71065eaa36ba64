"""The "For you" page, profiles, saving and "not interested", and deadline reminders."""

from datetime import date, timedelta

from cpspartners.extensions import db
from cpspartners.models import Dismissal, SavedOpportunity, StudentProfile, TeacherProfile
from tests.conftest import csrf_token


def test_new_student_gets_sensible_suggestions_with_reasons(client_as, make_opportunity, curie):
    make_opportunity(title="Robotics at Curie", schools=[curie], grade_min=9, grade_max=12)
    client = client_as("student")
    page = client.get("/for-you")
    assert page.status_code == 200
    assert "Robotics at Curie" in page.text
    assert "Offered at your school" in page.text
    assert "Add your interests" in page.text


def test_reasons_in_spanish(client_as, make_opportunity, curie):
    make_opportunity(title="Robotics", title_es="Robótica", schools=[curie], grade_min=9, grade_max=12)
    client = client_as("student")
    client.set_cookie("lang", "es")
    page = client.get("/for-you").text
    assert "Robótica" in page and "Se ofrece en tu escuela" in page


def test_student_profile_saves_and_steers_suggestions(client_as, make_opportunity):
    make_opportunity(title="Welding basics", tags=["welding"], clusters=["010100"], grade_min=9, grade_max=12)
    client = client_as("student")
    response = client.post(
        "/for-you/profile",
        data={
            "csrf_token": csrf_token(client, "/for-you/profile"),
            "clusters": ["010100"],
            "tags": ["welding"],
            "free_words": "sparks and metal",
            "languages": ["en", "es"],
            "modality": "in_person",
            "needs_paid": "y",
        },
    )
    assert response.status_code == 302
    profile = db.session.get(StudentProfile, client.user.id)
    assert (profile.clusters, profile.tags, profile.modality, profile.needs_paid) == (
        "010100",
        "welding",
        "in_person",
        True,
    )
    assert "Matches your interest in welding" in client.get("/for-you").text


def test_profile_rejects_bad_input_and_writes_nothing(client_as):
    client = client_as("student")
    token = csrf_token(client, "/for-you/profile")
    for data in (
        {"clusters": ["999999"]},
        {"tags": ["<script>"]},
        {"free_words": "<script>alert(1)</script>"},
        {"free_words": "x" * 500},
        {"modality": "teleport"},
    ):
        response = client.post("/for-you/profile", data={"csrf_token": token, "modality": "either", **data})
        assert response.status_code == 400
        assert "<script>alert(1)</script>" not in response.text
    assert db.session.get(StudentProfile, client.user.id) is None


def test_profile_needs_a_csrf_token(client_as):
    client = client_as("student")
    assert client.post("/for-you/profile", data={"modality": "either"}).status_code == 400
    assert db.session.get(StudentProfile, client.user.id) is None


def test_teacher_profile_and_suggestions_for_classes(client_as, make_opportunity, curie):
    make_opportunity(
        title="Climate scientist visits",
        kind="guest_speaker",
        audience="classrooms",
        tags=["climate"],
        grade_min=6,
        grade_max=12,
        schools=[curie],
    )
    client = client_as("teacher")
    response = client.post(
        "/for-you/profile",
        data={
            "csrf_token": csrf_token(client, "/for-you/profile"),
            "subjects": "Biology, climate",
            "grade_bands": ["9-12"],
        },
    )
    assert response.status_code == 302
    profile = db.session.get(TeacherProfile, client.user.id)
    assert (profile.subjects, profile.grade_bands) == ("Biology,climate", "9-12")
    page = client.get("/for-you").text
    assert "Suggested for your classes" in page and "Climate scientist visits" in page


def test_save_and_not_interested(client_as, make_opportunity, curie):
    opp = make_opportunity(title="Mural project", schools=[curie], grade_min=9, grade_max=12)
    client = client_as("student")
    token = csrf_token(client, "/for-you")
    assert client.post(f"/for-you/saved/{opp.id}", data={"csrf_token": token}).status_code == 302
    assert db.session.get(SavedOpportunity, (client.user.id, opp.id)) is not None
    assert "Mural project" in client.get("/for-you/saved").text
    client.post(f"/for-you/not-interested/{opp.id}", data={"csrf_token": token})
    assert db.session.get(Dismissal, (client.user.id, opp.id)) is not None
    assert "Mural project" not in client.get("/for-you").text
    client.post(f"/for-you/not-interested/{opp.id}/undo", data={"csrf_token": token})
    assert "Mural project" in client.get("/for-you").text


def test_saving_unpublished_or_missing_listings_is_refused(client_as, make_opportunity):
    draft = make_opportunity(status="draft")
    client = client_as("student")
    token = csrf_token(client, "/for-you")
    response = client.post(f"/for-you/saved/{draft.id}", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200 and "not open" in response.text
    assert client.post("/for-you/saved/999999", data={"csrf_token": token}, follow_redirects=True).status_code == 200
    assert db.session.query(SavedOpportunity).count() == 0
    assert client.post(f"/for-you/saved/{draft.id}").status_code == 400  # no CSRF token


def test_open_redirect_is_refused_after_saving(client_as, make_opportunity):
    opp = make_opportunity()
    client = client_as("student")
    response = client.post(
        f"/for-you/saved/{opp.id}", data={"csrf_token": csrf_token(client, "/for-you"), "next": "https://evil.example/"}
    )
    assert response.headers["Location"].endswith("/for-you") or "evil" not in response.headers["Location"]


def test_deadline_reminders_go_once_in_the_students_language(app, make_user, make_opportunity, smtp_server):
    student = make_user("student", preferred_language="es")
    soon = make_opportunity(
        title="Coding camp", title_es="Campamento de programación", deadline=date.today() + timedelta(days=3)
    )
    later = make_opportunity(deadline=date.today() + timedelta(days=10))
    for opp in (soon, later):
        db.session.add(SavedOpportunity(user_id=student.id, opportunity_id=opp.id))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["saved", "remind", "--days", "3"])
    assert result.exit_code == 0 and "1 reminders sent" in result.output
    message = smtp_server.last_to(student.email)
    body = message.get_content()
    assert "Campamento de programación" in body and "Recordatorio" in message["Subject"]


def test_no_reminder_for_a_saved_listing_whose_partner_was_archived(app, make_user, make_opportunity):
    """The partner half of "public" counts for reminders too: an archived partner's listing is gone."""
    from cpspartners.services import engagement, upkeep

    student, specialist = make_user("student"), make_user("specialist")
    opp = make_opportunity(deadline=date.today() + timedelta(days=3))
    engagement.save(student, opp.id)
    assert [(user.id, listed.id) for user, listed in engagement.deadline_reminders(date.today(), 3)] == [
        (student.id, opp.id)
    ]
    upkeep.archive_partner(specialist, opp.partner)
    assert engagement.deadline_reminders(date.today(), 3) == []


def test_free_words_are_matched_through_the_search_index(app, client_as, make_opportunity):
    """A word that is no interest tag ("drones") still finds listings that mention it."""
    from cpspartners.search.outbox import rebuild

    make_opportunity(
        title="Drone pilots club",
        summary="Fly and program drones.",
        tags=["engineering"],
        clusters=["010300"],
        grade_min=9,
        grade_max=12,
    )
    for n in range(14):
        make_opportunity(title=f"Other workshop {n}", tags=["cooking"], clusters=["020200"], grade_min=9, grade_max=12)
    rebuild()
    client = client_as("student")
    client.post(
        "/for-you/profile",
        data={"csrf_token": csrf_token(client, "/for-you/profile"), "free_words": "drones", "modality": "either"},
    )
    page = client.get("/for-you").text
    assert "Drone pilots club" in page
    assert "Matches the words in your profile" in page


def test_spanish_reasons_name_the_interest_and_the_distance_in_spanish(client_as, make_opportunity, curie):
    """ "tu interés en soldadura", never "welding"; "0,4 millas", never "0.4"; the tags on the
    profile page in Spanish too. The account's language decides, with no cookie at all."""
    make_opportunity(
        title="Welding basics",
        title_es="Soldadura básica",
        tags=["welding"],
        grade_min=9,
        grade_max=12,
        modality="in_person",
        latitude=curie.latitude + 0.006,  # about 0.4 miles north of the school
        longitude=curie.longitude,
    )
    client = client_as("student", preferred_language="es")
    db.session.add(StudentProfile(user_id=client.user.id, tags="welding"))
    db.session.commit()
    page = client.get("/for-you").text
    assert '<html lang="es">' in page
    assert "Coincide con tu interés en soldadura" in page
    assert "welding" not in page
    assert "A 0,4 millas de" in page
    profile = client.get("/for-you/profile").text
    assert "soldadura" in profile and "ciberseguridad" in profile and ">cybersecurity<" not in profile


def test_top_suggestions_hold_no_two_near_identical_items(client_as, make_opportunity, make_partner, curie):
    """Three copies of one partner's "Robotics workshop" (case, a number) are one card; the same
    title from another partner, and other titles, still show."""
    from cpspartners.recommendations import candidates, ranking

    partner, other = make_partner(), make_partner()
    copies = [
        make_opportunity(title=title, partner=partner, schools=[curie], kind="workshop")
        for title in ("Robotics workshop", "ROBOTICS Workshop (2)", "Robotics workshop 3")
    ]
    make_opportunity(title="Robotics workshop", partner=other, schools=[curie], kind="workshop")
    make_opportunity(title="Welding day", partner=other, schools=[curie], kind="workshop")
    for role in ("teacher", "student"):
        client = client_as(role)
        ranked = candidates.recommendations_for(client.user, limit=4)
        keys = [ranking.near_duplicate_key(o.title, o.partner_id) for o in map(_opportunity, ranked)]
        assert len(keys) == len(set(keys))
        assert sum(1 for r in ranked if r.offer_id in {c.id for c in copies}) == 1
        assert len(ranked) == 3  # one copy, the other partner's workshop, the welding day


def _opportunity(recommendation):
    from cpspartners.models import Opportunity

    return db.session.get(Opportunity, recommendation.offer_id)


def test_near_duplicate_key_ignores_case_accents_numbers_and_punctuation():
    from cpspartners.recommendations.ranking import near_duplicate_key

    assert near_duplicate_key("Robótica: Taller (2)", 7) == near_duplicate_key("robotica taller", 7)
    assert near_duplicate_key("Robotics", 7) != near_duplicate_key("Robotics", 8)
    assert near_duplicate_key("Robotics", 7) != near_duplicate_key("Welding", 7)
