"""jiesu load-units: real boundaries from GeoJSON or CSV."""
import json
from io import StringIO

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import translation
from shapely.geometry import Point

from jiesu import cli
from jiesu.units import geometry as geo
from jiesu.units.boundaries import normalise_code, read_boundaries
from jiesu.units.models import Unit, UnitKind
from jiesu.units.services import locate_point

from .helpers import REAL_DISTRICTS, assert_tiles


def load(*args, language="en"):
    """Run the command; its messages in `language` (Chinese is the default UI language)."""
    out = StringIO()
    with translation.override(language):
        call_command("load_units", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def real_districts():
    with open(REAL_DISTRICTS, encoding="utf-8") as fh:
        return {str(f["properties"]["adcode"]): f for f in json.load(fh)["features"]}


@pytest.mark.django_db
def test_loading_the_real_district_file_updates_all_16(small_tree, real_districts):
    out = load(REAL_DISTRICTS)
    assert "16 updated, 0 created, 0 rejected" in out
    districts = {d.code: d for d in Unit.objects.filter(kind=UnitKind.DISTRICT)}
    assert set(districts) == set(real_districts)
    for code, feature in real_districts.items():
        district = districts[code]
        assert district.schematic is False
        real = geo.as_shape(feature["geometry"])
        assert geo.as_shape(district.geometry).equals_exact(real, 0)
        assert district.name == feature["properties"]["name"]
    # The schematic streets below were re-tiled into the real boundary.
    dongcheng = districts["110101"]
    streets = list(dongcheng.children.filter(kind=UnitKind.STREET))
    assert len(streets) == 17 and all(s.schematic for s in streets)
    assert_tiles(dongcheng.geometry, [s.geometry for s in streets])
    # A point inside the real 东城区 now lands in 东城区, in one of its grids.
    lon, lat = geo.representative_lonlat(geo.as_shape(real_districts["110101"]["geometry"]))
    place = locate_point(lon, lat)
    assert place["district"] == dongcheng and place["grid"] is not None
    assert place["grid"].code.startswith("110101")


@pytest.mark.django_db
def test_cli_alias_and_creating_districts_under_the_city(real_districts, capsys, monkeypatch):
    Unit.objects.create(code="110000", name="北京市", kind="city")
    # run_from_argv closes every connection when done; on PostgreSQL that would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with translation.override("zh-hans"):
        cli.main(["load-units", REAL_DISTRICTS, "--no-retile"])
    assert "更新 0 个，新建 16 个，拒绝 0 个" in capsys.readouterr().out
    district = Unit.objects.get(code="110108")
    assert district.name == "海淀区" and district.parent.code == "110000" and district.district == district
    assert geo.as_shape(district.geometry).covers(Point(district.center_lon, district.center_lat))


@pytest.mark.django_db
def test_without_the_city_everything_is_rejected_by_name():
    out = StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="No boundary was loaded"):
        call_command("load_units", REAL_DISTRICTS, stdout=out)
    assert "rejected #1 110101 东城区: its parent 110000 is not in the org tree" in out.getvalue()
    with translation.override("zh-hans"), pytest.raises(CommandError, match="没有导入任何边界"):
        call_command("load_units", REAL_DISTRICTS, stdout=out)
    assert "拒绝 #1 110101 东城区：上级单位 110000 不在组织树中" in out.getvalue()


