"""`flask search follow`: one index writer per machine, web workers that only read, a second
machine that starts from zero and answers like the first, and nothing lost to a kill."""

import multiprocessing

import pytest
from sqlalchemy import select

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import IndexOutbox, Opportunity, Partner
from cpspartners.search import follower, outbox
from tests.conftest import config_for


@pytest.fixture
def follower_app(app):
    """The test app as a web worker beside a follower: it only reads the index."""
    app.config["SEARCH_WRITER"] = "follower"
    return app


def stored(machine=None):
    """{key: stored fields} of an index's listings and partners: what answers are built from.

    The spelling vocabulary ("v:" documents) is left out: a rebuild writes it whole, upserts add
    to it, so its document numbering differs between an index rebuilt and one followed."""
    if machine is None:
        searcher, _cache = outbox.current_app.extensions["cpspartners_search"].current()
        docs = searcher.reader().iter_docs()
        return {fields["key"]: fields for _d, fields in docs if not fields["key"].startswith("v:")}
    with machine.app_context():
        return stored()


def drift(machine=None):
    if machine is None:
        report = outbox.check()
        return len(report["missing"]) + len(report["extra"]) + len(report["unapplied"])
    with machine.app_context():
        return drift()


def test_web_worker_in_follower_mode_only_reads(follower_app, make_opportunity):
    follower.apply_pass()  # this machine's follower has started
    opp = make_opportunity(title="Welding basics")
    assert f"o:{opp.id}" not in outbox.indexed_keys()
    owed = db.session.scalars(select(IndexOutbox.object_id).where(IndexOutbox.applied_at.is_(None))).all()
    assert opp.id in owed
    assert follower.apply_pass() >= 1
    assert f"o:{opp.id}" in outbox.indexed_keys()
    assert drift() == 0
    assert follower.apply_pass() == 0  # nothing seen twice


def test_inline_mode_still_writes_after_commit(app, make_opportunity):
    opp = make_opportunity()
    assert f"o:{opp.id}" in outbox.indexed_keys()


def test_unknown_writer_setting_is_refused(database_url):
    with pytest.raises(RuntimeError, match="SEARCH_WRITER"):
        create_app(config_for(database_url, SEARCH_WRITER="sometimes"))


def _writer_process(url, index_dir, prefix, count):
    app = create_app(config_for(url, SEARCH_INDEX_DIR=index_dir, SEARCH_WRITER="follower"))
    with app.app_context():
        partner = db.session.scalars(select(Partner).where(Partner.slug == "two-machines")).one()
        for n in range(count):
            db.session.add(
                Opportunity(
                    title=f"{prefix} {n}",
                    slug=f"{prefix}-{n}",
                    kind="workshop",
                    partner_id=partner.id,
                    status="published",
                )
            )
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_second_machine_starts_from_zero_and_answers_like_the_first(follower_app, make_partner, tmp_path):
    app = follower_app
    make_partner(slug="two-machines")
    follower.apply_pass()
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_writer_process, args=(url, app.config["SEARCH_INDEX_DIR"], prefix, 12))
        for prefix in ("ant", "bee")
    ]
    for worker in workers:
        worker.start()
    # Machine one's follower applies while the two web workers write.
    while any(worker.is_alive() for worker in workers):
        follower.apply_pass()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    # Machine two: its own index folder, nothing in it; it rebuilds, then follows.
    second = create_app(config_for(app.config["SQLALCHEMY_DATABASE_URI"], SEARCH_INDEX_DIR=str(tmp_path / "second")))
    second.config["SEARCH_WRITER"] = "follower"
    with second.app_context():
        follower.apply_pass()
        assert follower.read_state(str(tmp_path / "second")) is not None
    # More changes after both started: an edit and an unpublishing.
    ant = db.session.scalars(select(Opportunity).where(Opportunity.slug == "ant-0")).one()
    bee = db.session.scalars(select(Opportunity).where(Opportunity.slug == "bee-0")).one()
    ant.title = "Ant colony renamed"
    bee.status = "draft"
    db.session.commit()
    for machine in (None, second):
        if machine is None:
            follower.apply_pass()
        else:
            with machine.app_context():
                follower.apply_pass()
    first_docs, second_docs = stored(), stored(second)
    assert first_docs == second_docs
    assert f"o:{bee.id}" not in first_docs
    assert len([k for k in first_docs if k.startswith("o:")]) == 23
    assert drift() == 0 and drift(second) == 0
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def test_follower_killed_before_the_index_commit_loses_nothing(follower_app, make_opportunity, monkeypatch):
    follower.apply_pass()
    opp = make_opportunity()
    place = follower.read_state(follower_app.config["SEARCH_INDEX_DIR"])

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("kill -9 stands-in: the process ends mid-write")

    monkeypatch.setattr(outbox, "write_changes", killed)
    with pytest.raises(KeyboardInterrupt):
        follower.apply_pass()
    monkeypatch.undo()
    assert follower.read_state(follower_app.config["SEARCH_INDEX_DIR"]) == place
    assert db.session.scalar(select(IndexOutbox.applied_at).where(IndexOutbox.object_id == opp.id)) is None
    assert follower.apply_pass() >= 1
    assert f"o:{opp.id}" in outbox.indexed_keys() and drift() == 0


