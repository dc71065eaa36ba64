"""A long-lived reader that keeps each segment's bitsets across refreshes answers exactly like a
reader opened fresh, through edits, deletions and merges. No Flask, no database: a bare index."""

import importlib
import random

import pytest

from cpspartners.search.reader import IndexReader, SearchRequest
from cpspartners.search.storage import create_generation, open_writer, swap_in

WORDS = ["welding", "robotics", "nursing", "coding", "music", "garden", "theater", "aviation"]
KINDS = ["workshop", "internship", "guest_speaker"]
TODAY = 739_500


def document(n, rng):
    words = rng.sample(WORDS, 2)
    return {
        "key": "o:%d" % n,
        "type": "opportunity",
        "title": "%s club %d" % (words[0], n),
        "summary": "learn %s" % words[1],
        "body": "a program",
        "kind": rng.choice(KINDS),
        "band": rng.choice(["middle", "high", "middle,high"]),
        "area": str(rng.randint(1, 5)),
        "modality": rng.choice(["in_person", "virtual"]),
        "paid": rng.choice("01"),
        "lang": "en",
        "cluster": rng.choice(["010100", "060100"]),
        "deadline": rng.choice([0, TODAY - 5, TODAY + 5]),
        "created": n,
        "lat": 41.8 + n / 1000,
        "lon": -87.6,
    }


REQUESTS = [
    SearchRequest(text="", today_ordinal=TODAY),
    SearchRequest(text="welding", today_ordinal=TODAY),
    SearchRequest(text="robotics coding", today_ordinal=TODAY, sort="deadline"),
    SearchRequest(text="club", filters={"kind": ["internship"]}, open_only=True, today_ordinal=TODAY),
    SearchRequest(text="", filters={"band": ["high"], "paid": ["1"]}, sort="newest", today_ordinal=TODAY),
    SearchRequest(text="", sort="nearest", near=(41.85, -87.6), today_ordinal=TODAY, per_page=5, page=2),
    SearchRequest(text='"nursing club"', today_ordinal=TODAY),
    SearchRequest(text="music OR theater", filters={"area": ["1", "2"]}, today_ordinal=TODAY),
]


def answers(reader):
    out = []
    for request in REQUESTS:
        result = reader.search(request)
        out.append((result.keys, result.total, result.pages, result.facets, result.open_count))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_segment_caches_answer_like_a_fresh_reader(tmp_path, seed):
    rng = random.Random(seed)
    root = str(tmp_path)
    generation = create_generation(root)
    swap_in(root, generation)
    writer = open_writer(generation)
    for n in range(60):
        writer.add_document(**document(n, rng))
    writer.commit()
    long_lived = IndexReader(root)
    answers(long_lived)  # warm every cache
    next_id = 60
    for _round in range(12):
        writer = open_writer(generation)
        for _change in range(rng.randint(1, 4)):
            action = rng.random()
            if action < 0.5:  # an edit: delete the old version, add the new one
                writer.update_document(**document(rng.randrange(next_id), rng))
            elif action < 0.8:
                writer.delete_by_term("key", "o:%d" % rng.randrange(next_id))
            else:
                writer.add_document(**document(next_id, rng))
                next_id += 1
        writer.commit(optimize=rng.random() < 0.2)  # now and then everything merges into one segment
        fresh = IndexReader(root)
        assert answers(long_lived) == answers(fresh)
        fresh.close()
    long_lived.close()


def test_segments_no_longer_in_the_index_are_forgotten(tmp_path):
    rng = random.Random(7)
    root = str(tmp_path)
    generation = create_generation(root)
    swap_in(root, generation)
    for n in range(5):
        writer = open_writer(generation)
        writer.add_document(**document(n, rng))
        writer.commit(merge=False)
    reader = IndexReader(root)
    answers(reader)
    assert len(reader._segments) == 5
    writer = open_writer(generation)
    writer.commit(optimize=True)
    answers(reader)
    assert len(reader._segments) == 1


def test_a_table_of_contents_gone_while_opening_leaves_the_last_version_answering(tmp_path, monkeypatch):
    """The writer committed again between finding the newest table of contents and opening it
    (bench/faults.py, the follower committing 4 times a second): the searcher in hand answers,
    one commit behind, and the next search opens the new version. It used to close the searcher
    in hand first, and every later search in that process failed."""
    reader_module = importlib.import_module("cpspartners.search.reader")  # the package has a reader()

    rng = random.Random(3)
    root = str(tmp_path)
    generation = create_generation(root)
    swap_in(root, generation)
    writer = open_writer(generation)
    for n in range(10):
        writer.add_document(**document(n, rng))
    writer.commit()
    reader = IndexReader(root)
    before = answers(reader)
    writer = open_writer(generation)
    writer.add_document(**{**document(10, rng), "title": "welding club 10"})
    writer.commit()
    real_open = reader_module.whoosh_index.open_dir

    def gone(*args, **kwargs):
        raise FileNotFoundError("_MAIN_2.toc")

    monkeypatch.setattr(reader_module.whoosh_index, "open_dir", gone)
    assert answers(reader) == before  # twice: the searcher in hand was not closed
    assert answers(reader) == before
    monkeypatch.setattr(reader_module.whoosh_index, "open_dir", real_open)
    fresh = IndexReader(root)
    assert answers(reader) == answers(fresh) != before
    fresh.close()
    reader.close()
