"""Pure geometry: schematic tilings, validation, the point locator (no database)."""
import csv
import random
from pathlib import Path

import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from jiesu.units import geometry as geo

from .helpers import assert_tiles

DATA = Path(geo.__file__).resolve().parent / "data"


def _rows(name):
    with open(DATA / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def districts():
    rows = _rows("districts.csv")
    return rows, geo.district_cells([(float(r["center_lon"]), float(r["center_lat"])) for r in rows])


def test_package_data_counts():
    districts, streets = _rows("districts.csv"), _rows("streets.csv")
    assert len(districts) == 16 and len({r["code"] for r in districts}) == 16
    assert len(streets) == 343 and len({r["code"] for r in streets}) == 343
    assert {r["type"] for r in streets} == {"街道", "镇", "乡", "地区(街乡合一)"}
    codes = {r["code"] for r in districts}
    assert all(r["code"][:6] == r["district_code"] in codes and len(r["code"]) == 9 for r in streets)
    departments = _rows("departments.csv")
    assert sum(r["code"].startswith("CD-") for r in departments) == 40
    assert sum(r["code"].startswith("{district}-") for r in departments) == 5
    assert sum(r["code"].startswith("EN-") for r in departments) == 6


def test_district_cells_tile_the_city_box(districts):
    rows, cells = districts
    assert len(cells) == 16
    assert_tiles(geo.bbox_polygon(), cells)
    for row, cell in zip(rows, cells):  # each cell holds its own district's centre
        assert cell.contains(Point(float(row["center_lon"]), float(row["center_lat"]))), row["name"]


def test_two_districts_down_to_grids_tile_their_parents(districts):
    """东城 and 西城: streets tile the district, communities the street, grids the community."""
    rows, cells = districts
    streets = _rows("streets.csv")
    for row, district in list(zip(rows, cells))[:2]:
        mine = [s for s in streets if s["district_code"] == row["code"]]
        street_cells = geo.split(district, len(mine), f"1:{row['code']}")
        assert len(street_cells) == len(mine)
        assert_tiles(district, street_cells)
        for street, street_cell in zip(mine[:4], street_cells[:4]):
            communities = geo.split(street_cell, 3, f"1:{street['code']}")
            assert_tiles(street_cell, communities)
            for i, community in enumerate(communities, start=1):
                assert_tiles(community, geo.split(community, 2, f"1:{street['code']}{i:03d}"))


def test_split_is_deterministic_and_seeded():
    parent = box(116.0, 39.5, 116.4, 39.8)
    first = geo.split(parent, 7, "1:110101001")
    again = geo.split(parent, 7, "1:110101001")
    other = geo.split(parent, 7, "2:110101001")
    assert [c.wkt for c in first] == [c.wkt for c in again]
    assert [c.wkt for c in first] != [c.wkt for c in other]
    assert geo.split(parent, 1, "x") == [parent] and geo.split(parent, 0, "x") == []


def test_split_of_a_ragged_multipolygon_tiles_it():
    """Real boundaries are non-convex and may have islands and holes."""
    ell = Polygon([(0, 0), (3, 0), (3, 1), (1, 1), (1, 3), (0, 3)], holes=[[(0.2, 0.2), (0.5, 0.2), (0.5, 0.5)]])
    parent = MultiPolygon([ell, box(5, 5, 5.5, 5.2)])
    cells = geo.split(parent, 9, "1:test")
    assert_tiles(parent, cells)


def test_reading_order_west_to_east_then_north_to_south():
    # Four quadrants, shuffled: NW, NE, SW, SE is reading order.
    nw, ne, sw, se = box(0, 1, 1, 2), box(1, 1, 2, 2), box(0, 0, 1, 1), box(1, 0, 2, 1)
    cells = [se, nw, sw, ne]
    assert [cells[i] for i in geo.reading_order(cells)] == [nw, ne, sw, se]
    left, right = box(0, 0, 1, 3), box(1, 0, 2, 3)
    assert geo.reading_order([right, left]) == [1, 0]


def test_random_points_lie_inside():
    parent = Polygon([(0, 0), (4, 0), (4, 0.1), (0.1, 0.1), (0.1, 4), (0, 4)])  # a thin L
    points = geo.random_points(parent, 200, random.Random(1))
    assert all(parent.covers(Point(p)) for p in points)


def test_checked_polygon_repairs_or_rejects_with_a_reason():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    fixed, problem = geo.checked_polygon(bowtie)
    assert fixed.is_valid and fixed.area == pytest.approx(0.5) and "Self-intersection" in problem
    with pytest.raises(geo.GeometryError) as exc:
        geo.checked_polygon(bowtie, repair=False)
    assert exc.value.reason == "invalid" and "Self-intersection" in exc.value.detail
    cases = [
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "not_polygonal"),
        ({"type": "Polygon", "coordinates": [[[440000, 4400000], [450000, 4400000], [450000, 4410000],
                                              [440000, 4400000]]]}, "not_lonlat"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "Blob"}, "unreadable"),
        (None, "empty"),
    ]
    for geometry, reason in cases:
        with pytest.raises(geo.GeometryError) as exc:
            geo.checked_polygon(geometry)
        assert exc.value.reason == reason, geometry


