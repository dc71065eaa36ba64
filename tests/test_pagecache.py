"""Pages kept for anonymous visitors (cpspartners/pagecache.py): served while the directory is
unchanged, never after a change an anonymous page could show, never to or from a signed-in person."""

import os
import uuid
from datetime import date

import pytest
from sqlalchemy import select, text, update

from cpspartners import pagecache
from cpspartners.extensions import db
from cpspartners.models import DirectoryVersion, Notification, Opportunity, School
from cpspartners.pagecache import Kept, PageStore
from tests.conftest import post, sign_in_as, skip_or_fail


def version():
    return db.session.scalar(select(DirectoryVersion.number))


def retitle_behind_the_sessions_back(opp, title):
    """Change a row on a bare connection: no session event sees it, so nothing is bumped."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE opportunity SET title = :title WHERE id = :id"), {"title": title, "id": opp.id})
    db.session.expire_all()


def test_a_kept_page_is_served_until_the_directory_changes(client, make_opportunity):
    opp = make_opportunity(title="Welding basics")
    path = f"/opportunities/{opp.slug}"
    assert "Welding basics" in client.get(path).get_data(as_text=True)
    retitle_behind_the_sessions_back(opp, "Welding advanced")
    assert "Welding basics" in client.get(path).get_data(as_text=True)  # the kept copy
    pagecache.bump()
    assert "Welding advanced" in client.get(path).get_data(as_text=True)


def test_a_change_through_the_session_is_seen_at_once_even_where_the_index_is_not_involved(client):
    school = db.session.scalars(select(School).order_by(School.id)).first()
    before = version()
    assert school.long_name in client.get(f"/schools/{school.id}").get_data(as_text=True)
    school.long_name = "Renamed Test Academy"
    db.session.commit()
    assert version() == before + 1
    assert "Renamed Test Academy" in client.get(f"/schools/{school.id}").get_data(as_text=True)


def test_a_bulk_update_through_the_session_bumps_the_version(client, make_opportunity):
    opp = make_opportunity(title="Robotics club")
    client.get("/opportunities")
    before = version()
    db.session.execute(update(Opportunity).where(Opportunity.id == opp.id).values(title="Robotics league"))
    db.session.commit()
    assert version() == before + 1
    assert "Robotics league" in client.get(f"/opportunities/{opp.slug}").get_data(as_text=True)


def test_a_rolled_back_change_bumps_nothing(app, make_opportunity):
    opp = make_opportunity()
    before = version()
    opp.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert version() == before


def test_writes_no_anonymous_page_shows_leave_the_kept_pages(app, make_user):
    student = make_user("student")
    before = version()
    db.session.add(Notification(user_id=student.id, kind="application_update", params={}))
    student.name = "Someone Else"
    db.session.commit()
    assert version() == before


def test_the_private_tables_are_tables(app):
    assert not pagecache.PRIVATE_TABLES - set(db.metadata.tables)


def test_a_signed_in_person_is_never_given_a_kept_page_nor_has_theirs_kept(app, client, client_as, make_opportunity):
    make_opportunity()
    anonymous = client.get("/opportunities").get_data(as_text=True)
    assert "Sign out" not in anonymous
    student = client_as("student", name="Kept Page Tester")
    mine = student.get("/opportunities").get_data(as_text=True)
    assert "Kept Page Tester" in mine and "Sign out" in mine
    again = app.test_client().get("/opportunities").get_data(as_text=True)
    assert "Kept Page Tester" not in again and "Sign out" not in again
    pages = pagecache.store().pages
    assert all(b"Kept Page Tester" not in kept.body for kept in pages.values())


def test_a_flashed_message_is_shown_not_skipped_by_a_kept_page(app, make_user):
    visitor = app.test_client()
    visitor.get("/")  # the home page is kept now
    sign_in_as(visitor, make_user("student"))
    response = post(visitor, "/account/sign-out", {}, token_from="/account/")
    assert response.status_code == 302
    assert "You are signed out." in visitor.get(response.headers["Location"]).get_data(as_text=True)


def test_languages_are_kept_apart(client, es_client, make_opportunity):
    make_opportunity()
    assert 'lang="en"' in client.get("/opportunities").get_data(as_text=True)[:200]
    assert 'lang="es"' in es_client.get("/opportunities").get_data(as_text=True)[:200]
    assert 'lang="en"' in client.get("/opportunities").get_data(as_text=True)[:200]


def test_a_kept_page_expires(app, client, make_opportunity, monkeypatch):
    opp = make_opportunity(title="Photography walk")
    path = f"/opportunities/{opp.slug}"
    client.get(path)
    retitle_behind_the_sessions_back(opp, "Photography studio")
    now = pagecache.time.monotonic()
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now + app.config["PAGE_CACHE_SECONDS"])
    assert "Photography studio" in client.get(path).get_data(as_text=True)


def test_off_when_the_setting_is_zero(app, client, make_opportunity):
    app.config["PAGE_CACHE_SECONDS"] = 0
    opp = make_opportunity(title="Chess club")
    path = f"/opportunities/{opp.slug}"
    client.get(path)
    retitle_behind_the_sessions_back(opp, "Chess league")
    assert "Chess league" in client.get(path).get_data(as_text=True)
    assert not pagecache.store().pages


def test_pages_that_are_not_plain_successes_are_not_kept(app, client):
    assert client.get("/opportunities/no-such-listing").status_code == 404
    assert client.get("/search?q=" + "x" * 5000).status_code in (200, 400)
    assert all(kept.body for kept in pagecache.store().pages.values())
    assert not [key for key in pagecache.store().pages if "no-such-listing" in key[-1]]


def test_the_store_keeps_the_most_recently_used_within_its_bytes():
    pages = PageStore(limit=10)
    pages.put(("a",), Kept(0.0, b"1234", []))
    pages.put(("b",), Kept(0.0, b"1234", []))
    assert pages.get(("a",), ttl=1e12) is not None  # "a" is now the most recent
    pages.put(("c",), Kept(0.0, b"1234", []))
    assert set(pages.pages) == {("a",), ("c",)} and pages.size == 8
    pages.put(("huge",), Kept(0.0, b"x" * 11, []))
    assert ("huge",) not in pages.pages


def test_a_page_made_yesterday_is_not_served_today(app, client, make_opportunity, monkeypatch):
    opp = make_opportunity(title="Night sky")
    path = f"/opportunities/{opp.slug}"
    client.get(path)
    retitle_behind_the_sessions_back(opp, "Morning sky")

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return date.fromordinal(date.today().toordinal() + 1)

    monkeypatch.setattr(pagecache, "date", Tomorrow)
    assert "Morning sky" in client.get(path).get_data(as_text=True)


# --- Kept pages shared by the workers through Redis (PAGE_CACHE_REDIS_URL) -------------------------

SHARED_REDIS = os.environ.get("CPSPARTNERS_TEST_PAGES_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def shared(app):
    """The app with a Redis-shared store under a prefix of its own, emptied afterwards."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(SHARED_REDIS)
    try:
        connection.ping()
    except RedisDown:
        skip_or_fail(f"Redis does not answer at {SHARED_REDIS}")
    prefix = f"test-pages-{uuid.uuid4().hex}:"
    app.extensions[pagecache.SHARED_EXTENSION] = pagecache.SharedPages(SHARED_REDIS, prefix)
    yield connection
    for key in connection.scan_iter(match=prefix + "*"):
        connection.delete(key)
    connection.close()
    del app.extensions[pagecache.SHARED_EXTENSION]


