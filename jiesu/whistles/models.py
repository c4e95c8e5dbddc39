"""吹哨报到: a street (or a department) summons units; each reports and acts by its deadline."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.core.models import kind_and_number
from jiesu.categories.models import LimitUnit


class Trigger(models.TextChoices):
    """《北京市街道办事处条例》 Art.5: the four kinds of matters a street whistles on."""

    PUBLIC = "public", _("Citizens' requests (群众诉求)")
    KEY_WORK = "key_work", _("Key work (重点工作)")
    ENFORCEMENT = "enforcement", _("Joint enforcement (综合执法)")
    EMERGENCY = "emergency", _("Emergency (应急处置)")


class Mode(models.TextChoices):
    REGULAR = "regular", _("Regular (常规)")
    QUICK = "quick", _("Quick, on site (快速)")


class Source(models.TextChoices):
    TICKET = "ticket", _("From a ticket")
    TICKETS = "tickets", _("From several tickets")
    GRID_REPORT = "grid_report", _("From a grid report")
    OWN = "own", _("A matter of its own")


class WhistleState(models.TextChoices):
    APPROVAL = "approval", _("Awaiting approval")
    REFUSED = "refused", _("Approval refused")
    ACTIVE = "active", _("Summoned, in progress")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ReportForm(models.TextChoices):
    ON_SITE = "on_site", _("On site (现场)")
    MEETING = "meeting", _("Meeting (会商)")
    JOINT = "joint", _("Joint enforcement (联合执法)")
    WRITTEN = "written", _("Written (书面)")


class SummonsState(models.TextChoices):
    SUMMONED = "summoned", _("Summoned")
    CHECKED_IN = "checked_in", _("Checked in")
    OBJECTED = "objected", _("Objection pending")
    RELEASED = "released", _("Released (objection upheld)")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Reported done")
    ACCEPTED = "accepted", _("Accepted")


class RaterSide(models.TextChoices):
    STREET = "street", _("Whistling unit")
    DISTRICT = "district", _("District")


class WhistleLevel(models.Model):
    """A whistle level (普通 / 重点 / 疑难 / 应急): its report limit and its approval chain (editable)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    report_amount = models.FloatField(_("report within"), default=1)
    report_unit = models.CharField(_("unit"), max_length=20, choices=LimitUnit.choices, default="working_days")
    task_days = models.PositiveSmallIntegerField(_("default task limit (working days)"), default=5)
    approval_chain = models.JSONField(
        _("approval chain"), default=list, blank=True,
        help_text=_("Step names in order, e.g. [\"科室申请\", \"分管副职签字\", \"主要负责人批准\"]; empty: no approval"))
    approval_positions = models.JSONField(
        _("who signs each step"), default=list, blank=True,
        help_text=_("The lowest position that may sign each step, in order, e.g. [\"\", \"deputy\", \"head\"] "
                    "(\"\": any colleague; staff, section_chief, deputy, head); missing steps: any colleague"))
    sort = models.PositiveSmallIntegerField(default=0, verbose_name=_("sort order"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("whistle level")
        verbose_name_plural = _("whistle levels")
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name

    @property
    def needs_approval(self):
        return bool(self.approval_chain)


class Whistle(models.Model):
    """吹哨: raised by a street/township or a department on a ticket, several tickets, a grid report or a matter."""

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    level = models.ForeignKey(WhistleLevel, on_delete=models.PROTECT, verbose_name=_("level"))
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.REGULAR)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.OWN)
    state = models.CharField(_("state"), max_length=10, choices=WhistleState.choices, db_index=True)
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="whistles",
                             verbose_name=_("whistling unit"))
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("district"))
    place = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("place"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(null=True, blank=True, verbose_name=_("longitude"))
    lat = models.FloatField(null=True, blank=True, verbose_name=_("latitude"))
    tickets = models.ManyToManyField("tickets.Ticket", blank=True, related_name="whistles",
                                     verbose_name=_("linked tickets"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("raised by"))
    created_at = models.DateTimeField(_("raised at"), db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    summoned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("summoned at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    needs_review = models.BooleanField(_("quick whistle awaiting review"), default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("reviewed by"))
    result = models.TextField(_("result"), blank=True)
    escalated = models.BooleanField(_("reported to the district"), default=False)
    # 提级: the whole whistle raised to the district's whistle (its units do not report or act)
    raised_to_district_at = models.DateTimeField(null=True, blank=True, verbose_name=_("raised to the district at"))
    raised_to_district_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.SET_NULL, related_name="+",
                                              verbose_name=_("raised to the district by"))
    raised_to_district_reason = models.TextField(_("reason for raising to the district"), blank=True)
    raise_proposed_at = models.DateTimeField(null=True, blank=True,
                                             verbose_name=_("raising to the district proposed at"))
    demo = models.BooleanField(default=False, editable=False,
                               verbose_name=_("demo"))  # generated by jiesu.whistles.demo

    class Meta:
        verbose_name = _("whistle")
        verbose_name_plural = _("whistles")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["unit", "state"]), models.Index(fields=["district", "created_at"])]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self):
        from django.utils import timezone

        return f"CS{timezone.localtime(self.created_at):%Y%m%d}-{self.pk:05d}"

    @staticmethod
    def id_from_number(number):
        tail = str(number).split("-")[-1]
        return int(tail) if tail.isdigit() else None

    @property
    def is_open(self):
        return self.state in (WhistleState.APPROVAL, WhistleState.ACTIVE)


