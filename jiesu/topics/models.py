"""每月一题 (Topic): a recurring problem taken on for a month, its units, tasks, policies, progress and changes."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.core.models import kind_and_number


class Source(models.TextChoices):
    HOTSPOT = "hotspot", _("From a hotspot")
    CATEGORY = "category", _("From a category")


class TopicState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("In progress")
    DONE = "done", _("Done")


class Topic(models.Model):
    """One monthly topic. Its tickets are matched by `category` (with its subcategories) and/or by the
    hotspot's rule (`exemplars` texts and `streets`), within `territory` when set."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    hotspot = models.ForeignKey("hotspots.Hotspot", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="topics", verbose_name=_("hotspot"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("category"))
    territory = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("territory"))
    exemplars = models.JSONField(default=list, blank=True,
                                 verbose_name=_("exemplars"))  # the hotspot's most central texts
    streets = models.JSONField(default=list, blank=True,
                               verbose_name=_("streets"))  # unit ids of the hotspot's streets
    lead_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="led_topics",
                                  verbose_name=_("lead unit"))
    co_units = models.ManyToManyField("units.Unit", blank=True, related_name="co_topics", verbose_name=_("co units"))
    state = models.CharField(_("state"), max_length=10, choices=TopicState.choices, default=TopicState.ACTIVE)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    demo = models.BooleanField(default=False, editable=False, verbose_name=_("demo"))

    class Meta:
        ordering = ["-year", "-month", "id"]
        verbose_name = _("monthly topic")
        verbose_name_plural = _("monthly topics")

    def __str__(self):
        return f"{self.year}-{self.month:02d} {self.title}"


class TopicTask(models.Model):
    __str__ = kind_and_number

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("monthly topic"))
    title = models.CharField(_("task"), max_length=200)
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    due = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]


class Policy(models.Model):
    """A policy or rule issued for the topic (政策文件)."""

    __str__ = kind_and_number

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="policies", verbose_name=_("monthly topic"))
    title = models.CharField(_("policy"), max_length=200)
    number = models.CharField(_("document number"), max_length=80, blank=True)
    issued_on = models.DateField(_("issued on"))
    issuer = models.CharField(_("issued by"), max_length=120, blank=True)

    class Meta:
        ordering = ["issued_on", "id"]


class Progress(models.Model):
    __str__ = kind_and_number

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="progress", verbose_name=_("monthly topic"))
    at = models.DateTimeField(verbose_name=_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("by"))
    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("unit"))
    text = models.TextField(_("progress"))

    class Meta:
        ordering = ["-at", "-id"]


class TopicChange(models.Model):
    """Append-only record of every change to a topic: who, when, what."""

    __str__ = kind_and_number

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="changes", verbose_name=_("monthly topic"))
    at = models.DateTimeField(verbose_name=_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("by"))
    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("unit"))
    kind = models.CharField(max_length=20, verbose_name=_("kind"))
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("detail"))

    class Meta:
        ordering = ["-at", "-id"]


class TopicEffect(models.Model):
    """A topic's effect as last counted (services.effect), with when: the page shows it, and says when it was
    counted, while it is fresh (services.shown_effect); the worker counts the running months' topics again
    (services.refresh_effects). `rule` is services.rule_key of the topic it was counted for: figures counted by
    another rule (texts repaired, category or territory changed) are not shown."""

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, primary_key=True, related_name="counted_effect",
                                 verbose_name=_("monthly topic"))
    counted_at = models.DateTimeField(_("counted at"))
    rule = models.CharField(_("matching rule"), max_length=64)
    before_start = models.DateTimeField(_("before from"))
    measured_until = models.DateTimeField(_("counted up to"))
    before = models.PositiveIntegerField(_("tickets before"))
    during = models.PositiveIntegerField(_("tickets during"))
    seconds = models.FloatField(_("seconds to count"), default=0)

    class Meta:
        verbose_name = _("counted effect")
        verbose_name_plural = _("counted effects")

    def __str__(self):
        return f"{self.topic_id}: {self.before} → {self.during}"
