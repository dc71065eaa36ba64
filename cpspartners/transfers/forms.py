"""cpspartners.transfers.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    HiddenField,
    SelectField,
)

from cpspartners.formtools import (
    options,
)

IMPORT_KINDS = (("partners", _l("Partners")), ("opportunities", _l("Opportunities")))


class ImportForm(FlaskForm):
    what = SelectField(_l("What the file holds"), choices=options(IMPORT_KINDS))
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Upload a .csv file (in Google Sheets: File > Download > CSV).")),
        ],
        description=_l("UTF-8 CSV with a header row, at most 100 MB (about 100,000 rows)."),
    )


class ImportCommitForm(FlaskForm):
    what = HiddenField()
    token = HiddenField()
    filename = HiddenField()
