"""Template helpers: taxonomy labels, grade ranges, bilingual text and page links."""

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import request, url_for
from flask_babel import format_currency, format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cpspartners import policy, taxonomy
from cpspartners.i18n import locale_name

GRADE_LABELS = {-1: "PK", 0: "K"}


def grade_range(low, high):
    """ "Grade 9" or "Grades 6–8", with PK and K named."""

    def name(grade):
        return GRADE_LABELS.get(grade, str(grade))

    if low == high:
        return _("Grade %(grade)s", grade=name(low))
    return _("Grades %(low)s\u2013%(high)s", low=name(low), high=name(high))


def locale_text(obj, field):
    """The reader's-language text of a bilingual field, falling back to English."""
    return obj.localized(field, locale_name())


def text_lang(obj, field):
    """The language the shown text is in, for a ``lang`` attribute when it differs from the page."""
    locale = locale_name()
    if locale == "es" and getattr(obj, field + "_es", ""):
        return "es"
    return "en"


def english_only(obj):
    """True on a Spanish page for a listing written only in English: the page marks it
    ``lang="en"`` and says so, rather than passing English off as the page's language."""
    return locale_name() == "es" and not getattr(obj, "title_es", "")


def page_url(page, **extra):
    """The current page's URL with another page number, keeping every other argument."""
    args = request.args.to_dict(flat=False)
    args.update(extra)
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def external_url(url):
    """A link only if it is http(s): a ``javascript:`` URL typed into a form never becomes a link."""
    try:
        return url if urlsplit(url or "").scheme in ("http", "https") else ""
    except ValueError:
        return ""


def status_label(code):
    """A listing's or a partner's status code as words."""
    found = taxonomy.label(taxonomy.OPPORTUNITY_STATUSES, code)
    return found if found != code else taxonomy.label(taxonomy.PARTNER_STATUSES, code)


def review_status_label(code):
    """A change request's status as words."""
    return taxonomy.label(taxonomy.REVIEW_STATUSES, code)


def field_label(name):
    """The words for an editable field in the review diff and the audit log."""
    from cpspartners.partners.forms import OpportunityForm, PartnerForm

    for form_class in (OpportunityForm, PartnerForm):
        unbound = getattr(form_class, name, None)
        if unbound is not None and hasattr(unbound, "args") and unbound.args:
            return unbound.args[0]
    if name in AUDIT_FIELD_LABELS:
        return AUDIT_FIELD_LABELS[name]
    return name.replace("_", " ")


# Fields the audit log records that no partner form names: accounts, merges, credentials.
AUDIT_FIELD_LABELS = {
    "is_approved": _l("Approved"),
    "role": _l("Role"),
    "preferred_language": _l("Preferred language"),
    "name": _l("Name"),
    "partner_id": _l("Partner"),
    "status": _l("Status"),
    "method": _l("Method"),
    "credential": _l("Credential"),
    "vetting_exemption": _l("Vetting exemption"),
    "vetting_records": _l("Vetting records"),
    "merged_from": _l("Merged from"),
    "merged_into": _l("Merged into"),
    "opportunities": _l("Opportunities"),
    "staff": _l("Staff"),
    "school_id": _l("School"),
    "grade": _l("Grade"),
    "active": _l("Account switched on"),
    "items": _l("Items"),
    "basis": _l("Why the student is eligible"),
    "link": _l("Family link"),
    "rows": _l("Rows"),
    "days": _l("Days"),
    "request": _l("Privacy request"),
    "state": _l("State"),
}


CODED_FIELDS = {
    "kind": (taxonomy.OPPORTUNITY_KINDS, taxonomy.PARTNER_KINDS),
    "audience": (taxonomy.AUDIENCES,),
    "modality": (taxonomy.MODALITIES,),
    "clusters": (taxonomy.CAREER_CLUSTERS,),
    "languages": (taxonomy.LANGUAGES,),
    "preferred_language": (taxonomy.LANGUAGES,),
    "role": (taxonomy.ROLES,),
    "method": (taxonomy.VERIFICATION_METHODS,),
    "state": (tuple(taxonomy.RIGHTS_STATE_LABELS.items()),),
    "status": (taxonomy.OPPORTUNITY_STATUSES, taxonomy.PARTNER_STATUSES, taxonomy.REVIEW_STATUSES),
}


def _code_label(name, code):
    """A code of a coded field as words: the first of the field's tables that knows it."""
    for table in CODED_FIELDS[name]:
        found = taxonomy.label(table, code)
        if found != code:
            return found
    return code


def field_value(name, value):
    """A stored value as a reader sees it: labels for codes, Yes/No for booleans, lists joined."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "languages" and isinstance(value, str):
        value = [code for code in value.split(",") if code]
    if name in CODED_FIELDS:
        codes_ = value if isinstance(value, list) else [value]
        return ", ".join(str(_code_label(name, code)) for code in codes_)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return format_date(date.fromisoformat(value), "medium")  # dates in diffs read as the reader writes them
    if isinstance(value, str) and ISO_DATETIME.match(value):
        try:
            return format_datetime(datetime.fromisoformat(value), "short")
        except ValueError:
            return value
    if isinstance(value, float):
        return format_decimal(value)
    return value


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


# Template globals that turn a code into words, and the taxonomy table each one reads.
LABEL_GLOBALS = {
    "kind_label": taxonomy.OPPORTUNITY_KINDS,
    "partner_kind_label": taxonomy.PARTNER_KINDS,
    "cluster_label": taxonomy.CAREER_CLUSTERS,
    "modality_label": taxonomy.MODALITIES,
    "place_kind_label": taxonomy.PLACE_KINDS,
    "audience_label": taxonomy.AUDIENCES,
    "language_label": taxonomy.LANGUAGES,
    "vetting_label": taxonomy.VETTING_KINDS,
    "verification_method_label": taxonomy.VERIFICATION_METHODS,
    "role_label": taxonomy.ROLES,
    "contact_kind_label": taxonomy.CONTACT_KINDS,
    "stage_label": taxonomy.PROSPECT_STAGES,
    "credential_kind_label": taxonomy.CREDENTIAL_KIND_LABELS,
    "audit_subject_label": taxonomy.AUDIT_SUBJECTS,
    "audit_action_label": taxonomy.AUDIT_ACTIONS,
    "interest_label": taxonomy.INTEREST_TAG_LABELS,
}


def _labeller(table):
    return lambda code: taxonomy.label(table, code)


def init_templating(app):
    """The filters and globals every template may use."""
    app.jinja_env.filters["external_url"] = external_url
    app.jinja_env.globals.update({name: _labeller(table) for name, table in LABEL_GLOBALS.items()})
    app.jinja_env.globals.update(
        grade_range=grade_range,
        locale_text=locale_text,
        text_lang=text_lang,
        english_only=english_only,
        format_currency=format_currency,
        page_url=page_url,
        format_date=format_date,
        format_decimal=format_decimal,
        format_datetime=format_datetime,
        home_endpoint=policy.home_endpoint,
        needs_second_factor=policy.needs_second_factor,
        can_use_own_privacy=policy.can_use_own_privacy,
        status_label=status_label,
        review_status_label=review_status_label,
        field_label=field_label,
        field_value=field_value,
    )
