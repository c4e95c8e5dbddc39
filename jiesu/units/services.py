"""What can be done to the org tree: build it, re-tile it, locate a point, search it.

The tree (docs/units.md, docs/units-codes.md):

    110000 北京市 (city)
      ├─ HC 12345市民服务热线中心, CD-* city departments, EN-* enterprises
      └─ 16 districts 110101 东城区 …
           ├─ <district>-CGJ … the five district departments
           └─ 343 streets/townships 110101001 东华门街道 …
                └─ communities 110101001001 东华门第一社区 …
                     └─ grids 110101001001001 东华门第一社区第1网格 …

Names and codes of the city, districts, streets and departments are real
(package data in jiesu/units/data/); communities and grids are generated.
Every territorial unit gets a schematic boundary (geometry.py) unless it
already has one; real boundaries come from `jiesu load-units`.
"""
from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (Case, CharField, F, IntegerField, OuterRef, Q, Subquery, Value,
                              When)
from django.db.models.functions import Cast, Coalesce, Concat, Length
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shapely.geometry import Point

from jiesu.units import geometry as geo
from jiesu.units.boundaries import kind_for_code, parent_code_for
from jiesu.units.models import TERRITORIAL_KINDS, Unit, UnitKind

DATA_DIR = Path(__file__).resolve().parent / "data"
CITY_CODE = "110000"
CITY_NAME = "北京市"
BATCH = 500

# Street types in streets.csv → the name of the office behind the street (used as alias).
STREET_OFFICE = {"街道": "街道办事处", "镇": "镇人民政府", "乡": "乡人民政府", "地区(街乡合一)": "地区办事处"}
CN_DIGITS = "零一二三四五六七八九"

# Pickers list the units most often meant first.
KIND_RANK = [UnitKind.HOTLINE_CENTER, UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET,
             UnitKind.DEPARTMENT, UnitKind.ENTERPRISE, UnitKind.COMMUNITY, UnitKind.GRID]


# ---------------------------------------------------------------- package data

def _read_csv(name):
    with open(DATA_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def district_rows():
    """The 16 districts: code, name, center_lon, center_lat."""
    return _read_csv("districts.csv")


def street_rows():
    """The 343 streets/townships: code, name, type, district_code."""
    return _read_csv("streets.csv")


def department_rows():
    """Departments, enterprises, the hotline centre; `{district}` rows repeat per district."""
    return _read_csv("departments.csv")


def city_bbox():
    return tuple(getattr(settings, "JIESU", {}).get("CITY_BBOX", geo.BEIJING_BBOX))


# ---------------------------------------------------------------- naming

def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1..99)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "")


def street_base(name: str) -> str:
    """东华门街道 → 东华门, 南磨房地区 → 南磨房, 长沟镇 → 长沟."""
    for suffix in ("街道", "地区", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def street_aliases(name: str, kind_label: str) -> str:
    """The offices behind a street: 东华门街道 → 东华门街道办事处 (comma-separated)."""
    office = STREET_OFFICE.get(kind_label, "")
    base = street_base(name)
    aliases = [base + office] if office else []
    if kind_label == "地区(街乡合一)":
        aliases.append(base + "乡人民政府")
    return ",".join(aliases)


def community_name(street_name: str, number: int) -> str:
    return f"{street_base(street_name)}第{chinese_number(number)}社区"


def grid_name(community: str, number: int) -> str:
    return f"{community}第{number}网格"


# ---------------------------------------------------------------- building

@dataclass
class BuildReport:
    created: Counter = field(default_factory=Counter)
    tiled: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self):
        return {"created": dict(self.created), "tiled": dict(self.tiled), "seconds": round(self.seconds, 2)}


def build_org_tree(communities_per_street=3, grids_per_community=2, seed=1, districts=None) -> BuildReport:
    """Create the whole org tree; idempotent (existing units, matched by code, are kept).

    `districts` (codes) limits streets, communities and grids to those
    districts — tests use it to stay fast; the city, all districts and all
    departments are always there. Units without a boundary get a schematic
    one; a unit whose boundary is (re)assigned in this run has its schematic
    children re-tiled. Real boundaries (schematic=False) are never touched.
    """
    started = time.perf_counter()
    builder = _TreeBuilder(seed)
    with transaction.atomic():
        city = builder.city()
        all_districts = builder.districts(city)
        wanted = all_districts if districts is None else [d for d in all_districts if d.code in set(districts)]
        streets = builder.streets(wanted)
        communities = builder.communities(streets, communities_per_street)
        builder.grids(communities, grids_per_community)
        builder.departments(city, all_districts)
    invalidate_locator()
    builder.report.seconds = time.perf_counter() - started
    return builder.report


