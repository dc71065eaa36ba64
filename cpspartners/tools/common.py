"""Small helpers the toolkit's views share."""

from flask import Response, abort

from cpspartners.extensions import db
from cpspartners.toolkit.spreadsheets import to_csv


def csv_download(filename, header, rows):
    """A CSV attachment (BOM, formulas neutralised) that opens in Google Sheets and Excel.

    Built whole inside the request: the rows come from the request's database session, which is
    gone once the view returns, so the text cannot be streamed after it.
    """
    return Response(
        to_csv(header, rows), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=%s" % filename}
    )


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj
