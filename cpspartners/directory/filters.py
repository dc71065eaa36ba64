"""Parsing the opportunity-list query string into clean filters, with notes for what was ignored.

Pure functions over a MultiDict-like ``args`` (``getlist``): no request, no database.
A bad value never fails the request; it is dropped and the reader is told why.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from cpspartners.taxonomy import CAREER_CLUSTERS, MODALITIES, OPPORTUNITY_KINDS, STUDENT_GRADES, codes
from cpspartners.text import small_int

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


def _single(args, name, filters):
    values = [v for v in args.getlist(name) if v != ""]
    if len(values) > 1:
        filters.notes.append(_l("Only the first value given for \u201c%(name)s\u201d was used.", name=name))
    return values[0] if values else None


def _choice(args, name, allowed, filters):
    value = _single(args, name, filters)
    if value is None:
        return None
    if value not in allowed:
        filters.notes.append(_l("The %(name)s filter was ignored: that value is not one we know.", name=name))
        return None
    return value


def _integer(args, name, filters, low, high):
    value = _single(args, name, filters)
    if value is None:
        return None
    number = small_int(value, low, high)
    if number is None:
        filters.notes.append(
            _l(
                "The %(name)s filter was ignored: it must be a number from %(low)d to %(high)d.",
                name=name,
                low=low,
                high=high,
            )
        )
    return number


def parse_filters(args, max_page=10_000):
    """Turn the query string into ``Filters``; unknown or malformed values become notes."""
    filters = Filters()
    filters.kind = _choice(args, "kind", codes(OPPORTUNITY_KINDS), filters)
    filters.cluster = _choice(args, "cluster", codes(CAREER_CLUSTERS), filters)
    filters.modality = _choice(args, "modality", codes(MODALITIES), filters)
    filters.grade = _integer(args, "grade", filters, min(STUDENT_GRADES), max(STUDENT_GRADES))
    filters.area = _integer(args, "area", filters, 1, 77)
    filters.school = _integer(args, "school", filters, 1, 10_000_000)
    filters.open_only = _single(args, "open", filters) in ("1", "on", "true", "yes")
    filters.page = parse_page(args, filters, max_page)
    return filters


def parse_page(args, filters, max_page=10_000):
    """A page number from 1 to ``max_page``; anything else is page 1, with a note."""
    value = _single(args, "page", filters)
    if value is None:
        return 1
    number = small_int(value, 1, max_page)
    if number is None:
        filters.notes.append(_l("That page number was not valid, so the first page is shown."))
        return 1
    return number
