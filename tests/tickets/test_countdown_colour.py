"""The countdown's colour on the pages (jiesu_ui.urgency, approaching_point) turns orange at the same 临期 point the
deadline scans warn at: 80 % of a working limit's WORKING time, a clock limit's clock time; an emergency's reply
deadline extended by working days warns in working time. docs/calendar.md, docs/lifecycle.md."""
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from jiesu.core.templatetags.jiesu_ui import (Approach, approaching, approaching_point, countdown, urgency,
                                              working_duration_text)
from jiesu.dispatch import services as dispatch_services
from jiesu.tickets import jobs, services
from jiesu.tickets.models import ExtensionRequest, Ticket
from jiesu.whistles.models import Mode, Summons, Task, Whistle, WhistleLevel
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import add_limit, warning_point

from .conftest import at
from .helpers import new_ticket


def _recorded_at(ticket, moment, due):
    ticket.created_at, ticket.dispatch_due = moment, due
    ticket.save()
    return ticket


def test_a_friday_afternoon_ticket_turns_orange_when_the_scan_warns_not_at_night(world):
    t = _recorded_at(new_ticket(world), at(2026, 12, 4, 16, 0), at(2026, 12, 7, 16, 0))  # 1 working day
    point = approaching_point(t, "dispatch")
    assert point == at(2026, 12, 7, 14, 36)
    # the clock's last fifth began at 01:36 on Monday, with 79 % of the working time left
    assert urgency(t.dispatch_due, point, now=at(2026, 12, 7, 1, 36)) == ""
    assert urgency(t.dispatch_due, point, now=at(2026, 12, 7, 14, 35)) == ""
    assert jobs.scan_once(now=at(2026, 12, 7, 14, 35)) == 0
    assert urgency(t.dispatch_due, point, now=at(2026, 12, 7, 14, 36)) == "soon"
    assert jobs.scan_once(now=at(2026, 12, 7, 14, 36)) == 1
    t.refresh_from_db()  # warned: the stored check is now the due time, the page stays orange
    assert t.warning_level == 1 and urgency(t.dispatch_due, approaching_point(t, "dispatch"),
                                            now=at(2026, 12, 7, 14, 37)) == "soon"
    assert urgency(t.dispatch_due, approaching_point(t, "dispatch"), now=at(2026, 12, 7, 16, 0)) == "overdue"


def test_an_assignments_sign_and_contact_steps_turn_orange_in_working_time(world):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    a = t.assignments.get(role="lead")
    a.dispatched_at = at(2026, 12, 4, 17, 0)  # sign within 2 working hours: Monday 10:30
    a.sign_due = add_limit(current_calendar(), a.dispatched_at, 2, "working_hours")
    assert a.sign_due == at(2026, 12, 7, 10, 30)
    assert approaching_point(a, "sign") == at(2026, 12, 7, 10, 6)  # 0.5 h on Friday, 1.1 h on Monday (not Sat 07:00)
    a.contact_due = add_limit(current_calendar(), a.dispatched_at, 1, "working_days")
    assert approaching_point(a, "contact") == warning_point(current_calendar(), a.dispatched_at, a.contact_due, 0.8,
                                                            "working_days")


def test_an_emergencys_clock_limit_stays_on_the_clock(world):
    t = _recorded_at(new_ticket(world, category_code=world.gas.code), at(2026, 12, 5, 23, 0), at(2026, 12, 6, 0, 0))
    assert approaching_point(t, "dispatch") == at(2026, 12, 5, 23, 48)
    assert urgency(t.dispatch_due, approaching_point(t, "dispatch"), now=at(2026, 12, 5, 23, 48)) == "soon"