def _csv(tmp_path, rows, header="code,name,parent_code,kind,wkt"):
    path = tmp_path / "units.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_csv_creates_updates_repairs_and_rejects(small_tree, tmp_path):
    street = Unit.objects.get(code="110101001")
    inside = geo.as_shape(street.geometry).buffer(-0.0005)
    x0, y0, x1, y1 = inside.bounds
    box_wkt = shapely.box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2).wkt
    bowtie = f"POLYGON (({x0} {y0}, {x1} {y1}, {x1} {y0}, {x0} {y1}, {x0} {y0}))"
    path = _csv(tmp_path, [
        f'110101001099,东华门新社区,,community,"{box_wkt}"',     # created under its street
        f'110101001001,,,,"{bowtie}"',                          # updated, repaired
        '110101001002,,,,"LINESTRING (116 39, 117 40)"',        # rejected: not a polygon
        '110101001003,,,,"POLYGON ((1 1, 2 1, 2 2, 1 1))"',     # rejected: outside the city
        '110199001001,某社区,,,"POLYGON ((116 40, 116.1 40, 116.1 40.1, 116 40))"',  # rejected: no parent
        '110101001004,,,,"POLYGON ((oops"',                      # rejected: unreadable
        f'110101001001,,,,"{box_wkt}"',                          # rejected: duplicate
        f'110101001005,新社区,,grid,"{box_wkt}"',                 # rejected: kind does not fit
    ])
    out = load(path)
    assert "1 updated, 1 created, 6 rejected, 1 repaired" in out
    assert "repaired #2 110101001001: Self-intersection" in out
    assert "rejected #3 110101001002: a boundary must be a Polygon or MultiPolygon, not LineString" in out
    assert "rejected #4 110101001003: lies outside the city" in out
    assert "rejected #5 110199001001 某社区: its parent 110199001 is not in the org tree" in out
    assert "rejected #6 110101001004: cannot be read: bad WKT" in out
    assert "rejected #7 110101001001: unit 110101001001 was already loaded from #2 110101001001" in out
    assert "rejected #8 110101001005 新社区: kind “grid” does not fit code 110101001005" in out
    created = Unit.objects.get(code="110101001099")
    assert created.parent == street and created.kind == UnitKind.COMMUNITY and not created.schematic
    assert created.street == street and created.path.startswith(street.path)
    repaired = Unit.objects.get(code="110101001001")
    assert not repaired.schematic and geo.as_shape(repaired.geometry).is_valid
    # The repaired community's two schematic grids were re-tiled into it.
    assert_tiles(repaired.geometry, [g.geometry for g in repaired.children.all()])


@pytest.mark.django_db
def test_no_repair_strict_and_dry_run(small_tree, tmp_path):
    street = Unit.objects.get(code="110101001")
    x0, y0, x1, y1 = geo.as_shape(street.geometry).bounds
    bowtie = f"POLYGON (({x0} {y0}, {x1} {y1}, {x1} {y0}, {x0} {y1}, {x0} {y0}))"
    good = shapely.box(x0, y0, x1, y1).wkt
    path = _csv(tmp_path, [f'110101001001,,,,"{bowtie}"', f'110101001002,,,,"{good}"'])
    before = Unit.objects.get(code="110101001002").geometry

    out = load(path, "--no-repair", "--dry-run")
    assert "rejected #1 110101001001: the boundary is not a valid polygon: Self-intersection" in out
    assert "Dry run" in out and Unit.objects.get(code="110101001002").geometry == before

    with pytest.raises(CommandError, match="未保存任何内容"):
        load(path, "--no-repair", "--strict", language="zh-hans")
    assert Unit.objects.get(code="110101001002").schematic

    load(path, "--no-repair")
    assert not Unit.objects.get(code="110101001002").schematic
    assert Unit.objects.get(code="110101001001").schematic


@pytest.mark.django_db
def test_matching_by_name_and_geojson_column(small_tree, tmp_path):
    street = Unit.objects.get(code="110101002")  # 景山街道
    Unit.objects.filter(code__in=["110101001001", "110102001001"]).update(name="重名社区")
    geometry = json.dumps(geo.to_geojson(geo.as_shape(street.geometry).buffer(-0.0001))).replace('"', '""')
    rows = [f'X-1,景山街道,,,"{geometry}"', f',重名社区,,,"{geometry}"', f',不存在的街道,,,"{geometry}"']
    out = load(_csv(tmp_path, rows, header="code,name,parent_code,kind,geojson"))
    assert "1 updated, 0 created, 2 rejected" in out
    assert "rejected #2 重名社区: the name matches several units (110101001001, 110102001001): give the code" in out
    assert "rejected #3 不存在的街道: no unit has this name" in out
    street.refresh_from_db()
    assert not street.schematic and street.code == "110101002"


def test_reading_codes_and_bad_files(tmp_path):
    assert normalise_code(110101) == "110101"
    assert normalise_code("110101001000") == "110101001"
    assert normalise_code("110101000000") == "110101"
    assert normalise_code("110101001001") == "110101001001"
    assert normalise_code(110101.0) == "110101"
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Point"}', encoding="utf-8")
    with pytest.raises(ValueError, match="FeatureCollection"):
        read_boundaries(bad)
    nogeom = tmp_path / "nogeom.csv"
    nogeom.write_text("code,name\n110101,东城区\n", encoding="utf-8")
    with pytest.raises(ValueError, match="wkt, geojson or geometry"):
        read_boundaries(nogeom)
    records = read_boundaries(REAL_DISTRICTS)
    assert len(records) == 16 and records[0].code == "110101" and records[0].name == "东城区"
