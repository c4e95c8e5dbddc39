"""Assertions shared by the unit-tree tests."""
from pathlib import Path

import shapely

from jiesu.units import geometry as geo

REAL_DISTRICTS = str(Path(__file__).resolve().parents[2].parent / "shared" / "data" / "geo"
                     / "beijing_districts_wgs84.geojson")  # ../shared next to the project, read in place


def assert_tiles(parent, cells, rel_tol=1e-9):
    """`cells` are valid, pairwise non-overlapping and together cover `parent`."""
    parent = geo.as_shape(parent)
    cells = [geo.as_shape(c) for c in cells]
    assert cells, "no cells"
    for cell in cells:
        assert cell.is_valid, shapely.is_valid_reason(cell)
        assert cell.geom_type in ("Polygon", "MultiPolygon")
        assert cell.area > 0
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    overlap = sum(cells[a].intersection(cells[b]).area for a, b in zip(left, right) if a < b)
    assert overlap <= rel_tol * parent.area, f"cells overlap by {overlap}"
    union = shapely.union_all(cells)
    assert union.symmetric_difference(parent).area <= rel_tol * parent.area
    assert abs(sum(c.area for c in cells) - parent.area) <= rel_tol * parent.area
