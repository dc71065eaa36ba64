"""Seat and licence pools: allocation limits, assignment, waitlist, renewal, expiry, reminders."""

import threading
from datetime import date, timedelta

import pytest

from cpspartners.extensions import db
from cpspartners.models import SeatAssignment, SeatPool, SeatWaitlistEntry
from cpspartners.services import pools
from cpspartners.services.pools import Holder, PoolError
from tests.conftest import PG_URL

TODAY = date(2026, 11, 23)


@pytest.fixture
def pool(app, make_partner):
    provider = make_partner(name="Coursera via Chicago Connected")
    pool = SeatPool(
        name="Certificate licences", provider=provider, total_seats=5, validity_days=120, remind_days_before=14
    )
    db.session.add(pool)
    db.session.commit()
    return pool


def family(n):
    return Holder(name=f"Family {n}", email=f"parent{n}@example.org", language="es")


def test_allocations_never_exceed_the_pool(pool, make_partner):
    first, second = make_partner(), make_partner()
    pools.allocate(pool.id, first.id, 3)
    with pytest.raises(PoolError, match="Not enough seats left to allocate in this pool: 2"):
        pools.allocate(pool.id, second.id, 3)
    pools.allocate(pool.id, second.id, 2)
    pools.allocate(pool.id, first.id, 1)  # shrinking is fine while seats are free
    assert pools.allocated_seats(pool.id) == 3


def test_assign_until_full_then_waitlist(pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 2)
    a = pools.assign(allocation.id, family(1), TODAY)
    b = pools.assign(allocation.id, family(2), TODAY)
    c = pools.assign(allocation.id, family(3), TODAY)
    assert isinstance(a, SeatAssignment) and isinstance(b, SeatAssignment)
    assert isinstance(c, SeatWaitlistEntry)
    assert a.expires_on == TODAY + timedelta(days=119)  # 120 days, inclusive
    with pytest.raises(PoolError, match="already has in use: 2"):
        pools.allocate(pool.id, allocation.distributor_id, 1)


def test_release_promotes_the_first_waiting(pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 1)
    seat = pools.assign(allocation.id, family(1), TODAY)
    pools.assign(allocation.id, family(2), TODAY)
    pools.assign(allocation.id, family(3), TODAY)
    promoted = pools.release(seat.id, TODAY)
    assert [p.holder_name for p in promoted] == ["Family 2"]
    assert pools.usage(pool).waiting == 1


def test_expiry_sweep_frees_seats_for_the_waitlist(pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 1)
    pools.assign(allocation.id, family(1), TODAY)
    pools.assign(allocation.id, family(2), TODAY)
    lapsed, promoted = pools.expire(TODAY + timedelta(days=120))
    assert [a.holder_name for a in lapsed] == ["Family 1"]
    assert [a.holder_name for a in promoted] == ["Family 2"]
    usage = pools.usage(pool)
    assert (usage.active, usage.expired, usage.waiting, usage.unallocated) == (1, 1, 0, 4)


def test_renew_extends_from_the_old_expiry(pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 1)
    seat = pools.assign(allocation.id, family(1), TODAY)
    old = seat.expires_on
    pools.renew(seat.id, TODAY + timedelta(days=100))
    assert seat.expires_on == old + timedelta(days=120)
    assert seat.renewals == 1


def test_lapsed_seat_renews_only_if_a_seat_is_free(pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 1)
    seat = pools.assign(allocation.id, family(1), TODAY)
    pools.assign(allocation.id, family(2), TODAY)
    pools.expire(TODAY + timedelta(days=121))  # family 2 takes the seat
    with pytest.raises(PoolError, match="No seat is free"):
        pools.renew(seat.id, TODAY + timedelta(days=122))


def test_reminders_are_due_once_inside_the_window(pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 2)
    seat = pools.assign(allocation.id, family(1), TODAY)
    assert pools.due_reminders(seat.expires_on - timedelta(days=15)) == []
    due = pools.due_reminders(seat.expires_on - timedelta(days=14))
    assert [d.id for d in due] == [seat.id]
    pools.mark_reminded(due, seat.expires_on - timedelta(days=14))
    assert pools.due_reminders(seat.expires_on - timedelta(days=13)) == []


def test_a_holder_is_needed(pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 1)
    with pytest.raises(PoolError, match="family's name"):
        pools.assign(allocation.id, Holder(name="   "), TODAY)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL row locks")
def test_two_assignments_for_the_last_seat_at_once_on_postgresql(app, pool, make_partner):
    allocation_id = pools.allocate(pool.id, make_partner().id, 1).id  # read here: ORM objects stay in this thread
    barrier, results, errors = threading.Barrier(2), [], []

    def worker(n):
        with app.app_context():
            try:
                barrier.wait(5)
                results.append(type(pools.assign(allocation_id, family(n), TODAY)).__name__)
            except Exception as error:  # surfaced below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert sorted(results) == ["SeatAssignment", "SeatWaitlistEntry"]


def test_cli_expire_and_report(app, pool, make_partner):
    allocation = pools.allocate(pool.id, make_partner().id, 1)
    pools.assign(allocation.id, family(1), TODAY)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pools", "expire", "--today", "2027-06-01"])
    assert result.exit_code == 0 and "1 seats expired" in result.output
    report = runner.invoke(args=["pools", "report"])
    assert report.exit_code == 0
    assert report.output.splitlines()[1] == f"{pool.id},Certificate licences,5,1,0,1,0,0"