def test_an_emergency_extended_by_working_days_warns_in_working_time(world):
    """An emergency (reply in 2 clock hours) dispatched on Friday at 16:00 and extended by 1 working day: due on
    Monday at 17:30. The extension's working day is what is left to run, so the warning comes at 80 % of the working
    time (Monday 15:48), not of the clock time (Monday 02:48, in the night)."""
    t = new_ticket(world, category_code=world.gas.code)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.sign(world.street_staff, t)
    ExtensionRequest.objects.create(ticket=t, assignment=t.assignments.get(role="lead"), working_days=1,
                                    reason="需协调燃气公司", created_at=timezone.now())
    services.decide_extension(world.dispatcher, t, True)
    extension = t.extensions.get()
    # as if dispatched on Friday at 16:00 (due 18:00) and extended from there
    new_due = current_calendar().add_working_days(at(2026, 12, 4, 18, 0), 1)
    assert new_due == at(2026, 12, 7, 17, 30)
    ExtensionRequest.objects.filter(pk=extension.pk).update(new_due=new_due)
    t = Ticket.objects.get(pk=t.pk)
    t.dispatched_at, t.reply_due, t.warning_level = at(2026, 12, 4, 16, 0), new_due, 0
    t.save()
    assert Ticket.objects.get(pk=t.pk).next_check_at == at(2026, 12, 7, 15, 48)
    assert approaching_point(t, "reply") == at(2026, 12, 7, 15, 48)
    assert approaching(t, "reply").unit == "working_days"  # the countdown's words count working time too
    assert jobs.scan_once(now=at(2026, 12, 7, 9, 0)) == 0
    assert jobs.scan_once(now=at(2026, 12, 7, 15, 49)) == 1
    # a reply deadline no extension set (the class's own 2 clock hours again, e.g. after re-handling) is on the clock
    t.refresh_from_db()
    t.reply_due, t.warning_level = at(2026, 12, 8, 18, 0), 0
    t.dispatched_at = at(2026, 12, 8, 16, 0)
    t.save()
    assert Ticket.objects.get(pk=t.pk).next_check_at == at(2026, 12, 8, 17, 36)
    assert approaching(Ticket.objects.get(pk=t.pk), "reply") == Approach(at(2026, 12, 8, 17, 36), "clock_hours")


def test_whistle_reports_and_tasks_turn_orange_where_the_whistle_scan_warns(world):
    working = WhistleLevel(code="street", name="街道吹哨", report_amount=1, report_unit="working_days", task_days=5)
    clock = WhistleLevel(code="urgent", name="紧急吹哨", report_amount=2, report_unit="clock_hours", task_days=1)
    normal = Whistle(level=working, mode=Mode.REGULAR, summoned_at=at(2026, 12, 4, 16, 0))
    summons = Summons(whistle=normal, summoned_at=at(2026, 12, 4, 16, 0), report_due=at(2026, 12, 7, 16, 0))
    assert approaching_point(summons) == at(2026, 12, 7, 14, 36)
    normal.next_report = summons.report_due  # the board's row: the whistle's next report due
    assert approaching_point(normal) == at(2026, 12, 7, 14, 36)
    task = Task(whistle=normal, created_at=at(2026, 12, 4, 16, 0), due=at(2026, 12, 11, 16, 0))
    assert approaching_point(task) == warning_point(current_calendar(), task.created_at, task.due, 0.8,
                                                    "working_days")
    assert approaching_point(task) == at(2026, 12, 10, 16, 0)
    on_clock = Whistle(level=clock, mode=Mode.REGULAR)
    task = Task(whistle=on_clock, created_at=at(2026, 12, 5, 20, 0), due=at(2026, 12, 6, 20, 0))
    assert approaching_point(task) == at(2026, 12, 6, 15, 12)
    quick = Whistle(level=working, mode=Mode.QUICK)
    summons = Summons(whistle=quick, summoned_at=at(2026, 12, 5, 20, 0), report_due=at(2026, 12, 5, 20, 30))
    assert approaching_point(summons) == at(2026, 12, 5, 20, 24)


def test_the_countdown_words_say_the_time_left_with_the_colour(world):
    due = timezone.now() + timedelta(hours=3)
    assert 'class="cd cd-soon"' in countdown(due, timezone.now() - timedelta(minutes=1))
    assert 'class="cd cd-ok"' in countdown(due, timezone.now() + timedelta(hours=1))
    assert 'class="cd cd-ok"' in countdown(due)


def test_a_working_limits_countdown_says_the_working_time_left(world):
    """Before a weekend a 7-working-day reply was orange (80 % of the working time used) yet said 「剩余3天2小时」:
    the clock's time left. A working limit's countdown says the working time left, as the warning counts it."""
    with translation.override("en"):
        assert working_duration_text(5.5 * 3600, 7) == "5h 30min"
        assert working_duration_text(9.8 * 3600, 7) == "1 working day 2h"
    with translation.override("zh-hans"):
        assert working_duration_text(9.8 * 3600, 7) == "1个工作日2小时"
    now = timezone.now()
    due = now + timedelta(days=3, hours=2)
    left = current_calendar().working_seconds_between(now, due)
    with translation.override("en"):
        working = countdown(due, Approach(now - timedelta(minutes=1), "working_days"))
        clock = countdown(due, Approach(now - timedelta(minutes=1), "clock_hours"))
        # countdown() reads the clock a moment after `now`: within working hours a whole hour may tick over between
        expected = {f"{working_duration_text(seconds, 7)} of working time left" for seconds in (left, left - 5)}
    assert any(text in working for text in expected) and "cd-soon" in working, (expected, working)
    assert "3d 2h left" in clock or "3d 1h left" in clock


