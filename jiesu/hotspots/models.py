"""Stored hotspot runs: each run's problems, ranked by heat, with their tickets."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from jiesu.core.models import kind_and_number


class HotspotRun(models.Model):
    """One run of the clustering over the tickets of a time window (`jiesu hotspots` or the job)."""

    started_at = models.DateTimeField(_("started at"))
    seconds = models.FloatField(_("seconds"), default=0)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    tickets = models.PositiveIntegerField(_("tickets looked at"), default=0)
    params = models.JSONField(_("run parameters"), default=dict, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("started by user"))

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("hotspot run")
        verbose_name_plural = _("hotspot runs")

    def __str__(self):
        return f"{self.window_start:%Y-%m-%d} – {self.window_end:%Y-%m-%d}"


class Hotspot(models.Model):
    """One hot problem (热点问题) of a run: a group of tickets about the same problem and place."""

    run = models.ForeignKey(HotspotRun, on_delete=models.CASCADE, related_name="hotspots",
                            verbose_name=_("hotspot run"))
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
    exemplars = models.JSONField(_("exemplars"), default=list, blank=True)  # texts of the most central tickets
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("district"))
    street = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("street/township"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("category"))
    tickets = models.ManyToManyField("tickets.Ticket", through="HotspotTicket", related_name="hotspots",
                                     verbose_name=_("member tickets"))

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

    hotspot = models.ForeignKey(Hotspot, on_delete=models.CASCADE, related_name="members", verbose_name=_("hotspot"))
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    centrality = models.FloatField(_("centrality"), default=0)

    class Meta:
        unique_together = [("hotspot", "ticket")]
        ordering = ["-centrality", "id"]


class AskedState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AskedRun(models.Model):
    """A run asked for with the board's 「立即发现热点」 button: the worker (`jiesu worker`, jobs.run_asked) carries it
    out, as the accuracy page's retraining is recorded as a run with its state (dispatch.RetrainRun). At most one
    waits or runs at a time (a unique constraint on `going`)."""

    asked_at = models.DateTimeField(_("asked at"), db_index=True)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    asked_by_name = models.CharField(_("asked by"), max_length=150, blank=True)  # kept when the user is deleted
    days = models.PositiveSmallIntegerField(_("days"), default=30)
    state = models.CharField(_("state"), max_length=8, choices=AskedState.choices, default=AskedState.WAITING)
    going = models.BooleanField(_("waiting or running"), default=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    host = models.CharField(_("host"), max_length=120, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    run = models.ForeignKey(HotspotRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            verbose_name=_("hotspot run"))

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("hotspot run asked for")
        verbose_name_plural = _("hotspot runs asked for")
        constraints = [models.UniqueConstraint(fields=["going"], condition=models.Q(going=True),
                                               name="one_hotspot_run_going")]

    # The reasons stored when a run's process is gone without a result (services.abandon_lost_asked_runs):
    WORKER_STOPPED = "worker stopped"  # before 2026-12-07 the worker ran it itself, and ended during the run
    PROCESS_ENDED = "process ended"  # its process (jiesu hotspots --asked) ended on this host (killed, out of memory)
    NEVER_STARTED = "process never started"  # claimed by a worker that stopped before starting its process
    TIMED_OUT = "no result in time"  # no result after services.asked_timeout(): its host's process cannot be seen
    TIMED_OUT_KILLED = "no result in time, killed"  # the same on this host: its process group was killed

    @property
    def is_daily(self):
        """Started by the worker's daily job (jobs.run_if_due), not asked on the board: no asker's name."""
        return not self.asked_by_name

    @property
    def asker_words(self):
        """Who started it, as the board and a refusal name them."""
        return gettext("the daily schedule") if self.is_daily else self.asked_by_name

    def __str__(self):
        return f"#{self.pk} {self.get_state_display()}"

    @property
    def reason_words(self):
        """Why it failed, in the reader's language where the platform words it (else the error's own words)."""
        if self.reason == self.WORKER_STOPPED:
            return gettext("the worker (process %(pid)s) stopped during the run; ask again") % {"pid": self.pid}
        if self.reason == self.PROCESS_ENDED:
            return gettext("the hotspot run's process (process %(pid)s) ended before it finished (stopped? out of "
                           "memory?); ask again") % {"pid": self.pid}
        if self.reason == self.NEVER_STARTED:
            return gettext("its process was never started (the worker stopped before starting it); ask again")
        if self.reason == self.TIMED_OUT_KILLED:
            hours = round((self.finished_at - self.started_at).total_seconds() / 3600, 1)
            return ngettext("no result %(hours)s hour after it started: its process (process %(pid)s) was stopped; "
                            "ask again",
                            "no result %(hours)s hours after it started: its process (process %(pid)s) was stopped; "
                            "ask again", 1 if hours == 1 else 2) % {"hours": f"{hours:g}", "pid": self.pid}
        if self.reason == self.TIMED_OUT:
            hours = round((self.finished_at - self.started_at).total_seconds() / 3600, 1)
            return ngettext("no result %(hours)s hour after it started (process %(pid)s on %(host)s): its process "
                            "seems gone; ask again",
                            "no result %(hours)s hours after it started (process %(pid)s on %(host)s): its process "
                            "seems gone; ask again", 1 if hours == 1 else 2) % {
                "hours": f"{hours:g}", "pid": self.pid or "?", "host": self.host or "?"}
        return self.reason
