import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.core.models import kind_and_number
from jiesu.categories.models import RequestType
from jiesu.core.params import as_id


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web")
    APP = "app", _("App")
    PATROL = "patrol", _("Patrol")
    SENSOR = "sensor", _("Sensor")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class State(models.TextChoices):
    NEW = "new", _("Awaiting dispatch")          # 待派单
    ANSWERED = "answered", _("Answered directly")  # 直接答复
    DISPATCHED = "dispatched", _("Dispatched")   # 已派单
    SIGNED = "signed", _("Signed")               # 已签收
    CONTACTED = "contacted", _("Citizen contacted")  # 已联系
    RETURNED = "returned", _("Returned, in arbitration")  # 退单待审
    REPLIED = "replied", _("Replied, awaiting callback")  # 已反馈
    CLOSED = "closed", _("Closed")               # 已办结
    MERGED = "merged", _("Merged")               # 已合并


OPEN_STATES = (State.NEW, State.DISPATCHED, State.SIGNED, State.CONTACTED, State.RETURNED)
HANDLING_STATES = (State.DISPATCHED, State.SIGNED, State.CONTACTED)
#: the states of the work lists' tickets (queries.worklist): being handled, or returned and awaiting arbitration
WORKED_STATES = (*HANDLING_STATES, State.RETURNED)
IMPORT_KEY_PREFIX = "import:"  # the idempotency key of every imported ticket (jiesu.importer.services)


class SpecialClass(models.TextChoices):
    """《北京市接诉即办工作条例》 Art.11: requests handled outside dispatch."""

    EMERGENCY = "emergency", _("Emergency: transferred to 110/119/120/122")
    STATUTORY = "statutory", _("Statutory channel (litigation, arbitration, petition…)")
    REPEAT = "repeat", _("Repeat without new facts")
    SECRET = "secret", _("State secret, commercial secret or privacy")
    MARKET = "market", _("Market matter between private parties")
    UNLAWFUL = "unlawful", _("Unlawful or against public order")


