"""Pure geometry for the org tree: schematic tilings, validation, point location.

No Django here (DESIGN.md §4): the services layer feeds it GeoJSON dicts and
stores what it returns. Coordinates are WGS-84 longitude/latitude degrees.

Schematic boundaries (示意) stand in until real ones are loaded with
`jiesu load-units`. They are built so that the org tree is always a proper
tiling: every level's cells are valid, do not overlap and together cover
their parent (to floating-point precision: coordinates are kept as computed,
not rounded, because rounding the points where a cell meets its parent's
edge would open centimetre slivers), so point location finds exactly one
unit per level.

- districts: Voronoi cells around the real district centres, clipped to the
  city's bounding box;
- streets, communities, grids: Voronoi cells around seeded pseudo-random
  points inside the parent, relaxed twice (Lloyd) so the cells are of
  comparable size, clipped to the parent.
"""
from __future__ import annotations

import math
import random
from typing import Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, box, mapping, shape
from shapely.geometry.base import BaseGeometry

# Beijing's extent rounded outwards (real: 115.417–117.508 E, 39.442–41.060 N);
# the same box as settings.JIESU["CITY_BBOX"], so any point that passes the
# intake's bounding-box check lies in some schematic district.
BEIJING_BBOX = (115.41, 39.44, 117.51, 41.06)
DIGITS = 7  # centres are rounded to 1e-7° (≈ 1 cm)
LLOYD_ITERATIONS = 2
POLYGONAL = ("Polygon", "MultiPolygon")


class GeometryError(ValueError):
    """A boundary that cannot be used. `reason` is a stable code, `detail` the specifics."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------- conversion

def as_shape(geometry) -> BaseGeometry | None:
    """A shapely geometry from a GeoJSON dict (or a shapely geometry, or None)."""
    if geometry is None or isinstance(geometry, BaseGeometry):
        return geometry
    return shape(geometry)


def to_geojson(geom: BaseGeometry, digits: int | None = None) -> dict:
    """A GeoJSON geometry dict (coordinates rounded to `digits` decimals if given)."""
    if digits is not None:
        geom = shapely.transform(geom, lambda xy: np.round(xy, digits))
    return _lists(mapping(geom))


def _lists(value):
    """mapping() gives tuples; JSON fields compare equal only with lists."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygonal part of `geom` (an intersection may add stray lines/points)."""
    if geom.geom_type in POLYGONAL:
        return geom
    polys = [p for p in _flatten(geom) if p.geom_type == "Polygon" and not p.is_empty]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _flatten(geom):
    for part in shapely.get_parts(geom):
        if part.geom_type in ("GeometryCollection", "MultiPolygon", "MultiLineString", "MultiPoint"):
            yield from _flatten(part)
        else:
            yield part


def bbox_polygon(bbox: Sequence[float] = BEIJING_BBOX) -> BaseGeometry:
    west, south, east, north = bbox
    return box(west, south, east, north)


def representative_lonlat(geom: BaseGeometry) -> tuple[float, float]:
    """A point surely inside `geom` (the centroid if it is inside, else a surface point)."""
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    return round(c.x, DIGITS), round(c.y, DIGITS)


# ---------------------------------------------------------------- tiling

def voronoi_cells(points: Sequence[tuple[float, float]], within: BaseGeometry) -> list[BaseGeometry]:
    """The Voronoi cell of each point (in the points' order), clipped to `within`."""
    if len(points) == 1:
        return [within]
    diagram = shapely.voronoi_polygons(MultiPoint(points), extend_to=within, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):
        raise GeometryError("duplicate_points", f"{len(points)} points gave {len(cells)} cells")
    return [polygonal(c) for c in shapely.intersection(cells, within)]


def district_cells(centres: Sequence[tuple[float, float]],
                   bbox: Sequence[float] = BEIJING_BBOX) -> list[BaseGeometry]:
    """Schematic districts: the Voronoi cells of the district centres inside the city box."""
    return voronoi_cells(centres, bbox_polygon(bbox))


