"""Backtest of the weekly volume forecast (jiesu.warnings.forecast): error and band coverage.

    .venv/bin/python bench/forecast.py                      # 3 years of the demo's request mix, demo and Beijing scale
    .venv/bin/python bench/forecast.py --years 3 --origins 52 --horizon 1
    JIESU_VAR_DIR=var .venv/bin/python bench/forecast.py --database   # also the database's own tickets (the demo)

Rolling origin: for each of the last --origins weeks the model sees only the weeks before
(--horizon weeks before) and forecasts that week for every level-2 category, for the city
and for each of the 16 districts. Figures: MAPE over weeks with at least 10 requests, WAPE
(Σ|error| ÷ Σ actual), coverage of the 95 % band, alerts the rule would have raised, and the
time one category's fit takes. The demo's process (jiesu.demo.profiles: category weights,
heating season, summer, four storm days a summer, weekends) is drawn with Poisson noise at the
demo's volume (≈ 770 requests a week) and at Beijing's (24 million a year ≈ 460,000 a week).
Prints the machine, a Markdown table and, as the last line, JSON.
"""
import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")

import django  # noqa: E402

django.setup()

from bench.common import machine, peak_rss_mb  # noqa: E402
from jiesu.warnings import backtest as B  # noqa: E402
from jiesu.warnings import forecast as F  # noqa: E402

SCALES = {"demo": 770.0, "beijing": 24_000_000 / 52.18}


def fit_ms(years, weekly_total):
    """Milliseconds one category's forecast (city + 16 districts, 4 weeks ahead) takes, best of 5."""
    weeks, matrices, shares = B.profile_counts(years, weekly_total, level=2)
    matrix = max(matrices.values(), key=lambda m: m.sum())
    future = [weeks[-1] + timedelta(weeks=i) for i in range(1, 5)]
    best = None
    for _ in range(5):
        started = time.perf_counter()
        F.forecast_category(weeks, matrix, future, shares)
        elapsed = (time.perf_counter() - started) * 1000
        best = elapsed if best is None else min(best, elapsed)
    return round(best, 1), len(matrices)


def row(name, figures):
    c, d = figures["city_x_category"], figures["district_x_category"]
    pct = lambda v: "—" if v is None else f"{v * 100:.1f} %"  # noqa: E731
    return (f"| {name} | {pct(c['mape'])} | {pct(c['wape'])} | {pct(c['coverage'])} | {c['alerts']} "
            f"| {pct(d['mape'])} | {pct(d['wape'])} | {pct(d['coverage'])} | {d['alerts']} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, default=3, help="years of history drawn (default 3)")
    parser.add_argument("--origins", type=int, default=52, help="weeks scored (default 52)")
    parser.add_argument("--horizon", type=int, default=1, help="weeks ahead (default 1)")
    parser.add_argument("--database", action="store_true", help="also backtest this database's tickets")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"history: {args.years} years of weeks ending {F.week_start(date.today())}, "
          f"{args.origins} weeks scored, {args.horizon} week(s) ahead, level-2 categories\n")
    print("| data | city MAPE | city WAPE | city band coverage | city alerts "
          "| district MAPE | district WAPE | district band coverage | district alerts |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    out = {"years": args.years, "origins": args.origins, "horizon": args.horizon}
    for name, total in SCALES.items():
        started = time.perf_counter()
        figures = B.backtest_profiles(args.years, args.origins, args.horizon, weekly_total=total)
        print(row(f"{name} scale ({total:,.0f}/week)", figures))
        out[name] = {"city": figures["city_x_category"], "district": figures["district_x_category"],
                     "series": figures["series"], "seconds": round(time.perf_counter() - started, 1)}
    if args.database:
        figures = B.backtest_database(level=2, origins=min(args.origins, 8), horizon=args.horizon)
        print(row(f"database ({figures['weeks']} weeks, last {figures['origins']} scored)", figures))
        out["database"] = {"city": figures["city_x_category"], "district": figures["district_x_category"],
                           "weeks": figures["weeks"]}
    ms, categories = fit_ms(args.years, SCALES["beijing"])
    print(f"\none category's forecast (city + 16 districts, 4 weeks): {ms} ms; "
          f"{categories} level-2 categories → a full run ≈ {ms * categories / 1000:.1f} s of fitting")
    out.update({"fit_ms_per_category": ms, "categories": categories, "rss_mb": round(peak_rss_mb(), 1)})
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
