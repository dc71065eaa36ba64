"""The index's fields: what each holds, which analyzer made its terms, and what it weighs.

Everything that writing and reading must agree on lives here, so it is said once: the schema a
new generation is created with, the facet fields a query counts, the sort orders the columns
allow, which analyzer turned each text field into terms (queries and highlighting must analyse
the reader's words the same way), and the weights ranking gives the text fields. This is the
bottom of the search package: it imports nothing of the index, and every other index module
imports from it.
"""

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema

from cpspartners.search.analysis import EN, ES, FOLD, WordCachedAnalyzer

FACETS = ("kind", "cluster", "band", "area", "modality", "paid", "lang")
# Fields a query may filter on but never counts: the list page's grade and school filters. An
# index built before they existed lacks them (``IndexReader.has_fields``): its readers ask SQL.
FILTER_FIELDS = ("grade", "school")
SORTS = ("relevance", "deadline", "newest", "nearest")

# Query-time weights: a word in a title counts more than in a summary, more than in a description.
FIELD_BOOSTS = {"title": 4.0, "title_es": 4.0, "summary": 2.0, "summary_es": 2.0, "body": 1.0, "body_es": 1.0}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
# Positions (for "quoted phrases") only in titles: they double a field's postings.
NO_POSITIONS = {"summary", "summary_es", "body", "body_es"}

# The plain-words ranking: each typed word scores by the best group of fields it was found in.
TIER_FIELDS = (("title", "title_es"), ("summary", "summary_es"), ("body", "body_es"))
TIER_WEIGHTS = (4, 2, 1)  # the same order as FIELD_BOOSTS: title, then summary, then the rest

# The analyzer each searched field was indexed with, for analysing the reader's words alike.
FIELD_ANALYZERS: dict[str, WordCachedAnalyzer] = {
    "title": EN,
    "summary": EN,
    "body": EN,
    "title_es": ES,
    "summary_es": ES,
    "body_es": ES,
}


def make_schema() -> Schema:
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
        grade=KEYWORD(commas=True),  # every grade of grade_min..grade_max: "6,7,8"
        school=KEYWORD(commas=True),  # the ids of the schools it is offered at; none when citywide
        # Sort keys as plain columns: a NUMERIC field would also index 8-16 range terms per value.
        deadline=COLUMN(NumericColumn("i", default=0)),
        created=COLUMN(NumericColumn("q", default=0)),
        lat=COLUMN(NumericColumn("d", default=0.0)),
        lon=COLUMN(NumericColumn("d", default=0.0)),
    )
