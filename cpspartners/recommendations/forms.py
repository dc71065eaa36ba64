"""Profile forms: least data, every list a fixed vocabulary except a few free words."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from cpspartners.formtools import PlainText, options
from cpspartners.models.engagement import GRADE_BANDS
from cpspartners.taxonomy import CAREER_CLUSTERS, INTEREST_TAG_LABELS, LANGUAGES


class CheckboxList(SelectMultipleField):
    """A group of checkboxes (rendered in a fieldset by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StudentProfileForm(FlaskForm):
    clusters = CheckboxList(_l("Career areas you like"), choices=options(CAREER_CLUSTERS))
    tags = CheckboxList(_l("Interests"), choices=options(INTEREST_TAG_LABELS))
    free_words = StringField(
        _l("Anything else you are into? A few words"),
        validators=[Optional(), Length(max=200), PlainText()],
        description=_l("For example: drones, poetry, sneakers. We match them against listings."),
    )
    languages = CheckboxList(_l("Languages you are comfortable in"), choices=options(LANGUAGES))
    modality = RadioField(
        _l("How would you like to take part?"),
        default="either",
        choices=options(
            [("either", _l("In person or virtual")), ("in_person", _l("In person")), ("virtual", _l("Virtual"))]
        ),
    )
    needs_paid = BooleanField(_l("I am looking for paid opportunities"))
    needs_transportation = BooleanField(_l("I need help with transportation"))


class TeacherProfileForm(FlaskForm):
    subjects = StringField(
        _l("Subjects you teach (separate with commas)"),
        validators=[Optional(), Length(max=300), PlainText()],
        description=_l("For example: biology, algebra, civics."),
    )
    grade_bands = CheckboxList(_l("Grades you teach"), choices=options([(code, code) for code in GRADE_BANDS]))
