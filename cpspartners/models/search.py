"""The search outbox: index changes owed, written in the same transaction as the change."""

from sqlalchemy import DDL, event

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow


class IndexOutbox(db.Model):
    """One index change owed: upsert or delete one opportunity or partner document.

    Rows are written before the commit that causes them, so a saved change always has its
    index entry owed. ``applied_at`` stays NULL until the index has taken it: a NULL row
    older than a request is a row to repair, and the next ``apply_outbox()`` picks it up.
    """

    __tablename__ = "index_outbox"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(12), nullable=False)  # "opportunity" or "partner"
    object_id = db.Column(db.Integer, nullable=False)
    action = db.Column(db.String(8), nullable=False, default="upsert")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    applied_at = db.Column(db.DateTime(timezone=True), index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(300), nullable=False, default="")

    __table_args__ = (
        one_of("kind", ("opportunity", "partner"), "kind"),
        one_of("action", ("upsert", "delete"), "action"),
    )

    def __repr__(self):
        return f"<IndexOutbox {self.id} {self.kind} {self.object_id} {self.action}>"


class DirectoryVersion(db.Model):
    """One row, one number: bumped in the transaction of every change that an anonymous page could
    show (``cpspartners/pagecache.py``), so a page kept under an older number is never served again.
    The row is made with the table (the migration, or ``create_all`` through the listener below)."""

    __tablename__ = "directory_version"

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.BigInteger, nullable=False, default=0)


event.listen(
    DirectoryVersion.__table__,
    "after_create",
    DDL("INSERT INTO directory_version (id, number) VALUES (1, 0)"),
)
