"""The search page and the search box's suggestions. Thin: parse, call the facade, render."""

from datetime import date

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from cpspartners import policy, school_lookup, search
from cpspartners.models import queries
from cpspartners.pagecache import shared
from cpspartners.search.params import SearchParams, parse_search_args
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


def facet_labels() -> dict[str, dict[str, str]]:
    """Each facet's values as the reader sees them, by facet name."""
    areas = dict(queries.area_choices())
    return {
        "kind": dict(OPPORTUNITY_KINDS),
        "cluster": {code: label for code, _name, label in CAREER_CLUSTERS},
        "band": dict(BAND_LABELS),
        "area": {str(number): name for number, name in areas.items()},
        "modality": dict(MODALITIES),
        "paid": {"1": _l("Paid or with a stipend")},
        "lang": dict(LANGUAGES),
    }


def _note_school_problems(params: SearchParams, outcome: search.Outcome) -> None:
    """Say so when the school asked for is unknown, or sorting by distance had no school."""
    if params.school and outcome.school is None:
        params.notes.append(_l("The school choice was ignored: it is not one we know."))
    if params.sort == "nearest" and outcome.school is None:
        params.notes.append(_l("Choose a school to sort by distance; results are sorted by deadline meanwhile."))


def _places_near(outcome: search.Outcome) -> list:
    """The learning places nearest the chosen school, listed beside the results."""
    school = outcome.school
    return queries.places_near(school.latitude, school.longitude, limit=5) if school is not None else []


@bp.route("")
@shared
def results() -> tuple[str, int]:
    typed = request.args.get("school")
    if typed is None and policy.is_student(current_user) and current_user.school_id:
        # A signed-in student's school is the one distances are from, unless they chose another
        # (an empty choice, "school=", is a choice too).
        typed = str(current_user.school_id)
    school = school_lookup.resolve(typed)
    params = parse_search_args(school_lookup.with_school_id(request.args, school), current_app.config["MAX_PAGE"])
    if school.note:
        params.notes.append(school.note)
    outcome = search.run(params, locale=str(get_locale()), today=date.today(), per_page=current_app.config["PAGE_SIZE"])
    _note_school_problems(params, outcome)
    return render_template(
        "search/results.html",
        outcome=outcome,
        params=params,
        facet_labels=facet_labels(),
        sort_labels=SORT_LABELS,
        school=school,
        today=date.today(),
        places=[(place, None) for place in queries.places_matching((params.text or "").split())],
        places_near=_places_near(outcome),
    ), 503 if outcome.failed else 200


@bp.route("/suggest")
def suggest() -> Response:
    """JSON completions for the search box: {"suggestions": [...]}. Plain strings, never HTML."""
    text = clean_query(request.args.get("q"), 100)
    response = jsonify({"suggestions": search.suggest(text) if text else []})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