def test_follower_killed_after_the_index_commit_applies_again(follower_app, make_opportunity, monkeypatch):
    follower.apply_pass()
    opp = make_opportunity()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("ends between the index commit and moving its place")

    monkeypatch.setattr(follower, "write_state", killed)
    with pytest.raises(KeyboardInterrupt):
        follower.apply_pass()
    monkeypatch.undo()
    # Not marked done: the index had it, but the follower had not said so.
    assert db.session.scalar(select(IndexOutbox.applied_at).where(IndexOutbox.object_id == opp.id)) is None
    assert follower.apply_pass() >= 1
    assert f"o:{opp.id}" in outbox.indexed_keys() and drift() == 0


def test_follower_cut_off_before_marking_marks_on_its_next_pass(follower_app, make_opportunity, monkeypatch):
    """PostgreSQL restarted between the index commit and the shared mark (bench/faults.py saw it):
    the follower has moved on, so the row is never applied again, but the next pass marks it, or
    `flask search check` would report it unapplied for ever."""
    follower.apply_pass()
    opp = make_opportunity()
    row_id = db.session.scalar(select(IndexOutbox.id).where(IndexOutbox.object_id == opp.id))
    mark = follower.mark_applied

    def cut_off(ids):
        if row_id in ids:  # the mark right after the index commit that took the new listing
            raise OSError("the database system is shutting down")
        mark(ids)

    monkeypatch.setattr(follower, "mark_applied", cut_off)
    with pytest.raises(OSError):
        follower.apply_pass()
    monkeypatch.undo()
    assert db.session.scalar(select(IndexOutbox.applied_at).where(IndexOutbox.object_id == opp.id)) is None
    assert follower.apply_pass() == 0  # nothing to index again: only the mark was missing
    db.session.expire_all()
    assert db.session.scalar(select(IndexOutbox.applied_at).where(IndexOutbox.object_id == opp.id)) is not None
    assert f"o:{opp.id}" in outbox.indexed_keys() and drift() == 0


def test_late_commit_with_a_lower_id_is_still_applied(follower_app, make_opportunity):
    """A row whose id is below the follower's place (committed late) is picked up by the look-back."""
    follower.apply_pass()
    opp = make_opportunity()
    root = follower_app.config["SEARCH_INDEX_DIR"]
    row_id = db.session.scalar(select(IndexOutbox.id).where(IndexOutbox.object_id == opp.id))
    follower.write_state(root, row_id + 1000, {})  # as if higher ids had committed first
    assert follower.apply_pass() >= 1
    assert f"o:{opp.id}" in outbox.indexed_keys()


def test_follow_command_once(follower_app, make_opportunity):
    opp = make_opportunity()
    result = follower_app.test_cli_runner().invoke(args=["search", "follow", "--once"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert f"o:{opp.id}" in outbox.indexed_keys()


def test_notify_wakes_the_follower_on_postgresql(follower_app, make_partner):
    waker = follower.Waker()
    try:
        assert waker.wait(0.01) is False  # nothing committed yet
        if db.engine.dialect.name != "postgresql":
            assert waker.conn is None  # SQLite: polling only
            return
        make_partner()
        woken = any(waker.wait(5) for _ in range(3))
        assert woken
    finally:
        waker.close()
