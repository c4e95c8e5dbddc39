"""Assessment at city scale: a month's ranking of all 343 streets and the city dashboard's queries.

    .venv/bin/python bench/kpi.py --tickets 1000000 --db sqlite
    scripts/with-postgres.sh .venv/bin/python bench/kpi.py --tickets 24000000 --db postgres

What it builds (a fresh database: `jiesu setup --no-demo-tickets`, i.e. the real org
tree of 16 districts, 343 streets, 120 departments, 6 enterprises and 643 categories):

* **rollup rows for N tickets over the 365 days up to today**, written directly (no ticket
  rows behind them): each day's tickets are drawn one by one (lead unit: streets 75 %,
  departments 15 %, enterprises 5 %, districts 3 %, none 2 %; category: Zipf over the 547
  leaf categories; channel: phone 75 %, web 10 %, app 8 %, patrol 5 %, sensor/API 1 % each;
  exclusion class: none 82 %, consultation 12 %, merged 3 %, special 2 %, unreasonable 1 %)
  and counted per (day, unit, category, channel, exclusion) into DailyRollup, with each
  ticket's outcomes drawn too (contact deadline due 97 %, on time 96 %, replied 90 % with a
  speed bucket, valid callback 75 % split 90/7/3 and 92/5/3, closed 85 %, upheld return 0.5 %).
  On SQLite the draws are made with numpy (outcomes drawn per row, binomially); on PostgreSQL
  inside the database, one INSERT … SELECT … GROUP BY per day over generate_series (the
  distributions are passed as lookup arrays), which is what makes 24 million feasible here.
  MonthlyRollup is then summed from DailyRollup in SQL, as the incremental upkeep would have it.
* **N × 7 / 365 open ticket rows** (the tickets being handled at any moment, about a week's
  intake), with reply deadlines from 7 days ago to 7 days ahead: the dashboard's overdue
  count reads the ticket table itself.

Then it times, each as the median of 5 runs after one cold run:
* ranking: services.ranking("street", last month) — 343 streets with last month's trend;
* then last month is published (services.publish_month: the four groups' rankings stored) and timed
  once; its street ranking read as published, and this month's (live, last month's trend from the
  published ranking), each median of 5;
* dashboard: services.city_overview() — volume today and this month, the five rates,
  top categories, overdue count;
* the city's volume series: dashboards.queries.volume_figures(today) — 400 days of
  kpi.DailyVolume (filled from the daily rows like MonthlyRollup).

Prints the machine and load average, then as its last line JSON
{"tickets", "ranking_ms", "dashboard_ms", "rss_mb", ...}.
"""
import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, peak_rss_mb  # noqa: E402

CHANNELS = ("phone", "web", "app", "patrol", "sensor", "api")
CHANNEL_P = (0.75, 0.10, 0.08, 0.05, 0.01, 0.01)
EXCLUSIONS = ("", "consult", "merged", "special", "unreasonable")
EXCLUSION_P = (0.82, 0.12, 0.03, 0.02, 0.01)
SPEED_P = (0.04, 0.06, 0.10, 0.15, 0.20, 0.15, 0.12, 0.09, 0.05, 0.02, 0.01, 0.01)
RUNS = 5


