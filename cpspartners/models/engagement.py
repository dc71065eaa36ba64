"""What students and teachers tell us so we can match them, and what they save or dismiss.

Least data, on purpose (students are minors): interests, languages, in person or virtual, and two
needs. No birth date, no address, no phone: a student's school and grade live on ``User``.
Lists are stored as short comma-separated codes, like ``Opportunity.languages``.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

MODALITY_PREFERENCES = ("in_person", "virtual", "either")
# A teacher's grade bands: code -> (lowest, highest) grade, K = 0.
GRADE_BANDS = {"K-2": (0, 2), "3-5": (3, 5), "6-8": (6, 8), "9-12": (9, 12)}


def split_codes(value):
    """``"a, b,,c"`` -> ``["a", "b", "c"]``: the stored comma lists, cleaned."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def join_codes(values):
    return ",".join(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _user_column():
    return db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)


class StudentProfile(db.Model):
    """A student's interests and needs (1:1 with the user)."""

    __tablename__ = "student_profile"

    user_id = _user_column()
    clusters = db.Column(db.String(120), nullable=False, default="")  # career cluster codes
    tags = db.Column(db.String(400), nullable=False, default="")  # interest tags ("welding")
    free_words = db.Column(db.String(200), nullable=False, default="")  # matched through the search index
    languages = db.Column(db.String(60), nullable=False, default="en")
    modality = db.Column(db.String(10), nullable=False, default="either")
    needs_paid = db.Column(db.Boolean, nullable=False, default=False)
    needs_transportation = db.Column(db.Boolean, nullable=False, default=False)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    user = db.relationship("User")

    __table_args__ = (one_of("modality", MODALITY_PREFERENCES, "modality"),)

    @property
    def cluster_codes(self):
        return split_codes(self.clusters)

    @property
    def tag_list(self):
        return [tag.lower() for tag in split_codes(self.tags)]

    @property
    def language_codes(self):
        return split_codes(self.languages) or ["en"]

    def __repr__(self):
        return f"<StudentProfile {self.user_id}>"


class TeacherProfile(db.Model):
    """What a teacher teaches and to which grades (1:1 with the user)."""

    __tablename__ = "teacher_profile"

    user_id = _user_column()
    subjects = db.Column(db.String(300), nullable=False, default="")  # free words, comma-separated
    grade_bands = db.Column(db.String(40), nullable=False, default="")  # codes of GRADE_BANDS
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    user = db.relationship("User")

    @property
    def subject_list(self):
        return split_codes(self.subjects)

    @property
    def band_ranges(self):
        """``[(low, high), ...]`` for the stored band codes; unknown codes are ignored."""
        return [GRADE_BANDS[code] for code in split_codes(self.grade_bands) if code in GRADE_BANDS]

    def __repr__(self):
        return f"<TeacherProfile {self.user_id}>"


def _pair_columns():
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    opportunity_id = db.Column(
        db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    return user_id, opportunity_id, created_at


class Dismissal(db.Model):
    """ "Not interested": never show this opportunity to this user again. One row per pair."""

    __tablename__ = "dismissal"

    user_id, opportunity_id, created_at = _pair_columns()


class SavedOpportunity(db.Model):
    """An opportunity a user saved for later. One row per pair; counts feed popularity."""

    __tablename__ = "saved_opportunity"

    user_id, opportunity_id, created_at = _pair_columns()
