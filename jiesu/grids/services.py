"""What can be done in grid governance. The only place that changes grid rows, and — for
patrol reports, 自处置 and the escalation ladder — the tickets' state (through
jiesu.tickets.services, keeping the tickets' invariants: one transaction, a locked
row, an event for every change, deadlines recomputed).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.core.params import phone_number
from jiesu.grids import codes as gridcodes
from jiesu.grids import duties as dutylogic
from jiesu.grids import geometry as ggeo
from jiesu.grids import ladder, scoping
from jiesu.grids.models import (
    BoundaryVersion, CareKind, CareSubject, DutyLevel, Employment, GridDuty, GridInfo, GridMember, KeyPlace,
    Patrol, PatrolEnd, PatrolReport, PlaceKind, Post, StepOutcome, LadderStep, TrackPoint,
)
from jiesu.tickets import services as tickets
from jiesu.tickets.models import AssignmentRole, AssignmentState, Channel, HANDLING_STATES, State, Ticket
from jiesu.units import boundaries
from jiesu.units import geometry as ugeo
from jiesu.units.models import Unit, UnitKind
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import add_limit

SELF_HANDLED = "self_handled"  # Ticket.close_reason of a matter handled on the spot
MAX_POINTS_PER_CALL = 1000


class NotFound(DomainError):
    status = 404

    def __init__(self, message, field=None):
        super().__init__(message, field, code="not_found")


def _grid(grid_or_code):
    if isinstance(grid_or_code, Unit):
        grid = grid_or_code
    else:
        grid = Unit.objects.filter(code=str(grid_or_code), kind=UnitKind.GRID).first()
    if grid is None or grid.kind != UnitKind.GRID:
        raise NotFound(_("No grid has the code “%(code)s”.") % {"code": grid_or_code}, field="grid")
    return grid


def grid_for(user, code):
    """The grid with `code`, if the user may see it (else 404, not to reveal it exists)."""
    grid = _grid(code)
    if not scoping.can_see_grid(user, grid):
        raise NotFound(_("No grid has the code “%(code)s”.") % {"code": code}, field="grid")
    return grid


def _require_manage(user, street):
    if not scoping.may_manage(user, street):
        raise Forbidden(_("Only the street's staff or an administrator may change this."))


# ════════════════════════════════════════════════════════════════ 定格: boundaries

GEOMETRY_MESSAGES = {
    "unreadable": gettext_lazy("the geometry cannot be read"),
    "empty": gettext_lazy("the geometry is empty"),
    "not_polygonal": gettext_lazy("a grid boundary must be a Polygon or MultiPolygon"),
    "not_lonlat": gettext_lazy("the coordinates are not WGS-84 longitude/latitude"),
    "invalid": gettext_lazy("the boundary is not a valid polygon"),
}
CODE_MESSAGES = {
    "not_digits": gettext_lazy("the code must be digits only"),
    "length": gettext_lazy("a grid code has 15 digits (district 6 + street 3 + community 3 + grid 3)"),
    "parent_mismatch": gettext_lazy("the code does not start with its community's code %(detail)s"),
    "zero_number": gettext_lazy("grid numbers start at 001"),
    "duplicate": gettext_lazy("the code occurs twice"),
    "numbering": gettext_lazy("grids are numbered west→east, north→south: this one would be %(detail)s"),
}


def describe_problem(problem) -> str:
    """A sentence for a geometry.Problem."""
    keys = " / ".join(str(k) for k in problem.keys)
    where = f" ({problem.at[0]:.6f}, {problem.at[1]:.6f})" if problem.at else ""
    if problem.kind == "invalid":
        reason = problem.detail.split(":")[0]
        return _("%(keys)s: %(what)s (%(detail)s)") % {
            "keys": keys, "what": GEOMETRY_MESSAGES.get(reason, reason), "detail": problem.detail}
    if problem.kind == "overlap":
        return _("%(keys)s overlap by %(area).0f m² near%(where)s") % {"keys": keys, "area": problem.area_m2,
                                                                       "where": where}
    if problem.kind == "gap":
        return _("a gap of %(area).0f m² inside the community is in no grid, near%(where)s") % {
            "area": problem.area_m2, "where": where}
    if problem.kind == "outside":
        return _("%(keys)s reaches %(area).0f m² outside its community, near%(where)s") % {
            "keys": keys, "area": problem.area_m2, "where": where}
    return f"{keys}: {problem.kind}"


def describe_code_problem(problem) -> str:
    return f"{problem.code}: " + (CODE_MESSAGES.get(problem.reason, problem.reason) % {"detail": problem.detail})


@dataclass
class CommunityCheck:
    community: Unit
    errors: list = field(default_factory=list)  # sentences
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def check_community(community, replacements=None, min_area_m2=ggeo.MIN_AREA_M2) -> CommunityCheck:
    """Validate a community's grids: codes against the parent, geometry, overlaps, gaps, numbering.

    `replacements` {code: (name, geometry)} are checked as if they were in
    place (an import before it is applied).
    """
    result = CommunityCheck(community)
    grids = {g.code: (g.name, g.geometry) for g in
             Unit.objects.filter(parent=community, kind=UnitKind.GRID, active=True).order_by("code")}
    grids.update(replacements or {})
    codes = list(grids)
    for code in codes:
        result.errors.extend(describe_code_problem(p) for p in gridcodes.code_problems(code, community.code))
    items = [(code, geometry) for code, (_name, geometry) in grids.items() if geometry is not None]
    for code, (_name, geometry) in grids.items():
        if geometry is None:
            result.errors.append(_("%(code)s has no boundary") % {"code": code})
    report = ggeo.check_partition(community.geometry, items, min_area_m2=min_area_m2)
    result.errors.extend(describe_problem(p) for p in report.problems)
    valid = [(c, g) for c, g in items if not report.of_kind("invalid") or
             c not in {k for p in report.of_kind("invalid") for k in p.keys}]
    if len(valid) > 1 and all(not gridcodes.code_problems(c, community.code) for c, _g in valid):
        shapes = [ugeo.as_shape(g) for _c, g in valid]
        order = ugeo.reading_order(shapes)
        result.warnings.extend(describe_code_problem(p)
                               for p in gridcodes.numbering_problems([c for c, _g in valid], order))
    return result


def check_street(street):
    """check_community for every community of a street."""
    return [check_community(c) for c in Unit.objects.filter(parent=street, kind=UnitKind.COMMUNITY).order_by("code")]


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    redrawn: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    rejected: list = field(default_factory=list)  # (label, message)
    warnings: list = field(default_factory=list)  # (label, message)
    dry_run: bool = False

    @property
    def ok(self):
        return not self.rejected

    def as_dict(self):
        return {"created": self.created, "redrawn": self.redrawn, "unchanged": self.unchanged,
                "rejected": [{"record": a, "message": b} for a, b in self.rejected],
                "warnings": [{"record": a, "message": b} for a, b in self.warnings], "dry_run": self.dry_run}


def read_geojson_text(text):
    try:
        return boundaries.read_geojson(text)
    except boundaries.BoundaryFileError as exc:
        raise DomainError(_("The file is not a GeoJSON FeatureCollection: %(error)s") % {"error": exc},
                          field="file") from exc


def import_grids(user, records, dry_run=False, strict=False, note="") -> ImportReport:
    """Load grid boundaries (jiesu.units.boundaries records, 15-digit codes).

    Records are grouped by community; a community whose grids would not pass
    check_community (codes, invalid geometry, overlaps, gaps, outside) is
    rejected as a whole with the reasons, the others load. A grid whose
    boundary changes is redrawn (a new BoundaryVersion; the old one is kept).
    Nothing is saved with `dry_run`, nor with `strict` when anything was rejected.
    """
    report = ImportReport(dry_run=dry_run)
    by_community = {}
    for record in records:
        if record.error:
            report.rejected.append((record.label, _("cannot be read: %(error)s") % {"error": record.error}))
            continue
        code = record.code
        parent_code = record.parent_code or boundaries.parent_code_for(code)
        problems = gridcodes.code_problems(code, parent_code) if code else []
        if not code or (problems and problems[0].reason in ("not_digits", "length")):
            report.rejected.append((record.label, CODE_MESSAGES["length"] % {}))
            continue
        if problems:
            report.rejected.append((record.label, describe_code_problem(problems[0])))
            continue
        community = Unit.objects.filter(code=parent_code, kind=UnitKind.COMMUNITY).first()
        if community is None:
            report.rejected.append((record.label, _("its community %(code)s is not in the org tree")
                                    % {"code": parent_code}))
            continue
        if record.geometry is None:
            report.rejected.append((record.label, _("has no geometry")))
            continue
        geometry = record.geometry
        if not isinstance(geometry, dict):
            geometry = ugeo.to_geojson(geometry)
        by_community.setdefault(community.pk, (community, []))[1].append((record, geometry))
    with transaction.atomic():
        for community, items in by_community.values():
            _import_community(user, community, items, report, note)
        if dry_run:
            transaction.set_rollback(True)
        elif strict and report.rejected:  # raised inside the transaction: what other communities loaded goes too
            raise DomainError(_("%(n)d record(s) rejected; nothing was saved.") % {"n": len(report.rejected)},
                              field="file")
    return report


def _import_community(user, community, items, report, note):
    """Check one community's imported grids as a whole; apply them when they pass."""
    _require_manage(user, community.parent)
    dup = gridcodes.duplicates([r.code for r, _g in items])
    check = check_community(community, {r.code: (r.name, g) for r, g in items})
    errors = [describe_code_problem(p) for p in dup] + check.errors
    if errors:
        report.rejected.extend((record.label, "; ".join(errors)) for record, _g in items)
        return
    report.warnings.extend((community.code, message) for message in check.warnings)
    for record, geometry in items:
        _apply_grid(user, community, record, geometry, report, note)


