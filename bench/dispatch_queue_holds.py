"""The dispatch queue with the desk's engine warm: SQL statements and milliseconds per page, the cards' holds read
card by card (each panel's services.holds, as before the one pass) against one pass (services.holds_of).

    .venv/bin/python bench/dispatch_queue_holds.py --repeat 15 --pairs 3

A throw-away SQLite database holds the ticket tests' world with the desk's stub classifier
(tests/dispatch/desk_helpers.py) and the queue of tests/dispatch/test_queue_holds_one_pass.py: first 3 cards (a
proposal into a merged ticket, two near duplicates), then 15 (every kind of hold). The duplicates index refreshes
every 2 s, as on a server. "card by card" renders the queue with services.holds_of (which the page's desk_holds tag
calls) answering nothing, so that each panel reads its own holds: the path every page took before. The two are
alternated in --pairs rounds of --repeat requests each; per round the median wall time of a request and its CPU
time. Last line: JSON.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from bench.common import machine, setup_django  # noqa: E402


def build():
    """The world, its desk duties, the stub classifier; the engine warm."""
    from django.core.management import call_command

    from jiesu.categories.models import Duty
    from jiesu.dispatch import engine, router
    from jiesu.dispatch import services as desk
    from tests.dispatch.desk_helpers import Stub
    from tests.tickets.conftest import build_world

    call_command("migrate", verbosity=0)
    w = build_world()
    Duty.objects.create(category=w.category, scope="territorial", unit_kind="street")
    Duty.objects.create(category=w.gas, scope="sectoral", unit=w.dept2)
    Duty.objects.create(category=w.gas, scope="territorial", unit_kind="street", role="co")
    router.invalidate()
    engine.default_classifier = lambda ref=None: Stub()
    desk._warm["done"] = True
    return w


def measure(client, repeat):
    """(statements of one request, [wall ms], [CPU ms]) of `repeat` requests of the queue."""
    from django.db import connection

    client.get("/dispatch/")
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get("/dispatch/")
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get("/dispatch/")
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return len(statements), wall, cpu


def compare(client, repeat, pairs):
    """{path: {"statements", "ms" (per round's median), "cpu_ms"}} for the two paths, alternated."""
    from jiesu.dispatch import services as desk

    one_pass = desk.holds_of
    found = {"card_by_card": {"ms": [], "cpu_ms": []}, "one_pass": {"ms": [], "cpu_ms": []}}
    for _ in range(pairs):
        for path in found:  # the desk_holds tag calls desk.holds_of: answering nothing, each panel reads its own
            desk.holds_of = (lambda tickets, user=None: {}) if path == "card_by_card" else one_pass
            statements, wall, cpu = measure(client, repeat)
            found[path]["statements"] = statements
            found[path]["ms"].append(round(statistics.median(wall), 1))
            found[path]["cpu_ms"].append(round(statistics.median(cpu), 1))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="jiesu-bench-queue-holds-") as workdir:
        setup_django(str(Path(workdir) / "bench.sqlite3"))
        from django.conf import settings
        from django.test import Client
        from django.test.utils import setup_test_environment

        settings.ALLOWED_HOSTS, settings.DEBUG = ["*"], False  # no query log kept
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        setup_test_environment()
        from jiesu.dispatch import duplicates
        from tests.dispatch.test_queue_holds_one_pass import _first_three, _twelve_more

        w = build()
        duplicates.reset_index(refresh_seconds=2.0)
        client = Client()
        client.force_login(w.dispatcher)
        client.cookies["django_language"] = "zh-hans"
        result = {}
        _first_three(w)
        result["cards_3"] = compare(client, args.repeat, args.pairs)
        _twelve_more(w)
        time.sleep(2.1)  # the index sees the new tickets
        result["cards_15"] = compare(client, args.repeat, args.pairs)
        for cards, paths in result.items():
            for path, figures in paths.items():
                print(f"{cards:9} {path:13} statements {figures['statements']:4}  ms {figures['ms']}  "
                      f"CPU ms {figures['cpu_ms']}")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
