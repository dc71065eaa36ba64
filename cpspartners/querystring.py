"""Reading a query string: one value, a choice from a set, a whole number in a range, a page.

Nothing a reader puts in an address fails the request: a value we cannot use is dropped, and
a note says what was ignored. Pure functions over a MultiDict-like ``args`` (``getlist``);
each appends its notes (lazy strings, shown on the page) to the ``notes`` list it is given.
An empty value (``?kind=``, what a form's "any" option sends) counts as not given.
"""

from flask_babel import lazy_gettext as _l

from cpspartners.text import small_int

YES = ("1", "on", "true", "yes")
MAX_VALUES = 20  # values of one repeated name looked at: more than any facet has


def one(args, name, notes):
    """The first non-empty value of ``name``, or None; a note when several were given."""
    values = [value for value in args.getlist(name) if value != ""]
    if len(values) > 1:
        notes.append(_l("Only the first value given for \u201c%(name)s\u201d was used.", name=name))
    return values[0] if values else None


def choice(args, name, allowed, notes, ignored):
    """``one`` value of ``name`` if it is in ``allowed``; otherwise None, and ``ignored`` noted."""
    value = one(args, name, notes)
    if value is not None and value not in allowed:
        notes.append(ignored)
        return None
    return value


def choices(args, name, allowed, notes, ignored):
    """The distinct values of ``name`` that are in ``allowed``, in the order given (at most the
    first ``MAX_VALUES`` looked at); ``ignored`` noted once when any value was dropped."""
    values = [value for value in dict.fromkeys(args.getlist(name)) if value != ""][:MAX_VALUES]
    good = [value for value in values if value in allowed]
    if len(good) < len(values):
        notes.append(ignored)
    return good


def number(args, name, low, high, notes, ignored):
    """``one`` value of ``name`` as an int from ``low`` to ``high``; otherwise None, and
    ``ignored`` noted. Only plain ASCII digits count (see ``text.small_int``)."""
    value = one(args, name, notes)
    if value is None:
        return None
    result = small_int(value, low, high)
    if result is None:
        notes.append(ignored)
    return result


def flag(args, name, notes):
    """True when ``name`` is one of ``YES`` (what a ticked checkbox or a link sends)."""
    return one(args, name, notes) in YES


def page(args, notes, max_page=10_000):
    """The ``page`` number from 1 to ``max_page``; anything else is page 1, with a note."""
    ignored = _l("That page number was not valid, so the first page is shown.")
    return number(args, "page", 1, max_page, notes, ignored) or 1