class _TreeBuilder:
    """Creates one level at a time with bulk_create; remembers which units changed shape."""

    def __init__(self, seed):
        self.seed = seed
        self.existing = {u.code: u for u in Unit.objects.all()}
        self.changed = set()  # codes whose geometry was assigned in this run
        self.touched = set()  # codes with other fields to save
        self.report = BuildReport()

    # -- levels

    def city(self):
        spec = dict(code=CITY_CODE, name=CITY_NAME, kind=UnitKind.CITY, aliases="北京,北京市人民政府")
        city = self._unit(None, spec)
        if city.geometry is None:
            self._assign(city, geo.bbox_polygon(city_bbox()))
        self._save_level([city])
        return city

    def districts(self, city):
        rows = district_rows()
        specs = [dict(code=r["code"], name=r["name"], kind=UnitKind.DISTRICT,
                      aliases=f"{r['name']}人民政府,{r['name'][:-1]}",
                      center=(float(r["center_lon"]), float(r["center_lat"]))) for r in rows]
        return self._level([(city, specs)])

    def streets(self, districts):
        by_district = defaultdict(list)
        for r in street_rows():
            by_district[r["district_code"]].append(
                dict(code=r["code"], name=r["name"], kind=UnitKind.STREET,
                     aliases=street_aliases(r["name"], r["type"])))
        return self._level([(d, by_district[d.code]) for d in districts])

    def communities(self, streets, per_street):
        groups = [(s, [dict(code=f"{s.code}{i:03d}", name=community_name(s.name, i), kind=UnitKind.COMMUNITY)
                       for i in range(1, per_street + 1)]) for s in streets]
        return self._level(groups)

    def grids(self, communities, per_community):
        groups = [(c, [dict(code=f"{c.code}{i:03d}", name=grid_name(c.name, i), kind=UnitKind.GRID)
                       for i in range(1, per_community + 1)]) for c in communities]
        return self._level(groups)

    def departments(self, city, districts):
        units = []
        for row in department_rows():
            kind = row["kind"]
            aliases = row["aliases"].replace(";", ",")
            if "{district}" not in row["code"]:
                units.append(self._unit(city, dict(code=row["code"], name=row["name"], kind=kind, aliases=aliases)))
                continue
            for d in districts:
                fill = {"district": d.code, "district_name": d.name}
                units.append(self._unit(d, dict(code=row["code"].format(**fill), name=row["name"].format(**fill),
                                                kind=kind, aliases=aliases.format(**fill))))
        self._save_level(units)

    # -- machinery

    def _level(self, groups):
        """Get or create each parent's children and tile the groups that need it."""
        level = []
        for parent, specs in groups:
            children = [self._unit(parent, spec) for spec in specs]
            self._tile(parent, children)
            level.extend(children)
        self._save_level(level)
        return level

    def _unit(self, parent, spec):
        unit = self.existing.get(spec["code"])
        if unit is None:
            center = spec.get("center") or (None, None)
            unit = Unit(code=spec["code"], name=spec["name"], kind=spec["kind"], parent=parent,
                        aliases=spec.get("aliases", ""), center_lon=center[0], center_lat=center[1])
            self.existing[unit.code] = unit
        elif unit.center_lon is None and spec.get("center"):
            unit.center_lon, unit.center_lat = spec["center"]
            self.touched.add(unit.code)
        return unit

    def _tile(self, parent, children):
        needed = parent.code in self.changed or any(c.geometry is None for c in children)
        if not children or not needed or parent.geometry is None:
            return
        for child, cell in zip(children, tile(parent, children, self.seed)):
            if child.geometry is None or child.schematic:
                self._assign(child, cell)

    def _assign(self, unit, cell):
        unit.geometry = geo.to_geojson(cell)
        unit.schematic = True
        if unit.center_lon is None or unit.kind != UnitKind.DISTRICT:
            unit.center_lon, unit.center_lat = geo.representative_lonlat(cell)
        self.changed.add(unit.code)
        self.report.tiled[str(unit.kind)] += 1

    def _save_level(self, units):
        new = [u for u in units if u.pk is None]
        old = [u for u in units if u.pk is not None and (u.code in self.changed or u.code in self.touched)]
        save_boundaries(old)
        for unit in new:
            set_tree_fields(unit)  # district/street of the parent; path and self-references after insert
        Unit.objects.bulk_create(new, batch_size=BATCH)
        for unit in new:
            set_tree_fields(unit)
            self.report.created[str(unit.kind)] += 1
        fill_tree_fields({u.kind for u in new})


