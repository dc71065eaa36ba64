"""The Whoosh index: schema, generations on disk, writers that wait for the lock, and queries.

Layout on disk: ``<SEARCH_INDEX_DIR>/current`` is a symlink to ``gen-<stamp>``. A rebuild writes a
new generation beside the live one and swaps the symlink with one atomic ``os.replace``.

Reading is built for speed (see docs/benchmarks.md): one long-lived searcher per process,
refreshed only when the index changed; every facet value cached per reader as a set of
document numbers and as a bitset (a Python int), so counting a facet value is one AND and
one ``bit_count``; sort keys read once per reader from columns.
"""

import heapq
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from itertools import product
from math import cos, radians

from markupsafe import Markup, escape
from whoosh import index as whoosh_index
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.qparser import AndGroup, MultifieldParser, plugins
from whoosh.query import And, Every, NullQuery, Phrase, Term

from .analysis import EN, ES, FOLD

FACETS = ("kind", "cluster", "band", "area", "modality", "paid", "lang")
SORTS = ("relevance", "deadline", "newest", "nearest")
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
LOCK_TIMEOUT = 5.0
LOCK_RETRIES = 6


# Query-time weights: a word in a title counts more than in a summary, more than in a description.
FIELD_BOOSTS = {"title": 4.0, "title_es": 4.0, "summary": 2.0, "summary_es": 2.0, "body": 1.0, "body_es": 1.0}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
# Positions (for "quoted phrases") only in titles: they double a field's postings.
NO_POSITIONS = {"summary", "summary_es", "body", "body_es"}


def make_schema():
    """Only the key is stored; big text is indexed, never stored (results come from the DB)."""
    return Schema(
        key=ID(unique=True, stored=True),
        type=ID,
        title=TEXT(analyzer=EN),
        title_es=TEXT(analyzer=ES),
        summary=TEXT(analyzer=EN, phrase=False),
        summary_es=TEXT(analyzer=ES, phrase=False),
        body=TEXT(analyzer=EN, phrase=False),  # description, partner, tags, clusters, kind, places
        body_es=TEXT(analyzer=ES, phrase=False),
        spell=TEXT(analyzer=FOLD, phrase=False),
        kind=ID,
        cluster=KEYWORD(commas=True),
        band=KEYWORD(commas=True),
        area=ID,
        modality=ID,
        paid=ID,
        lang=KEYWORD(commas=True),
        # Sort keys as plain columns: a NUMERIC field would also index 8-16 range terms per value.
        deadline=COLUMN(NumericColumn("i", default=0)),
        created=COLUMN(NumericColumn("q", default=0)),
        lat=COLUMN(NumericColumn("d", default=0.0)),
        lon=COLUMN(NumericColumn("d", default=0.0)),
    )


# ---------------------------------------------------------------- generations on disk


def current_path(root):
    return os.path.join(root, "current")


def create_generation(root):
    """A new empty index folder beside the live one; not live until ``swap_in``."""
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, "gen-%d-%d" % (time.time_ns(), os.getpid()))
    os.makedirs(path)
    whoosh_index.create_in(path, make_schema())
    return path


def swap_in(root, generation):
    """Point ``current`` at ``generation`` atomically, then remove generations no longer live."""
    link = os.path.join(root, "current.%d.tmp" % os.getpid())
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.basename(generation), link)
    os.replace(link, current_path(root))
    for name in os.listdir(root):
        path = os.path.join(root, name)
        # Readers in other processes keep their open files; POSIX keeps unlinked files alive.
        if (
            name.startswith("gen-")
            and os.path.realpath(path) != os.path.realpath(generation)
            and not os.path.exists(os.path.join(path, ".building"))
        ):
            shutil.rmtree(path, ignore_errors=True)


def ensure_index(root):
    """The live generation's path, creating an empty index the first time."""
    link = current_path(root)
    if not os.path.exists(link):
        swap_in(root, create_generation(root))
    return os.path.realpath(link)


