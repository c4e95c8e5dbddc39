import random

import pytest

from jiesu.dispatch import coords


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_round_trip_is_under_a_metre_across_beijing(system):
    rng = random.Random(7)
    worst = 0.0
    for _ in range(2000):
        lon, lat = rng.uniform(115.4, 117.5), rng.uniform(39.4, 41.1)
        back = coords.to_wgs84(*coords.from_wgs84(lon, lat, system), system)
        worst = max(worst, coords.distance_m(lon, lat, *back))
    assert worst < 0.01


def test_known_offset_of_gcj02_in_beijing():
    # Tiananmen: GCJ-02 shifts WGS-84 by a few hundred metres to the north-east.
    lon, lat = 116.3913, 39.9075
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    assert 100 < coords.distance_m(lon, lat, glon, glat) < 700
    assert glon > lon and glat > lat


def test_outside_china_is_unchanged_and_unknown_system_refused():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    with pytest.raises(ValueError):
        coords.to_wgs84(116.4, 39.9, "utm")
