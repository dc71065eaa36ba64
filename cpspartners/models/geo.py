"""Places: Chicago's 77 community areas and CPS schools (real data, see data/PROVENANCE.md)."""

from cpspartners.extensions import db
from cpspartners.models._base import one_of


class CommunityArea(db.Model):
    __tablename__ = "community_area"

    number = db.Column(db.Integer, primary_key=True, autoincrement=False)
    name = db.Column(db.String(80), nullable=False, unique=True)
    centroid_lat = db.Column(db.Float, nullable=False)
    centroid_lon = db.Column(db.Float, nullable=False)
    land_area_sq_mi = db.Column(db.Float)
    hardship_index = db.Column(db.Integer)
    per_capita_income = db.Column(db.Integer)
    percent_below_poverty = db.Column(db.Float)

    schools = db.relationship("School", back_populates="community_area", order_by="School.long_name")

    __table_args__ = (db.CheckConstraint("number BETWEEN 1 AND 77", name="number_range"),)

    def __repr__(self):
        return f"<CommunityArea {self.number} {self.name}>"


class School(db.Model):
    __tablename__ = "school"

    id = db.Column(db.Integer, primary_key=True, autoincrement=False)  # the CPS school id
    short_name = db.Column(db.String(120), nullable=False)
    long_name = db.Column(db.String(200), nullable=False, index=True)
    category = db.Column(db.String(2), nullable=False)
    grades_offered = db.Column(db.String(40), nullable=False, default="")
    lowest_grade = db.Column(db.Integer)  # PK = -1, K = 0
    highest_grade = db.Column(db.Integer)
    address = db.Column(db.String(200), nullable=False, default="")
    zip = db.Column(db.String(5), nullable=False, default="")
    phone = db.Column(db.String(10), nullable=False, default="")
    website = db.Column(db.String(300), nullable=False, default="")
    latitude = db.Column(db.Float, nullable=False)
    longitude = db.Column(db.Float, nullable=False)
    network = db.Column(db.String(40), nullable=False, default="")
    community_area_number = db.Column(db.Integer, db.ForeignKey("community_area.number"), nullable=False, index=True)
    student_count = db.Column(db.Integer, nullable=False, default=0)
    summary = db.Column(db.Text, nullable=False, default="")

    community_area = db.relationship("CommunityArea", back_populates="schools")

    __table_args__ = (
        one_of("category", ("ES", "MS", "HS"), "category"),
        db.CheckConstraint("student_count >= 0", name="student_count_positive"),
    )

    @property
    def name(self):
        return self.long_name

    def __repr__(self):
        return f"<School {self.id} {self.short_name}>"