def set_tree_fields(unit):
    """Unit.refresh_path() by ids only, so bulk work needs no query per parent."""
    parent = unit.parent
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/" if unit.pk else ""
    unit.district_id = unit.pk if unit.kind == UnitKind.DISTRICT else (parent.district_id if parent else None)
    unit.street_id = unit.pk if unit.kind == UnitKind.STREET else (parent.street_id if parent else None)


def save_boundaries(units):
    """Save geometry, schematic and centre of many units in one executemany.

    Django's bulk_update builds a CASE per row and field, which takes seconds
    for the few thousand units a re-tiling touches.
    """
    if not units:
        return
    geometry = Unit._meta.get_field("geometry")
    columns = ", ".join(f"{connection.ops.quote_name(Unit._meta.get_field(name).column)} = %s"
                        for name in ("geometry", "schematic", "center_lon", "center_lat"))
    sql = f"UPDATE {connection.ops.quote_name(Unit._meta.db_table)} SET {columns} WHERE id = %s"
    rows = [(geometry.get_db_prep_save(u.geometry, connection), u.schematic, u.center_lon, u.center_lat, u.pk)
            for u in units]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def refresh_subtree(unit, old_path, old_code=None, user=None):
    """After `unit` moved (its path changed) or was recoded, bring what hangs on its old place along.

    Below it: path/district/street, and codes starting with `old_code` take the new one instead (a community
    recoded 110101001001 → 110102001009 makes its grid 110101001001001 → 110102001009001). Tickets placed in
    it take its new street/district at once (carry_tickets), so who may read them follows the tree; when its parent
    changed, each open ticket placed in it or led by it (or a unit below it) says so in its history, moved by `user`
    (record_moves).
    """
    recode = old_code if old_code and old_code != unit.code else None
    below = list(Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk)
                 .defer("geometry").order_by(Length("path")))
    nodes = {unit.pk: unit}
    for node in below:  # a parent's old path is shorter than its children's, so it comes first
        node.parent = nodes[node.parent_id]
        set_tree_fields(node)
        if recode and node.code.startswith(recode):
            node.code = unit.code + node.code[len(recode):]
        nodes[node.pk] = node
    Unit.objects.bulk_update(below, ["path", "district", "street", "code"], batch_size=BATCH)
    parents = old_path.strip("/").split("/")
    old_parent_id = int(parents[-2]) if len(parents) > 1 else None
    if old_parent_id != unit.parent_id:
        record_moves(unit, list(nodes), Unit.objects.filter(pk=old_parent_id).first(), unit.parent, user,
                     old_code=old_code)
    carry_tickets(unit)
    invalidate_locator()
    return len(below)


class MergeRefused(Exception):
    """A merge that cannot be made, with the reason in words (nothing was changed)."""


#: open work a merge does not move: it is re-dispatched first, with the tickets' and whistles' own history
MERGE_BLOCKERS = ("assignments", "whistles", "summons", "whistle_tasks")
PLACE_FIELDS = {UnitKind.STREET: "street", UnitKind.COMMUNITY: "community", UnitKind.GRID: "grid"}


