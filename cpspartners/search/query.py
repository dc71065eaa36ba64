"""What the reader typed, as something the index can match: plain words or a parsed query.

Two paths, because they differ a hundredfold in cost (docs/benchmarks.md): plain words (no
quotes, brackets or operators) are matched from cached term bitsets by the reader; anything
else goes through Whoosh's parser, restricted to words, quoted phrases, AND/OR/NOT and
parentheses. ``Match`` is what either path hands to ranking. Imports only the schema.
"""

from dataclasses import dataclass

from whoosh.fields import Schema
from whoosh.qparser import AndGroup, MultifieldParser, QueryParser, plugins
from whoosh.query import And, Every, NullQuery, Phrase, Query, Term

from cpspartners.search.schema import FIELD_BOOSTS, NO_POSITIONS, SEARCH_FIELDS

MAX_QUERY_CHARS = 200
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
MAX_FAST_WORDS = 5

# One typed word's documents: (title bitset, summary-only bitset, body-only bitset).
Tiers = tuple[int, int, int]


@dataclass
class Match:
    docs: int  # bitset of every matching document (opportunities and partners)
    tiers: list[Tiers] | None  # per word; None for parsed queries
    query: Query | None  # the Whoosh query for the parsed path
    terms: dict[str, set[str]]  # field -> analysed words, for highlighting


def make_parser(schema: Schema) -> QueryParser:
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


def _no_phrases_without_positions(q: Query) -> Query:
    # A phrase needs positions, which only titles keep: elsewhere its words are required instead.
    if isinstance(q, Phrase) and q.fieldname in NO_POSITIONS:
        return And([Term(q.fieldname, word) for word in q.words])
    return q.apply(_no_phrases_without_positions)


def parse(parser: QueryParser, text: str) -> Query | None:
    """A Whoosh query for the reader's text, or None when nothing searchable is left."""
    q = parser.parse(text)
    q = _no_phrases_without_positions(q).normalize()
    if q is None or q is NullQuery or isinstance(q, (Every, type(NullQuery))):
        return None
    return q


def query_terms(q: Query | None) -> dict[str, set[str]]:
    """{field: set of analysed words} in the query, for highlighting."""
    found: dict[str, set[str]] = {}
    if q is None:
        return found
    for fieldname, text in q.iter_all_terms(phrases=True):
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        found.setdefault(fieldname, set()).add(text)
    return found


def plain_words(text: str) -> list[str] | None:
    """The words of ``text`` when it is plain words (no quotes, brackets or operators); else None."""
    if any(ch in text for ch in '"()[]{}:^*?~+-\\'):
        return None
    words = text.split()
    if not words or len(words) > MAX_FAST_WORDS or any(word in OPERATORS for word in words):
        return None
    return words
