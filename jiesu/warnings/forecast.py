"""Weekly volume forecasts with a prediction band. Pure: numpy and scipy, no Django.

The model (docs/warnings.md has the reasoning and the backtest):

- a week's expected count is ``exp(x·β)`` — a Poisson regression (log link) on
  calendar features of the week: the share of its days in Beijing's heating
  season (15 Nov – 15 Mar), in the season's first ten days and first month
  (the year's biggest wave of heating calls), in summer (Jun – Aug: storms,
  waterlogging, night noise), the share of working days (Spring Festival and
  National Day weeks are quiet), and, once two years of history exist,
  week-of-year Fourier terms for everything else that repeats yearly;
- fitted by iteratively reweighted least squares with a small ridge penalty,
  recent weeks weighted more (half-life in weeks), so the level follows drifts;
- one category's seasonal shape is fitted on the city total of that category and
  shared by the districts; each district gets its (recency-weighted) share of the
  category, shrunk towards the district's share of all requests, so a district
  with a handful of requests a week still gets a sensible forecast;
- the band holds the central ``level`` of a negative binomial with the forecast
  as its mean and the variance ``φ·μ`` measured on the history's residuals
  (``φ ≥ 1``: Poisson when the data are no noisier than Poisson).

An alert is due when a week's actual count lies above the band's top and is at
least ``min_count`` (a jump from 0 to 3 breaks a tiny band but is no warning).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Sequence

import numpy as np
from scipy import stats

HEATING_START = (11, 15)
HEATING_END = (3, 15)
HEATING_WAVE_DAYS = 10      # the first days of the season: the year's biggest wave of calls
HEATING_EARLY_DAYS = 30
SUMMER_MONTHS = (6, 7, 8)
YEARLY_TERMS = 4            # Fourier pairs once two years of history exist
YEARLY_MIN_WEEKS = 104
BASE_FEATURES = ("heating", "heating_wave", "heating_early", "summer", "working")


# ── the calendar ────────────────────────────────────────────────────────────

def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def in_heating_season(day: date) -> bool:
    """Beijing's statutory heating season: 15 November – 15 March (inclusive)."""
    md = (day.month, day.day)
    return md >= HEATING_START or md <= HEATING_END


def heating_day_number(day: date) -> int | None:
    """0 on 15 November, 1 the day after…; None outside the heating season."""
    if not in_heating_season(day):
        return None
    year = day.year if (day.month, day.day) >= HEATING_START else day.year - 1
    return (day - date(year, *HEATING_START)).days


def in_summer(day: date) -> bool:
    return day.month in SUMMER_MONTHS


def week_features(monday: date, is_working_day: Callable[[date], bool] | None = None) -> list[float]:
    """The BASE_FEATURES of the week starting `monday`, each a share of its 7 days."""
    days = [monday + timedelta(days=i) for i in range(7)]
    numbers = [heating_day_number(d) for d in days]
    working = is_working_day or (lambda d: d.weekday() < 5)
    return [
        sum(n is not None for n in numbers) / 7,
        sum(n is not None and n < HEATING_WAVE_DAYS for n in numbers) / 7,
        sum(n is not None and HEATING_WAVE_DAYS <= n < HEATING_EARLY_DAYS for n in numbers) / 7,
        sum(in_summer(d) for d in days) / 7,
        sum(bool(working(d)) for d in days) / 7,
    ]


def yearly_terms(monday: date, terms: int = YEARLY_TERMS) -> list[float]:
    """sin/cos of the week's position in the year, `terms` harmonics."""
    angle = 2 * np.pi * (monday + timedelta(days=3)).timetuple().tm_yday / 365.25
    out = []
    for k in range(1, terms + 1):
        out += [float(np.sin(k * angle)), float(np.cos(k * angle))]
    return out


def design(weeks: Sequence[date], is_working_day=None, yearly: bool = False) -> np.ndarray:
    """Design matrix: intercept, BASE_FEATURES, and the yearly terms when asked for."""
    rows = []
    for monday in weeks:
        row = [1.0, *week_features(monday, is_working_day)]
        if yearly:
            row += yearly_terms(monday)
        rows.append(row)
    return np.array(rows, dtype=float).reshape(len(weeks), -1)


# ── fitting ─────────────────────────────────────────────────────────────────

def recency_weights(n: int, halflife: float | None) -> np.ndarray:
    """Weight 1 for the last week, ½ one half-life earlier…; all 1 without a half-life."""
    if not halflife:
        return np.ones(n)
    age = np.arange(n - 1, -1, -1, dtype=float)
    return 0.5 ** (age / halflife)