def open_writer(path, timeout=LOCK_TIMEOUT, retries=LOCK_RETRIES, **settings):
    """A writer on the index at ``path``; waits for the lock, retrying, before giving up."""
    ix = whoosh_index.open_dir(path)
    for attempt in range(retries):
        try:
            return ix.writer(timeout=timeout, delay=0.05, **settings)
        except whoosh_index.LockError:
            if attempt == retries - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


# ---------------------------------------------------------------- query parsing


def make_parser(schema):
    """Words, quoted phrases, AND/OR/NOT and parentheses; no field, wildcard or range syntax."""
    parser = MultifieldParser(SEARCH_FIELDS, schema, fieldboosts=FIELD_BOOSTS, group=AndGroup)
    for plugin in (
        plugins.FieldsPlugin,
        plugins.WildcardPlugin,
        plugins.RangePlugin,
        plugins.BoostPlugin,
        plugins.EveryPlugin,
        plugins.SingleQuotePlugin,
    ):
        parser.remove_plugin_class(plugin)
    return parser


def _no_phrases_without_positions(q):
    if isinstance(q, Phrase) and q.fieldname in NO_POSITIONS:
        return And([Term(q.fieldname, word) for word in q.words])
    return q.apply(_no_phrases_without_positions)


def parse(parser, text):
    """A Whoosh query for the reader's text, or None when nothing searchable is left."""
    q = parser.parse(text)
    q = _no_phrases_without_positions(q).normalize()
    if q is None or q is NullQuery or isinstance(q, (Every, type(NullQuery))):
        return None
    return q


def query_terms(q):
    """{field: set of analysed words} in the query, for highlighting."""
    found = {}
    if q is None:
        return found
    for fieldname, text in q.iter_all_terms(phrases=True):
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        found.setdefault(fieldname, set()).add(text)
    return found


# ---------------------------------------------------------------- bitsets


def to_mask(docnums, size):
    """A set of document numbers as one int: bit d is set when d is in the set."""
    buf = bytearray((size >> 3) + 1)
    for d in docnums:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def from_mask(mask):
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


OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
MAX_FAST_WORDS = 5
TIER_FIELDS = (("title", "title_es"), ("summary", "summary_es"), ("body", "body_es"))
TIER_WEIGHTS = (4, 2, 1)  # the same order as FIELD_BOOSTS: title, then summary, then the rest


def plain_words(text):
    """The words of ``text`` when it is plain words (no quotes, brackets or operators); else None."""
    if any(ch in text for ch in '"()[]{}:^*?~+-\\'):
        return None
    words = text.split()
    if not words or len(words) > MAX_FAST_WORDS or any(word in OPERATORS for word in words):
        return None
    return words


@dataclass
class Match:
    docs: int  # bitset of every matching document (opportunities and partners)
    tiers: list  # per word: (title bitset, summary-only bitset, body-only bitset); None for parsed queries
    query: object  # the Whoosh query for the parsed path
    terms: dict  # field -> analysed words, for highlighting


def rank_by_tiers(cache, tiers, final, wanted):
    """Rank by where each word was found: title (4) over summary (2) over the rest (1), summed
    over the words; equal scores by soonest deadline. Pure bitset work, then one small sort
    per score group that reaches the page."""
    groups = {}
    for choice in product(range(3), repeat=len(tiers)):
        mask = final
        for word_tiers, level in zip(tiers, choice, strict=False):
            mask &= word_tiers[level]
            if not mask:
                break
        if mask:
            score = sum(TIER_WEIGHTS[level] for level in choice)
            groups[score] = groups.get(score, 0) | mask
    out = []
    key = cache.sort_key("deadline")
    for score in sorted(groups, reverse=True):
        members = from_mask(groups[score])
        out.extend(heapq.nsmallest(wanted - len(out), members, key=key))
        if len(out) >= wanted:
            break
    return out


def words_match(cache, words):
    """The ``Match`` of plain words: every word required, each in any field (stemmed, accents
    folded, English or Spanish); None when no word is searchable (stop words, no letters)."""
    tiers = []
    terms = {}
    for word in words:
        tier = cache.word_tiers(word, terms)
        if tier is not None:
            tiers.append(tier)
    if not tiers:
        return None
    docs = -1
    for tier in tiers:
        docs &= tier[0] | tier[1] | tier[2]
    return Match(docs=docs, tiers=tiers, query=None, terms=terms)


