"""Pure logic: codes, partition checks, coverage, measures, the ladder, duty resolution, the SVG projection."""
import pytest

from jiesu.grids import codes, duties, ladder, measures, svgmap
from jiesu.grids import geometry as g


def box(w, s, e, n):
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


COMMUNITY = box(116.38, 39.90, 116.40, 39.92)
TILES = [("110101001001001", box(116.38, 39.91, 116.39, 39.92)), ("110101001001002", box(116.39, 39.91, 116.40, 39.92)),
         ("110101001001003", box(116.38, 39.90, 116.39, 39.91)), ("110101001001004", box(116.39, 39.90, 116.40, 39.91))]


# ── codes ──

def test_code_problems():
    assert codes.code_problems("110101001001001", "110101001001") == []
    assert [p.reason for p in codes.code_problems("11010100100100", "110101001001")] == ["length"]
    assert [p.reason for p in codes.code_problems("11010100100100X", "110101001001")] == ["not_digits"]
    assert [p.reason for p in codes.code_problems("110101001002001", "110101001001")] == ["parent_mismatch"]
    assert [p.reason for p in codes.code_problems("110101001001000", "110101001001")] == ["zero_number"]


def test_next_code_and_duplicates():
    assert codes.next_code("110101001001", ["110101001001001", "110101001001003"]) == "110101001001002"
    assert codes.make_code("110101001001", 12) == "110101001001012"
    with pytest.raises(ValueError):
        codes.make_code("110101001001", 1000)
    assert [p.code for p in codes.duplicates(["a", "b", "a"])] == ["a"]


def test_numbering_follows_reading_order():
    from jiesu.units.geometry import as_shape, reading_order

    shapes = [as_shape(geom) for _c, geom in TILES]
    order = reading_order(shapes)
    assert codes.numbering_problems([c for c, _ in TILES], order) == []
    swapped = [TILES[1][0], TILES[0][0], TILES[2][0], TILES[3][0]]  # NW and NE swapped
    problems = codes.numbering_problems(swapped, order)
    assert {(p.code, p.detail) for p in problems} == {("110101001001002", "110101001001001"),
                                                      ("110101001001001", "110101001001002")}


# ── partition checks ──

def test_a_tiling_passes():
    assert g.check_partition(COMMUNITY, TILES).ok


def test_overlap_is_reported_with_area_and_place():
    items = TILES[:3] + [("110101001001004", box(116.389, 39.90, 116.40, 39.91))]  # 004 reaches into 003
    report = g.check_partition(COMMUNITY, items)
    [overlap] = report.of_kind("overlap")
    assert set(overlap.keys) == {"110101001001003", "110101001001004"}
    assert 900_000 > overlap.area_m2 > 800  # 0.001° × 0.01° ≈ 85 m × 1110 m
    assert 116.389 <= overlap.at[0] <= 116.39


def test_gap_inside_the_community():
    report = g.check_partition(COMMUNITY, TILES[:3])
    [gap] = report.of_kind("gap")
    assert gap.area_m2 == pytest.approx(g.area_m2(g.as_shape(TILES[3][1])), rel=1e-6)
    assert 116.39 < gap.at[0] < 116.40 and 39.90 < gap.at[1] < 39.91


def test_outside_and_invalid():
    bowtie = {"type": "Polygon", "coordinates": [[[116.38, 39.90], [116.39, 39.91], [116.39, 39.90],
                                                  [116.38, 39.91], [116.38, 39.90]]]}
    items = TILES[:2] + [("110101001001003", bowtie), ("110101001001004", box(116.39, 39.895, 116.40, 39.91))]
    report = g.check_partition(COMMUNITY, items)
    kinds = {p.kind for p in report.problems}
    assert {"invalid", "outside", "gap"} <= kinds
    assert report.of_kind("invalid")[0].keys == ("110101001001003",)
    assert report.of_kind("outside")[0].keys == ("110101001001004",)
    line = {"type": "LineString", "coordinates": [[116.38, 39.90], [116.39, 39.91]]}
    assert g.check_partition(None, [("x", line)]).of_kind("invalid")[0].detail.startswith("not_polygonal")


