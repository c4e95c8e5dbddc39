"""Template helpers for the whistle pages: task badges and the timeline's labels."""
from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.translation import gettext as _

from jiesu.whistles import rules

register = template.Library()


@register.simple_tag
def task_badge(task):
    status = getattr(task, "status", None) or rules.task_status(task.due, task.state, task.done_at, timezone.now())
    labels = {"open": (_("To do"), "st-dispatched"), "overdue": (_("Overdue"), "flag"),
              "awaiting": (_("Done, awaiting acceptance"), "st-replied"), "accepted": (_("Accepted"), "st-closed"),
              "done_late": (_("Accepted (done late)"), "st-closed")}
    label, css = labels.get(status, (status, ""))
    return format_html('<span class="badge {}" data-status="{}">{}</span>', css, status, label)


def event_labels():
    return {
        "raise": _("Whistle raised"), "approval": _("Approval step"), "review": _("Quick whistle reviewed"),
        "summon": _("Unit summoned"), "check_in": _("Checked in"), "objection": _("Objection"),
        "objection_decided": _("Objection decided"), "withdraw": _("Unit withdrawn"), "task_added": _("Task added"),
        "task_progress": _("Progress reported"), "task_done": _("Task reported done"),
        "task_accepted": _("Task accepted"), "task_rejected": _("Task sent back"), "close": _("Whistle closed"),
        "cancel": _("Whistle cancelled"), "supervise": _("Supervision notice issued"),
        "escalate": _("Reported to the district"), "rate": _("Rated"), "attach": _("Attachments added"),
        "report_overdue": _("Report overdue: supervision notice"), "task_overdue": _("Task overdue: supervision notice"),
        "report_warning": _("Report deadline approaching: warning sent"),
        "task_warning": _("Task deadline approaching: warning sent"),
        "raise_to_district": _("Raised to the district (提级)"),
        "raise_proposed": _("Proposed: raise to the district (提级)"),
        "report_due_set": _("Report deadline moved (延期)"), "task_due_set": _("Task deadline moved (延期)"),
    }


@register.filter
def whistle_event_label(kind):
    return event_labels().get(kind, kind)


def _when(value):
    moment = parse_datetime(value) if isinstance(value, str) else None
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@register.filter
def whistle_event_details(event):
    p = event.payload or {}
    out = []
    kind = event.kind
    if kind == "raise" and p.get("summoned"):
        out.append(_("Summoned: %(v)s") % {"v": "、".join(p["summoned"])})
        if p.get("tickets"):
            out.append(_("Tickets: %(v)s") % {"v": "、".join(p["tickets"])})
    if kind == "approval":
        out.append(f"{p.get('step_name', '')}: " + (_("signed") if p.get("approved") else _("refused")))
    if kind in ("summon", "check_in", "objection", "objection_decided", "withdraw", "supervise", "escalate",
                "report_overdue", "task_overdue", "report_warning", "task_warning", "task_added", "task_progress", "task_done", "task_accepted", "task_rejected",
                "rate", "report_due_set", "task_due_set") and p.get("unit"):
        out.append(p["unit"])
    if kind == "summon" and p.get("due"):
        out.append(_("report by %(v)s") % {"v": _when(p["due"])})
    if p.get("no_duty") is True:
        out.append(_("no duty for this matter"))
    if kind == "check_in" and p.get("person"):
        out.append(_("by %(v)s") % {"v": p["person"]})
    if kind in ("task_added", "task_progress", "task_done", "task_accepted", "task_rejected") and p.get("title"):
        out.append(p["title"])
    if kind in ("report_due_set", "task_due_set") and p.get("due"):
        out.append(_("now due %(v)s (was %(before)s)") % {"v": _when(p["due"]), "before": _when(p.get("previous"))})
    if kind == "task_added" and p.get("due"):
        out.append(_("due %(v)s") % {"v": _when(p["due"])})
    if kind == "objection_decided":
        out.append(_("upheld: unit released") if p.get("upheld") else _("rejected: the unit must report"))
    if kind == "escalate" and p.get("district"):
        out.append(_("to %(v)s") % {"v": p["district"]})
    if kind == "rate" and p.get("score") is not None:
        out.append(_("score %(v)s") % {"v": p["score"]})
    if kind == "close" and p.get("replied"):
        out.append(_("Replied to tickets: %(v)s") % {"v": "、".join(p["replied"])})
    if p.get("late"):
        out.append(_("after the deadline"))
    return out