TERM_CACHE = 4000  # term bitsets kept per reader and per segment; the oldest half goes when full


def _remember(cache, key, value):
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

    def __init__(self, size):
        self.size = size
        self.terms = {}
        self.facets = {}
        self.columns = {}
        self.ids = None
        self.open = (None, 0)
        self.lock = threading.Lock()

    def term(self, leaf, fieldname, text):
        key = (fieldname, text)
        mask = self.terms.get(key)
        if mask is None:
            mask = to_mask(leaf.postings(fieldname, text).all_ids(), self.size) if key in leaf else 0
            _remember(self.terms, key, mask)
        return mask

    def facet(self, leaf, fieldname):
        with self.lock:
            if fieldname not in self.facets:
                self.facets[fieldname] = {
                    value: to_mask(leaf.postings(fieldname, value).all_ids(), self.size)
                    for value in leaf.field_terms(fieldname)
                }
            return self.facets[fieldname]

    def column(self, leaf, fieldname):
        with self.lock:
            if fieldname not in self.columns:
                # A segment's column can be shorter than the segment (trailing documents
                # without a value): pad with the field's default so docnums line up.
                values = list(leaf.column_reader(fieldname)) if self.size else []  # an empty index has no columns
                values.extend([0] * (self.size - len(values)))
                self.columns[fieldname] = values
            return self.columns[fieldname]

    def opportunity_ids(self, leaf):
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

    def open_mask(self, leaf, today_ordinal):
        """Documents whose deadline has not passed (or that have none), partners included."""
        if self.open[0] != today_ordinal:
            deadlines = self.column(leaf, "deadline")
            self.open = (
                today_ordinal,
                to_mask((d for d, day in enumerate(deadlines) if day == 0 or day >= today_ordinal), self.size),
            )
        return self.open[1]