class Approval(models.Model):
    """One signed step of the approval chain."""

    __str__ = kind_and_number

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("whistle"))
    step = models.PositiveSmallIntegerField(verbose_name=_("step"))
    step_name = models.CharField(max_length=40, verbose_name=_("step name"))
    approved = models.BooleanField(verbose_name=_("approved"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("by"))
    at = models.DateTimeField(verbose_name=_("at"))
    note = models.TextField(blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["step", "id"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")


class Summons(models.Model):
    """One summoned unit (报到): its form, deadline and check-in."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summons", verbose_name=_("whistle"))
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="summons",
                             verbose_name=_("unit"))
    form = models.CharField(_("report form"), max_length=10, choices=ReportForm.choices, default=ReportForm.ON_SITE)
    state = models.CharField(_("state"), max_length=12, choices=SummonsState.choices, default=SummonsState.SUMMONED)
    has_duty = models.BooleanField(_("has a duty for the matter"), null=True, blank=True)
    summoned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("summoned at"))
    report_due = models.DateTimeField(_("report due"), null=True, blank=True, db_index=True)
    checked_in_at = models.DateTimeField(null=True, blank=True, verbose_name=_("checked in at"))
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("checked in by"))
    person = models.CharField(_("person reporting"), max_length=60, blank=True)
    checkin_lon = models.FloatField(null=True, blank=True, verbose_name=_("check-in longitude"))
    checkin_lat = models.FloatField(null=True, blank=True, verbose_name=_("check-in latitude"))
    checkin_note = models.TextField(blank=True, verbose_name=_("check-in note"))
    late = models.BooleanField(default=False, verbose_name=_("late"))
    objection = models.TextField(_("objection"), blank=True)
    objection_decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("objection decided at"))
    objection_upheld = models.BooleanField(null=True, blank=True, verbose_name=_("objection upheld"))
    supervised_at = models.DateTimeField(null=True, blank=True, verbose_name=_("supervised at"))
    warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("warned before the deadline at"))
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("escalated at"))

    class Meta:
        verbose_name = _("summoned unit")
        verbose_name_plural = _("summoned units")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["whistle", "unit"], name="whistle_unit_once")]
        indexes = [models.Index(fields=["unit", "state"])]

    def __str__(self):
        return f"{self.whistle_id} → {self.unit}"


class Task(models.Model):
    """One item of the task list (清单): one responsible unit, a deadline, an acceptance criterion."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("whistle"))
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="whistle_tasks",
                             verbose_name=_("responsible unit"))
    title = models.CharField(_("task"), max_length=200)
    criterion = models.CharField(_("acceptance criterion"), max_length=300)
    due = models.DateTimeField(_("due"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    created_at = models.DateTimeField(verbose_name=_("creation time"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    progress = models.TextField(_("latest progress"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("done at"))
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("accepted at"))
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("accepted by"))
    supervised_at = models.DateTimeField(null=True, blank=True, verbose_name=_("supervised at"))
    warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("warned before the deadline at"))

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due", "id"]

    def __str__(self):
        return self.title


class Evidence(models.Model):
    """A photo or document a unit sends with its progress report."""

    __str__ = kind_and_number

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("task"))
    file = models.FileField(upload_to="whistles/%Y/%m/", verbose_name=_("file"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    content_type = models.CharField(max_length=60, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")


class WhistleAttachment(models.Model):
    __str__ = kind_and_number

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("whistle"))
    file = models.FileField(upload_to="whistles/%Y/%m/", verbose_name=_("file"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    content_type = models.CharField(max_length=60, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class Rating(models.Model):
    """The street rates each summoned unit; the district rates both sides. 1–5 on three criteria."""

    __str__ = kind_and_number

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("whistle"))
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="whistle_ratings",
                             verbose_name=_("rated unit"))
    by = models.CharField(_("rated by"), max_length=10, choices=RaterSide.choices)
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("rater"))
    timeliness = models.PositiveSmallIntegerField(_("timeliness of report"))
    effort = models.PositiveSmallIntegerField(_("effort"))
    result = models.PositiveSmallIntegerField(_("result"))
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(db_index=True, verbose_name=_("at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.UniqueConstraint(fields=["whistle", "unit", "by"], name="whistle_rating_once")]

    @property
    def score(self):
        from jiesu.whistles.rules import rating_score

        return rating_score(self.timeliness, self.effort, self.result)


class WhistleNotice(models.Model):
    """督办 on an overdue report or task, a warning before its deadline, or a refusing unit reported to the
    district (Art.44)."""

    __str__ = kind_and_number

    SUPERVISE, ESCALATION, WARNING, RAISED, PROPOSAL = "supervise", "escalation", "warning", "raised", "proposal"
    SUMMONED, DEADLINE, CLOSED, WITHDRAWN = "summoned", "deadline", "closed", "withdrawn"
    KINDS = ((SUPERVISE, _("Supervision notice (督办)")), (ESCALATION, _("Reported to the district (Art.44)")),
             (WARNING, _("Deadline approaching (临期预警)")), (RAISED, _("Raised to the district (提级)")),
             (PROPOSAL, _("Proposed: raise to the district (提级)")),
             (SUMMONED, _("Summoned (吹哨报到)")), (DEADLINE, _("Deadline moved (延期)")),
             (CLOSED, _("Closed by the district: reply to the tickets")),
             (WITHDRAWN, _("Withdrawn from the whistle (撤回)")))

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="notices", verbose_name=_("whistle"))
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="whistle_notices",
                             verbose_name=_("unit"))
    about = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("unit concerned"))
    kind = models.CharField(max_length=12, choices=KINDS, verbose_name=_("kind"))
    text = models.TextField(blank=True, verbose_name=_("text"))
    created_at = models.DateTimeField(verbose_name=_("creation time"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("whistle notice")
        verbose_name_plural = _("whistle notices")
        indexes = [models.Index(fields=["unit", "read_at"])]


class WhistleEvent(models.Model):
    """Append-only history of everything done to a whistle."""

    __str__ = kind_and_number

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="events", verbose_name=_("whistle"))
    at = models.DateTimeField(db_index=True, verbose_name=_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("actor"))
    actor_unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("actor unit"))
    kind = models.CharField(max_length=24, db_index=True, verbose_name=_("kind"))
    from_state = models.CharField(max_length=10, blank=True, verbose_name=_("from state"))
    to_state = models.CharField(max_length=10, blank=True, verbose_name=_("to state"))
    summons = models.ForeignKey(Summons, null=True, blank=True, on_delete=models.SET_NULL, related_name="events",
                                verbose_name=_("summons"))
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="events",
                             verbose_name=_("task"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("payload"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("whistle event")
        verbose_name_plural = _("whistle events")