def _apply_grid(user, community, record, geometry, report, note):
    grid = Unit.objects.filter(code=record.code).first()
    if grid is None:
        grid = Unit(code=record.code, name=record.name or gridcodes_name(community, record.code),
                    kind=UnitKind.GRID, parent=community)
        _set_geometry(grid, geometry)
        grid.save()
        BoundaryVersion.objects.create(grid=grid, version=1, geometry=grid.geometry, valid_from=timezone.now(),
                                       source="import", note=note, created_by=_real(user))
        report.created.append(record.code)
        return
    if record.name and record.name != grid.name:
        grid.name = record.name
        grid.save(update_fields=["name"])
    if _same_shape(grid.geometry, geometry):
        report.unchanged.append(record.code)
        return
    redraw(user, grid, geometry, note=note or _("import"), source="import", check=False)
    report.redrawn.append(record.code)


def gridcodes_name(community, code):
    return f"{community.name}第{gridcodes.grid_number(code)}网格"


def _same_shape(a, b):
    if a is None or b is None:
        return a is b
    sa, sb = ugeo.as_shape(a), ugeo.as_shape(b)
    return sa.equals_exact(sb, 1e-9) or sa.symmetric_difference(sb).area < 1e-14


def _set_geometry(grid, geometry):
    geom, _problem = ugeo.checked_polygon(geometry, repair=False)
    grid.geometry = ugeo.to_geojson(geom)
    grid.schematic = False
    grid.center_lon, grid.center_lat = ugeo.representative_lonlat(geom)


def _real(user):
    return user if user is not None and user.is_authenticated else None


def ensure_version(grid, at=None):
    """The grid's current BoundaryVersion (version 1 from the current boundary when it has none)."""
    current = grid.boundary_versions.filter(valid_to__isnull=True).order_by("-version").first()
    if current is None and grid.geometry is not None:
        last = grid.boundary_versions.order_by("-version").first()
        current = BoundaryVersion.objects.create(
            grid=grid, version=(last.version + 1) if last else 1, geometry=grid.geometry,
            valid_from=at or timezone.now(), source="schematic" if grid.schematic else "initial")
    return current


@transaction.atomic
def redraw(user, grid, geometry, note="", source="redraw", check=True):
    """Redraw a grid: the current version is closed, a new one opened, the unit's boundary replaced.

    Tickets keep the grid they were filed in (Ticket.grid does not change) and
    patrol reports keep the version they were filed under.
    """
    grid = _grid(grid)
    _require_manage(user, grid.street)
    try:
        geom, _problem = ugeo.checked_polygon(geometry, repair=False)
    except ugeo.GeometryError as exc:
        raise DomainError(_("The boundary cannot be used: %(why)s") % {
            "why": GEOMETRY_MESSAGES.get(exc.reason, exc.reason)}, field="geometry") from exc
    geometry = ugeo.to_geojson(geom)
    if check:
        result = check_community(grid.parent, {grid.code: (grid.name, geometry)})
        if not result.ok:
            raise DomainError("; ".join(result.errors), field="geometry")
    now = timezone.now()
    current = ensure_version(grid, at=now)
    if current is not None:
        current.valid_to = now
        current.save(update_fields=["valid_to"])
    version = BoundaryVersion.objects.create(grid=grid, version=(current.version + 1) if current else 1,
                                             geometry=geometry, valid_from=now, source=source, note=note[:200],
                                             created_by=_real(user))
    _set_geometry(grid, geometry)
    grid.save()
    return version


