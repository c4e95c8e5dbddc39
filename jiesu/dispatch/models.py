"""Tables of the dispatch engine: the gazetteer (地名库).

Routing needs no table of its own: it reads the org tree (units), the category
tree and the dispatch catalogue (categories.Duty) into memory once
(router.RoutingTable) and routes without queries. Saving or deleting any of
those rows, or a gazetteer entry, drops that in-memory copy (receivers below).
"""
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from jiesu.units.models import UnitKind

PLACE_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


class EntryKind(models.TextChoices):
    UNIT = "unit", _("Unit name")          # 单位名称: 东华门街道, 东城区
    ALIAS = "alias", _("Alias")            # 别名: 东华门, 东华门街道办事处, 东城
    ROAD = "road", _("Road")               # 道路: 王府井大街
    LANDMARK = "landmark", _("Landmark")   # 地标: 国贸, 北京站
    COMPOUND = "compound", _("Residential compound")  # 小区: 天通苑


class EntrySource(models.TextChoices):
    AUTO = "auto", _("From the org tree")       # derived from unit names and aliases, kept in step
    PACKAGE = "package", _("Shipped list")      # the hand-written list in gazetteer.py
    MANUAL = "manual", _("Entered by hand")     # made or edited in the admin: never touched by seeding


class GazetteerEntry(models.Model):
    """A place name and the territorial unit (grid, community, street or district) it lies in.

    Entries of the org tree (unit names and aliases) are created and kept in
    step automatically; roads, landmarks and compounds are added in the admin
    (or come from the shipped list). The same name may point at several units
    (八里庄 is a street in 朝阳区 and in 海淀区): the locator then uses the
    district named in the address, or says it cannot decide.
    """

    name = models.CharField(_("name"), max_length=100, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices, default=EntryKind.LANDMARK)
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="gazetteer_entries",
                             verbose_name=_("lies in"),
                             limit_choices_to={"kind__in": [k.value for k in PLACE_KINDS]},
                             help_text=_("The most specific unit known: grid, community, street or district."))
    lon = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=10, choices=EntrySource.choices,
                              default=EntrySource.MANUAL)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("gazetteer entry")
        verbose_name_plural = _("gazetteer (place names)")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "unit"], name="dispatch_gazetteer_name_unit")]

    def __str__(self):
        return self.name


# --------------------------------------------------------------------------- cache invalidation

def _drop_reference(sender, **kwargs):
    from jiesu.dispatch import router

    router.invalidate()


for _model in ("units.Unit", "categories.Category", "categories.Duty", GazetteerEntry):
    post_save.connect(_drop_reference, sender=_model, dispatch_uid=f"dispatch-reference-save-{_model}")
    post_delete.connect(_drop_reference, sender=_model, dispatch_uid=f"dispatch-reference-delete-{_model}")
