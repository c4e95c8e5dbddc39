"""GeoJSON of unit boundaries for the dashboard maps (echarts.registerMap).

Boundaries are simplified for the screen (a few hundred metres at city scale) and
cached per process; each feature says whether its boundary is schematic (示意), and
the collection says whether any is, so the page can label the map.
"""
from django.db.models import Count, Max

from jiesu.core.memo import TTLCache
from jiesu.units.geometry import as_shape, to_geojson
from jiesu.units.models import Unit, UnitKind

SHAPES = TTLCache(ttl=300, maxsize=200)
TOLERANCE = {UnitKind.DISTRICT: 0.002, UnitKind.STREET: 0.0006, UnitKind.COMMUNITY: 0.0002}


def units_for_map(kind, within=None):
    """Active units of `kind` with a boundary, inside `within` (a unit) if given."""
    qs = Unit.objects.filter(kind=kind, active=True, geometry__isnull=False)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    return qs.order_by("code")


def feature_collection(kind, within=None):
    """{"type": "FeatureCollection", "features": [...], "schematic": bool, "bbox": [w, s, e, n]}."""
    qs = units_for_map(kind, within)
    fingerprint = tuple(qs.aggregate(n=Count("id"), last=Max("id")).values())
    key = (str(kind), within.pk if within else None, fingerprint)
    return SHAPES.get_or_load(key, lambda: _build(qs, TOLERANCE.get(kind, 0.0002)))


def _build(qs, tolerance):
    features, schematic = [], False
    west = south = float("inf")
    east = north = float("-inf")
    for unit in qs:
        shape = as_shape(unit.geometry)
        if shape is None or shape.is_empty:
            continue
        small = shape.simplify(tolerance, preserve_topology=True)
        x0, y0, x1, y1 = small.bounds
        west, south, east, north = min(west, x0), min(south, y0), max(east, x1), max(north, y1)
        schematic |= bool(unit.schematic)
        features.append({"type": "Feature", "geometry": to_geojson(small, digits=5),
                         "properties": {"code": unit.code, "name": unit.name, "schematic": bool(unit.schematic)}})
    bbox = [round(v, 5) for v in (west, south, east, north)] if features else None
    return {"type": "FeatureCollection", "features": features, "schematic": schematic, "bbox": bbox}
