"""Grid governance tables: people (定人), duties (定责), boundary versions (定格), patrols,
patrol reports, the escalation ladder, grid information.

A grid is a units.Unit of kind grid (under a community); these tables hang off it.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.core.models import kind_and_number

GRID_ONLY = {"kind": "grid"}


class Post(models.TextChoices):
    WORKER = "worker", _("Grid worker (网格员)")
    LEADER = "leader", _("Grid leader (网格长)")


class Employment(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time (专职)")
    PART_TIME = "part_time", _("Part-time (兼职)")


class GridMember(models.Model):
    """定人: a person on a grid. One person may cover several grids."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_posts",
                             verbose_name=_("person"))
    grid = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="members",
                             limit_choices_to=GRID_ONLY, verbose_name=_("grid"))
    post = models.CharField(_("post"), max_length=10, choices=Post.choices, default=Post.WORKER)
    employment = models.CharField(_("employment"), max_length=10, choices=Employment.choices,
                                  default=Employment.FULL_TIME)
    active = models.BooleanField(_("active"), default=True)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("grid member")
        verbose_name_plural = _("grid members")
        constraints = [models.UniqueConstraint(fields=["user", "grid", "post"], name="grid_member_unique")]

    def __str__(self):
        return f"{self.user} · {self.grid} ({self.get_post_display()})"


class DutyLevel(models.TextChoices):
    GRID = "grid", _("Grid handles it (网格)")
    COMMUNITY = "community", _("Community (社区)")
    STREET = "street", _("Street/township (街乡)")
    DEPARTMENT = "department", _("Department (by the dispatch catalogue)")


