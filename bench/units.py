"""Timings of the org tree on a throw-away SQLite database.

    .venv/bin/python bench/units.py [--points 10000] [--districts FILE]

Prints the machine, then: whole-tree build, idempotent re-run, loading real district
boundaries (with re-tiling), point location (raw index and locate_point), search.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_DISTRICTS = ROOT.parent / "shared" / "data" / "geo" / "beijing_districts_wgs84.geojson"


def _timed(label, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label:<48} {time.perf_counter() - started:8.3f} s")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--districts", default=str(SHARED_DISTRICTS),
                        help="real district boundaries to load (skipped when missing)")
    args = parser.parse_args(argv)
    from bench.common import machine

    print(f"machine: {machine()}")
    os.environ["JIESU_VAR_DIR"] = tempfile.mkdtemp(prefix="jiesu-bench-")
    os.environ["JIESU_DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from jiesu.units import services
    from jiesu.units.boundaries import read_boundaries
    from jiesu.units.models import Unit

    call_command("migrate", verbosity=0)
    report = _timed("build_org_tree() (whole tree)", services.build_org_tree)
    print(f"  units created: {sum(report.created.values())} {dict(report.created)}")
    _timed("build_org_tree() again (idempotent)", services.build_org_tree)
    if os.path.exists(args.districts):
        loaded = _timed("load 16 real districts + re-tile below", services.load_boundaries,
                        read_boundaries(args.districts))
        print(f"  updated {len(loaded.updated)}, re-tiled {loaded.retiled}")
    rng = random.Random(1)
    points = [(rng.uniform(115.5, 117.4), rng.uniform(39.5, 41.0)) for _ in range(args.points)]
    _timed("first locate_point (builds the index)", services.locate_point, *points[0])
    grid_index = services.locator("grid")
    started = time.perf_counter()
    for lon, lat in points:
        grid_index.locate(lon, lat)
    raw = (time.perf_counter() - started) / len(points)
    started = time.perf_counter()
    found = sum(services.locate_point(lon, lat) is not None for lon, lat in points[:2000])
    full = (time.perf_counter() - started) / 2000
    print(f"{'Locator.locate over ' + str(len(grid_index)) + ' grids':<48} {raw * 1e6:8.1f} µs/point")
    print(f"{'locate_point (index + one query)':<48} {full * 1e3:8.2f} ms/point ({found}/2000 found)")
    words = ["东华门", "城管委", "110101", "社区", "朝阳 街道"]
    started = time.perf_counter()
    for _ in range(20):
        for word in words:
            services.search_units(word)
    print(f"{'search_units':<48} {(time.perf_counter() - started) / 100 * 1e3:8.2f} ms/query")
    print(f"units in the database: {Unit.objects.count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
