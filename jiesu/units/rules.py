"""What a unit must be to stand in the org tree (docs/units-codes.md), asked by Unit.clean() and so by the admin.

- the parent: never the unit itself nor one of its descendants; of the kind the unit's kind hangs under
  (a street under a district, a community under a street …), which also bounds the tree's depth to five;
- the code: the format of its kind, under its parent's code (a street 110101001 under district 110101);
- closing (active → off): refused while the unit still holds open work someone would lose track of.

Each problem is a message naming the field (编码, 上级, 类型, 启用), keyed by that field.
"""
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from jiesu.units.models import UnitKind

K = UnitKind
PARENT_KINDS = {
    K.CITY: (),
    K.DISTRICT: (K.CITY,),
    K.STREET: (K.DISTRICT,),
    K.COMMUNITY: (K.STREET,),
    K.GRID: (K.COMMUNITY,),
    K.DEPARTMENT: (K.CITY, K.DISTRICT),
    K.ENTERPRISE: (K.CITY,),
    K.HOTLINE_CENTER: (K.CITY,),
}
DIGITS = {K.CITY: 6, K.DISTRICT: 6, K.STREET: 9, K.COMMUNITY: 12, K.GRID: 15}
ABBR = r"[A-Z][A-Z0-9]*"


def problems(unit, before=None):
    """{field: message} for what keeps `unit` (as it would be saved) out of the tree; `before`: the row as stored
    (None for a new unit)."""
    found = {}
    parent = unit.parent if unit.parent_id else None
    kind = unit.kind
    if kind not in PARENT_KINDS:
        return found  # the field's own choices say so
    message = parent_problem(unit, parent)
    if message:
        found["parent"] = message
    elif unit.code:
        message = code_problem(kind, unit.code, parent)
        if message:
            found["code"] = message
    if unit.pk:
        message = children_problem(unit)
        if message:
            found["kind"] = message
        if before is not None and before.active and not unit.active:
            message = closing_problem(unit)
            if message:
                found["active"] = message
    return found


def parent_problem(unit, parent):
    allowed = PARENT_KINDS[unit.kind]
    if parent is None:
        return None if not allowed else _("Parent: a %(kind)s must have one (%(allowed)s).") % {
            "kind": unit.get_kind_display(), "allowed": _kind_list(allowed)}
    if unit.pk and parent.pk == unit.pk:
        return _("Parent: a unit cannot be its own parent.")
    if unit.pk and unit.path and parent.path.startswith(unit.path):
        return _("Parent: %(parent)s lies below this unit; a unit cannot hang under its own descendant.") % {
            "parent": parent.name}
    if parent.kind not in allowed:
        if not allowed:
            return _("Parent: the city is the root of the tree and has no parent.")
        return _("Parent: a %(kind)s hangs under a %(allowed)s, not under %(parent)s (a %(parent_kind)s).") % {
            "kind": unit.get_kind_display(), "allowed": _kind_list(allowed), "parent": parent.name,
            "parent_kind": parent.get_kind_display()}
    return None


def code_problem(kind, code, parent):
    """The message for a code that does not fit `kind` under `parent` (docs/units-codes.md), or None."""
    if kind in DIGITS:
        n = DIGITS[kind]
        if not re.fullmatch(rf"\d{{{n}}}", code):
            return _("Code: a %(kind)s code is %(n)d digits (“%(code)s” is not).") % {
                "kind": K(kind).label, "n": n, "code": code}
        if kind == K.DISTRICT and parent is not None and code[:2] != parent.code[:2]:
            return _("Code: a district code starts with its city's %(prefix)s.") % {"prefix": parent.code[:2]}
        if kind in (K.STREET, K.COMMUNITY, K.GRID) and parent is not None and not code.startswith(parent.code):
            return _("Code: a %(kind)s code is its parent's code %(prefix)s followed by 3 digits.") % {
                "kind": K(kind).label, "prefix": parent.code}
        return None
    if kind == K.DEPARTMENT:
        prefix = f"{parent.code}-" if parent is not None and parent.kind == K.DISTRICT else "CD-"
    elif kind == K.ENTERPRISE:
        prefix = "EN-"
    else:
        prefix = "HC"
    pattern = rf"{re.escape(prefix)}({ABBR})?" if kind == K.HOTLINE_CENTER else rf"{re.escape(prefix)}{ABBR}"
    if not re.fullmatch(pattern, code):
        return _("Code: a %(kind)s code here is %(prefix)s followed by capital letters or digits "
                 "(“%(code)s” is not).") % {"kind": K(kind).label, "prefix": prefix, "code": code}
    return None


def children_problem(unit):
    """A kind the unit's children cannot hang under (a street made a grid would hold communities)."""
    wrong = sorted({k for k in unit.children.values_list("kind", flat=True) if unit.kind not in PARENT_KINDS.get(k, ())})
    if not wrong:
        return None
    return _("Kind: units of kind %(kinds)s hang under this unit and cannot hang under a %(kind)s; "
             "move them first.") % {"kinds": _kind_list(wrong), "kind": unit.get_kind_display()}


# What a closing unit must not hold: (reverse accessor, filter, message with %(n)d). Open means still to be done by
# the unit; records of finished work (done assignments, closed whistles, KPI) stay with it, under its name.
OPEN_WORK = (
    ("assignments", lambda qs: qs.filter(active=True).exclude(state__in=("done", "withdrawn")),
     N_("%(n)d open assignments (派单)")),
    ("children", lambda qs: qs.filter(active=True), N_("%(n)d active units below it")),
    ("users", lambda qs: qs.filter(is_active=True), N_("%(n)d active users")),
    ("duties", lambda qs: qs.all(), N_("%(n)d duties of the dispatch catalogue (派单目录) naming it")),
    ("territory_duties", lambda qs: qs.all(), N_("%(n)d duties of the dispatch catalogue for its territory")),
    ("whistles", lambda qs: qs.filter(state__in=("approval", "active")), N_("%(n)d open whistles it raised")),
    ("summons", lambda qs: qs.filter(whistle__state="active").exclude(state="released"),
     N_("%(n)d open whistles it is summoned to")),
    ("whistle_tasks", lambda qs: qs.filter(whistle__state="active").exclude(state="accepted"),
     N_("%(n)d open whistle tasks")),
    ("members", lambda qs: qs.all(), N_("%(n)d grid members")),
    ("led_topics", lambda qs: qs.exclude(state="done"), N_("%(n)d monthly topics it leads")),
)


def open_work(unit):
    """[(accessor, count)] of the open work `unit` holds (the apps not installed are left out)."""
    held = []
    for accessor, narrow, _message in OPEN_WORK:
        manager = getattr(unit, accessor, None)
        if manager is None:
            continue
        n = narrow(manager).count()
        if n:
            held.append((accessor, n))
    return held


def open_work_words(unit):
    """The open work `unit` holds in words (“1 个未办结的派单；2 个启用的用户”), or "" when it holds none."""
    messages = {accessor: message for accessor, _narrow, message in OPEN_WORK}
    return _("; ").join(_(messages[accessor]) % {"n": n} for accessor, n in open_work(unit))


def closing_problem(unit):
    work = open_work_words(unit)
    if not work:
        return None
    return _("Active: this unit cannot be closed while it holds %(work)s; re-dispatch, hand over or close "
             "them first (a merged unit's work goes to the unit it merges into).") % {"work": work}


def _kind_list(kinds):
    return _(" or ").join(str(K(k).label) for k in kinds)
