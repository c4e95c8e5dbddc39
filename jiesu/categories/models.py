from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class RequestType(models.TextChoices):
    CONSULT = "consult", _("Consultation")      # 咨询
    HELP = "help", _("Request for help")        # 求助
    COMPLAINT = "complaint", _("Complaint")     # 投诉
    REPORT = "report", _("Report")              # 举报
    SUGGESTION = "suggestion", _("Suggestion")  # 建议


class LimitUnit(models.TextChoices):
    CLOCK_HOURS = "clock_hours", _("hours on the clock")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


class TimeLimitClass(models.Model):
    """A time-limit class (时限类别): how long each step may take."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    dispatch_amount = models.PositiveIntegerField(_("dispatch within"))
    dispatch_unit = models.CharField(max_length=20, choices=LimitUnit.choices, verbose_name=_("dispatch time unit"))
    sign_amount = models.PositiveIntegerField(_("sign within"))
    sign_unit = models.CharField(max_length=20, choices=LimitUnit.choices, verbose_name=_("sign time unit"))
    contact_amount = models.PositiveIntegerField(_("first contact within"))
    contact_unit = models.CharField(max_length=20, choices=LimitUnit.choices, verbose_name=_("contact time unit"))
    reply_amount = models.PositiveIntegerField(_("reply within"))
    reply_unit = models.CharField(max_length=20, choices=LimitUnit.choices, verbose_name=_("reply time unit"))
    sort = models.PositiveSmallIntegerField(default=0, verbose_name=_("sort order"))
    follows_catalogue = models.BooleanField(
        _("follows the catalogue files"), default=True,
        help_text=_("Ticked: setup (seed_reference) keeps it in step with the catalogue's files. Unticked as soon as "
                    "it is changed here, so that the change stays; tick it again to have the next setup restore "
                    "the files' version."))

    class Meta:
        verbose_name = _("time-limit class")
        verbose_name_plural = _("time-limit classes")
        ordering = ["sort"]

    def __str__(self):
        return self.name

    def limit(self, step):
        """(amount, unit) for step in dispatch/sign/contact/reply."""
        return getattr(self, f"{step}_amount"), getattr(self, f"{step}_unit")


class Category(models.Model):
    """A node of the 3-level category tree (诉求类别)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("parent"))
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    request_type = models.CharField(_("default request type"), max_length=20,
                                    choices=RequestType.choices, default=RequestType.COMPLAINT)
    time_limit_class = models.ForeignKey(TimeLimitClass, null=True, blank=True, on_delete=models.PROTECT,
                                         verbose_name=_("time-limit class"))
    gbt_code = models.CharField(_("GB/T 47678.5 code"), max_length=5, blank=True, db_index=True)
    keywords = models.CharField(_("keywords"), max_length=255, blank=True)
    active = models.BooleanField(_("active"), default=True)
    follows_catalogue = models.BooleanField(
        _("follows the catalogue files"), default=True,
        help_text=_("Ticked: setup (seed_reference) keeps the category and its citywide duties in step with the "
                    "catalogue's files. Unticked as soon as either is changed here, so that the change stays; tick "
                    "it again to have the next setup restore the files' version."))

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def is_leaf(self):
        return self.level == 3 or not self.children.exists()

    def lineage(self):
        """[this category, its parent, …, the root] (each parent read through the foreign key: select_related
        "parent__parent__parent" reads the usual three levels in one query)."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def full_name(self):
        return " / ".join(reversed([node.name for node in self.lineage()]))

    def effective_time_limit_class(self):
        node = self
        while node is not None:
            if node.time_limit_class_id:
                return node.time_limit_class
            node = node.parent
        return TimeLimitClass.objects.get(code="general")


class DutyScope(models.TextChoices):
    TERRITORIAL = "territorial", _("Territorial (属地 street)")
    SECTORAL = "sectoral", _("Sectoral (条 department)")


class DutyRole(models.TextChoices):
    LEAD = "lead", _("Lead (主办)")
    CO = "co", _("Co-handling (协办)")


#: The kind the catalogue's files store with a fixed unit (services.load_duties): the unit's own kind.
FIXED_UNIT_KINDS = ("department", "enterprise", "hotline_center")
#: The fields that make an entry what it is: two entries alike in all of them are the same entry.
IDENTITY_FIELDS = frozenset({"category", "territory", "unit_kind", "unit", "role", "negative"})
TERRITORY_KINDS = ("district", "street", "community", "grid")  # what a duty's territory (适用区域) may be


class Duty(models.Model):
    """An entry of the dispatch catalogue (派单目录 / 权责清单).

    A duty says: tickets of `category` (and its subtree) in `territory` (or
    anywhere, when empty) go to `unit` — or, when `unit` is empty, to the unit of
    `unit_kind` that holds the ticket's place (the street of the place for
    属地 duties). `negative=True` makes it a negative-list entry (负面清单): the
    unit must never receive that category.

    `unit_kind` values (see docs/categories.md): "street", "district",
    "community", "grid" (territorial: that ancestor of the ticket's place);
    "district_department:<ABBR>" (sectoral: unit `<district code>-<ABBR>` of
    the place's district, e.g. district_department:SCJ → 110101-SCJ); with a
    fixed `unit`, the unit's own kind (department, enterprise, hotline_center).
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="duties",
                                 verbose_name=_("category"))
    territory = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="territory_duties", verbose_name=_("territory"))
    scope = models.CharField(_("scope"), max_length=20, choices=DutyScope.choices, default=DutyScope.TERRITORIAL)
    unit_kind = models.CharField(_("unit kind"), max_length=40, blank=True, help_text=_(
        "Instead of a fixed unit: street, district, community or grid (that unit of the ticket's place, 属地), or "
        "district_department:ABBR (that department of the place's district: CGJ, ZJW, ZFJ, SCJ, STJ)."))
    unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="duties", verbose_name=_("unit"))
    role = models.CharField(_("role"), max_length=10, choices=DutyRole.choices, default=DutyRole.LEAD)
    negative = models.BooleanField(_("negative list"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties (dispatch catalogue)")

    #: Fields whose typed value failed the form's own validation (set by the admin's DutyForm): the instance
    #: does not hold what was typed there, so no duplicate is looked for.
    unchecked_fields = frozenset()

    def __str__(self):
        how = gettext("negative list") if self.negative else self.get_role_display()
        return f"#{self.pk} {self.category} → {self.target_name()} ({how})"

    def target_name(self):
        """The unit, or the unit kind in words (所在街道)."""
        from jiesu.categories.services import target_label

        return self.unit.name if self.unit_id else target_label(self.unit_kind)

    def clean(self):
        """What the router can act on (docs/dispatch-routing.md), said per field; the loader's own check of a
        target (services.parse_target) is the one used. The scope follows from the target."""
        from jiesu.categories.services import CatalogueError, parse_target
        from jiesu.units.models import HANDLING_KINDS, UnitKind

        errors = {}
        if self.category_id and not self.category.active:
            errors["category"] = _("This category is no longer active: its duties are never used.")
        kind = (self.unit_kind or "").strip()
        if self.unit_id and kind and kind not in FIXED_UNIT_KINDS:
            errors["unit_kind"] = _("Give a fixed unit or a unit kind, not both.")
        elif not self.unit_id and (not kind or kind in FIXED_UNIT_KINDS):
            errors["unit"] = _("Give a fixed unit or a unit kind.")
        elif kind and not self.unit_id:
            try:
                target = parse_target(kind)
            except CatalogueError:
                target = None
            if target is None or target.unit_code:
                errors["unit_kind"] = _("Unknown unit kind: use street, district, community, grid or "
                                        "district_department:ABBR (CGJ, ZJW, ZFJ, SCJ, STJ); a fixed unit goes in "
                                        "the unit field.")
            else:
                self.unit_kind, self.scope = target.unit_kind, target.scope
        else:
            unit = self.unit
            if not unit.active or unit.kind not in (*HANDLING_KINDS, UnitKind.HOTLINE_CENTER):
                errors["unit"] = _("The unit must be an active handling unit (a district, street, community, grid, "
                                   "department or enterprise).")
            self.unit_kind = unit.kind if unit.kind in FIXED_UNIT_KINDS else ""  # as the files store it
            self.scope = DutyScope.TERRITORIAL if unit.kind in ("district", "street", "community", "grid") \
                else DutyScope.SECTORAL
        if self.territory_id and self.territory.kind not in TERRITORY_KINDS:
            errors["territory"] = _("A territory is a district, street, community or grid (empty: the whole city).")
        if self.negative and self.role != DutyRole.LEAD:
            errors["role"] = _("A negative-list entry bars the unit from the category altogether: leave the role "
                               "as lead.")
        if not errors and self.category_id and not IDENTITY_FIELDS & set(self.unchecked_fields):
            same = self.same_entry()
            if same is not None:
                errors["category"] = _("The same entry exists already: #%(id)s.") % {"id": same.pk}
        if errors:
            raise ValidationError(errors)

    def same_entry(self):
        """Another entry alike in every field that makes one (a fixed unit's stored kind aside: entries made here
        before it was stored with the unit have none)."""
        target = {"unit_id": self.unit_id} if self.unit_id else {"unit_id": None, "unit_kind": self.unit_kind}
        return (Duty.objects.filter(category_id=self.category_id, territory_id=self.territory_id, role=self.role,
                                    negative=self.negative, **target).exclude(pk=self.pk).first())

    def conflicts(self):
        """The Conflicts this (saved) entry takes part in, among the entries of its category, the categories
        above it and those below it."""
        related = category_family(self.category_id)
        duties = list(Duty.objects.filter(category_id__in=related).select_related("category", "territory", "unit")
                      .defer("territory__geometry", "unit__geometry"))
        return [c for c in find_conflicts(duties, related) if self.pk in (c.first.pk, c.second.pk)]


@dataclass(frozen=True)
class Conflict:
    """Two entries of the catalogue that contradict each other. kind "negative": `first`, a negative-list entry,
    bars the unit that `second`, a lead entry of its category (or one below it) in an overlapping territory,
    names; the router then drops the lead. kind "leads": `first` and `second` name different lead units for one
    category and one territory; the router ranks one of them first by the order of their ids."""

    kind: str
    first: Duty
    second: Duty


def category_family(category_id):
    """{id: parent id} of a category, the categories above it and those below it."""
    family, node = {}, Category.objects.filter(pk=category_id).values_list("id", "parent_id").first()
    while node is not None:
        family[node[0]] = node[1]
        node = Category.objects.filter(pk=node[1]).values_list("id", "parent_id").first() if node[1] else None
    frontier = [category_id]
    while frontier:
        below = dict(Category.objects.filter(parent_id__in=frontier).values_list("id", "parent_id"))
        family.update(below)
        frontier = list(below)
    return family


def find_conflicts(duties, parents):
    """The Conflicts among `duties` (their territory and unit loaded); `parents` maps each of their categories
    (and those above them) to its parent's id."""
    def above(category_id):
        while category_id is not None:
            yield category_id
            category_id = parents.get(category_id)

    leads = [d for d in duties if d.role == DutyRole.LEAD and not d.negative]
    found = [Conflict("negative", n, lead) for n in duties if n.negative for lead in leads
             if n.category_id in above(lead.category_id) and territories_overlap(n, lead) and bars(n, lead)]
    same_place = defaultdict(list)
    for lead in sorted(leads, key=lambda d: d.pk):
        same_place[(lead.category_id, lead.territory_id)].append(lead)
    for group in same_place.values():
        found += [Conflict("leads", a, b) for i, a in enumerate(group) for b in group[i + 1:]
                  if target_key(a) != target_key(b)]
    return found


def target_key(duty):
    return ("unit", duty.unit_id) if duty.unit_id else ("kind", duty.unit_kind)


def territories_overlap(a, b):
    """Whether the territories of two entries share a place (no territory: the whole city)."""
    if a.territory_id is None or b.territory_id is None:
        return True
    return a.territory.path.startswith(b.territory.path) or b.territory.path.startswith(a.territory.path)


def bars(negative, lead):
    """Whether a negative-list entry bars the unit a lead entry names, wherever the lead applies (as the router's
    _negative_hits decides for one unit). A negative fixed unit against a lead unit kind is an exception for that
    unit, not a contradiction."""
    from jiesu.categories.services import DISTRICT_DEPARTMENT_PREFIX

    if negative.unit_id is not None:
        return negative.unit_id == lead.unit_id
    if lead.unit_id is None:
        return negative.unit_kind == lead.unit_kind
    if negative.unit_kind.startswith(DISTRICT_DEPARTMENT_PREFIX):
        return lead.unit.code.endswith("-" + negative.unit_kind[len(DISTRICT_DEPARTMENT_PREFIX):])
    return str(lead.unit.kind) == negative.unit_kind
