from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street/township")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    DEPARTMENT = "department", _("Department")
    ENTERPRISE = "enterprise", _("Enterprise")
    HOTLINE_CENTER = "hotline_center", _("Hotline centre")


TERRITORIAL_KINDS = (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)
HANDLING_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID,
                  UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)


class Unit(models.Model):
    """One node of the org tree (组织). Territorial units carry a code and a polygon.

    `path` is the materialised path of ids ("/1/3/40/"), so a unit's subtree is
    one indexed prefix query; `district` and `street` are the territorial
    ancestors, kept for scoping without recursion.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("parent"))
    path = models.CharField(max_length=255, db_index=True, editable=False, default="", verbose_name=_("path"))
    district = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", editable=False, verbose_name=_("district"))
    street = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", editable=False, verbose_name=_("street"))
    geometry = models.JSONField(_("boundary (GeoJSON geometry, WGS-84)"), null=True, blank=True)
    schematic = models.BooleanField(_("schematic boundary"), default=False)
    center_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    aliases = models.CharField(_("aliases"), max_length=255, blank=True,
                               help_text=_("Other names, separated by commas"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def is_territorial(self):
        return self.kind in TERRITORIAL_KINDS

    def territorial_ancestor(self, kind):
        node = self
        while node is not None:
            if node.kind == kind:
                return node
            node = node.parent
        return None

    def refresh_path(self):
        """Recompute path/district/street from the parent (call before save)."""
        prefix = self.parent.path if self.parent_id else "/"
        self.path = f"{prefix}{self.pk}/" if self.pk else prefix
        self.district = self if self.kind == UnitKind.DISTRICT else (self.parent.district if self.parent_id else None)
        self.street = self if self.kind == UnitKind.STREET else (self.parent.street if self.parent_id else None)

    def clean(self):
        """The tree's rules (jiesu.units.rules): parent, code format, kind of the children, closing with open work."""
        from django.core.exceptions import ValidationError

        from jiesu.units import rules

        before = Unit.objects.filter(pk=self.pk).only("active").first() if self.pk else None
        found = rules.problems(self, before)
        if found:
            raise ValidationError(found)

    def save(self, *args, **kwargs):
        if not self.pk:
            super().save(*args, **kwargs)
            kwargs = {k: v for k, v in kwargs.items() if k not in ("force_insert",)}
        self.refresh_path()
        super().save(*args, **kwargs)
