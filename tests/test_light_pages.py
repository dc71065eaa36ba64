"""Light pages: a school typed by name instead of a 652-option drop-down, pages under 60 KB,
compressed when the client accepts gzip, and anonymous pages a proxy may cache (ETag, 304)."""

import gzip
import re

import pytest
from sqlalchemy import select

from cpspartners import school_lookup
from cpspartners.extensions import db
from cpspartners.models import Opportunity, School
from cpspartners.seed.demo import seed_demo
from tests.conftest import sign_in_as

MAX_HTML = 60 * 1024


@pytest.fixture
def two_schools(app, make_opportunity, curie):
    """A listing offered at Curie and one offered elsewhere."""
    other = db.session.scalars(select(School).where(School.id != curie.id).order_by(School.id)).first()
    at_curie = make_opportunity(title="Curie robotics", schools=[curie])
    elsewhere = make_opportunity(title="Elsewhere robotics", schools=[other])
    return at_curie, elsewhere, other


def text_of(response):
    return response.get_data(as_text=True)


def test_list_filter_takes_a_school_name(client, two_schools, curie):
    at_curie, elsewhere, _other = two_schools
    by_name = text_of(client.get("/opportunities", query_string={"school": curie.long_name.upper()}))
    by_id = text_of(client.get(f"/opportunities?school={curie.id}"))
    for page in (by_name, by_id):
        assert at_curie.title in page and elsewhere.title not in page
        assert f'value="{curie.long_name}"' in page  # the box shows the school chosen
    assert '<input type="text" id="f-school" name="school"' in by_name
    assert by_name.count("<option") < 200  # the kinds, clusters, grades and areas; not 652 schools


def test_a_name_matching_several_schools_offers_them(client, two_schools):
    page = text_of(client.get("/opportunities?school=Elementary"))
    assert "Several schools match" in page
    links = re.findall(r'<ul class="school-matches">(.*?)</ul>', page, re.S)
    assert links and 2 <= links[0].count("<li>") <= school_lookup.MAX_OFFERED
    chosen = re.search(r'href="([^"]*school=(\d+)[^"]*)"', links[0])
    school = db.session.get(School, int(chosen.group(2)))
    assert "Elementary" in school.long_name or "ELEMENTARY" in school.long_name.upper()


def test_a_name_matching_nothing_says_so_in_the_readers_language(client, es_client, two_schools):
    at_curie, elsewhere, _other = two_schools
    page = client.get("/opportunities?school=Hogwarts+Academy")
    assert page.status_code == 200
    assert "No school matches" in text_of(page)
    assert at_curie.title in text_of(page) and elsewhere.title in text_of(page)  # the filter is ignored
    assert "Ninguna escuela coincide" in text_of(es_client.get("/opportunities?school=Hogwarts"))


def test_unknown_school_id_is_ignored_with_a_note(client, two_schools):
    page = text_of(client.get("/opportunities?school=99999999"))
    assert "it is not one we know" in page


def test_search_near_a_school_typed_by_name(client, two_schools, curie):
    response = client.get("/search", query_string={"q": "robotics", "school": "curie", "sort": "nearest"})
    page = text_of(response).replace("<mark>", "").replace("</mark>", "")
    assert "Choose a school to sort by distance" not in page
    assert f'value="{curie.long_name}"' in page
    assert "Curie robotics" in page and "Elsewhere robotics" in page


def test_school_suggestions_are_plain_names(client, curie):
    data = client.get("/schools/suggest?q=curi").get_json()
    assert curie.long_name in data["suggestions"]
    assert client.get("/schools/suggest?q=").get_json() == {"suggestions": []}
    assert client.get("/schools/suggest?q=zzzzzzqqq").get_json() == {"suggestions": []}


def test_signed_in_student_sees_apply_flags_with_a_named_school(app, make_user, two_schools, curie):
    student = sign_in_as(app.test_client(), make_user("student", school_id=curie.id))
    page = student.get("/opportunities", query_string={"school": "Curie"})
    assert page.status_code == 200 and "Curie robotics" in text_of(page)


# --------------------------------------------------------------- sizes, compression, caching


@pytest.fixture
def demo(app):
    seed_demo(opportunities=400, seed=5)
    opp = db.session.scalars(select(Opportunity).where(Opportunity.is_public).order_by(Opportunity.id)).first()
    return opp


def public_paths(opp):
    school = opp.schools[0].id if opp.schools else db.session.scalars(select(School.id)).first()
    return [
        "/",
        "/opportunities",
        "/opportunities?page=3",
        f"/opportunities/{opp.slug}",
        "/partners",
        f"/partners/{opp.partner.slug}",
        "/schools",
        f"/schools/{school}",
        "/areas",
        "/areas/31",
        "/search?q=robotics",
        "/search?q=internship&sort=deadline",
        "/about",
        "/account/register",
        "/account/sign-in",
    ]


def test_no_public_page_is_over_60_kb(client, demo):
    sizes = {path: len(client.get(path).get_data()) for path in public_paths(demo)}
    assert all(size > 1000 for size in sizes.values()), sizes  # pages, not errors
    assert {path: size for path, size in sizes.items() if size > MAX_HTML} == {}


def test_pages_are_gzipped_when_the_client_accepts_it(client, demo):
    plain = client.get("/opportunities")
    zipped = client.get("/opportunities", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert len(zipped.get_data()) < len(plain.get_data()) / 3
    assert "Content-Encoding" not in plain.headers


def test_anonymous_pages_answer_a_conditional_get_with_304(client, demo):
    first = client.get("/opportunities")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/opportunities", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get("/opportunities?page=2", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_signed_in_pages_are_never_publicly_cacheable(app, make_user, demo):
    student = sign_in_as(app.test_client(), make_user("student"))
    for path in ("/", "/opportunities", "/for-you"):
        response = student.get(path)
        assert response.status_code == 200
        assert "public" not in response.headers.get("Cache-Control", ""), path
        assert "ETag" not in response.headers, path


def test_a_page_with_a_form_is_not_publicly_cached(client):
    """The sign-in form carries a session's CSRF token: a proxy must not hand it to another visitor."""
    response = client.get("/account/sign-in")
    assert "public" not in response.headers.get("Cache-Control", "")
