"""Reply quality: flags on replies that may not answer the request (stored by the scan)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.core.models import kind_and_number


class AppealState(models.TextChoices):
    PENDING = "pending", _("Appeal pending")
    UPHELD = "upheld", _("Flag upheld")
    WITHDRAWN = "withdrawn", _("Flag withdrawn")


class ReplyFlag(models.Model):
    """One reply (the lead unit's 反馈 on a ticket) that the checks flagged, with the reasons."""

    __str__ = kind_and_number

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="reply_flags",
                               verbose_name=_("ticket"))
    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("unit"))
    replied_at = models.DateTimeField(_("replied at"))
    reasons = models.JSONField(_("reasons"), default=list)       # codes: off_topic, boilerplate, no_result
    relevance = models.FloatField(_("relevance"))
    same_as = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+",
                                verbose_name=_("same as"))  # the other ticket with (almost) the same reply
    checked_at = models.DateTimeField(verbose_name=_("checked at"))
    # a supervisor who read the reply found it answers after all (services.dismiss_flag; in the ticket's history)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", db_index=False, verbose_name=_("dismissed by"))
    dismissal_reason = models.TextField(_("reason for dismissal"), blank=True)
    # 申诉: the flagged unit contests the flag; the 12345 centre (a supervisor) upholds or withdraws it
    # (services.appeal_flag, decide_appeal; both in the ticket's history). A withdrawn flag counts against no one, a
    # pending one is counted apart until it is decided.
    appeal_state = models.CharField(_("appeal"), max_length=10, choices=AppealState.choices, blank=True, default="")
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False, verbose_name=_("appealed by"))
    appeal_reason = models.TextField(_("reason for appeal"), blank=True)
    # when the centre should have decided (APPEAL_DECISION_DAYS working days after the appeal): the board marks the
    # pending appeals past it for the supervisors (services.flag_list, appeal="overdue")
    appeal_due_at = models.DateTimeField(_("appeal decision due"), null=True, blank=True)
    appeal_decided_at = models.DateTimeField(_("appeal decided at"), null=True, blank=True)
    appeal_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+", db_index=False, verbose_name=_("appeal decided by"))
    appeal_decision = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        ordering = ["-replied_at", "-id"]
        unique_together = [("ticket", "replied_at")]
        verbose_name = _("reply flag")
        verbose_name_plural = _("reply flags")
        indexes = [models.Index(fields=["replied_at", "id"], name="replyflag_newest"),
                   models.Index(fields=["unit", "replied_at"], name="replyflag_unit_newest")]


class ReplyCheck(models.Model):
    """A lead reply the checks have read (the worker's mark: a reply is checked once, docs/reply-quality.md), with its
    time from dispatch to reply in working hours, rounded as the page shows it, which the page's reply times sum in
    SQL instead of reading every reply of the month and its calendar."""

    assignment = models.ForeignKey("tickets.Assignment", on_delete=models.CASCADE, related_name="+", db_index=False,
                                   verbose_name=_("assignment"))
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
                             verbose_name=_("unit"))
    replied_at = models.DateTimeField(_("replied at"))
    # the ticket's district and street when checked: a district's or street's reply times read its marks by index
    district = models.ForeignKey("units.Unit", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
                                 verbose_name=_("district"))
    street = models.ForeignKey("units.Unit", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
                               verbose_name=_("street"))
    hours = models.FloatField(_("working hours to reply"), null=True)
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "replied_at"], name="replycheck_once")]
        indexes = [models.Index(fields=["replied_at"], name="replycheck_replied"),
                   models.Index(fields=["unit", "replied_at"], name="replycheck_unit_replied"),
                   models.Index(fields=["district", "replied_at"], name="replycheck_district_replied"),
                   models.Index(fields=["street", "replied_at"], name="replycheck_street_replied")]
        verbose_name = _("checked reply")
        verbose_name_plural = _("checked replies")