def test_slivers_below_the_tolerance_are_not_errors():
    items = TILES[:3] + [("110101001001004", box(116.39, 39.90, 116.40, 39.9100000001))]
    assert g.check_partition(COMMUNITY, items).ok


# ── patrols ──

def test_track_length_and_area():
    assert g.track_length_m([(116.39, 39.90), (116.39, 39.91)]) == pytest.approx(1112, rel=0.01)
    assert g.area_m2(g.as_shape(box(116.38, 39.90, 116.39, 39.91))) == pytest.approx(853 * 1106, rel=0.01)


def test_visited_share_of_a_line_across_a_grid():
    grid = box(116.38, 39.90, 116.39, 39.91)  # ≈ 853 m wide, 1106 m high
    share = g.visited_share(grid, [[(116.385, 39.899), (116.385, 39.911)]], radius_m=25)
    assert share == pytest.approx(50 / 853, rel=0.03)
    assert g.visited_share(grid, []) == 0.0
    two = g.visited_share(grid, [[(116.382, 39.899), (116.382, 39.911)], [(116.387, 39.899), (116.387, 39.911)]])
    assert two == pytest.approx(2 * share, rel=0.02)
    # the same track twice counts once
    assert g.visited_share(grid, [[(116.385, 39.899), (116.385, 39.911)]] * 2) == pytest.approx(share)
    assert g.visited_share(grid, [[(116.385, 39.905)]]) > 0  # a single point


def test_measures():
    assert measures.discovery_rate(3, 1) == 0.75
    assert measures.discovery_rate(0, 0) is None
    assert measures.timeliness(9, 1) == 0.9
    assert measures.percent(0.756) == "75.6%"
    assert measures.percent(None) == "—"


# ── ladder and duties ──

def test_ladder():
    assert ladder.next_level("grid") == "community"
    assert ladder.next_level("street") == "district"
    assert ladder.next_level("district") is None
    with pytest.raises(ValueError):
        ladder.next_level("city")
    assert ladder.limit("grid") == (1, "working_days")
    assert ladder.limit("grid", {"grid": (4, "working_hours")}) == (4, "working_hours")
    assert ladder.may_whistle("street") and not ladder.may_whistle("community")


def test_duty_resolution():
    rules = [duties.Rule("department", gbt_code="06"), duties.Rule("grid", True, gbt_code="06010"),
             duties.Rule("community", street_id=7, gbt_code="06"),
             duties.Rule("street", category_code="01"), duties.Rule("community", category_code="01.01")]
    assert duties.resolve(rules, 1, "06010").level == "grid"
    assert duties.resolve(rules, 1, "06099").level == "department"
    assert duties.resolve(rules, 7, "06099").level == "community"  # the street's own line beats the city's
    assert duties.resolve(rules, 7, "06010").level == "community"
    assert duties.resolve(rules, 1, "", ["01.01.02", "01.01", "01"]).level == "community"  # deeper category
    assert duties.resolve(rules, 1, "", ["01.02.01", "01.02", "01"]).level == "street"
    assert duties.resolve(rules, 1, "02001") is None


# ── svg ──

def test_projection_round_trip_and_colours():
    frame = svgmap.frame_for([COMMUNITY], 400, 400)
    x, y = frame.project(116.385, 39.915)
    lon, lat = frame.unproject(x, y)
    assert lon == pytest.approx(116.385, abs=1e-4) and lat == pytest.approx(39.915, abs=1e-4)
    assert frame.project(116.38, 39.92) == (frame.pad, frame.pad)  # north-west corner top left
    d = svgmap.path_d(COMMUNITY, frame)
    assert d.startswith("M") and d.endswith("Z")
    assert svgmap.colour(None, 0, 1) == svgmap.NO_DATA
    assert svgmap.colour(0, 0, 10) == svgmap.PALETTE[0]
    assert svgmap.colour(10, 0, 10) == svgmap.PALETTE[-1]
    assert svgmap.colour(10, 0, 10, high_is_good=True) == svgmap.PALETTE[0]
    assert len(svgmap.legend(0, 10)) == len(svgmap.PALETTE)