# ── the pages: tickets whose clock and working-time points fall either side of now ──────────────────────────

def _straddling(now, working_first):
    """(start, due, working-time point) of a deadline whose working-time approaching point is past and clock point
    still to come (`working_first`), or the other way round, each at least 15 minutes from `now`; None when there is
    none at this hour (at 06:00 the last 12 hours and the next 3 hold no working time: no working-first one)."""
    calendar, margin = current_calendar(), timedelta(minutes=15)
    for back in range(2, 24 * 5):
        start = now - timedelta(hours=back)
        for ahead in range(1, 24 * 3):
            due = now + timedelta(hours=ahead)
            clock = warning_point(calendar, start, due, 0.8, "clock_hours")
            if (clock < now + margin) if working_first else (clock > now - margin):
                continue  # the clock's point on the wrong side: no need for the working time's
            work = warning_point(calendar, start, due, 0.8, "working_days")
            if work < due and ((work <= now - margin) if working_first else (work >= now + margin)):
                return start, due, work
    return None


def _both_ways(now):
    """{working_first: (start, due, point)} of the straddling deadlines this hour has (one at least: the clock's
    first at night, the working time's first in the afternoon)."""
    found = {first: _straddling(now, first) for first in (True, False)}
    found = {first: deadline for first, deadline in found.items() if deadline is not None}
    assert found
    return found


def _queue_card_class(html, ticket):
    marker = f'id="t{ticket.pk}"'
    head = html[:html.index(marker)]
    return head[head.rindex('<article class="'):]


def test_the_dispatch_queue_colours_waiting_tickets_as_the_scan_warns(world, client, monkeypatch):
    """The queue's own statements: the desk's panels are left out (the engine cold, as in a process where no test
    asked it yet). With a warm engine each card's panel reads its holds, ≈ 7 statements a card (docs/dispatch-desk.md)."""
    monkeypatch.setitem(dispatch_services._warm, "done", False)
    now = timezone.now()
    cards = {}
    deadlines = _both_ways(now)
    for working_first, (start, due, point) in deadlines.items():
        t = _recorded_at(new_ticket(world), start, due)
        assert Ticket.objects.get(pk=t.pk).next_check_at == point  # what the scan will warn at
        cards[working_first] = t
    client.force_login(world.dispatcher)
    client.get("/dispatch/")  # the process's reference data and calendar read once
    with CaptureQueriesContext(connection) as two:
        html = client.get("/dispatch/").content.decode()
    for working_first, t in cards.items():  # orange when 80 % of the working time is used, not the clock's
        assert (" soon" in _queue_card_class(html, t)) == working_first
    for _ in range(3):  # three more rows cost no statement more
        _recorded_at(new_ticket(world), *next(iter(deadlines.values()))[:2])
    client.get("/dispatch/")  # the queue reads a new ticket's text once (the emergency wording), then keeps it
    with CaptureQueriesContext(connection) as five:
        client.get("/dispatch/")
    assert len(five) == len(two)


def test_the_work_list_colours_rows_as_the_scan_warns(world, client):
    now = timezone.now()
    rows = {}
    for working_first, (start, due, point) in _both_ways(now).items():
        t = new_ticket(world)
        services.dispatch(world.dispatcher, t, world.street.pk)
        services.sign(world.street_staff, t)
        services.contact(world.street_staff, t)
        t = Ticket.objects.get(pk=t.pk)
        t.dispatched_at, t.reply_due = start, due
        t.save()
        t.assignments.update(dispatched_at=start, reply_due=due)
        assert Ticket.objects.get(pk=t.pk).next_check_at == point
        rows[working_first] = t
    client.force_login(world.street_staff)
    html = client.get("/work/").content.decode()

    def row_class(t):
        head = html[:html.index(f'href="/tickets/{t.pk}/"')]
        return head[head.rindex("<tr"):]

    for working_first, t in rows.items():
        assert ("row-soon" in row_class(t)) == working_first and "row-overdue" not in row_class(t)
