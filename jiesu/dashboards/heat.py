"""Heat-map cells (诉求热力图). Pure: no Django.

Tickets are counted per square cell of `size` degrees on the server, so a page gets
at most a few thousand [lon, lat, n] triples however many tickets there are.
"""
import math

MAX_CELLS = 4000


def cell_size(bbox, target_cells_across=120):
    """A round cell size (degrees) giving about `target_cells_across` cells over the box's wider side."""
    west, south, east, north = bbox
    span = max(east - west, north - south, 1e-6)
    raw = span / target_cells_across
    for size in (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05):
        if size >= raw:
            return size
    return 0.1


def cell_of(lon, lat, size):
    """(ix, iy) of the cell holding the point."""
    return math.floor(lon / size), math.floor(lat / size)


def cell_center(ix, iy, size, digits=5):
    return round((ix + 0.5) * size, digits), round((iy + 0.5) * size, digits)


def cells_to_points(counts, size, limit=MAX_CELLS):
    """{(ix, iy): n} → [[lon, lat, n]], densest first, at most `limit` cells."""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [[*cell_center(ix, iy, size), n] for (ix, iy), n in rows]


def bin_points(points, size):
    """{(ix, iy): n} of an iterable of (lon, lat) — the in-memory twin of the SQL aggregation."""
    out = {}
    for lon, lat in points:
        key = cell_of(lon, lat, size)
        out[key] = out.get(key, 0) + 1
    return out