def test_geojson_round_trip():
    cell = box(116.123456789, 39.1, 116.2, 39.2)
    data = geo.to_geojson(cell)
    assert data["type"] == "Polygon" and isinstance(data["coordinates"][0][0], list)
    assert geo.as_shape(data).equals_exact(cell, 0)
    assert 116.1234568 in [xy[0] for xy in geo.to_geojson(cell, digits=7)["coordinates"][0]]


def test_locator_finds_the_containing_polygon(districts):
    rows, cells = districts
    locator = geo.Locator([(r["code"], geo.to_geojson(c)) for r, c in zip(rows, cells)] + [("none", None)])
    assert len(locator) == 16
    rng = random.Random(7)
    lons = [rng.uniform(115.41, 117.51) for _ in range(500)]
    lats = [rng.uniform(39.44, 41.06) for _ in range(500)]
    found = [locator.locate(x, y) for x, y in zip(lons, lats)]
    for x, y, code in zip(lons, lats, found):
        assert cells[[r["code"] for r in rows].index(code)].covers(Point(x, y))
    assert locator.locate_many(lons, lats) == found
    assert locator.locate(0.0, 0.0) is None
    assert locator.locate(116.397, 39.908) == "110101" or locator.locate(116.397, 39.908) == "110102"


def test_locator_on_a_shared_edge_answers_the_first_listed():
    locator = geo.Locator([("a", box(0, 0, 1, 1)), ("b", box(1, 0, 2, 1))])
    assert locator.locate(1.0, 0.5) == "a"
    assert locator.locate(1.5, 0.5) == "b"
    assert locator.locate_many([1.0, 1.5, 9], [0.5, 0.5, 9]) == ["a", "b", None]
    assert geo.Locator([]).locate(0, 0) is None


def _asked_in_turn(layers, lon, lat):
    for key, locator in layers:
        found = locator.locate(lon, lat)
        if found is not None:
            return key, found
    return None


def test_layered_locator_answers_as_asking_each_layer_in_turn(districts):
    rows, cells = districts
    streets = [(f"{rows[i]['code']}-{k}", cell) for i in (0, 5) for k, cell in enumerate(geo.split(cells[i], 12, str(i)))]
    partial = [(code, cell) for code, cell in streets[::3]]  # gaps: the street layer covers only part of the city
    layers = [("street", geo.Locator(partial)),
              ("district", geo.Locator([(r["code"], c) for r, c in zip(rows, cells)]))]
    layered = geo.LayeredLocator(layers, cells=16)
    assert len(layered) == len(partial) + 16
    rng = random.Random(11)
    points = [(rng.uniform(115.3, 117.6), rng.uniform(39.3, 41.2)) for _ in range(3000)]
    # vertices of the boundaries: on edges, where the first listed must win
    points += [xy for _code, cell in partial for poly in getattr(cell, "geoms", [cell]) for xy in poly.exterior.coords]
    answers = [layered.locate(x, y) for x, y in points]
    assert answers == [_asked_in_turn(layers, x, y) for x, y in points]
    assert {a[0] for a in answers if a is not None} == {"street", "district"}
    assert None in answers  # outside the city's box


def test_layered_locator_edges_and_empty_layers():
    layered = geo.LayeredLocator([("fine", geo.Locator([("a", box(0, 0, 1, 1)), ("b", box(1, 0, 2, 1))])),
                                  ("coarse", geo.Locator([("c", box(-1, -1, 3, 2))]))], cells=4)
    assert layered.locate(1.0, 0.5) == ("fine", "a")
    assert layered.locate(2.0, 1.0) == ("fine", "b")      # the far corner of the extent's inner box
    assert layered.locate(3.0, 2.0) == ("coarse", "c")    # the extent's far corner
    assert layered.locate(2.5, 1.5) == ("coarse", "c")
    assert layered.locate(3.0001, 0.5) is None and layered.locate(-1.0001, 0.5) is None
    assert geo.LayeredLocator([("x", geo.Locator([]))]).locate(0, 0) is None
    assert len(geo.LayeredLocator([])) == 0
