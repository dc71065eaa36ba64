"""The long-lived searcher: answering a search request, ranking it, and spelling help.

Reading is built for speed (see docs/benchmarks.md): one searcher per process, shared by its
threads and replaced only when the index changed; every facet value, term and sort key comes
from the bitset and column caches (``caches``), so counting a facet value is one AND and one
``bit_count``, and ranking plain words is bitset work plus one small sort per score group.
This is the top of the index modules: it imports the schema, storage, query and caches.
"""

import heapq
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.query import And, Query, Term
from whoosh.searching import Searcher

from cpspartners.geo import EARTH_RADIUS_MILES, bounding_box
from cpspartners.search.analysis import FOLD
from cpspartners.search.caches import ReaderCache, SegmentCache, from_mask, to_mask
from cpspartners.search.query import Match, Tiers, make_parser, parse, plain_words, query_terms
from cpspartners.search.schema import FACETS, TIER_WEIGHTS, make_schema
from cpspartners.search.storage import ensure_index

log = logging.getLogger(__name__)

MAX_TERMS = 12  # words looked at for "did you mean"


def fold(word: str) -> str:
    """A word as the spelling dictionary holds it: lower case, accents folded."""
    return "".join(token.text for token in FOLD(word))


def corrected(text: str, known: Callable[[list[str]], set[str]], nearest: Callable[[str], str | None]) -> str | None:
    """ "Did you mean", whichever backend holds the dictionary: each word of three letters or
    more that is not an operator and not ``known`` is replaced by its ``nearest`` spelling, if it
    has one; the corrected text, or None when nothing changed."""
    words = text.split()[:MAX_TERMS]
    folded = [fold(word) for word in words]
    have = known(folded)
    out, changed = [], False
    for word, folded_word in zip(words, folded, strict=True):
        if len(folded_word) < 3 or word.upper() in ("AND", "OR", "NOT") or folded_word in have:
            out.append(word)
            continue
        found = nearest(folded_word)
        out.append(found or word)
        changed = changed or found is not None
    return " ".join(out) if changed else None


def completions(text: str, complete: Callable[[str], list[str]]) -> list[str]:
    """The search box's completions, whichever backend: the last word typed (two letters at
    least, folded) completed by ``complete``, the words before it kept."""
    words = text.split()
    if not words:
        return []
    prefix = fold(words[-1])
    if len(prefix) < 2:
        return []
    head = " ".join(words[:-1])
    return [(head + " " + term).strip() for term in complete(prefix)]


@dataclass
class SearchRequest:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet -> values (OR within, AND across)
    open_only: bool = False
    sort: str = "relevance"
    near: tuple[float, float] | None = None  # (lat, lon) for sort="nearest"
    page: int = 1
    per_page: int = 20
    today_ordinal: int = 0
    facets: bool = True  # False: the caller shows no facet counts (the list page, recommendations)


@dataclass
class SearchResult:
    keys: list[str]  # index keys in rank order ("o:12")
    total: int
    page: int
    pages: int
    facets: dict[str, dict[str, int]]  # facet -> {value: count}
    open_count: int
    terms: dict[str, set[str]]  # field -> analysed query words, for highlighting
    parsed: bool  # False when the text had no searchable word


def rank_by_tiers(cache: ReaderCache, tiers: list[Tiers], final: int, wanted: int) -> list[int]:
    """Rank by where each word was found: title (4) over summary (2) over the rest (1), summed
    over the words; equal scores by soonest deadline. Pure bitset work, then one small sort
    per score group that reaches the page."""
    groups: dict[int, int] = {}
    for choice in product(range(3), repeat=len(tiers)):
        mask = final
        for word_tiers, level in zip(tiers, choice, strict=False):
            mask &= word_tiers[level]
            if not mask:
                break
        if mask:
            score = sum(TIER_WEIGHTS[level] for level in choice)
            groups[score] = groups.get(score, 0) | mask
    out: list[int] = []
    key = cache.sort_key("deadline")
    for score in sorted(groups, reverse=True):
        members = from_mask(groups[score])
        out.extend(heapq.nsmallest(wanted - len(out), members, key=key))
        if len(out) >= wanted:
            break
    return out


def words_match(cache: ReaderCache, words: list[str]) -> Match | None:
    """The ``Match`` of plain words: every word required, each in any field (stemmed, accents
    folded, English or Spanish); None when no word is searchable (stop words, no letters)."""
    tiers = []
    terms: dict[str, set[str]] = {}
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


