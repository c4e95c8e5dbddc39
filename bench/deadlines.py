"""Deadline arithmetic on the working calendar (jiesu.workcal.worktime), per call, no database.

    .venv/bin/python bench/deadlines.py [--n 20000]

The calendar is chinese_calendar's 2024–2026 (what seed_reference loads); starts are spread over 2025–2026
(holiday weeks included). Timed: add_limit for each step of the general class (dispatch 1 working day, sign 2
working hours, contact 1 working day, reply 7 working days), the complex reply (15 working days), a 30-working-day
extension, working_seconds_between over 10 days, and jiesu.demo.deadlines.FastClock (what the importer uses) for
the general class's four steps. Also: tickets a second on one core for the four general deadlines with add_limit,
i.e. what one core needs for 1,000,000 tickets. Last line: JSON.
"""
import argparse
import json
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


def per_call_us(fn, starts):
    t = time.perf_counter()
    for start in starts:
        fn(start)
    return (time.perf_counter() - t) / len(starts) * 1e6


def main():
    from chinese_calendar import constants

    from jiesu.demo.deadlines import FastClock
    from jiesu.workcal.worktime import WorkCalendar, add_limit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="starts timed per case")
    args = parser.parse_args()
    cal = WorkCalendar(frozenset(d for d in constants.holidays if 2024 <= d.year <= 2026),
                       frozenset(d for d in constants.workdays if 2024 <= d.year <= 2026))
    rng = random.Random(1)
    first = datetime(2025, 1, 1, tzinfo=TZ)
    starts = [first + timedelta(seconds=rng.randrange(0, 600 * 86400)) for _ in range(args.n)]
    general = ((1, "working_days"), (2, "working_hours"), (1, "working_days"), (7, "working_days"))
    cases = {
        "dispatch 1 working day": lambda s: add_limit(cal, s, 1, "working_days"),
        "sign 2 working hours": lambda s: add_limit(cal, s, 2, "working_hours"),
        "reply 7 working days": lambda s: add_limit(cal, s, 7, "working_days"),
        "reply 15 working days": lambda s: add_limit(cal, s, 15, "working_days"),
        "extension 30 working days": lambda s: cal.add_working_days(s, 30),
        "24 clock hours": lambda s: add_limit(cal, s, 24, "clock_hours"),
        "working time between, 10 days": lambda s: cal.working_seconds_between(s, s + timedelta(days=10)),
        "general class, 4 steps (add_limit)": lambda s: [add_limit(cal, s, a, u) for a, u in general],
    }
    clock = FastClock(cal, date(2024, 1, 1), date(2026, 12, 31))
    cases["general class, 4 steps (FastClock)"] = lambda s: [clock.add(s, a, u) for a, u in general]
    print(f"machine: {machine()}")
    results = {}
    for name, fn in cases.items():
        results[name] = round(per_call_us(fn, starts), 2)
        print(f"{name:40s} {results[name]:9.2f} µs a call")
    four = results["general class, 4 steps (add_limit)"]
    print(f"one core: {1e6 / four:,.0f} tickets a second (add_limit), 1,000,000 tickets in {four:.0f} s")
    print(json.dumps({"n": args.n, "us_per_call": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