def merge_into(source, into, user=None):
    """Merge `source` into `into` (街道合并, 机构改革): its units below hang under `into` (territorial ones recoded
    under its code, their tickets carried), tickets placed at `source` itself, its users, its duties (派单目录),
    grid members and monthly topics go to `into`, which takes `source`'s name as an alias; then `source` is closed.
    Refused (MergeRefused, nothing changed) for another kind, a closed or the same target, and while `source`
    holds open assignments or whistle work. Returns {"children", "tickets", "users", "duties"} counts."""
    from django.apps import apps

    from jiesu.units import rules

    if into.pk == source.pk or into.path.startswith(source.path):
        raise MergeRefused(_("%(into)s is %(source)s or lies below it.") % {"into": into.name, "source": source.name})
    if into.kind != source.kind:
        raise MergeRefused(_("Kind: %(source)s (%(kind)s) merges only into a unit of the same kind, not into "
                             "%(into)s (%(into_kind)s).") % {
            "source": source.name, "kind": source.get_kind_display(), "into": into.name,
            "into_kind": into.get_kind_display()})
    if not into.active:
        raise MergeRefused(_("%(into)s is closed.") % {"into": into.name})
    blocking = [(a, n) for a, n in rules.open_work(source) if a in MERGE_BLOCKERS]
    if blocking:
        words = {a: m for a, _narrow, m in rules.OPEN_WORK}
        raise MergeRefused(_("%(source)s still holds %(work)s: re-dispatch or finish them first.") % {
            "source": source.name, "work": _("; ").join(_(words[a]) % {"n": n} for a, n in blocking)})
    done = Counter()
    with transaction.atomic():
        numbered = source.kind in (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY)
        suffixes = [int(c[len(into.code):]) for c in Unit.objects.filter(code__startswith=into.code)
                    .values_list("code", flat=True) if c[len(into.code):].isdigit() and len(c) == len(into.code) + 3]
        number = max(suffixes, default=0)
        for child in Unit.objects.filter(parent=source).defer("geometry").order_by("code"):
            old_path, old_code = child.path, child.code
            child.parent = into
            if numbered and child.kind in TERRITORIAL_KINDS:
                number += 1
                child.code = f"{into.code}{number:03d}"
            elif child.code.startswith(f"{source.code}-"):  # a district department: unless `into` has its own
                recoded = f"{into.code}-{child.code[len(source.code) + 1:]}"
                if not Unit.objects.filter(code=recoded).exists():
                    child.code = recoded
            child.save()
            refresh_subtree(child, old_path, old_code, user=user)
            done["children"] += 1
        field = PLACE_FIELDS.get(source.kind)
        if field and apps.is_installed("jiesu.tickets"):
            values = {field: into, "district_id": into.district_id}
            if source.kind != UnitKind.STREET:
                values["street_id"] = into.street_id
            if source.kind == UnitKind.GRID:
                values["community_id"] = into.parent_id
            record_moves(source, [source.pk], source.parent, into.parent, user, merged_into=into)
            done["tickets"] = apps.get_model("tickets", "Ticket").objects.filter(**{field: source}).update(**values)
        done["users"] = source.users.update(unit=into)
        if apps.is_installed("jiesu.categories"):
            duty = apps.get_model("categories", "Duty")
            done["duties"] = (duty.objects.filter(unit=source).update(unit=into)
                              + duty.objects.filter(territory=source).update(territory=into))
        if apps.is_installed("jiesu.grids") and source.kind == UnitKind.GRID:
            source.members.exclude(user__in=into.members.values("user")).update(grid=into)
            source.members.all().delete()  # those already on `into`
        if apps.is_installed("jiesu.topics"):
            source.led_topics.update(lead_unit=into)
        into.aliases = aliases_with(into.aliases, source.name, into.name)
        into.save()
        left = rules.open_work_words(source)
        if left:
            raise MergeRefused(_("%(source)s still holds %(work)s: re-dispatch or finish them first.") % {
                "source": source.name, "work": left})
        source.active = False
        source.save()
    invalidate_locator()
    return dict(done)


def unit_words(unit):
    """A unit as a ticket event's payload keeps it: as it is named now, whatever it is called later."""
    return {"id": unit.pk, "code": unit.code, "name": unit.name} if unit is not None else None