def configure(db):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    if db == "sqlite":
        os.environ.pop("JIESU_DATABASE_URL", None)
        os.environ["JIESU_SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="jiesu-kpi-bench-")) / "bench.sqlite3")
    elif not os.environ.get("JIESU_DATABASE_URL"):
        raise SystemExit("--db postgres needs JIESU_DATABASE_URL (run under scripts/with-postgres.sh)")
    import django

    django.setup()


def reference():
    """(unit ids with their draw weights, leaf category ids) from the set-up database."""
    import numpy as np

    from jiesu.categories.models import Category
    from jiesu.units.models import Unit

    groups = (("street", 0.75), ("department", 0.15), ("enterprise", 0.05), ("district", 0.03))
    ids, weights = [0], [0.02]
    for kind, share in groups:
        members = list(Unit.objects.filter(kind=kind).order_by("code").values_list("pk", flat=True))
        # within a group, a gentle skew: busy units get up to three times the quiet ones' tickets
        skew = np.linspace(3.0, 1.0, len(members))
        ids += members
        weights += list(share * skew / skew.sum())
    categories = list(Category.objects.filter(level=3).order_by("code").values_list("pk", flat=True))
    return np.array(ids), np.array(weights) / sum(weights), np.array(categories)


def day_rows(rng, n, units, unit_p, categories, cat_p):
    """One day's rollup rows: (unit, category, channel index, exclusion index, counters matrix)."""
    import numpy as np

    u = rng.choice(len(units), n, p=unit_p)
    c = rng.choice(len(categories), n, p=cat_p)
    h = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
    e = rng.choice(len(EXCLUSIONS), n, p=EXCLUSION_P)
    key = ((u.astype(np.int64) * len(categories) + c) * len(CHANNELS) + h) * len(EXCLUSIONS) + e
    keys, received = np.unique(key, return_counts=True)
    e, rest = keys % len(EXCLUSIONS), keys // len(EXCLUSIONS)
    h, rest = rest % len(CHANNELS), rest // len(CHANNELS)
    c, u = rest % len(categories), rest // len(categories)
    found_first = np.where(np.isin(h, (3, 4)), received, 0)
    resp_due = rng.binomial(received, 0.97)
    resp_on_time = rng.binomial(resp_due, 0.96)
    replied = rng.binomial(received, 0.90)
    speed = rng.multinomial(replied, SPEED_P)
    valid = rng.binomial(received, 0.75)
    resolved = rng.multinomial(valid, (0.90, 0.07, 0.03))
    satisfied = rng.multinomial(valid, (0.92, 0.05, 0.03))
    closed = rng.binomial(received, 0.85)
    upheld = rng.binomial(received, 0.005)
    counters = np.column_stack([received, found_first, resp_due, resp_on_time, replied, speed, resolved, satisfied,
                                closed, upheld])
    return units[u], categories[c], h, e, counters


def load_rollups(n_tickets, seed):
    """Write DailyRollup for a year of N tickets, then sum MonthlyRollup from it. Returns the row count."""
    import numpy as np
    from django.db import connection

    from jiesu.kpi.models import COUNTERS

    units, unit_p, categories = reference()
    ranks = np.arange(1, len(categories) + 1)
    cat_p = 1.0 / ranks ** 1.1
    cat_p /= cat_p.sum()
    rng = np.random.default_rng(seed)
    today = date.today()
    days = [today - timedelta(days=d) for d in range(364, -1, -1)]
    weights = np.array([0.8 if d.weekday() >= 5 else 1.0 for d in days])
    per_day = rng.multinomial(n_tickets, weights / weights.sum())
    columns = ["day", "unit_id", "category_id", "channel", "exclusion", *COUNTERS]
    if connection.vendor == "postgresql":
        _draw_in_postgres(connection, columns, days, per_day, seed, (units, unit_p), (categories, cat_p))
    else:
        for day, n in zip(days, per_day):
            unit_ids, category_ids, h, e, counters = day_rows(rng, int(n), units, unit_p, categories, cat_p)
            _write_day(connection, columns, day, unit_ids, category_ids, h, e, counters)
    _sum_months(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM kpi_dailyrollup")
        return cursor.fetchone()[0]


def _slots(values, p, size):
    """A lookup array: each value repeated about p·size times (a uniform pick from it draws with p)."""
    import numpy as np

    counts = np.maximum(1, np.round(np.asarray(p) * size).astype(int))
    return [v.item() if hasattr(v, "item") else v for v in np.repeat(np.asarray(values, dtype=object), counts)]


def _draw_in_postgres(connection, columns, days, per_day, seed, units, categories):
    """One INSERT … SELECT per day: every ticket drawn in SQL, grouped into rollup rows.

    Each distribution is a small lookup table (slot → value, values repeated by weight);
    a ticket picks a random slot of each by a hash join.
    """
    from jiesu.kpi.formulas import SPEED_BUCKETS

    lookups = {"lu": _slots(*units, 20000), "lc": _slots(*categories, 20000), "lh": _slots(CHANNELS, CHANNEL_P, 100),
               "le": _slots(EXCLUSIONS, EXCLUSION_P, 100), "ls": _slots(range(len(SPEED_P)), SPEED_P, 100)}
    speed = ", ".join(f"SUM(CASE WHEN replied = 1 AND bucket = {i} THEN 1 ELSE 0 END)" for i in range(SPEED_BUCKETS))
    picks = ", ".join(f"floor(random() * {len(v)})::int AS i_{name}" for name, v in lookups.items())
    joins = " ".join(f"JOIN {name} ON {name}.i = g.i_{name}" for name in lookups)
    sql = f"""
        INSERT INTO kpi_dailyrollup ({', '.join(columns)})
        SELECT %(day)s::date, unit_id, category_id, channel, exclusion,
               COUNT(*), SUM(CASE WHEN channel IN ('patrol', 'sensor') THEN 1 ELSE 0 END),
               SUM(due), SUM(due * on_time), SUM(replied), {speed},
               SUM(valid * (rr < 0.90)::int), SUM(valid * (rr >= 0.90 AND rr < 0.97)::int),
               SUM(valid * (rr >= 0.97)::int), SUM(valid * (ss < 0.92)::int),
               SUM(valid * (ss >= 0.92 AND ss < 0.97)::int), SUM(valid * (ss >= 0.97)::int),
               SUM(closed), SUM(upheld)
        FROM (
            SELECT lu.v::int AS unit_id, lc.v::int AS category_id, lh.v AS channel, le.v AS exclusion,
                   ls.v::int AS bucket, due, on_time, replied, valid, rr, ss, closed, upheld
            FROM (SELECT {picks}, (random() < 0.97)::int AS due, (random() < 0.96)::int AS on_time,
                         (random() < 0.90)::int AS replied, (random() < 0.75)::int AS valid, random() AS rr,
                         random() AS ss, (random() < 0.85)::int AS closed, (random() < 0.005)::int AS upheld
                  FROM generate_series(1, %(n)s)) g {joins}
        ) t
        GROUP BY unit_id, category_id, channel, exclusion"""
    with connection.cursor() as cursor:
        for name, values in lookups.items():
            cursor.execute(f"CREATE TEMPORARY TABLE {name} (i int PRIMARY KEY, v text)")
            with cursor.cursor.copy(f"COPY {name} (i, v) FROM STDIN") as copy:
                for i, v in enumerate(values):
                    copy.write_row((i, str(v)))
            cursor.execute(f"ANALYZE {name}")
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        for day, n in zip(days, per_day):
            cursor.execute(sql, {"day": day, "n": int(n)})


def _write_day(connection, columns, day, unit_ids, category_ids, h, e, counters):
    params = [(day.isoformat(), int(u), int(c), CHANNELS[ch], EXCLUSIONS[ex], *map(int, row))
              for u, c, ch, ex, row in zip(unit_ids, category_ids, h, e, counters)]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO kpi_dailyrollup ({', '.join(columns)}) "
                           f"VALUES ({', '.join(['%s'] * len(columns))})", params)


def _sum_months(connection):
    from jiesu.kpi.models import COUNTERS

    month = "date_trunc('month', day)::date" if connection.vendor == "postgresql" else "strftime('%Y-%m-01', day)"
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    with connection.cursor() as cursor:
        for dim, key in (("unit", "unit_id"), ("category", "category_id")):
            cursor.execute(f"INSERT INTO kpi_monthlyrollup (month, dim, key, exclusion, {', '.join(COUNTERS)}) "
                           f"SELECT {month}, '{dim}', {key}, exclusion, {sums} FROM kpi_dailyrollup "
                           f"GROUP BY {month}, {key}, exclusion")
        cursor.execute("INSERT INTO kpi_dailyvolume (day, unit_id, shard, received) "
                       "SELECT day, unit_id, 0, SUM(received) FROM kpi_dailyrollup GROUP BY day, unit_id")


def load_open_tickets(n, seed):
    """n tickets being handled now, reply deadlines spread over ±7 days (what the overdue count reads)."""
    import random

    from django.utils import timezone

    from jiesu.tickets.models import Ticket
    from jiesu.units.models import Unit

    rng = random.Random(seed)
    streets = list(Unit.objects.filter(kind="street").values_list("pk", "district_id"))
    now = timezone.now()
    batch = []
    for i in range(n):
        street, district = streets[i % len(streets)]
        created = now - timedelta(hours=rng.uniform(1, 24 * 10))
        batch.append(Ticket(query_code=f"B{i:011d}", title="占道经营", text="小区门口占道经营", state=rng.choice(
            ("dispatched", "signed", "contacted")), created_at=created, dispatched_at=created,
            reply_due=now + timedelta(hours=rng.uniform(-24 * 7, 24 * 7)), street_id=street, district_id=district,
            lead_unit_id=street))
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)


