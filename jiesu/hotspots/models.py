"""Stored hotspot runs: each run's problems, ranked by heat, with their tickets."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_lazy as _

from jiesu.core.models import kind_and_number


class HotspotRun(models.Model):
    """One run of the clustering over the tickets of a time window (`jiesu hotspots` or the job)."""

    started_at = models.DateTimeField(_("started at"))
    seconds = models.FloatField(_("seconds"), default=0)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    tickets = models.PositiveIntegerField(_("tickets looked at"), default=0)
    params = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("hotspot run")
        verbose_name_plural = _("hotspot runs")

    def __str__(self):
        return f"{self.window_start:%Y-%m-%d} – {self.window_end:%Y-%m-%d}"


class Hotspot(models.Model):
    """One hot problem (热点问题) of a run: a group of tickets about the same problem and place."""

    run = models.ForeignKey(HotspotRun, on_delete=models.CASCADE, related_name="hotspots")
    rank = models.PositiveIntegerField(_("rank"))
    label = models.CharField(_("problem"), max_length=200)
    heat = models.FloatField(_("heat"))
    size = models.PositiveIntegerField(_("tickets"))
    citizens = models.PositiveIntegerField(_("citizens"))
    repeats = models.PositiveIntegerField(_("repeats"))
    support = models.PositiveIntegerField(_("public support"), default=0)
    recency = models.FloatField(_("recency"))
    unresolved_share = models.FloatField(_("unresolved share"), null=True, blank=True)
    first_at = models.DateTimeField(_("first ticket"))
    last_at = models.DateTimeField(_("latest ticket"))
    places = models.JSONField(_("places"), default=list, blank=True)        # [[name, count], …]
    exemplars = models.JSONField(default=list, blank=True)                  # texts of the most central tickets
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("district"))
    street = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("street/township"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("category"))
    tickets = models.ManyToManyField("tickets.Ticket", through="HotspotTicket", related_name="hotspots")

    class Meta:
        ordering = ["run", "rank"]
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")

    def __str__(self):
        return self.display_label

    @property
    def display_label(self):
        """The label, or for a problem of reports and confidential requests only (whose titles are never shown
        to all who see the problem) a neutral name."""
        if self.label:
            return self.label
        if self.category_id:
            return gettext("Reports or confidential requests: %(category)s") % {"category": self.category.name}
        return gettext("Reports or confidential requests")


class HotspotTicket(models.Model):
    __str__ = kind_and_number

    hotspot = models.ForeignKey(Hotspot, on_delete=models.CASCADE, related_name="members")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    centrality = models.FloatField(default=0)

    class Meta:
        unique_together = [("hotspot", "ticket")]
        ordering = ["-centrality", "id"]
