"""The HSDS 3.0 API (/api/hsds): thin views over ``reading`` (what is public) and ``mapping``
(rows to HSDS records). Open to any origin without credentials, rate-limited, cached by ETag;
a parameter we cannot use is a 400 and an unknown id a 404, both as JSON.
"""

import json
from collections.abc import Callable, Iterable, Iterator

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context, url_for
from werkzeug.exceptions import HTTPException, NotFound

from cpspartners.extensions import db, limiter
from cpspartners.hsds import mapping, openapi, params, reading, vocabulary
from cpspartners.hsds.params import ApiParams, BadParameter

bp = Blueprint("hsds", __name__, url_prefix="/api/hsds")
limiter.limit(lambda: current_app.config["HSDS_LIMIT"])(bp)

HSDS_VERSION = "3.0"
NDJSON = "application/x-ndjson"


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _json(data: object, status: int = 200) -> Response:
    return Response(_dumps(data), status=status, mimetype="application/json")


def _error(status: int, message: str, parameter: str | None = None) -> Response:
    body = {"status": status, "error": message}
    if parameter:
        body["parameter"] = parameter
    return _json(body, status)


def _locale(chosen: ApiParams) -> str:
    """``?lang=`` wins, then Accept-Language, then English (no cookie: answers stay cacheable)."""
    return chosen.lang or request.accept_languages.best_match(("en", "es")) or "en"


def _links() -> mapping.Links:
    return mapping.Links(
        listing=lambda slug: url_for("directory.opportunity_detail", slug=slug, _external=True),
        partner=lambda slug: url_for("directory.partner_detail", slug=slug, _external=True),
    )


def _ndjson(records: Iterable[dict]) -> Response:
    lines: Iterator[str] = (_dumps(record) + "\n" for record in records)
    return Response(stream_with_context(lines), mimetype=NDJSON)


def _listing(page: reading.Page, render: Callable[[object], dict]) -> Response:
    return _json(page.shape([render(item) for item in page.items]))


@bp.after_request
def _open_and_cached(response: Response) -> Response:
    """CORS for any origin (no credentials: the API has none), caching and conditional GET."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Accept-Language, If-None-Match"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Content-Language"
    response.vary.add("Accept-Language")
    if response.status_code == 200 and not response.is_streamed and request.method in ("GET", "HEAD"):
        response.headers.setdefault("Cache-Control", "public, max-age=60")
        response.add_etag()
        response.make_conditional(request)
    return response


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Response:
    return _error(400, error.message, error.parameter)


@bp.errorhandler(reading.SearchUnavailable)
def _search_down(_error: Exception) -> Response:
    current_app.logger.warning("HSDS search without a search index: %s", _error)
    return _error(503, "search is unavailable for a moment; try again, or leave search out")


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    db.session.rollback()
    return _error(error.code or 500, error.description or error.name)


@bp.errorhandler(Exception)
def _server_error(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error on %s", request.path)
    db.session.rollback()
    return _error(500, "internal error")


def _not_found(what: str) -> NotFound:
    return NotFound("no public %s with that id" % what)


@bp.route("/")
def root() -> Response:
    return _json(
        {
            "version": HSDS_VERSION,
            "profile": url_for("hsds.guide", _external=True),
            "openapi_url": url_for("hsds.openapi_document", _external=True),
        }
    )


@bp.route("/openapi.json")
def openapi_document() -> Response:
    return _json(
        openapi.document(
            url_for("hsds.root", _external=True).rstrip("/"), url_for("hsds.schema", name="", _external=True)
        )
    )


@bp.route("/schemas/<path:name>")
def schema(name: str) -> Response:
    found = openapi.schema_text(name)
    if found is None:
        raise NotFound("no such schema")
    return Response(found, mimetype="application/schema+json")


@bp.route("/guide")
def guide() -> str:
    """The API for people, in the reader's language, with examples."""
    return render_template(
        "hsds/guide.html",
        base=url_for("hsds.root", _external=True).rstrip("/"),
        taxonomies=vocabulary.TAXONOMIES,
        max_per_page=params.MAX_PER_PAGE,
    )


@bp.route("/services")
def services() -> Response:
    chosen = params.parse(request.args)
    locale, links = _locale(chosen), _links()
    if chosen.format == "ndjson":
        rows = reading.stream(reading.services(chosen), reading.listing_loads(False))
        render = (
            mapping.service_minimal if chosen.minimal else (lambda opp: mapping.service_list_item(opp, locale, links))
        )
        return _ndjson(render(opp) for opp in rows)
    page = reading.service_page(chosen)
    if chosen.minimal:
        return _listing(page, mapping.service_minimal)
    return _listing(page, lambda opp: mapping.service_list_item(opp, locale, links))


