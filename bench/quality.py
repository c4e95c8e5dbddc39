"""The reply-quality page (/quality/) city-wide, and the worker's incremental reply check, on a large database.

    .venv/bin/python bench/quality.py --db /tmp/quality.sqlite3 --replies 200000      # builds it once
    scripts/with-postgres.sh .venv/bin/python bench/quality.py --replies 200000        # PostgreSQL (throw-away)

The database: 16 districts of 20 streets each and 40 city departments; REPLIES lead replies over the last 30 days
(streets 80 %, departments 20 %; Beijing writes ≈ 65,000 a day, so 200,000 are three days of the city), a fifth of
them flagged (ReplyFlag), all marked checked (ReplyCheck, with their working hours, as the worker leaves them).

Timed (median and p95 of --rounds after one warm-up run; the old reading --old-rounds, no warm-up), for the city supervisor, a district supervisor and a street's clerk:
* `page`: what the page asks — the flags' count and first 30 rows, and the reply times per unit of 30 days;
* `old_times`: the reply times as they were read before 2026-12-07 (every lead reply of the 30 days, with its
  calendar, in Python: services.lead_replies + timing.summarise), for the before/after figures.
Then the worker: NEW fresh replies (real request and reply texts, 60 units), checked by services.check_new passes
(BATCH a transaction): replies a second. Prints the machine; last line JSON.
"""
import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, setup_django  # noqa: E402

BATCH = 5_000
PLACES = ["东华门大街", "景山前街", "交道口南大街", "西长安街", "朝阳门内大街", "和平里东街", "安定门外大街", "德胜门内大街"]
ASKS = ["小区垃圾清运不及时，臭味很大", "路灯不亮，晚上出行不安全", "早市摊贩占道经营，堵塞人行道", "暖气不热，室温只有15度",
        "施工噪音扰民，夜里十一点还在施工", "共享单车乱停放，堵塞盲道"]
REPLIES = ["您的留言已收悉。关于您反映的问题，已转相关部门调查处理，敬请关注后续回复，谢谢！",
           "经现场核实，{place}{ask}的情况属实，街道已于今日组织清理整治，并安排专人每日巡查。",
           "您好，我们会尽快处理，感谢您的理解和支持。",
           "经核查，{place}相关问题已责令责任单位整改，现已整改完毕。"]


def build(now, replies):
    from django.core.management import call_command

    from jiesu.accounts.models import Role, User
    from jiesu.quality import services
    from jiesu.quality.models import ReplyFlag
    from jiesu.tickets.models import Assignment, State, Ticket
    from jiesu.units.models import Unit

    call_command("migrate", verbosity=0)
    if Ticket.objects.exists():
        return {u: User.objects.get(username=f"bench-{u}") for u in ("city", "district", "street")}
    city = Unit.objects.create(code="110000", name="北京市", kind="city")
    districts, streets = [], []
    for d in range(16):
        district = Unit.objects.create(code=f"1101{d:02d}", name=f"第{d}区", kind="district", parent=city)
        districts.append(district)
        streets += [Unit.objects.create(code=f"1101{d:02d}{s:03d}", name=f"第{d}区第{s}街道", kind="street",
                                        parent=district) for s in range(20)]
    depts = [Unit.objects.create(code=f"CD-{k}", name=f"市第{k}局", kind="department", parent=city) for k in range(40)]
    users = {"city": User.objects.create_user("bench-city", role=Role.SUPERVISOR, unit=city),
             "district": User.objects.create_user("bench-district", role=Role.SUPERVISOR, unit=districts[0]),
             "street": User.objects.create_user("bench-street", role=Role.UNIT_STAFF, unit=streets[0])}
    rng = random.Random(7)
    span = timedelta(days=30).total_seconds()
    for start in range(0, replies, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, replies)):
            street = rng.choice(streets)
            unit = street if rng.random() < 0.8 else rng.choice(depts)
            created = now - timedelta(seconds=span * (replies - i) / replies)
            rows.append((street, unit, created, created + timedelta(hours=rng.expovariate(1 / 40))))
        tickets = Ticket.objects.bulk_create([
            Ticket(query_code=f"Q{start + k:011d}", title=ASKS[k % len(ASKS)], text=ASKS[k % len(ASKS)],
                   district=street.parent, street=street, lead_unit=unit, state=State.REPLIED, created_at=created,
                   dispatched_at=created, replied_at=replied)
            for k, (street, unit, created, replied) in enumerate(rows)])
        assignments = Assignment.objects.bulk_create([
            Assignment(ticket=t, unit=unit, role="lead", state="replied", dispatched_at=created, replied_at=replied,
                       reply_text=REPLIES[k % len(REPLIES)].format(place=PLACES[k % len(PLACES)], ask=t.title))
            for k, (t, (_s, unit, created, replied)) in enumerate(zip(tickets, rows))])
        services.mark_checked(assignments, now)
        ReplyFlag.objects.bulk_create([
            ReplyFlag(ticket_id=a.ticket_id, unit_id=a.unit_id, replied_at=a.replied_at, reasons=["no_result"],
                      relevance=0.01, checked_at=now) for a in assignments[::5]])
    return users


