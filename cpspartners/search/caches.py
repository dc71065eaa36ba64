"""What queries need from the index, read once and kept as bitsets and columns.

Whoosh's matchers walk postings in Python; a query here is instead a few ANDs and ORs of Python
ints, one bit per document (docs/benchmarks.md: p50 170 ms -> 6 ms). Two levels:

``SegmentCache``: per segment, over the segment's own document numbers. A segment's postings
and columns never change once written (only its deletions grow), so these survive every change
that keeps the segment, and after a listing is saved only the new small segment is read.

``ReaderCache``: per searcher, the segments' bitsets shifted into place and ANDed with the live
documents, combined only when a query asks for them.

Imports the schema (which analyzer made each field) and the query's ``Tiers`` type, nothing above.
"""

import threading
from collections.abc import Callable, Iterable
from math import cos, radians
from typing import Any

import numpy as np
from whoosh.reading import IndexReader as LeafReader
from whoosh.searching import Searcher

from cpspartners.search.query import Tiers
from cpspartners.search.schema import FIELD_ANALYZERS, TIER_FIELDS

TERM_CACHE = 4000  # term bitsets kept per reader and per segment; the oldest half goes when full

SortKey = Callable[[int], tuple[Any, ...]]


def to_mask(docnums: Iterable[int], size: int) -> int:
    """A set of document numbers as one int: bit d is set when d is in the set."""
    buf = bytearray((size >> 3) + 1)
    for d in docnums:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def from_mask(mask: int) -> list[int]:
    """The document numbers set in ``mask``, ascending."""
    out = []
    data = mask.to_bytes((mask.bit_length() >> 3) + 1, "little")
    for byte_index, byte in enumerate(data):
        if byte:
            base = byte_index << 3
            for bit in range(8):
                if byte >> bit & 1:
                    out.append(base + bit)
    return out