def grid_at(lon, lat, when):
    """The grid whose boundary contained (lon, lat) at `when` (from the boundary versions), or None."""
    candidates = BoundaryVersion.objects.filter(valid_from__lte=when).exclude(valid_to__lte=when)
    for version in candidates.select_related("grid").iterator():
        if ggeo.inside(version.geometry, lon, lat):
            return version.grid
    return None


def export_geojson(grids):
    """A FeatureCollection of grids (code, name, kind, parent_code, version): reads back with import_grids."""
    versions = dict(BoundaryVersion.objects.filter(grid__in=grids, valid_to__isnull=True)
                    .values_list("grid_id", "version"))
    features = []
    for grid in grids.select_related("parent").order_by("code"):
        features.append({"type": "Feature", "geometry": grid.geometry, "properties": {
            "code": grid.code, "name": grid.name, "kind": "grid", "parent_code": grid.parent.code,
            "parent_name": grid.parent.name, "schematic": grid.schematic, "version": versions.get(grid.pk)}})
    return {"type": "FeatureCollection", "features": features}


def export_text(grids):
    return json.dumps(export_geojson(grids), ensure_ascii=False)


# ════════════════════════════════════════════════════════════════ 定人: people

@transaction.atomic
def add_member(actor, grid, person, post=Post.WORKER, employment=Employment.FULL_TIME, since=None):
    grid = _grid(grid)
    _require_manage(actor, grid.street)
    if not isinstance(person, User):
        person = User.objects.filter(username=person).first()
        if person is None:
            raise DomainError(_("No user has this name."), field="user")
    if post not in Post.values:
        raise DomainError(_("Choose grid worker or grid leader."), field="post")
    if employment not in Employment.values:
        raise DomainError(_("Choose full-time or part-time."), field="employment")
    if person.role not in (Role.GRID_WORKER, Role.UNIT_STAFF):
        raise DomainError(_("Only grid workers and unit staff can be put on a grid."), field="user")
    member, created = GridMember.objects.update_or_create(
        user=person, grid=grid, post=post,
        defaults={"employment": employment, "active": True, "since": since or timezone.localdate()})
    if person.unit_id is None:
        person.unit = grid
        person.save(update_fields=["unit"])
    return member


@transaction.atomic
def remove_member(actor, member):
    """Take a person off a grid (leaving, moved). Their sight of the grid ends with it: a person whose own unit is
    that grid (add_member sets it) gets their next active grid as unit, or none; their running patrol there ends.
    The grid's tickets and reports stay with the grid."""
    _require_manage(actor, member.grid.street)
    member.active = False
    member.save(update_fields=["active"])
    person = member.user
    still_on = GridMember.objects.filter(user=person, grid=member.grid, active=True).exists()
    if person.unit_id == member.grid_id and not still_on:
        other = GridMember.objects.filter(user=person, active=True).order_by("grid__code").first()
        person.unit_id = other.grid_id if other else None
        person.save(update_fields=["unit"])
        person._grid_ids = None
    if not still_on:
        for patrol in Patrol.objects.filter(worker=person, grid=member.grid, ended_at__isnull=True):
            finish_patrol(patrol, timezone.now(), reason=PatrolEnd.TAKEN_OFF_GRID)
    return member


def people_of(grid):
    """The grid's members, and the community and street staff above it."""
    members = list(GridMember.objects.filter(grid=grid, active=True).select_related("user").order_by("post", "id"))
    community_staff = list(User.objects.filter(unit_id=grid.parent_id, is_active=True).order_by("username"))
    street_staff = list(User.objects.filter(unit_id=grid.street_id, is_active=True, role=Role.UNIT_STAFF)
                        .order_by("username"))
    return {"members": members, "community": community_staff, "street": street_staff}


# ════════════════════════════════════════════════════════════════ 定责: duty lists

# The city default (市级默认清单): small matters of GB/T 47678.5 the grid handles, some on the spot,
# and the 12345 categories of the same matters, so that hotline tickets about them go to the grid first.
DEFAULT_DUTIES = [
    # (GB/T matter or class, or "cat:" + 12345 category code; level; self_handle; note)
    ("06007", "grid", True, "沿街晾挂：劝导收回"),
    ("06010", "grid", True, "暴露垃圾：组织清理"),
    ("06011", "grid", False, "积存垃圾渣土"),
    ("06012", "grid", True, "道路不洁：通知保洁"),
    ("06017", "grid", True, "绿地脏乱"),
    ("06019", "grid", True, "非装饰性吊挂"),
    ("06035", "grid", True, "废弃家具设备"),
    ("06036", "grid", True, "乱堆杂物"),
    ("06041", "grid", True, "垃圾未分类：入户宣传"),
    ("06042", "grid", True, "垃圾站（箱）满溢：通知清运"),
    ("06020", "community", False, "焚烧垃圾、树叶"),
    ("06028", "community", False, "噪声扰民：社区调解"),
    ("06038", "community", False, "擅自饲养家禽家畜"),
    ("06040", "community", False, "私设地锁、阻车桩"),
    ("06001", "street", False, "私搭乱建：街道综合执法"),
    ("06027", "street", False, "油烟污染"),
    ("06029", "street", False, "露天烧烤"),
    ("09", "street", False, "街面秩序类：街道综合执法"),
    ("03", "department", False, "市容环卫设施：区城管委"),
    ("01", "department", False, "市政公用设施：权属单位"),
    ("02", "department", False, "交通设施：权属部门"),
    ("cat:03.03.01", "grid", True, "道路清扫保洁：通知保洁"),
    ("cat:03.03.02", "grid", False, "垃圾清运：督促清运"),
    ("cat:03.01.05", "grid", True, "非法小广告：随手清除"),
    ("cat:04.05.01", "grid", True, "垃圾分类督导"),
    ("cat:05.05.01", "grid", True, "共享单车乱停放：码放整齐"),
    ("cat:01.04.05", "community", False, "私装地锁：社区协调"),
    ("cat:03.01.01", "street", False, "占道经营：街道综合执法"),
    ("cat:03.01.03", "street", False, "流动摊贩：街道综合执法"),
    ("cat:03.01.04", "street", False, "露天烧烤：街道综合执法"),
    ("cat:03.02.01", "street", False, "私搭乱建：街道综合执法"),
]