@bp.route("/services/<service_id>")
def service_detail(service_id: str) -> Response:
    chosen = params.parse(request.args)
    opp = reading.find_service(service_id)
    if opp is None:
        raise _not_found("service")
    return _json(mapping.service_full(opp, _locale(chosen), _links()))


@bp.route("/organizations")
def organizations() -> Response:
    chosen = params.parse(request.args)
    locale, links = _locale(chosen), _links()
    stmt = reading.organizations(chosen)
    if chosen.format == "ndjson":
        return _ndjson(mapping.organization_list_item(p, locale, links) for p in reading.stream(stmt))
    return _listing(reading.page_of(stmt, chosen), lambda p: mapping.organization_list_item(p, locale, links))


@bp.route("/organizations/<organization_id>")
def organization_detail(organization_id: str) -> Response:
    chosen = params.parse(request.args)
    partner = reading.find_organization(organization_id)
    if partner is None:
        raise _not_found("organization")
    listings = reading.services_of(partner, chosen.full_service)
    return _json(mapping.organization_full(partner, listings, _locale(chosen), _links(), chosen.full_service))


def _place(opp, school, locale: str) -> dict:
    if school is not None:
        return mapping.school_location(school)
    return mapping.place_location(opp, locale) or {}


@bp.route("/service_at_locations")
def service_at_locations() -> Response:
    chosen = params.parse(request.args)
    locale = _locale(chosen)

    def render(pair) -> dict:
        opp, school = pair
        return mapping.service_at_location_item(opp, _place(opp, school, locale), locale)

    if chosen.format == "ndjson":
        return _ndjson(render(pair) for pair in reading.all_service_at_locations(chosen))
    return _listing(reading.service_at_location_page(chosen), render)


@bp.route("/service_at_locations/<sal_id>")
def service_at_location_detail(sal_id: str) -> Response:
    chosen = params.parse(request.args)
    found = reading.find_service_at_location(sal_id)
    if found is None:
        raise _not_found("service at location")
    opp, school = found
    locale = _locale(chosen)
    return _json(mapping.service_at_location_full(opp, _place(opp, school, locale), locale, _links()))


def _in_memory_page(records: list[dict], chosen: ApiParams) -> Response:
    if chosen.format == "ndjson":
        return _ndjson(records)
    start = (chosen.page - 1) * chosen.per_page
    page = reading.Page(records[start : start + chosen.per_page], len(records), chosen.page, chosen.per_page)
    return _json(page.shape(page.items))


def _matches(text: str, *fields: str) -> bool:
    return not text or all(any(word in f.lower() for f in fields) for word in text.lower().split())


@bp.route("/taxonomies")
def taxonomies() -> Response:
    chosen = params.parse(request.args)
    found = [t for t in vocabulary.TAXONOMIES if _matches(chosen.search, t.name, t.description)]
    return _in_memory_page([mapping.taxonomy(t) for t in found], chosen)


@bp.route("/taxonomies/<taxonomy_id>")
def taxonomy_detail(taxonomy_id: str) -> Response:
    found = vocabulary.TAXONOMY_BY_ID.get(params.ids.parse(taxonomy_id) or "")
    if found is None:
        raise _not_found("taxonomy")
    return _json(mapping.taxonomy(found))


@bp.route("/taxonomy_terms")
def taxonomy_terms() -> Response:
    chosen = params.parse(request.args)
    locale = _locale(chosen)
    terms = [term for taxonomy in vocabulary.TAXONOMIES for term in taxonomy.terms]
    if chosen.taxonomy_id:
        terms = [term for term in terms if vocabulary.TAXONOMY_BY_NAME[term.taxonomy].id == chosen.taxonomy_id]
    if chosen.parent_id:
        terms = []  # the site's vocabularies are flat: no term has a parent
    records = [mapping.taxonomy_term(term, locale) for term in terms]
    records = [
        r
        for r in records
        if _matches(chosen.search, r["name"], r["code"], vocabulary.label(vocabulary.TERM_BY_ID[r["id"]], "en"))
    ]
    return _in_memory_page(records, chosen)


@bp.route("/taxonomy_terms/<term_id>")
def taxonomy_term_detail(term_id: str) -> Response:
    chosen = params.parse(request.args)
    found = vocabulary.TERM_BY_ID.get(params.ids.parse(term_id) or "")
    if found is None:
        raise _not_found("taxonomy term")
    return _json(mapping.taxonomy_term(found, _locale(chosen)))
