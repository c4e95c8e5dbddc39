"""Demo tickets: deterministic, every state, and every invariant the ticket services keep."""
from collections import defaultdict

from django.conf import settings

from jiesu.accounts.models import Role, User
from jiesu.core.scoping import visible_tickets
from jiesu.demo.generate import ALL_STATES, delete_demo, generate
from jiesu.demo.models import DemoDataset
from jiesu.tickets import jobs
from jiesu.tickets.models import (
    Assignment, Callback, Ticket, TicketEvent, current_deadline, limit_unit, next_warning_at,
)
from jiesu.tickets.services import due, time_limit_class
from jiesu.units.models import UnitKind
from jiesu.workcal.services import current_calendar

from .conftest import NOW

ID_KEYS = {"parent", "child", "via_parent", "parent_number", "child_number"}


def snapshot():
    tickets = list(Ticket.objects.order_by("created_at", "id").values_list(
        "created_at", "channel", "request_type", "title", "text", "address", "lon", "lat", "citizen_name",
        "citizen_phone", "category_id", "street_id", "grid_id", "lead_unit_id", "state", "special_class",
        "close_reason", "dispatch_due", "reply_due", "closed_at", "warning_level", "next_check_at", "query_code"))
    events = [(t, at, kind, actor, f, to, note, {k: v for k, v in payload.items() if k not in ID_KEYS})
              for t, at, kind, actor, f, to, note, payload in TicketEvent.objects.order_by(
                  "ticket__created_at", "ticket_id", "at", "id").values_list(
                  "ticket__created_at", "at", "kind", "actor_id", "from_state", "to_state", "note", "payload")]
    assignments = list(Assignment.objects.order_by("ticket__created_at", "id").values_list(
        "unit_id", "role", "state", "active", "dispatched_at", "reply_due", "signed_at", "replied_at"))
    return tickets, events, assignments


def events_by_ticket():
    found = defaultdict(list)
    for e in TicketEvent.objects.order_by("at", "id"):
        found[e.ticket_id].append(e)
    return found


def test_same_seed_same_tickets(demo):
    first = snapshot()
    assert len(first[0]) == 300
    assert delete_demo() == 300
    assert not Ticket.objects.exists() and not DemoDataset.objects.exists()
    generate(n=300, seed=7, now=NOW, progress=False)
    assert snapshot() == first


def test_another_seed_other_tickets(demo):
    first = snapshot()[0]
    delete_demo()
    generate(n=300, seed=8, now=NOW, progress=False)
    assert snapshot()[0] != first


def test_every_state_shows(demo):
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == set(ALL_STATES)
    assert Ticket.objects.filter(state="closed").exclude(special_class="").exists()
    assert Ticket.objects.filter(state="merged", parent__isnull=False).exists()
    assert Ticket.objects.filter(channel="patrol").exists()
    # most tickets are closed, and the open ones are recent
    assert Ticket.objects.filter(state="closed").count() > 0.7 * 300
    assert demo.tickets == 300 and demo.first_id and demo.last_id - demo.first_id == 299


def test_times_lie_in_the_last_six_months(demo):
    first, last = Ticket.objects.order_by("created_at").values_list("created_at", flat=True)[::299]
    assert (NOW - first).days <= 183 and last <= NOW
    assert not TicketEvent.objects.filter(at__gt=NOW).exists()


def test_events_tell_the_story_in_order(demo):
    """Every ticket starts with its intake; each event starts in the state the previous one left."""
    found = events_by_ticket()
    for ticket in Ticket.objects.all():
        events = found[ticket.pk]
        assert events[0].kind == "intake" and events[0].at == ticket.created_at and events[0].to_state == "new"
        state = "new"
        for event in events[1:]:
            assert event.at >= ticket.created_at
            assert event.from_state == state, (ticket.pk, event.kind, event.from_state, state)
            state = event.to_state
        assert state == ticket.state, ticket.pk