def record_moves(unit, unit_ids, old_parent, new_parent, user=None, old_code=None, merged_into=None):
    """One `unit_moved` event on each open ticket (not closed, not merged) placed in `unit` or led by one of
    `unit_ids` (it and the units below it): the unit, its parent before and after (or the unit it merged into) and
    who did it, so the ticket's history says why another street now answers for it. Written in one statement
    (tickets.services.record_events); closed tickets keep their history as it was. Returns the number written."""
    from django.apps import apps

    if not apps.is_installed("jiesu.tickets"):
        return 0
    from jiesu.tickets.models import State, Ticket
    from jiesu.tickets.services import record_events

    where = Q(lead_unit_id__in=list(unit_ids))
    field = PLACE_FIELDS.get(unit.kind)
    if field:
        where |= Q(**{field: unit})
    open_tickets = Ticket.objects.filter(where).exclude(state__in=(State.CLOSED, State.MERGED))
    payload = {"unit": {**unit_words(unit), "old_code": old_code or unit.code}, "from": unit_words(old_parent),
               "to": unit_words(new_parent)}
    if merged_into is not None:
        payload["merged_into"] = unit_words(merged_into)
    return record_events(open_tickets, "unit_moved", user=user, **payload)


def aliases_with(aliases, old_name, name):
    """`aliases` (comma-separated) with `old_name` added after them and `name` taken out: a renamed unit is still
    found, and located in citizens' words, by the name it had. Left as it was when the field would overflow."""
    kept = [a.strip() for a in aliases.split(",") if a.strip() and a.strip() not in (old_name, name)]
    joined = ",".join([*kept, old_name])
    return joined if len(joined) <= Unit._meta.get_field("aliases").max_length else aliases


def carry_tickets(unit):
    """Give the tickets placed in territorial `unit` (or below it) its street and district (and, for a grid, its
    community): the ticket's place columns are what a territory's staff read it by (jiesu.core.scoping), so a
    community moved to another street is that street's at once. Returns the number of tickets changed."""
    from django.apps import apps

    field = {UnitKind.STREET: "street", UnitKind.COMMUNITY: "community", UnitKind.GRID: "grid"}.get(unit.kind)
    if field is None or not apps.is_installed("jiesu.tickets"):
        return 0  # a district's tickets name it, whatever its parent; departments hold no place
    values = {"district_id": unit.district_id}
    if unit.kind != UnitKind.STREET:
        values["street_id"] = unit.street_id
    if unit.kind == UnitKind.GRID:
        values["community_id"] = unit.parent_id
    return apps.get_model("tickets", "Ticket").objects.filter(**{field: unit}).update(**values)


def fill_tree_fields(kinds):
    """Set path (and the self-reference of districts/streets) of units just bulk-inserted.

    They are recognised by their empty path; one UPDATE per kind, taking the
    parent's path in SQL, instead of one row at a time.
    """
    parent_path = Subquery(Unit.objects.filter(pk=OuterRef("parent_id")).values("path")[:1])
    for kind in kinds:
        values = {"path": Concat(Coalesce(parent_path, Value("/")), Cast("id", CharField()), Value("/"),
                                 output_field=CharField())}
        if kind == UnitKind.DISTRICT:
            values["district"] = F("id")
        elif kind == UnitKind.STREET:
            values["street"] = F("id")
        Unit.objects.filter(kind=kind, path="").update(**values)


def tile(parent, children, seed=1):
    """Schematic cells for `children` (in code order) tiling `parent`'s boundary.

    The city's districts are Voronoi cells around their centres; everything
    below is a seeded split of the parent (geometry.split), in reading order.
    """
    area = geo.as_shape(parent.geometry)
    centres = [(c.center_lon, c.center_lat) for c in children]
    if parent.kind == UnitKind.CITY and all(x is not None for x, _ in centres):
        return geo.voronoi_cells(centres, area)
    return geo.split(area, len(children), f"{seed}:{parent.code}")