def fit_poisson(y, X, weights=None, ridge: float = 1.0, iterations: int = 50, tol: float = 1e-8) -> np.ndarray:
    """β of a Poisson regression with log link (IRLS); the intercept (column 0) is not penalised.

    Columns that do not vary over the history carry no information and get β = 0.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(X.shape[1])
    if len(y) == 0 or float(w @ y) <= 0:
        beta[0] = -30.0  # nothing ever came in: expect (practically) nothing
        return beta
    active = np.ptp(X, axis=0) > 1e-12
    active[0] = True
    Xa = X[:, active]
    penalty = np.full(Xa.shape[1], ridge)
    penalty[0] = 0.0
    b = np.zeros(Xa.shape[1])
    b[0] = np.log(float(w @ y) / float(w.sum()) + 1e-9)
    for _ in range(iterations):
        eta = np.clip(Xa @ b, -30, 30)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        W = w * mu
        A = Xa.T @ (Xa * W[:, None]) + np.diag(penalty)
        new = np.linalg.solve(A, Xa.T @ (W * z))
        if np.max(np.abs(new - b)) < tol:
            b = new
            break
        b = new
    beta[active] = b
    return beta


def dispersion(y, mu, n_params: int, weights=None) -> float:
    """Pearson dispersion φ = Σ w(y−μ)²/μ ÷ (Σw − p), at least 1 (never narrower than Poisson)."""
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    keep = mu > 1e-9
    dof = float(w[keep].sum()) - n_params
    if dof <= 1:
        return 1.0
    phi = float(np.sum(w[keep] * (y[keep] - mu[keep]) ** 2 / mu[keep]) / dof)
    return max(1.0, phi)


def band(mean, phi: float, level: float = 0.95):
    """(low, high) integer counts holding the central `level` of the predictive distribution."""
    mean = np.asarray(mean, dtype=float)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    safe = np.maximum(mean, 1e-9)
    if phi <= 1.0 + 1e-9:
        low, high = stats.poisson.ppf(lo_q, safe), stats.poisson.ppf(hi_q, safe)
    else:
        n, p = safe / (phi - 1.0), 1.0 / phi
        low, high = stats.nbinom.ppf(lo_q, n, p), stats.nbinom.ppf(hi_q, n, p)
    low = np.where(mean <= 1e-9, 0, low)
    high = np.where(mean <= 1e-9, 0, high)
    return low.astype(int), high.astype(int)


def breaks_band(actual: int, low: int, high: int, min_count: int = 5) -> str | None:
    """'above' when `actual` is over the band's top and at least `min_count`; 'below' under its bottom."""
    if actual > high and actual >= min_count:
        return "above"
    if actual < low:
        return "below"
    return None


# ── one category: the city total and its districts ──────────────────────────

@dataclass
class Params:
    level: float = 0.95          # the band's coverage
    halflife: float = 26.0       # weeks
    ridge: float = 1.0
    prior_strength: float = 20.0  # how many (weighted) requests the district prior is worth
    min_count: int = 5


@dataclass
class CategoryForecast:
    weeks: list                  # the forecast weeks (Mondays)
    city_mean: np.ndarray        # (h,)
    city_low: np.ndarray
    city_high: np.ndarray
    mean: np.ndarray             # (districts, h)
    low: np.ndarray
    high: np.ndarray
    phi_city: float
    phi_district: float
    beta: np.ndarray
    columns: list = field(default_factory=list)


def columns(yearly: bool) -> list[str]:
    names = ["intercept", *BASE_FEATURES]
    if yearly:
        for k in range(1, YEARLY_TERMS + 1):
            names += [f"sin{k}", f"cos{k}"]
    return names


