"""Reference data of the category catalogue: time-limit classes, the category tree,
the dispatch catalogue (派单目录 / 权责清单), and the look-ups the intake picker uses.

The CSV files in jiesu/categories/data/ are the source of truth; every loader is an
idempotent upsert by code (see docs/categories.md for the columns and the duty encoding).
"""
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from jiesu.categories.models import Category, Duty, DutyRole, DutyScope, LimitUnit, RequestType, TimeLimitClass
from jiesu.core.errors import DomainError

DATA_DIR = Path(__file__).resolve().parent / "data"
TIME_LIMITS_CSV = DATA_DIR / "time_limits.csv"
CATEGORIES_CSV = DATA_DIR / "categories.csv"
GBT_CSV = DATA_DIR / "gbt47678_5.csv"

GBT_ROOT_CODE = "90"
GBT_ROOT_NAME = "城市管理部件与事件"

#: Duty targets that mean "that territorial ancestor of the ticket's place" (属地).
TERRITORIAL_TARGETS = ("street", "district", "community", "grid")
#: "district_department:SCJ" → the unit `<district code>-SCJ` of the place's district.
DISTRICT_DEPARTMENT_PREFIX = "district_department:"
DISTRICT_DEPARTMENTS = {
    "CGJ": "城市管理委员会", "ZJW": "住房和城乡建设委员会", "ZFJ": "城市管理综合行政执法局",
    "SCJ": "市场监督管理局", "STJ": "生态环境局",
}
_FIXED_UNIT_CODE = re.compile(r"^(HC|CD-[A-Z0-9]+|EN-[A-Z0-9]+|\d{6}-[A-Z0-9]+)$")
_OWN_CODE = re.compile(r"^\d{2}(\.\d{2}){0,2}$")
_GBT_CODE = re.compile(r"^\d{5}$")
_STEPS = ("dispatch", "sign", "contact", "reply")


class CatalogueError(DomainError):
    """The catalogue data is wrong or does not fit the database (names the row at fault)."""

    def __init__(self, message):
        super().__init__(message, code="catalogue")


# --------------------------------------------------------------------------- duty targets

@dataclass(frozen=True)
class DutyTarget:
    """One parsed duty target of the CSV: where a category's tickets go."""

    scope: str           # DutyScope value
    unit_kind: str       # Duty.unit_kind ("" for a fixed unit until it is resolved)
    unit_code: str = ""  # a fixed unit's code (CD-RSJ, EN-WATER, HC, 110101-SCJ)

    @property
    def text(self):
        return self.unit_code or self.unit_kind


def parse_target(text: str) -> DutyTarget:
    """'street' | 'district' | 'district_department:SCJ' | 'CD-RSJ' | 'EN-WATER' | 'HC' → DutyTarget."""
    text = (text or "").strip()
    if text in TERRITORIAL_TARGETS:
        return DutyTarget(DutyScope.TERRITORIAL, text)
    if text.startswith(DISTRICT_DEPARTMENT_PREFIX):
        abbr = text[len(DISTRICT_DEPARTMENT_PREFIX):]
        if abbr not in DISTRICT_DEPARTMENTS:
            raise CatalogueError(f"unknown district department {abbr!r} in {text!r} "
                                 f"(known: {', '.join(sorted(DISTRICT_DEPARTMENTS))})")
        return DutyTarget(DutyScope.SECTORAL, text)
    if _FIXED_UNIT_CODE.match(text):
        return DutyTarget(DutyScope.SECTORAL, "", text)
    raise CatalogueError(f"unknown duty target {text!r}: use street, district, "
                         f"district_department:<ABBR> or a unit code such as CD-RSJ")


def resolve_duty_unit(duty: Duty, place=None):
    """The unit a duty points at for a ticket whose place is `place` (a territorial Unit).

    A fixed unit is returned as is; a territorial kind becomes that ancestor of the
    place; district_department:<ABBR> becomes the unit `<district code>-<ABBR>`.
    None when the place does not determine it (or the unit does not exist).
    """
    if duty.unit_id:
        return duty.unit
    if place is None:
        return None
    kind = duty.unit_kind
    if kind in TERRITORIAL_TARGETS:
        return place.territorial_ancestor(kind)
    if kind.startswith(DISTRICT_DEPARTMENT_PREFIX):
        district = place.territorial_ancestor("district")
        if district is None:
            return None
        from jiesu.units.models import Unit

        return Unit.objects.filter(code=f"{district.code}-{kind[len(DISTRICT_DEPARTMENT_PREFIX):]}").first()
    return None


