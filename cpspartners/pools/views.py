"""Seat and licence pools: specialists create pools and allocate seats to distributors; the
distributors' staff assign seats to families or students, renew, release and see the waitlist."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cpspartners import partner_lookup, policy
from cpspartners.extensions import db, limiter
from cpspartners.formtools import ActionForm
from cpspartners.models import SeatAllocation, SeatAssignment, SeatPool, SeatWaitlistEntry
from cpspartners.pools.forms import AllocationForm, AssignForm, ClaimForm, PoolForm
from cpspartners.services import pools
from cpspartners.services.errors import RuleBroken
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
        pool = pools.create_pool(
            form.name.data,
            form.name_es.data or "",
            form.provider_id.data,
            form.total_seats.data,
            form.validity_days.data,
            form.remind_days_before.data,
        )
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


def _waiting(allocation):
    """Who waits for a seat of ``allocation``, first come first."""
    return db.session.scalars(
        select(SeatWaitlistEntry)
        .where(SeatWaitlistEntry.allocation_id == allocation.id, SeatWaitlistEntry.status == "waiting")
        .order_by(SeatWaitlistEntry.created_at, SeatWaitlistEntry.id)
    ).all()


@bp.route("/seats")
@policy.requires(policy.is_partner_staff)
def distributor_seats():
    allocations = db.session.scalars(
        select(SeatAllocation)
        .where(SeatAllocation.distributor_id == current_user.partner_id)
        .order_by(SeatAllocation.id)
    ).all()
    return render_template(
        "pools/seats.html",
        allocations=allocations,
        waiting={a.id: _waiting(a) for a in allocations},
        active={a.id: [s for s in a.assignments if s.status == "active"] for a in allocations},
        form=AssignForm(),
        action_form=ActionForm(),
        shown_code=pools.shown_code,
    )


def _holder_from(form):
    """``(holder, problem)``: who the seat is for (a family by name and an adult's email, or a
    student by name, who claims it with a code), or why the form cannot say. Nothing here looks
    an account up: the answer is the same whatever address is typed."""
    if not form.validate_on_submit():
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return None, errors or _("The form expired. Please submit it again.")
    email = form.holder_email.data if form.for_whom.data == "family" else ""
    return Holder(name=form.holder_name.data, email=email, language=form.holder_language.data), None


def _assign(allocation, holder):
    """Give ``holder`` a seat, or a place on the waitlist when none is free; flash which (and
    the code to hand a student)."""
    try:
        result = pools.assign(allocation.id, holder)
    except PoolError as error:
        flash(str(error), "error")
        return
    if isinstance(result, SeatAssignment) and result.claim_code:
        flash(
            _(
                "Seat assigned. Give %(name)s this code: %(code)s. They enter it in their account under “My seats”.",
                name=result.holder_name,
                code=pools.shown_code(result.claim_code),
            ),
            "success",
        )
    elif isinstance(result, SeatAssignment):
        flash(_("Seat assigned."), "success")
    else:
        flash(_("No seat is free: added to the waitlist."), "success")


@bp.route("/seats/<int:allocation_id>/assign", methods=["POST"])
@policy.requires(policy.is_partner_staff)
def seat_assign(allocation_id):
    allocation = _own_allocation(allocation_id)
    holder, problem = _holder_from(AssignForm())
    if problem:
        flash(problem, "error")
    else:
        _assign(allocation, holder)
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


def _claimant_key():
    return "claim:%d" % current_user.id


@bp.route("/my-seats", methods=["GET", "POST"])
@policy.requires(policy.is_student)
# Per account, after the permission check: guessing codes from one account stops quickly, and a
# school's shared address (a whole class claiming at once) is not what is counted.
@limiter.limit(lambda: current_app.config["CLAIM_LIMIT"], methods=["POST"], key_func=_claimant_key)
def my_seats():
    """A student's seats, and the form to claim one with the code a distributor gave them."""
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            seat = pools.claim(current_user, form.code.data)
        except RuleBroken as error:
            form.code.errors.append(str(error))
        else:
            pool_name = seat.allocation.pool.localized("name", str(get_locale()))
            until = format_date(seat.expires_on, "long")
            flash(_("The seat is yours: %(pool)s, until %(date)s.", pool=pool_name, date=until), "success")
            return redirect(url_for("pools.my_seats"))
    seats = pools.seats_of(current_user)
    return render_template("pools/my_seats.html", form=form, seats=seats), 400 if form.errors else 200
