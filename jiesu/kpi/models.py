"""三率两度 assessment tables: KPI definitions as data (versions, weights per unit class),
exclusion reviews, and the rollups the rankings and dashboards read.

The rollups never reference other tables by foreign key: `unit_id` and
`category_id` are plain integers (0 = none), so an upsert can key on them (NULL
never conflicts) and a bulk rebuild writes without constraint checks.
"""
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiesu.core.models import kind_and_number
from jiesu.kpi.formulas import SPEED_FIELDS


class UnitClass(models.TextChoices):
    """The four ranking groups (条例 Art.32: graded by unit class)."""

    DISTRICT = "district", _("Districts")
    STREET = "street", _("Streets and townships")
    DEPARTMENT = "department", _("City departments")
    ENTERPRISE = "enterprise", _("Public-service enterprises")


class Exclusion(models.TextChoices):
    """Why a ticket does not count in its unit's rates ("" = it counts). One per ticket, first that applies."""

    NONE = "", _("Counts")
    SPECIAL = "special", _("Special class (Art.11), never dispatched")
    MERGED = "merged", _("Merged duplicate")
    CONSULT = "consult", _("Consultation (咨询)")
    UNREASONABLE = "unreasonable", _("Unreasonable request, confirmed by review")


def month_start(day):
    return date(day.year, day.month, 1)


