"""The PostgreSQL full-text backend: the search facade's reader, answered by the database itself.

Chosen with ``SEARCH_BACKEND = "postgres"`` (on PostgreSQL only); Whoosh stays the embedded
default. One table holds a document per public opportunity and active partner, built from the
same ``documents.*_document`` dicts the Whoosh index gets, behind the same public rule
(``documents.is_public_*``):

- ``document``: one weighted ``tsvector`` — title A, summary B, everything else C — in English
  (``cps_en``) and Spanish (``cps_es``), both folding accents with ``unaccent``; GIN-indexed.
- ``f_<facet>``: each facet's values as ``text[]`` (GIN), the sort keys as plain columns.
- ``spell``: the document's words for "did you mean" and the search box's completions, counted
  per word in ``search_vocabulary`` (trigram-indexed for near spellings).

It is written in the same transaction as the change (``sync.after_flush`` calls
``write_changes`` on the flush's connection): no outbox, no lag, and a rollback takes the
document back with the change. ``PgReader`` has the methods of ``reader.IndexReader`` that the
facade calls, and answers them with SQL: ``websearch_to_tsquery`` for queries with quotes,
``OR`` or ``-``, each plain word matched in either language otherwise; ``ts_rank`` with the
weights (title over summary over the rest) for relevance; disjunctive facet counts; listings
still open before closed ones whatever the sort.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from cpspartners.search import documents
from cpspartners.search.analysis import FOLD
from cpspartners.search.query import make_parser, parse, plain_words, query_terms
from cpspartners.search.reader import SearchRequest, SearchResult, completions, corrected
from cpspartners.search.schema import FACETS, FIELD_ANALYZERS, FILTER_FIELDS, TIER_FIELDS, make_schema
from cpspartners.text import like_prefix

TABLE = "search_document"
VOCABULARY = "search_vocabulary"
# Every field a query may filter on: the counted facets, and the list page's grade and school.
FILTERS = (*FACETS, *FILTER_FIELDS)
# Fields whose value in a document is a comma-separated list (the Whoosh KEYWORD fields).
LIST_FACETS = {"cluster", "band", "lang", "grade", "school"}
# ts_rank's weights for D, C, B, A: a word in a title counts four times one in the body, as the
# Whoosh reader's tiers (4, 2, 1) do.
RANK_WEIGHTS = "{0.05, 0.25, 0.5, 1.0}"
BATCH = 500
NEGATED = re.compile(r'(?:^|(?<=\s))-("[^"]*"|[^\s"]+)')  # websearch's "-word" and -"a phrase"
SUGGEST_CANDIDATES = 10
BY_DEADLINE = "deadline = 0, deadline, object_id"  # rolling admission last, soonest first, then id

# Idempotent: run by the migration and by the tests that build their schema with create_all.
SCHEMA = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'cps_en') THEN
            CREATE TEXT SEARCH CONFIGURATION cps_en (COPY = english);
            ALTER TEXT SEARCH CONFIGURATION cps_en
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'cps_es') THEN
            CREATE TEXT SEARCH CONFIGURATION cps_es (COPY = spanish);
            ALTER TEXT SEARCH CONFIGURATION cps_es
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
        END IF;
    END $$""",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        key text PRIMARY KEY,
        type text NOT NULL,
        object_id integer NOT NULL,
        document tsvector NOT NULL,
        {", ".join(f"f_{facet} text[] NOT NULL DEFAULT '{{}}'" for facet in FILTERS)},
        deadline integer NOT NULL DEFAULT 0,
        created double precision NOT NULL DEFAULT 0,
        lat double precision NOT NULL DEFAULT 0,
        lon double precision NOT NULL DEFAULT 0,
        spell text[] NOT NULL DEFAULT '{{}}'
    )""",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_document ON {TABLE} USING gin (document)",
    *(f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_{facet} ON {TABLE} USING gin (f_{facet})" for facet in FILTERS),
    # The list page's order (soonest deadline, then id), walked in order (``PgReader.search``).
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_by_deadline ON {TABLE} (type, deadline, object_id)",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_newest ON {TABLE} (type, created DESC, object_id DESC)",
    f"""CREATE TABLE IF NOT EXISTS {VOCABULARY} (
        word text PRIMARY KEY,
        frequency integer NOT NULL CHECK (frequency > 0)
    )""",
    f"CREATE INDEX IF NOT EXISTS ix_{VOCABULARY}_trgm ON {VOCABULARY} USING gin (word gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS ix_{VOCABULARY}_prefix ON {VOCABULARY} (word text_pattern_ops)",
)


OWN_TABLES = (TABLE, VOCABULARY)


def not_ours(name: str | None, type_: str, _parent: object) -> bool:
    """For Alembic's ``include_name``: the search tables are made by SQL here, not by the models,
    so autogenerate and the schema comparison leave them alone."""
    return not (type_ == "table" and name in OWN_TABLES)


def install(connection: Connection) -> None:
    """Create the configurations, tables and indexes if they are missing (PostgreSQL only)."""
    for statement in SCHEMA:
        connection.execute(text(statement))


def uninstall(connection: Connection) -> None:
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}, {VOCABULARY}"))
    connection.execute(text("DROP TEXT SEARCH CONFIGURATION IF EXISTS cps_en"))
    connection.execute(text("DROP TEXT SEARCH CONFIGURATION IF EXISTS cps_es"))


# ------------------------------------------------------------------------------------ writing

_COLUMNS = ("key", "type", "object_id", *(f"f_{facet}" for facet in FILTERS), "deadline", "created", "lat", "lon")
_UPSERT = text(
    f"""INSERT INTO {TABLE} ({", ".join(_COLUMNS)}, document, spell)
    VALUES ({", ".join(":" + c for c in _COLUMNS)},
        setweight(to_tsvector('cps_en', :title), 'A') || setweight(to_tsvector('cps_es', :title_es), 'A')
        || setweight(to_tsvector('cps_en', :summary), 'B') || setweight(to_tsvector('cps_es', :summary_es), 'B')
        || setweight(to_tsvector('cps_en', :body), 'C') || setweight(to_tsvector('cps_es', :body_es), 'C'),
        :spell)
    ON CONFLICT (key) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COLUMNS[1:], "document", "spell"))}"""
)


def row_of(document: dict[str, Any]) -> dict[str, Any]:
    """A ``documents.*_document`` dict as the table's parameters."""
    row: dict[str, Any] = {
        "key": document["key"],
        "type": document["type"],
        "object_id": int(document["key"].split(":", 1)[1]),
        "deadline": int(document.get("deadline", 0)),
        "created": float(document.get("created", 0)),
        "lat": float(document.get("lat", 0.0)),
        "lon": float(document.get("lon", 0.0)),
        # Folded as the Whoosh "spell" field is (lower case, no accents): what is looked up.
        "spell": sorted({token.text for token in FOLD(document.get("spell", ""))}),  # as ``reader.fold``
    }
    for field in ("title", "title_es", "summary", "summary_es", "body", "body_es"):
        row[field] = document.get(field) or ""
    for facet in FILTERS:
        value = document.get(facet) or ""
        row[f"f_{facet}"] = [v for v in value.split(",") if v] if facet in LIST_FACETS else ([value] if value else [])
    return row