def forecast_category(history_weeks: Sequence[date], counts, future_weeks: Sequence[date],
                      prior_shares=None, params: Params | None = None, is_working_day=None) -> CategoryForecast:
    """Forecast one category for every district.

    counts: (districts, len(history_weeks)) weekly counts, oldest first.
    prior_shares: each district's share of all requests (default: equal shares).
    """
    params = params or Params()
    counts = np.asarray(counts, dtype=float).reshape(-1, len(history_weeks))
    n_districts = counts.shape[0]
    yearly = len(history_weeks) >= YEARLY_MIN_WEEKS
    X_hist = design(history_weeks, is_working_day, yearly)
    X_future = design(future_weeks, is_working_day, yearly)
    w = recency_weights(len(history_weeks), params.halflife)
    total = counts.sum(axis=0)
    beta = fit_poisson(total, X_hist, w, params.ridge)
    fitted = np.exp(np.clip(X_hist @ beta, -30, 30))
    city_mean = np.exp(np.clip(X_future @ beta, -30, 30))
    n_params = int((beta != 0).sum())
    phi_city = dispersion(total, fitted, n_params, w)
    shares = district_shares(counts, w, prior_shares, params.prior_strength)
    district_fitted = shares[:, None] * fitted[None, :]
    phi_district = dispersion(counts.ravel(), district_fitted.ravel(), n_params + n_districts - 1,
                              np.tile(w, n_districts))
    mean = shares[:, None] * city_mean[None, :]
    city_low, city_high = band(city_mean, phi_city, params.level)
    low, high = band(mean, phi_district, params.level)
    return CategoryForecast(list(future_weeks), city_mean, city_low, city_high, mean, low, high,
                            phi_city, phi_district, beta, columns(yearly))


def district_shares(counts, weights, prior_shares=None, strength: float = 20.0) -> np.ndarray:
    """Each district's share of the category, recency-weighted and shrunk towards its prior share."""
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[0]
    prior = np.full(n, 1.0 / n) if prior_shares is None else np.asarray(prior_shares, dtype=float)
    prior = prior / prior.sum() if prior.sum() > 0 else np.full(n, 1.0 / n)
    own = counts @ weights
    return (own + strength * prior) / (own.sum() + strength)


# ── backtest ────────────────────────────────────────────────────────────────

@dataclass
class BacktestResult:
    points: int                  # series-weeks compared
    mape: float | None           # mean absolute percentage error over weeks with actual ≥ mape_floor
    mape_points: int
    wape: float | None           # Σ|actual − forecast| ÷ Σ actual
    coverage: float | None       # share of actuals inside the band
    alerts: int                  # weeks the alert rule would have fired


def rolling_forecasts(history_weeks: Sequence[date], counts, origins: int, horizon: int = 1, prior_shares=None,
                      params: Params | None = None, is_working_day=None, city: bool = False):
    """(actual, mean, low, high) arrays of a rolling-origin run over the last `origins` weeks.

    For each scored week the model sees only the weeks up to `horizon` weeks before it.
    `city=True` takes the category's city total, else every district series.
    """
    params = params or Params()
    counts = np.asarray(counts, dtype=float).reshape(-1, len(history_weeks))
    n = len(history_weeks)
    parts = ([], [], [], [])
    for target in range(max(0, n - origins), n):
        cut = target - horizon + 1
        if cut < 8:
            continue
        fc = forecast_category(history_weeks[:cut], counts[:, :cut], history_weeks[cut:target + 1],
                               prior_shares, params, is_working_day)
        if city:
            found = (counts[:, target].sum(keepdims=True), fc.city_mean[-1:], fc.city_low[-1:], fc.city_high[-1:])
        else:
            found = (counts[:, target], fc.mean[:, -1], fc.low[:, -1], fc.high[:, -1])
        for bucket, value in zip(parts, found):
            bucket.append(np.asarray(value, dtype=float))
    return tuple(np.concatenate(p) if p else np.zeros(0) for p in parts)


def backtest(history_weeks: Sequence[date], counts, origins: int, horizon: int = 1, prior_shares=None,
             params: Params | None = None, is_working_day=None, city: bool = False,
             mape_floor: float = 10.0) -> BacktestResult:
    """Scores of `rolling_forecasts` (see `score`)."""
    params = params or Params()
    arrays = rolling_forecasts(history_weeks, counts, origins, horizon, prior_shares, params, is_working_day, city)
    return score(*arrays, min_count=params.min_count, mape_floor=mape_floor)


def score(actual, mean, low, high, min_count: int = 5, mape_floor: float = 10.0) -> BacktestResult:
    """Error figures of forecasts against actuals (arrays of equal length)."""
    actual, mean = np.asarray(actual, float), np.asarray(mean, float)
    low, high = np.asarray(low, float), np.asarray(high, float)
    big = actual >= mape_floor
    mape = float(np.mean(np.abs(actual[big] - mean[big]) / actual[big])) if big.any() else None
    total = float(actual.sum())
    wape = float(np.abs(actual - mean).sum() / total) if total > 0 else None
    inside = (actual >= low) & (actual <= high)
    alerts = int(((actual > high) & (actual >= min_count)).sum())
    coverage = float(inside.mean()) if len(actual) else None
    return BacktestResult(len(actual), mape, int(big.sum()), wape, coverage, alerts)