def seed_city_default(force=False):
    """Create the city default duty list unless one exists. Returns the number of lines created.

    Lines naming a 12345 category that is not in the catalogue are left out.
    """
    if GridDuty.objects.filter(street__isnull=True).exists() and not force:
        return 0
    categories = {c.code: c for c in Category.objects.filter(
        code__in=[m[4:] for m, *_rest in DEFAULT_DUTIES if m.startswith("cat:")])}
    created = 0
    for matter, level, self_handle, note in DEFAULT_DUTIES:
        category = categories.get(matter[4:]) if matter.startswith("cat:") else None
        if matter.startswith("cat:") and category is None:
            continue
        gbt = "" if category else matter
        _obj, made = GridDuty.objects.get_or_create(street=None, gbt_code=gbt, category=category,
                                                    defaults={"level": level, "self_handle": self_handle,
                                                              "note": note})
        created += made
    return created


def _rules(street_id):
    rows = GridDuty.objects.filter(street__isnull=True) | GridDuty.objects.filter(street_id=street_id)
    return [dutylogic.Rule(level=d.level, self_handle=d.self_handle, street_id=d.street_id, gbt_code=d.gbt_code,
                           category_code=d.category.code if d.category_id else "", rule_id=d.pk)
            for d in rows.select_related("category")]


def category_chain(category):
    return [node.code for node in category.lineage()]


def duty_for(street_id, category):
    """(level, self_handle, GridDuty id or None) for a matter in a street."""
    if category is None:
        return dutylogic.FALLBACK_LEVEL, False, None
    return duty_in(_rules(street_id), street_id, category)


def duty_in(rules, street_id, category):
    """duty_for, with the street's duty list (_rules) already read."""
    rule = dutylogic.resolve(rules, street_id, category.gbt_code or "", category_chain(category))
    if rule is None:
        return dutylogic.FALLBACK_LEVEL, False, None
    return rule.level, rule.self_handle and rule.level == "grid", rule.rule_id


def duty_list(street=None):
    """The lines that apply in a street: its own, then the city default lines it does not override."""
    own = list(GridDuty.objects.filter(street=street).select_related("category")) if street else []
    city = list(GridDuty.objects.filter(street__isnull=True).select_related("category"))
    overridden = {(d.gbt_code, d.category_id) for d in own}
    return own, [d for d in city if (d.gbt_code, d.category_id) not in overridden]


def set_duty(user, street, level, gbt_code="", category_code="", self_handle=False, note=""):
    """Add or change a line of a street's duty list (street None: the city default)."""
    if street is None:
        if not scoping.may_edit_city_default(user):
            raise Forbidden(_("Only an administrator may change the city default duty list."))
    else:
        _require_manage(user, street)
    gbt_code = (gbt_code or "").strip()
    category = None
    if bool(gbt_code) == bool(category_code):
        raise DomainError(_("Give either a GB/T 47678.5 code or a 12345 category."), field="gbt_code")
    if gbt_code and not (gbt_code.isdigit() and len(gbt_code) in (2, 5)):
        raise DomainError(_("A GB/T 47678.5 code has 5 digits (a class: 2)."), field="gbt_code")
    if category_code:
        category = Category.objects.filter(code=category_code, active=True).first()
        if category is None:
            raise DomainError(_("Unknown category “%(v)s”.") % {"v": category_code}, field="category")
    if level not in DutyLevel.values:
        raise DomainError(_("Choose who handles the matter."), field="level")
    if self_handle and level != DutyLevel.GRID:
        raise DomainError(_("Only matters the grid handles may be handled on the spot."), field="self_handle")
    duty, _created = GridDuty.objects.update_or_create(
        street=street, gbt_code=gbt_code, category=category,
        defaults={"level": level, "self_handle": bool(self_handle), "note": (note or "")[:200]})
    return duty


def delete_duty(user, duty):
    if duty.street_id is None:
        if not scoping.may_edit_city_default(user):
            raise Forbidden(_("Only an administrator may change the city default duty list."))
    else:
        _require_manage(user, duty.street)
    duty.delete()


def matters_for(street_id):
    """Categories a worker can report, the duty list's matters first: [(category, level, self_handle)].

    The level-3 categories the street's duty list names (by GB/T matter or
    class, or by 12345 category and its subtree), resolved with one read of the rules.
    """
    rules = _rules(street_id)
    codes = {r.gbt_code for r in rules if len(r.gbt_code) == 5}
    classes = {r.gbt_code for r in rules if len(r.gbt_code) == 2}
    named = {r.category_code for r in rules if r.category_code}
    parents = dict(Category.objects.values_list("id", "parent_id"))
    code_of = dict(Category.objects.values_list("id", "code"))
    out = []
    for category in Category.objects.filter(active=True, level=3).order_by("code"):
        chain, node = [], category.pk
        while node is not None:
            chain.append(code_of[node])
            node = parents.get(node)
        gbt = category.gbt_code or ""
        if not (gbt in codes or (gbt and gbt[:2] in classes) or named.intersection(chain)):
            continue
        rule = dutylogic.resolve(rules, street_id, gbt, chain)
        level = rule.level if rule else dutylogic.FALLBACK_LEVEL
        out.append((category, level, bool(rule and rule.self_handle and level == "grid")))
    out.sort(key=lambda t: (dutylogic.LEVELS.index(t[1]), not t[2], t[0].code))
    return out


# ════════════════════════════════════════════════════════════════ patrols

def _require_worker(user):
    if not user or not user.is_authenticated:
        raise Forbidden(_("Log in first."))
    if user.role not in (Role.GRID_WORKER, Role.ADMIN) and not user.is_superuser:
        raise Forbidden(_("Only grid workers patrol and report."))


def _my_grid(user, grid):
    grid = _grid(grid)
    if grid.pk not in scoping.member_grid_ids(user) and not (user.is_superuser or user.role == Role.ADMIN):
        raise Forbidden(_("%(grid)s is not one of your grids.") % {"grid": grid.name})
    return grid


def open_patrol(user):
    return Patrol.objects.filter(worker=user, ended_at__isnull=True).select_related("grid").first()


@transaction.atomic
def start_patrol(user, grid, at=None):
    _require_worker(user)
    grid = _my_grid(user, grid)
    if Patrol.objects.select_for_update().filter(worker=user, ended_at__isnull=True).exists():
        raise Conflict(_("A patrol is already running: stop it first."))
    return Patrol.objects.create(worker=user, grid=grid, started_at=at or timezone.now())


def _patrol_of(user, patrol):
    if not isinstance(patrol, Patrol):
        patrol = Patrol.objects.filter(pk=patrol).select_related("grid").first()
    if patrol is None or (patrol.worker_id != user.pk and not user.is_superuser):
        raise NotFound(_("No such patrol."), field="patrol")
    return patrol


