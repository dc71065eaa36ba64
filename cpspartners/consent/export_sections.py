"""The disclosure log in a family's copy of the student's records (FERPA 99.32, SOPPA S6)."""

from flask_babel import lazy_gettext as _l

from cpspartners.privacy.export import Section, register_section
from cpspartners.services.consent import disclosures_for_student


@register_section
def disclosure_log(student):
    rows = disclosures_for_student(student)
    return Section(
        key="disclosure_log",
        title=_l("Who saw the student's applications"),
        rows=rows,
        note=_l(
            "Each time a partner's staff opened, listed or downloaded an application, under the consent on record."
        ),
    )