def _deleted(leaf):
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

    def __init__(self, searcher, segments=None):
        self.searcher = searcher
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        segments = {} if segments is None else segments
        self.leaves = []
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
        self._terms = {}
        self._facets = {}
        self._columns = {}
        self._orders = {}
        self._open = (None, 0)
        self._opportunities = None
        self._ids = None
        self.lock = threading.Lock()
        self.opportunity_mask = self.term("type", "opportunity")
        self.partner_mask = self.term("type", "partner")

    def _combine(self, part):
        """One bitset over the reader from ``part(leaf, segment_cache)`` per segment, live only."""
        mask = 0
        for leaf, offset, cache in self.leaves:
            mask |= part(leaf, cache) << offset
        return mask & self.live_mask

    @property
    def opportunities(self):
        """The live opportunities' document numbers, ascending (for sorting everything)."""
        if self._opportunities is None:
            self._opportunities = from_mask(self.opportunity_mask)
        return self._opportunities

    def facet(self, fieldname):
        """{value: bitset} for every value of a facet field, over live opportunities."""
        with self.lock:
            if fieldname not in self._facets:
                values = {}
                for leaf, offset, cache in self.leaves:
                    for value, mask in cache.facet(leaf, fieldname).items():
                        values[value] = values.get(value, 0) | mask << offset
                masks = {value: mask & self.opportunity_mask for value, mask in values.items()}
                self._facets[fieldname] = {value: mask for value, mask in masks.items() if mask}
            return self._facets[fieldname]

    def term(self, fieldname, text):
        """The live documents holding ``text`` in ``fieldname``, as a bitset (cached)."""
        key = (fieldname, text)
        mask = self._terms.get(key)
        if mask is None:
            mask = _remember(self._terms, key, self._combine(lambda leaf, cache: cache.term(leaf, fieldname, text)))
        return mask

    def word_tiers(self, word, terms):
        """(title, summary-only, body-only) bitsets for one typed word, or None for a stop word.

        A word that the analyzer splits ("e-mail") needs all its parts in the same field.
        Adds the analysed forms to ``terms`` for highlighting.
        """
        per_field = {}
        for fields in TIER_FIELDS:
            for fieldname in fields:
                tokens = [token.text for token in _ANALYZERS[fieldname](word)]
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

    def column(self, fieldname):
        with self.lock:
            if fieldname not in self._columns:
                values = []
                for leaf, _offset, cache in self.leaves:
                    values.extend(cache.column(leaf, fieldname))
                self._columns[fieldname] = values
            return self._columns[fieldname]

    def ids_of(self, mask):
        """The database ids of the opportunities in ``mask``.

        Keys are read segment by segment and kept with the segment (reading every key of
        100,000 listings takes about 0.2 s), so after an edit only the new segment is read."""
        with self.lock:
            if self._ids is None:
                self._ids = []
                for leaf, _offset, cache in self.leaves:
                    self._ids.extend(cache.opportunity_ids(leaf))
            table = self._ids
        return [table[d] for d in from_mask(mask & self.opportunity_mask) if table[d]]

    def open_mask(self, today_ordinal):
        """Opportunities whose deadline has not passed (or that have none)."""
        if self._open[0] != today_ordinal:
            still_open = self._combine(lambda leaf, cache: cache.open_mask(leaf, today_ordinal))
            self._open = (today_ordinal, still_open & self.opportunity_mask)
        return self._open[1]

    def order(self, sort):
        """Every opportunity's document number in a sort's order, for walking large result sets."""
        with self.lock:
            cached = self._orders.get(sort)
        if cached is None:
            key = self.sort_key(sort)
            cached = sorted(self.opportunities, key=key)
            with self.lock:
                self._orders[sort] = cached
        return cached

    def sort_key(self, sort, near=None):
        if sort == "newest":
            created = self.column("created")
            return lambda d: (-created[d], -d)  # ties: the later document is the newer
        if sort == "nearest" and near:
            lats, lons = self.column("lat"), self.column("lon")
            lat0, lon0 = near
            scale = cos(radians(lat0)) ** 2

            def distance(d):
                if lats[d] == 0.0 and lons[d] == 0.0:
                    return (1, 0.0, d)  # no place (virtual): after every located result
                return (0, (lats[d] - lat0) ** 2 + scale * (lons[d] - lon0) ** 2, d)

            return distance
        deadlines = self.column("deadline")
        return lambda d: (deadlines[d] == 0, deadlines[d], d)  # no deadline (rolling) last


# ---------------------------------------------------------------- the searcher


@dataclass
class SearchRequest:
    text: str = ""
    filters: dict = field(default_factory=dict)  # facet -> list of values (OR within, AND across)
    open_only: bool = False
    sort: str = "relevance"
    near: tuple = None  # (lat, lon) for sort="nearest"
    page: int = 1
    per_page: int = 20
    today_ordinal: int = 0


@dataclass
class SearchResult:
    keys: list  # index keys in rank order ("o:12")
    total: int
    page: int
    pages: int
    facets: dict  # facet -> {value: count}
    open_count: int
    terms: dict  # field -> analysed query words, for highlighting
    parsed: bool  # False when the text had no searchable word