def _count_words(connection: Connection, delta: Counter[str]) -> None:
    """Add ``delta`` to the vocabulary's counts, in word order (two writers lock words alike)."""
    changed = sorted((word, n) for word, n in delta.items() if n)
    if not changed:
        return
    words, counts = [w for w, _n in changed], [n for _w, n in changed]
    connection.execute(
        text(
            f"""INSERT INTO {VOCABULARY} (word, frequency)
            SELECT w, n FROM unnest(CAST(:words AS text[]), CAST(:counts AS integer[])) AS t(w, n) WHERE n > 0
            ORDER BY w
            ON CONFLICT (word) DO UPDATE SET frequency = {VOCABULARY}.frequency + EXCLUDED.frequency"""
        ),
        {"words": words, "counts": counts},
    )
    # Lower counts (a word a changed document no longer has): a count reaching zero goes first,
    # then the rest are lowered (in the other order the lowered count would be tested again).
    connection.execute(
        text(
            f"""DELETE FROM {VOCABULARY} AS v
            USING unnest(CAST(:words AS text[]), CAST(:counts AS integer[])) AS t(w, n)
            WHERE v.word = t.w AND t.n < 0 AND v.frequency + t.n <= 0"""
        ),
        {"words": words, "counts": counts},
    )
    connection.execute(
        text(
            f"""UPDATE {VOCABULARY} AS v SET frequency = v.frequency + t.n
            FROM unnest(CAST(:words AS text[]), CAST(:counts AS integer[])) AS t(w, n)
            WHERE v.word = t.w AND t.n < 0 AND v.frequency + t.n > 0"""
        ),
        {"words": words, "counts": counts},
    )


