"""Audit 12 (findings 5 and 17) on the demo city's org tree, whose boundaries are all schematic (示意): a point
alone is only indicative and never reaches auto-dispatch; an address beats it; a point on the line between two
streets says so."""
import shapely
from shapely.geometry import shape

from jiesu.dispatch import locator, router
from jiesu.dispatch.engine import suggest
from jiesu.dispatch.models import AUTO_THRESHOLD_MIN
from jiesu.units.models import Unit

from .test_engine import Stub
from .test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)

STALL = "03.01.01"  # 占道经营: to the street of the place (属地)


def street(code):
    return Unit.objects.get(code=code)


def test_a_point_in_a_schematic_boundary_is_only_indicative(dispatch_db):
    other = street("110101002")
    place = locator.locate(lon=other.center_lon, lat=other.center_lat)
    assert place.street.id == other.id and place.confidence == locator.SCHEMATIC_BOUNDARY_CONFIDENCE == 0.4
    assert "位置仅供参考" in place.reason


def test_a_point_alone_in_the_demo_city_does_not_reach_auto_dispatch(dispatch_db):
    other = street("110101002")
    sure = Stub([(STALL, 0.99)])
    by_point = suggest("有人占道经营", lon=other.center_lon, lat=other.center_lat, classifier=sure, top=1)
    by_address = suggest("有人占道经营", address="东城区王府井大街", classifier=sure, top=1)
    assert by_point[0].lead.code == "110101002" and by_point[0].confidence < AUTO_THRESHOLD_MIN
    assert by_address[0].confidence >= AUTO_THRESHOLD_MIN  # a named road still does


def test_a_district_named_in_the_address_beats_a_schematic_district(dispatch_db):
    xicheng = street("110102001")  # 西长安街街道, 西城区
    place = locator.locate(address="东城区", lon=xicheng.center_lon, lat=xicheng.center_lat)
    assert place.district.code == "110101" and place.source == "address"
    assert "示意边界不可靠，以地址为准" in place.reason
    short_road = locator.locate(address="东城区景山前街", lon=xicheng.center_lon, lat=xicheng.center_lat)
    assert short_road.district.code == "110101"


def test_a_district_address_confirms_no_street_of_a_schematic_point(dispatch_db):
    other = street("110101002")
    place = locator.locate(address="东城区", lon=other.center_lon, lat=other.center_lat)
    assert place.street.id == other.id and place.confidence < AUTO_THRESHOLD_MIN
    assert "与地址一致" in place.reason


def test_real_boundaries_keep_their_confidence(dispatch_db):
    other = street("110101002")
    Unit.objects.filter(code__startswith="110101002").update(schematic=False)
    router.invalidate()
    place = locator.locate(lon=other.center_lon, lat=other.center_lat)
    assert place.confidence == locator.REAL_BOUNDARY_CONFIDENCE
    assert "示意" not in place.reason


def shared_vertex(a, b):
    """A vertex of street a's boundary that b's boundary also holds (exactly representable: on both lines)."""
    outline_b = shape(b.geometry).boundary
    for lon, lat in shape(a.geometry).exterior.coords:
        if shapely.intersects_xy(outline_b, lon, lat):
            return lon, lat
    return None


def test_a_point_on_the_line_between_two_streets_says_so(dispatch_db):
    a = street("110101001")
    neighbours = Unit.objects.filter(kind="street", district__code="110101").exclude(pk=a.pk)
    b, point = next((b, p) for b in neighbours if (p := shared_vertex(a, b)) is not None)
    inside = locator.locate(lon=a.center_lon, lat=a.center_lat)
    on_line = locator.locate(lon=point[0], lat=point[1])
    assert on_line.confidence == round(inside.confidence * locator.ON_BOUNDARY_FACTOR, 3)
    other = b if on_line.street.id == a.id else a
    assert "交界线上" in on_line.reason and other.name in on_line.reason
    assert "on its boundary with" in translated(on_line)
    nearly = locator.locate(lon=point[0] + 5e-8, lat=point[1])  # 5 mm off: a GPS reading cannot tell
    assert "交界线上" in nearly.reason and nearly.confidence == on_line.confidence


def translated(place):
    from django.utils import translation

    with translation.override("en"):
        return place.reason


def test_on_a_real_boundary_the_address_naming_the_neighbour_wins(dispatch_db):
    a = street("110101001")
    neighbours = Unit.objects.filter(kind="street", district__code="110101").exclude(pk=a.pk)
    b, point = next((b, p) for b in neighbours if (p := shared_vertex(a, b)) is not None)
    Unit.objects.filter(code__startswith="110101").update(schematic=False)
    router.invalidate()
    taken = locator.locate(lon=point[0], lat=point[1])
    assert taken.confidence == round(locator.REAL_BOUNDARY_CONFIDENCE * locator.ON_BOUNDARY_FACTOR, 3)
    other = b if taken.street.id == a.id else a
    place = locator.locate(address=f"东城区{other.name}", lon=point[0], lat=point[1])
    assert place.street.id == other.id and place.source == "address"
    inside = locator.locate(address=f"东城区{other.name}", lon=taken.street.center_lon, lat=taken.street.center_lat)
    assert inside.street.id == taken.street.id  # off the line, a real boundary still beats the address
