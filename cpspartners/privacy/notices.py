"""The breach notice to parents (SOPPA 85/27(a)(5), CPS breach-notification policy), drafted in
English and Spanish from an incident. ``REQUIRED`` lists what every notice must carry; the
template test checks each one appears in both languages."""

from cpspartners.mail import render_message

# Numbers the notice must give (as published by each agency).
AGENCIES = (
    ("Equifax", "1-800-685-1111", "equifax.com"),
    ("Experian", "1-888-397-3742", "experian.com"),
    ("TransUnion", "1-888-909-8872", "transunion.com"),
)
FTC = ("1-877-438-4338", "IdentityTheft.gov")
PRIVACY_OFFICE = ("CPS Office of Student Privacy", "privacy@cps.edu", "773-553-1000")
# Markers the template emits before each required part, so a test can find every one.
REQUIRED = (
    "[date]",
    "[data]",
    "[contact]",
    "[agencies]",
    "[ftc]",
    "[fraud-alert]",
    "[freeze]",
    "[count]",
    "[operator]",
)


def breach_notice(incident, affected_count, language):
    """(subject, body) of the parents' notice for ``incident`` in ``language``."""
    return render_message(
        "privacy_breach_notice",
        language,
        incident=incident,
        count=affected_count,
        agencies=AGENCIES,
        ftc=FTC,
        office=PRIVACY_OFFICE,
    )