# --------------------------------------------------------------------------- reading the CSVs

@dataclass
class CatalogueRow:
    code: str
    name: str
    level: int
    parent_code: str | None
    request_type: str = ""
    time_limit: str = ""
    gbt_code: str = ""
    keywords: str = ""
    lead: list = field(default_factory=list)
    co: list = field(default_factory=list)
    negative: list = field(default_factory=list)
    source: str = ""

    @property
    def is_leaf(self):
        return self.level == 3


def _read_csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            yield lineno, {k: (v or "").strip() for k, v in row.items()}


def _targets(text, where):
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        try:
            out.append(parse_target(part))
        except CatalogueError as exc:
            raise CatalogueError(f"{where}: {exc.message}") from None
    return out


def read_time_limits(path=TIME_LIMITS_CSV) -> list[dict]:
    rows, units = [], set(LimitUnit.values)
    for lineno, row in _read_csv(path):
        where = f"{Path(path).name}:{lineno}"
        out = {"code": row["code"], "name": row["name"], "sort": int(row.get("sort") or 0)}
        if not out["code"] or not out["name"]:
            raise CatalogueError(f"{where}: code and name are required")
        for step in _STEPS:
            amount, unit = row.get(f"{step}_amount", ""), row.get(f"{step}_unit", "")
            if not amount.isdigit() or int(amount) <= 0:
                raise CatalogueError(f"{where}: {step}_amount must be a positive whole number, not {amount!r}")
            if unit not in units:
                raise CatalogueError(f"{where}: {step}_unit {unit!r} is not one of {', '.join(sorted(units))}")
            out[f"{step}_amount"], out[f"{step}_unit"] = int(amount), unit
        rows.append(out)
    return rows


def read_catalogue(categories_path=CATEGORIES_CSV, gbt_path=GBT_CSV) -> list[CatalogueRow]:
    """Our own tree plus the GB/T 47678.5 matters subtree, parents before children, checked."""
    rows = []
    for lineno, row in _read_csv(categories_path):
        where = f"{Path(categories_path).name}:{lineno}"
        code = row["code"]
        if not _OWN_CODE.match(code) or code.startswith(GBT_ROOT_CODE):
            raise CatalogueError(f"{where}: bad code {code!r} (NN, NN.NN or NN.NN.NN; {GBT_ROOT_CODE} is GB/T's)")
        level = code.count(".") + 1
        rows.append(CatalogueRow(
            code=code, name=row["name"], level=level,
            parent_code=code.rsplit(".", 1)[0] if level > 1 else None,
            request_type=row.get("request_type", ""), time_limit=row.get("time_limit", ""),
            keywords=row.get("keywords", ""), lead=_targets(row.get("lead", ""), where),
            co=_targets(row.get("co", ""), where), negative=_targets(row.get("negative", ""), where),
            source=where))
    rows.extend(read_gbt(gbt_path))
    _check(rows)
    return rows


def read_gbt(path=GBT_CSV, kind="matter") -> list[CatalogueRow]:
    """The GB/T 47678.5 subtree: 90 → 90.<class> (class_name) → 90.<class>.<5-digit code> (item)."""
    rows = [CatalogueRow(code=GBT_ROOT_CODE, name=GBT_ROOT_NAME, level=1, parent_code=None, source=Path(path).name)]
    classes = set()
    for lineno, row in _read_csv(path):
        if row["kind"] != kind:
            continue
        where = f"{Path(path).name}:{lineno}"
        if not _GBT_CODE.match(row["code"]):
            raise CatalogueError(f"{where}: GB/T code {row['code']!r} must be 5 digits")
        class_code = f"{GBT_ROOT_CODE}.{row['code'][:2]}"
        if class_code not in classes:
            classes.add(class_code)
            rows.append(CatalogueRow(code=class_code, name=row["class_name"], level=2,
                                     parent_code=GBT_ROOT_CODE, source=where))
        rows.append(CatalogueRow(
            code=f"{class_code}.{row['code']}", name=row["name"], level=3, parent_code=class_code,
            request_type=row["request_type"], time_limit=row["time_limit"], gbt_code=row["code"],
            keywords=row["keywords"], lead=_targets(row["lead"], where), co=_targets(row["co"], where),
            negative=_targets(row.get("negative", ""), where), source=where))
    return rows


