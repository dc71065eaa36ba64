"""The records ranking works on: who is looking (:class:`Seeker`), what is offered
(:class:`Offer`), and what comes out (:class:`Recommendation`). Frozen, so one offer list can be
indexed once and shared by every request.

No sponsorship, advertising or payment field exists on :class:`Offer`, and none may ever
influence ranking: students are minors and the order must be about what suits them. ``paid``
means the *student* is paid (a stipend), which is a need some students have.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeAlias

STUDENT, TEACHER = "student", "teacher"
IN_PERSON, VIRTUAL, HYBRID, EITHER = "in_person", "virtual", "hybrid", "either"
OFFER_MODALITIES = (IN_PERSON, VIRTUAL, HYBRID)
PREFERENCES = (IN_PERSON, VIRTUAL, EITHER)

# A reason: a code and its parameters, e.g. ("interest", {"interest": "robotics"}).
Reason: TypeAlias = tuple[str, dict[str, Any]]


def _frozen(values: Iterable[Any] | None) -> frozenset[Any]:
    return frozenset(values or ())


@dataclass(frozen=True)
class Seeker:
    """Who is looking: a student (grade) or a teacher (grade bands), with school and interests."""

    kind: str = STUDENT
    school_id: int | None = None
    school_name: str = ""
    lat: float | None = None
    lon: float | None = None
    community_area: int | None = None
    grade: int | None = None
    grade_bands: tuple = ()  # teachers: ((low, high), ...); empty means every grade
    clusters: frozenset = frozenset()
    tags: frozenset = frozenset()
    words: tuple = ()  # free words; matched by the search index into ``text_scores``
    languages: frozenset = frozenset({"en"})
    modality: str = EITHER
    needs_paid: bool = False
    needs_transportation: bool = False
    dismissed: frozenset = frozenset()  # offer ids never to show again
    dismissed_partners: frozenset = frozenset()  # "dismissed similar": same partner moves down
    dismissed_kinds: frozenset = frozenset()  # (kind, cluster) pairs that move down

    def __post_init__(self) -> None:
        if self.kind not in (STUDENT, TEACHER):
            raise ValueError("kind must be student or teacher")
        if self.modality not in PREFERENCES:
            raise ValueError("modality must be one of %s" % ", ".join(PREFERENCES))
        if self.kind == STUDENT and self.grade is None:
            raise ValueError("a student needs a grade")
        for name in ("clusters", "tags", "languages", "dismissed", "dismissed_partners", "dismissed_kinds"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "tags", frozenset(t.strip().lower() for t in self.tags if t.strip()))
        object.__setattr__(self, "grade_bands", tuple(tuple(band) for band in self.grade_bands))
        object.__setattr__(self, "words", tuple(self.words))

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Offer:
    """One opportunity, reduced to what ranking needs. ``schools`` empty means citywide."""

    id: int
    partner_id: int
    kind: str
    clusters: frozenset = frozenset()
    tags: frozenset = frozenset()
    grade_min: int = 6
    grade_max: int = 12
    schools: frozenset = frozenset()
    community_area: int | None = None
    lat: float | None = None  # None for virtual offers
    lon: float | None = None
    modality: str = IN_PERSON
    deadline: date | None = None
    seats_left: int | None = None  # None = unlimited
    published: bool = True
    paid: bool = False
    transportation: bool = False
    languages: frozenset = frozenset({"en"})
    popularity: int = 0
    created: date | None = None
    audience: str = "students"  # students | classrooms | families

    def __post_init__(self) -> None:
        if self.modality not in OFFER_MODALITIES:
            raise ValueError("modality must be one of %s" % ", ".join(OFFER_MODALITIES))
        for name in ("clusters", "schools", "languages"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "tags", frozenset(t.strip().lower() for t in (self.tags or ()) if t.strip()))

    @property
    def located(self) -> bool:
        return self.modality != VIRTUAL and self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Recommendation:
    """An offer id, its score and the reasons behind it: ``(code, {parameters})`` pairs."""

    offer_id: int
    score: float
    reasons: tuple = field(default=())