def retile_below(units, seed=1):
    """Fit the schematic descendants of `units` into their (new) boundaries.

    Called after real boundaries are loaded. A parent whose territorial
    children include a real boundary is left alone (its code is returned in
    `skipped`). Returns {"tiled": n, "skipped": [codes]}.
    """
    tiled, skipped = 0, []
    level = [u for u in units if u.geometry is not None]
    with transaction.atomic():
        while level:
            children = defaultdict(list)
            for child in Unit.objects.filter(parent__in=[u.pk for u in level], kind__in=TERRITORIAL_KINDS):
                children[child.parent_id].append(child)
            next_level = []
            for parent in level:
                kids = sorted(children.get(parent.pk, []), key=lambda u: u.code)
                if not kids:
                    continue
                if not all(k.schematic or k.geometry is None for k in kids):
                    skipped.append(parent.code)
                    continue
                for kid, cell in zip(kids, tile(parent, kids, seed)):
                    kid.geometry, kid.schematic = geo.to_geojson(cell), True
                    if kid.kind != UnitKind.DISTRICT or kid.center_lon is None:
                        kid.center_lon, kid.center_lat = geo.representative_lonlat(cell)
                next_level.extend(kids)
            save_boundaries(next_level)
            tiled += len(next_level)
            level = next_level
    invalidate_locator()
    return {"tiled": tiled, "skipped": skipped}


# ---------------------------------------------------------------- loading real boundaries

GEOMETRY_REASONS = {
    "unreadable": gettext_lazy("the geometry cannot be read (%(detail)s)"),
    "empty": gettext_lazy("the geometry is empty"),
    "not_polygonal": gettext_lazy("a boundary must be a Polygon or MultiPolygon, not %(detail)s"),
    "not_lonlat": gettext_lazy("the coordinates are not WGS-84 longitude/latitude degrees (%(detail)s)"),
    "invalid": gettext_lazy("the boundary is not a valid polygon: %(detail)s"),
}


class Rejected(Exception):
    """One boundary record that cannot be loaded; the message says why."""


@dataclass
class LoadReport:
    updated: list = field(default_factory=list)  # labels
    created: list = field(default_factory=list)
    rejected: list = field(default_factory=list)  # (label, reason)
    repaired: list = field(default_factory=list)  # (label, what was wrong)
    retiled: int = 0
    retile_skipped: list = field(default_factory=list)  # parent codes with real children


def load_boundaries(records, repair=True, retile=True, seed=1, dry_run=False, strict=False) -> LoadReport:
    """Load real boundaries (boundaries.BoundaryRecord) into the org tree.

    A record with a territorial code (6/9/12/15 digits) updates the unit with
    that code, or creates it under the parent its prefix (or parent_code)
    names; a record without one is matched by exact name. Loaded boundaries
    are real (schematic=False). Invalid geometry is repaired (make_valid)
    unless `repair` is off; what cannot be used is rejected with the reason,
    the rest still loads. With `retile`, the schematic units below each loaded
    one are re-split to fit the new boundary. Nothing is saved with `dry_run`,
    nor with `strict` when a record was rejected.
    """
    report = LoadReport()
    loaded_from = {}  # code → label of the record that loaded it
    changed = []
    city_box = geo.bbox_polygon(city_bbox())
    with transaction.atomic():
        for record in sorted(records, key=lambda r: (len(r.code) if r.code else 99, r.number)):
            try:
                unit, created, problem = _load_record(record, city_box, repair, loaded_from)
            except Rejected as exc:
                report.rejected.append((record.label, str(exc)))
                continue
            loaded_from[unit.code] = record.label
            changed.append(unit)
            (report.created if created else report.updated).append(record.label)
            if problem:
                report.repaired.append((record.label, problem))
        if retile and changed:
            result = retile_below(changed, seed=seed)
            report.retiled, report.retile_skipped = result["tiled"], result["skipped"]
        if dry_run or (strict and report.rejected):
            transaction.set_rollback(True)
    invalidate_locator()
    number = {r.label: r.number for r in records}
    report.rejected.sort(key=lambda item: number[item[0]])  # file order, not parents-first order
    return report


def _load_record(record, city_box, repair, loaded_from):
    """(unit, created, repaired problem) for one record, saved; raises Rejected."""
    geom, problem = _record_geometry(record, city_box, repair)
    unit = _matching_unit(record)
    created = unit is None
    if created:
        unit = _new_unit(record)
    if unit.code in loaded_from:
        raise Rejected(_("unit %(code)s was already loaded from %(other)s")
                       % {"code": unit.code, "other": loaded_from[unit.code]})
    unit.geometry = geo.to_geojson(geom)
    unit.schematic = False
    if unit.center_lon is None or not geom.intersects(Point(unit.center_lon, unit.center_lat)):
        unit.center_lon, unit.center_lat = geo.representative_lonlat(geom)
    unit.save()
    return unit, created, problem


