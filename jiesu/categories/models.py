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
    dispatch_unit = models.CharField(max_length=20, choices=LimitUnit.choices)
    sign_amount = models.PositiveIntegerField(_("sign within"))
    sign_unit = models.CharField(max_length=20, choices=LimitUnit.choices)
    contact_amount = models.PositiveIntegerField(_("first contact within"))
    contact_unit = models.CharField(max_length=20, choices=LimitUnit.choices)
    reply_amount = models.PositiveIntegerField(_("reply within"))
    reply_unit = models.CharField(max_length=20, choices=LimitUnit.choices)
    sort = models.PositiveSmallIntegerField(default=0)
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

    def full_name(self):
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))

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

    def __str__(self):
        from jiesu.categories.services import target_label

        target = self.unit.name if self.unit_id else target_label(self.unit_kind)
        how = gettext("negative list") if self.negative else self.get_role_display()
        return f"#{self.pk} {self.category} → {target} ({how})"

    def clean(self):
        """What the router can act on (docs/dispatch-routing.md), said per field; the loader's own check of a
        target (services.parse_target) is the one used. The scope follows from the target."""
        from jiesu.categories.services import CatalogueError, parse_target
        from jiesu.units.models import HANDLING_KINDS, UnitKind

        errors = {}
        if self.category_id and not self.category.active:
            errors["category"] = _("This category is no longer active: its duties are never used.")
        kind = (self.unit_kind or "").strip()
        if self.unit_id and kind:
            errors["unit_kind"] = _("Give a fixed unit or a unit kind, not both.")
        elif not self.unit_id and not kind:
            errors["unit"] = _("Give a fixed unit or a unit kind.")
        elif kind:
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
            self.scope = DutyScope.TERRITORIAL if unit.kind in ("district", "street", "community", "grid") \
                else DutyScope.SECTORAL
        if self.territory_id and self.territory.kind not in ("district", "street", "community", "grid"):
            errors["territory"] = _("A territory is a district, street, community or grid (empty: the whole city).")
        if self.negative and self.role != DutyRole.LEAD:
            errors["role"] = _("A negative-list entry bars the unit from the category altogether: leave the role "
                               "as lead.")
        if not errors and self.category_id:
            same = Duty.objects.filter(category_id=self.category_id, territory_id=self.territory_id,
                                       unit_kind=self.unit_kind, unit_id=self.unit_id, role=self.role,
                                       negative=self.negative).exclude(pk=self.pk).first()
            if same is not None:
                errors["category"] = _("The same entry exists already: #%(id)s.") % {"id": same.pk}
        if errors:
            raise ValidationError(errors)
