"""The specialists' toolkit on the web: import, export, newsletters, seat pools, outcomes,
feedback and personal calendars. Views are thin; the services do the work."""

from flask import Blueprint

bp = Blueprint("tools", __name__)

from cpspartners.tools import (
    calendar_views,
    exports,
    feedback_views,
    imports_views,
    newsletter_views,
    outcome_views,
    pool_views,
)