def as_another_worker():
    """What a second worker has: nothing in its own store (Redis is all they share)."""
    pagecache.store().clear()


def test_a_page_one_worker_built_is_served_by_another_until_the_directory_changes(client, make_opportunity, shared):
    opp = make_opportunity(title="Welding basics")
    path = f"/opportunities/{opp.slug}"
    assert "Welding basics" in client.get(path).get_data(as_text=True)
    retitle_behind_the_sessions_back(opp, "Welding advanced")
    as_another_worker()
    served = client.get(path)
    assert "Welding basics" in served.get_data(as_text=True)  # from Redis: not built again here
    assert served.headers["Content-Type"].startswith("text/html")
    pagecache.bump()
    as_another_worker()
    assert "Welding advanced" in client.get(path).get_data(as_text=True)


def test_a_signed_in_page_never_goes_to_redis(app, client, make_user, shared):
    sign_in_as(client, make_user("student"))
    client.get("/opportunities")
    assert not list(shared.scan_iter(match=pagecache.shared_store().prefix + "*"))


def test_a_page_taken_from_redis_is_kept_only_for_the_time_it_had_left(app, client, make_opportunity, shared):
    opp = make_opportunity(title="Glass blowing")
    path = f"/opportunities/{opp.slug}"
    client.get(path)
    machine = pagecache.shared_store()
    (name,) = list(shared.scan_iter(match=machine.prefix + "*"))
    shared.pexpire(name, 5000)  # 5 of its 60 seconds left
    as_another_worker()
    client.get(path)
    (kept,) = pagecache.store().pages.values()
    age = pagecache.time.monotonic() - kept.made
    assert app.config["PAGE_CACHE_SECONDS"] - 6 <= age <= app.config["PAGE_CACHE_SECONDS"]


def test_with_redis_down_pages_are_built_and_served(app, client, make_opportunity, caplog):
    app.extensions[pagecache.SHARED_EXTENSION] = pagecache.SharedPages("redis://127.0.0.1:1/0", "down:")
    try:
        opp = make_opportunity(title="Pottery wheel")
        response = client.get(f"/opportunities/{opp.slug}")
        assert response.status_code == 200 and "Pottery wheel" in response.get_data(as_text=True)
        assert "Redis did not answer" in caplog.text
        assert pagecache.shared_store().down_until > pagecache.time.monotonic()  # not asked again at once
        assert client.get(f"/opportunities/{opp.slug}").status_code == 200
    finally:
        del app.extensions[pagecache.SHARED_EXTENSION]
