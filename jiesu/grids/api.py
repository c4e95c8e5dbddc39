"""Grid governance API (mounted at /api/v1/grids): every action of docs/grids.md, for pages and a mobile app.

Authentication comes from the API root (bearer token or session). What a user
sees is decided by jiesu.grids.scoping; what they may do by jiesu.grids.services.
"""
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from jiesu.core.api_support import Coordinate, Count, Flag
from jiesu.core.errors import DomainError, Forbidden
from jiesu.grids import assessment, scoping, services
from jiesu.grids.models import BoundaryVersion, GridDuty, GridMember, KeyPlace, Patrol, PatrolReport
from jiesu.tickets.models import Ticket
from jiesu.units import boundaries
from jiesu.units.models import Unit, UnitKind


# ── schemas ─────────────────────────────────────────────────────────────────

class GridBrief(Schema):
    code: str
    name: str
    community: str = Field(description="community code")
    street: str | None = Field(None, description="street code")
    schematic: bool
    center: list[float] | None = Field(None, description="[lon, lat] WGS-84")


class VersionOut(Schema):
    version: int
    valid_from: datetime
    valid_to: datetime | None
    source: str
    note: str


class MemberOut(Schema):
    id: int
    username: str
    name: str
    post: str
    employment: str
    active: bool


class GridDetail(GridBrief):
    geometry: dict | None
    version: int | None
    members: list[MemberOut]
    info: dict
    key_places: list[dict]
    care_subjects: list[dict] = Field(description="masked unless the user needs to know")


class CheckOut(Schema):
    community: str
    ok: bool
    errors: list[str]
    warnings: list[str]


class ImportIn(Schema):
    geojson: dict = Field(description="a FeatureCollection: properties code (15 digits), name, parent_code")
    dry_run: Flag = False
    strict: Flag = False
    note: str = ""


class RedrawIn(Schema):
    geometry: dict
    note: str = ""


class MemberIn(Schema):
    username: str
    post: str = Field("worker", description="worker (网格员) / leader (网格长)")
    employment: str = Field("full_time", description="full_time (专职) / part_time (兼职)")


class DutyOut(Schema):
    id: int
    street: str | None = Field(None, description="street code; null: city default")
    gbt_code: str
    category: str | None
    level: str
    self_handle: bool
    note: str


class DutyIn(Schema):
    street: str | None = Field(None, description="street code; omit for the city default (administrators)")
    gbt_code: str = ""
    category: str = ""
    level: str = Field(description="grid / community / street / department")
    self_handle: Flag = False
    note: str = ""


class PatrolIn(Schema):
    grid: str = Field(description="grid code")


class PointIn(Schema):
    lon: Coordinate
    lat: Coordinate
    at: datetime | None = None
    accuracy: float | None = None


class PointsIn(Schema):
    points: list[PointIn]


class PatrolOut(Schema):
    id: int
    grid: str
    worker: str
    started_at: datetime
    ended_at: datetime | None
    distance_m: float
    visited_share: float | None
    points: int


class ReportOut(Schema):
    ticket_id: int
    ticket_number: str
    grid: str
    worker: str
    filed_at: datetime
    category: str | None
    duty_level: str
    self_handled: bool
    state: str
    lead_unit: str | None


class ReasonIn(Schema):
    reason: str


class StepOut(Schema):
    number: int
    level: str
    unit: str
    reason: str
    entered_at: datetime
    due_at: datetime | None
    left_at: datetime | None
    outcome: str
    late: bool


class InfoIn(Schema):
    population: Count | None = None
    households: Count | None = None
    buildings: Count | None = None
    note: str | None = None


class PlaceIn(Schema):
    kind: str
    name: str
    address: str = ""
    lon: Coordinate | None = None
    lat: Coordinate | None = None
    contact_phone: str = ""


class CareIn(Schema):
    kind: str
    name: str
    phone: str = ""
    address: str = ""
    note: str = ""


# ── helpers ─────────────────────────────────────────────────────────────────

def brief(g):
    return {"code": g.code, "name": g.name, "community": g.parent.code if g.parent_id else "",
            "street": g.street.code if g.street_id else None, "schematic": g.schematic,
            "center": [g.center_lon, g.center_lat] if g.center_lon is not None else None}


def member_out(m):
    return {"id": m.pk, "username": m.user.username, "name": str(m.user), "post": m.post,
            "employment": m.employment, "active": m.active}


def report_out(r):
    t = r.ticket
    return {"ticket_id": t.pk, "ticket_number": t.number, "grid": r.grid.code, "worker": r.worker.username,
            "filed_at": r.filed_at, "category": t.category.code if t.category_id else None,
            "duty_level": r.duty_level, "self_handled": r.self_handled, "state": t.state,
            "lead_unit": t.lead_unit.name if t.lead_unit_id else None}