def _check(rows):
    seen, types = {}, set(RequestType.values)
    for row in rows:
        if row.code in seen:
            raise CatalogueError(f"{row.source}: code {row.code} already used at {seen[row.code].source}")
        if not row.name:
            raise CatalogueError(f"{row.source}: {row.code} has no name")
        if row.parent_code and row.parent_code not in seen:
            raise CatalogueError(f"{row.source}: parent {row.parent_code} of {row.code} must come before it")
        seen[row.code] = row
        if row.is_leaf:
            if row.request_type not in types:
                raise CatalogueError(f"{row.source}: {row.code} request_type {row.request_type!r} "
                                     f"is not one of {', '.join(sorted(types))}")
            if not row.time_limit:
                raise CatalogueError(f"{row.source}: {row.code} has no time_limit class")
            if len(row.lead) != 1:
                raise CatalogueError(f"{row.source}: {row.code} needs exactly one lead unit")
            handling = [t.text for t in row.lead + row.co]
            if len(set(handling)) != len(handling):
                raise CatalogueError(f"{row.source}: {row.code} names a unit twice in lead/co")
            if set(handling) & {t.text for t in row.negative}:
                raise CatalogueError(f"{row.source}: {row.code} puts a unit on its negative list and handling it")
        elif row.lead or row.co or row.negative:
            raise CatalogueError(f"{row.source}: duties belong on leaves, not on {row.code}")


# --------------------------------------------------------------------------- loaders