class KpiVersion(models.Model):
    """One version of the KPI definitions, in force from `valid_from` (a month) until the next version.

    A month is computed with the version in force on its first day. A version
    whose months already lie in the past is frozen: to change weights, save it
    as a new version (admin: "Save as new") starting this month or later.
    """

    number = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    valid_from = models.DateField(_("in force from (month)"), unique=True,
                                  help_text=_("The first day of the month from which this version applies."))
    note = models.TextField(_("what changed"), blank=True)
    partly_weight = models.FloatField(_("weight of partly resolved in the resolution rate"), default=0.5)
    basic_weight = models.FloatField(_("weight of basically satisfied in the satisfaction rate"), default=0.8)
    speed_reference_hours = models.FloatField(
        _("speed reference (working hours)"), default=49.0,
        help_text=_("The speed score is 1 − median working hours to reply ÷ this reference (0 at or above it)."))
    recurring_weight = models.FloatField(_("weight of a recurring problem closed, in governance depth"), default=1.0)
    exclude_consultation = models.BooleanField(_("exclude consultations"), default=True)
    exclude_merged = models.BooleanField(_("exclude merged duplicates"), default=True)
    exclude_unreasonable = models.BooleanField(_("exclude unreasonable requests confirmed by review"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("creation time"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False, verbose_name=_("created by"))

    class Meta:
        verbose_name = _("KPI version")
        verbose_name_plural = _("KPI versions")
        ordering = ["-valid_from"]

    def __str__(self):
        return f"v{self.number} ({self.valid_from:%Y-%m})"

    def clean(self):
        if self.valid_from and self.valid_from.day != 1:
            self.valid_from = month_start(self.valid_from)
        this_month = month_start(timezone.localdate())
        stored = KpiVersion.objects.filter(pk=self.pk).values_list("valid_from", flat=True).first() if self.pk else None
        if stored is not None and stored < this_month:
            raise ValidationError(_("This version was in force in past months and is frozen: change what you need, "
                                    "set “in force from” to this month or later and press “Save as new”."))
        if self.valid_from and self.valid_from < this_month:
            raise ValidationError({"valid_from": _("A version may start this month or later, not in the past.")})
        for name in ("partly_weight", "basic_weight"):
            value = getattr(self, name)
            if value is None or not 0 <= value <= 1:
                raise ValidationError({name: _("A weight between 0 and 1 is needed.")})
        if self.speed_reference_hours is None or self.speed_reference_hours <= 0:
            raise ValidationError({"speed_reference_hours": _("A positive number of hours is needed.")})
        if self.recurring_weight is None or self.recurring_weight < 0:
            raise ValidationError({"recurring_weight": _("A weight of 0 or more is needed.")})

    def excluded_classes(self):
        """The exclusion classes this version leaves out of the rates (special class always)."""
        out = [Exclusion.SPECIAL]
        if self.exclude_merged:
            out.append(Exclusion.MERGED)
        if self.exclude_consultation:
            out.append(Exclusion.CONSULT)
        if self.exclude_unreasonable:
            out.append(Exclusion.UNREASONABLE)
        return [str(e) for e in out]

    def save(self, *args, **kwargs):
        if self.valid_from:
            self.valid_from = month_start(self.valid_from)
        if not self.number:
            self.number = (KpiVersion.objects.aggregate(n=models.Max("number"))["n"] or 0) + 1
        super().save(*args, **kwargs)


class KpiWeights(models.Model):
    """The composite score's weights for one unit class in one version."""

    version = models.ForeignKey(KpiVersion, on_delete=models.CASCADE, related_name="weights", verbose_name=_("version"))
    unit_class = models.CharField(_("unit class"), max_length=12, choices=UnitClass.choices)
    response = models.FloatField(_("response rate"), default=0.2)
    resolution = models.FloatField(_("resolution rate"), default=0.35)
    satisfaction = models.FloatField(_("satisfaction rate"), default=0.35)
    speed = models.FloatField(_("handling speed"), default=0.05)
    governance = models.FloatField(_("governance depth"), default=0.05)
    whistle = models.FloatField(_("whistle rating (Art.33)"), default=0.0)

    class Meta:
        verbose_name = _("composite weights")
        verbose_name_plural = _("composite weights")
        constraints = [models.UniqueConstraint(fields=["version", "unit_class"], name="kpi_weights_one_per_class")]

    def __str__(self):
        return f"{self.version} {self.get_unit_class_display()}"

    def clean(self):
        values = self.as_dict()
        if any(v is None or v < 0 for v in values.values()):
            raise ValidationError(_("Weights must be 0 or more."))
        if sum(values.values()) <= 0:
            raise ValidationError(_("At least one weight must be positive."))

    def as_dict(self):
        return {m: getattr(self, m) for m in ("response", "resolution", "satisfaction", "speed", "governance",
                                               "whistle")}


class ReviewState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed: excluded")
    REJECTED = "rejected", _("Rejected: counts")


class ExclusionReview(models.Model):
    """不合理诉求: the lead unit says a request is unreasonable; the hotline centre reviews.

    A confirmed review takes the ticket out of the unit's rates (when the
    version in force excludes such tickets). It changes no ticket field.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="exclusion_reviews",
                               verbose_name=_("ticket"))
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("creation time"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("unreasonable-request review")
        verbose_name_plural = _("unreasonable-request reviews")
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.ticket_id} {self.get_state_display()}"


# ── rollups ─────────────────────────────────────────────────────────────────

COUNTERS = (
    "received",       # tickets taken in (day of intake)
    "found_first",    # of which found by patrol or sensor (day of intake)
    "resp_due",       # tickets whose lead unit's contact deadline falls on the day
    "resp_on_time",   # of which signed and contacted within their limits
    "replied",        # first replies of the lead unit (day of reply)
    *SPEED_FIELDS,    # those replies by working hours from dispatch (histogram, formulas.SPEED_EDGES)
    "cb_resolved", "cb_partly", "cb_unresolved",         # latest reached callback (day of that callback)
    "cb_satisfied", "cb_basic", "cb_dissatisfied",
    "closed",         # tickets closed (day of closing)
    "returns_upheld",  # returns upheld against this unit (day of the decision): not counted in its rates
)


class RollupCounters(models.Model):
    """The counters every rollup row carries (see COUNTERS)."""

    received = models.IntegerField(default=0, verbose_name=_("tickets received"))
    found_first = models.IntegerField(default=0, verbose_name=_("found first by patrol or sensor"))
    resp_due = models.IntegerField(default=0, verbose_name=_("contact deadlines due"))
    resp_on_time = models.IntegerField(default=0, verbose_name=_("signed and contacted on time"))
    replied = models.IntegerField(default=0, verbose_name=_("first replies"))
    s00 = models.IntegerField(default=0, verbose_name=_("replies in speed band 1"))
    s01 = models.IntegerField(default=0, verbose_name=_("replies in speed band 2"))
    s02 = models.IntegerField(default=0, verbose_name=_("replies in speed band 3"))
    s03 = models.IntegerField(default=0, verbose_name=_("replies in speed band 4"))
    s04 = models.IntegerField(default=0, verbose_name=_("replies in speed band 5"))
    s05 = models.IntegerField(default=0, verbose_name=_("replies in speed band 6"))
    s06 = models.IntegerField(default=0, verbose_name=_("replies in speed band 7"))
    s07 = models.IntegerField(default=0, verbose_name=_("replies in speed band 8"))
    s08 = models.IntegerField(default=0, verbose_name=_("replies in speed band 9"))
    s09 = models.IntegerField(default=0, verbose_name=_("replies in speed band 10"))
    s10 = models.IntegerField(default=0, verbose_name=_("replies in speed band 11"))
    s11 = models.IntegerField(default=0, verbose_name=_("replies in speed band 12"))
    cb_resolved = models.IntegerField(default=0, verbose_name=_("callbacks: resolved"))
    cb_partly = models.IntegerField(default=0, verbose_name=_("callbacks: partly resolved"))
    cb_unresolved = models.IntegerField(default=0, verbose_name=_("callbacks: unresolved"))
    cb_satisfied = models.IntegerField(default=0, verbose_name=_("callbacks: satisfied"))
    cb_basic = models.IntegerField(default=0, verbose_name=_("callbacks: basically satisfied"))
    cb_dissatisfied = models.IntegerField(default=0, verbose_name=_("callbacks: dissatisfied"))
    closed = models.IntegerField(default=0, verbose_name=_("tickets closed"))
    returns_upheld = models.IntegerField(default=0, verbose_name=_("returns upheld"))

    class Meta:
        abstract = True

    def counters(self):
        return {name: getattr(self, name) for name in COUNTERS}


# Tickets all add to the same few rows (this month's "no unit yet", today's category, a unit's day): concurrent
# intakes and dispatches would queue on those rows' locks until each commits, and one transaction held open
# would hold up the city's intake. So every change of a ticket adds to one of ROLLUP_SHARDS copies of its rows
# (rollup.shard_of: ticket id modulo); the full rebuild uses shard 0. A key's count is the sum over its shards,
# which is how every reader reads (sums, or totals per key); a shard's row alone may go below zero (a ticket
# counted on shard 0 by a rebuild and changed since).
ROLLUP_SHARDS = 16


class DailyRollup(RollupCounters):
    """Counts per (day, lead unit, category, channel, exclusion class): the fine grain."""

    __str__ = kind_and_number

    day = models.DateField(verbose_name=_("day"))
    unit_id = models.IntegerField(default=0,
                                  verbose_name=_("unit id"))  # the ticket's lead unit (0: none yet / never dispatched)
    category_id = models.IntegerField(default=0, verbose_name=_("category id"))  # the ticket's category (0: none)
    channel = models.CharField(max_length=10, verbose_name=_("channel"))
    exclusion = models.CharField(max_length=12, blank=True, default="", verbose_name=_("exclusion class"))
    shard = models.PositiveSmallIntegerField(default=0, db_default=0, verbose_name=_("shard"))  # see ROLLUP_SHARDS

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [models.UniqueConstraint(fields=["day", "unit_id", "category_id", "channel", "exclusion",
                                                       "shard"], name="kpi_daily_key")]
        indexes = [models.Index(fields=["unit_id", "day"], name="kpi_daily_unit_day")]


class DailyVolume(models.Model):
    """Tickets received per (day, lead unit): the dashboards' daily series (90 days, weekday pattern, year over year).

    Kept by the same deltas as DailyRollup (its `received` summed over category, channel and exclusion class), so a
    city's 400 days read a few hundred rows a day, not one per (unit, category, channel) the fine rollup holds.
    """

    __str__ = kind_and_number

    day = models.DateField(verbose_name=_("day"))
    unit_id = models.IntegerField(default=0, verbose_name=_("unit id"))  # the ticket's lead unit (0: none yet)
    shard = models.PositiveSmallIntegerField(default=0, db_default=0, verbose_name=_("shard"))  # see ROLLUP_SHARDS
    received = models.IntegerField(default=0, verbose_name=_("tickets received"))

    class Meta:
        verbose_name = _("daily volume")
        verbose_name_plural = _("daily volumes")
        constraints = [models.UniqueConstraint(fields=["day", "unit_id", "shard"], name="kpi_volume_key")]
        indexes = [models.Index(fields=["unit_id", "day"], name="kpi_volume_unit_day")]


class MonthDim(models.TextChoices):
    UNIT = "unit", _("Unit")
    CATEGORY = "category", _("Category")


class MonthlyRollup(RollupCounters):
    """The same counts per (month, unit) and per (month, category): what rankings and dashboards read.

    Kept by the same deltas as DailyRollup, so a month of every unit is a few
    hundred rows however many tickets the city has.
    """

    __str__ = kind_and_number

    month = models.DateField(verbose_name=_("month"))
    dim = models.CharField(max_length=8, choices=MonthDim.choices, verbose_name=_("dimension"))
    key = models.IntegerField(verbose_name=_("unit or category id"))  # unit id or category id (0: none)
    exclusion = models.CharField(max_length=12, blank=True, default="", verbose_name=_("exclusion class"))
    shard = models.PositiveSmallIntegerField(default=0, db_default=0, verbose_name=_("shard"))  # see ROLLUP_SHARDS

    class Meta:
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")
        constraints = [models.UniqueConstraint(fields=["month", "dim", "key", "exclusion", "shard"],
                                               name="kpi_monthly_key")]


class TicketFact(models.Model):
    """What one ticket currently adds to the rollups, so a change applies as (new − old).

    `parts` is a list of [day ISO, unit_id, category_id, channel, exclusion, {counter: n}].
    """

    __str__ = kind_and_number

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True,
                                  related_name="kpi_fact", verbose_name=_("ticket"))
    parts = models.JSONField(default=list, verbose_name=_("parts"))

    class Meta:
        verbose_name = _("ticket fact")
        verbose_name_plural = _("ticket facts")


class PublishedRanking(models.Model):
    """One group's ranking of one month as published (月度排名): the rows as they then stood — scores, ranks, unit
    codes and names, every unit's tickets gathered by the tree as it then was — so that a community moved to another
    street, a unit renamed or a late callback does not change a month units were assessed on. The latest edition of
    a (month, group) is what pages, API and exports read; a republication (an administrator, with a reason) adds
    the next edition and keeps the earlier ones."""

    month = models.DateField(_("month"))
    unit_class = models.CharField(_("unit class"), max_length=12, choices=UnitClass.choices)
    edition = models.PositiveSmallIntegerField(_("edition"), default=1)
    version = models.PositiveIntegerField(_("KPI version"))
    rows = models.JSONField(_("rows"), default=list, help_text=_("Kpis.as_dict() of every unit, best first"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("published by"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("published ranking")
        verbose_name_plural = _("published rankings")
        ordering = ["-month", "unit_class", "-edition"]
        constraints = [models.UniqueConstraint(fields=["month", "unit_class", "edition"], name="kpi_published_edition")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.unit_class} #{self.edition}"