def timed(fn):
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(fn):
    """(cold ms, median of RUNS warm runs ms)."""
    cold = timed(fn)
    return cold, statistics.median(timed(fn) for _ in range(RUNS))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the year of history")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    if args.tickets < 1000:
        parser.error("--tickets must be at least 1000")
    configure(args.db)
    from django.core.management import call_command
    from django.db import connection

    from django.utils import timezone

    from jiesu.kpi import services

    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    call_command("setup", no_demo_tickets=True, no_progress=True, stdout=io.StringIO())
    print(f"set-up (org tree, categories): {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rows = load_rollups(args.tickets, args.seed)
    open_tickets = round(args.tickets * 7 / 365)
    load_open_tickets(open_tickets, args.seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from jiesu.kpi.models import MonthlyRollup

    monthly = MonthlyRollup.objects.count()
    print(f"generated: {rows} daily rollup rows, {monthly} monthly rows, {open_tickets} open ticket rows "
          f"for {args.tickets} tickets in {time.perf_counter() - started:.1f} s")
    month = services.previous_month(services.current_month())
    ranking = services.ranking("street", month)
    assert len(ranking.rows) == 343, len(ranking.rows)
    overview = services.city_overview()
    print(f"check: {len(ranking.rows)} streets ranked for {month:%Y-%m}, first {ranking.rows[0].name} "
          f"{ranking.rows[0].composite}; city this month {overview['volume_month']} tickets, "
          f"today {overview['volume_today']}, overdue {overview['overdue']}")
    ranking_cold, ranking_ms = measure(lambda: services.ranking("street", month))
    dashboard_cold, dashboard_ms = measure(lambda: services.city_overview())
    from jiesu.dashboards.queries import volume_figures

    series_cold, series_ms = measure(lambda: volume_figures(timezone.localdate()))
    started = time.perf_counter()
    services.publish_month(None, month)  # freeze last month: its four groups' rankings stored as they stand
    publish_ms = (time.perf_counter() - started) * 1000
    frozen_cold, frozen_ms = measure(lambda: services.ranking("street", month))
    assert services.ranking("street", month).published is not None
    this_month = services.current_month()
    open_cold, open_ms = measure(lambda: services.ranking("street", this_month))
    print(f"ranking of 343 streets: cold {ranking_cold:.1f} ms, median of {RUNS} {ranking_ms:.1f} ms")
    print(f"publishing last month (4 groups): {publish_ms:.1f} ms; its street ranking read as published: "
          f"cold {frozen_cold:.1f} ms, median {frozen_ms:.1f} ms; this month live, last month's trend from the "
          f"published ranking: cold {open_cold:.1f} ms, median {open_ms:.1f} ms")
    print(f"city dashboard: cold {dashboard_cold:.1f} ms, median of {RUNS} {dashboard_ms:.1f} ms")
    print(f"city volume series (400 days): cold {series_cold:.1f} ms, median of {RUNS} {series_ms:.1f} ms")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(json.dumps({"tickets": args.tickets, "ranking_ms": round(ranking_ms, 1),
                      "dashboard_ms": round(dashboard_ms, 1), "rss_mb": round(peak_rss_mb(), 1),
                      "db": args.db, "daily_rows": rows, "monthly_rows": monthly, "open_tickets": open_tickets,
                      "ranking_cold_ms": round(ranking_cold, 1), "dashboard_cold_ms": round(dashboard_cold, 1),
                      "series_ms": round(series_ms, 1), "series_cold_ms": round(series_cold, 1),
                      "publish_ms": round(publish_ms, 1), "frozen_ranking_ms": round(frozen_ms, 1),
                      "open_ranking_ms": round(open_ms, 1)}))


if __name__ == "__main__":
    main()