@transaction.atomic
def load_time_limits(path=TIME_LIMITS_CSV) -> dict:
    """Upsert the time-limit classes by code; one changed in the admin (`follows_catalogue` off) is kept as it is.
    Returns {"created": n, "updated": n, "unchanged": n, "kept": n}."""
    stats = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    existing = {t.code: t for t in TimeLimitClass.objects.all()}
    for row in read_time_limits(path):
        obj = existing.get(row["code"])
        if obj is None:
            TimeLimitClass.objects.create(**row)
            stats["created"] += 1
        elif not obj.follows_catalogue:
            stats["kept"] += 1
        elif any(getattr(obj, k) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(obj, k, v)
            obj.save()
            stats["updated"] += 1
        else:
            stats["unchanged"] += 1
    return stats


_CATEGORY_FIELDS = ("name", "parent_id", "level", "request_type", "time_limit_class_id", "gbt_code", "keywords")


@transaction.atomic
def load_categories(categories_path=CATEGORIES_CSV, gbt_path=GBT_CSV) -> dict:
    """Upsert the category tree by code, level by level in bulk.

    Categories not in the files (added in the admin) are left alone, and so is `active`; so are those changed
    in the admin (`follows_catalogue` off). Returns {"created": n, "updated": n, "unchanged": n, "kept": n}.
    """
    rows = read_catalogue(categories_path, gbt_path)
    classes = dict(TimeLimitClass.objects.values_list("code", "id"))
    missing = sorted({r.time_limit for r in rows if r.time_limit} - set(classes))
    if missing:
        raise CatalogueError(f"time-limit classes {', '.join(missing)} do not exist: run load_time_limits() first")
    existing = {c.code: c for c in Category.objects.all()}
    ids = {code: c.pk for code, c in existing.items()}
    stats = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    for level in (1, 2, 3):
        to_create, to_update = [], []
        for row in rows:
            if row.level != level:
                continue
            values = {
                "name": row.name, "parent_id": ids[row.parent_code] if row.parent_code else None,
                "level": row.level, "request_type": row.request_type or RequestType.COMPLAINT,
                "time_limit_class_id": classes[row.time_limit] if row.time_limit else None,
                "gbt_code": row.gbt_code, "keywords": row.keywords,
            }
            obj = existing.get(row.code)
            if obj is None:
                to_create.append(Category(code=row.code, **values))
            elif not obj.follows_catalogue:
                stats["kept"] += 1
            elif any(getattr(obj, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(obj, k, v)
                to_update.append(obj)
            else:
                stats["unchanged"] += 1
        if to_create:
            Category.objects.bulk_create(to_create, batch_size=500)
            ids.update(Category.objects.filter(code__in=[c.code for c in to_create]).values_list("code", "id"))
        if to_update:
            Category.objects.bulk_update(to_update, _CATEGORY_FIELDS, batch_size=500)
        stats["created"] += len(to_create)
        stats["updated"] += len(to_update)
    if stats["updated"]:  # a bulk update sends no signal and changes no count: tell every process's routing table
        from jiesu.dispatch import router

        router.invalidate()
    return stats


def referenced_unit_codes(rows=None) -> dict:
    """{unit code: [category codes]} for every fixed unit the catalogue names."""
    out = {}
    for row in rows if rows is not None else read_catalogue():
        for target in row.lead + row.co + row.negative:
            if target.unit_code:
                out.setdefault(target.unit_code, []).append(row.code)
    return out


@transaction.atomic
def load_duties(prune=True) -> dict:
    """Sync the citywide duties (territory empty) of the catalogue's leaves with the CSVs.

    Fixed units are looked up by code among the Unit rows (built by
    jiesu.units.services.build_org_tree); a missing one is a CatalogueError naming it.
    Duties with a territory (local overrides made in the admin) are never touched, nor are the citywide duties
    of a category changed in the admin (`follows_catalogue` off: "kept" counts those categories); with
    `prune`, citywide duties of catalogue leaves that the CSVs no longer list are deleted.
    Returns {"created": n, "deleted": n, "unchanged": n, "kept": n}.
    """
    from jiesu.units.models import Unit

    rows = [r for r in read_catalogue() if r.is_leaf]
    categories = dict(Category.objects.filter(code__in=[r.code for r in rows]).values_list("code", "id"))
    if len(categories) != len(rows):
        absent = [r.code for r in rows if r.code not in categories]
        raise CatalogueError(f"categories {', '.join(absent[:5])}{' …' if len(absent) > 5 else ''} "
                             f"do not exist: run load_categories() first")
    kept = set(Category.objects.filter(id__in=categories.values(), follows_catalogue=False).values_list("id", flat=True))
    rows = [r for r in rows if categories[r.code] not in kept]
    needed = referenced_unit_codes(rows)
    units = {u.code: u for u in Unit.objects.filter(code__in=needed)}
    missing = sorted(set(needed) - set(units))
    if missing:
        detail = "; ".join(f"{code} (needed by {', '.join(needed[code][:3])}"
                           f"{' …' if len(needed[code]) > 3 else ''})" for code in missing)
        raise CatalogueError(f"units missing from the org tree: {detail}. Build the org tree first "
                             f"(jiesu.units.services.build_org_tree) or add the units in the admin.")

    desired = set()
    for row in rows:
        cat_id = categories[row.code]
        for role, negative, targets in ((DutyRole.LEAD, False, row.lead), (DutyRole.CO, False, row.co),
                                        (DutyRole.LEAD, True, row.negative)):
            for t in targets:
                unit = units.get(t.unit_code)
                desired.add((cat_id, t.scope, unit.kind if unit else t.unit_kind,
                             unit.pk if unit else None, role, negative))

    stats = {"created": 0, "deleted": 0, "unchanged": 0, "kept": len(kept)}
    seen, stale = set(), []
    existing = Duty.objects.filter(category_id__in=set(categories.values()) - kept, territory__isnull=True)
    for duty in existing.only("id", "category_id", "scope", "unit_kind", "unit_id", "role", "negative"):
        key = (duty.category_id, duty.scope, duty.unit_kind, duty.unit_id, duty.role, duty.negative)
        if key in desired and key not in seen:
            seen.add(key)
            stats["unchanged"] += 1
        elif key in seen or prune:
            stale.append(duty.pk)
    if stale:
        Duty.objects.filter(pk__in=stale).delete()
        stats["deleted"] = len(stale)
    new = [Duty(category_id=c, territory=None, scope=s, unit_kind=k, unit_id=u, role=r, negative=n)
           for (c, s, k, u, r, n) in sorted(desired - seen, key=repr)]
    Duty.objects.bulk_create(new, batch_size=1000)
    stats["created"] = len(new)
    return stats


def target_label(kind):
    """A duty's unit kind in words: street → 所在街道 (the place's street), district_department:SCJ → 所在区的市场监督管理局
    (the place's district's 市场监督管理局)."""
    if kind.startswith(DISTRICT_DEPARTMENT_PREFIX):
        abbr = kind[len(DISTRICT_DEPARTMENT_PREFIX):]
        department = DISTRICT_DEPARTMENTS.get(abbr, abbr)
        return gettext("the place's district's %(department)s") % {"department": department}
    return {"street": gettext("the place's street"), "district": gettext("the place's district"),
            "community": gettext("the place's community"), "grid": gettext("the place's grid")}.get(kind, kind)


def stop_following_catalogue(model, ids):
    """Mark categories or time-limit classes as changed in the admin: setup's seed_reference keeps them (and a
    category's citywide duties) as they are from now on. Returns how many were following until now."""
    return model.objects.filter(pk__in=[i for i in ids if i], follows_catalogue=True).update(follows_catalogue=False)


# --------------------------------------------------------------------------- look-ups

def leaf_categories():
    """Active categories without active children (what a ticket is filed under), by code."""
    return (Category.objects.filter(active=True).exclude(children__active=True)
            .select_related("time_limit_class").order_by("code"))


def _parent_ids_with_children():
    return set(Category.objects.filter(active=True, parent__isnull=False)
               .values_list("parent_id", flat=True).distinct())


def search_categories(q: str, limit: int = 20, leaves_only: bool = False) -> list[Category]:
    """Categories for the intake picker: every word of `q` must be in the name, the keywords,
    a parent's name, or start the code or GB/T code. Leaves first, best match first.
    Each result carries `is_leaf_node` (bool). An empty `q` lists categories by code."""
    terms = (q or "").split()
    qs = Category.objects.filter(active=True).select_related("parent", "parent__parent")
    for term in terms:
        qs = qs.filter(Q(name__icontains=term) | Q(keywords__icontains=term) | Q(code__startswith=term)
                       | Q(gbt_code__startswith=term) | Q(parent__name__icontains=term)
                       | Q(parent__parent__name__icontains=term))
    if leaves_only:
        qs = qs.exclude(children__active=True)
    if not terms:
        results = list(qs.order_by("code")[:limit])
        parents = _parent_ids_with_children()
        for c in results:
            c.is_leaf_node = c.pk not in parents
        if not leaves_only:
            results.sort(key=lambda c: (not c.is_leaf_node, c.code))
        return results

    parents = _parent_ids_with_children()
    phrase = "".join(terms)

    def rank(c):
        words = c.keywords.split()
        if c.name == phrase or c.code == phrase or c.gbt_code == phrase:
            r = 0
        elif c.name.startswith(terms[0]):
            r = 1
        elif all(t in c.name for t in terms):
            r = 2
        elif all(t in words for t in terms):
            r = 3
        elif any(t in c.name for t in terms):
            r = 4
        else:
            r = 5
        return (c.pk in parents, r, len(c.name), c.code)

    results = sorted(qs, key=rank)[:limit]
    for c in results:
        c.is_leaf_node = c.pk not in parents
    return results


def category_index() -> dict:
    """{id: (code, name, parent_id, level, time_limit_class code or None)} in one query."""
    return {pk: (code, name, parent_id, level, tlc)
            for pk, code, name, parent_id, level, tlc in Category.objects.values_list(
                "id", "code", "name", "parent_id", "level", "time_limit_class__code")}


def full_name(index: dict, pk) -> str:
    names = []
    while pk is not None:
        code, name, pk, *_ = index[pk]
        names.append(name)
    return " / ".join(reversed(names))


def effective_time_limit(index: dict, pk):
    while pk is not None:
        code, name, parent, level, tlc = index[pk]
        if tlc:
            return tlc
        pk = parent
    return "general"


def category_tree(root: str | None = None, active_only=True) -> list[dict]:
    """The tree as nested dicts (code, name, level, request_type, time_limit, gbt_code, children)."""
    qs = Category.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    nodes, children = {}, {}
    for c in qs.values("id", "code", "name", "parent_id", "level", "request_type",
                       "time_limit_class__code", "gbt_code").order_by("code"):
        nodes[c["id"]] = {"code": c["code"], "name": c["name"], "level": c["level"],
                          "request_type": c["request_type"], "time_limit": c["time_limit_class__code"],
                          "gbt_code": c["gbt_code"], "children": []}
        children.setdefault(c["parent_id"], []).append(c["id"])
    for parent_id, kids in children.items():
        if parent_id in nodes:
            nodes[parent_id]["children"] = [nodes[k] for k in kids]
    if root:
        return [n for n in nodes.values() if n["code"] == root]
    return [nodes[k] for k in children.get(None, [])]


def told_apart(category, shown):
    """A category's name, with its parents' path where another category of `shown` ((id, name) pairs: what the
    dispatcher sees beside it) has the same name: 占道经营（城市管理部件与事件 / 街面秩序类）, as the catalogue repeats
    names across its two trees (90.09.09006 and 03.01.01, routed to other units)."""
    namesake = any(name == category.name and pk != category.id for pk, name in shown)
    if not namesake or category.parent is None:
        return category.name
    return gettext("%(name)s (%(path)s)") % {"name": category.name, "path": category.parent.full_name()}
