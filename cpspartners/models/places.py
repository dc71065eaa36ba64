"""The city's learning places: library branches, parks, and public computer and training
centres (Connect Chicago), loaded from ``data/`` by ``flask seed places``.

Each row keeps its source and the source's date, so a page can say how old the facts are:
Connect Chicago is a historical directory (about 2013-2016), not a list of what is open today.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of
from cpspartners.taxonomy import PLACE_KINDS, codes

# source code -> (kind, publisher and dataset, date of the copy, historical?)
PLACE_SOURCES = {
    "cpl": ("library", "Chicago Public Library, City of Chicago Data Portal (x8fc-8rcq)", "2026-04-15", False),
    "cpd": ("park", "Chicago Park District, City of Chicago Data Portal (ejsh-fztr)", "2026-04-16", False),
    "connect": (
        "tech_centre",
        "Connect Chicago Locations - Historical, City of Chicago Data Portal",
        "2013-2016",
        True,
    ),
}


class Place(db.Model):
    __tablename__ = "place"

    id = db.Column(db.Integer, primary_key=True)
    source = db.Column(db.String(10), nullable=False)
    source_key = db.Column(db.String(40), nullable=False)  # the id in the source (park number, location id...)
    kind = db.Column(db.String(12), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    organization_type = db.Column(db.String(80), nullable=False, default="")
    address = db.Column(db.String(200), nullable=False, default="")
    zip = db.Column(db.String(5), nullable=False, default="")
    phone = db.Column(db.String(10), nullable=False, default="")
    website = db.Column(db.String(300), nullable=False, default="")
    hours = db.Column(db.String(300), nullable=False, default="")
    latitude = db.Column(db.Float, nullable=False)
    longitude = db.Column(db.Float, nullable=False)
    # None for the two Connect Chicago rows the source puts outside the city.
    community_area_number = db.Column(db.Integer, db.ForeignKey("community_area.number"), index=True)
    description = db.Column(db.Text, nullable=False, default="")
    training_types = db.Column(db.String(300), nullable=False, default="")
    training_description = db.Column(db.Text, nullable=False, default="")
    accessibility = db.Column(db.Text, nullable=False, default="")
    assistive_technology = db.Column(db.String(300), nullable=False, default="")
    facilities = db.Column(db.String(300), nullable=False, default="")  # parks: the clear facility names
    public_computers = db.Column(db.String(60), nullable=False, default="")  # as given: "16 PCs", "25+"

    community_area = db.relationship("CommunityArea")

    __table_args__ = (
        one_of("source", tuple(PLACE_SOURCES), "source"),
        one_of("kind", codes(PLACE_KINDS), "kind"),
        db.UniqueConstraint("source", "source_key", name="uq_place_source_key"),
    )

    @property
    def publisher(self):
        return PLACE_SOURCES[self.source][1]

    @property
    def as_of(self):
        """The date of the copy the row comes from (a range for the historical directory)."""
        return PLACE_SOURCES[self.source][2]

    @property
    def historical(self):
        return PLACE_SOURCES[self.source][3]

    def __repr__(self):
        return f"<Place {self.source}:{self.source_key} {self.name}>"
