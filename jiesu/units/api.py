"""Units API (mounted at /api/v1/units): the unit picker, one unit, point location.

Authentication comes from the API root (any logged-in user or API token).
"""
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from jiesu.core.errors import DomainError
from jiesu.units import services
from jiesu.units.models import Unit, UnitKind

router = Router(tags=["units"])


class NotFound(DomainError):
    status = 404

    def __init__(self, message, field=None):
        super().__init__(message, field, code="not_found")


class UnitBrief(Schema):
    code: str
    name: str
    kind: str


class UnitOut(UnitBrief):
    kind_label: str
    parent: UnitBrief | None
    district: str | None = Field(None, description="code of the district the unit lies in")
    street: str | None = Field(None, description="code of the street/township the unit lies in")
    aliases: list[str]
    phone: str
    active: bool
    schematic: bool = Field(description="true when the boundary is generated (示意), not real")
    center: list[float] | None = Field(None, description="[lon, lat], WGS-84")


class UnitDetail(UnitOut):
    ancestors: list[UnitBrief] = Field(description="from the city down to the parent")
    children: list[UnitBrief]
    geometry: dict | None = Field(None, description="GeoJSON geometry, WGS-84")


class Place(Schema):
    grid: UnitOut | None
    community: UnitOut | None
    street: UnitOut | None
    district: UnitOut | None


class SearchParams(Schema):
    q: str = Field("", description="words that must all occur in the name, an alias or the code")
    kind: list[str] = Field([], description="unit kinds (repeat, or separate with commas)")
    limit: int = Field(20, ge=1, le=200)


class LocateParams(Schema):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


def _brief(unit):
    return {"code": unit.code, "name": unit.name, "kind": unit.kind} if unit is not None else None


def _out(unit):
    """UnitOut for a unit fetched with parent/district/street (geometry deferred)."""
    if unit is None:
        return None
    return {
        **_brief(unit),
        "kind_label": str(unit.get_kind_display()),
        "parent": _brief(unit.parent) if unit.parent_id else None,
        "district": unit.district.code if unit.district_id else None,
        "street": unit.street.code if unit.street_id else None,
        "aliases": [a.strip() for a in unit.aliases.split(",") if a.strip()],
        "phone": unit.phone,
        "active": unit.active,
        "schematic": unit.schematic,
        "center": [unit.center_lon, unit.center_lat] if unit.center_lon is not None else None,
    }


def _kinds(values):
    kinds = [k.strip() for v in values for k in v.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in UnitKind.values]
    if unknown:
        raise DomainError(_("Unknown unit kind “%(kind)s”; use one of: %(kinds)s.")
                          % {"kind": unknown[0], "kinds": ", ".join(UnitKind.values)}, field="kind")
    return kinds


@router.get("", response=list[UnitOut], summary="Search units (unit picker)")
def search(request, params: Query[SearchParams]):
    """Exact code/name first, then names starting with `q`; districts, streets and
    departments before communities and grids."""
    units = services.search_units(params.q, kinds=_kinds(params.kind) or None, limit=params.limit)
    return [_out(u) for u in units]


@router.get("/locate", response=Place, summary="The grid, community, street and district at a point")
def locate(request, params: Query[LocateParams]):
    """Point in polygon over the units' boundaries (WGS-84 longitude/latitude)."""
    place = services.locate_point(params.lon, params.lat)
    if place is None:
        raise NotFound(_("No unit lies at this point."), field="lon")
    return {level: _out(unit) for level, unit in place.items()}


@router.get("/{code}", response=UnitDetail, summary="One unit with its ancestors and children")
def detail(request, code: str, geometry: bool = True):
    """`geometry=false` leaves the boundary out (a district's real one is large)."""
    qs = Unit.objects.select_related("parent", "district", "street").defer(
        "parent__geometry", "district__geometry", "street__geometry")
    if not geometry:
        qs = qs.defer("geometry")
    unit = qs.filter(code=code).first()
    if unit is None:
        raise NotFound(_("No unit has the code “%(code)s”.") % {"code": code}, field="code")
    ancestor_ids = [int(i) for i in unit.path.strip("/").split("/") if i and int(i) != unit.pk]
    ancestors = Unit.objects.filter(pk__in=ancestor_ids).only("code", "name", "kind", "path")
    children = unit.children.filter(active=True).only("code", "name", "kind").order_by("code")
    return {**_out(unit), "ancestors": [_brief(a) for a in sorted(ancestors, key=lambda a: len(a.path))],
            "children": [_brief(c) for c in children], "geometry": unit.geometry if geometry else None}
