"""Public pages. Views parse input, call a query, and render; only the language switch writes
(a signed-in person's language, through the accounts service)."""

from datetime import date

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cpspartners import querystring, school_lookup
from cpspartners.directory import listing
from cpspartners.directory.filters import Filters, parse_filters
from cpspartners.extensions import db
from cpspartners.i18n import LANG_COOKIE
from cpspartners.models import CommunityArea, Opportunity, Partner, Place, School, queries
from cpspartners.pagecache import shared
from cpspartners.security import safe_next
from cpspartners.services import accounts
from cpspartners.taxonomy import (
    CAREER_CLUSTERS,
    MODALITIES,
    OPPORTUNITY_KINDS,
    PARTNER_KINDS,
    PLACE_KINDS,
    STUDENT_GRADES,
    codes,
)
from cpspartners.templating import grade_range
from cpspartners.web import run

bp = Blueprint("directory", __name__)


@bp.route("/")
@shared
def home():
    counts, soon = listing.home_page(date.today())
    return render_template("directory/home.html", counts=counts, soon=soon, kinds=OPPORTUNITY_KINDS)


@bp.route("/opportunities")
@shared
def opportunity_list():
    school = school_lookup.resolve(request.args.get("school"))
    filters = parse_filters(school_lookup.with_school_id(request.args, school), current_app.config["MAX_PAGE"])
    if school.note:
        filters.notes.append(school.note)
    pagination = listing.opportunity_page(filters, current_app.config["PAGE_SIZE"], date.today())
    return render_template(
        "directory/opportunity_list.html",
        filters=filters,
        pagination=pagination,
        kinds=OPPORTUNITY_KINDS,
        cluster_options=[(code, label) for code, _name, label in CAREER_CLUSTERS],
        modalities=MODALITIES,
        grade_options=[(grade, grade_range(grade, grade)) for grade in STUDENT_GRADES],
        areas=queries.area_choices(),
        school=school,
        today=date.today(),
    )


@bp.route("/opportunities/<slug>")
@shared
def opportunity_detail(slug):
    opp = db.first_or_404(
        queries.public_opportunities().where(Opportunity.slug == slug).options(joinedload(Opportunity.community_area))
    )
    return render_template("directory/opportunity_detail.html", opp=opp, today=date.today())


@bp.route("/partners")
@shared
def partner_list():
    notes = []
    kind = querystring.choice(request.args, "kind", codes(PARTNER_KINDS), notes, _unknown_value_note())
    page = querystring.page(request.args, notes, current_app.config["MAX_PAGE"])
    pagination = queries.page_of(queries.public_partners(kind=kind), page, current_app.config["PAGE_SIZE"])
    return render_template(
        "directory/partner_list.html",
        pagination=pagination,
        kind=kind,
        partner_kinds=PARTNER_KINDS,
        notes=notes,
    )


@bp.route("/partners/<slug>")
@shared
def partner_detail(slug):
    partner = db.first_or_404(
        select(Partner).where(Partner.slug == slug, Partner.is_active).options(joinedload(Partner.community_area))
    )
    notes = []
    page = querystring.page(request.args, notes, current_app.config["MAX_PAGE"])
    stmt = queries.open_first(queries.public_opportunities().where(Opportunity.partner_id == partner.id), date.today())
    pagination = queries.page_of(stmt, page, current_app.config["PAGE_SIZE"])
    return render_template("directory/partner_detail.html", partner=partner, pagination=pagination, notes=notes)


@bp.route("/schools")
@shared
def school_list():
    notes = []
    area_number = querystring.number(request.args, "area", 1, 77, notes, _unknown_value_note())
    page = querystring.page(request.args, notes, current_app.config["MAX_PAGE"])
    stmt = select(School).order_by(School.long_name).options(joinedload(School.community_area))
    if area_number:
        stmt = stmt.where(School.community_area_number == area_number)
    pagination = queries.page_of(stmt, page, 50)
    return render_template(
        "directory/school_list.html",
        pagination=pagination,
        area=area_number,
        areas=queries.area_choices(),
        notes=notes,
    )


