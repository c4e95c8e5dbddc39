"""The locator: where a ticket is, from coordinates first, then the address, then the request text.

    from jiesu.dispatch.locator import locate

    locate(lon=116.4105, lat=39.9149, coord_system="gcj02")   # point in polygon
    locate(address="东城区王府井大街 138 号")                     # gazetteer
    locate(address="", text="王府井大街有人占道经营")                # a place named in the text

Coordinates declared as WGS-84, GCJ-02 or BD-09 are converted to WGS-84
(coords.to_wgs84, round trip < 1 m), then the org tree's point index finds
the finest unit at the point (grid, else community, street, district). When
the address names a different place than the point's, the explanation says
so; coordinates win, except that a point lying in a *schematic* (示意)
boundary, only a stand-in for the real one, counts for little (0.4, 「位置仅供参考」):
an address at least as sure beats it in the point's district, and a district
the address names beats a schematic district. A point on the line between two
streets says so and counts half.

Nothing found → a LocateResult without units, confidence 0 and the reason:
the router then sends the ticket to the district government (if only the
district is known) or to the hotline centre.

Reasons are composed of parts (wording.word: keys of wording.PLACE_TEMPLATES)
and worded when read, in the reader's language.
"""
from __future__ import annotations

import math

from django.utils.translation import gettext as _

from jiesu.dispatch.coords import (DATUM_NAMES, SYSTEMS, from_wgs84, looks_like_pair, negative_field, number_hint,
                                  parse_number,
                                  swapped_hint, to_wgs84)
from jiesu.dispatch.gazetteer import LocateResult, place_from_unit

#: How sure a point-in-polygon hit is: real boundaries vs generated (schematic, 示意) ones. A schematic boundary
#: is a stand-in drawn by the generator, not where the street is: a hit in one is only indicative, below any
#: place an address names (gazetteer.SHORT_ALIAS_CONFIDENCE 0.6 and up) and below auto-dispatch's floor (0.5).
REAL_BOUNDARY_CONFIDENCE = 0.98
SCHEMATIC_BOUNDARY_CONFIDENCE = 0.4
#: A point on the line between two streets belongs to either as much: its place is a coin flip.
ON_BOUNDARY_FACTOR = 0.5
#: A place found only in the request text (not in the address field) counts for less.
TEXT_FACTOR = 0.8
#: Agreeing point and address: a little surer than the surer of the two.
AGREEMENT_BONUS = 0.05
#: Reasons' parts without arguments (wording.PLACE_TEMPLATES).
NO_POINT = ("point_none", None)
NOTHING_GIVEN = ("nothing_given", None)
TO_HOTLINE = ("to_hotline", None)