def _record_geometry(record, city_box, repair):
    if record.error:
        raise Rejected(_("cannot be read: %(error)s") % {"error": record.error})
    if record.geometry is None:
        raise Rejected(_("has no geometry"))
    try:
        geom, problem = geo.checked_polygon(record.geometry, repair=repair)
    except geo.GeometryError as exc:
        raise Rejected(GEOMETRY_REASONS.get(exc.reason, exc.reason) % {"detail": exc.detail}) from exc
    if not geom.intersects(city_box):
        raise Rejected(_("lies outside the city (bounds %(bounds)s): is it WGS-84 longitude/latitude?")
                       % {"bounds": ", ".join(f"{v:.4f}" for v in geom.bounds)})
    return geom, problem


def _matching_unit(record):
    """The unit a record is about, or None when it is to be created."""
    if kind_for_code(record.code):
        return Unit.objects.filter(code=record.code).first()
    if not record.name:
        raise Rejected(_("has neither a territorial code nor a name"))
    found = Unit.objects.filter(name=record.name, kind__in=TERRITORIAL_KINDS)
    if record.kind:
        found = found.filter(kind=record.kind)
    found = list(found.order_by("code")[:6])
    if len(found) > 1:
        raise Rejected(_("the name matches several units (%(codes)s): give the code")
                       % {"codes": ", ".join(u.code for u in found)})
    if not found:
        raise Rejected(_("no unit has this name, and without a 6/9/12/15-digit code none can be created"))
    return found[0]


def _new_unit(record):
    """An unsaved unit for a record whose territorial code is not in the tree yet."""
    kind = kind_for_code(record.code)
    if record.kind and record.kind != kind:
        raise Rejected(_("kind “%(kind)s” does not fit code %(code)s (a %(expected)s code)")
                       % {"kind": record.kind, "code": record.code, "expected": kind})
    if not record.name:
        raise Rejected(_("a new unit needs a name"))
    parent_code = record.parent_code or parent_code_for(record.code)
    parent = Unit.objects.filter(code=parent_code).first()
    if parent is None:
        raise Rejected(_("its parent %(parent)s is not in the org tree (load the parent first)")
                       % {"parent": parent_code})
    if not parent.active:  # merged or split away: its territory is another unit's now
        raise Rejected(_("its parent %(parent)s %(name)s is closed") % {"parent": parent_code, "name": parent.name})
    return Unit(code=record.code, name=record.name, kind=kind, parent=parent)


# ---------------------------------------------------------------- locating

LOCATE_LEVELS = (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.STREET, UnitKind.DISTRICT)
_locators = {"key": None, "by_kind": {}}


def invalidate_locator():
    """Drop the point locators here, and in every other process at its next look: the bulk services change
    boundaries without a signal (through the shared reference version, jiesu.dispatch.router.invalidate)."""
    from jiesu.dispatch import router

    _drop_locators()
    router.invalidate()


def _drop_locators():
    _locators["key"] = None


@receiver(post_save, sender=Unit)
@receiver(post_delete, sender=Unit)
def _unit_changed(sender, **kwargs):
    _drop_locators()  # the dispatch app's receiver of the same signals raises the shared version


def _cache_key():
    """Cheap fingerprint (count, max id) of the territorial units and the shared reference version
    (jiesu.dispatch.models.ReferenceVersion), in one query.

    Another process's inserts and deletes change the counts, its edits (a unit saved, boundaries loaded) the
    version; edits in this process are caught by the signals above and by the bulk services invalidating
    explicitly. Raw SQL: this runs on every locate_point().
    """
    from jiesu.dispatch.models import ReferenceVersion

    kinds = [str(k) for k in LOCATE_LEVELS]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MAX(id), (SELECT MAX(version) FROM {ReferenceVersion._meta.db_table}) "
                       f"FROM {Unit._meta.db_table} WHERE kind IN ({', '.join(['%s'] * len(kinds))})", kinds)
        return tuple(cursor.fetchone())


def _fresh_locators():
    key = _cache_key()
    if _locators["key"] != key:
        _locators.update(key=key, by_kind={})
    return _locators["by_kind"]