class IndexReader:
    """A long-lived searcher for one index folder, shared by the threads of a process."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._path: str | None = None
        self._searcher: Searcher | None = None
        self._cache: ReaderCache | None = None
        self._retired: Searcher | None = None
        self._segments: dict[Any, SegmentCache] = {}
        self._parser = make_parser(make_schema())

    def current(self) -> tuple[Searcher, ReaderCache]:
        """(searcher, cache), refreshed only when the index changed or a rebuild swapped in.

        A changed index gets a new searcher, not ``searcher.refresh()``: whoosh3 3.54's refresh
        reuses segment readers by segment id, so a reused one keeps its old deletions (an edited
        listing found twice) and segments merged away stay in (tests/unit/test_search_segments.py).
        The segment caches carry over instead. The replaced searcher is closed one change later,
        so a query still running on it in another thread can finish.

        The new searcher is opened before anything is replaced. Opening can fail when the writer
        commits again and deletes the table of contents just found (bench/faults.py saw it with
        the follower committing 4 times a second); then the searcher in hand, one commit behind,
        answers, and the next call tries again. Replacing first had left a closed searcher in
        place, and every later search in that worker failed ("Reader already closed").
        """
        with self._lock:
            path = ensure_index(self.root)
            if path != self._path or self._searcher is None:
                segments: dict[Any, SegmentCache] = {}  # another generation: nothing carries over
            elif self._searcher.up_to_date():
                assert self._cache is not None  # set with the searcher
                return self._searcher, self._cache
            else:
                segments = self._segments
            try:
                searcher = whoosh_index.open_dir(path).searcher()
            except FileNotFoundError:
                if self._searcher is None or path != self._path:
                    raise
                log.warning("The index changed while it was being opened; answering from the last version")
                assert self._cache is not None
                return self._searcher, self._cache
            if self._retired is not None:
                self._retired.close()
            self._retired, self._searcher = self._searcher, searcher
            self._path, self._segments = path, segments
            self._cache = ReaderCache(self._searcher, self._segments)
            return self._searcher, self._cache

    def close(self) -> None:
        with self._lock:
            for searcher in (self._searcher, self._retired):
                if searcher is not None:
                    searcher.close()
            self._searcher = self._retired = None
            self._path = None

    def nearest_offered(
        self, lat: float, lon: float, miles: float, school_id: int, limit: int, exclude: Iterable[int] = ()
    ) -> list[int]:
        """Ids of indexed opportunities offered at ``school_id`` (citywide: no school named; or
        naming it) within ``miles`` of a point, nearest first, at most ``limit``: candidates that
        the caller re-checks against the database's rules, as it does every hit.

        From the index's kept coordinates with numpy: the database read every listing in the
        box around a school for this (about 6,000 at 100,000 listings, 24 ms on PostgreSQL)."""
        _searcher, cache = self.current()
        if not cache.size:
            return []
        named_any = cache.any_value("school")
        offered = cache.term("school", str(school_id)) | (cache.opportunity_mask & ~named_any)
        keep = cache.members(offered & cache.live_mask)
        lats, lons = cache.coordinates()
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, miles)
        keep &= (lats >= min_lat) & (lats <= max_lat) & (lons >= min_lon) & (lons <= max_lon)
        docs = np.flatnonzero(keep)
        # Haversine, as geo.miles_between (the page shows the database's figure, computed again).
        phi1, phi2 = np.radians(lat), np.radians(lats[docs])
        a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lons[docs] - lon) / 2) ** 2
        distance = 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(a))
        ids = cache.id_array()[docs]
        within = (distance <= miles) & (ids > 0) & ~np.isin(ids, np.fromiter(exclude, dtype=np.int64))
        ids, distance = ids[within], distance[within]
        order = np.lexsort((ids, distance))[:limit]
        return ids[order].tolist()

    def has_fields(self, *names: str) -> bool:
        """The live index has every field in ``names``: one built before a field was added does
        not, and must not be asked to filter on it (``FILTER_FIELDS``; a rebuild adds them)."""
        searcher, _cache = self.current()
        return all(name in searcher.schema for name in names)

    def parse(self, text: str) -> Query | None:
        """The Whoosh query for ``text`` (None when nothing searchable is left)."""
        return parse(self._parser, text)

    def search(self, request: SearchRequest) -> SearchResult:
        """Run ``request``: the page of keys, the total, and disjunctive facet counts."""
        searcher, cache = self.current()
        match = self.match(searcher, cache, request.text)
        base = cache.opportunity_mask if match is None else match.docs & cache.opportunity_mask
        selected = {}
        for name, values in request.filters.items():
            mask = 0
            if name in FACETS:
                table = cache.facet(name)
                for value in values:
                    mask |= table.get(value, 0)
            elif name in searcher.schema:  # a filter-only field: its values' terms, never counted
                for value in values:
                    mask |= cache.term(name, value)
            else:  # an index built before the field: "nothing matches" would be a wrong answer
                raise LookupError("the search index has no field %r: rebuild it" % name)
            selected[name] = mask & cache.opportunity_mask
        open_mask = cache.open_mask(request.today_ordinal)
        narrowed = base
        for mask in selected.values():
            narrowed &= mask
        final = narrowed & open_mask if request.open_only else narrowed
        facets = {}
        for name in FACETS if request.facets else ():
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
        docnums = self._open_first(searcher, cache, match, final, final & open_mask, request, wanted)
        docnums = docnums[(page - 1) * request.per_page : wanted]
        # Searcher copies stored_fields from its reader with setattr, which whoosh's types cannot show.
        keys = [searcher.stored_fields(d)["key"] for d in docnums]  # type: ignore[attr-defined]
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

    def match(self, searcher: Searcher, cache: ReaderCache, text: str) -> Match | None:
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

    def _open_first(
        self,
        searcher: Searcher,
        cache: ReaderCache,
        match: Match | None,
        final: int,
        still_open: int,
        request: SearchRequest,
        wanted: int,
    ) -> list[int]:
        """The first ``wanted`` of ``final`` in the request's order, with every listing still open
        before any closed one, whatever the sort: a closed listing never outranks an open one.
        The closed ones are ranked only when the page reaches past the open ones."""
        open_total = still_open.bit_count()
        out = self._rank(searcher, cache, match, still_open, open_total, request, wanted)
        closed = final & ~still_open
        if len(out) < wanted and closed:
            out += self._rank(searcher, cache, match, closed, closed.bit_count(), request, wanted - len(out))
        return out

    def _rank(
        self,
        searcher: Searcher,
        cache: ReaderCache,
        match: Match | None,
        final: int,
        total: int,
        request: SearchRequest,
        wanted: int,
    ) -> list[int]:
        if not total:
            return []
        sort = request.sort
        if sort == "nearest" and not request.near:
            sort = "deadline"
        if sort == "relevance" and match is not None:
            if match.tiers is not None:
                return rank_by_tiers(cache, match.tiers, final, wanted)
            assert match.query is not None  # a Match without tiers came from the parser
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
        # Many results: the precomputed order, keeping the members of ``final``. With numpy, not a
        # Python loop: the still-open listings sit behind the ~28,000 closed ones in deadline
        # order at 100,000 listings, and skipping those one by one cost 6 ms a page.
        order = cache.order_array(sort)
        return order[cache.members(final)[order]][:wanted].tolist()

    def opportunity_ids(self, words: list[str], narrow: Iterable[tuple[str, Iterable[str]]] = ()) -> list[int] | None:
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

    def partners(self, text: str, limit: int = 5) -> list[str]:
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
        return [searcher.stored_fields(d)["key"] for d in docnums]  # type: ignore[attr-defined]

    def did_you_mean(self, text: str) -> str | None:
        """A corrected query when some word is not in the index but a close one is; else None."""
        searcher, _cache = self.current()
        reader = searcher.reader()

        def nearest(folded: str) -> str | None:
            found = searcher.suggest("spell", folded, limit=1, maxdist=2, prefix=1)
            return found[0] if found else None

        return corrected(text, lambda folded: {w for w in folded if reader.doc_frequency("spell", w)}, nearest)

    def suggest(self, text: str, limit: int = 8) -> list[str]:
        """Completions of the last word typed, most common first: for the search box."""
        searcher, _cache = self.current()
        reader = searcher.reader()

        def complete(prefix: str) -> list[str]:
            candidates = []
            for count, term in enumerate(reader.expand_prefix("spell", prefix)):
                if count > 500:
                    break
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                candidates.append((-reader.frequency("spell", word), word))
            return [term for _freq, term in sorted(candidates)[:limit]]

        return completions(text, complete)
