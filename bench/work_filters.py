"""The work list's filters by street, category and next-step deadline (tickets.work_views), on a department's work.

    .venv/bin/python bench/work_filters.py --db /tmp/work_filters.sqlite3     # builds it once
    scripts/with-postgres.sh .venv/bin/python bench/work_filters.py          # PostgreSQL (a throw-away server)

The database: OPEN open tickets led by one city department (a fifth to sign for, a fifth to contact, the rest to
reply to; deadlines spread from two days past to five days ahead), of STREETS streets and CATEGORIES leaf categories,
and OTHER tickets of another department. Timed, --rounds times each (median wall, CPU a page): what the work list
asks the database for its first page, the 25 rows and the two tabs' counts, without a filter and with each new one.
Last line: JSON.
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

OPEN, OTHER, STREETS, CATEGORIES = 5_000, 20_000, 40, 20
BATCH = 5_000


def build(now):
    from django.core.management import call_command
    from django.db import connection

    from jiesu.accounts.models import Role, User
    from jiesu.categories.models import Category
    from jiesu.tickets.models import Assignment, State, Ticket
    from jiesu.units.models import Unit

    call_command("migrate", verbosity=0)
    if Ticket.objects.exists():
        return User.objects.get(username="bench-dept")
    district = Unit.objects.create(code="110101", name="东城区", kind="district")
    streets = Unit.objects.bulk_create([Unit(code=f"110101{i:03d}", name=f"第{i}街道", kind="street",
                                             parent=district) for i in range(1, STREETS + 1)])
    dept, other = (Unit.objects.create(code=code, name=name, kind="department")
                   for code, name in (("CD-RSJ", "市人力资源和社会保障局"), ("CD-SCJG", "市市场监督管理局")))
    top = Category.objects.create(code="01", name="城市管理", level=1)
    mid = Category.objects.create(code="01.01", name="街面秩序", level=2, parent=top)
    leaves = Category.objects.bulk_create([Category(code=f"01.01.{i:02d}", name=f"类别{i}", level=3, parent=mid)
                                           for i in range(1, CATEGORIES + 1)])
    user = User.objects.create_user("bench-dept", role=Role.UNIT_STAFF, unit=dept)
    steps = (("pending", State.DISPATCHED), ("signed", State.SIGNED), ("contacted", State.CONTACTED))
    for start in range(0, OPEN + OTHER, BATCH):
        stop = min(start + BATCH, OPEN + OTHER)
        rows = []
        for i in range(start, stop):
            assignment_state, state = steps[min(i % 5, 2)]
            due = now + timedelta(hours=(i * 7) % 168 - 48)
            rows.append((i, assignment_state, due, Ticket(
                query_code=f"W{i:09d}", title="拖欠工资", text="公司拖欠三个月工资", district=district,
                street=streets[i % STREETS], category=leaves[i % CATEGORIES], state=state,
                created_at=now - timedelta(days=2), dispatched_at=now - timedelta(days=2), reply_due=due)))
        tickets = Ticket.objects.bulk_create([ticket for _i, _s, _d, ticket in rows])
        Assignment.objects.bulk_create([
            Assignment(ticket=ticket, unit=dept if i < OPEN else other, role="lead", state=assignment_state,
                       dispatched_at=ticket.dispatched_at, sign_due=due, contact_due=due, reply_due=due)
            for (i, assignment_state, due, _t), ticket in zip(rows, tickets)])
    with connection.cursor() as sql:  # the planner's statistics, as autovacuum keeps them on a server
        sql.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE main")
    return user


def first_page(user, narrowing):
    """What the work list asks for its first page: the 25 rows with their tickets and the two tabs' counts."""
    from django.utils import timezone

    from jiesu.tickets import queries
    from jiesu.tickets.work_views import narrowed, view_counts

    now, filters = timezone.now(), queries.WorkFilters()
    rows = list(narrowed(queries.worklist(user, filters, now), narrowing, now)[:25])
    return rows, view_counts(user, filters, narrowing, now)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="the SQLite file (built when it holds no ticket); without it, the database "
                                     "of the settings (JIESU_DATABASE_URL: PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    setup_django(args.db)
    from django.db import connection
    from django.utils import timezone

    from jiesu.tickets.models import Assignment
    from jiesu.tickets.work_views import Narrowing
    from jiesu.units.models import Unit

    print(f"machine: {machine()}; database: {connection.vendor}")
    started = time.perf_counter()
    user = build(timezone.now())
    print(f"{Assignment.objects.count():,} assignments (built in {time.perf_counter() - started:.0f} s)")
    street = Unit.objects.get(code="110101007").pk
    cases = {"none": Narrowing(), "street": Narrowing(street=street), "category_leaf": Narrowing(category="01.01.03"),
             "category_mid": Narrowing(category="01.01"), "due_today": Narrowing(due="today"),
             "due_working_day": Narrowing(due="working_day"), "due_overdue": Narrowing(due="overdue"),
             "street_and_overdue": Narrowing(street=street, due="overdue")}
    figures = {}
    for name, narrowing in cases.items():
        rows, counts = first_page(user, narrowing)
        timed(lambda: first_page(user, narrowing), 3)
        wall, cpu = timed(lambda: first_page(user, narrowing), args.rounds)
        figures[name] = {"median_ms": round(wall, 2), "cpu_ms": round(cpu, 2), "listed": counts["current"]}
        print(f"{name:20} {counts['current']:5} listed, median {wall:.2f} ms, CPU {cpu:.2f} ms, "
              f"load {os.getloadavg()[0]:.1f}")
    print(json.dumps({"vendor": connection.vendor, "open": OPEN, "other": OTHER, **figures,
                      "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
