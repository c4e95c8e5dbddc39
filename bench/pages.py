"""The list pages and the API's list endpoints at city volume: latency and SQL statements per page and role.

    scripts/with-postgres.sh .venv/bin/python bench/pages.py --tickets 1000000
    JIESU_DATABASE_URL=postgres://… .venv/bin/python bench/pages.py --reuse      # a database built before

Builds (or, with `--reuse`, takes as an earlier run built it, only migrated) a PostgreSQL database holding the demo city (东城区, its demo users,
tickets, grids, whistles, topics, forecasts, KPI roll-ups: tests/core/demo_city.py) plus N historical tickets
(default 1,000,000) imported by the bulk importer from bench/import.py's generated file (every row in one of
东城区's 17 streets, with its source category; COPY on PostgreSQL; docs/import.md), then VACUUMs and ANALYZEs
(as autovacuum would: an index-only scan needs the visibility map).

Then, as each role's demo user (call-taker, dispatcher, street official, department clerk, district clerk, street
head, city supervisor, grid worker), asks every list page and the API's list endpoints with Django's test Client
against that database: one untimed request (caches warm), then `--repeat` timed ones (fewer when a page has taken
`--budget` seconds already). Prints per page the status, p50 / p95 / max milliseconds, the SQL statements of one
request and the size of the answer; pages a role may not see (403, a redirect) are listed once and not timed.
Prints the machine (bench/common.py) and the load average, and as its last line JSON {"tickets", "pages",
"over_target", "worst_p95_ms"}: the pages whose p95 is above `--target` ms (default 500).
"""
import argparse
import importlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, percentile  # noqa: E402

bench_import = importlib.import_module("bench.import")  # `import` is a keyword: the module by its name

USERS = ("calltaker", "dispatcher", "street", "leader", "dept", "district", "supervisor", "grid")
PAGES = (
    "/", "/intake/", "/dispatch/", "/arbitration/", "/work/", "/notices/", "/callbacks/", "/tickets/",
    "/tickets/?q=噪音", "/tickets/?state=dispatched", "/whistles/", "/whistles/summoned/", "/grids/",
    "/grids/reports/", "/hotspots/", "/topics/", "/quality/", "/kpi/", "/dashboards/", "/warnings/",
)
API = (
    "/api/v1/tickets", "/api/v1/tickets?state=dispatched", "/api/v1/whistles", "/api/v1/whistles/summoned",
    "/api/v1/grids/reports", "/api/v1/grids/patrols", "/api/v1/warnings/alerts", "/api/v1/kpi/rankings",
)


def build(n, workdir):
    """Migrate, the demo city, N imported tickets, VACUUM ANALYZE; returns seconds per step."""
    from django.core.management import call_command
    from django.db import connection

    from jiesu.importer.services import run_import
    from tests.core.demo_city import build_demo_city

    steps = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    build_demo_city(300)
    steps["demo city"] = time.perf_counter() - started
    if n:
        path = Path(workdir) / "tickets.csv"
        started = time.perf_counter()
        bench_import.generate(path, n, "code", categories=bench_import.leaf_codes())
        steps["generate"] = time.perf_counter() - started
        bench_import.load_model()
        started = time.perf_counter()
        summary = run_import(path, "csv", report=Path(workdir) / "rejected.csv", progress=False).as_dict()
        steps["import"] = time.perf_counter() - started
        print(f"imported {summary['imported']:,} (rejected {summary['rejected']:,}); states {summary['states']}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # the visibility map too, as autovacuum keeps it on a server
    steps["analyze"] = time.perf_counter() - started
    return steps


def measure(client, url, repeat, budget):
    """(status, [ms …], statements of one request, bytes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
    except Exception as error:  # a page that breaks is reported, the others still measured
        return f"error {type(error).__name__}: {error}"[:160], [], 0, 0
    status, statements, size = response.status_code, len(queries), len(response.content)
    if status != 200:
        return status, [], statements, size
    times, spent = [], 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append(1000 * (time.perf_counter() - started))
        spent += times[-1] / 1000
        if spent > budget and len(times) >= 2:
            break
    return status, times, statements, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets imported on top of the demo city")
    parser.add_argument("--reuse", action="store_true",
                        help="take the database of JIESU_DATABASE_URL as an earlier run built it (only migrated)")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page (default 7)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds a page may take in all before its repeats stop (at least 2; default 20)")
    parser.add_argument("--target", type=float, default=500.0, help="p95 milliseconds a page should keep under")
    parser.add_argument("--users", default=",".join(USERS), help="demo users to ask as (comma-separated)")
    parser.add_argument("--only", default="",
                        help="ask only the pages whose address contains one of these (comma-separated)")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="jiesu-bench-pages-") as workdir:
        bench_import.setup_django(workdir, "postgres", ROOT / "var" / "models")
        from django.conf import settings
        from django.db import connection
        from django.test import Client
        from django.test.utils import setup_test_environment

        from jiesu.accounts.models import User
        from jiesu.tickets.models import Ticket

        settings.ALLOWED_HOSTS = ["*"]
        logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a 500 is counted, not printed
        setup_test_environment()  # the test Client's templates and context, as the page tests have them
        if not args.reuse:
            steps = build(args.tickets, workdir)
            print("built: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
        else:  # a database built before: the migrations added since, so that the pages find their tables
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'tickets_ticket'")
            tickets = cursor.fetchone()[0]
        print(f"database: {connection.vendor} {connection.pg_version}; tickets ≈ {tickets:,} "
              f"(max id {Ticket.objects.order_by('-id').values_list('id', flat=True).first()})")
        rows, refused, over = [], [], []
        parts = [part for part in args.only.split(",") if part] or [""]
        urls = [u for u in PAGES + API if any(part in u for part in parts)]
        for username in args.users.split(","):
            user = User.objects.get(username=username)
            client = Client(raise_request_exception=False)
            client.force_login(user)
            client.cookies["django_language"] = "zh-hans"
            for url in urls:
                status, times, statements, size = measure(client, url, args.repeat, args.budget)
                if not times:
                    refused.append(f"{username} {url} {status}")
                    continue
                times.sort()
                p95 = percentile(times, 95)
                rows.append((username, url, p95))
                if p95 > args.target:
                    over.append(f"{username} {url}")
                print(f"{username:11} {url:34} {status} p50 {percentile(times, 50):8.1f}  p95 {p95:8.1f}  "
                      f"max {times[-1]:8.1f} ms  n={len(times):2}  SQL {statements:3}  {size / 1024:7.1f} KB"
                      + ("   ← over" if p95 > args.target else ""), flush=True)
        print(f"not timed (not the role's page): {len(refused)}: " + "; ".join(refused))
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        worst = max(rows, key=lambda r: r[2]) if rows else ("", "", 0.0)
        print(json.dumps({"tickets": tickets, "pages": len(rows), "over_target": over,
                          "worst_p95_ms": round(worst[2], 1), "worst": f"{worst[0]} {worst[1]}"},
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
