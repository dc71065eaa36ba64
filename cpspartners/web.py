"""Small helpers every feature's views share: CSV downloads, paging, calling a service."""

from flask import Response, current_app, flash, request
from flask_babel import gettext as _

from cpspartners import querystring
from cpspartners.formats.spreadsheets import to_csv
from cpspartners.services.errors import NotAllowed, NotFound, ServiceError


def csv_download(filename, header, rows):
    """A CSV attachment (BOM, formulas neutralised) that opens in Google Sheets and Excel.

    Built whole inside the request: the rows come from the request's database session, which is
    gone once the view returns, so the text cannot be streamed after it.
    """
    return Response(
        to_csv(header, rows), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=%s" % filename}
    )


def page_number():
    """The request's page number (1 when it is not a valid one); list pages show no note for it."""
    return querystring.page(request.args, [], current_app.config["MAX_PAGE"])


def run(action, *args, success="", handled=(), **kwargs):
    """Call a service. A refusal the person can act on is flashed (the page says why) and None
    returned; NotAllowed and NotFound go on to the app's error handler (a 403 or 404 page), and
    the errors in ``handled`` to the caller, which shows them beside its form.
    Returns the service's result, or True when it returned nothing."""
    try:
        result = action(*args, **kwargs)
    except (NotAllowed, NotFound, *handled):
        raise
    except ServiceError as error:
        flash(str(error), "error")
        return None
    if success:
        flash(success, "success")
    return result if result is not None else True


def form_errors_flash(form):
    """When a small action form fails, say what was wrong (the action page redirects back)."""
    for name, errors in form.errors.items():
        if name == "csrf_token":
            flash(_("The form expired. Please submit it again."), "error")
        else:
            flash("%s: %s" % (form[name].label.text, " ".join(str(e) for e in errors)), "error")
