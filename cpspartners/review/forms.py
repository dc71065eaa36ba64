"""Forms for the review queue and directory upkeep."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from cpspartners.formtools import PlainText, options, required_date, strip
from cpspartners.taxonomy import VERIFICATION_METHODS, VETTING_KINDS


class CommentForm(FlaskForm):
    comment = TextAreaField(
        _l("Comment for the partner"),
        filters=[strip],
        validators=[
            DataRequired(_l("Tell the partner what to change or why.")),
            Length(max=2000, message=_l("Use at most %(max)d characters.", max=2000)),
            PlainText(),
        ],
    )


class ExemptionForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the exemption"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give the reason for the exemption.")),
            Length(max=300, message=_l("Use at most %(max)d characters.", max=300)),
            PlainText(),
        ],
        description=_l("For district-run programmes only. It is shown here and kept in the audit log."),
    )


class VerifyForm(FlaskForm):
    method = SelectField(_l("How you checked"), choices=options(VERIFICATION_METHODS))
    note = TextAreaField(
        _l("Note"),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=_l("Use at most %(max)d characters.", max=2000)), PlainText()],
    )


class MergeForm(FlaskForm):
    duplicate_id = IntegerField(
        _l("Number of the duplicate partner"),
        validators=[
            InputRequired(_l("Enter the number of the duplicate partner.")),
            NumberRange(1, 2_000_000_000, _l("Enter the number shown on the duplicate partner's page.")),
        ],
        description=_l("Its opportunities, records and staff move here, and the duplicate is archived."),
    )


class VettingForm(FlaskForm):
    kind = SelectField(_l("Kind of record"), choices=options(VETTING_KINDS))
    subject = StringField(
        _l("Who or what it covers"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=_l("Use at most %(max)d characters.", max=200)), PlainText()],
    )
    issued_on = required_date(_l("Issued on"))
    expires_on = required_date(_l("Expires on"))
    note = TextAreaField(
        _l("Note"),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=_l("Use at most %(max)d characters.", max=2000)), PlainText()],
    )

    def values(self):
        return {
            "kind": self.kind.data,
            "subject": self.subject.data or "",
            "issued_on": self.issued_on.data,
            "expires_on": self.expires_on.data,
            "note": self.note.data or "",
        }
