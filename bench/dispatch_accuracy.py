"""What the dispatch accuracy page (/dispatch/accuracy/) costs at a city's scale: N logged dispatches.

    .venv/bin/python bench/dispatch_accuracy.py --dispatches 300000 --db sqlite
    scripts/with-postgres.sh .venv/bin/python bench/dispatch_accuracy.py --dispatches 1000000 --db postgres

Sets up a throw-away database as bench/import.py does, imports T tickets (--tickets, with their categories, so
that they have a street, a district and a lead unit), then writes N DispatchSuggestion rows spread over the
last 12 weeks (as the desk logs them: suggestion #1 taken 80 % of the time, #2 or #3 10 %, overridden 10 %,
auto-dispatched 5 %, three model versions, a top confidence between 0.2 and 1), and times
services.accuracy_report(weeks=12) — everything the page shows — for a city-wide supervisor and for a
district's, each twice (the second run with the database's caches warm). Beijing dispatches about 70,000
tickets a day: 12 weeks are about 5.9 million rows.

Then the worker's hourly job counts ahead the reports of both (they logged in this week; a report of KEEP_ROWS
logged dispatches or more is kept as an AccuracySnapshot), and a visit as the page makes it
(services.accuracy_for) reads the kept one.

Prints the machine and the figures, and as its last line JSON {"dispatches", "city_s", "snapshot_ms",
"district_s", "district_rows", "prepared", "prepare_s", "first_visit_ms", "us_per_row"} (the warm runs;
prepared / prepare_s: the reports the worker kept and its seconds; first_visit_ms: the district supervisor's
first visit after it; snapshot_ms: a city-wide visit reading the snapshot; us_per_row: the city-wide run's
microseconds per logged row).
"""
import argparse
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine  # noqa: E402

_importer_bench = __import__("bench.import", fromlist=["generate"])  # `import` is a keyword


def write_dispatches(n, seed=7, batch=20_000):
    """N logged dispatches over the last 12 weeks, on random imported tickets."""
    from django.utils import timezone

    from jiesu.dispatch.models import DispatchSuggestion, SuggestionSource
    from jiesu.tickets.models import Ticket

    rng = random.Random(seed)
    tickets = list(Ticket.objects.exclude(category=None).values_list("pk", "category_id", "category__code",
                                                                      "category__name", "lead_unit_id",
                                                                      "district_id", "street_id"))
    now, span = timezone.now(), 12 * 7 * 86400
    versions = ["desk-1", "desk-2", "desk-3"]
    made = 0
    while made < n:
        rows = []
        for _ in range(min(batch, n - made)):
            pk, category, code, name, lead, district, street = rng.choice(tickets)
            draw = rng.random()
            rank = 1 if draw < 0.8 else (rng.choice((2, 3)) if draw < 0.9 else None)
            auto = rank == 1 and rng.random() < 0.06
            at = now - timedelta(seconds=rng.random() * span)
            rows.append(DispatchSuggestion(
                ticket_id=pk, category_id=category, lead_unit_id=lead, accepted_rank=rank,
                category_rank=rank, unit_rank=rank, model_version=versions[min(2, int((now - at).days / 28))],
                confidence=0.2 + 0.8 * rng.random(), source=SuggestionSource.AUTO if auto else SuggestionSource.DESK,
                at=at, suggested=[{"rank": 1, "category": {"code": code, "name": name}, "confidence": 0.9}],
                district_id=district, street_id=street))
        DispatchSuggestion.objects.bulk_create(rows, batch_size=batch)
        made += len(rows)


def users():
    """A city-wide supervisor and the supervisor of the district with the most tickets."""
    from django.db.models import Count
    from django.utils import timezone

    from jiesu.accounts.models import Role, User
    from jiesu.tickets.models import Ticket
    from jiesu.units.models import Unit

    logged_in = timezone.now()  # both count as seen this week: the worker counts their reports ahead
    city = Unit.objects.get(kind="city")
    district = (Ticket.objects.values("district").annotate(n=Count("id")).order_by("-n").first())["district"]
    return (User.objects.create(username="bench-city", role=Role.SUPERVISOR, unit=city, last_login=logged_in),
            User.objects.create(username="bench-district", role=Role.SUPERVISOR, unit_id=district,
                                last_login=logged_in))