def random_points(geom: BaseGeometry, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """n points uniformly distributed inside `geom`.

    Sampling area-weighted triangles of a constrained triangulation needs no
    rejection loop, so thin or ragged real boundaries cost the same as boxes.
    """
    triangles = shapely.get_parts(shapely.constrained_delaunay_triangles(geom))
    weights = list(np.cumsum(shapely.area(triangles)))
    corners = [np.asarray(t.exterior.coords)[:3] for t in triangles]
    points = []
    for tri in rng.choices(corners, cum_weights=weights, k=n):
        r1, r2 = rng.random(), rng.random()
        if r1 + r2 > 1:
            r1, r2 = 1 - r1, 1 - r2
        a, b, c = tri
        x, y = a + r1 * (b - a) + r2 * (c - a)
        points.append((float(x), float(y)))
    return points


def relaxed_cells(points, within: BaseGeometry, iterations: int = LLOYD_ITERATIONS) -> list[BaseGeometry]:
    """Voronoi cells after `iterations` Lloyd steps (each seed moves to its cell's centre)."""
    cells = voronoi_cells(points, within)
    for _ in range(iterations):
        cells = voronoi_cells([representative_lonlat(c) for c in cells], within)
    return cells


def reading_order(geoms: Sequence[BaseGeometry]) -> list[int]:
    """Indices of `geoms` numbered like text: west→east along a row, rows north→south.

    The rows are round(√n) equal horizontal bands of the cells' extent,
    each cell in the band of its centroid.
    """
    n = len(geoms)
    rows = max(1, round(math.sqrt(n)))
    centres = [g.centroid for g in geoms]
    north = max(g.bounds[3] for g in geoms)
    south = min(g.bounds[1] for g in geoms)
    band = (north - south) / rows or 1.0

    def key(i):
        return min(rows - 1, int((north - centres[i].y) / band)), centres[i].x, -centres[i].y

    return sorted(range(n), key=key)


def split(parent: BaseGeometry, n: int, key: str) -> list[BaseGeometry]:
    """Cut `parent` into n cells tiling it, in reading order.

    `key` seeds the pseudo-random generator (e.g. "1:110101001"), so the same
    parent, n and key always give the same cells, on any machine.
    """
    if n <= 0:
        return []
    if n == 1:
        return [parent]
    rng = random.Random(key)
    cells = relaxed_cells(random_points(parent, n, rng), parent)
    if any(c.is_empty for c in cells):
        raise GeometryError("degenerate", f"{key}: a cell vanished")
    return [cells[i] for i in reading_order(cells)]


# ---------------------------------------------------------------- validation

def checked_polygon(geometry, repair: bool = True) -> tuple[BaseGeometry, str]:
    """A usable (multi)polygon from a GeoJSON geometry, and a note if it was repaired.

    Raises GeometryError with reason "unreadable", "empty", "not_polygonal",
    "not_lonlat" or "invalid" (when repair is off or does not help).
    """
    try:
        geom = as_shape(geometry)
    except Exception as exc:  # shapely raises several types for bad GeoJSON
        raise GeometryError("unreadable", str(exc)) from exc
    if geom is None or geom.is_empty:
        raise GeometryError("empty")
    if geom.geom_type not in POLYGONAL:
        raise GeometryError("not_polygonal", geom.geom_type)
    west, south, east, north = geom.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise GeometryError("not_lonlat", f"bounds {geom.bounds}")
    if geom.is_valid:
        return geom, ""
    problem = shapely.is_valid_reason(geom)
    if not repair:
        raise GeometryError("invalid", problem)
    fixed = polygonal(shapely.make_valid(geom))
    if fixed.is_empty or not fixed.is_valid:
        raise GeometryError("invalid", problem)
    return fixed, problem


# ---------------------------------------------------------------- location

class Locator:
    """Point-in-polygon over many units, via an STRtree of prepared polygons.

    Built from [(unit_id, geometry)], geometry a GeoJSON dict or shapely
    geometry (missing/empty ones are skipped). A point on a shared edge
    belongs to the unit listed first.
    """

    def __init__(self, items: Iterable[tuple[object, object]]):
        ids, geoms = [], []
        for unit_id, geometry in items:
            geom = as_shape(geometry)
            if geom is None or geom.is_empty:
                continue
            ids.append(unit_id)
            geoms.append(geom)
        self._ids = ids
        self._geoms = np.array(geoms, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)

    def __len__(self):
        return len(self._ids)

    def locate(self, lon: float, lat: float):
        """The id of the unit containing (lon, lat), or None."""
        point = Point(lon, lat)
        candidates = self._tree.query(point)
        if len(candidates) == 0:
            return None
        hits = candidates[shapely.intersects(self._geoms[candidates], point)]
        return self._ids[int(hits.min())] if len(hits) else None

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list:
        """locate() for many points at once (one tree query)."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        result = [None] * len(points)
        if len(self._ids) == 0:
            return result
        point_idx, geom_idx = self._tree.query(points, predicate="intersects")
        for p, g in sorted(zip(point_idx.tolist(), geom_idx.tolist()), reverse=True):
            result[p] = self._ids[g]  # reversed, so the lowest geometry index wins
        return result


class LayeredLocator:
    """The finest of several layers of units at a point: built from [(key, Locator)], finest layer first.

    locate(lon, lat) → (key, id) of the first unit holding the point in the
    first layer that has one, or None: what asking each layer's Locator in
    turn gives, with one look-up instead of one tree query per layer. A
    uniform grid of cells over all the boundaries' extent lists, per cell,
    the boundaries whose bounding box meets it (finest layer first, each
    layer in its listed order); the point's cell is found by arithmetic and
    its boundaries are tested at once with prepared point-in-polygon tests
    (shapely.intersects_xy, so a point on an edge counts, as in Locator).
    """

    def __init__(self, layers: Iterable[tuple[object, Locator]], cells: int = 128):
        keys, ids, geoms = [], [], []
        for key, layer in layers:
            keys.extend([key] * len(layer))
            ids.extend(layer._ids)
            geoms.extend(layer._geoms)
        self._keys, self._ids = keys, ids
        self._buckets = {}
        self._origin = self._scale = (0.0, 0.0)
        self._cells = cells
        if not geoms:
            return
        geoms = np.array(geoms, dtype=object)
        bounds = shapely.bounds(geoms)
        west, south = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        east, north = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        self._origin = (west, south)
        self._scale = (cells / max(east - west, 1e-9), cells / max(north - south, 1e-9))
        self._geoms = geoms
        for index, (w, s, e, n) in enumerate(bounds.tolist()):
            (i0, j0), (i1, j1) = self._cell(w, s), self._cell(e, n)
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    self._buckets.setdefault(i * cells + j, []).append(index)

    def _cell(self, lon, lat):
        """The (column, row) of a point in the extent; the extent's far edges belong to the last cells.
        Floating-point rounding is monotonic, so a point inside a bounding box lands in one of its cells."""
        last = self._cells - 1
        return (min(int((lon - self._origin[0]) * self._scale[0]), last),
                min(int((lat - self._origin[1]) * self._scale[1]), last))

    def __len__(self):
        return len(self._ids)

    def locate(self, lon: float, lat: float):
        """(key, id) of the finest unit holding (lon, lat), or None."""
        found = self._hits(lon, lat)
        if found is None:
            return None
        indices, hits = found
        first = int(hits.argmax())
        if not hits[first]:
            return None
        index = int(indices[first])
        return self._keys[index], self._ids[index]

    def all_at(self, lon: float, lat: float, within: float = 0.0) -> list:
        """[(key, id)] of every unit holding (lon, lat), or with `within`, a point that far from it east, west,
        north or south; finest layer first: a point on an edge shared by two units of a layer is in both."""
        found = self._hits(lon, lat, within)
        if found is None:
            return []
        indices, hits = found
        return [(self._keys[i], self._ids[i]) for i in indices[hits].tolist()]

    def _hits(self, lon, lat, within=0.0):
        """(the indices of the boundaries listed in the point's cell, which of them hold it, or a point `within`
        degrees from it), or None outside."""
        if not self._buckets or lon < self._origin[0] or lat < self._origin[1]:
            return None
        i, j = self._cell(lon, lat)
        cell = i * self._cells + j
        bucket = self._buckets.get(cell)
        if bucket is None:
            return None
        if isinstance(bucket, list):  # a cell's arrays are made when a point first lands in it
            bucket = self._buckets[cell] = (self._geoms[bucket], np.array(bucket))
        geoms, indices = bucket
        if within:  # the point and four around it (shapely.dwithin costs 3 times as much)
            lons = np.array([lon, lon - within, lon + within, lon, lon])
            lats = np.array([lat, lat, lat, lat - within, lat + within])
            return indices, shapely.intersects_xy(geoms[:, None], lons, lats).any(axis=1)
        return indices, shapely.intersects_xy(geoms, lon, lat)