class GridDuty(models.Model):
    """定责: one line of a grid duty list. Without a street it is the city default."""

    street = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="grid_duties", limit_choices_to={"kind": "street"},
                               verbose_name=_("street (empty: city default)"))
    gbt_code = models.CharField(_("GB/T 47678.5 matter or class"), max_length=5, blank=True,
                                help_text=_("5-digit matter code or 2-digit class code"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="grid_duties", verbose_name=_("12345 category (and below)"))
    level = models.CharField(_("handled by"), max_length=12, choices=DutyLevel.choices)
    self_handle = models.BooleanField(_("may be handled on the spot"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("grid duty")
        verbose_name_plural = _("grid duty list")
        ordering = ["street_id", "gbt_code"]

    def __str__(self):
        matter = self.gbt_code or (self.category.code if self.category_id else "?")
        return f"{matter} → {self.get_level_display()}"


class BoundaryVersion(models.Model):
    """A grid's boundary over time: redrawing closes the current version and opens a new one."""

    grid = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="boundary_versions",
                             verbose_name=_("grid"))
    version = models.PositiveIntegerField(_("version"))
    geometry = models.JSONField(_("boundary (GeoJSON, WGS-84)"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("boundary version")
        verbose_name_plural = _("boundary versions")
        ordering = ["grid_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["grid", "version"], name="grid_boundary_version_unique")]

    def __str__(self):
        return f"{self.grid} v{self.version}"


class PatrolEnd(models.TextChoices):
    """How a patrol ended (its record says so)."""
    STOPPED = "stopped", _("stopped by the worker")
    TAKEN_OFF_GRID = "off_grid", _("ended: the worker was taken off the grid")
    ACCOUNT_CLOSED = "closed", _("ended: the worker's account was closed")


class Patrol(models.Model):
    """One patrol (巡查) of a worker in a grid, with its track."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols",
                               verbose_name=_("worker"))
    grid = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="patrols",
                             verbose_name=_("grid"))
    started_at = models.DateTimeField(_("started"), db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    visited_share = models.FloatField(_("share of the grid visited"), null=True, blank=True)
    points = models.PositiveIntegerField(_("track points"), default=0)
    end_reason = models.CharField(_("how it ended"), max_length=8, choices=PatrolEnd.choices, blank=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["grid", "started_at"]), models.Index(fields=["worker", "ended_at"])]

    def __str__(self):
        return f"{self.worker} · {self.grid} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self):
        return self.ended_at is None

    @property
    def duration_s(self):
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class TrackPoint(models.Model):
    __str__ = kind_and_number

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="track", verbose_name=_("patrol"))
    at = models.DateTimeField(verbose_name=_("at"))
    lon = models.FloatField(verbose_name=_("longitude"))
    lat = models.FloatField(verbose_name=_("latitude"))
    accuracy_m = models.FloatField(null=True, blank=True, verbose_name=_("accuracy (m)"))

    class Meta:
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["patrol", "at"])]


class PatrolReport(models.Model):
    """巡查上报: what a worker found; the ticket (channel patrol) carries the request itself."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="patrol_report",
                                  verbose_name=_("ticket"))
    grid = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="patrol_reports",
                             verbose_name=_("grid"))
    boundary = models.ForeignKey(BoundaryVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("boundary version"))
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrol_reports",
                               verbose_name=_("worker"))
    patrol = models.ForeignKey(Patrol, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports",
                               verbose_name=_("patrol"))
    filed_at = models.DateTimeField(_("filed"), db_index=True)
    duty_level = models.CharField(_("duty list says"), max_length=12, choices=DutyLevel.choices)
    self_handled = models.BooleanField(_("handled on the spot"), default=False)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)

    class Meta:
        verbose_name = _("patrol report")
        verbose_name_plural = _("patrol reports")
        ordering = ["-filed_at"]
        indexes = [models.Index(fields=["grid", "filed_at"])]

    def __str__(self):
        return f"{self.ticket_id} · {self.grid}"


class StepOutcome(models.TextChoices):
    OPEN = "", _("In progress")
    ESCALATED = "escalated", _("Passed up")
    HANDLED = "handled", _("Handled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LadderStep(models.Model):
    """One rung of the escalation ladder a ticket stands on: a level, its unit, a deadline."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="ladder_steps",
                               verbose_name=_("ticket"))
    number = models.PositiveSmallIntegerField(_("step"))
    level = models.CharField(_("level"), max_length=12)
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="ladder_steps",
                             verbose_name=_("unit"))
    reason = models.TextField(_("reason"), blank=True)
    entered_at = models.DateTimeField(_("entered"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=StepOutcome.choices, blank=True, default="")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    overdue_noticed = models.BooleanField(default=False, verbose_name=_("overdue noticed"))

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["ticket_id", "number"]
        constraints = [models.UniqueConstraint(fields=["ticket", "number"], name="ladder_step_unique")]

    def __str__(self):
        return f"{self.ticket_id} #{self.number} {self.level}"

    @property
    def late(self):
        from django.utils import timezone

        end = self.left_at or timezone.now()
        return bool(self.due_at and end > self.due_at)


class GridInfo(models.Model):
    """Per-grid figures (网格信息)."""

    __str__ = kind_and_number

    grid = models.OneToOneField("units.Unit", on_delete=models.CASCADE, related_name="grid_info",
                                verbose_name=_("grid"))
    population = models.PositiveIntegerField(_("population"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    buildings = models.PositiveIntegerField(_("buildings"), default=0)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("grid information")
        verbose_name_plural = _("grid information")


class PlaceKind(models.TextChoices):
    SCHOOL = "school", _("School")
    MARKET = "market", _("Market")
    CONSTRUCTION = "construction", _("Construction site")
    HOSPITAL = "hospital", _("Clinic / hospital")
    CARE_HOME = "care_home", _("Care home")
    OTHER = "other", _("Other key place")


class KeyPlace(models.Model):
    grid = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="key_places",
                             verbose_name=_("grid"))
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(null=True, blank=True, verbose_name=_("longitude"))
    lat = models.FloatField(null=True, blank=True, verbose_name=_("latitude"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("key place")
        verbose_name_plural = _("key places")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class CareKind(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    DISABLED = "disabled", _("Disabled")
    LOW_INCOME = "low_income", _("Low income")
    LEFT_BEHIND = "left_behind", _("Child left behind")
    OTHER = "other", _("Other")


class CareSubject(models.Model):
    """A person needing care. Personal data: shown only to those who need it, masked elsewhere."""

    grid = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="care_subjects",
                             verbose_name=_("grid"))
    kind = models.CharField(_("kind"), max_length=20, choices=CareKind.choices)
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("person needing care")
        verbose_name_plural = _("people needing care")
        ordering = ["kind", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class GridDemo(models.Model):
    """One generated set of demo grid work (jiesu.grids.demo): how `setup` knows it exists, what reset deletes."""

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creation time"))
    anchor = models.DateTimeField(verbose_name=_("anchor time"))  # the "now" the grid work was simulated up to
    seed = models.IntegerField(verbose_name=_("seed"))
    first_ticket_id = models.BigIntegerField(null=True, verbose_name=_("first ticket id"))
    last_ticket_id = models.BigIntegerField(null=True, verbose_name=_("last ticket id"))
    first_patrol_id = models.BigIntegerField(null=True, verbose_name=_("first patrol id"))
    last_patrol_id = models.BigIntegerField(null=True, verbose_name=_("last patrol id"))
    stats = models.JSONField(default=dict, blank=True, verbose_name=_("statistics"))

    class Meta:
        verbose_name = _("demo grid work")
        verbose_name_plural = _("demo grid work")

    def __str__(self):
        return f"grid demo (seed {self.seed}, {self.anchor:%Y-%m-%d})"
