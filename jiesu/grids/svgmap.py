"""Grid maps as inline SVG: GeoJSON polygons projected to an SVG box. Pure, no map tiles.

The projection is equirectangular with longitude scaled by cos(latitude) at
the centre, so shapes keep their proportions; `unproject` turns a tap on the
picture back into lon/lat (the patrol page does the same in JavaScript).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from jiesu.units.geometry import as_shape

PALETTE = ("#e8f3ec", "#c7e6cf", "#f6e7a8", "#f5c07a", "#ec8a5b", "#cf4a3a")
NO_DATA = "#e3e7ec"


@dataclass
class Frame:
    west: float
    south: float
    east: float
    north: float
    width: float
    height: float
    pad: float
    kx: float

    def project(self, lon, lat):
        x = self.pad + (lon - self.west) * self.kx * self.scale
        y = self.pad + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)

    def unproject(self, x, y):
        lon = self.west + (x - self.pad) / (self.kx * self.scale)
        lat = self.north - (y - self.pad) / self.scale
        return lon, lat

    @property
    def scale(self):
        span_x = max((self.east - self.west) * self.kx, 1e-9)
        span_y = max(self.north - self.south, 1e-9)
        return min((self.width - 2 * self.pad) / span_x, (self.height - 2 * self.pad) / span_y)

    def as_dict(self):
        return {"west": self.west, "north": self.north, "pad": self.pad, "kx": self.kx, "scale": self.scale}


def frame_for(geometries, width=640, height=480, pad=8) -> Frame:
    shapes = [as_shape(g) for g in geometries if g]
    shapes = [s for s in shapes if s is not None and not s.is_empty]
    if not shapes:
        return Frame(0, 0, 1, 1, width, height, pad, 1.0)
    west = min(s.bounds[0] for s in shapes)
    south = min(s.bounds[1] for s in shapes)
    east = max(s.bounds[2] for s in shapes)
    north = max(s.bounds[3] for s in shapes)
    kx = math.cos(math.radians((south + north) / 2))
    frame = Frame(west, south, east, north, width, height, pad, kx)
    # shrink the box to the drawing so there is no empty band
    used_w = (east - west) * kx * frame.scale + 2 * pad
    used_h = (north - south) * frame.scale + 2 * pad
    frame.width, frame.height = round(max(used_w, 1), 1), round(max(used_h, 1), 1)
    return frame


def path_d(geometry, frame: Frame) -> str:
    """The SVG path data of a (Multi)Polygon."""
    geom = as_shape(geometry)
    if geom is None or geom.is_empty:
        return ""
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    parts = []
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            pts = [frame.project(x, y) for x, y in ring.coords[:-1]]
            if pts:
                parts.append("M" + " L".join(f"{x},{y}" for x, y in pts) + " Z")
    return " ".join(parts)


def label_point(geometry, frame: Frame):
    geom = as_shape(geometry)
    p = geom.representative_point()
    return frame.project(p.x, p.y)


def colour(value, low, high, high_is_good=False):
    """A colour of the palette (green = good … red = bad) for value in [low, high]; NO_DATA for None."""
    if value is None:
        return NO_DATA
    if high <= low:
        t = 0.0 if value <= low else 1.0
    else:
        t = min(1.0, max(0.0, (value - low) / (high - low)))
    if high_is_good:
        t = 1.0 - t
    return PALETTE[min(len(PALETTE) - 1, int(t * len(PALETTE)))]


def legend(low, high, high_is_good=False, steps=len(PALETTE)):
    """[(colour, from_value)] over [low, high], in increasing value."""
    palette = PALETTE[::-1] if high_is_good else PALETTE
    if high <= low:
        return [(palette[0], low)]
    return [(palette[i], low + (high - low) * i / steps) for i in range(steps)]