def _track_point_problem(i, lon, lat, at, patrol, now):
    """Why point `i` (1-based) cannot be on the patrol's track, or None: (lon, lat) as floats, or the message."""
    west, south, east, north = settings.JIESU["CITY_BBOX"]
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return _("Point %(i)d: longitude and latitude must be numbers.") % {"i": i}
    if not (west <= lon <= east and south <= lat <= north):
        return _("Point %(i)d lies outside the city.") % {"i": i}
    if at < patrol.started_at - timezone.timedelta(minutes=1) or at > now + timezone.timedelta(minutes=5):
        return _("Point %(i)d is not within the patrol's time.") % {"i": i}
    return None


def _metres(value):
    """A point's accuracy in metres, or None when it is no distance (missing, NaN, infinite, negative)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value >= 0 else None


def add_points(user, patrol, points, skipped=None):
    """Record track points [(lon, lat, at: datetime | None, accuracy_m | None)] of an open patrol.

    A phone sends buffered positions in batches: a point that cannot be on the track (a glitch outside the city,
    a clock far off) is left out and, when `skipped` is a list, named there ({"point": 1-based, "message"}); the
    batch's good points are recorded. Only a batch with no good point at all is refused."""
    patrol = _patrol_of(user, patrol)
    if not patrol.is_open:
        raise Conflict(_("The patrol has ended."))
    if len(points) > MAX_POINTS_PER_CALL:
        raise DomainError(_("At most %(n)d points at a time.") % {"n": MAX_POINTS_PER_CALL}, field="points")
    now = timezone.now()
    rows, left_out = [], []
    for i, (lon, lat, at, accuracy) in enumerate(points, start=1):
        at = at or now
        problem = _track_point_problem(i, lon, lat, at, patrol, now)
        if problem:
            left_out.append({"point": i, "message": problem})
            continue
        rows.append(TrackPoint(patrol=patrol, at=at, lon=float(lon), lat=float(lat), accuracy_m=_metres(accuracy)))
    if left_out and not rows:
        raise DomainError(left_out[0]["message"], field="points")
    if skipped is not None:
        skipped.extend(left_out)
    with transaction.atomic():
        TrackPoint.objects.bulk_create(rows)
        Patrol.objects.filter(pk=patrol.pk).update(points=patrol.track.count())
    return len(rows)


def track_of(patrol):
    return [(p.lon, p.lat) for p in patrol.track.order_by("at", "id").only("lon", "lat")]


@transaction.atomic
def stop_patrol(user, patrol, at=None):
    patrol = _patrol_of(user, patrol)
    if not patrol.is_open:
        raise Conflict(_("The patrol has ended."))
    finish_patrol(patrol, at or timezone.now(), reason=PatrolEnd.STOPPED)
    return patrol


def finish_patrol(patrol, ended_at, track=None, reason=""):
    track = track_of(patrol) if track is None else track
    patrol.ended_at, patrol.end_reason = ended_at, reason
    patrol.distance_m = round(ggeo.track_length_m(track), 1)
    patrol.points = len(track)
    patrol.visited_share = round(ggeo.visited_share(patrol.grid.geometry, [track]), 4) if track else 0.0
    patrol.save()


def end_patrols_of_closed(workers):
    """End the open patrols of `workers` (a queryset of users) whose account is closed (deactivated): nobody could
    stop them (the worker can no longer log in) and their hours grew for ever. Each ends at its last track point's
    time (where the worker was last seen), or where it started when it has none; its record says why
    (PatrolEnd.ACCOUNT_CLOSED). How many."""
    ended = 0
    for patrol in (Patrol.objects.filter(worker__in=workers.filter(is_active=False), ended_at__isnull=True)
                   .select_related("grid")):
        with transaction.atomic():
            last = patrol.track.order_by("-at").values_list("at", flat=True).first()
            finish_patrol(patrol, min(max(last or patrol.started_at, patrol.started_at), timezone.now()),
                          reason=PatrolEnd.ACCOUNT_CLOSED)
        ended += 1
    return ended


# ════════════════════════════════════════════════════════════════ reports, 自处置, the ladder

@dataclass
class ReportData:
    text: str
    category_code: str = ""
    gbt_code: str = ""
    title: str = ""
    grid_code: str = ""
    lon: float | None = None
    lat: float | None = None
    coord_system: str = "wgs84"
    address: str = ""
    photos: list = field(default_factory=list)
    self_handled: bool = False
    after_photos: list = field(default_factory=list)
    handled_note: str = ""
    patrol_id: int | None = None


def _report_category(data):
    category = None
    if data.category_code:
        category = Category.objects.filter(code=data.category_code, active=True).first()
    elif data.gbt_code:
        category = Category.objects.filter(gbt_code=data.gbt_code, active=True, level=3).first()
    if category is None:
        if data.category_code or data.gbt_code:
            raise DomainError(_("Unknown matter “%(v)s”.") % {"v": data.category_code or data.gbt_code},
                              field="category")
        raise DomainError(_("Choose what you found."), field="category")
    return category


def _report_grid(user, data):
    """The grid the report is about: from the coordinates, else the chosen grid (one of the worker's)."""
    if data.lon is not None and data.lat is not None:
        from jiesu.dispatch.locator import locate_coordinates

        try:
            found = locate_coordinates(float(data.lon), float(data.lat), data.coord_system or "wgs84")
        except (TypeError, ValueError) as exc:
            raise DomainError(_("The location cannot be read."), field="lon") from exc
        grid = found.place().get("grid") if found.unit is not None else None
        if grid is None:
            raise DomainError(_("The location is not inside any grid."), field="lon")
        grid = _grid(grid.code)
        mine = scoping.member_grid_ids(user)
        if grid.pk not in mine:  # a point on the line between another grid and one of the worker's is the worker's
            edge = [g for g in Unit.objects.filter(pk__in=mine, kind=UnitKind.GRID).order_by("code")
                    if g.geometry and ggeo.inside(g.geometry, float(data.lon), float(data.lat))
                    and (not data.grid_code or g.code == data.grid_code)]
            grid = edge[0] if edge else grid
        if grid.pk not in mine and not user.is_superuser and user.role != Role.ADMIN:
            raise DomainError(_("The location lies in %(grid)s, which is not one of your grids.")
                              % {"grid": grid.name}, field="lon")
        if data.grid_code and data.grid_code != grid.code:
            raise DomainError(_("The location lies in %(grid)s, not in the grid chosen.") % {"grid": grid.name},
                              field="lon")
        return grid
    if data.grid_code:
        return _my_grid(user, data.grid_code)
    mine = scoping.member_grid_ids(user)
    if len(mine) == 1:
        return Unit.objects.get(pk=next(iter(mine)))
    raise DomainError(_("Give the location (device or map) or choose the grid."), field="lon")


