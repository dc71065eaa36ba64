"""Newsletters for partners and schools, and stories beside the listings: who receives them
(through the policy's rule of good standing), the image rules and the recorded consent."""

import io
import os
import struct
import zlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cpspartners.extensions import db
from cpspartners.formats import images
from cpspartners.models import Newsletter, NewsletterStory, School, partner_area
from cpspartners.services import newsletter_delivery, newsletters
from cpspartners.services.newsletters import NewsletterError, StoryDraft
from tests.conftest import post


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width=1, height=1, extra=b""):
    """A real 1x1 PNG, with a metadata chunk inside when ``extra`` is given."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return images.PNG_SIGNATURE + header + (chunk(b"tEXt", extra) if extra else b"") + pixels + chunk(b"IEND", b"")


def jpeg_with_exif():
    exif = b"\xff\xe1" + struct.pack(">H", 2 + 12) + b"Exif\x00\x00GPS!!!"
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 8 + 3, 8, 10, 20, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + exif + frame + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"scan" + b"\xff\xd9"


def newsletter(audience="partners", scope="citywide", value="", language="en"):
    return newsletters.create_draft("News", audience, scope, value, language)


def emails(n):
    return sorted(email for email, _payload in newsletter_delivery.recipients(n))


def test_partner_newsletters_reach_approved_staff_in_good_standing_only(app, make_user, make_partner):
    partner = make_partner()
    make_user("partner_staff", email="ok@p.org", partner=partner)
    make_user("partner_staff", email="pending@p.org", partner=partner, is_approved=False)
    make_user("partner_staff", email="off@p.org", partner=partner, active=False)
    make_user("partner_staff", email="quiet@p.org", partner=partner, newsletter_opt_out=True)
    make_user("partner_staff", email="spanish@p.org", partner=partner, preferred_language="es")
    make_user("teacher", email="teacher@s.org")
    assert emails(newsletter()) == ["ok@p.org"]
    assert emails(newsletter(language="es")) == ["spanish@p.org"]


def test_partner_newsletters_for_an_area_reach_partners_working_or_based_there(app, make_user, make_partner):
    there = make_partner(community_area_number=25)
    serving = make_partner()
    db.session.execute(partner_area.insert().values(partner_id=serving.id, community_area_number=25))
    elsewhere = make_partner(community_area_number=8)
    for partner, email in ((there, "there@p.org"), (serving, "serving@p.org"), (elsewhere, "far@p.org")):
        make_user("partner_staff", email=email, partner=partner)
    assert emails(newsletter(scope="area", value="25")) == ["serving@p.org", "there@p.org"]


def test_school_newsletters_reach_that_schools_teachers(app, make_user, curie):
    other = db.session.scalars(select(School).where(School.id != curie.id)).first()
    make_user("teacher", email="curie@t.org")
    make_user("teacher", email="pending@t.org", is_approved=False)
    make_user("teacher", email="other@t.org", school_id=other.id)
    make_user("student", email="student@s.org")
    assert emails(newsletter("schools", "school", str(curie.id))) == ["curie@t.org"]


@pytest.mark.parametrize("audience, scope", [("schools", "citywide"), ("partners", "school")])
def test_an_audience_refuses_a_scope_it_cannot_have(app, audience, scope, curie):
    with pytest.raises(NewsletterError):
        newsletters.create_draft("News", audience, scope, str(curie.id), "en")
    assert db.session.scalar(select(func.count()).select_from(Newsletter)) == 0


def test_the_compose_form_says_why_beside_the_scope(client_as):
    specialist = client_as("specialist")
    form = {"subject": "Schools news", "audience": "schools", "scope": "citywide", "scope_value": "", "language": "en"}
    answer = post(specialist, "/newsletters/new", form, token_from="/newsletters/new")
    assert answer.status_code == 400
    assert "A newsletter for schools goes to one school, network or community area." in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Newsletter)) == 0


def test_a_story_naming_a_student_needs_the_recorded_consent(app, make_user):
    specialist = make_user("specialist")
    n = newsletter()
    with pytest.raises(NewsletterError, match="needs the consent recorded"):
        newsletters.add_story(
            n, specialist, StoryDraft("Ana's robot", "Ana won.", names_student=True, consent_by="Ana's mother")
        )
    with pytest.raises(NewsletterError, match="needs the consent recorded"):
        newsletters.add_story(
            n, specialist, StoryDraft("Ana's robot", "Ana won.", names_student=True, consent_confirmed=True)
        )
    assert n.stories == []
    story = newsletters.add_story(
        n,
        specialist,
        StoryDraft("Ana's robot", "Ana won.", names_student=True, consent_by="Ana's mother", consent_confirmed=True),
    )
    assert (story.consent_by, story.consent_recorded_by_id) == ("Ana's mother", specialist.id)
    assert story.consent_recorded_at is not None


def test_the_database_refuses_a_named_student_without_consent(app):
    n = newsletter()
    db.session.add(NewsletterStory(newsletter_id=n.id, title="T", body="B", names_student=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_images_are_png_or_jpeg_by_their_bytes_and_lose_their_metadata():
    kind, cleaned = images.clean(png(extra=b"Author\x00Someone"), 10_000)
    assert kind == "png" and b"tEXt" not in cleaned and b"IDAT" in cleaned
    kind, cleaned = images.clean(jpeg_with_exif(), 10_000)
    assert kind == "jpg" and b"Exif" not in cleaned and cleaned.endswith(b"scan\xff\xd9")
    for data, code in (
        (b"GIF89a...", "type"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "type"),
        (png()[:30], "broken"),
        (png(width=9000), "dimensions"),
        (png() + b"x" * 20_000, "too_big"),
        (b"", "empty"),
    ):
        with pytest.raises(images.BadImage, match=code):
            images.clean(data, 10_000)


def test_a_story_with_an_image_is_uploaded_kept_served_and_sent(app, client_as, client, tmp_path):
    app.config["STORY_IMAGE_DIR"] = str(tmp_path)
    specialist = client_as("specialist")
    n = newsletter()
    page = f"/newsletters/{n.id}"
    form = {
        "title": "A day at the library",
        "body": "Families learned to use the computers.",
        "image_alt": "Parents at computers",
        "image": (io.BytesIO(png(extra=b"GPS\x0041.9")), "photo.png"),
    }
    answer = post(specialist, f"{page}/stories", form, token_from=page, content_type="multipart/form-data")
    assert answer.status_code == 302
    story = db.session.scalars(select(NewsletterStory)).one()
    assert story.image_name.endswith(".png") and os.listdir(tmp_path) == [story.image_name]
    served = client.get(f"/newsletters/images/{story.image_name}")
    assert served.status_code == 200 and served.mimetype == "image/png" and b"GPS" not in served.data
    assert client.get("/newsletters/images/..%2Fconfig.py").status_code == 404
    html, text = newsletters.render(db.session.get(Newsletter, n.id), "https://cps.example")
    assert f'src="https://cps.example/newsletters/images/{story.image_name}" alt="Parents at computers"' in html
    assert "A day at the library" in text
    assert newsletter_delivery.queue(db.session.get(Newsletter, n.id)) == "pending"  # a story alone can go out


def test_a_bad_upload_is_refused_with_words_and_writes_nothing(app, client_as, tmp_path):
    app.config["STORY_IMAGE_DIR"] = str(tmp_path)
    specialist = client_as("specialist")
    n = newsletter()
    page = f"/newsletters/{n.id}"
    form = {"title": "T", "body": "B", "image_alt": "x", "image": (io.BytesIO(b"GIF89a"), "a.png")}
    answer = post(specialist, f"{page}/stories", form, token_from=page, content_type="multipart/form-data")
    assert answer.status_code == 400
    assert "The image must be a PNG or JPEG file." in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(NewsletterStory)) == 0
    assert os.listdir(tmp_path) == []


def test_stories_are_removed_and_spanish_labels_show(app, client_as, es_client):
    specialist = client_as("specialist")
    n = newsletter()
    story = newsletters.add_story(n, specialist.user, StoryDraft("Hola", "Texto."))
    page = f"/newsletters/{n.id}"
    assert "Hola" in specialist.get(page).get_data(as_text=True)
    post(specialist, f"{page}/stories/{story.id}/remove", token_from=page)
    assert db.session.scalar(select(func.count()).select_from(NewsletterStory)) == 0
    specialist.set_cookie("lang", "es")
    assert "Añadir una historia" in specialist.get(page).get_data(as_text=True)
