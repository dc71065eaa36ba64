"""The local outbox (/dev/outbox): registered only when ``DEV_OUTBOX`` is on, which the app
refuses outside debug and testing. ``make run`` turns it on and prints its address."""

from flask import Blueprint, render_template

from cpspartners.mail import read_dev_outbox

bp = Blueprint("devmail", __name__, url_prefix="/dev")


@bp.route("/outbox")
def outbox():
    """Open to whoever reaches this development server (127.0.0.1 under ``make run``): it holds
    only the mail of the demo accounts and of whoever tries the site here."""
    return render_template("devmail/outbox.html", messages=list(reversed(read_dev_outbox())))