def locator(kind, cache=None):
    """The cached geometry.Locator over the active units of `kind`.

    Its ids are (id, parent_id, street_id, district_id), so a hit names the
    whole chain without another query.
    """
    cache = _fresh_locators() if cache is None else cache
    found = cache.get(kind)
    if found is None:
        rows = (Unit.objects.filter(kind=kind, active=True, geometry__isnull=False).order_by("code")
                .values_list("id", "parent_id", "street_id", "district_id", "geometry"))
        found = cache[kind] = geo.Locator(((row[:4], row[4]) for row in rows.iterator(chunk_size=2000)))
    return found


def finest_locator(cache=None):
    """The cached geometry.LayeredLocator over LOCATE_LEVELS (grids first): locate(lon, lat) → (kind, ids of
    locator()) for the finest level with a boundary at the point, or None."""
    cache = _fresh_locators() if cache is None else cache
    found = cache.get("layers")
    if found is None:
        found = cache["layers"] = geo.LayeredLocator((str(kind), locator(kind, cache)) for kind in LOCATE_LEVELS)
    return found


def locate_point(lon, lat):
    """The grid, community, street and district at (lon, lat), or None outside them all.

    Returns {"grid": Unit|None, "community": …, "street": …, "district": …}
    (parent/district/street joined, geometry deferred). The finest level with a boundary at the point wins
    and its ancestors fill the rest, so a point in a gap between grids still
    gets its street.
    """
    for attempt in range(2):
        found = finest_locator().locate(lon, lat)
        if found is None:
            return None
        kind, hit = found
        chain = _chain_ids(kind, *hit)
        units = _lean_units().in_bulk([i for i in chain.values() if i is not None])
        if hit[0] in units:
            return {level: units.get(unit_id) for level, unit_id in chain.items()}
        _drop_locators()  # the cache outlived its rows (e.g. a rolled-back transaction)
    return None


def _lean_units():
    """Units with parent, district and street joined, boundaries not loaded."""
    return (Unit.objects.select_related("parent", "district", "street")
            .defer("geometry", "parent__geometry", "district__geometry", "street__geometry"))


def _chain_ids(kind, unit_id, parent_id, street_id, district_id):
    chain = dict.fromkeys(("grid", "community", "street", "district"))
    chain[str(kind)] = unit_id
    if kind == UnitKind.GRID:
        chain["community"] = parent_id
    chain["street"] = chain["street"] or street_id
    chain["district"] = chain["district"] or district_id
    return chain


def place_chain(unit):
    """{"grid", "community", "street", "district"} for a territorial unit (None above it)."""
    chain = dict.fromkeys(("grid", "community", "street", "district"))
    node = unit
    while node is not None and node.kind in (UnitKind.GRID, UnitKind.COMMUNITY):
        chain[str(node.kind)] = node
        node = node.parent if node.kind == UnitKind.GRID else None
    chain["street"] = unit.street
    chain["district"] = unit.district
    return chain


# ---------------------------------------------------------------- searching

def search_units(q="", kinds=None, limit=20, active_only=True):
    """Units for pickers: every word of `q` in the name, an alias or the code.

    Exact code/name matches come first, then names starting with `q`, then
    the rest; within each, higher kinds (districts, streets, departments)
    before communities and grids. Geometry is not loaded.
    """
    q = (q or "").strip()
    qs = _lean_units()
    if active_only:
        qs = qs.filter(active=True)
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    for word in q.split():
        qs = qs.filter(Q(name__icontains=word) | Q(aliases__icontains=word) | Q(code__icontains=word))
    match_rank = Case(When(Q(code__iexact=q) | Q(name=q), then=Value(0)),
                      When(Q(name__startswith=q) | Q(code__startswith=q), then=Value(1)),
                      default=Value(2), output_field=IntegerField()) if q else Value(0)
    kind_rank = Case(*[When(kind=k, then=Value(i)) for i, k in enumerate(KIND_RANK)],
                     default=Value(len(KIND_RANK)), output_field=IntegerField())
    qs = qs.annotate(match_rank=match_rank, kind_rank=kind_rank)
    return list(qs.order_by("match_rank", "kind_rank", Length("code"), "code")[:limit])