def file_report(user, data: ReportData, idempotency_key=None, at=None):
    """巡查上报: a worker's report becomes a ticket (channel patrol) and goes where the duty list says.

    - handled on the spot (自处置, when the duty list allows it, with an after
      photo): the ticket is closed at once, the grid as lead unit;
    - grid / community / street: dispatched to that unit, first step of the ladder;
    - department: left in the hotline's dispatch queue (the dispatch catalogue decides).
    Returns (PatrolReport, created).
    """
    _require_worker(user)
    text = tickets.require_text(data.text, "text", _("Description"), 4000)
    category = _report_category(data)
    grid = _report_grid(user, data)
    level, may_self_handle, _rule = duty_for(grid.street_id, category)
    if data.self_handled:
        if not may_self_handle:
            raise DomainError(_("The duty list does not allow handling “%(matter)s” on the spot.")
                              % {"matter": category.name}, field="self_handled")
        if not data.after_photos:
            raise DomainError(_("A matter handled on the spot needs a photo taken afterwards."),
                              field="after_photos")
    tickets.validate_attachments(list(data.photos) + list(data.after_photos))
    patrol = None
    if data.patrol_id:
        patrol = Patrol.objects.filter(pk=data.patrol_id, worker=user).first()
        if patrol is None:
            raise DomainError(_("No such patrol."), field="patrol")
    now = at or timezone.now()
    intake = tickets.IntakeData(
        text=text, title=data.title, channel=Channel.PATROL, address=data.address,
        lon=data.lon, lat=data.lat, coord_system=data.coord_system or "wgs84",
        category_code=category.code, street_code="" if data.lon is not None else grid.code,
        anonymous=True, attachments=list(data.photos))
    with transaction.atomic():
        ticket, created = tickets.create_ticket(user, intake, idempotency_key=idempotency_key, at=now)
        if not created:
            return PatrolReport.objects.get(ticket=ticket), False
        if ticket.grid_id != grid.pk:  # a point on the line between two grids: filed in the worker's (_report_grid)
            ticket.grid, ticket.community, ticket.street, ticket.district = grid, grid.parent, grid.street, grid.district
            ticket.save(update_fields=["grid", "community", "street", "district"])
        report = PatrolReport.objects.create(
            ticket=ticket, grid=grid, worker=user, patrol=patrol, filed_at=now, duty_level=level,
            boundary=ensure_version(grid, at=now))
        if data.self_handled:
            _close_on_spot(user, ticket, grid, data.handled_note or _("Handled on the spot."),
                           data.after_photos, now)
            report.self_handled, report.handled_at = True, now
            report.save(update_fields=["self_handled", "handled_at"])
        elif level in ("grid", "community", "street"):
            unit = {"grid": grid, "community": grid.parent, "street": grid.street}[level]
            _route(user, ticket, unit, level, _("Duty list: %(level)s handles this matter.") % {"level": unit.name},
                   now)
        else:
            tickets.record_event(ticket, "grid_handover", user, ticket.state, ticket.state,
                                 _("Duty list: a department handles this; left to the hotline's dispatch."),
                                 at=now, grid=grid.code)
    return report, True


def _step_due(level, start):
    amount, unit = ladder.limit(level, settings.JIESU.get("GRID_LADDER_LIMITS"))
    return add_limit(current_calendar(), timezone.localtime(start), amount, unit)


def _open_step(ticket, level, unit, reason, user, now):
    last = ticket.ladder_steps.order_by("-number").first()
    return LadderStep.objects.create(ticket=ticket, number=(last.number + 1) if last else 1, level=level,
                                     unit=unit, reason=reason, entered_at=now, due_at=_step_due(level, now),
                                     by=_real(user))


def _route(user, ticket, unit, level, reason, now):
    """Dispatch a ticket to a grid/community/street by the duty list (ticket locked by the caller's transaction).
    A unit the negative list bars for the ticket's category is not given it: the ticket is left to the hotline's
    dispatch (grid_handover naming the entry), as a department's matter is. Returns the ladder step, or None."""
    ticket = tickets.locked(ticket)
    barred = tickets.negative_entries(ticket, unit, [])
    if barred:
        tickets.record_event(ticket, "grid_handover", user, ticket.state, ticket.state,
                             tickets.negative_handover_words(barred), at=now, grid=ticket.grid.code
                             if ticket.grid_id else None, negative_list=tickets.negative_entry_facts(barred))
        return None
    before = ticket.state
    tickets._assign(user, ticket, unit, [], now)
    step = _open_step(ticket, level, unit, reason, user, now)
    ticket.assignments.filter(active=True, role=AssignmentRole.LEAD).update(reply_due=step.due_at)
    ticket.state = State.DISPATCHED
    ticket.save()
    tickets.record_event(ticket, "dispatch", user, before, ticket.state, reason, at=now, lead=unit.name,
                         lead_id=unit.pk, co=[], category=ticket.category.code if ticket.category_id else None,
                         via="grid_duty", level=level, step_due=step.due_at.isoformat())
    return step


def _close_on_spot(user, ticket, grid, note, after_photos, now):
    """自处置: the grid is lead unit, the matter is handled and the ticket closed, with the after photos."""
    ticket = tickets.locked(ticket)
    before = ticket.state
    tickets._assign(user, ticket, grid, [], now)
    ticket.assignments.filter(active=True).update(state=AssignmentState.DONE, signed_at=now, contacted_at=now,
                                                  replied_at=now, reply_text=note)
    if not ticket.ladder_steps.exists():  # filed and handled at once: the grid's step is on the ladder too
        _open_step(ticket, "grid", grid, note, user, now)
    for step in ticket.ladder_steps.filter(left_at__isnull=True):
        step.left_at, step.outcome = now, StepOutcome.HANDLED
        step.save(update_fields=["left_at", "outcome"])
    for upload in after_photos:
        tickets.store_attachment(ticket, upload, user)
    ticket.state, ticket.reply_text, ticket.replied_at, ticket.closed_at = State.CLOSED, note, now, now
    ticket.self_resolved, ticket.close_reason, ticket.warning_level = True, SELF_HANDLED, 0
    ticket.save()
    tickets.record_event(ticket, "self_handle", user, before, ticket.state, note, at=now, grid=grid.code,
                         after_photos=len(after_photos))


