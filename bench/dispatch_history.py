"""How the desk's training reads a city's history: N tickets imported with the categories their source recorded.

    .venv/bin/python bench/dispatch_history.py --tickets 300000 --db sqlite
    scripts/with-postgres.sh .venv/bin/python bench/dispatch_history.py --tickets 1000000 --db postgres

Sets up a throw-away database as bench/import.py does (migrations, the whole org tree, the catalogue), imports N
synthetic rows of bench/import.py's generator (85 % closed) whose `category` column names one of the catalogue's
leaf categories, as a 12345 export records it: closed, they are training examples of the dispatcher's desk
(jiesu.dispatch.training). Then runs what `jiesu dispatch retrain` reads first, timed:
training.confirmed_examples with its read budget (twice the kernel's rows: the newest share of each category, at
least 10 of each, and the newest 1,000 of all), after counting them all. Prints the machine, the figures, and as
its last line JSON {"history", "read", "count_s", "read_s", "peak_rss_mb"}: the training examples, how many
were read, the seconds of the count and of the read, and the peak memory of the process that read them (a fresh
one, as the retraining is).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, peak_rss_mb  # noqa: E402

_importer_bench = __import__("bench.import", fromlist=["generate"])  # `import` is a keyword


def measure():
    """In a fresh process (so that its peak memory is the read's): count the training examples, then read them
    as the retraining does; prints the figures as JSON."""
    import django

    django.setup()
    from jiesu.dispatch import training
    from jiesu.dispatch.classifier import ClassifierConfig

    rss_start = peak_rss_mb()
    config = ClassifierConfig()
    started = time.perf_counter()
    history = training.confirmed_tickets().count()
    count_s = time.perf_counter() - started
    started = time.perf_counter()
    examples = training.confirmed_examples(budget=training.read_budget(config), floor=config.min_per_class,
                                           newest=training.HOLDOUT)
    read_s = time.perf_counter() - started
    print(json.dumps({"history": history, "read": len(examples), "budget": training.read_budget(config),
                      "categories": len({e.label for e in examples}), "count_s": round(count_s, 2),
                      "read_s": round(read_s, 2), "rss_start_mb": round(rss_start, 1),
                      "peak_rss_mb": round(peak_rss_mb(), 1)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=300_000, help="rows to import (default 300,000)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--model-dir", default=str(ROOT / "var" / "models"),
                        help="where the cold-start model is kept between runs (default var/models)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the fresh process's part
    args = parser.parse_args()
    if args.measure:
        return measure()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="jiesu-bench-history-") as workdir:
        _importer_bench.setup_django(workdir, args.db, args.model_dir)
        from django.db import connection

        from jiesu.importer.services import run_import

        setup_s = _importer_bench.build_database()
        leaves = _importer_bench.leaf_codes()
        path = Path(workdir) / "history.csv"
        _importer_bench.generate(path, args.tickets, "code", categories=leaves)
        _importer_bench.load_model()
        summary = run_import(path, "csv", report=Path(workdir) / "rejected.csv", progress=False).as_dict()
        print(f"database: {connection.vendor}; set-up {setup_s:.1f} s; imported {summary['imported']:,} of "
              f"{args.tickets:,} rows ({summary['classified']}) in {summary['seconds']:.1f} s, {len(leaves)} "
              "categories")
        connection.close()
        out = subprocess.run([sys.executable, __file__, "--measure"], env=os.environ, check=True,
                             capture_output=True, text=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"training examples in the database: {figures['history']:,} (counted in {figures['count_s']:.1f} s); "
              f"the retraining's read (a fresh process): {figures['read']:,} of them (budget {figures['budget']:,}), "
              f"{figures['categories']} categories, in {figures['read_s']:.1f} s; peak RSS "
              f"{figures['rss_start_mb']:.0f} MB after start-up, {figures['peak_rss_mb']:.0f} MB after the read")
        print(json.dumps({k: figures[k] for k in ("history", "read", "count_s", "read_s", "peak_rss_mb")}))


if __name__ == "__main__":
    main()