class Resolved(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")           # 解决
    PARTLY = "partly", _("Partly resolved")        # 部分解决
    UNRESOLVED = "unresolved", _("Unresolved")     # 未解决


class Satisfied(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")              # 满意
    BASICALLY = "basically", _("Basically satisfied")    # 基本满意
    DISSATISFIED = "dissatisfied", _("Dissatisfied")     # 不满意


class CloseReason(models.TextChoices):
    CALLBACK = "callback", _("Callback done")
    UNREACHABLE = "unreachable", _("Citizen unreachable")
    SPECIAL = "special", _("Special class")
    ANSWERED = "answered", _("Answered directly")
    REHANDLE_LIMIT = "rehandle_limit", _("Re-handling rounds exhausted")
    ANONYMOUS = "anonymous", _("Anonymous request: no callback possible")  # closed at the reply (audit 11, 20)


def current_deadline(ticket):
    """(start, due, step) of the deadline running now, or None when none runs."""
    if ticket.state == State.NEW:
        return ticket.created_at, ticket.dispatch_due, "dispatch"
    if ticket.state in HANDLING_STATES:
        return ticket.dispatched_at, ticket.reply_due, "reply"
    return None


def next_warning_at(ticket, fraction=None, unit=None, calendar=None):
    """When the deadline worker must next look at the ticket: its "approaching" point (80 % of the limit used,
    counted the way the limit runs: workcal.worktime.warning_point), then the due time. `unit` (clock_hours,
    working_hours, working_days) is the running limit's, found from the ticket's time-limit class when not given;
    `calendar` the working calendar (the current one when not given)."""
    from django.conf import settings

    current = current_deadline(ticket)
    if current is None or current[0] is None or current[1] is None:
        return None
    start, due_at, step = current
    if ticket.warning_level == 0:
        from jiesu.workcal.services import current_calendar
        from jiesu.workcal.worktime import warning_point

        fraction = settings.JIESU["WARNING_FRACTION"] if fraction is None else fraction
        return warning_point(calendar or current_calendar(), start, due_at, fraction, unit or limit_unit(ticket, step))
    if ticket.warning_level == 1:
        return due_at
    return None


def limit_unit(ticket, step):
    """The unit (clock_hours, working_hours, working_days) of the ticket's time limit for `step` (dispatch,
    reply…): its category's time-limit class's (the general class's without a category), kept per process with the
    other reference data (tickets.services.REFERENCE, cleared when a category or class is saved).

    A clock-limit reply deadline that an approved extension set (延期, granted in working days: what is left to run
    is working time) counts in working days: its approaching point is 80 % of the working time from dispatch to the
    new deadline, not a moment in the night. One query, for a clock class's reply only."""
    unit = class_limit_unit(ticket, step)
    if unit == "clock_hours" and step == "reply" and reply_due_extended(ticket):
        return "working_days"
    return unit


def class_limit_unit(ticket, step):
    """limit_unit as the time-limit class has it, extensions aside: no query once kept."""
    from jiesu.tickets.services import REFERENCE, time_limit_class

    def load():
        limits = time_limit_class(ticket)
        return limits.limit(step)[1] if limits is not None else "working_days"

    return REFERENCE.get_or_load(("limit_unit", ticket.category_id, step), load)


def reply_due_extended(ticket):
    """Whether the ticket's reply deadline is one an approved extension request set (its new_due)."""
    if ticket.pk is None or ticket.reply_due is None:
        return False
    return ExtensionRequest.objects.filter(ticket_id=ticket.pk, state=RequestState.APPROVED,
                                           new_due=ticket.reply_due).exists()


#: A query code's random bytes: 12 hex digits. With 8 (32 bits), a city of tens of millions of tickets gave a new
#: one about a 1 % chance of a code already taken; 48 bits make that about 1 in 5 million (and guessing at /track/
#: as hopeless). Codes given before keep their 8 digits.
QUERY_CODE_BYTES = 6


def new_query_code():
    return secrets.token_hex(QUERY_CODE_BYTES).upper()


def indexed_when_set(prefix, *fields):
    """Partial indexes (WHERE field IS NOT NULL) for optional fields that are empty on most rows (a phone
    ticket has no citizen account, an imported or closed one no next check): such rows cost no index entry,
    and every look-up by value (=, IN, <=…) implies NOT NULL, so it still uses the index."""
    return [models.Index(fields=[name], condition=models.Q(**{f"{name}__isnull": False}), name=f"{prefix}_{name}_set")
            for name in fields]


class PlaceSource(models.TextChoices):
    """How intake found a ticket's place. The dispatch desk asks the engine with the address again when the
    address gave it, so that its place carries the address's confidence (dispatch.services.suggestions_for)."""

    CHOSEN = "chosen", _("chosen by the call-taker")
    ADDRESS = "address", _("found from the address")
    COORDINATES = "coordinates", _("from the coordinates")


class Ticket(models.Model):
    """One citizen request (诉求工单)."""

    query_code = models.CharField(_("query code"), max_length=12, default=new_query_code)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    request_type = models.CharField(_("request type"), max_length=20, choices=RequestType.choices,
                                    default=RequestType.COMPLAINT)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    citizen_name = models.CharField(_("citizen name"), max_length=60, blank=True)
    citizen_phone = models.CharField(_("citizen phone"), max_length=30, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    confidential = models.BooleanField(_("asks for confidentiality"), default=False)
    citizen_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="own_tickets", db_index=False, verbose_name=_("citizen account"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.PROTECT,
                                 verbose_name=_("category"))
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("district"), db_index=False)
    street = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("street/township"), db_index=False)
    community = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("community"), db_index=False)
    grid = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("grid"), db_index=False)
    # "" where unknown (before 2026-12-06, imports): the stored place is then taken as certain
    place_source = models.CharField(_("place from"), max_length=12, choices=PlaceSource.choices, blank=True,
                                    default="", db_default="")
    lead_unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("lead unit"), db_index=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.NEW)
    special_class = models.CharField(_("special class"), max_length=12, choices=SpecialClass.choices, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=20, choices=CloseReason.choices, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="merged_children", verbose_name=_("merged into"), db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False, verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    dispatch_due = models.DateTimeField(_("dispatch due"), null=True, blank=True)
    reply_due = models.DateTimeField(_("reply due"), null=True, blank=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dispatched at"))
    replied_at = models.DateTimeField(null=True, blank=True, verbose_name=_("replied at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    reply_text = models.TextField(_("reply"), blank=True)
    self_resolved = models.BooleanField(_("resolved (unit's own assessment)"), null=True, blank=True)
    resolved = models.CharField(_("resolved"), max_length=12, choices=Resolved.choices, blank=True)
    satisfied = models.CharField(_("satisfied"), max_length=12, choices=Satisfied.choices, blank=True)
    rehandle_round = models.PositiveSmallIntegerField(_("re-handling round"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    callback_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("callback attempts"))
    # the same caller's later calls filed against this ticket as repeats without new facts (a `repeat_call` event
    # each): the ticket page and the work list say 「来电 N 次」 (N = this + 1)
    repeat_calls = models.PositiveSmallIntegerField(_("repeat calls"), default=0, db_default=0)
    warning_level = models.PositiveSmallIntegerField(_("warning"), default=0)  # 0 ok, 1 approaching, 2 overdue
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("next check at"))
    supervised = models.BooleanField(_("under supervision"), default=False)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, verbose_name=_("idempotency key"))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        # Each index costs every write (a bulk import maintains all of them per row), so: no single-column
        # index where a composite one starts with that column (state, street, district, lead_unit), and
        # unique keys as constraints, which on PostgreSQL do not add a second, LIKE-pattern index.
        constraints = [
            models.UniqueConstraint(fields=["query_code"], name="ticket_query_code_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="ticket_idempotency_key_unique"),
        ]
        indexes = [
            # overdue by state and reply deadline; the dispatch time and the import key too, so that the dashboards'
            # live overdue count tells imported history apart from this index alone (kpi.overdue_counts, SQLite,
            # 100,000 open tickets: 99.7 ms CPU reading the rows, 6.4 ms from the index)
            models.Index(fields=["state", "reply_due", "dispatch_due", "idempotency_key"], name="ticket_state_due"),
            models.Index(fields=["street", "created_at"]),
            models.Index(fields=["district", "created_at"]),
            models.Index(fields=["lead_unit", "state"]),
            # the same caller's recent tickets (duplicates.same_caller, at every intake): without it a month of
            # Beijing's tickets was scanned per look-up (198 ms at 1 M tickets in 30 days; 4 ms with it)
            models.Index(fields=["citizen_phone", "created_at"], condition=models.Q(citizen_phone__gt=""),
                         name="ticket_phone_created"),
            *indexed_when_set("ticket", "citizen_user", "community", "grid", "parent", "created_by", "next_check_at"),
            # the dispatch queue (queries.waiting_tickets) reads all it sorts and counts by from this index alone;
            # only waiting tickets are in it, so no other write pays for it (5,276 waiting, SQLite: 7.5 -> 4.9 ms)
            models.Index(fields=["state", "dispatch_due", "created_at", "district", "idempotency_key"],
                         condition=models.Q(state=State.NEW), name="ticket_waiting"),
            # the work lists' tickets being handled (queries.worklist): today's are found by two ranges and a small
            # index instead of a scan of every such ticket to leave out the imported history (1 M tickets: a street
            # head's list 0.99 s -> 10 ms); the history by its dispatch time, counted from the index alone (the id
            # included). Imported tickets enter the first only while handled, the second never (docs/import.md).
            models.Index(fields=["dispatch_due", "idempotency_key"], include=["id"],
                         condition=models.Q(state__in=WORKED_STATES), name="ticket_handling_due"),
            # (on the key: "no key" is one of the ranges asked, and read here, not among every live ticket's)
            models.Index(fields=["idempotency_key"], name="ticket_handling_live",
                         condition=models.Q(state__in=WORKED_STATES)
                         & ~models.Q(idempotency_key__startswith=IMPORT_KEY_PREFIX)),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self):
        """Human ticket number: date of intake + id (e.g. 20261122-0000123)."""
        from django.utils import timezone

        return f"{timezone.localtime(self.created_at):%Y%m%d}-{self.pk:07d}"

    @staticmethod
    def id_from_number(number: str):
        """The id in a ticket number (its digits after the last "-"), or None; an id no database holds (more
        than 64 bits) is None too, not an overflow further on. The date part is checked by
        queries.ticket_by_number against the ticket's own."""
        tail = str(number).split("-")[-1]
        return as_id(tail) if tail.isdigit() else None

    def save(self, *args, **kwargs):
        self.next_check_at = next_warning_at(self)
        super().save(*args, **kwargs)

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def handled_as(self):
        """The ticket whose handling is this one's: its parent once merged (replied and closed with it, the link
        stays; a split-off or re-opened request has none)."""
        return self.parent if self.parent_id else self


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead (主办)")
    CO = "co", _("Co-handling (协办)")
    COPY = "copy", _("Copied (抄送)")


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Awaiting signature")
    SIGNED = "signed", _("Signed")
    CONTACTED = "contacted", _("Citizen contacted")
    REPLIED = "replied", _("Replied")
    RETURNED = "returned", _("Returned")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DONE = "done", _("Done")


class Assignment(models.Model):
    """Ticket → unit (派单), with its own timestamps and deadlines."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("ticket"))
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="assignments",
                             verbose_name=_("unit"), db_index=False)  # (unit, active, state) serves it
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices)
    state = models.CharField(_("state"), max_length=12, choices=AssignmentState.choices,
                             default=AssignmentState.PENDING)
    active = models.BooleanField(default=True, db_index=True, verbose_name=_("active"))
    round = models.PositiveSmallIntegerField(default=0, verbose_name=_("round"))
    dispatched_at = models.DateTimeField(verbose_name=_("dispatched at"))
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                      related_name="+", db_index=False, verbose_name=_("dispatched by"))
    sign_due = models.DateTimeField(null=True, blank=True, verbose_name=_("sign due"))
    contact_due = models.DateTimeField(null=True, blank=True, verbose_name=_("contact due"))
    reply_due = models.DateTimeField(null=True, blank=True, verbose_name=_("reply due"))
    signed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("signed at"))
    contacted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("contacted at"))
    replied_at = models.DateTimeField(null=True, blank=True, verbose_name=_("replied at"))
    reply_text = models.TextField(blank=True, verbose_name=_("reply text"))

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [models.Index(fields=["unit", "active", "state"]), *indexed_when_set("assignment", "dispatched_by")]

    def __str__(self):
        return f"{self.ticket_id} → {self.unit} ({self.role})"


class TicketEvent(models.Model):
    """Append-only history of everything done to a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    at = models.DateTimeField(db_index=True, verbose_name=_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False, verbose_name=_("actor"))
    actor_unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   db_index=False, verbose_name=_("actor unit"))
    kind = models.CharField(max_length=24, verbose_name=_("kind"))
    from_state = models.CharField(max_length=12, blank=True, verbose_name=_("from state"))
    to_state = models.CharField(max_length=12, blank=True, verbose_name=_("to state"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("payload"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["kind"], name="ticketevent_kind_idx"),  # no LIKE-pattern twin on PostgreSQL
                   *indexed_when_set("ticketevent", "actor", "actor_unit")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    __str__ = kind_and_number

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    file = models.FileField(upload_to="attachments/%Y/%m/", verbose_name=_("file"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    content_type = models.CharField(max_length=60, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class Callback(models.Model):
    """One callback attempt (回访)."""

    __str__ = kind_and_number

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="callbacks", verbose_name=_("ticket"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("agent"))
    at = models.DateTimeField(verbose_name=_("at"))
    method = models.CharField(max_length=10, default="phone", verbose_name=_("method"))
    reached = models.BooleanField(default=True, verbose_name=_("reached"))
    resolved = models.CharField(max_length=12, choices=Resolved.choices, blank=True, verbose_name=_("resolved"))
    satisfied = models.CharField(max_length=12, choices=Satisfied.choices, blank=True, verbose_name=_("satisfied"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    round = models.PositiveSmallIntegerField(default=0, verbose_name=_("round"))

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")


class RequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved / upheld")
    REJECTED = "rejected", _("Rejected")


class ReturnRequest(models.Model):
    """退单 / 派单异议: a unit says the ticket is not theirs."""

    __str__ = kind_and_number

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="returns", verbose_name=_("ticket"))
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="returns",
                                   verbose_name=_("assignment"))
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="returns", verbose_name=_("unit"))
    reason = models.TextField(verbose_name=_("reason"))
    suggested_unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", verbose_name=_("suggested unit"))
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.PENDING,
                             verbose_name=_("state"))
    created_at = models.DateTimeField(verbose_name=_("creation time"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    decision_note = models.TextField(blank=True, verbose_name=_("decision note"))

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")


class ExtensionRequest(models.Model):
    """延期申请."""

    __str__ = kind_and_number

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("ticket"))
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions",
                                   verbose_name=_("assignment"))
    working_days = models.PositiveSmallIntegerField(verbose_name=_("working days"))
    reason = models.TextField(verbose_name=_("reason"))
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.PENDING,
                             verbose_name=_("state"))
    created_at = models.DateTimeField(verbose_name=_("creation time"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    new_due = models.DateTimeField(null=True, blank=True, verbose_name=_("new due"))
    decision_note = models.TextField(blank=True, verbose_name=_("decision note"))

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")


class NoticeKind(models.TextChoices):
    APPROACHING = "approaching", _("Deadline approaching")
    OVERDUE = "overdue", _("Overdue")
    SUPERVISE = "supervise", _("Supervision notice (督办)")
    REMIND = "remind", _("Reminder (催办)")
    TAKEN_BACK = "taken_back", _("Taken back for dispatch")
    EMERGENCY = "emergency", _("Emergency not recorded by phone")
    APPEAL_MADE = "appeal_made", _("Reply-quality appeal")
    APPEAL_RULED = "appeal_ruled", _("Reply-quality appeal decided")


class Notice(models.Model):
    """A notification to a unit about a ticket (warnings, 督办, 催办)."""

    __str__ = kind_and_number

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notices", verbose_name=_("ticket"))
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="notices", verbose_name=_("unit"))
    kind = models.CharField(max_length=12, choices=NoticeKind.choices, verbose_name=_("kind"))
    text = models.TextField(blank=True, verbose_name=_("text"))
    created_at = models.DateTimeField(verbose_name=_("creation time"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False,
                                verbose_name=_("read by"))  # who marked it read on the notices page

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        # The notices page lists a unit's unread notices, newest first, then its read ones (notices.UnreadFirst):
        # each part walks one of these; the partial one also counts the unread (the menu's figure).
        indexes = [models.Index(fields=["unit", "created_at", "id"], name="notice_unit_newest"),
                   models.Index(fields=["unit", "created_at", "id"], condition=models.Q(read_at__isnull=True),
                                name="notice_unit_unread")]