def self_handle(user, ticket, note, after_photos):
    """自处置 later: a ticket on one of the worker's grids, of a matter the duty list lets the grid handle."""
    _require_worker(user)
    if not after_photos:
        raise DomainError(_("A matter handled on the spot needs a photo taken afterwards."), field="after_photos")
    tickets.validate_attachments(after_photos, already=ticket.attachments.count())  # the ticket's own count too
    note = tickets.require_text(note, "note", _("What was done"), 1000)
    with transaction.atomic():
        ticket = tickets.locked(ticket)
        grid_id = ticket.lead_unit_id if ticket.lead_unit_id else ticket.grid_id
        if grid_id not in scoping.member_grid_ids(user):
            raise Forbidden(_("Only a worker of the grid handling this ticket may do this."))
        if ticket.state not in (State.NEW, *HANDLING_STATES):
            raise Conflict(_("Not possible while the ticket is “%(state)s”.") % {"state": ticket.get_state_display()})
        grid = Unit.objects.get(pk=grid_id)
        if grid.kind != UnitKind.GRID:
            raise Conflict(_("The ticket is no longer with a grid."))
        _level, may, _rule = duty_for(grid.street_id, ticket.category)
        if not may:
            raise DomainError(_("The duty list does not allow handling this matter on the spot."),
                              field="self_handled")
        now = timezone.now()
        _close_on_spot(user, ticket, grid, note, after_photos, now)
        PatrolReport.objects.filter(ticket=ticket).update(self_handled=True, handled_at=now)
    return ticket


def current_step(ticket):
    return ticket.ladder_steps.filter(left_at__isnull=True).order_by("-number").first()


def _parent_on_ladder(unit):
    if unit.kind == UnitKind.GRID:
        return "community", unit.parent
    if unit.kind == UnitKind.COMMUNITY:
        return "street", unit.street
    if unit.kind == UnitKind.STREET:
        return "district", unit.district
    return None, None


def escalation_target(ticket):
    """(level, unit) the ticket would go up to, or (None, None)."""
    if ticket.lead_unit_id is None:
        return None, None
    return _parent_on_ladder(ticket.lead_unit)


def barred_step_up(ticket, target):
    """The negative-list entries ([(field, unit, duty)], [] when none) that bar `target`, the unit a ticket would
    go up to: the step up then goes to the hotline's dispatch queue (escalate), as the worker's page says."""
    return tickets.negative_entries(ticket, target, [])


def may_escalate(user, ticket):
    if not user or not user.is_authenticated or ticket.state not in HANDLING_STATES or not ticket.lead_unit_id:
        return False
    if user.role not in (Role.GRID_WORKER, Role.UNIT_STAFF, Role.ADMIN) and not user.is_superuser:
        return False
    level, unit = escalation_target(ticket)
    if unit is None:
        return False
    return user.is_superuser or user.role == Role.ADMIN or ticket.lead_unit_id in scoping.acting_units(user)


def _leave_step(ticket, from_level, now):
    """Close the ticket's open ladder step as passed up (opening step 1 first for a hotline ticket dispatched
    straight to the grid). Returns the step."""
    step = current_step(ticket)
    if step is None:
        step = LadderStep.objects.create(ticket=ticket, number=1, level=from_level, unit=ticket.lead_unit,
                                         reason="", entered_at=ticket.dispatched_at or now, due_at=ticket.reply_due)
    step.left_at, step.outcome = now, StepOutcome.ESCALATED
    step.save(update_fields=["left_at", "outcome"])
    return step


def _hand_over_barred_step(user, ticket, barred, reason, now, **facts):
    """A step up to a unit the negative list bars goes to the hotline's dispatch queue instead, from any handling
    state (a contacted ticket cannot be returned): the units are withdrawn, the ticket waits as 待派单 with a fresh
    dispatch deadline, and the event names the entry and the worker's reason for the dispatcher who routes it."""
    before = ticket.state
    ticket.assignments.filter(active=True).update(active=False, state=AssignmentState.WITHDRAWN)
    ticket.lead_unit, ticket.reply_due, ticket.warning_level = None, None, 0
    ticket.state = State.NEW
    ticket.dispatch_due = tickets.due(now, tickets.time_limit_class(ticket), "dispatch")
    ticket.save()
    tickets.record_event(ticket, "grid_handover", user, before, ticket.state,
                         _("%(handover)s Reason for passing it up: %(reason)s") % {
                             "handover": tickets.negative_handover_words(barred), "reason": reason},
                         at=now, reason=reason, negative_list=tickets.negative_entry_facts(barred), **facts)


def escalate(user, ticket, reason, at=None):
    """逐级上报: the lead unit (grid, community, street) passes the ticket up one level, with a reason.

    The step left is closed, the next opens with its own deadline; the new lead
    must sign again. The ticket's own reply deadline does not move. When the negative
    list bars the next level, the ticket goes to the hotline's dispatch queue instead.
    """
    reason = tickets.require_text(reason, "reason", _("Reason"), 1000)
    with transaction.atomic():
        ticket = tickets.locked(ticket)
        if ticket.state not in HANDLING_STATES:
            raise Conflict(_("Not possible while the ticket is “%(state)s”.") % {"state": ticket.get_state_display()})
        level, target = escalation_target(ticket)
        if target is None:
            raise Conflict(_("The district is the top of the ladder: ask the hotline to dispatch to a department."))
        if not may_escalate(user, ticket):
            raise Forbidden(_("Only the unit handling the ticket may pass it up."))
        now = at or timezone.now()
        from_unit = ticket.lead_unit
        from_level = {UnitKind.GRID: "grid", UnitKind.COMMUNITY: "community",
                      UnitKind.STREET: "street"}[from_unit.kind]
        step = _leave_step(ticket, from_level, now)
        if barred := barred_step_up(ticket, target):
            _hand_over_barred_step(user, ticket, barred, reason, now, from_level=from_level, to_level=level,
                                   from_unit=from_unit.name, step=step.number,
                                   late=bool(step.due_at and now > step.due_at))
            return ticket
        old_due = ticket.reply_due
        before = ticket.state
        tickets._assign(user, ticket, target, [], now)
        if old_due:
            ticket.reply_due = old_due
        new_step = _open_step(ticket, level, target, reason, user, now)
        ticket.assignments.filter(active=True, role=AssignmentRole.LEAD).update(reply_due=new_step.due_at)
        ticket.state = State.DISPATCHED
        ticket.save()
        tickets.record_event(ticket, "escalate", user, before, ticket.state, reason, at=now,
                             from_level=from_level, to_level=level, from_unit=from_unit.name, to_unit=target.name,
                             to_unit_id=target.pk, step=new_step.number, step_due=new_step.due_at.isoformat(),
                             late=bool(step.due_at and now > step.due_at), may_whistle=ladder.may_whistle(level))
    return ticket


