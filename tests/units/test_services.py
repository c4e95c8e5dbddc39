"""The org tree: building it, its codes and boundaries, locating points, searching."""
import re

import pytest
import shapely
from shapely.geometry import Point

from jiesu.units import geometry as geo
from jiesu.units import services
from jiesu.units.models import Unit, UnitKind
from jiesu.units.services import build_org_tree, locate_point, search_units

from .helpers import assert_tiles

STREETS_IN_SMALL = 17 + 15  # 东城区 17, 西城区 15 (NBS 2023)


def _geoms(units):
    return [geo.as_shape(u.geometry) for u in units]


@pytest.mark.django_db
def test_small_tree_counts_and_idempotence(small_tree):
    report = small_tree.as_dict()
    assert report["created"] == {"city": 1, "district": 16, "street": STREETS_IN_SMALL,
                                 "community": 3 * STREETS_IN_SMALL, "grid": 6 * STREETS_IN_SMALL,
                                 "hotline_center": 1, "department": 40 + 5 * 16, "enterprise": 6}
    total = Unit.objects.count()
    again = build_org_tree(districts=("110101", "110102"))
    assert again.created == {} and again.tiled == {}
    assert Unit.objects.count() == total


@pytest.mark.django_db
def test_codes_names_and_tree_fields(small_tree):
    city = Unit.objects.get(code="110000")
    assert city.name == "北京市" and city.kind == UnitKind.CITY and city.path == f"/{city.pk}/"
    street = Unit.objects.get(code="110101001")
    assert street.name == "东华门街道" and "东华门街道办事处" in street.aliases
    community = Unit.objects.get(code="110101001001")
    assert community.name == "东华门第一社区" and community.parent == street
    grid = Unit.objects.get(code="110101001001001")
    assert grid.name == "东华门第一社区第1网格"
    assert grid.path == f"{community.path}{grid.pk}/" and grid.path.startswith(street.path)
    assert grid.district.code == "110101" and grid.street == street
    for unit in Unit.objects.filter(kind=UnitKind.GRID).select_related("parent"):
        assert re.fullmatch(r"\d{15}", unit.code) and unit.code[:12] == unit.parent.code
        assert re.fullmatch(r"\d{3}", unit.code[12:]) and unit.code[12:] != "000"
    for unit in Unit.objects.filter(kind=UnitKind.COMMUNITY).select_related("parent"):
        assert len(unit.code) == 12 and unit.code[:9] == unit.parent.code
    district_dept = Unit.objects.get(code="110101-CGJ")
    assert district_dept.name == "东城区城市管理委员会" and district_dept.parent.code == "110101"
    assert district_dept.district.code == "110101" and district_dept.geometry is None
    assert Unit.objects.get(code="CD-CGW").parent == city
    assert Unit.objects.get(code="HC").kind == UnitKind.HOTLINE_CENTER
    assert Unit.objects.get(code="EN-WATER").kind == UnitKind.ENTERPRISE
    # Paths agree with what Unit.save() would compute.
    for unit in Unit.objects.filter(code__in=["110101", "110101001", "110101001001001", "110101-CGJ"]):
        path, district, street = unit.path, unit.district_id, unit.street_id
        unit.refresh_path()
        assert (unit.path, unit.district_id, unit.street_id) == (path, district, street)


@pytest.mark.django_db
def test_territorial_units_tile_their_parents(small_tree):
    city = Unit.objects.get(code="110000")
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT))
    assert all(d.schematic for d in districts)
    assert_tiles(city.geometry, _geoms(districts))
    for parent in Unit.objects.filter(kind__in=[UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY],
                                      code__regex=r"^11010[12]"):
        children = list(parent.children.filter(kind__in=services.TERRITORIAL_KINDS))
        if parent.kind == UnitKind.DISTRICT:
            assert len(children) in (17, 15)
        assert_tiles(parent.geometry, _geoms(children))
        for child in children:
            assert child.schematic
            assert geo.as_shape(child.geometry).covers(Point(child.center_lon, child.center_lat))


@pytest.mark.django_db
def test_grids_numbered_west_to_east(small_tree):
    for community in Unit.objects.filter(kind=UnitKind.COMMUNITY)[:20]:
        first, second = community.children.order_by("code")
        assert geo.as_shape(first.geometry).centroid.x < geo.as_shape(second.geometry).centroid.x


@pytest.mark.django_db
def test_other_sizes_and_seeds():
    report = build_org_tree(communities_per_street=4, grids_per_community=3, seed=5, districts=["110102"])
    assert report.created["community"] == 4 * 15 and report.created["grid"] == 12 * 15
    community = Unit.objects.get(code="110102001004")
    assert community.name.endswith("第四社区")
    assert Unit.objects.filter(parent=community).count() == 3


