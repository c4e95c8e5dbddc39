"""Pure geometry for grids: partition checks, metric areas, patrol coverage. No Django.

Coordinates are WGS-84 lon/lat degrees. Areas and lengths are computed in a
local equirectangular projection around the shape's latitude (metres), which
is accurate to well under 1 % at the size of a city's grids.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from jiesu.units.geometry import GeometryError, as_shape, checked_polygon, polygonal

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = 110_574.0
MIN_AREA_M2 = 1.0  # overlaps and gaps smaller than this are rounding, not errors
VISIT_RADIUS_M = 25.0  # a worker on patrol sees this far either side of the track


def m_per_deg_lon(lat: float) -> float:
    return 111_320.0 * math.cos(math.radians(lat))


def to_metres(geom: BaseGeometry, lat0: float) -> BaseGeometry:
    """The geometry in metres east/north of (0, lat0)."""
    kx, ky = m_per_deg_lon(lat0), M_PER_DEG_LAT
    return shapely.transform(geom, lambda xy: np.column_stack((xy[:, 0] * kx, (xy[:, 1] - lat0) * ky)))


def area_m2(geom: BaseGeometry) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    lat0 = (geom.bounds[1] + geom.bounds[3]) / 2
    return to_metres(geom, lat0).area


def haversine_m(lon1, lat1, lon2, lat2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# ---------------------------------------------------------------- partition checks

@dataclass
class Problem:
    kind: str  # invalid, overlap, gap, outside, code
    keys: tuple  # the grids concerned (codes or labels)
    detail: str = ""
    area_m2: float = 0.0
    at: tuple | None = None  # (lon, lat) of a point in the problem area


@dataclass
class PartitionReport:
    problems: list = field(default_factory=list)
    repaired: list = field(default_factory=list)  # (key, what was wrong) — only when repair was asked

    @property
    def ok(self) -> bool:
        return not self.problems

    def of_kind(self, kind):
        return [p for p in self.problems if p.kind == kind]


def check_partition(parent, items: Sequence[tuple[object, object]], min_area_m2: float = MIN_AREA_M2,
                    repair: bool = False) -> PartitionReport:
    """Do the grids `items` [(key, GeoJSON geometry)] tile `parent` (a community's boundary)?

    Reports invalid geometry (not repaired unless asked), overlaps between
    grids, gaps inside the parent that no grid covers, and grid area lying
    outside the parent — each above `min_area_m2`, with a point to look at.
    """
    report = PartitionReport()
    shapes = []
    for key, geometry in items:
        try:
            geom, problem = checked_polygon(geometry, repair=repair)
        except GeometryError as exc:
            report.problems.append(Problem("invalid", (key,), f"{exc.reason}: {exc.detail}".rstrip(": ")))
            continue
        if problem:
            report.repaired.append((key, problem))
        shapes.append((key, geom))
    geoms = [g for _, g in shapes]
    if len(geoms) > 1:
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist()):
            if i >= j:
                continue
            common = polygonal(geoms[i].intersection(geoms[j]))
            area = area_m2(common)
            if area > min_area_m2:
                report.problems.append(Problem("overlap", (shapes[i][0], shapes[j][0]), area_m2=round(area, 1),
                                               at=_point(common)))
    parent_geom = as_shape(parent) if parent is not None else None
    if parent_geom is not None and not parent_geom.is_empty and geoms:
        if not parent_geom.is_valid:
            parent_geom = polygonal(shapely.make_valid(parent_geom))
        union = unary_union(geoms)
        for piece in _parts(polygonal(parent_geom.difference(union))):
            area = area_m2(piece)
            if area > min_area_m2:
                report.problems.append(Problem("gap", (), area_m2=round(area, 1), at=_point(piece)))
        for key, geom in shapes:
            outside = polygonal(geom.difference(parent_geom))
            area = area_m2(outside)
            if area > min_area_m2:
                report.problems.append(Problem("outside", (key,), area_m2=round(area, 1), at=_point(outside)))
    return report


def _parts(geom):
    if geom.is_empty:
        return []
    return list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]


def _point(geom):
    p = geom.representative_point()
    return (round(p.x, 6), round(p.y, 6))


# ---------------------------------------------------------------- patrols

def track_length_m(points: Sequence[tuple[float, float]]) -> float:
    """Length of a track [(lon, lat), …] in metres."""
    return sum(haversine_m(*a, *b) for a, b in zip(points, points[1:]))


def visited_area(points: Sequence[tuple[float, float]], lat0: float, radius_m: float = VISIT_RADIUS_M):
    """The band within `radius_m` of a track, in metres (see to_metres)."""
    if not points:
        return shapely.Polygon()
    kx = m_per_deg_lon(lat0)
    xy = [(lon * kx, (lat - lat0) * M_PER_DEG_LAT) for lon, lat in points]
    line = Point(xy[0]) if len(set(xy)) == 1 else LineString(xy)
    return line.buffer(radius_m, quad_segs=4)


def visited_share(grid, tracks: Sequence[Sequence[tuple[float, float]]], radius_m: float = VISIT_RADIUS_M) -> float:
    """Share (0..1) of the grid's area within `radius_m` of any of the tracks."""
    geom = as_shape(grid)
    if geom is None or geom.is_empty:
        return 0.0
    lat0 = (geom.bounds[1] + geom.bounds[3]) / 2
    grid_m = to_metres(geom, lat0)
    if grid_m.area <= 0:
        return 0.0
    bands = [visited_area(t, lat0, radius_m) for t in tracks if t]
    if not bands:
        return 0.0
    seen = unary_union(bands).intersection(grid_m)
    return min(1.0, seen.area / grid_m.area)


def inside(grid, lon: float, lat: float) -> bool:
    geom = as_shape(grid)
    return geom is not None and geom.intersects(Point(lon, lat))
