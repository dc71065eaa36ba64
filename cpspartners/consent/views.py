"""Families give and revoke consent on an application's page; specialists record paper consent
forms, the school's eligibility mark and partners' data agreements. The rule that reads them is
``policy.can_see_application_details``."""

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import cpspartners.consent.export_sections  # noqa: F401  (adds the disclosure log to the copy)
from cpspartners import policy
from cpspartners.consent.forms import AgreementForm, EligibilityForm, GiveConsentForm, PaperConsentForm
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import Application, Partner
from cpspartners.services import consent
from cpspartners.web import form_errors_flash, run

bp = Blueprint("consent", __name__, url_prefix="/consent")


def consent_box(application):
    """What an application's page shows about consent, for the applicant and district staff:
    who must give it, what is on record, whether the partner's data agreement is in force, and
    the forms. Partner staff get only whether the rule lets them see the details."""
    from cpspartners.consent import rules

    return {
        "staff": policy.can_manage_consent_records(current_user),
        "records": consent.consents_for(application),
        "accepted": rules.accepted_consent(application.student_id, application.opportunity.partner_id),
        "giver": rules.consent_giver(application.student_id),
        "eligibility": rules.eligibility(application.student_id),
        "agreement": rules.current_agreement(application.opportunity.partner_id),
        "purpose": rules.PURPOSE,
        "give_form": GiveConsentForm(prefix="consent"),
        "paper_form": PaperConsentForm(prefix="paper"),
        "eligibility_form": EligibilityForm(prefix="eligible"),
    }


def _application(application_id):
    application = db.get_or_404(Application, application_id)
    policy.authorize(policy.can_see_application(current_user, application))
    return application


def _back(application):
    return redirect(url_for("applications.detail", application_id=application.id) + "#consent")


@bp.route("/applications/<int:application_id>/give", methods=["POST"])
@policy.signed_in
def give(application_id):
    application = _application(application_id)
    policy.authorize(policy.is_applicant(current_user, application))
    form = GiveConsentForm(prefix="consent")
    if form.validate_on_submit():
        run(
            consent.give_online,
            current_user,
            application,
            form.given_by.data,
            form.signer_name.data,
            success=_("Thank you. Consent is on record: the partner can now see your application."),
        )
    else:
        form_errors_flash(form)
    return _back(application)


@bp.route("/applications/<int:application_id>/revoke", methods=["POST"])
@policy.signed_in
def revoke(application_id):
    application = _application(application_id)
    policy.authorize(policy.can_revoke_consent(current_user, application))
    form = ActionForm()
    if form.validate_on_submit():
        run(
            consent.revoke,
            current_user,
            application,
            success=_("Consent is revoked. The partner no longer sees the application's details."),
        )
    else:
        form_errors_flash(form)
    return _back(application)


@bp.route("/applications/<int:application_id>/paper", methods=["POST"])
@policy.requires(policy.can_manage_consent_records)
def paper(application_id):
    application = _application(application_id)
    form = PaperConsentForm(prefix="paper")
    if form.validate_on_submit():
        run(
            consent.record_paper,
            current_user,
            application,
            form.given_by.data,
            form.signer_name.data,
            form.signed_on.data,
            success=_("The paper consent form is recorded."),
        )
    else:
        form_errors_flash(form)
    return _back(application)


@bp.route("/applications/<int:application_id>/eligible", methods=["POST"])
@policy.requires(policy.can_manage_consent_records)
def mark_eligible(application_id):
    application = _application(application_id)
    form = EligibilityForm(prefix="eligible")
    if form.validate_on_submit():
        run(
            consent.mark_eligible,
            current_user,
            application.student,
            form.basis.data,
            success=_("The student is marked as an eligible student: consent is now theirs to give."),
        )
    else:
        form_errors_flash(form)
    return _back(application)


@bp.route("/applications/<int:application_id>/not-eligible", methods=["POST"])
@policy.requires(policy.can_manage_consent_records)
def unmark_eligible(application_id):
    application = _application(application_id)
    form = ActionForm()
    if form.validate_on_submit():
        run(
            consent.unmark_eligible,
            current_user,
            application.student,
            success=_("The mark is removed: a parent or guardian gives consent again."),
        )
    else:
        form_errors_flash(form)
    return _back(application)


@bp.route("/partners/<int:partner_id>/agreements", methods=["GET", "POST"])
@policy.requires(policy.can_manage_consent_records)
def agreements(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = AgreementForm()
    if form.validate_on_submit() and run(
        consent.record_agreement,
        current_user,
        partner,
        form.version.data,
        form.signer_name.data,
        form.signed_on.data,
        form.expires_on.data,
        success=_("The data agreement is recorded."),
    ):
        return redirect(url_for("consent.agreements", partner_id=partner.id))
    status = 400 if request.method == "POST" else 200  # a refused or invalid form is shown again
    return render_template(
        "consent/agreements.html",
        partner=partner,
        form=form,
        agreements=consent.agreements_of(partner),
        today=date.today(),
    ), status