class IndexReader:
    """A long-lived searcher for one index folder, shared by the threads of a process."""

    def __init__(self, root):
        self.root = root
        self._lock = threading.Lock()
        self._path = None
        self._searcher = None
        self._cache = None
        self._retired = None
        self._segments = {}
        self._parser = make_parser(make_schema())

    def current(self):
        """(searcher, cache), refreshed only when the index changed or a rebuild swapped in.

        A changed index gets a new searcher, not ``searcher.refresh()``: whoosh3 3.54's refresh
        reuses segment readers by segment id, so a reused one keeps its old deletions (an edited
        listing found twice) and segments merged away stay in (tests/unit/test_search_segments.py).
        The segment caches carry over instead. The replaced searcher is closed one change later,
        so a query still running on it in another thread can finish.
        """
        with self._lock:
            path = ensure_index(self.root)
            if path != self._path or self._searcher is None:
                self._segments = {}  # another generation: nothing carries over
            elif self._searcher.up_to_date():
                return self._searcher, self._cache
            if self._retired is not None:
                self._retired.close()
            self._retired = self._searcher
            self._searcher = whoosh_index.open_dir(path).searcher()
            self._path = path
            self._cache = ReaderCache(self._searcher, self._segments)
            return self._searcher, self._cache

    def close(self):
        with self._lock:
            for searcher in (self._searcher, self._retired):
                if searcher is not None:
                    searcher.close()
            self._searcher = self._retired = None
            self._path = None

    def parse(self, text):
        return parse(self._parser, text)

    def search(self, request):
        """Run ``request``: the page of keys, the total, and disjunctive facet counts."""
        searcher, cache = self.current()
        match = self.match(searcher, cache, request.text)
        base = cache.opportunity_mask if match is None else match.docs & cache.opportunity_mask
        selected = {}
        for name, values in request.filters.items():
            table = cache.facet(name)
            mask = 0
            for value in values:
                mask |= table.get(value, 0)
            selected[name] = mask
        open_mask = cache.open_mask(request.today_ordinal)
        narrowed = base
        for mask in selected.values():
            narrowed &= mask
        final = narrowed & open_mask if request.open_only else narrowed
        facets = {}
        for name in FACETS:
            # Counts for one facet ignore that facet's own choice, so its other values stay offered.
            others = base & open_mask if request.open_only else base
            for other, mask in selected.items():
                if other != name:
                    others &= mask
            counts = ((value, (others & mask).bit_count()) for value, mask in cache.facet(name).items())
            facets[name] = {value: n for value, n in counts if n}
        total = final.bit_count()
        pages = max(1, -(-total // request.per_page))
        page = min(max(1, request.page), pages)
        wanted = page * request.per_page
        docnums = self._rank(searcher, cache, match, final, total, request, wanted)
        docnums = docnums[(page - 1) * request.per_page : wanted]
        keys = [searcher.stored_fields(d)["key"] for d in docnums]
        return SearchResult(
            keys=keys,
            total=total,
            page=page,
            pages=pages,
            facets=facets,
            open_count=(narrowed & open_mask).bit_count(),
            terms=match.terms if match else {},
            parsed=match is not None,
        )

    def match(self, searcher, cache, text):
        """The documents matching ``text`` (a ``Match``), or None when there is nothing to search.

        Plain words take the fast path: each word's documents per field come from cached
        term bitsets, so matching is a few ANDs and ORs on ints. Quotes, parentheses and
        AND/OR/NOT go through Whoosh's parser and matchers (slower, ranked by BM25F).
        """
        if not text:
            return None
        words = plain_words(text)
        if words is not None:
            return words_match(cache, words)
        q = self.parse(text)
        if q is None:
            return None
        return Match(
            docs=to_mask(searcher.docs_for_query(q), cache.size) & cache.live_mask,
            tiers=None,
            query=q,
            terms=query_terms(q),
        )

    def _rank(self, searcher, cache, match, final, total, request, wanted):
        if not total:
            return []
        sort = request.sort
        if sort == "nearest" and not request.near:
            sort = "deadline"
        if sort == "relevance" and match is not None:
            if match.tiers is not None:
                return rank_by_tiers(cache, match.tiers, final, wanted)
            q = And([match.query, Term("type", "opportunity")])
            filtered = final != match.docs & cache.opportunity_mask
            hits = searcher.search(q, filter=set(from_mask(final)) if filtered else None, limit=wanted)
            return [hit.docnum for hit in hits]
        if sort == "relevance":
            sort = "deadline"  # browsing with no words: soonest deadline first
        if sort == "nearest":
            return heapq.nsmallest(wanted, from_mask(final), key=cache.sort_key("nearest", request.near))
        if total <= 2000:
            return heapq.nsmallest(wanted, from_mask(final), key=cache.sort_key(sort))
        # Many results: walk the precomputed order and keep members until the page is full.
        data = final.to_bytes((cache.size >> 3) + 1, "little")
        out = []
        for d in cache.order(sort):
            if data[d >> 3] >> (d & 7) & 1:
                out.append(d)
                if len(out) >= wanted:
                    break
        return out

    def opportunity_ids(self, words, narrow=()):
        """Database ids of the opportunities whose documents hold every searchable one of
        ``words`` (matched as the search page matches plain words) and, for each (facet,
        values) of ``narrow``, one of the values; None when no word is searchable.

        Raises LookupError when the index holds no opportunity at all: a fresh, never-built
        index must not pass for "nothing matches"."""
        _searcher, cache = self.current()
        if not cache.opportunity_mask:
            raise LookupError("the search index holds no opportunities")
        match = words_match(cache, words)
        if match is None:
            return None
        docs = match.docs
        for name, values in narrow:
            table = cache.facet(name)
            allowed = 0
            for value in values:
                allowed |= table.get(value, 0)
            docs &= allowed
        return cache.ids_of(docs)

    def partners(self, text, limit=5):
        """Keys of active partners whose name, mission or neighborhoods match ``text``."""
        searcher, cache = self.current()
        match = self.match(searcher, cache, text)
        if match is None:
            return []
        found = match.docs & cache.partner_mask
        if match.tiers is not None:
            docnums = rank_by_tiers(cache, match.tiers, found, limit)
        else:
            docnums = from_mask(found)[:limit]
        return [searcher.stored_fields(d)["key"] for d in docnums]

    def did_you_mean(self, text):
        """A corrected query when some word is not in the index but a close one is; else None."""
        searcher, _cache = self.current()
        reader = searcher.reader()
        words = text.split()[:MAX_TERMS]
        changed = False
        out = []
        for word in words:
            folded = "".join(token.text for token in FOLD(word))
            if len(folded) < 3 or word.upper() in ("AND", "OR", "NOT") or reader.doc_frequency("spell", folded):
                out.append(word)
                continue
            found = searcher.suggest("spell", folded, limit=1, maxdist=2, prefix=1)
            if found:
                out.append(found[0])
                changed = True
            else:
                out.append(word)
        return " ".join(out) if changed else None

    def suggest(self, text, limit=8):
        """Completions of the last word typed, most common first: for the search box."""
        searcher, _cache = self.current()
        words = text.split()
        if not words:
            return []
        prefix = "".join(token.text for token in FOLD(words[-1]))
        if len(prefix) < 2:
            return []
        reader = searcher.reader()
        candidates = []
        for count, term in enumerate(reader.expand_prefix("spell", prefix)):
            if count > 500:
                break
            if isinstance(term, bytes):
                term = term.decode("utf-8")
            candidates.append((-reader.frequency("spell", term), term))
        head = " ".join(words[:-1])
        return [(head + " " + term).strip() for _freq, term in sorted(candidates)[:limit]]


# ---------------------------------------------------------------- highlighting


def highlighted(text, terms, fieldname, whole=False, width=240):
    """``text`` as Markup with the query's words in <mark>; plain escaped text when none match.

    Markup is built only from escaped pieces of ``text``. Without ``whole``, a window of about
    ``width`` characters around the first match is shown, with ellipses where it was cut.
    """
    if not text:
        return Markup("")
    words = terms.get(fieldname)
    spans = []
    if words:
        analyzer = _ANALYZERS.get(fieldname, EN)
        spans = [(t.startchar, t.endchar) for t in analyzer(text, chars=True, removestops=True) if t.text in words]
    if not spans:
        return escape(text) if whole or len(text) <= width else escape(text[:width].rsplit(" ", 1)[0] + " …")
    start, end = 0, len(text)
    if not whole and len(text) > width:
        start = max(0, spans[0][0] - width // 4)
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = min(len(text), start + width)
    out, position = [], start
    for left, right in spans:
        if left < position or right > end:
            continue
        out.append(escape(text[position:left]))
        out.append(Markup("<mark>%s</mark>") % text[left:right])
        position = right
    out.append(escape(text[position:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return Markup(escape(prefix) + Markup("").join(out) + escape(suffix))


_ANALYZERS = {"title": EN, "summary": EN, "body": EN, "title_es": ES, "summary_es": ES, "body_es": ES}