@pytest.mark.django_db
def test_existing_units_are_kept_and_filled_in():
    """A unit created by hand (no boundary) keeps its name; it gets a schematic boundary."""
    city = Unit.objects.create(code="110000", name="北京市", kind="city")
    street = Unit.objects.create(code="110101001", name="东华门",
                                 kind="street", parent=Unit.objects.create(code="110101", name="东城区",
                                                                          kind="district", parent=city))
    build_org_tree(districts=["110101"])
    street.refresh_from_db()
    assert street.name == "东华门" and street.schematic and street.geometry
    district = Unit.objects.get(code="110101")
    assert (district.center_lon, district.center_lat) == (116.418757, 39.917544)
    assert street.children.count() == 3


@pytest.mark.django_db
def test_locate_point_returns_the_grid_containing_the_point(small_tree):
    grids = list(Unit.objects.filter(kind=UnitKind.GRID).select_related("parent")[:40])
    for grid in grids:
        lon, lat = geo.representative_lonlat(geo.as_shape(grid.geometry))
        place = locate_point(lon, lat)
        assert place["grid"] == grid
        assert place["community"] == grid.parent
        assert place["street"].pk == grid.street_id and place["district"].pk == grid.district_id
        assert geo.as_shape(place["grid"].geometry).covers(Point(lon, lat))


@pytest.mark.django_db
def test_locate_point_without_grids_and_outside(small_tree):
    chaoyang = Unit.objects.get(code="110105")  # no streets in the small tree
    lon, lat = chaoyang.center_lon, chaoyang.center_lat
    assert geo.as_shape(chaoyang.geometry).covers(Point(lon, lat))
    place = locate_point(lon, lat)
    assert place == {"grid": None, "community": None, "street": None, "district": chaoyang}
    assert locate_point(0.0, 0.0) is None
    assert locate_point(121.47, 31.23) is None  # Shanghai


@pytest.mark.django_db
def test_locate_cache_follows_changes(small_tree):
    grid = Unit.objects.filter(kind=UnitKind.GRID).first()
    lon, lat = geo.representative_lonlat(geo.as_shape(grid.geometry))
    assert locate_point(lon, lat)["grid"] == grid
    grid.active = False
    grid.save()
    assert locate_point(lon, lat)["grid"] is None
    assert locate_point(lon, lat)["community"] == grid.parent
    Unit.objects.filter(pk=grid.pk).update(active=True)  # no signal: the key does not change either
    services.invalidate_locator()
    assert locate_point(lon, lat)["grid"] == grid


@pytest.mark.django_db
def test_refresh_subtree_after_a_move(small_tree):
    street = Unit.objects.get(code="110101001")
    old_path = street.path
    street.parent = Unit.objects.get(code="110102")
    street.save()
    services.refresh_subtree(street, old_path)
    grid = Unit.objects.get(code="110101001001001")
    assert grid.path.startswith(street.path) and grid.district.code == "110102" and grid.street == street


@pytest.mark.django_db
def test_search_units(small_tree):
    found = search_units("东华门")
    assert found[0].code == "110101001" and found[0].kind == UnitKind.STREET
    assert {u.kind for u in found[1:]} <= {UnitKind.COMMUNITY, UnitKind.GRID}
    assert search_units("110101")[0].name == "东城区"
    assert search_units("东城区")[0].code == "110101"
    assert search_units("城管委")[0].code == "CD-CGW"  # by alias; the city's before the districts'
    assert search_units("东华门街道办事处")[0].code == "110101001"
    assert [u.code for u in search_units("东城 城管")] == ["110101-CGJ", "110101-ZFJ"]
    districts = search_units("", kinds=["district"], limit=50)
    assert len(districts) == 16 and districts[0].code == "110101"
    assert all(u.kind == UnitKind.ENTERPRISE for u in search_units("集团", kinds=[UnitKind.ENTERPRISE]))
    assert len(search_units("社区", limit=5)) == 5
    assert search_units("没有这个单位") == []
    Unit.objects.filter(code="110101001").update(active=False)
    assert "110101001" not in [u.code for u in search_units("东华门")]
    assert search_units("东华门", active_only=False)[0].code == "110101001"


@pytest.mark.django_db
def test_chinese_numbers_and_base_names():
    assert [services.chinese_number(n) for n in (1, 9, 10, 11, 20, 35, 99)] == [
        "一", "九", "十", "十一", "二十", "三十五", "九十九"]
    assert services.street_base("东华门街道") == "东华门"
    assert services.street_base("南磨房地区") == "南磨房"
    assert services.street_base("长沟镇") == "长沟"
    assert services.street_aliases("南磨房地区", "地区(街乡合一)") == "南磨房地区办事处,南磨房乡人民政府"


@pytest.mark.django_db
def test_whole_tree_in_a_few_seconds():
    report = build_org_tree()
    assert report.created["street"] == 343
    assert report.created["community"] == 3 * 343 and report.created["grid"] == 6 * 343
    assert Unit.objects.filter(kind=UnitKind.GRID, geometry__isnull=True).count() == 0
    assert report.seconds < 30  # ≈ 2 s on a laptop; generous for loaded CI machines
    union = shapely.union_all(_geoms(Unit.objects.filter(kind=UnitKind.DISTRICT)))
    assert union.symmetric_difference(geo.as_shape(Unit.objects.get(code="110000").geometry)).area < 1e-9
