"""The backfill of migration quality 0005 (each checked mark gets its ticket's district and street) at volume.

    scripts/with-postgres.sh .venv/bin/python bench/quality_backfill.py --replies 100000   # PostgreSQL (throw-away)
    .venv/bin/python bench/quality_backfill.py --db /tmp/quality.sqlite3 --replies 100000

0005 fills the marks in ONE UPDATE over every mark (two subqueries on the ticket per row): fine at test size, but
Beijing keeps ≈ 24 million marks (a year; pruned after 367 days). It is left as it is (docs/reply-quality.md: it may
have run in production already); this measures what it costs, so that the figure is known: the marks of bench/quality
.py's database (REPLIES lead replies of 30 days), their territory emptied, then 0005's function run once, timed, in
one transaction as `migrate` runs it. Prints the machine and load; last line JSON.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, setup_django  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="the SQLite file (built when it holds no ticket); without it, the database "
                                     "of the settings (JIESU_DATABASE_URL: PostgreSQL)")
    parser.add_argument("--replies", type=int, default=100_000)
    args = parser.parse_args()
    setup_django(args.db)
    import importlib

    from django.apps import apps
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.quality import build
    from jiesu.quality.models import ReplyCheck

    print(f"machine: {machine()}; database: {connection.vendor}; load {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    build(timezone.now(), args.replies)
    marks = ReplyCheck.objects.count()
    print(f"{marks:,} marks (built in {time.perf_counter() - started:.0f} s)")
    ReplyCheck.objects.update(district=None, street=None)
    backfill = importlib.import_module("jiesu.quality.migrations.0005_appeals_and_mark_territory").territory_of_marks
    started = time.perf_counter()
    with transaction.atomic():
        backfill(apps, None)
    seconds = time.perf_counter() - started
    assert not ReplyCheck.objects.filter(district__isnull=True).exists()
    per_million = seconds / marks * 1_000_000
    print(f"0005's UPDATE: {marks:,} marks in {seconds:.1f} s ({per_million:.0f} s a million marks; "
          f"24 million: ≈ {per_million * 24 / 60:.0f} min in one statement and one transaction)  "
          f"load {os.getloadavg()[0]:.1f}")
    print(json.dumps({"vendor": connection.vendor, "marks": marks, "update_s": round(seconds, 1),
                      "s_per_million": round(per_million), "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