def _remember(cache: dict[Any, int], key: Any, value: int) -> int:
    if len(cache) > TERM_CACHE:  # bound the memory: forget the oldest half
        for old in list(cache)[: TERM_CACHE // 2]:
            cache.pop(old, None)
    cache[key] = value
    return value


class SegmentCache:
    """What one segment holds, as bitsets and lists over the segment's own document numbers.

    A segment's postings and columns never change once written; only deletions grow. So these
    survive every refresh that keeps the segment: after a listing is saved, the next query reads
    the new one-document segment instead of the whole index again (bench/search_refresh.py).
    A bitset read before a deletion may still hold the deleted document, which is why every
    combined bitset is ANDed with the reader's live documents.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.terms: dict[tuple[str, str], int] = {}
        self.facets: dict[str, dict[str, int]] = {}
        self.columns: dict[str, list[Any]] = {}
        self.ids: list[int] | None = None
        self.open: tuple[int | None, int] = (None, 0)
        self.lock = threading.Lock()

    def term(self, leaf: LeafReader, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        mask = self.terms.get(key)
        if mask is None:
            # Whoosh annotates a term's text as bytes; it looks up a str as well.
            indexed = key in leaf  # type: ignore[operator]
            mask = to_mask(leaf.postings(fieldname, text).all_ids(), self.size) if indexed else 0
            _remember(self.terms, key, mask)
        return mask

    def facet(self, leaf: LeafReader, fieldname: str) -> dict[str, int]:
        with self.lock:
            if fieldname not in self.facets:
                self.facets[fieldname] = {
                    value: to_mask(leaf.postings(fieldname, value).all_ids(), self.size)
                    for value in leaf.field_terms(fieldname)
                }
            return self.facets[fieldname]

    def column(self, leaf: LeafReader, fieldname: str) -> list[Any]:
        with self.lock:
            if fieldname not in self.columns:
                # A segment's column can be shorter than the segment (trailing documents
                # without a value): pad with the field's default so docnums line up.
                values = list(leaf.column_reader(fieldname)) if self.size else []  # an empty index has no columns
                values.extend([0] * (self.size - len(values)))
                self.columns[fieldname] = values
            return self.columns[fieldname]

    def opportunity_ids(self, leaf: LeafReader) -> list[int]:
        """Document number -> opportunity id (0 for other documents), from the stored keys."""
        with self.lock:
            if self.ids is None:
                ids = [0] * self.size
                for docnum, stored in leaf.iter_docs():
                    key = stored.get("key", "")
                    if key.startswith("o:"):
                        ids[docnum] = int(key[2:])
                self.ids = ids
            return self.ids

    def open_mask(self, leaf: LeafReader, today_ordinal: int) -> int:
        """Documents whose deadline has not passed (or that have none), partners included."""
        if self.open[0] != today_ordinal:
            deadlines = self.column(leaf, "deadline")
            self.open = (
                today_ordinal,
                to_mask((d for d, day in enumerate(deadlines) if day == 0 or day >= today_ordinal), self.size),
            )
        return self.open[1]


def _deleted(leaf: LeafReader) -> Iterable[int]:
    # whoosh3 segment readers keep their deletions as a set; other readers are asked one by one.
    deleted = getattr(leaf, "deleted_docs_set", None)
    if deleted is not None:
        return deleted
    return {d for d in range(leaf.doc_count_all()) if leaf.is_deleted(d)}


class ReaderCache:
    """What a query needs from one reader: facet bitsets, term bitsets and sort keys.

    Built from the ``SegmentCache`` of each segment (shared across refreshes through
    ``segments``), shifted to the segment's place in the reader and ANDed with the live
    documents; only what a query asks for is combined, once per reader.
    """

    def __init__(self, searcher: Searcher, segments: dict[Any, SegmentCache] | None = None) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        segments = {} if segments is None else segments
        self.leaves: list[tuple[LeafReader, int, SegmentCache]] = []
        self.live_mask = 0
        for leaf, offset in reader.leaf_readers():
            size = leaf.doc_count_all()
            segment = leaf.segment()
            key = (segment.segment_id(), size) if segment is not None else id(leaf)
            if key not in segments:
                segments[key] = SegmentCache(size)
            self.leaves.append((leaf, offset, segments[key]))
            # Postings still list deleted documents until segments merge: keep only live ones.
            self.live_mask |= (((1 << size) - 1) & ~to_mask(_deleted(leaf), size)) << offset
        kept = {id(cache) for _leaf, _offset, cache in self.leaves}
        for key in [key for key, cache in segments.items() if id(cache) not in kept]:
            del segments[key]  # merged away: never asked for again
        self._terms: dict[tuple[str, str], int] = {}
        self._facets: dict[str, dict[str, int]] = {}
        self._columns: dict[str, list[Any]] = {}
        self._orders: dict[str, list[int]] = {}
        self._order_arrays: dict[str, np.ndarray] = {}
        self._open: tuple[int | None, int] = (None, 0)
        self._opportunities: list[int] | None = None
        self._ids: list[int] | None = None
        self.lock = threading.Lock()
        self.opportunity_mask = self.term("type", "opportunity")
        self.partner_mask = self.term("type", "partner")

    def _combine(self, part: Callable[[LeafReader, SegmentCache], int]) -> int:
        """One bitset over the reader from ``part(leaf, segment_cache)`` per segment, live only."""
        mask = 0
        for leaf, offset, cache in self.leaves:
            mask |= part(leaf, cache) << offset
        return mask & self.live_mask

    @property
    def opportunities(self) -> list[int]:
        """The live opportunities' document numbers, ascending (for sorting everything)."""
        if self._opportunities is None:
            self._opportunities = from_mask(self.opportunity_mask)
        return self._opportunities

    def facet(self, fieldname: str) -> dict[str, int]:
        """{value: bitset} for every value of a facet field, over live opportunities."""
        with self.lock:
            if fieldname not in self._facets:
                values: dict[str, int] = {}
                for leaf, offset, cache in self.leaves:
                    for value, mask in cache.facet(leaf, fieldname).items():
                        values[value] = values.get(value, 0) | mask << offset
                masks = {value: mask & self.opportunity_mask for value, mask in values.items()}
                self._facets[fieldname] = {value: mask for value, mask in masks.items() if mask}
            return self._facets[fieldname]

    def term(self, fieldname: str, text: str) -> int:
        """The live documents holding ``text`` in ``fieldname``, as a bitset (cached)."""
        key = (fieldname, text)
        mask = self._terms.get(key)
        if mask is None:
            mask = _remember(self._terms, key, self._combine(lambda leaf, cache: cache.term(leaf, fieldname, text)))
        return mask

    def word_tiers(self, word: str, terms: dict[str, set[str]]) -> Tiers | None:
        """(title, summary-only, body-only) bitsets for one typed word, or None for a stop word.

        A word that the analyzer splits ("e-mail") needs all its parts in the same field.
        Adds the analysed forms to ``terms`` for highlighting.
        """
        per_field = {}
        for fields in TIER_FIELDS:
            for fieldname in fields:
                tokens = [token.text for token in FIELD_ANALYZERS[fieldname](word)]
                if not tokens:
                    continue
                terms.setdefault(fieldname, set()).update(tokens)
                mask = -1
                for token in tokens:
                    mask &= self.term(fieldname, token)
                per_field[fieldname] = mask
        if not per_field:
            return None
        title = per_field.get("title", 0) | per_field.get("title_es", 0)
        summary = (per_field.get("summary", 0) | per_field.get("summary_es", 0)) & ~title
        body = (per_field.get("body", 0) | per_field.get("body_es", 0)) & ~title & ~summary
        return (title, summary, body)

    def column(self, fieldname: str) -> list[Any]:
        """A column's values over the reader's document numbers (deleted ones included)."""
        with self.lock:
            if fieldname not in self._columns:
                values = []
                for leaf, _offset, cache in self.leaves:
                    values.extend(cache.column(leaf, fieldname))
                self._columns[fieldname] = values
            return self._columns[fieldname]

    def ids_of(self, mask: int) -> list[int]:
        """The database ids of the opportunities in ``mask``.

        Keys are read segment by segment and kept with the segment (reading every key of
        100,000 listings takes about 0.2 s), so after an edit only the new segment is read."""
        table = self.id_table()
        return [table[d] for d in from_mask(mask & self.opportunity_mask) if table[d]]

    def id_table(self) -> list[int]:
        """Document number -> opportunity id (0 for other documents), over the whole reader."""
        with self.lock:
            if self._ids is None:
                self._ids = []
                for leaf, _offset, cache in self.leaves:
                    self._ids.extend(cache.opportunity_ids(leaf))
            return self._ids

    def open_mask(self, today_ordinal: int) -> int:
        """Opportunities whose deadline has not passed (or that have none)."""
        if self._open[0] != today_ordinal:
            still_open = self._combine(lambda leaf, cache: cache.open_mask(leaf, today_ordinal))
            self._open = (today_ordinal, still_open & self.opportunity_mask)
        return self._open[1]

    def order(self, sort: str) -> list[int]:
        """Every opportunity's document number in a sort's order, for walking large result sets."""
        with self.lock:
            cached = self._orders.get(sort)
        if cached is None:
            key = self.sort_key(sort)
            cached = sorted(self.opportunities, key=key)
            with self.lock:
                self._orders[sort] = cached
        return cached

    def _kept_array(self, key: str, build: Callable[[], list[Any]], dtype: Any) -> np.ndarray:
        """``build()`` as a numpy array, made once for this reader under ``key``."""
        with self.lock:
            cached = self._order_arrays.get(key)
        if cached is None:
            cached = np.array(build(), dtype=dtype)
            with self.lock:
                self._order_arrays[key] = cached
        return cached

    def order_array(self, sort: str) -> np.ndarray:
        """``order(sort)`` as a numpy array (kept), for picking a result set's members at once."""
        return self._kept_array(sort, lambda: self.order(sort), np.int64)

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """(latitudes, longitudes) over the reader's document numbers as numpy arrays (kept);
        0.0 for a document without a place."""
        return (
            self._kept_array(":lat", lambda: self.column("lat"), np.float64),
            self._kept_array(":lon", lambda: self.column("lon"), np.float64),
        )

    def any_value(self, fieldname: str) -> int:
        """The live opportunities holding any value in ``fieldname`` (kept): the union of its facet."""
        key = (fieldname, "\x00any")
        mask = self._terms.get(key)
        if mask is None:
            mask = 0
            for value_mask in self.facet(fieldname).values():
                mask |= value_mask
            self._terms[key] = mask
        return mask

    def id_array(self) -> np.ndarray:
        """``id_table()`` as a numpy array (kept)."""
        return self._kept_array(":ids", self.id_table, np.int64)

    def members(self, mask: int) -> np.ndarray:
        """The document numbers in ``mask`` as a numpy array of booleans over the reader."""
        bits = np.unpackbits(np.frombuffer(mask.to_bytes((self.size >> 3) + 1, "little"), np.uint8), bitorder="little")
        return bits[: self.size].view(bool)

    def sort_key(self, sort: str, near: tuple[float, float] | None = None) -> SortKey:
        """A key function over document numbers for ``sort``: smaller sorts first."""
        if sort == "newest":
            created = self.column("created")
            return lambda d: (-created[d], -d)  # ties: the later document is the newer
        if sort == "nearest" and near:
            lats, lons = self.column("lat"), self.column("lon")
            lat0, lon0 = near
            # Equirectangular: enough to order places within a city, and far cheaper than haversine.
            scale = cos(radians(lat0)) ** 2

            def distance(d: int) -> tuple[int, float, int]:
                if lats[d] == 0.0 and lons[d] == 0.0:
                    return (1, 0.0, d)  # no place (virtual): after every located result
                return (0, (lats[d] - lat0) ** 2 + scale * (lons[d] - lon0) ** 2, d)

            return distance
        deadlines, ids = self.column("deadline"), self.id_table()
        # No deadline (rolling) last; the same deadline by id, as the database's list orders them
        # (queries.open_first): a listing saved again moves to the end of the index, not of its day.
        return lambda d: (deadlines[d] == 0, deadlines[d], ids[d], d)