def grid_first(ticket, category=None):
    """For the hotline: the grid/community/street a ticket goes to first by the grid duty list, or None.

    {"level", "unit", "rule"} — None when the ticket has no grid or the duty
    list leaves it to the dispatch catalogue (department). `category`: another
    category than the ticket's (a suggestion the dispatcher has not confirmed yet).
    """
    category = category or (ticket.category if ticket.category_id else None)
    if category is None:
        return None
    return grid_first_each(ticket, [category])[0]


def grid_first_each(ticket, categories):
    """grid_first for each of `categories` (None: no answer), the grid and its street's duty list read once.

    The dispatcher's desk asks it for every suggestion of a ticket: 2 queries in all, not 2 per suggestion.
    """
    if not ticket.grid_id or not any(c is not None for c in categories):
        return [None] * len(categories)
    grid = staffed(Unit.objects.select_related("parent", "street")).get(pk=ticket.grid_id)
    rules = _rules(grid.street_id)
    return [None if category is None else _grid_target(grid, rules, category) for category in categories]


def staffed(grids):
    """`grids` annotated has_member / has_unit_worker: whether someone (an active account) works on each."""
    from django.db.models import Exists, OuterRef

    return grids.annotate(
        has_member=Exists(GridMember.objects.filter(grid=OuterRef("pk"), active=True, user__is_active=True)),
        has_unit_worker=Exists(User.objects.filter(unit=OuterRef("pk"), role=Role.GRID_WORKER, is_active=True)))


def _grid_target(grid, rules, category):
    """Where the duty list sends a matter of `grid` first. A grid nobody works on (no active member: a post left
    empty, a worker gone) cannot handle it: its community does (社区兜底), the dict naming the grid as `unstaffed`."""
    level, _self, rule = duty_in(rules, grid.street_id, category)
    unstaffed = None
    if level == "grid" and not (grid.has_member or grid.has_unit_worker):
        level, unstaffed = "community", grid
    unit = {"grid": grid, "community": grid.parent, "street": grid.street}.get(level)
    if unit is None:
        return None
    return {"level": level, "unit": unit, "rule": rule, "unstaffed": unstaffed}


def route_to_grid(user, ticket, note=""):
    """派单 a hotline ticket to the grid (or community/street) its grid's duty list names; ladder step 1."""
    if not user or not user.is_authenticated or (user.role not in (Role.DISPATCHER, Role.ADMIN)
                                                 and not user.is_superuser):
        raise Forbidden(_("Your role may not do this."))
    target = grid_first(ticket)
    if target is None:
        raise Conflict(_("The grid duty list does not give this ticket to a grid, community or street."))
    with transaction.atomic():
        tickets.dispatch(user, ticket, target["unit"].pk, note=note or _("Grid duty list: routed to the grid first."))
        ticket.refresh_from_db()
        open_grid_first_step(user, ticket, target)
    return ticket


def open_grid_first_step(user, ticket, target=None):
    """Ladder step 1 for a hotline ticket just dispatched to the unit its grid's duty list names, else None.

    Called inside the dispatch's transaction (route_to_grid, the dispatcher's desk), so a ticket sent to
    its grid by any path starts the ladder with the grid's own deadline.
    """
    target = target or grid_first(ticket)
    if target is None or ticket.lead_unit_id != target["unit"].pk or ticket.ladder_steps.exists():
        return None
    now = ticket.dispatched_at or timezone.now()
    step = _open_step(ticket, target["level"], target["unit"], _("Grid duty list"), user, now)
    ticket.assignments.filter(active=True, role=AssignmentRole.LEAD).update(reply_due=step.due_at)
    return step


# ════════════════════════════════════════════════════════════════ grid information

def info_of(grid):
    info, _created = GridInfo.objects.get_or_create(grid=grid)
    return info


def update_info(user, grid, population=None, households=None, buildings=None, note=None):
    grid = _grid(grid)
    if not scoping.may_edit_info(user, grid):
        raise Forbidden(_("Your role may not change this grid's information."))
    info = info_of(grid)
    for name, value in (("population", population), ("households", households), ("buildings", buildings)):
        if value is None:
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = -1
        if value < 0:
            raise DomainError(_("Enter a whole number, 0 or more."), field=name)
        setattr(info, name, value)
    if note is not None:
        info.note = note
    info.updated_by = user
    info.save()
    return info


def add_key_place(user, grid, kind, name, address="", lon=None, lat=None, contact_phone=""):
    grid = _grid(grid)
    if not scoping.may_edit_info(user, grid):
        raise Forbidden(_("Your role may not change this grid's information."))
    if kind not in PlaceKind.values:
        raise DomainError(_("Choose the kind of place."), field="kind")
    name = tickets.require_text(name, "name", _("Name"), 100)
    return KeyPlace.objects.create(grid=grid, kind=kind, name=name, address=(address or "")[:200], lon=lon, lat=lat,
                                   contact_phone=(contact_phone or "")[:30])


def add_care_subject(user, grid, kind, name, phone="", address="", note=""):
    grid = _grid(grid)
    if not scoping.may_edit_info(user, grid):
        raise Forbidden(_("Your role may not change this grid's information."))
    if kind not in CareKind.values:
        raise DomainError(_("Choose the kind of care needed."), field="kind")
    name = tickets.require_text(name, "name", _("Name"), 60)
    if phone and phone_number(phone) is None:
        raise DomainError(_("The phone number is not valid."), field="phone")
    return CareSubject.objects.create(grid=grid, kind=kind, name=name, phone=(phone or "").strip(),
                                      address=(address or "")[:200], note=(note or "")[:200])


def mask_address(address):
    return (address[:6] + "****") if address else ""


def care_subjects_for(user, grid):
    """The grid's people needing care as dicts, masked unless the user needs to know."""
    full = scoping.may_see_care_details(user, grid)
    from jiesu.core.scoping import mask_name, mask_phone

    out = []
    for s in CareSubject.objects.filter(grid=grid, active=True):
        out.append({"id": s.pk, "kind": s.kind, "kind_label": s.get_kind_display(),
                    "name": s.name if full else mask_name(s.name),
                    "phone": s.phone if full else mask_phone(s.phone),
                    "address": s.address if full else mask_address(s.address),
                    "note": s.note if full else "", "masked": not full})
    return out
