"""The equity dashboard: a map, a sortable table, charts, and the same figures as CSV.

Both read the read replica when one is set (``replica.reads``): the figures are counts over the
whole directory, where seconds of lag change nothing a reader can see."""

import json
import os
from functools import lru_cache

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from cpspartners import policy, replica
from cpspartners.equity import figures
from cpspartners.formats.charts import bar_chart, column_chart
from cpspartners.formats.svgmap import choropleth, shapes_from_geojson
from cpspartners.taxonomy import OPPORTUNITY_KINDS, PLACE_KINDS, codes
from cpspartners.web import csv_download

bp = Blueprint("equity", __name__, url_prefix="/equity")


@lru_cache(maxsize=2)
def area_shapes(data_dir):
    """The community areas' outlines from the data folder, read once per process."""
    with open(os.path.join(data_dir, "community_areas.geojson"), encoding="utf-8") as handle:
        return shapes_from_geojson(json.load(handle))


def per_100_text(value):
    """A map tooltip's figure: one decimal in the reader's locale, or "no students"."""
    return _("no students") if value is None else format_decimal(value, "0.0")


LAYER_KINDS = codes(PLACE_KINDS)
DEFAULT_LAYERS = ("library", "tech_centre")


def chosen_layers(args):
    """The place layers asked for (``layer=library&layer=park``); the default when the form was
    not sent, none when it was sent with every box cleared (``layers=1`` marks it sent)."""
    if "layers" not in args:
        return list(DEFAULT_LAYERS)
    return [kind for kind in LAYER_KINDS if kind in args.getlist("layer")]


def area_map(rows, points=()):
    """The choropleth of opportunities per 100 students, one shape per community area."""
    return choropleth(
        area_shapes(current_app.config["DATA_DIR"]),
        {row.number: row.per_100_students for row in rows},
        title=_("Opportunities per 100 students, by community area"),
        description=_(
            "Darker areas have more in-person opportunities per 100 CPS students. The table below has every figure."
        ),
        value_text=per_100_text,
        legend_title=_("Opportunities per 100 students"),
        points=points,
    )


def kind_chart(kinds):
    """Bars of published listings per kind, every kind shown (zero when none)."""
    return bar_chart(
        _("Listings by kind"),
        _("Published listings of each kind."),
        [(str(label), kinds.get(code, 0)) for code, label in OPPORTUNITY_KINDS],
    )


def month_chart(months):
    """Columns of new listings per month, labelled MM/YY."""
    return column_chart(
        _("New listings by month"),
        _("Published listings added in each of the last 12 months."),
        [("%02d/%02d" % (month, year % 100), value) for (year, month), value in months],
    )


@bp.route("")
@policy.requires(policy.is_specialist)
def dashboard():
    sort = request.args.get("sort", "per_100")
    if sort not in figures.SORTS:
        sort = "per_100"
    layers = chosen_layers(request.args)
    with replica.reads():
        return _dashboard(sort, layers)


def _dashboard(sort, layers):
    rows, kinds, months = figures.area_rows(), figures.listings_by_kind(), figures.listings_by_month()
    points = figures.place_points(layers)
    return render_template(
        "equity/equity.html",
        rows=figures.sorted_rows(rows, sort),
        sort=sort,
        svg=area_map(rows, points),
        layers=layers,
        layer_kinds=PLACE_KINDS,
        layer_counts={kind: sum(1 for p in points if p[2] == kind) for kind in layers},
        by_kind=kind_chart(kinds),
        by_month=month_chart(months),
        kinds=kinds,
        months=months,
    )


EXPORT_HEADER = [
    "community_area_number",
    "community_area",
    "students",
    "schools",
    "opportunities",
    "opportunities_per_100_students",
    "hardship_index_acs_2008_2012",
    "per_capita_income",
]


def export_row(r):
    """One area as a CSV row, in ``EXPORT_HEADER`` order."""
    return [
        r.number,
        r.name,
        r.students,
        r.schools,
        r.opportunities,
        r.per_100_students,
        r.hardship_index,
        r.per_capita_income,
    ]


@bp.route("/export.csv")
@policy.requires(policy.is_specialist)
def export_csv():
    with replica.reads():
        rows = [export_row(r) for r in figures.area_rows()]
    return csv_download("equity-by-community-area.csv", EXPORT_HEADER, rows)
