"""Coordinate systems used in China: WGS-84 (GPS), GCJ-02 (web maps), BD-09 (Baidu). Pure, apart from
swapped_hint's words.

The forward transforms are the published formulas; the inverses are solved
iteratively (Newton-like fixed point) to well under a centimetre, so a round
trip WGS-84 → GCJ-02 → WGS-84 stays < 1 m everywhere in China.
"""
import math
import re
import unicodedata

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0
SYSTEMS = ("wgs84", "gcj02", "bd09")
#: The datums as maps and GPS receivers name them (reasons, refusals).
DATUM_NAMES = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
#: The maps and receivers whose points are in each datum, as a clerk's file names them (`jiesu gazetteer load`),
#: the intake page's and the admin's datum labels name them (tickets.forms.COORD_SYSTEMS); without case and spaces.
DATUM_MAPS = {"gps": "wgs84", "北斗": "wgs84", "高德": "gcj02", "高德地图": "gcj02", "腾讯": "gcj02", "腾讯地图": "gcj02",
              "微信": "gcj02", "amap": "gcj02", "tencent": "gcj02", "wechat": "gcj02", "百度": "bd09", "百度地图": "bd09",
              "baidu": "bd09", "baidumaps": "bd09"}
_NUMBER = r"[+-]?\d+(?:\.\d+)?"
#: 116,397: a decimal comma (as Excel writes numbers in many locales).
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+\s*")
#: 116.397428,39.90923 or 116.397 39.909: both numbers in one field (as a map's coordinate picker copies them).
_PAIR = re.compile(rf"\s*{_NUMBER}\s*[,，;；\s]\s*{_NUMBER}\s*")


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def out_of_china(lon, lat):
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def looks_swapped(lon, lat) -> bool:
    """Whether (lon, lat) lies outside China and (lat, lon) inside (False for values that are not numbers): China's
    longitudes (72–138) are never its latitudes (1–56), so the two cannot be taken for each other."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lon) and math.isfinite(lat) and out_of_china(lon, lat) and not out_of_china(lat, lon)


def swapped_hint(lon, lat) -> str:
    """「经纬度可能填反了（经度约 116，纬度约 40）」 when looks_swapped(lon, lat), else "". For every check of typed
    coordinates (the importer, pure, words looks_swapped itself)."""
    from django.utils.translation import gettext

    if not looks_swapped(lon, lat):
        return ""
    return gettext("Longitude and latitude may be swapped (longitude about %(lon)s, latitude about %(lat)s).") % {
        "lon": round(float(lat)), "lat": round(float(lon))}


def negative_field(lon, lat, inside) -> str | None:
    """"lon" or "lat" (the longitude when both): the coordinate whose minus sign moved a point of the city to the other
    side of the world (-116.40, 39.91: a GPS app's west/south convention, or a stray key), judged by `inside(lon,
    lat)`, the caller's test of the city; None for any other point. Pure: the importer words it itself."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)) or (lon >= 0 and lat >= 0) or not inside(abs(lon), abs(lat)):
        return None
    return "lon" if lon < 0 else "lat"


def sign_advice() -> str:
    from django.utils.translation import gettext

    return gettext("In China longitude and latitude are both positive (east, north): remove the minus sign.")


def number_text(value: str) -> str:
    """A longitude or latitude as typed, read as a number is written: full-width digits and signs as ASCII (NFKC:
    １１６．４), the ideographic full stop a Chinese input method types for "." (116。4) as ".", no spaces around."""
    return unicodedata.normalize("NFKC", value).strip().replace("。", ".")


def parse_number(value) -> float:
    """float(value), a text read by number_text first; ValueError or TypeError as float's."""
    return float(number_text(value) if isinstance(value, str) else value)


def looks_like_pair(value) -> bool:
    """Whether a text holds two numbers (116.397428,39.90923), not one with a decimal comma (116,397)."""
    return isinstance(value, str) and not _DECIMAL_COMMA.fullmatch(number_text(value)) \
        and bool(_PAIR.fullmatch(number_text(value)))


def number_hint(value) -> str:
    """What to do about a longitude or latitude typed as text that is not a number, or "": a decimal comma
    (116,397 → 「小数点请用“.”，如 116.397。」) or both numbers in one field (116.397428,39.90923, copied from a
    map's coordinate picker)."""
    from django.utils.translation import gettext

    if not isinstance(value, str):
        return ""
    value = number_text(value)
    if _DECIMAL_COMMA.fullmatch(value):
        return gettext("Use a point as the decimal separator: %(example)s.") % {
            "example": value.strip().replace(",", ".")}
    if looks_like_pair(value):
        return gettext("“%(v)s” looks like longitude and latitude together: enter each in its own field.") % {
            "v": value.strip()}
    return ""


def wgs84_to_gcj02(lon, lat):
    if out_of_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon, lat):
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _invert(forward, lon, lat, iterations=30):
    """Solve forward(x) = (lon, lat) by fixed-point iteration."""
    x, y = lon, lat
    for _ in range(iterations):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if abs(dx) < 1e-11 and abs(dy) < 1e-11:
            break
    return x, y


def gcj02_to_wgs84(lon, lat):
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon, lat):
    return _invert(gcj02_to_bd09, lon, lat)


def to_wgs84(lon, lat, system="wgs84"):
    """Convert a point declared in `system` to WGS-84."""
    system = (system or "wgs84").lower().replace("-", "")
    if system == "wgs84":
        return lon, lat
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown coordinate system {system!r}; use one of {', '.join(SYSTEMS)}")


def from_wgs84(lon, lat, system="wgs84"):
    system = (system or "wgs84").lower().replace("-", "")
    if system == "wgs84":
        return lon, lat
    if system == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if system == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    raise ValueError(f"unknown coordinate system {system!r}; use one of {', '.join(SYSTEMS)}")


def distance_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (haversine)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
