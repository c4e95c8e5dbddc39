"""Backtests of the forecast: on this database's tickets, and on years of the demo's own request mix.

The demo database holds six months; the yearly terms need two years. `profile_counts`
draws weekly counts for as many years as asked from the demo generator's profiles
(jiesu.demo.profiles: category weights, seasons, summer storm days, weekends,
holidays), so the model can be scored on the same process over several years.
"""
from collections import defaultdict
from datetime import date, timedelta
import random

import numpy as np
from django.utils import timezone

from jiesu.warnings import forecast as F


def _pool(results):
    """Score the pooled (actual, mean, low, high) arrays of several runs."""
    parts = [np.concatenate([r[i] for r in results]) if results else np.zeros(0) for i in range(4)]
    return parts


def summary(arrays, params):
    result = F.score(*arrays, min_count=params.min_count)
    return {"points": result.points, "mape": _round(result.mape), "mape_points": result.mape_points,
            "wape": _round(result.wape), "coverage": _round(result.coverage), "alerts": result.alerts}


def _round(value):
    return None if value is None else round(value, 4)


def backtest_matrices(weeks, matrices, origins, horizon=1, params=None, prior=None, working=None):
    """{category: (districts × weeks) counts} → figures for the city totals and the district series."""
    params = params or F.Params()
    city, district = [], []
    for matrix in matrices.values():
        if matrix.sum() == 0:
            continue
        city.append(F.rolling_forecasts(weeks, matrix, origins, horizon, prior, params, working, city=True))
        district.append(F.rolling_forecasts(weeks, matrix, origins, horizon, prior, params, working))
    return {"city_x_category": summary(_pool(city), params), "district_x_category": summary(_pool(district), params)}


def database_matrices(level, weeks):
    """({category id: districts × weeks matrix}, district ids) from the tickets."""
    from jiesu.units.models import Unit, UnitKind
    from jiesu.warnings.services import weekly_counts

    counts = weekly_counts(weeks[0], len(weeks), level)
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code").values_list("id", flat=True))
    index = {d: i for i, d in enumerate(districts)}
    matrices = defaultdict(lambda: np.zeros((len(districts), len(weeks))))
    for (d, c), series in counts.items():
        if d in index:
            matrices[c][index[d]] += series
    return dict(matrices), districts


def backtest_database(level=2, origins=8, horizon=1, now=None, params=None):
    """Rolling-origin backtest over the last `origins` complete weeks of this database."""
    from jiesu.workcal.services import current_calendar

    now = now or timezone.now()
    this_monday = F.week_start(timezone.localtime(now).date())
    first = this_monday - timedelta(weeks=F.YEARLY_MIN_WEEKS + 52)
    weeks = [first + timedelta(weeks=i) for i in range((this_monday - first).days // 7)]
    matrices, districts = database_matrices(level, weeks)
    totals = np.sum([m.sum(axis=0) for m in matrices.values()], axis=0) if matrices else np.zeros(len(weeks))
    start = int(np.flatnonzero(totals)[0]) if totals.any() else 0
    weeks = weeks[start:]
    matrices = {c: m[:, start:] for c, m in matrices.items()}
    prior = np.sum([m.sum(axis=1) for m in matrices.values()], axis=0) if matrices else None
    figures = backtest_matrices(weeks, matrices, origins, horizon, params, prior, current_calendar().is_working_day)
    return {"source": "database", "level": level, "weeks": len(weeks), "origins": origins, "horizon": horizon,
            "series": len(matrices) * len(districts), **figures}


# ── the demo's process over several years ───────────────────────────────────

def profile_counts(years=3, weekly_total=770.0, end=None, seed=1, level=2):
    """Weekly counts per level-`level` category and district drawn from the demo's profiles.

    Returns (weeks, {category code: districts × weeks matrix}, district shares). Pure apart
    from reading the category CSV the demo uses; Poisson draws from `seed`.
    """
    from jiesu.demo import profiles as P

    leaves = _leaf_codes()
    rng = np.random.default_rng(seed)
    storm_rng = random.Random(f"{seed}:storms")
    end = end or F.week_start(date.today())
    n_weeks = int(round(years * 52.18))
    weeks = [end - timedelta(weeks=n_weeks - i) for i in range(n_weeks)]
    days = [weeks[0] + timedelta(days=i) for i in range(n_weeks * 7)]
    storms = set()
    for year in sorted({d.year for d in days}):
        summer = [d for d in days if d.year == year and (7, 1) <= (d.month, d.day) <= (8, 25)]
        storms |= set(storm_rng.sample(summer, min(4, len(summer))))
    per_group = defaultdict(int)
    for code in leaves:
        per_group[code[:2]] += 1
    base = {code: P.GROUP_WEIGHTS[code[:2]] / per_group[code[:2]] * P.LEAF_FACTORS.get(code, 1.0) for code in leaves}
    base_total = sum(base.values())
    shares = np.array(list(P.DISTRICT_POPULATION.values()), dtype=float)
    shares /= shares.sum()
    key = {code: ".".join(code.split(".")[:level]) for code in leaves}
    daily_total = weekly_total / (5 + 2 * P.WEEKEND_FACTOR)
    expected = defaultdict(lambda: np.zeros(n_weeks))
    for i, day in enumerate(days):
        storm = day in storms
        weekday = 1.0 if day.weekday() < 5 else P.WEEKEND_FACTOR
        boost = 1.6 if storm else 1.0
        for code in leaves:
            rate = daily_total * weekday * boost * base[code] * P.season_factor(code, day, storm) / base_total
            expected[key[code]][i // 7] += rate
    matrices = {c: rng.poisson(np.outer(shares, mu)).astype(float) for c, mu in expected.items()}
    return weeks, matrices, shares


def _leaf_codes():
    import csv
    from pathlib import Path

    from jiesu.demo import profiles as P

    path = Path(__file__).resolve().parents[1] / "categories" / "data" / "categories.csv"
    with open(path, encoding="utf-8") as fh:
        codes = [row[0] for row in csv.reader(fh) if row and row[0][:1].isdigit()]
    leaves = [c for c in codes if c.count(".") == 2 and c[:2] in P.GROUP_WEIGHTS]
    return leaves


def backtest_profiles(years=3, origins=52, horizon=1, level=2, seed=1, weekly_total=770.0, params=None):
    """Rolling-origin backtest over the last `origins` weeks of `years` of the demo's process."""
    weeks, matrices, shares = profile_counts(years, weekly_total, seed=seed, level=level)
    figures = backtest_matrices(weeks, matrices, origins, horizon, params, shares)
    return {"source": "demo profiles", "years": years, "weekly_total": weekly_total, "level": level,
            "weeks": len(weeks), "origins": origins, "horizon": horizon,
            "series": len(matrices) * len(shares), **figures}