class LocateError(ValueError):
    """Input the locator cannot use; `field` names it (lon, lat, coord_system)."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def check_system(coord_system):
    """The declared datum as one of SYSTEMS (WGS-84, gcj-02… accepted; empty is WGS-84); LocateError naming
    coord_system otherwise, also when no point comes with it (a client's mistake to be told at once)."""
    system = (coord_system or "wgs84").lower().replace("-", "").replace("_", "")
    if system not in SYSTEMS:
        raise LocateError(_("Unknown coordinate system “%(v)s”; use one of %(systems)s.")
                          % {"v": coord_system, "systems": ", ".join(SYSTEMS)}, "coord_system")
    return system


def check_coordinates(lon, lat, coord_system="wgs84"):
    """(lon, lat) as floats in WGS-84, or (None, None) when no point was given; LocateError if unusable."""
    system = check_system(coord_system)
    lon, lat = typed_point(lon, lat)
    return (None, None) if lon is None else to_wgs84(lon, lat, system)


def typed_point(lon, lat):
    """(lon, lat) as the floats typed (in their declared datum), or (None, None) when no point was given;
    LocateError naming the field that is wrong: the one missing, not a number (with what to do about a decimal
    comma or both numbers in one field) or out of range (the longitude when the two look swapped)."""
    if lon in ("", None) and lat in ("", None):
        return None, None
    if lon in ("", None) or lat in ("", None):
        given, missing = ("lon", "lat") if lat in ("", None) else ("lat", "lon")
        value = lon if given == "lon" else lat
        if looks_like_pair(value):  # both numbers pasted in the one filled in
            raise LocateError(number_hint(value), given)
        raise LocateError(_("Give both longitude and latitude, or neither."), missing)
    lon, lat = _number(lon, "lon"), _number(lat, "lat")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        hint = swapped_hint(lon, lat)
        raise LocateError(" ".join(filter(None, (_("Longitude or latitude out of range."), hint))),
                          "lon" if hint or not -180 <= lon <= 180 else "lat")
    return lon, lat


def _number(value, field):
    try:
        number = parse_number(value)
    except (TypeError, ValueError):
        raise LocateError(" ".join(filter(None, (_("Longitude and latitude must be numbers."), number_hint(value)))),
                          field) from None
    if not math.isfinite(number):
        raise LocateError(_("Longitude and latitude must be numbers."), field)
    return number


def locate_coordinates(lon, lat, coord_system="wgs84", ref=None) -> LocateResult:
    """The place at a point (declared in `coord_system`); no units when it lies outside every unit."""
    from jiesu.dispatch.router import reference

    ref = ref or reference()
    datum = check_system(coord_system)
    lon, lat = typed_point(lon, lat)
    if lon is None:
        return LocateResult(reason=NO_POINT)
    wlon, wlat = to_wgs84(lon, lat, datum)
    unit, level, streets = ref.point_place(wlon, wlat)
    system = DATUM_NAMES[datum]
    if unit is None:  # the numbers as typed, under their datum's name (not the WGS-84 they convert to)
        negative = negative_field(lon, lat, lambda x, y: ref.point_place(*to_wgs84(x, y, datum))[0] is not None)
        return LocateResult(reason=("point_outside_sign" if negative else "point_outside",
                                    {"system": system, "lon": lon, "lat": lat}),
                            lon=wlon, lat=wlat, negative_field=negative)
    street = ref.table.units.get(unit.street_id) if level in ("grid", "community") else None
    schematic = bool((street or unit).schematic)  # grids generated inside a real street: the street is right
    confidence = SCHEMATIC_BOUNDARY_CONFIDENCE if schematic else REAL_BOUNDARY_CONFIDENCE
    reason = ("point_in_schematic" if schematic else "point_in",
              {"system": system, "place": ref.gazetteer.label(unit.id)})
    found = place_from_unit(unit.id, ref.table.units, confidence=confidence, reason=reason, source="coordinates",
                            lon=wlon, lat=wlat, schematic=schematic, datum=datum)
    return _on_boundary(found, streets, ref)


def _on_boundary(found, streets, ref):
    """A point on the line between its street and others (`streets`: every street holding it): said, and half
    as sure."""
    street_id = found.street.id if found.street is not None else None
    others = [s for s in streets if s != street_id]
    if street_id is not None and others:
        found.on_boundary = True
        found.confidence = round(found.confidence * ON_BOUNDARY_FACTOR, 3)
        found.reason = ("point_on_boundary", {"reason": found.reason_parts, "others": ref.gazetteer.labels(others)})
    return found


def locate_address(address, ref=None, source="address") -> LocateResult:
    """The place an address (or any text) names, through the gazetteer."""
    from jiesu.dispatch.router import reference

    ref = ref or reference()
    found = ref.gazetteer.locate(address or "", free_text=source == "text")
    if found.unit_id is None:
        return LocateResult(reason=found.reason_parts, matched=found.matched)
    return place_from_unit(found.unit_id, ref.table.units, confidence=found.confidence, reason=found.reason_parts,
                           source=source, matched=found.matched)


def locate(address="", lon=None, lat=None, coord_system="wgs84", text="", ref=None) -> LocateResult:
    """Coordinates first, then the address, then places named in the request text; with the reason."""
    from jiesu.dispatch.router import reference

    ref = ref or reference()
    notes = []
    by_point = None
    if not (lon in ("", None) and lat in ("", None)):
        by_point = locate_coordinates(lon, lat, coord_system, ref)
        if by_point.unit is None:
            notes.append(by_point.reason_parts)
            by_point = None
    by_address = locate_address(address, ref) if (address or "").strip() else None
    if by_address is not None and by_address.unit is None:
        notes.append(("address_note", {"reason": by_address.reason_parts}))
        by_address = None

    if by_point is not None:
        if by_address is None:
            return _with_notes(by_point, notes)
        return _combine(by_point, by_address, ref)
    if by_address is not None:
        return _with_notes(by_address, notes)
    if (text or "").strip():
        by_text = locate_address(text, ref, source="text")
        if by_text.unit is not None:
            by_text.confidence = round(by_text.confidence * TEXT_FACTOR, 3)
            by_text.reason = ("from_text", {"reason": by_text.reason_parts})
            return _with_notes(by_text, notes)
    return LocateResult(reason=("reason_sep", [*(notes or [NOTHING_GIVEN]), TO_HOTLINE]))


def weigh_address(by_point, address, ref=None) -> LocateResult:
    """A point's place (locate_coordinates, inside the city) weighed against the address given with it, by the rule
    locate() follows (_combine); an address naming no place leaves the point's, with the address's note. Intake
    uses it: the point is already located there."""
    by_address = locate_address(address, ref)
    if by_address.unit is None:
        return _with_notes(by_point, [("address_note", {"reason": by_address.reason_parts})])
    return _combine(by_point, by_address, ref)


def _with_notes(result, notes):
    """The reason, and in brackets what was given but not used (a point outside the city, an address without a
    place)."""
    if notes:
        result.reason = ("with_notes", {"reason": result.reason_parts, "notes": ("reason_sep", notes)})
    return result


def _datum_would_agree(by_point, by_address, ref):
    """The reason's note when the point's numbers, read in another datum, lie in the address's place (a point read
    off Amap and typed as WGS-84 lies ≈ 0.5 km off, often in the next street), else None."""
    typed = from_wgs84(by_point.lon, by_point.lat, by_point.datum)
    for system in SYSTEMS:
        if system != by_point.datum:
            unit, _level, _streets = ref.point_place(*to_wgs84(*typed, system))
            if unit is not None and by_address.unit.id in place_from_unit(unit.id, ref.table.units).ids():
                return ("datum_would_agree", {"system": DATUM_NAMES[system],
                                              "place": ref.gazetteer.label(by_address.unit.id)})
    return None


def _combine(by_point, by_address, ref=None):
    """Both a point and an address. Agreeing → a little surer (but an address naming only the district confirms
    no street of a schematic point). Disagreeing → the coordinates, unless they lie in a schematic boundary or
    on a street boundary and the address is at least as sure and in the point's district, or names a district
    where the point's is schematic too (a district the caller named beats a made-up polygon's), or the point
    lies on the line between them."""
    point_ids, address_unit = by_point.ids(), by_address.unit
    agree = address_unit.id in point_ids or (by_point.unit is not None and by_point.unit.id in by_address.ids())
    if agree:
        confirming = by_address.confidence
        if by_point.schematic and by_address.level == "district":
            confirming = by_point.confidence
        by_point.confidence = round(min(0.99, max(by_point.confidence, confirming) + AGREEMENT_BONUS), 3)
        by_point.reason = ("point_agrees", {"reason": by_point.reason_parts, "address": by_address.reason_parts})
        by_point.matched = by_address.matched
        return by_point
    from jiesu.dispatch.router import reference

    datum_note = _datum_would_agree(by_point, by_address, ref or reference())
    point_district = by_point.district
    same_district = by_address.district is not None and point_district is not None \
        and by_address.district.id == point_district.id
    unsure = by_point.schematic or by_point.on_boundary
    if unsure and by_address.confidence >= by_point.confidence \
            and (same_district or point_district is None or point_district.schematic or by_point.on_boundary):
        by_address.reason = ("address_over_schematic", {"reason": by_address.reason_parts,
                                                        "point": by_point.reason_parts})
        by_address.lon, by_address.lat = by_point.lon, by_point.lat
        return _with_notes(by_address, [datum_note] if datum_note else [])
    by_point.confidence = round(by_point.confidence * 0.85, 3)
    by_point.reason = ("point_over_address", {"reason": by_point.reason_parts, "unit": by_address.unit.name})
    by_point.matched = by_address.matched
    return _with_notes(by_point, [datum_note] if datum_note else [])
