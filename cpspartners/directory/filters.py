"""Parsing the opportunity-list query string into clean filters, with notes for what was ignored.

Pure functions over a MultiDict-like ``args`` (``getlist``): no request, no database. Values
are read by ``cpspartners.querystring``: a bad one is dropped and the reader is told why.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from cpspartners import querystring
from cpspartners.taxonomy import CAREER_CLUSTERS, MODALITIES, OPPORTUNITY_KINDS, STUDENT_GRADES, codes

FILTER_NAMES = ("kind", "cluster", "grade", "area", "school", "modality", "open", "page")


@dataclass
class Filters:
    kind: str = None
    cluster: str = None
    grade: int = None
    area: int = None
    school: int = None
    modality: str = None
    open_only: bool = False
    page: int = 1
    notes: list = field(default_factory=list)

    def active(self):
        """The filters in use, as query-string pairs (page left out) for links and pagination."""
        pairs = {
            "kind": self.kind,
            "cluster": self.cluster,
            "grade": self.grade,
            "area": self.area,
            "school": self.school,
            "modality": self.modality,
            "open": "1" if self.open_only else None,
        }
        return {key: value for key, value in pairs.items() if value is not None}


def _choice(args, name, allowed, filters):
    ignored = _l("The %(name)s filter was ignored: that value is not one we know.", name=name)
    return querystring.choice(args, name, allowed, filters.notes, ignored)


def _integer(args, name, filters, low, high):
    ignored = _l(
        "The %(name)s filter was ignored: it must be a number from %(low)d to %(high)d.", name=name, low=low, high=high
    )
    return querystring.number(args, name, low, high, filters.notes, ignored)


def parse_filters(args, max_page=10_000):
    """Turn the query string into ``Filters``; unknown or malformed values become notes."""
    filters = Filters()
    filters.kind = _choice(args, "kind", codes(OPPORTUNITY_KINDS), filters)
    filters.cluster = _choice(args, "cluster", codes(CAREER_CLUSTERS), filters)
    filters.modality = _choice(args, "modality", codes(MODALITIES), filters)
    filters.grade = _integer(args, "grade", filters, min(STUDENT_GRADES), max(STUDENT_GRADES))
    filters.area = _integer(args, "area", filters, 1, 77)
    filters.school = _integer(args, "school", filters, 1, 10_000_000)
    filters.open_only = querystring.flag(args, "open", filters.notes)
    filters.page = querystring.page(args, filters.notes, max_page)
    return filters
