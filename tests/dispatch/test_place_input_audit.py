"""Audit of how places come in (2026-12-07): each refusal names the field that is wrong, the reason of a point
outside the city quotes the numbers as they were typed, and the gazetteer's checks catch names that would
re-route addresses behind a leading place name."""
import pytest
from django.utils import translation

from jiesu.dispatch import locator
from jiesu.dispatch.coords import from_wgs84


def refusal(lon, lat, system="wgs84"):
    with pytest.raises(locator.LocateError) as refused:
        locator.check_coordinates(lon, lat, system)
    return refused.value.field, str(refused.value)


def test_the_field_out_of_range_or_not_a_number_is_the_one_named():
    """A latitude of 95 was refused under 经度 (the page showed it beside the longitude, the loader's report named
    the 经度 column, the API answered field lon)."""
    assert refusal(116.4, 95) == ("lat", "经纬度超出范围。")
    assert refusal(116.4, -91) == ("lat", "经纬度超出范围。")
    assert refusal(200, 39.9) == ("lon", "经纬度超出范围。")
    assert refusal(116.4, "北纬39.9")[0] == "lat"
    assert refusal("东经116", 39.9)[0] == "lon"
    assert refusal(39.91, 116.41)[0] == "lon", "swapped: the pair is wrong, the first field named"


def test_a_decimal_comma_and_a_pasted_pair_are_told_apart():
    assert refusal("116,397", 39.9) == ("lon", "经纬度须为数字。 小数点请用“.”，如 116.397。")
    assert refusal(116.397, "39,909") == ("lat", "经纬度须为数字。 小数点请用“.”，如 39.909。")
    assert refusal("116.397428,39.90923", "")[0] == "lat", "half a point: the empty one"
    assert refusal("116.397428,39.90923", 39.9) == (
        "lon", "经纬度须为数字。 “116.397428,39.90923”像是经度和纬度两个数：请分别填写经度和纬度。")
    with translation.override("en"):
        assert refusal("116,397", 39.9)[1] == ("Longitude and latitude must be numbers. Use a point as the decimal "
                                               "separator: 116.397.")


def test_the_reason_of_a_point_outside_the_city_quotes_the_numbers_as_typed(dispatch_db):
    """The reason said 「坐标（GCJ-02）121.465451, 31.231920 不在本市任何辖区内」 for a GCJ-02 point typed as
    121.47, 31.23: the converted WGS-84 numbers under the declared datum's name, which no map shows."""
    place = locator.locate(lon=121.47, lat=31.23, coord_system="gcj02")
    assert place.reason.startswith("坐标（GCJ-02）121.470000, 31.230000 不在本市任何辖区内")
    place = locator.locate(lon=121.47, lat=31.23, coord_system="bd_09", address="东城区")
    assert "坐标（BD-09）121.470000, 31.230000 不在本市任何辖区内" in place.reason
    wgs = (116.4105, 39.9149)
    glon, glat = from_wgs84(*wgs, "gcj02")
    inside = locator.locate(lon=glon, lat=glat, coord_system="Gcj_02")
    assert "坐标（GCJ-02）落在" in inside.reason and abs(inside.lon - wgs[0]) < 1e-7, "inside: stored as WGS-84"


from .test_router_fixtures import dispatch_db  # noqa: E402,F401  (fixture)
