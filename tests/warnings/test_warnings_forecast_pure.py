"""The forecast's pure parts: the calendar features, the Poisson fit, shares, the band, the backtest."""
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from jiesu.warnings import forecast as F


def mondays(start, n):
    return [start + timedelta(weeks=i) for i in range(n)]


def test_heating_season_bounds_and_day_numbers():
    assert not F.in_heating_season(date(2026, 11, 14))
    assert F.in_heating_season(date(2026, 11, 15)) and F.heating_day_number(date(2026, 11, 15)) == 0
    assert F.heating_day_number(date(2027, 1, 1)) == 47
    assert F.in_heating_season(date(2027, 3, 15)) and not F.in_heating_season(date(2027, 3, 16))
    assert F.heating_day_number(date(2027, 7, 1)) is None
    assert F.week_start(date(2026, 11, 22)) == date(2026, 11, 16)  # a Sunday → its Monday


def test_week_features_are_shares_of_the_week():
    # 9–15 Nov 2026: only Sunday the 15th is in the season (and in its first ten days)
    heating, wave, early, summer, working = F.week_features(date(2026, 11, 9))
    assert (heating, wave, early, summer) == (pytest.approx(1 / 7), pytest.approx(1 / 7), 0, 0)
    assert working == pytest.approx(5 / 7)
    # 23–29 Nov: all heating; the 23rd and 24th are days 8 and 9 (the wave), the rest early season
    heating, wave, early, _s, _w = F.week_features(date(2026, 11, 23))
    assert (heating, wave, early) == (1.0, pytest.approx(2 / 7), pytest.approx(5 / 7))
    assert F.week_features(date(2026, 5, 25))[3] == 0
    assert F.week_features(date(2026, 8, 31))[3] == pytest.approx(1 / 7)
    holiday = {date(2026, 10, d) for d in range(1, 8)}
    assert F.week_features(date(2026, 9, 28), lambda d: d.weekday() < 5 and d not in holiday)[4] == pytest.approx(3 / 7)


def test_fit_recovers_the_coefficients_of_exact_data():
    weeks = mondays(date(2024, 1, 1), 110)
    X = F.design(weeks)
    beta = np.array([np.log(50), 0.7, 1.2, 0.4, 0.5, 0.0])
    y = np.exp(X @ beta)
    fitted = F.fit_poisson(y, X, ridge=0.0)
    assert fitted[:5] == pytest.approx(beta[:5], abs=1e-6)
    assert fitted[5] == 0  # "working" never varies without a calendar: no information, no coefficient


def test_nothing_in_the_history_forecasts_nothing():
    weeks = mondays(date(2026, 1, 5), 20)
    fc = F.forecast_category(weeks, np.zeros((3, 20)), mondays(date(2026, 5, 25), 2))
    assert fc.city_mean.max() < 1e-9 and fc.mean.max() < 1e-9
    assert fc.city_high.tolist() == [0, 0] and fc.high.max() == 0


def test_forecast_follows_the_season_and_shares_add_up():
    rng = np.random.default_rng(3)
    weeks = mondays(date(2024, 5, 6), 120)
    X = F.design(weeks)
    mu = np.exp(X @ np.array([np.log(30), 1.0, 1.5, 0.5, 0.0, 0.0]))
    counts = rng.poisson(np.outer([0.6, 0.3, 0.1], mu))
    future = [date(2026, 7, 20), date(2026, 11, 16), date(2027, 1, 11)]
    fc = F.forecast_category(weeks, counts, future, prior_shares=[0.6, 0.3, 0.1])
    summer, wave, winter = fc.city_mean
    assert wave > winter > summer > 0
    assert wave / winter == pytest.approx(np.exp(1.5), rel=0.25)  # 16–22 Nov 2026: days 1–7 of the season
    assert fc.mean.sum(axis=0) == pytest.approx(fc.city_mean)
    assert fc.mean[:, 1] / fc.city_mean[1] == pytest.approx([0.6, 0.3, 0.1], abs=0.03)
    assert np.all(fc.city_low <= fc.city_mean) and np.all(fc.city_mean <= fc.city_high)


def test_district_shares_shrink_towards_the_prior():
    counts = np.array([[10.0, 10.0], [0.0, 0.0]])
    shares = F.district_shares(counts, np.ones(2), prior_shares=[0.5, 0.5], strength=20)
    assert shares.tolist() == pytest.approx([30 / 40, 10 / 40])
    assert shares.sum() == pytest.approx(1.0)


def test_band_is_poisson_or_wider():
    low, high = F.band([10.0, 0.0], phi=1.0, level=0.95)
    assert (low[0], high[0]) == (stats.poisson.ppf(0.025, 10), stats.poisson.ppf(0.975, 10)) == (4, 17)
    assert (low[1], high[1]) == (0, 0)
    wide_low, wide_high = F.band([10.0], phi=3.0)
    assert wide_low[0] < 4 and wide_high[0] > 17


def test_breaking_the_band():
    assert F.breaks_band(18, 4, 17) == "above"
    assert F.breaks_band(17, 4, 17) is None
    assert F.breaks_band(3, 0, 2, min_count=5) is None  # over a tiny band, but too few to warn about
    assert F.breaks_band(3, 4, 17) == "below"


def test_score_by_hand():
    result = F.score(actual=[10, 20, 0], mean=[12, 15, 1], low=[5, 10, 0], high=[15, 19, 2], min_count=5)
    assert result.mape == pytest.approx((2 / 10 + 5 / 20) / 2)  # weeks with actual ≥ 10
    assert result.wape == pytest.approx((2 + 5 + 1) / 30)
    assert result.coverage == pytest.approx(2 / 3)
    assert result.alerts == 1 and result.points == 3


def test_backtest_on_a_known_process_covers_about_the_band_level():
    rng = np.random.default_rng(11)
    weeks = mondays(date(2023, 1, 2), 140)
    mu = np.exp(F.design(weeks) @ np.array([np.log(60), 0.8, 1.4, 0.4, 0.0, 0.0]))
    counts = rng.poisson(np.outer([0.7, 0.3], mu))
    city = F.backtest(weeks, counts, origins=40, city=True)
    assert city.points == 40
    assert 0.85 <= city.coverage <= 1.0
    assert city.mape < 0.2
    districts = F.backtest(weeks, counts, origins=40)
    assert districts.points == 80 and 0.85 <= districts.coverage <= 1.0
