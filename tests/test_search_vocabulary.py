"""A rebuild writes the spelling dictionary as a few vocabulary documents, which never show up as
results, never count as drift, and still feed "did you mean" and suggestions by word frequency."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import update

from cpspartners import search
from cpspartners.extensions import db
from cpspartners.models import IndexOutbox
from cpspartners.search import documents
from cpspartners.search.outbox import check, indexed_keys, rebuild
from cpspartners.search.reader import SearchRequest
from cpspartners.services._base import utcnow


def test_vocabulary_documents_group_words_by_count():
    docs = list(documents.vocabulary_documents(Counter({"welding": 3, "robotics": 3, "rare": 1})))
    assert [(d["key"], d["spell"], d["_spell_boost"]) for d in docs] == [
        ("v:1", "rare", 1.0),
        ("v:3", "robotics welding", 3.0),
    ]


def test_rebuild_vocabulary_feeds_spelling_but_not_results(app, make_opportunity):
    for n in range(3):
        make_opportunity(title=f"Welding lab {n}", slug=f"welding-{n}")
    make_opportunity(title="Weaving lab", slug="weaving")
    # Applied a minute ago, not in the second a rebuild replays: whether a slow machine took
    # longer than that second to make the four listings must not change the counts below.
    db.session.execute(update(IndexOutbox).values(applied_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    rebuild()
    assert any(key.startswith("v:") for key in indexed_keys())
    report = check()
    assert report["extra"] == [] and report["missing"] == []
    assert search.reader().did_you_mean("weldng") == "welding"
    reader = search.reader().current()[0].reader()
    assert reader.frequency("spell", "welding") == 3 * reader.frequency("spell", "weaving") > 0
    assert search.suggest("we")[:2] == ["welding", "weaving"]  # three listings before one, not a-z
    browse_all = search.reader().search(SearchRequest(per_page=50))
    assert browse_all.total == 4 and all(key.startswith("o:") for key in browse_all.keys)