@bp.route("/schools/suggest")
def school_suggest():
    """JSON names for a school field's suggestions: {"suggestions": [...]}. Plain strings."""
    names = [name for _id, name in school_lookup.matching(request.args.get("q", ""))]
    response = jsonify({"suggestions": names})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/schools/<int:school_id>")
@shared
def school_detail(school_id):
    school = db.get_or_404(School, school_id, options=[joinedload(School.community_area)])
    offered, more_offered, nearby = listing.school_page(school, date.today())
    places = queries.places_near(school.latitude, school.longitude)
    return render_template(
        "directory/school_detail.html",
        school=school,
        offered=offered,
        more_offered=more_offered,
        nearby=nearby,
        places=places,
    )


@bp.route("/families")
@shared
def families():
    """What the city and CPS offer families: home internet, digital-literacy training, learning
    licences, and the libraries and computer centres near them."""
    listings = db.session.scalars(queries.family_opportunities().limit(20)).all()
    return render_template("directory/families.html", listings=listings)


@bp.route("/places")
@shared
def place_list():
    notes = []
    kind = querystring.choice(request.args, "kind", codes(PLACE_KINDS), notes, _unknown_value_note())
    area = querystring.number(request.args, "area", 1, 77, notes, _unknown_value_note())
    page = querystring.page(request.args, notes, current_app.config["MAX_PAGE"])
    words = (request.args.get("q") or "").split()[:6]
    pagination = queries.page_of(queries.places_query(words, kind, area), page, 50)
    return render_template(
        "directory/place_list.html",
        pagination=pagination,
        kind=kind,
        area=area,
        q=" ".join(words),
        rows=[(place, None) for place in pagination.items],
        place_kinds=PLACE_KINDS,
        areas=queries.area_choices(),
        notes=notes,
    )


@bp.route("/places/<int:place_id>")
@shared
def place_detail(place_id):
    place = db.get_or_404(Place, place_id, options=[joinedload(Place.community_area)])
    listings = db.session.scalars(
        queries.public_opportunities().where(Opportunity.place_id == place.id).limit(20)
    ).all()
    return render_template("directory/place_detail.html", place=place, listings=listings)


@bp.route("/areas")
@shared
def area_list():
    # Each row counts its schools: one grouped count, not the 652 schools loaded to count them
    # (which was most of this page's 16 ms).
    areas = db.session.scalars(select(CommunityArea).order_by(CommunityArea.name)).all()
    counts = listing.area_counts(date.today())
    schools = queries.count_schools_by_area()
    return render_template("directory/area_list.html", areas=areas, counts=counts, schools=schools)


@bp.route("/areas/<int:number>")
@shared
def area_detail(number):
    area = db.get_or_404(CommunityArea, number)
    # The first page of the list filtered by this area: from the index, as the list page is.
    page = listing.opportunity_page(Filters(area=area.number), 20, date.today())
    opportunities, total = page.items, page.total
    partners = db.session.scalars(queries.public_partners(area=area.number).limit(30)).all()
    return render_template(
        "directory/area_detail.html", area=area, opportunities=opportunities, total=total, partners=partners
    )


@bp.route("/about")
@shared
def about():
    return render_template("directory/about.html")


@bp.route("/language/<code>")
def set_language(code):
    """Remember the reader's language in a cookie (and on a signed-in account) and go back.

    A GET, as the link in every page's header is; what it changes on an account is only the
    language the same person could set on their account page, which they can switch back.
    """
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    if current_user.is_authenticated:
        run(accounts.set_language, current_user, code)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(
        LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True, secure=request.is_secure
    )
    return response


def _unknown_value_note():
    return _l("A filter was ignored: that value is not one we know.")
