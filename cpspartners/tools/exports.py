"""CSV downloads of the specialists' lists (partners, opportunities, needs verification, audit log)."""

from flask import current_app, request

from cpspartners import policy
from cpspartners.services import exports, upkeep
from cpspartners.specialists.views import audit_filters
from cpspartners.text import small_int
from cpspartners.tools import bp
from cpspartners.tools.common import csv_download


@bp.route("/specialist/partners.csv")
@policy.requires(policy.is_specialist)
def partners_csv():
    return csv_download("partners.csv", *exports.partners_csv())


@bp.route("/specialist/opportunities.csv")
@policy.requires(policy.is_specialist)
def opportunities_csv():
    return csv_download("opportunities.csv", *exports.opportunities_csv())


@bp.route("/specialist/needs-verification.csv")
@policy.requires(policy.is_specialist)
def needs_verification_csv():
    days = small_int(request.args.get("days", ""), 1, 3650) or current_app.config["VERIFY_AFTER_DAYS"]
    return csv_download("needs-verification.csv", *exports.needs_verification_csv(upkeep.needs_verification(days)))


@bp.route("/specialist/audit.csv")
@policy.requires(policy.can_view_audit)
def audit_csv():
    stmt, _selected = audit_filters(request.args)
    return csv_download("audit-log.csv", *exports.audit_csv(stmt))
