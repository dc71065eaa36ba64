"""What the pager macro (templates/macros/ui.html) reads, for page objects that are not a
Flask-SQLAlchemy pagination (search results, in-memory report rows)."""


class PagerMixin:
    """Needs ``page`` and ``pages`` attributes; gives the rest the pager asks for."""

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1