def test_assignments_match_states(demo):
    found = defaultdict(list)
    for a in Assignment.objects.select_related("unit"):
        found[a.ticket_id].append(a)
    answered = set(TicketEvent.objects.filter(kind="answer").values_list("ticket_id", flat=True))
    checked = 0
    for ticket in Ticket.objects.all():
        active = [a for a in found[ticket.pk] if a.active]
        leads = [a for a in active if a.role == "lead"]
        if ticket.state in ("new", "answered", "merged") or ticket.parent_id or ticket.pk in answered \
                or ticket.special_class:
            assert not leads, ticket.pk
            continue
        assert len(leads) == 1 and leads[0].unit_id == ticket.lead_unit_id, ticket.pk
        lead = leads[0]
        if lead.unit.kind == UnitKind.STREET:  # a street's dispatch copies its district
            assert any(a.role == "copy" and a.unit_id == lead.unit.district_id for a in active)
        if ticket.state in ("signed", "contacted", "replied", "closed"):
            assert lead.signed_at is not None
        if ticket.state in ("contacted", "replied", "closed"):
            assert lead.contacted_at is not None
        if ticket.state in ("replied", "closed"):
            assert lead.replied_at is not None and ticket.replied_at == lead.replied_at
        if ticket.state == "closed":
            assert all(a.state == "done" for a in active)
            checked += 1
        assert all(not a.active and a.state == "withdrawn" for a in found[ticket.pk] if a not in active)
    assert checked > 100


def test_deadlines_come_from_the_time_limit_class(demo):
    for ticket in Ticket.objects.select_related("category")[:120]:
        limits = time_limit_class(ticket)
        assert ticket.dispatch_due == due(ticket.created_at, limits, "dispatch")
        for a in Assignment.objects.filter(ticket=ticket):
            assert a.sign_due == due(a.dispatched_at, limits, "sign")
            assert a.contact_due == due(a.dispatched_at, limits, "contact")
            if not ticket.extensions.filter(state="approved", assignment=a).exists():
                assert a.reply_due == due(a.dispatched_at, limits, "reply")


def test_warnings_match_the_deadlines_at_now(demo):
    fraction = settings.JIESU["WARNING_FRACTION"]
    open_tickets = Ticket.objects.filter(state__in=("new", "dispatched", "signed", "contacted"))
    assert open_tickets.exists()
    for ticket in open_tickets:
        start, due_at, step = current_deadline(ticket)
        unit = limit_unit(ticket, step)  # the approaching point counted the way the limit runs (docs/calendar.md)
        assert ticket.warning_level == jobs.warning_level(NOW, start, due_at, fraction, unit, current_calendar()), \
            ticket.pk
        assert ticket.next_check_at == next_warning_at(ticket)
        assert ticket.next_check_at is None or ticket.next_check_at > NOW
    for ticket in Ticket.objects.exclude(state__in=("new", "dispatched", "signed", "contacted")):
        assert ticket.next_check_at is None
    # so the deadline worker, run at the demo's "now", finds nothing to do
    assert jobs.scan_once(now=NOW) == 0


def test_overdue_and_late_tickets_exist_at_scale(demo_world):
    generate(n=1500, seed=3, now=NOW, progress=False)
    assert TicketEvent.objects.filter(kind="overdue").exists()
    assert TicketEvent.objects.filter(kind="reply", payload__late=True).exists()
    assert TicketEvent.objects.filter(kind="return").exists()
    assert TicketEvent.objects.filter(kind="extension_decision").exists()
    assert TicketEvent.objects.filter(kind="supervise").exists()
    reached = Callback.objects.filter(reached=True)
    satisfied = reached.exclude(satisfied="dissatisfied").count() / reached.count()
    resolved = reached.exclude(resolved="unresolved").count() / reached.count()
    assert 0.93 < satisfied < 0.995 and 0.93 < resolved < 0.995
    assert Ticket.objects.filter(rehandle_round__gt=0).exists()


def test_coordinates_lie_in_the_tickets_grid(demo):
    from jiesu.units.services import locate_point

    located = Ticket.objects.exclude(lon=None).select_related("grid", "street")[:40]
    assert located
    for ticket in located:
        place = locate_point(ticket.lon, ticket.lat)
        assert place["grid"].pk == ticket.grid_id and place["street"].pk == ticket.street_id


def test_demo_users_act_in_the_demo(demo):
    from jiesu.accounts.models import User

    street = User.objects.get(username="street")
    assert TicketEvent.objects.filter(actor=street).exists()
    assert Ticket.objects.filter(citizen_user__username="citizen").exists()
    assert TicketEvent.objects.filter(actor__username="calltaker", kind="intake").exists()


def test_rows_made_after_the_demo_get_fresh_ids(demo):
    """The demo gives ids itself; the database's sequences must continue after them (PostgreSQL)."""
    from jiesu.units.models import Unit

    ticket = Ticket.objects.create(title="t", text="t", created_at=NOW)
    assert ticket.pk > demo.last_id
    top = Assignment.objects.order_by("-id").values_list("id", flat=True).first()
    assignment = Assignment.objects.create(ticket=ticket, unit=Unit.objects.get(code="110101001"), role="lead",
                                           dispatched_at=NOW)
    assert assignment.pk > top


