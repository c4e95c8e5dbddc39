"""The "approaching" (临期) warning of a working-time limit comes when 80 % of its WORKING time is used (through the
ticket's save and the deadline scan); a clock limit's stays on the clock. docs/calendar.md."""
from datetime import timedelta

from jiesu.tickets import jobs
from jiesu.tickets.models import Ticket
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import add_limit

from .conftest import at
from .helpers import new_ticket


def _recorded_at(ticket, moment, unit_amount):
    """The ticket as if recorded at `moment` (its dispatch limit set from there, as intake does)."""
    ticket.created_at = moment
    ticket.dispatch_due = add_limit(current_calendar(), moment, *unit_amount)
    ticket.save()
    return ticket


def test_a_friday_afternoon_ticket_is_approaching_on_monday_at_the_working_minute(world):
    t = _recorded_at(new_ticket(world), at(2026, 12, 4, 16, 0), (1, "working_days"))  # general: 1 working day
    assert t.dispatch_due == at(2026, 12, 7, 16, 0)
    assert Ticket.objects.get(pk=t.pk).next_check_at == at(2026, 12, 7, 14, 36)
    # Monday morning: 1.5 + 0.5 of the 7 working hours used, nothing to say yet (the clock's point was 01:36)
    assert jobs.scan_once(now=at(2026, 12, 7, 9, 30)) == 0
    assert Ticket.objects.get(pk=t.pk).warning_level == 0
    assert jobs.scan_once(now=at(2026, 12, 7, 14, 35)) == 0
    assert jobs.scan_once(now=at(2026, 12, 7, 14, 37)) == 1
    t.refresh_from_db()
    assert t.warning_level == 1 and t.next_check_at == t.dispatch_due
    assert t.events.filter(kind="approaching").count() == 1


def test_an_emergency_clock_limit_warns_on_the_clock_at_night(world):
    t = _recorded_at(new_ticket(world, category_code=world.gas.code), at(2026, 12, 5, 23, 0), (1, "clock_hours"))
    assert t.dispatch_due == at(2026, 12, 6, 0, 0)  # a Saturday night: the hour runs all the same
    assert Ticket.objects.get(pk=t.pk).next_check_at == at(2026, 12, 5, 23, 48)
    assert jobs.scan_once(now=at(2026, 12, 5, 23, 47)) == 0
    assert jobs.scan_once(now=at(2026, 12, 5, 23, 49)) == 1
    assert Ticket.objects.get(pk=t.pk).warning_level == 1


def test_the_reply_limit_after_dispatch_warns_in_working_time(world):
    from jiesu.tickets import services

    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    t.dispatched_at = at(2026, 12, 4, 16, 0)
    t.reply_due = add_limit(current_calendar(), t.dispatched_at, 7, "working_days")  # the general reply limit
    t.warning_level = 0
    t.save()
    point = Ticket.objects.get(pk=t.pk).next_check_at
    assert current_calendar().working_seconds_between(t.dispatched_at, point) == 0.8 * 7 * 7 * 3600
    assert point == at(2026, 12, 14, 11, 42) and t.reply_due == at(2026, 12, 15, 16, 0)
    assert jobs.scan_once(now=point - timedelta(minutes=1)) == 0
    assert jobs.scan_once(now=point) == 1


def test_a_ticket_stored_with_the_clocks_point_is_moved_on_by_the_scan_not_warned(world):
    """Tickets stored before the change keep their clock-time next check; when the scan reaches it, the level is
    found in working time (nothing to say yet) and the save moves the check to the working-time point."""
    t = _recorded_at(new_ticket(world), at(2026, 12, 4, 16, 0), (1, "working_days"))
    Ticket.objects.filter(pk=t.pk).update(next_check_at=at(2026, 12, 7, 1, 36))  # as the clock's formula stored it
    assert jobs.scan_once(now=at(2026, 12, 7, 9, 0)) == 0
    t.refresh_from_db()
    assert t.warning_level == 0 and t.next_check_at == at(2026, 12, 7, 14, 36)
    assert not t.events.filter(kind="approaching").exists()


def test_the_migration_moves_stored_clock_points_to_working_time_in_batches(world):
    """Migration tickets 0018: open tickets not yet warned get the working-time point (the clock's came up to three
    working days late for a 15-day limit, or only at the due time); warned, closed and clock-limit tickets keep
    theirs. Batched by id: a batch of 2 here."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("jiesu.tickets.migrations.0018_warning_point_in_working_time")
    friday = at(2026, 12, 4, 16, 0)
    general = [_recorded_at(new_ticket(world), friday, (1, "working_days")) for _ in range(3)]
    gas = _recorded_at(new_ticket(world, category_code=world.gas.code), at(2026, 12, 5, 23, 0), (1, "clock_hours"))
    warned = _recorded_at(new_ticket(world), friday, (1, "working_days"))
    clock_point = at(2026, 12, 7, 1, 36)  # as the clock's formula stored it
    Ticket.objects.filter(pk__in=[t.pk for t in general]).update(next_check_at=clock_point)
    Ticket.objects.filter(pk=warned.pk).update(warning_level=1, next_check_at=warned.dispatch_due)
    assert migration.recompute(apps, batch=2) == 3
    for t in general:
        assert Ticket.objects.get(pk=t.pk).next_check_at == at(2026, 12, 7, 14, 36)
    assert Ticket.objects.get(pk=gas.pk).next_check_at == at(2026, 12, 5, 23, 48)
    assert Ticket.objects.get(pk=warned.pk).next_check_at == warned.dispatch_due
    assert migration.recompute(apps, batch=2) == 0  # run again: nothing left to change