def _put(connection: Connection, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
    """Upsert and delete documents, keeping the vocabulary's counts in step."""
    keys = [row["key"] for row in upserts] + deletes
    if not keys:
        return
    old = connection.execute(
        text(f"SELECT key, spell FROM {TABLE} WHERE key = ANY(CAST(:keys AS text[])) ORDER BY key FOR UPDATE"),
        {"keys": keys},
    ).all()
    delta: Counter[str] = Counter()
    for _key, spell in old:
        delta.subtract(spell)
    for row in upserts:
        delta.update(row["spell"])
    if deletes:
        connection.execute(text(f"DELETE FROM {TABLE} WHERE key = ANY(CAST(:keys AS text[]))"), {"keys": deletes})
    if upserts:
        connection.execute(_UPSERT, upserts)
    _count_words(connection, delta)


class _Kind(NamedTuple):
    """How one kind of document is found, loaded, judged public and written (outbox's pieces)."""

    name: str  # the change kind: "opportunity", "partner"
    plural: str  # the rebuild's count
    public_ids: Callable[[Session], list[int]]
    load: Callable[[Session, Sequence[int]], list[Any]]
    is_public: Callable[[Any], bool]
    document: Callable[[Any], dict[str, Any]]
    key: Callable[[int], str]


def _kinds() -> tuple[_Kind, ...]:
    from cpspartners.search import outbox  # the loaders and labels; outbox imports the Whoosh writer

    label_table = outbox.labels()
    return (
        _Kind(
            "opportunity",
            "opportunities",
            outbox.public_opportunity_ids,
            outbox.load_opportunities,
            documents.is_public_opportunity,
            lambda record: documents.opportunity_document(record, label_table),
            documents.opportunity_key,
        ),
        _Kind(
            "partner",
            "partners",
            outbox.public_partner_ids,
            outbox.load_partners,
            documents.is_public_partner,
            documents.partner_document,
            documents.partner_key,
        ),
    )


def write_changes(connection: Connection, changes: Iterable[tuple[str, int]]) -> None:
    """Bring the documents of ``changes`` ({(kind, id)}) in line with the database, on
    ``connection``'s transaction: upsert what is public now, delete what is not (or is gone)."""
    session = Session(bind=connection)
    try:
        for kind in _kinds():
            ids = sorted(object_id for name, object_id in changes if name == kind.name)
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                public = [record for record in kind.load(session, chunk) if kind.is_public(record)]
                kept = {record.id for record in public}
                _put(
                    connection,
                    [row_of(kind.document(record)) for record in public],
                    [kind.key(i) for i in chunk if i not in kept],
                )
    finally:
        session.close()


def rebuild(connection: Connection, progress: Callable[[int], object] = lambda n: None, batch: int = 2000) -> dict:
    """Every public document again, in the caller's transaction: readers see the old table until
    it commits, then the whole new one."""
    connection.execute(text(f"DELETE FROM {TABLE}"))
    connection.execute(text(f"DELETE FROM {VOCABULARY}"))
    session = Session(bind=connection)
    counts = {}
    vocabulary: Counter[str] = Counter()
    try:
        for kind in _kinds():
            ids = kind.public_ids(session)
            counts[kind.plural] = 0
            for start in range(0, len(ids), batch):
                rows = [row_of(kind.document(record)) for record in kind.load(session, ids[start : start + batch])]
                if rows:
                    connection.execute(_UPSERT, rows)
                for row in rows:
                    vocabulary.update(row["spell"])
                counts[kind.plural] += len(rows)
                session.expunge_all()
                progress(len(rows))
    finally:
        session.close()
    _count_words(connection, vocabulary)
    mark_built(connection)
    return counts


# A row no query reads (its type is neither "opportunity" nor "partner"), written by a rebuild:
# a table never filled must not pass for "nothing matches" (``PgReader.is_built``).
BUILT_KEY = "built"


def mark_built(connection: Connection) -> None:
    connection.execute(
        text(
            f"INSERT INTO {TABLE} (key, type, object_id, document) VALUES (:key, :key, 0, ''::tsvector) "
            "ON CONFLICT (key) DO NOTHING"
        ),
        {"key": BUILT_KEY},
    )


def vacuum(engine: Any) -> None:
    """VACUUM ANALYZE the tables after a rebuild (outside its transaction, as VACUUM must be): the
    counts then come from the indexes alone, whether or not autovacuum runs (and soon)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {TABLE}"))
        conn.execute(text(f"VACUUM ANALYZE {VOCABULARY}"))


def indexed_keys(connection: Connection) -> set[str]:
    return set(connection.execute(text(f"SELECT key FROM {TABLE} WHERE key <> :built"), {"built": BUILT_KEY}).scalars())


# ------------------------------------------------------------------------------------ reading


class _Where:
    """A WHERE clause built from parts, with its bound parameters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: dict[str, Any] = {}

    def add(self, sql: str, **params: Any) -> "_Where":
        self.parts.append(sql)
        self.params.update(params)
        return self

    def copy(self) -> "_Where":
        other = _Where()
        other.parts, other.params = list(self.parts), dict(self.params)
        return other

    def sql(self) -> str:
        return " AND ".join(self.parts) or "TRUE"


def _either_language(conn: Connection, words: list[str]) -> list[str]:
    """For each word, in order, its tsquery in English OR in Spanish, as "((…) | (…))"; a word
    neither language keeps (a stop word, no letters) is left out."""
    if not words:
        return []
    rows = conn.execute(
        text(
            "SELECT plainto_tsquery('cps_en', w)::text, plainto_tsquery('cps_es', w)::text "
            "FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS t(w, n) ORDER BY n"
        ),
        {"words": words},
    ).all()
    out = []
    for en, es in rows:
        either = [f"({q})" for q in (en, es) if q]
        if either:
            out.append("(" + " | ".join(either) + ")")
    return out


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class PgReader:
    """The reader methods the search facade calls, answered by PostgreSQL (see the module doc)."""

    root = None  # no folder: the index is in the database

    def __init__(self, engine_of: Callable[[], Any]) -> None:
        self._engine_of = engine_of  # the app's engine, looked up when asked (tests swap apps)
        self._parser = make_parser(make_schema())

    def _connect(self) -> Any:
        return self._engine_of().connect()

    def current(self) -> None:
        """Raises when the table is missing (the readiness check asks this)."""
        with self._connect() as conn:
            conn.execute(text(f"SELECT 1 FROM {TABLE} LIMIT 1"))

    def close(self) -> None:
        """Nothing of its own to close: connections come from the app's pool."""

    def has_fields(self, *names: str) -> bool:
        """Every field is a column of the table (made with it: no older layout to fall back from)."""
        return all(name in FILTERS for name in names)

    def is_built(self) -> bool:
        """A rebuild has filled the table (an empty directory included)."""
        with self._connect() as conn:
            found = conn.execute(text(f"SELECT 1 FROM {TABLE} WHERE key = :built"), {"built": BUILT_KEY}).first()
            return found is not None

    def holds_opportunities(self) -> bool:
        with self._connect() as conn:
            return conn.execute(text(f"SELECT 1 FROM {TABLE} WHERE type = 'opportunity' LIMIT 1")).first() is not None

    # --- the reader's words as a tsquery

    def _query(self, conn: Connection, words_text: str) -> tuple[str | None, dict[str, set[str]]]:
        """(tsquery text, terms to highlight) for what the reader typed; (None, {}) when nothing
        searchable is left (only stop words, no letters)."""
        words = plain_words(words_text)
        if words is not None:
            parts = _either_language(conn, words)
            terms: dict[str, set[str]] = {}
            for word in words:
                for fields in TIER_FIELDS:
                    for fieldname in fields:
                        tokens = [token.text for token in FIELD_ANALYZERS[fieldname](word)]
                        if tokens:
                            terms.setdefault(fieldname, set()).update(tokens)
            return (" & ".join(parts) if parts else None), terms
        # Quotes and OR in either language; a "-word" is left out in both (an OR of the two
        # languages' queries would let the other language's reading of the word through).
        negated = [word.strip('"') for word in NEGATED.findall(words_text)]
        positive = NEGATED.sub(" ", words_text)
        found = conn.execute(
            text(
                "SELECT (websearch_to_tsquery('cps_en', :q) || websearch_to_tsquery('cps_es', :q))::text, "
                "numnode(websearch_to_tsquery('cps_en', :q)) + numnode(websearch_to_tsquery('cps_es', :q))"
            ),
            {"q": positive},
        ).one()
        if not found[1]:
            return None, {}
        query = "(" + found[0] + ")"
        for either in _either_language(conn, negated):
            query += " & !" + either
        return query, query_terms(parse(self._parser, positive))

    # --- the search page

    def search(self, request: SearchRequest) -> SearchResult:
        """The page of keys, the total and disjunctive facet counts, as ``IndexReader.search``."""
        with self._connect() as conn:
            tsquery, terms = self._query(conn, request.text) if request.text else (None, {})
            if request.text and tsquery is None:
                return SearchResult([], 0, 1, 1, {name: {} for name in FACETS}, 0, {}, parsed=False)
            base = _Where().add("type = 'opportunity'")
            if tsquery is not None:
                base.add("document @@ CAST(:tsq AS tsquery)", tsq=tsquery)
            still_open = "(deadline = 0 OR deadline >= :today)"
            base.params["today"] = request.today_ordinal
            unknown = set(request.filters) - set(FILTERS)
            if unknown:  # as the Whoosh reader: never answer "nothing matches" for a field it lacks
                raise LookupError("the search table has no field %s" % ", ".join(sorted(unknown)))
            chosen = {name: values for name, values in request.filters.items() if values}
            narrowed = base.copy()
            for name, values in chosen.items():
                narrowed.add(f"f_{name} && CAST(:v_{name} AS text[])", **{f"v_{name}": list(values)})
            final = narrowed.copy()
            if request.open_only:
                final.add(still_open)
            total, open_count, rolling = conn.execute(
                text(
                    f"SELECT count(*), count(*) FILTER (WHERE {still_open}), count(*) FILTER (WHERE deadline = 0) "
                    f"FROM {TABLE} WHERE {narrowed.sql()}"
                ),
                narrowed.params,
            ).one()
            if request.open_only:
                total = open_count
            facets = {}
            for name in FACETS if request.facets else ():
                # Counts for one facet ignore that facet's own choice, so its other values stay offered.
                others = base.copy()
                if request.open_only:
                    others.add(still_open)
                for other, values in chosen.items():
                    if other != name:
                        others.add(f"f_{other} && CAST(:v_{other} AS text[])", **{f"v_{other}": list(values)})
                rows = conn.execute(
                    text(f"SELECT v, count(*) FROM {TABLE}, unnest(f_{name}) AS v WHERE {others.sql()} GROUP BY v"),
                    others.params,
                ).all()
                facets[name] = {value: n for value, n in rows if n}
            pages = max(1, -(-total // request.per_page))
            page = min(max(1, request.page), pages)
            order, order_params = self._order(request, tsquery)
            closed = 0 if request.open_only else total - open_count
            # Every listing still open before any closed one, whatever the sort: the page is cut
            # from consecutive segments, each one query in its own order. By deadline (browsing,
            # the list page) the open ones are two, dated then rolling, so that each query walks
            # the (type, deadline, object_id) index instead of sorting every row.
            if order == BY_DEADLINE:
                segments = [
                    ("deadline >= :today AND deadline <> 0", "deadline, object_id", open_count - rolling),
                    ("deadline = 0", "object_id", rolling),
                    ("deadline < :today AND deadline <> 0", "deadline, object_id", closed),
                ]
            else:
                segments = [(still_open, order, open_count), (f"NOT {still_open}", order, closed)]
            offset, keys = (page - 1) * request.per_page, list[str]()
            for part, part_order, size in segments:
                if len(keys) >= request.per_page:
                    break
                if offset >= size:
                    offset -= size
                    continue
                keys += conn.execute(
                    text(
                        f"SELECT key FROM {TABLE} WHERE {final.sql()} AND {part} "
                        f"ORDER BY {part_order} LIMIT :limit OFFSET :skip"
                    ),
                    {**final.params, **order_params, "limit": request.per_page - len(keys), "skip": offset},
                ).scalars()
                offset = 0
            return SearchResult(
                keys=keys,
                total=total,
                page=page,
                pages=pages,
                facets=facets,
                open_count=open_count,
                terms=terms,
                parsed=tsquery is not None or not request.text,
            )

    def _order(self, request: SearchRequest, tsquery: str | None) -> tuple[str, dict[str, Any]]:
        """ORDER BY terms for the request's sort (after "still open first"), ties by id."""
        by_deadline = BY_DEADLINE
        sort = request.sort
        if sort == "nearest" and not request.near:
            sort = "deadline"
        if sort == "relevance" and tsquery is not None:
            return (
                f"ts_rank(CAST(:weights AS real[]), document, CAST(:tsq AS tsquery)) DESC, {by_deadline}",
                {"weights": RANK_WEIGHTS},
            )
        if sort == "newest":
            return "created DESC, object_id DESC", {}
        if sort == "nearest" and request.near:
            lat0, lon0 = request.near
            # Equirectangular, as the Whoosh reader: enough to order places within a city.
            return (
                "(lat = 0 AND lon = 0), (lat - :lat0) ^ 2 + cos(radians(:lat0)) ^ 2 * (lon - :lon0) ^ 2, object_id",
                {"lat0": lat0, "lon0": lon0},
            )
        return by_deadline, {}

    def opportunity_ids(self, words: list[str], narrow: Iterable[tuple[str, Iterable[str]]] = ()) -> list[int] | None:
        """As ``IndexReader.opportunity_ids``: ids holding every searchable word, narrowed."""
        with self._connect() as conn:
            if not self.holds_opportunities():
                raise LookupError("the search table holds no opportunities")
            tsquery, _terms = self._query(conn, " ".join(words))
            if tsquery is None:
                return None
            where = _Where().add("type = 'opportunity'").add("document @@ CAST(:tsq AS tsquery)", tsq=tsquery)
            for name, values in narrow:
                if name in FILTERS:
                    where.add(f"f_{name} && CAST(:v_{name} AS text[])", **{f"v_{name}": list(values)})
            return list(
                conn.execute(
                    text(f"SELECT object_id FROM {TABLE} WHERE {where.sql()} ORDER BY object_id"), where.params
                )
                .scalars()
                .all()
            )

    def partners(self, words_text: str, limit: int = 5) -> list[str]:
        """Keys of active partners matching ``words_text``, best first."""
        with self._connect() as conn:
            tsquery, _terms = self._query(conn, words_text)
            if tsquery is None:
                return []
            return list(
                conn.execute(
                    text(
                        f"SELECT key FROM {TABLE} WHERE type = 'partner' AND document @@ CAST(:tsq AS tsquery) "
                        "ORDER BY ts_rank(CAST(:weights AS real[]), document, CAST(:tsq AS tsquery)) DESC, object_id "
                        "LIMIT :limit"
                    ),
                    {"tsq": tsquery, "weights": RANK_WEIGHTS, "limit": limit},
                ).scalars()
            )

    def did_you_mean(self, words_text: str) -> str | None:
        """A corrected query when a word is in no document but a near spelling is (two edits at
        most, same first letter, as the Whoosh reader offers); else None."""
        with self._connect() as conn:

            def known(folded: list[str]) -> set[str]:
                return set(
                    conn.execute(
                        text(f"SELECT word FROM {VOCABULARY} WHERE word = ANY(CAST(:words AS text[]))"),
                        {"words": folded},
                    ).scalars()
                )

            def nearest(folded: str) -> str | None:
                candidates = conn.execute(
                    text(
                        f"SELECT word FROM {VOCABULARY} WHERE word % :w AND left(word, 1) = left(:w, 1) "
                        "ORDER BY similarity(word, :w) DESC, frequency DESC, word LIMIT :n"
                    ),
                    {"w": folded, "n": SUGGEST_CANDIDATES},
                ).scalars()
                return next((c for c in candidates if _levenshtein(c, folded) <= 2), None)

            return corrected(words_text, known, nearest)

    def suggest(self, words_text: str, limit: int = 8) -> list[str]:
        """Completions of the last word typed, most common first: for the search box."""
        with self._connect() as conn:

            def complete(prefix: str) -> list[str]:
                return list(
                    conn.execute(
                        text(
                            f"SELECT word FROM {VOCABULARY} WHERE word LIKE :p "
                            "ORDER BY frequency DESC, word LIMIT :limit"
                        ),
                        {"p": like_prefix(prefix), "limit": limit},
                    ).scalars()
                )

            return completions(words_text, complete)
