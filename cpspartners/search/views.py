"""The search page and the search box's suggestions. Thin: parse, call the facade, render."""

from datetime import date

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from cpspartners import search
from cpspartners.models import queries
from cpspartners.search.params import parse_search_args
from cpspartners.taxonomy import CAREER_CLUSTERS, LANGUAGES, MODALITIES, OPPORTUNITY_KINDS
from cpspartners.text import clean_query

bp = Blueprint("search", __name__, url_prefix="/search")


BAND_LABELS = (
    ("elementary", _l("Grades K\u20135")),
    ("middle", _l("Grades 6\u20138")),
    ("high", _l("Grades 9\u201312")),
)
SORT_LABELS = (
    ("relevance", _l("Best match")),
    ("deadline", _l("Soonest deadline")),
    ("newest", _l("Newest")),
    ("nearest", _l("Nearest to a school")),
)


@bp.route("")
def results():
    params = parse_search_args(request.args, current_app.config["MAX_PAGE"])
    outcome = search.run(params, locale=str(get_locale()), today=date.today(), per_page=current_app.config["PAGE_SIZE"])
    if params.school and outcome.school is None:
        params.notes.append(_l("The school choice was ignored: it is not one we know."))
    if params.sort == "nearest" and outcome.school is None:
        params.notes.append(_l("Choose a school to sort by distance; results are sorted by deadline meanwhile."))
    areas = dict(queries.area_choices())
    facet_labels = {
        "kind": dict(OPPORTUNITY_KINDS),
        "cluster": {code: label for code, _name, label in CAREER_CLUSTERS},
        "band": dict(BAND_LABELS),
        "area": {str(number): name for number, name in areas.items()},
        "modality": dict(MODALITIES),
        "paid": {"1": _l("Paid or with a stipend")},
        "lang": dict(LANGUAGES),
    }
    status = 503 if outcome.failed else 200
    return render_template(
        "search/results.html",
        outcome=outcome,
        params=params,
        facet_labels=facet_labels,
        sort_labels=SORT_LABELS,
        schools=queries.school_choices(),
        today=date.today(),
    ), status


@bp.route("/suggest")
def suggest():
    """JSON completions for the search box: {"suggestions": [...]}. Plain strings, never HTML."""
    text = clean_query(request.args.get("q"), 100)
    response = jsonify({"suggestions": search.suggest(text) if text else []})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