def patrol_out(p):
    return {"id": p.pk, "grid": p.grid.code, "worker": p.worker.username, "started_at": p.started_at,
            "ended_at": p.ended_at, "distance_m": p.distance_m, "visited_share": p.visited_share, "points": p.points}


def duty_out(d):
    return {"id": d.pk, "street": d.street.code if d.street_id else None, "gbt_code": d.gbt_code,
            "category": d.category.code if d.category_id else None, "level": d.level,
            "self_handle": d.self_handle, "note": d.note}


def street_of(request, code):
    street = Unit.objects.filter(code=code, kind=UnitKind.STREET).first() if code else None
    if street is None or not scoping.visible_streets(request.user).filter(pk=street.pk).exists():
        raise services.NotFound(_("No street has the code “%(code)s”.") % {"code": code}, field="street")
    return street


def visible_ticket(request, ticket_id):
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or not scoping.can_see_ticket(request.user, ticket):
        raise services.NotFound(_("No such ticket."), field="ticket")
    return ticket


def clamp(limit, most=500):
    """A list's `limit` kept within 1..most (a negative one was a server error), as the tickets' list does."""
    return max(1, min(limit, most))


def period(start, end):
    end = end or timezone.now()
    start = start or end - timezone.timedelta(days=30)
    if start >= end:
        raise DomainError(_("The period must start before it ends."), field="start")
    return start, end


