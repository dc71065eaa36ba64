"""Words for reasons. Marked with N_ so `make messages` extracts them; the web layer passes
its gettext as ``translate`` so they come out in the reader's language."""

from collections.abc import Callable
from typing import Any

from cpspartners.recommendations.records import Reason


def N_(text: str) -> str:
    """Mark ``text`` for extraction without translating it here."""
    return text


REASON_MESSAGES = {
    "at_your_school": N_("Offered at your school"),
    "interest": N_("Matches your interest in %(interest)s"),
    "cluster": N_("In a career area you chose: %(cluster)s"),
    "text_match": N_("Matches the words in your profile"),
    "distance": N_("%(miles)s miles from %(school)s"),
    "in_your_area": N_("In your community area"),
    "grade": N_("Made for your grade"),
    "for_classes": N_("Made for classrooms"),
    "language": N_("Offered in %(language)s"),
    "virtual": N_("Virtual: join from anywhere"),
    "paid": N_("Paid"),
    "transportation": N_("Transportation provided"),
    "closing_soon": N_("Deadline soon"),
    "new": N_("New"),
    "popular": N_("Popular with students"),
}


def reason_text(
    reason: Reason, translate: Callable[..., str], describe: Callable[[str, Any], Any] | None = None
) -> str:
    """One reason in words. ``translate(message, **params)`` is gettext-like; ``describe(name,
    value)`` may turn codes (a cluster, a language) into names, which are the codes otherwise."""
    code, params = reason
    message = REASON_MESSAGES.get(code)
    if message is None:
        raise KeyError("unknown reason %r" % code)
    shown = {}
    for name, value in params.items():
        if describe is not None:
            value = describe(name, value)
        if isinstance(value, float):
            value = "%.1f" % value
        shown[name] = value
    return translate(message, **shown)