def timed(user, runs=2):
    from jiesu.dispatch import services as desk

    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        report = desk.accuracy_report(weeks=12, user=user)
        seconds.append(time.perf_counter() - started)
    return seconds, report.total["n"]


def counted_ahead(district):
    """The worker's hourly job counting the reports of who logged in lately (jobs.prepare_accuracy_snapshots), then
    the district supervisor's first visit: (audiences kept, the job's seconds, the first visit's seconds)."""
    from django.utils import timezone

    from jiesu.dispatch import jobs
    from jiesu.dispatch import services as desk

    started = time.perf_counter()
    prepared = jobs.prepare_accuracy_snapshots(timezone.now())
    job_s = time.perf_counter() - started
    started = time.perf_counter()
    desk.accuracy_for(district, 12)
    return prepared, job_s, time.perf_counter() - started


def from_snapshot(user):
    """The page's figures as a visit gets them once a snapshot is kept (services.accuracy_for): (seconds of that
    visit, the snapshot's size in bytes)."""
    from jiesu.dispatch import services as desk
    from jiesu.dispatch.models import AccuracySnapshot

    desk.accuracy_for(user, 12)  # counts and, from KEEP_ROWS dispatches, keeps it
    started = time.perf_counter()
    _report, computed_at = desk.accuracy_for(user, 12)
    seconds = time.perf_counter() - started
    if computed_at is None:
        return seconds, 0  # few enough to count at every visit: no snapshot
    return seconds, len(AccuracySnapshot.objects.get(audience=desk.audience(user), weeks=12).report)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dispatches", type=int, default=300_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--model-dir", default=str(ROOT / "var" / "models"))
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="jiesu-bench-accuracy-") as workdir:
        _importer_bench.setup_django(workdir, args.db, args.model_dir)
        from django.db import connection

        from jiesu.importer.services import run_import

        _importer_bench.build_database()
        path = Path(workdir) / "tickets.csv"
        _importer_bench.generate(path, args.tickets, "code", categories=_importer_bench.leaf_codes())
        _importer_bench.load_model()
        run_import(path, "csv", report=Path(workdir) / "rejected.csv", progress=False)
        started = time.perf_counter()
        write_dispatches(args.dispatches)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"database: {connection.vendor}; {args.dispatches:,} logged dispatches written in "
              f"{time.perf_counter() - started:.1f} s")
        city, district = users()
        city_s, city_n = timed(city)
        district_s, district_n = timed(district)
        print(f"accuracy page, 12 weeks, city-wide ({city_n:,} rows): {city_s[0]:.2f} s, warm {city_s[1]:.2f} s")
        print(f"accuracy page, 12 weeks, one district ({district_n:,} rows): {district_s[0]:.2f} s, warm "
              f"{district_s[1]:.2f} s")
        prepared, job_s, first_s = counted_ahead(district)
        print(f"the worker counted ahead and kept {prepared} report(s) in {job_s:.2f} s; the district supervisor's "
              f"first visit: {1000 * first_s:.1f} ms")
        snap_s, snap_bytes = from_snapshot(city)
        print(f"a visit once the snapshot is kept (city-wide): {1000 * snap_s:.1f} ms"
              + (f", snapshot {snap_bytes / 1024:.0f} KB" if snap_bytes else " (counted live: no snapshot)"))
        per_row = 1e6 * city_s[1] / max(1, city_n)
        print(f"≈ {per_row:.1f} µs per logged dispatch: Beijing's 12 weeks (≈ 5.9 million) ≈ "
              f"{per_row * 5.9:.0f} s city-wide")
        print(json.dumps({"dispatches": args.dispatches, "city_s": round(city_s[1], 2),
                          "snapshot_ms": round(1000 * snap_s, 1),
                          "district_s": round(district_s[1], 2), "district_rows": district_n,
                          "prepared": prepared, "prepare_s": round(job_s, 2),
                          "first_visit_ms": round(1000 * first_s, 1),
                          "us_per_row": round(per_row, 2)}))


if __name__ == "__main__":
    main()
