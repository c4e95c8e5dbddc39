"""The notices page's first page (tickets.notices: unread first, then the newest), on a large database.

    .venv/bin/python bench/notices.py --db /tmp/notices.sqlite3          # builds it once
    scripts/with-postgres.sh .venv/bin/python bench/notices.py           # PostgreSQL (a throw-away server)

The database: NOTICES tickets, each with one notice to the hotline centre (UNREAD of them unread, the rest read),
and STREET_NOTICES of them also to a street office. Timed, --rounds times each (median wall, CPU a page): the first
page as the page asks it (the count, 25 rows with their tickets, the unread count of the heading) for a dispatcher
(the hotline centre's, who reads every ticket) and for the street's staff (who read the tickets of their street),
and the page after the unread ones (the read notices' first page). Last line: JSON.
"""
import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, setup_django  # noqa: E402
from bench.emergency_poll import timed  # noqa: E402

NOTICES, UNREAD, STREET_NOTICES = 100_000, 300, 10_000
BATCH = 5_000


def build(now):
    from django.core.management import call_command

    from jiesu.accounts.models import Role, User
    from jiesu.tickets.models import Assignment, Notice, NoticeKind, State, Ticket
    from jiesu.units.models import Unit

    call_command("migrate", verbosity=0)
    if Ticket.objects.exists():
        return User.objects.get(username="bench-dispatcher"), User.objects.get(username="bench-street")
    hotline = Unit.objects.create(code="HC", name="12345热线中心", kind="hotline_center")
    district = Unit.objects.create(code="110101", name="东城区", kind="district")
    street = Unit.objects.create(code="110101001", name="东华门街道", kind="street", parent=district)
    dispatcher = User.objects.create_user("bench-dispatcher", role=Role.DISPATCHER, unit=hotline)
    staff = User.objects.create_user("bench-street", role=Role.UNIT_STAFF, unit=street)
    for start in range(0, NOTICES, BATCH):
        stop = min(start + BATCH, NOTICES)
        tickets = Ticket.objects.bulk_create([
            Ticket(query_code=f"N{i:09d}", title="东华门大街有人占道经营", text="堵塞人行道，请派人处理",
                   district=district, street=street if i % (NOTICES // STREET_NOTICES) == 0 else None,
                   state=State.DISPATCHED, created_at=now - timedelta(minutes=NOTICES - i),
                   dispatch_due=now + timedelta(hours=1))
            for i in range(start, stop)])
        Assignment.objects.bulk_create([Assignment(ticket=t, unit=street, role="lead", state="pending",
                                                   dispatched_at=t.created_at)
                                        for t in tickets if t.street_id])
        rows = []
        for i, ticket in zip(range(start, stop), tickets):
            read = None if i >= NOTICES - UNREAD else ticket.created_at
            rows.append(Notice(ticket=ticket, unit=hotline, kind=NoticeKind.EMERGENCY, text="疑似紧急",
                               created_at=ticket.created_at, read_at=read))
            if ticket.street_id:
                rows.append(Notice(ticket=ticket, unit=street, kind=NoticeKind.OVERDUE, text="已超期",
                                   created_at=ticket.created_at, read_at=read))
        Notice.objects.bulk_create(rows)
    return dispatcher, staff


def first_page(user, page_number=1):
    """What the notices page asks: the paginator's count and page, the rows with their tickets, the heading's count."""
    from django.core.paginator import Paginator

    from jiesu.tickets import notices

    page = Paginator(notices.notices_for(user), 25).get_page(page_number)
    rows = list(page)
    notices.remember_unread(user)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="the SQLite file (built when it holds no ticket); without it, the database "
                                     "of the settings (JIESU_DATABASE_URL: PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    setup_django(args.db)
    from django.db import connection
    from django.utils import timezone

    from jiesu.tickets.models import Notice

    print(f"machine: {machine()}; database: {connection.vendor}")
    started = time.perf_counter()
    dispatcher, staff = build(timezone.now())
    print(f"{Notice.objects.count():,} notices (built in {time.perf_counter() - started:.0f} s)")
    read_page = UNREAD // 25 + 2
    cases = {"dispatcher_first_page": lambda: first_page(dispatcher),
             "dispatcher_read_page": lambda: first_page(dispatcher, read_page),
             "street_first_page": lambda: first_page(staff)}
    assert len(first_page(dispatcher)) == 25 and all(n.read_at is None for n in first_page(dispatcher))
    assert all(n.read_at is not None for n in first_page(dispatcher, read_page))
    figures = {}
    for name, call in cases.items():
        timed(call, 3)
        wall, cpu = timed(call, args.rounds)
        figures[name] = {"median_ms": round(wall, 2), "cpu_ms": round(cpu, 2)}
        print(f"{name:22} median {wall:.2f} ms, CPU {cpu:.2f} ms, load {os.getloadavg()[0]:.1f}")
    print(json.dumps({"vendor": connection.vendor, "notices": Notice.objects.count(), "unread": UNREAD,
                      **figures, "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
