"""What the first search after an index change costs: one listing edited, then the next query.

    .venv/bin/python bench/search_refresh.py --index bench/.data/index-quiet-cached --edits 10

Copies a built index (bench/search.py builds one per tag) to a temporary folder, opens the
long-lived reader the site uses, warms it with the query mix, then --edits times: updates one
opportunity document (as saving a listing does: a delete and an add in one commit), and times
the first query after it (the reader refreshes and rebuilds what it caches), then a second one.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, help="an index folder made by bench/search.py (holds 'current')")
    parser.add_argument("--edits", type=int, default=10)
    options = parser.parse_args()
    from search import queries  # bench/search.py: the same 60 queries
    from whoosh import index as whoosh_index

    from cpspartners.search.reader import IndexReader, SearchRequest
    from cpspartners.search.storage import open_writer

    scratch = tempfile.mkdtemp()
    try:
        source = os.path.realpath(os.path.join(options.index, "current"))
        generation = os.path.join(scratch, os.path.basename(source))
        shutil.copytree(source, generation)
        os.symlink(os.path.basename(generation), os.path.join(scratch, "current"))
        reader = IndexReader(scratch)
        mix = [
            SearchRequest(text=text, filters=filters, sort=sort, open_only=open_only, today_ordinal=739556)
            for text, filters, sort, open_only in queries()
        ]
        started = time.perf_counter()
        reader.search(mix[0])
        print(f"first query on a fresh reader: {(time.perf_counter() - started) * 1000:.0f} ms")
        for request in mix:
            reader.search(request)
        searcher, _cache = reader.current()
        keys = [
            fields["key"]
            for _n, (_docnum, fields) in zip(range(options.edits), searcher.reader().iter_docs(), strict=False)
        ]
        first, second = [], []
        for n, key in enumerate(keys):
            ix = whoosh_index.open_dir(generation)
            with ix.searcher() as s:
                docnum = s.document_number(key=key)
            writer = open_writer(generation)
            writer.update_document(
                key=key,
                type="opportunity",
                title="Edited listing %d welding" % n,
                summary="Changed by the benchmark.",
                kind="workshop",
                band="high",
                modality="in_person",
                paid="0",
                lang="en",
                deadline=739600,
            )
            writer.commit()
            assert docnum is not None
            started = time.perf_counter()
            reader.search(mix[n % len(mix)])
            first.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            reader.search(mix[(n + 1) % len(mix)])
            second.append((time.perf_counter() - started) * 1000)
        segments = (
            len(reader.current()[0].reader().leaf_readers())
            if hasattr(reader.current()[0].reader(), "leaf_readers")
            else 1
        )
        print(f"{options.edits} edits; segments now: {segments}")
        print(f"first query after an edit: median {statistics.median(first):.0f} ms, max {max(first):.0f} ms")
        print(f"the query after that:      median {statistics.median(second):.0f} ms, max {max(second):.0f} ms")
        reader.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