def page(user):
    from django.core.paginator import Paginator

    from jiesu.quality import services

    rows = Paginator(services.visible_flags(user), 30).get_page(1)
    return len(list(rows)), rows.paginator.count, services.unit_reply_times(user, 30)


def old_times(user):
    from django.utils import timezone

    from jiesu.core import scoping
    from jiesu.quality import services, timing
    from jiesu.tickets.models import Ticket
    from jiesu.workcal.services import current_calendar

    now = timezone.now()
    qs = services.lead_replies(now - timedelta(days=30), now).filter(
        ticket__in=scoping.visible_tickets(user, Ticket.objects.all()))
    if user.role == "unit_staff":
        qs = qs.filter(unit_id=user.unit_id)
    return timing.summarise(current_calendar(), [(a.unit, a.dispatched_at, a.replied_at) for a in qs])


def timed(call, rounds, warm=True):
    if warm:
        call()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def worker(new, now):
    """`new` replies written just now by 60 units, then checked by check_new passes: (seconds, replies checked)."""
    from jiesu.quality import services
    from jiesu.tickets.models import Assignment, State, Ticket, TicketEvent
    from jiesu.units.models import Unit

    units = list(Unit.objects.filter(kind="street").order_by("pk")[:60])
    rng = random.Random(11)
    tickets = Ticket.objects.bulk_create([
        Ticket(query_code=f"W{int(now.timestamp()) % 100000:05d}{i:06d}", title=f"{rng.choice(PLACES)}{rng.choice(ASKS)}",
               text=f"{rng.choice(PLACES)}附近{rng.choice(ASKS)}，请尽快处理", street=units[i % 60],
               district_id=units[i % 60].parent_id, lead_unit=units[i % 60], state=State.REPLIED,
               created_at=now - timedelta(hours=30), dispatched_at=now - timedelta(hours=30), replied_at=now)
        for i in range(new)])
    Assignment.objects.bulk_create([
        Assignment(ticket=t, unit=t.lead_unit, role="lead", state="replied", dispatched_at=t.created_at,
                   replied_at=now, reply_text=rng.choice(REPLIES).format(place=rng.choice(PLACES), ask=t.title))
        for t in tickets])
    TicketEvent.objects.bulk_create([TicketEvent(ticket=t, kind="reply", at=now) for t in tickets])
    started, done = time.perf_counter(), 0
    while True:
        n = services.check_new(now=now + timedelta(seconds=1))
        if not n:
            break
        done += n
    return time.perf_counter() - started, done


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="the SQLite file (built when it holds no ticket); without it, the database "
                                     "of the settings (JIESU_DATABASE_URL: PostgreSQL)")
    parser.add_argument("--replies", type=int, default=200_000)
    parser.add_argument("--new", type=int, default=1_000, help="fresh replies for the worker's passes")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--old-rounds", type=int, default=1, help="rounds of the old reading (no warm-up)")
    parser.add_argument("--skip-old", action="store_true", help="do not time the reply times as read before")
    args = parser.parse_args()
    setup_django(args.db)
    from django.db import connection
    from django.utils import timezone

    from jiesu.quality.models import ReplyCheck

    print(f"machine: {machine()}; database: {connection.vendor}; load {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    now = timezone.now()
    users = build(now, args.replies)
    print(f"{ReplyCheck.objects.count():,} replies (built in {time.perf_counter() - started:.0f} s)")
    figures = {}
    for who, user in users.items():
        flags, count, times = page(user)
        assert flags and count and times
        cases = {"page": lambda: page(user)}
        if not args.skip_old:
            assert [(t.unit.pk, t.replies) for t in old_times(user)] == [(t.unit.pk, t.replies) for t in times]
            cases["old_times"] = lambda: old_times(user)
        for name, call in cases.items():
            p50, p95 = timed(call, args.rounds) if name == "page" else timed(call, args.old_rounds, warm=False)
            figures[f"{who}_{name}"] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
            print(f"{who:8} {name:9} p50 {p50:9.1f} ms  p95 {p95:9.1f} ms  load {os.getloadavg()[0]:.1f}")
    seconds, done = worker(args.new, timezone.now())
    print(f"worker: {done} new replies checked in {seconds:.1f} s ({done / seconds:.0f} replies/s; "
          f"Beijing needs ≈ 0.75/s on average)")
    print(json.dumps({"vendor": connection.vendor, "replies": args.replies, **figures,
                      "worker_replies": done, "worker_s": round(seconds, 1),
                      "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
