"""The dispatch queue's emergency poll (tickets.emergencies.new_emergencies) when nothing is new, the committed code
against the working tree's, on a large SQLite database. (First written for the second cursor, the events' id range;
since, the cursors hold what they read above a gap, core/id_cursor.py.)

    .venv/bin/python bench/emergency_poll.py --db /tmp/poll.sqlite3              # builds it once (~2-4 min)
    .venv/bin/python bench/emergency_poll.py --db /tmp/poll.sqlite3 --polls 300 --pairs 6

The database: TICKETS tickets, WAITING of them awaiting dispatch (the newest), the rest closed, EVENTS_PER
ticket events each. "before" is the poll as committed at git revision --before (default HEAD), loaded from
`git show` as a module of its own, called with the ids of revisions before id_cursor (an int per cursor) when
it takes those; "after" is the working tree's. The two are alternated in --pairs rounds of
--polls polls each; per round, the median wall time and the CPU time per poll. Then the menu's unread count of the
notices page (tickets.notices.unread_count) for the dispatcher, with NOTICES emergency notices to the hotline
centre, UNREAD of them unread (added once). Last line: JSON.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django  # noqa: E402

TICKETS, WAITING, EVENTS_PER = 200_000, 5_000, 3
NOTICES, UNREAD = 20_000, 200
BATCH = 5_000


def build(now):
    from django.core.management import call_command

    from jiesu.accounts.models import Role, User
    from jiesu.tickets.models import State, Ticket, TicketEvent
    from jiesu.units.models import Unit

    call_command("migrate", verbosity=0)
    if Ticket.objects.exists():
        return User.objects.get(username="bench-dispatcher")
    hotline = Unit.objects.create(code="HC", name="12345热线中心", kind="hotline_center")
    district = Unit.objects.create(code="110101", name="东城区", kind="district")
    dispatcher = User.objects.create_user("bench-dispatcher", role=Role.DISPATCHER, unit=hotline)
    for start in range(0, TICKETS, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, TICKETS)):
            waiting = i >= TICKETS - WAITING
            rows.append(Ticket(query_code=f"B{i:09d}", title="东华门大街有人占道经营", text="堵塞人行道，请派人处理",
                               district=district, state=State.NEW if waiting else State.CLOSED,
                               created_at=now - timedelta(minutes=TICKETS - i), dispatch_due=now + timedelta(hours=1)))
        tickets = Ticket.objects.bulk_create(rows)
        TicketEvent.objects.bulk_create([
            TicketEvent(ticket=t, at=t.created_at, kind=kind, from_state=before, to_state=after)
            for t in tickets for kind, before, after in (("intake", "", State.NEW),
                                                         ("dispatch", State.NEW, State.DISPATCHED),
                                                         ("close", State.DISPATCHED, State.CLOSED))[:EVENTS_PER]])
    return dispatcher


def add_notices(now):
    from jiesu.tickets.models import Notice, NoticeKind, Ticket
    from jiesu.units.models import Unit

    if Notice.objects.exists():
        return
    hotline = Unit.objects.get(code="HC")
    ids = list(Ticket.objects.order_by("-pk").values_list("pk", flat=True)[:NOTICES])
    Notice.objects.bulk_create([Notice(ticket_id=pk, unit=hotline, kind=NoticeKind.EMERGENCY, text="疑似紧急",
                                       created_at=now, read_at=None if i < UNREAD else now)
                                for i, pk in enumerate(ids)], batch_size=BATCH)


def committed_module(revision):
    source = subprocess.run(["git", "show", f"{revision}:jiesu/tickets/emergencies.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("emergencies_before", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, "emergencies_before.py", "exec"), module.__dict__)
    return module


def before_poll(module, dispatcher, cursor, event_cursor):
    """The committed revision's poll: with ids when it predates id_cursor, else with the cursors."""
    if hasattr(module, "last_ticket_id"):
        return lambda: module.new_emergencies(dispatcher, cursor.after, after_event=event_cursor.after)
    return lambda: module.new_emergencies(dispatcher, cursor, event_cursor=event_cursor)


def timed(poll, polls):
    """(median ms of the polls' wall times, ms of CPU a poll)."""
    walls, cpu = [], time.process_time()
    for _ in range(polls):
        start = time.perf_counter()
        poll()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls) * 1e3, (time.process_time() - cpu) / polls * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="the SQLite file (built when it holds no ticket)")
    parser.add_argument("--polls", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--before", default="HEAD", help="the git revision of the poll before")
    args = parser.parse_args()
    setup_django(args.db)
    from django.utils import timezone

    from jiesu.tickets import emergencies
    from jiesu.tickets.models import Ticket, TicketEvent

    started = time.perf_counter()
    dispatcher = build(timezone.now())
    print(f"database: {Ticket.objects.count():,} tickets, {Ticket.objects.filter(state='new').count():,} awaiting "
          f"dispatch, {TicketEvent.objects.count():,} events (ready in {time.perf_counter() - started:.0f} s)")
    before = committed_module(args.before)
    cursor, event_cursor = emergencies.ticket_start_cursor(), emergencies.event_start_cursor()
    assert not cursor.held and not event_cursor.held
    polls = {"before": before_poll(before, dispatcher, cursor, event_cursor),
             "after": lambda: emergencies.new_emergencies(dispatcher, cursor, event_cursor=event_cursor)}
    for poll in polls.values():
        assert poll().count == 0
        timed(poll, 20)  # warm
    runs = {name: [] for name in polls}
    for _ in range(args.pairs):
        for name, poll in polls.items():
            wall, cpu = timed(poll, args.polls)
            runs[name].append({"median_ms": round(wall, 3), "cpu_ms": round(cpu, 3)})
            print(f"{name:6} median {wall:.3f} ms, CPU {cpu:.3f} ms a poll, load {os.getloadavg()[0]:.1f}")
    from jiesu.tickets.notices import unread_count

    add_notices(timezone.now())
    assert unread_count(dispatcher) == UNREAD
    counts = [timed(lambda: unread_count(dispatcher), args.polls) for _ in range(args.pairs)]
    print(f"menu count of {UNREAD} unread among {NOTICES:,} notices: median "
          f"{statistics.median(c[0] for c in counts):.3f} ms, CPU {statistics.median(c[1] for c in counts):.3f} ms")
    summary = {name: {"median_ms": round(statistics.median(r["median_ms"] for r in rounds), 3),
                      "cpu_ms": round(statistics.median(r["cpu_ms"] for r in rounds), 3)}
               for name, rounds in runs.items()}
    print(json.dumps({"tickets": TICKETS, "waiting": WAITING, "events": TicketEvent.objects.count(),
                      "polls": args.polls, "pairs": args.pairs, "summary": summary, "runs": runs,
                      "menu_count_ms": round(statistics.median(c[0] for c in counts), 3),
                      "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
