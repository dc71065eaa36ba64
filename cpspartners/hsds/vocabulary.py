"""The site's vocabulary as HSDS taxonomies: opportunity kinds, the 2024 career clusters, grade
bands and audiences (``cpspartners.taxonomy``), each term with its English and Spanish label.

Which listings a term covers is ``term_clause``: the same columns the directory filters read.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import ColumnElement, and_, exists, select, true

from cpspartners.hsds import ids
from cpspartners.models import Opportunity, OpportunityCluster
from cpspartners.search.documents import GRADE_BANDS
from cpspartners.taxonomy import AUDIENCES, CAREER_CLUSTERS, OPPORTUNITY_KINDS

CLUSTERS_URI = "https://careertech.org/career-clusters/"


@dataclass(frozen=True)
class Term:
    taxonomy: str
    code: str
    label: object  # a lazy string: rendered in the chosen language

    @property
    def id(self) -> str:
        return ids.make("taxonomy_term", "%s:%s" % (self.taxonomy, self.code))


@dataclass(frozen=True)
class Taxonomy:
    name: str
    description: str
    terms: tuple[Term, ...]
    uri: str = ""
    version: str = ""

    @property
    def id(self) -> str:
        return ids.make("taxonomy", self.name)


def _terms(taxonomy: str, pairs) -> tuple[Term, ...]:
    return tuple(Term(taxonomy, entry[0], entry[-1]) for entry in pairs)


def _band_label(low: int, high: int) -> str:
    return "K-%d" % high if low == 0 else "%d-%d" % (low, high)


TAXONOMIES = (
    Taxonomy(
        "cpspartners_opportunity_kind",
        "The kinds of opportunity partners list: internships, job shadows, workshops, field trips...",
        _terms("cpspartners_opportunity_kind", OPPORTUNITY_KINDS),
    ),
    Taxonomy(
        "career_clusters_2024",
        "The 14 clusters of Advance CTE's 2024 National Career Clusters Framework, by cluster code.",
        _terms("career_clusters_2024", CAREER_CLUSTERS),
        uri=CLUSTERS_URI,
        version="2024",
    ),
    Taxonomy(
        "cpspartners_grade_band",
        "Grade bands: a listing is in each band its grade range overlaps.",
        tuple(Term("cpspartners_grade_band", name, _band_label(low, high)) for name, low, high in GRADE_BANDS),
    ),
    Taxonomy(
        "cpspartners_audience",
        "Who a listing is for: students, classrooms and teachers, or families.",
        _terms("cpspartners_audience", AUDIENCES),
    ),
)
TAXONOMY_BY_ID = {taxonomy.id: taxonomy for taxonomy in TAXONOMIES}
TERM_BY_ID = {term.id: term for taxonomy in TAXONOMIES for term in taxonomy.terms}
TAXONOMY_BY_NAME = {taxonomy.name: taxonomy for taxonomy in TAXONOMIES}
BANDS = {name: (low, high) for name, low, high in GRADE_BANDS}


def term(taxonomy: str, code: str) -> Term:
    return Term(taxonomy, code, next(t.label for t in TAXONOMY_BY_NAME[taxonomy].terms if t.code == code))


def listing_terms(opp: Opportunity) -> list[Term]:
    """The terms a loaded listing carries, in taxonomy order."""
    found = [term("cpspartners_opportunity_kind", opp.kind)]
    found += [term("career_clusters_2024", code) for code in opp.clusters]
    found += [
        term("cpspartners_grade_band", name)
        for name, (low, high) in BANDS.items()
        if opp.grade_min <= high and opp.grade_max >= low
    ]
    found.append(term("cpspartners_audience", opp.audience))
    return found


def _cluster(code: str) -> ColumnElement[bool]:
    return exists(
        select(OpportunityCluster.opportunity_id).where(
            OpportunityCluster.opportunity_id == Opportunity.id, OpportunityCluster.cluster == code
        )
    )


def _band(code: str) -> ColumnElement[bool]:
    low, high = BANDS[code]
    return and_(Opportunity.grade_min <= high, Opportunity.grade_max >= low)


CLAUSES: dict[str, Callable[[str], ColumnElement[bool]]] = {
    "cpspartners_opportunity_kind": lambda code: Opportunity.kind == code,
    "career_clusters_2024": _cluster,
    "cpspartners_grade_band": _band,
    "cpspartners_audience": lambda code: Opportunity.audience == code,
}


def term_clause(found: Term) -> ColumnElement[bool]:
    """The listings that carry ``found``."""
    return CLAUSES[found.taxonomy](found.code)


def taxonomy_clause(taxonomy: Taxonomy) -> ColumnElement[bool]:
    """The listings that carry any term of ``taxonomy``."""
    if taxonomy.name == "career_clusters_2024":
        return exists(
            select(OpportunityCluster.opportunity_id).where(OpportunityCluster.opportunity_id == Opportunity.id)
        )
    return true()  # every listing has a kind, an audience and a grade range


def label(found: Term, locale: str) -> str:
    with force_locale(locale):
        return str(found.label)