def test_tickets_spread_like_a_hotline_over_hours_days_categories_places_and_seasons(demo_world):
    from datetime import date
    from zoneinfo import ZoneInfo

    generate(n=3000, seed=5, now=NOW, progress=False)
    rows = list(Ticket.objects.values_list("created_at", "category__code", "street_id", "channel"))
    local = [(c.astimezone(ZoneInfo("Asia/Shanghai")), code, street, channel) for c, code, street, channel in rows]
    hours = [t.hour for t, *_ in local]
    assert sum(9 <= h < 18 for h in hours) > 0.5 * len(hours)      # the working day carries most calls
    assert sum(h < 6 for h in hours) < 0.08 * len(hours)           # few at night
    days = defaultdict(int)
    for t, *_ in local:
        days[t.date()] += 1
    weekday = [n for d, n in days.items() if d.weekday() < 5]
    weekend = [n for d, n in days.items() if d.weekday() >= 5]
    assert sum(weekend) / len(weekend) < 0.9 * sum(weekday) / len(weekday)
    codes = [code for _t, code, *_ in local]
    assert len(set(codes)) >= 60 and max(codes.count(c) for c in set(codes)) < 0.15 * len(codes)
    assert len({street for *_, street, _c in local}) >= 10           # across 东城区's streets
    heating = [t.date() for t, code, *_ in local if code and code.startswith("02.05")]
    in_season = sum(d >= date(2026, 11, 15) for d in heating) / 6    # per day, 15–20 November
    summer = sum(date(2026, 6, 1) <= d <= date(2026, 8, 31) for d in heating) / 92
    assert in_season > 5 * max(summer, 0.01)                        # heating calls come with the season
    phone = sum(channel == "phone" for *_, channel in local) / len(local)
    assert 0.6 < phone < 0.85


def test_the_desk_log_gives_the_accuracy_page_its_history(demo_world):
    """One DispatchSuggestion per first dispatch, consistent with what was dispatched; suggestion #1 taken
    more often late than early (profiles.DESK_TOP1_SHARE); upheld returns mostly where the dispatcher did not
    take the unit the engine named first."""
    from datetime import timedelta

    from jiesu.dispatch.models import DispatchSuggestion
    from jiesu.dispatch.services import accuracy_report

    generate(n=1500, seed=3, now=NOW, progress=False)
    rows = list(DispatchSuggestion.objects.select_related("ticket"))
    assert len(rows) == Ticket.objects.filter(assignments__role="lead").distinct().count() > 1000
    for row in rows[:200]:
        first = Assignment.objects.filter(ticket=row.ticket, role="lead").order_by("id").first()
        assert (row.lead_unit_id, row.at, row.category_id) == (first.unit_id, first.dispatched_at, row.ticket.category_id)
        assert (row.district_id, row.street_id) == (row.ticket.district_id, row.ticket.street_id)  # the place logged
        assert [s["rank"] for s in row.suggested] == [1, 2, 3] and row.confidence == row.suggested[0]["confidence"]
        if row.accepted_rank:
            taken = row.suggested[row.accepted_rank - 1]
            assert (taken["category"]["id"], taken["lead"]["id"]) == (row.category_id, row.lead_unit_id)
    report = accuracy_report(since=NOW - timedelta(days=200), until=NOW + timedelta(days=1))
    assert report.total["n"] == len(rows) and 0.7 < report.total["top1_share"] < 0.86
    weeks = sorted(report.weeks, key=lambda w: w["monday"])
    early, late = weeks[:8], weeks[-8:]
    share = lambda ws: sum(w["top1"] for w in ws) / sum(w["n"] for w in ws)  # noqa: E731
    assert share(late) > share(early)
    returns = {r["group"]: r for r in report.returns}
    assert returns["differed"]["share"] > returns["top"]["share"] and returns["differed"]["returned"] > 0
    district = Ticket.objects.exclude(district=None).values_list("district", flat=True).first()
    supervisor = User(role=Role.SUPERVISOR, unit_id=district)  # counts what the supervisor may see, all of it
    seen = accuracy_report(since=NOW - timedelta(days=200), until=NOW + timedelta(days=1), user=supervisor)
    assert seen.total["n"] == DispatchSuggestion.objects.filter(ticket__in=visible_tickets(supervisor)).count() > 0
    assert delete_demo() == 1500 and not DispatchSuggestion.objects.exists()
