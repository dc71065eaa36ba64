"""Seat and licence pools: specialists create pools and allocate seats to distributors; the
distributors' staff assign seats to families or students, renew, release and see the waitlist."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from cpspartners import partner_lookup, policy
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import SeatAllocation, SeatAssignment, SeatPool, SeatWaitlistEntry, User
from cpspartners.pools.forms import AllocationForm, AssignForm, PoolForm
from cpspartners.services import pools
from cpspartners.services.pools import Holder, PoolError
from cpspartners.web import csv_download

bp = Blueprint("pools", __name__, url_prefix="/pools")


USAGE_HEADER = [
    "pool_id",
    "pool",
    "provider",
    "total_seats",
    "allocated",
    "unallocated",
    "active",
    "expired",
    "released",
    "waiting",
]


def usage_rows():
    found = []
    for pool in db.session.scalars(select(SeatPool).order_by(SeatPool.id)):
        use = pools.usage(pool)
        found.append((pool, use))
    return found


@bp.route("")
@policy.requires(policy.is_specialist)
def pool_list():
    return render_template("pools/list.html", rows=usage_rows())


@bp.route("/export.csv")
@policy.requires(policy.is_specialist)
def export_csv():
    rows = [
        [
            p.id,
            p.name,
            p.provider.name,
            p.total_seats,
            u.allocated,
            u.unallocated,
            u.active,
            u.expired,
            u.released,
            u.waiting,
        ]
        for p, u in usage_rows()
    ]
    return csv_download("seat-pool-usage.csv", USAGE_HEADER, rows)


@bp.route("/new", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def pool_new():
    form = PoolForm()
    if form.is_submitted():
        partner_lookup.prepare(form.provider, form.provider_id)
    if form.validate_on_submit():
        pool = SeatPool(
            name=form.name.data,
            name_es=form.name_es.data or "",
            provider_id=form.provider_id.data,
            total_seats=form.total_seats.data,
            validity_days=form.validity_days.data,
            remind_days_before=form.remind_days_before.data,
        )
        db.session.add(pool)
        db.session.commit()
        flash(_("Pool created. Now allocate its seats to distributors."), "success")
        return redirect(url_for("pools.pool_detail", pool_id=pool.id))
    return render_template("pools/form.html", form=form), 400 if form.errors else 200


@bp.route("/<int:pool_id>", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def pool_detail(pool_id):
    pool = db.get_or_404(SeatPool, pool_id)
    form = AllocationForm()
    if form.is_submitted():
        partner_lookup.prepare(form.distributor, form.distributor_id)
    if form.validate_on_submit():
        try:
            pools.allocate(pool.id, form.distributor_id.data, form.seats.data)
        except PoolError as error:
            form.seats.errors.append(str(error))
        else:
            flash(_("Allocation saved."), "success")
            return redirect(url_for("pools.pool_detail", pool_id=pool.id))
    return render_template(
        "pools/detail.html",
        pool=pool,
        use=pools.usage(pool),
        form=form,
        in_use={a.id: pools.active_count(a.id) for a in pool.allocations},
    ), 400 if form.errors else 200


def _own_allocation(allocation_id):
    allocation = db.get_or_404(SeatAllocation, allocation_id)
    policy.authorize(policy.can_distribute_seats(current_user, allocation))
    return allocation


def _own_assignment(assignment_id):
    assignment = db.get_or_404(SeatAssignment, assignment_id)
    policy.authorize(policy.can_distribute_seats(current_user, assignment.allocation))
    return assignment


@bp.route("/seats")
@policy.requires(policy.is_partner_staff)
def distributor_seats():
    allocations = db.session.scalars(
        select(SeatAllocation)
        .where(SeatAllocation.distributor_id == current_user.partner_id)
        .order_by(SeatAllocation.id)
    ).all()
    waiting = {
        a.id: db.session.scalars(
            select(SeatWaitlistEntry)
            .where(SeatWaitlistEntry.allocation_id == a.id, SeatWaitlistEntry.status == "waiting")
            .order_by(SeatWaitlistEntry.created_at, SeatWaitlistEntry.id)
        ).all()
        for a in allocations
    }
    active = {a.id: [s for s in a.assignments if s.status == "active"] for a in allocations}
    return render_template(
        "pools/seats.html",
        allocations=allocations,
        waiting=waiting,
        active=active,
        form=AssignForm(),
        action_form=ActionForm(),
    )


@bp.route("/seats/<int:allocation_id>/assign", methods=["POST"])
@policy.requires(policy.is_partner_staff)
def seat_assign(allocation_id):
    allocation = _own_allocation(allocation_id)
    form = AssignForm()
    problem = None
    if not form.validate_on_submit():
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors) or _(
            "The form expired. Please submit it again."
        )
    elif form.student_email.data:
        student = db.session.scalars(
            select(User).where(func.lower(User.email) == form.student_email.data.lower(), User.role == "student")
        ).first()
        if student is None:
            problem = _("No student account has that email address.")
        holder = Holder(user_id=student.id, language=student.preferred_language) if student else None
    elif form.holder_name.data and form.holder_email.data:
        holder = Holder(name=form.holder_name.data, email=form.holder_email.data, language=form.holder_language.data)
    else:
        problem = _("Give a student account's email, or a family name with an adult's email.")
    if problem is None:
        try:
            result = pools.assign(allocation.id, holder)
        except PoolError as error:
            problem = str(error)
        else:
            flash(
                _("Seat assigned.")
                if isinstance(result, SeatAssignment)
                else _("No seat is free: added to the waitlist."),
                "success",
            )
    if problem:
        flash(problem, "error")
    return redirect(url_for("pools.distributor_seats"))


@bp.route("/seats/assignments/<int:assignment_id>/<any(renew, release):how>", methods=["POST"])
@policy.requires(policy.is_partner_staff)
def seat_change(assignment_id, how):
    assignment = _own_assignment(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if how == "renew":
            pools.renew(assignment.id)
            flash(_("Seat renewed until %(date)s.", date=assignment.expires_on.isoformat()), "success")
        else:
            promoted = pools.release(assignment.id)
            flash(
                _("Seat released.") + (" " + _("The first person waiting now has it.") if promoted else ""), "success"
            )
    except PoolError as error:
        flash(str(error), "error")
    return redirect(url_for("pools.distributor_seats"))