def make_router():
    """A fresh router (the API root mounts one; tests may mount another)."""
    router = Router(tags=["grids"])

    # ── listing, import/export, validation ──
    @router.get("/", response=list[GridBrief], summary="The grids the user may see")
    def list_grids(request, street: str = "", community: str = "", q: str = ""):
        qs = scoping.visible_grids(request.user).filter(active=True).select_related("parent", "street")
        if street:
            qs = qs.filter(street__code=street)
        if community:
            qs = qs.filter(parent__code=community)
        if q:
            qs = qs.filter(name__icontains=q) | qs.filter(code__startswith=q)
        return [brief(g) for g in qs.order_by("code")[:2000]]

    @router.get("/export", summary="Grids as GeoJSON (reads back with POST /import)")
    def export(request, street: str):
        s = street_of(request, street)
        return services.export_geojson(scoping.visible_grids(request.user).filter(street=s, active=True))

    @router.post("/import", summary="Import grid boundaries (GeoJSON); validation report")
    def import_(request, payload: ImportIn):
        import json

        records = services.read_geojson_text(json.dumps(payload.geojson))
        report = services.import_grids(request.user, records, dry_run=payload.dry_run, strict=payload.strict,
                                       note=payload.note)
        return report.as_dict()

    @router.get("/validate", response=list[CheckOut], summary="Validate a street's or a community's grids")
    def validate(request, street: str = "", community: str = ""):
        if community:
            unit = Unit.objects.filter(code=community, kind=UnitKind.COMMUNITY).first()
            if unit is None or not scoping.visible_streets(request.user).filter(pk=unit.street_id).exists():
                raise services.NotFound(_("No community has the code “%(code)s”.") % {"code": community},
                                        field="community")
            checks = [services.check_community(unit)]
        else:
            checks = services.check_street(street_of(request, street))
        return [{"community": c.community.code, "ok": c.ok, "errors": c.errors, "warnings": c.warnings}
                for c in checks]

    # ── duties ──
    @router.get("/duties", response=list[DutyOut], summary="A street's duty list (its own lines and the city default)")
    def duties(request, street: str = ""):
        s = street_of(request, street) if street else None
        own, city = services.duty_list(s)
        return [duty_out(d) for d in own + city]

    @router.post("/duties", response={201: DutyOut}, summary="Add or change a duty line")
    def set_duty(request, payload: DutyIn):
        s = street_of(request, payload.street) if payload.street else None
        d = services.set_duty(request.user, s, payload.level, payload.gbt_code, payload.category,
                              payload.self_handle, payload.note)
        return 201, duty_out(d)

    @router.get("/duties/resolve", summary="Who handles a matter in a street")
    def resolve(request, street: str, category: str):
        from jiesu.categories.models import Category

        s = street_of(request, street)
        cat = Category.objects.filter(code=category).first() or Category.objects.filter(gbt_code=category).first()
        if cat is None:
            raise DomainError(_("Unknown category “%(v)s”.") % {"v": category}, field="category")
        level, self_handle, rule = services.duty_for(s.pk, cat)
        return {"category": cat.code, "level": level, "self_handle": self_handle, "rule": rule}

    @router.delete("/duties/{duty_id}", response={204: None}, summary="Delete a duty line")
    def delete_duty(request, duty_id: int):
        duty = GridDuty.objects.filter(pk=duty_id).select_related("street").first()
        if duty is None:
            raise services.NotFound(_("No such duty line."))
        services.delete_duty(request.user, duty)
        return 204, None

    # ── patrols ──
    @router.get("/patrols", response=list[PatrolOut], summary="Patrols in the user's grids (newest first)")
    def patrols(request, grid: str = "", limit: int = 50):
        qs = Patrol.objects.filter(grid__in=scoping.visible_grids(request.user)).select_related("grid", "worker")
        if grid:
            qs = qs.filter(grid__code=grid)
        return [patrol_out(p) for p in qs[:clamp(limit)]]

    @router.get("/patrols/current", response={200: PatrolOut, 204: None}, summary="My running patrol")
    def current(request):
        p = services.open_patrol(request.user)
        return (200, patrol_out(p)) if p else (204, None)

    @router.post("/patrols", response={201: PatrolOut}, summary="Start a patrol")
    def start(request, payload: PatrolIn):
        return 201, patrol_out(services.start_patrol(request.user, payload.grid))

    @router.post("/patrols/{patrol_id}/points", summary="Record track points")
    def points(request, patrol_id: int, payload: PointsIn):
        skipped = []
        n = services.add_points(request.user, patrol_id,
                                [(p.lon, p.lat, p.at, p.accuracy) for p in payload.points], skipped)
        return {"recorded": n, **({"skipped": skipped} if skipped else {})}

    @router.post("/patrols/{patrol_id}/stop", response=PatrolOut, summary="Stop a patrol (distance and coverage)")
    def stop(request, patrol_id: int):
        return patrol_out(services.stop_patrol(request.user, patrol_id))

    # ── reports ──
    @router.get("/reports", response=list[ReportOut], summary="Patrol reports in the user's grids")
    def reports(request, grid: str = "", street: str = "", limit: int = 50):
        qs = PatrolReport.objects.filter(grid__in=scoping.visible_grids(request.user)) \
            .select_related("ticket", "ticket__category", "ticket__lead_unit", "grid", "worker")
        if grid:
            qs = qs.filter(grid__code=grid)
        if street:
            qs = qs.filter(grid__street__code=street)
        return [report_out(r) for r in qs[:clamp(limit)]]

    @router.post("/reports", response={201: ReportOut, 200: ReportOut},
                 summary="巡查上报 File a patrol report (multipart: fields, photos, after_photos)")
    def file_report(request, text: Form[str], category: Form[str] = "", gbt_code: Form[str] = "",
                    title: Form[str] = "", grid: Form[str] = "", lon: Form[float | None] = None,
                    lat: Form[float | None] = None, coord_system: Form[str] = "wgs84", address: Form[str] = "",
                    self_handled: Form[bool] = False, handled_note: Form[str] = "",
                    patrol: Form[int | None] = None, idempotency_key: Form[str] = "",
                    photos: File[list[UploadedFile]] = None, after_photos: File[list[UploadedFile]] = None):
        data = services.ReportData(text=text, category_code=category, gbt_code=gbt_code, title=title,
                                   grid_code=grid, lon=lon, lat=lat, coord_system=coord_system, address=address,
                                   photos=list(photos or []), self_handled=self_handled,
                                   after_photos=list(after_photos or []), handled_note=handled_note,
                                   patrol_id=patrol)
        report, created = services.file_report(request.user, data, idempotency_key=idempotency_key or None)
        return (201 if created else 200), report_out(report)

    # ── tickets on the ladder ──
    @router.get("/tickets/{ticket_id}/ladder", response=list[StepOut], summary="The ticket's escalation steps")
    def ticket_ladder(request, ticket_id: int):
        t = visible_ticket(request, ticket_id)
        return [{"number": s.number, "level": s.level, "unit": s.unit.name, "reason": s.reason,
                 "entered_at": s.entered_at, "due_at": s.due_at, "left_at": s.left_at, "outcome": s.outcome,
                 "late": s.late} for s in t.ladder_steps.select_related("unit")]

    @router.post("/tickets/{ticket_id}/escalate", summary="逐级上报 Pass the ticket up one level")
    def escalate(request, ticket_id: int, payload: ReasonIn):
        t = services.escalate(request.user, visible_ticket(request, ticket_id), payload.reason)
        return {"ticket_id": t.pk, "state": t.state, "lead_unit": t.lead_unit.name}

    @router.post("/tickets/{ticket_id}/self-handle", summary="自处置 Handled on the spot (multipart: note, after_photos)")
    def self_handle(request, ticket_id: int, note: Form[str], after_photos: File[list[UploadedFile]] = None):
        t = services.self_handle(request.user, visible_ticket(request, ticket_id), note, list(after_photos or []))
        return {"ticket_id": t.pk, "state": t.state, "close_reason": t.close_reason}

    @router.post("/tickets/{ticket_id}/route", summary="Dispatch a hotline ticket to its grid first (dispatchers)")
    def route(request, ticket_id: int):
        t = services.route_to_grid(request.user, visible_ticket(request, ticket_id))
        return {"ticket_id": t.pk, "state": t.state, "lead_unit": t.lead_unit.name}

    @router.get("/tickets/{ticket_id}/grid-first", summary="Where the grid duty list sends a ticket first")
    def grid_first(request, ticket_id: int):
        found = services.grid_first(visible_ticket(request, ticket_id))
        if found is None:
            return {"level": None, "unit": None}
        return {"level": found["level"], "unit": found["unit"].code, "unit_name": found["unit"].name}

    # ── assessment and map ──
    @router.get("/assessment", summary="Assessment of grid work per grid and worker")
    def assess(request, street: str, start: datetime | None = None, end: datetime | None = None):
        s = street_of(request, street)
        start, end = period(start, end)
        grid_rows, worker_rows = assessment.assess(scoping.visible_grids(request.user).filter(street=s), start, end)
        return {"street": s.code, "start": start, "end": end, "grids": [r.as_dict() for r in grid_rows],
                "workers": [r.as_dict() for r in worker_rows]}

    @router.get("/map", summary="The street's grids coloured by a measure (SVG paths)")
    def street_map(request, street: str, measure: str = "open_tickets", start: datetime | None = None,
                   end: datetime | None = None):
        s = street_of(request, street)
        start, end = period(start, end)
        grids = scoping.visible_grids(request.user).filter(street=s, active=True)
        rows, _workers = assessment.assess(grids, start, end, by_worker=False)
        drawing = assessment.street_map(grids, rows, measure)
        return {"measure": drawing["measure"], "label": str(drawing["label"]), "width": drawing["width"],
                "height": drawing["height"], "legend": drawing["legend"], "grids": drawing["shapes"]}

    # ── one grid ──
    @router.get("/{code}", response=GridDetail, summary="One grid: boundary, people, information")
    def grid_detail(request, code: str):
        g = services.grid_for(request.user, code)
        version = services.ensure_version(g)
        info = services.info_of(g)
        return {**brief(g), "geometry": g.geometry, "version": version.version if version else None,
                "members": [member_out(m) for m in GridMember.objects.filter(grid=g, active=True)
                            .select_related("user")],
                "info": {"population": info.population, "households": info.households,
                         "buildings": info.buildings, "note": info.note},
                "key_places": [{"id": p.pk, "kind": p.kind, "name": p.name, "address": p.address, "lon": p.lon,
                                "lat": p.lat} for p in KeyPlace.objects.filter(grid=g)],
                "care_subjects": services.care_subjects_for(request.user, g)}

    @router.get("/{code}/versions", response=list[VersionOut], summary="The grid's boundary versions")
    def versions(request, code: str):
        g = services.grid_for(request.user, code)
        return list(BoundaryVersion.objects.filter(grid=g))

    @router.post("/{code}/redraw", response=VersionOut, summary="Redraw a grid (a new boundary version)")
    def redraw(request, code: str, payload: RedrawIn):
        g = services.grid_for(request.user, code)
        return services.redraw(request.user, g, payload.geometry, payload.note)

    @router.post("/{code}/members", response={201: MemberOut}, summary="Put a person on the grid")
    def add_member(request, code: str, payload: MemberIn):
        g = services.grid_for(request.user, code)
        return 201, member_out(services.add_member(request.user, g, payload.username, payload.post,
                                                   payload.employment))

    @router.delete("/{code}/members/{member_id}", response={204: None}, summary="Take a person off the grid")
    def remove_member(request, code: str, member_id: int):
        g = services.grid_for(request.user, code)
        m = GridMember.objects.filter(pk=member_id, grid=g).first()
        if m is None:
            raise services.NotFound(_("No such member."))
        services.remove_member(request.user, m)
        return 204, None

    @router.put("/{code}/info", summary="Update population, households, buildings")
    def update_info(request, code: str, payload: InfoIn):
        g = services.grid_for(request.user, code)
        info = services.update_info(request.user, g, payload.population, payload.households, payload.buildings,
                                    payload.note)
        return {"population": info.population, "households": info.households, "buildings": info.buildings,
                "note": info.note}

    @router.post("/{code}/places", response={201: dict}, summary="Add a key place")
    def add_place(request, code: str, payload: PlaceIn):
        g = services.grid_for(request.user, code)
        p = services.add_key_place(request.user, g, **payload.dict())
        return 201, {"id": p.pk, "kind": p.kind, "name": p.name}

    @router.post("/{code}/care", response={201: dict}, summary="Add a person needing care")
    def add_care(request, code: str, payload: CareIn):
        g = services.grid_for(request.user, code)
        s = services.add_care_subject(request.user, g, **payload.dict())
        return 201, {"id": s.pk, "kind": s.kind}

    return router


router = make_router()
