"""The equity dashboard: a map, a sortable table, charts, and the same figures as CSV."""

import json
import os
from functools import lru_cache

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from cpspartners import policy
from cpspartners.equity import figures
from cpspartners.formats.charts import bar_chart, column_chart
from cpspartners.formats.spreadsheets import to_csv
from cpspartners.formats.svgmap import choropleth, shapes_from_geojson
from cpspartners.taxonomy import OPPORTUNITY_KINDS

bp = Blueprint("equity", __name__, url_prefix="/equity")


@lru_cache(maxsize=2)
def area_shapes(data_dir):
    with open(os.path.join(data_dir, "community_areas.geojson"), encoding="utf-8") as handle:
        return shapes_from_geojson(json.load(handle))


def per_100_text(value):
    return _("no students") if value is None else format_decimal(value, "0.0")


@bp.route("")
@policy.requires(policy.is_specialist)
def dashboard():
    sort = request.args.get("sort", "per_100")
    if sort not in figures.SORTS:
        sort = "per_100"
    rows = figures.area_rows()
    svg = choropleth(
        area_shapes(current_app.config["DATA_DIR"]),
        {row.number: row.per_100_students for row in rows},
        title=_("Opportunities per 100 students, by community area"),
        description=_(
            "Darker areas have more in-person opportunities per 100 CPS students. The table below has every figure."
        ),
        value_text=per_100_text,
        legend_title=_("Opportunities per 100 students"),
    )
    kinds = figures.listings_by_kind()
    by_kind = bar_chart(
        _("Listings by kind"),
        _("Published listings of each kind."),
        [(str(label), kinds.get(code, 0)) for code, label in OPPORTUNITY_KINDS],
    )
    months = figures.listings_by_month()
    by_month = column_chart(
        _("New listings by month"),
        _("Published listings added in each of the last 12 months."),
        [("%02d/%02d" % (month, year % 100), value) for (year, month), value in months],
    )
    return render_template(
        "equity/equity.html",
        rows=figures.sorted_rows(rows, sort),
        sort=sort,
        svg=svg,
        by_kind=by_kind,
        by_month=by_month,
        kinds=kinds,
        months=months,
    )


@bp.route("/export.csv")
@policy.requires(policy.is_specialist)
def export_csv():
    rows = figures.area_rows()
    header = [
        "community_area_number",
        "community_area",
        "students",
        "schools",
        "opportunities",
        "opportunities_per_100_students",
        "hardship_index_acs_2008_2012",
        "per_capita_income",
    ]
    body = [
        [
            r.number,
            r.name,
            r.students,
            r.schools,
            r.opportunities,
            r.per_100_students,
            r.hardship_index,
            r.per_capita_income,
        ]
        for r in rows
    ]
    return Response(
        to_csv(header, body),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=equity-by-community-area.csv"},
    )
