"""Template helpers for the pages: countdowns, state badges, the event timeline, kept input."""
from datetime import datetime, timedelta
from typing import NamedTuple

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from jiesu.accounts.models import SYSTEM_USERNAME
from jiesu.core import drafts

register = template.Library()


# ── time ────────────────────────────────────────────────────────────────────

@register.filter
def dt(value, fmt="%Y-%m-%d %H:%M"):
    """A datetime in local time, compact: 2026-11-22 14:05."""
    if not value:
        return ""
    return timezone.localtime(value).strftime(fmt)


def duration_text(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dmin") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


def working_duration_text(seconds, hours_per_day) -> str:
    """Working time as a handler counts it: 1 working day 2h, 5h 30min (a working day is `hours_per_day`)."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, int(round(hours_per_day * 60)))
    hours, mins = divmod(rest, 60)
    if days:
        return ngettext("%(d)d working day %(h)dh", "%(d)d working days %(h)dh", days) % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dmin") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


class Approach(NamedTuple):
    """A deadline's approaching point and the unit its limit runs in (the `approaching` filter's answer)."""

    at: datetime
    unit: str


def urgency(due, approaching=None, now=None):
    """'overdue' from `due` on, 'soon' (临期, orange) from `approaching` (approaching_point, or an Approach) on: where
    the deadline scans warn; else ''."""
    if not due:
        return ""
    now = now or timezone.now()
    if now >= due:
        return "overdue"
    approaching = getattr(approaching, "at", approaching)
    if approaching is not None and now >= approaching:
        return "soon"
    return ""


def approaching_point(obj, step=""):
    """The moment a countdown turns orange (临期): the point the deadline scans warn at, one rule for every page.

    - a Ticket's running deadline (`step` dispatch while it waits, reply while a unit handles it): the point its save
      stored for the scan (next_check_at, tickets.models.next_warning_at), or its start once the scan has warned
      (warning_level ≥ 1); no query. Another of its deadlines (a reply due while it is back at the hotline) is
      found as the save finds it;
    - an Assignment's sign, contact or reply deadline: 80 % of the limit used in the limit's unit (tickets.models.
      limit_unit, kept per process): working time for a working limit, the clock for a clock one;
    - a Summons' report, a Task, a Whistle's next report (the board's `next_report`): as whistles.jobs.warn_once
      finds them.
    None without a deadline."""
    found = _approach(obj, step)
    return found.at if found else None


def _approach(obj, step):
    from jiesu.tickets.models import Assignment, Ticket, limit_unit
    from jiesu.whistles.models import Summons, Task, Whistle

    if isinstance(obj, Ticket):
        return _ticket_approach(obj, step)
    if isinstance(obj, Assignment):
        if step == "reply" and obj.reply_due == obj.ticket.reply_due:
            return _ticket_approach(obj.ticket, "reply")
        return _point(obj.dispatched_at, getattr(obj, f"{step}_due"), lambda: limit_unit(obj.ticket, step))
    from jiesu.whistles.jobs import _report_unit, _task_unit  # the units the whistle scan (warn_once) counts in

    if isinstance(obj, Summons):
        return _point(obj.summoned_at, obj.report_due, lambda: _report_unit(obj.whistle))
    if isinstance(obj, Task):
        return _point(obj.created_at, obj.due, lambda: _task_unit(obj.whistle))
    if isinstance(obj, Whistle):  # the board's row: from when the unit whose report is due first was summoned
        start = getattr(obj, "next_report_from", None) or obj.summoned_at
        return _point(start, getattr(obj, "next_report", None), lambda: _report_unit(obj))
    raise TypeError(f"no deadline to warn of on {type(obj).__name__}")


def _ticket_approach(ticket, step):
    from jiesu.tickets.models import class_limit_unit, current_deadline, limit_unit

    start, due = {"dispatch": (ticket.created_at, ticket.dispatch_due),
                  "reply": (ticket.dispatched_at, ticket.reply_due)}[step]
    if current_deadline(ticket) == (start, due, step) and due is not None:
        unit = class_limit_unit(ticket, step)
        if ticket.warning_level >= 1:
            return Approach(start or due, unit)   # the scan has warned: orange now
        stored = ticket.next_check_at
        if stored is not None:
            if unit == "clock_hours" and start is not None and stored != start + (due - start) * _fraction():
                unit = "working_days"  # stored in working time: an extension's deadline (limit_unit), no query
            return Approach(stored, unit)
    return _point(start, due, lambda: limit_unit(ticket, step))


def _fraction():
    from django.conf import settings

    return settings.JIESU["WARNING_FRACTION"]


def _point(start, due, unit):
    """workcal.worktime.warning_point with the settings' fraction, as an Approach; `unit` is called only when there
    is a deadline."""
    if start is None or due is None:
        return None
    from jiesu.workcal.services import current_calendar
    from jiesu.workcal.worktime import warning_point

    unit = unit()
    return Approach(warning_point(current_calendar(), start, due, _fraction(), unit), unit)


@register.filter
def approaching(obj, step=""):
    """{% countdown t.reply_due t|approaching:"reply" %}: the Approach (point and unit) of approaching_point."""
    return _approach(obj, step)


@register.simple_tag
def countdown(due, approaching=None, done=None):
    """<span class="cd …">5h 20min left</span>; red when overdue, orange from `approaching` (approaching_point: 80 %
    of the limit used, counted as the limit runs) on. With an Approach of a working limit the time left is the
    working time (a Friday-evening ticket due Monday 16:00: 5h 30min, not 2 days), as the warning counts it.

    With `done` (the time the step was done), shows whether it was done on time instead.
    """
    if not due:
        return format_html('<span class="cd cd-none">—</span>')
    title = dt(due)
    if done:
        if done > due:
            return format_html('<span class="cd cd-late" title="{}">{}</span>', title,
                               _("done %(t)s late") % {"t": duration_text(done - due)})
        return format_html('<span class="cd cd-done" title="{}">{}</span>', title, _("done in time"))
    now = timezone.now()
    level = urgency(due, approaching, now)
    if level == "overdue":
        text = _("%(t)s overdue") % {"t": duration_text(now - due)}
    elif getattr(approaching, "unit", "clock_hours") != "clock_hours":
        from jiesu.workcal.services import current_calendar

        calendar = current_calendar()
        text = _("%(t)s of working time left") % {
            "t": working_duration_text(calendar.working_seconds_between(now, due), calendar.hours_per_day)}
    else:
        text = _("%(t)s left") % {"t": duration_text(due - now)}
    return format_html('<span class="cd cd-{}" title="{}" data-due="{}">{}</span>', level or "ok", title,
                       due.isoformat(), text)


@register.filter
def urgency_class(due, approaching=None):
    return urgency(due, approaching)


# ── states and labels ───────────────────────────────────────────────────────

@register.simple_tag
def state_badge(ticket_or_state):
    from jiesu.tickets.models import State

    value = getattr(ticket_or_state, "state", ticket_or_state)
    try:
        label = State(value).label
    except ValueError:
        label = value
    return format_html('<span class="badge st-{}">{}</span>', value, label)


@register.filter
def choice_label(value, choices_name):
    """{{ a.role|choice_label:"AssignmentRole" }} → the translated label of a tickets.models choice."""
    from jiesu.tickets import models

    choices = getattr(models, choices_name, None)
    try:
        return choices(value).label
    except (TypeError, ValueError):
        return value


def event_labels():
    return {
        "intake": _("Recorded"),
        "close_special": _("Closed as special class"),
        "answer": _("Answered directly"),
        "dispatch": _("Dispatched"),
        "sign": _("Signed for"),
        "co_sign": _("Co-handling unit signed for"),
        "contact": _("Citizen contacted"),
        "reply": _("Replied"),
        "co_reply": _("Co-handling unit reported"),
        "return": _("Returned to the hotline"),
        "arbitrate": _("Return decided"),
        "extension_request": _("Extension requested"),
        "extension_decision": _("Extension decided"),
        "supervise": _("Supervision notice issued"),
        "remind": _("Reminder sent"),
        "repeat_call": _("The same caller called again"),        # a call closed as a repeat, filed here
        "close_anonymous": _("Closed without callback: anonymous request"),
        "callback": _("Callback"),
        "merge": _("Merged into another ticket"),
        "merged_in": _("Duplicate merged in"),
        "split_off": _("Duplicate split off"),
        "unmerge": _("Merge undone"),
        "reopen": _("Reopened"),
        "recategorize": _("Category corrected"),
        "contact_revealed": _("Contact details viewed"),
        "notice_read": _("Notice marked read"),                   # the notices page (tickets.notices)
        "approaching": _("Warning: deadline approaching"),
        "overdue": _("Warning: overdue"),
        "attachment": _("Attachment added"),
        "close": _("Closed (historical record)"),                 # jiesu.importer
        "duplicate_proposed": _("Proposed as a duplicate"),        # jiesu.dispatch.duplicates
        "reply_flag_dismissed": _("Reply-quality flag dismissed"),  # jiesu.quality: a supervisor found it wrong
        "reply_flag_appealed": _("Reply-quality flag appealed"),    # jiesu.quality: the unit's 申诉
        "reply_appeal_upheld": _("Appeal refused: reply-quality flag upheld"),
        "reply_appeal_withdrawn": _("Appeal granted: reply-quality flag withdrawn"),
        "grid_handover": _("Left to the hotline by the grid"),     # jiesu.grids: the duty list names a department
        "self_handle": _("Handled on the spot by the grid"),
        "escalate": _("Passed up the ladder"),
        "sensor_alarm": _("Sensor alarm"),                         # jiesu.warnings
        "sensor_cleared": _("Sensor back within its thresholds"),
        "whistle_raised": _("Whistle raised"),              # jiesu.whistles
        "whistle_closed": _("Whistle closed"),
        "whistle_cancelled": _("Whistle cancelled"),
        "whistle_refused": _("Whistle approval refused"),
        "whistle_to_district": _("Whistle raised to the district (提级)"),
        "unit_moved": _("Responsible unit reorganised"),          # jiesu.units: a unit moved or merged
    }


@register.filter
def event_label(kind):
    return event_labels().get(kind, kind)



@register.filter
def event_actor(actor):
    """Who did it, as the timeline names them: the platform's `system` user (stored as 系统) in the reader's
    language; a person by their name."""
    if actor is None:
        return _("System")
    if getattr(actor, "username", None) == SYSTEM_USERNAME:
        return _("System")
    return str(actor)


@register.filter
def event_note(event):
    """An event's note. A person's note stays as written (the ticket's record); the notes the platform writes
    itself, whose facts their payload keeps (auto-dispatch: "auto"; the same caller's repeat flag: reason
    "same_caller" with "days"), are worded in the reader's language. Older events without those facts show their
    stored note."""
    p = event.payload or {}
    auto = p.get("auto") if event.kind == "dispatch" else None
    if isinstance(auto, dict) and auto.get("category"):
        from jiesu.dispatch.wording import auto_dispatch_note

        return auto_dispatch_note(auto)
    if event.kind == "duplicate_proposed" and p.get("reason") == "same_caller" and isinstance(p.get("days"), int):
        from jiesu.dispatch.wording import same_caller_note

        return same_caller_note(p)
    return event.note


@register.filter
def details_line(details):
    """An event's details in one line, joined as the reader's language joins them (；in Chinese)."""
    return pgettext("between the details of a ticket event", "; ").join(str(d) for d in details)


@register.filter
def event_details(event):
    """What the payload says, as short translated phrases."""
    from jiesu.tickets.models import Resolved, Satisfied, SpecialClass

    p = event.payload or {}
    out = []
    kind = event.kind
    if kind == "intake" and p.get("channel"):
        from jiesu.tickets.models import Channel

        try:
            out.append(_("Channel: %(v)s") % {"v": Channel(p["channel"]).label})
        except ValueError:
            pass
    if kind == "intake" and (p.get("place") or {}).get("chosen_not_taken"):
        from jiesu.tickets.queries import chosen_not_taken_words

        out.append(chosen_not_taken_words(p["place"]))
    if kind == "unit_moved" and isinstance(p.get("unit"), dict):
        unit = p["unit"].get("name", "")
        if isinstance(p.get("merged_into"), dict):
            out.append(_("%(unit)s merged into %(into)s") % {"unit": unit, "into": p["merged_into"].get("name", "")})
        else:
            old, new = ((p.get(end) or {}).get("name") or "—" for end in ("from", "to"))
            out.append(_("%(unit)s moved: %(old)s → %(new)s") % {"unit": unit, "old": old, "new": new})
    if kind == "dispatch":
        if p.get("lead"):
            out.append(_("Lead unit: %(v)s") % {"v": p["lead"]})
        if p.get("co"):
            out.append(_("Co-handling units: %(v)s") % {"v": pgettext("between names in a list", ", ").join(p["co"])})
        if p.get("emergency_wording"):
            out.append(_("dispatched although the text reads as an emergency (%(n)s)") % {"n": p["emergency_wording"]})
    if kind == "close_special" and p.get("special_class"):
        try:
            out.append(SpecialClass(p["special_class"]).label)
        except ValueError:
            out.append(p["special_class"])
    if kind == "reply" and p.get("self_resolved") is not None:
        out.append(_("Unit considers it resolved") if p["self_resolved"] else _("Unit considers it not resolved"))
    if kind in ("reply", "answer", "close_special") and p.get("via_parent"):
        out.append(_("Reply of the ticket it was merged into"))
    if kind == "return" and p.get("suggested_unit"):
        out.append(_("Suggested unit: %(v)s") % {"v": p["suggested_unit"]})
    if kind == "arbitrate":
        out.append(_("Return upheld") if p.get("upheld") else _("Return rejected"))
        if p.get("new_lead"):
            out.append(_("New lead unit: %(v)s") % {"v": p["new_lead"]})
    if kind in ("arbitrate", "recategorize") and p.get("category_to_name"):
        out.append(_("Category: %(old)s → %(new)s") % {"old": p.get("category_from_name") or "—",
                                                        "new": p["category_to_name"]})
    if kind in ("dispatch", "arbitrate") and p.get("negative_override"):
        from jiesu.tickets.services import negative_override_words

        out.append(negative_override_words(p["negative_override"]))
    if kind == "extension_request" and p.get("working_days"):
        out.append(_("%(n)d working days") % {"n": p["working_days"]})
    if kind == "extension_decision":
        out.append(_("Approved") if p.get("approved") else _("Refused"))
        if p.get("new_due"):
            from django.utils.dateparse import parse_datetime

            new_due = parse_datetime(p["new_due"])
            if new_due:
                out.append(_("New deadline: %(v)s") % {"v": dt(new_due)})
    if kind == "callback":
        if p.get("reached") is False:
            out.append(_("Citizen not reached (attempt %(n)s)") % {"n": p.get("attempt", "?")})
        else:
            for value, choices in ((p.get("resolved"), Resolved), (p.get("satisfied"), Satisfied)):
                if value:
                    try:
                        out.append(str(choices(value).label))
                    except ValueError:
                        out.append(value)
            if p.get("outcome") == "rehandle":
                out.append(_("Sent back for re-handling"))
                if p.get("negative_override_kept"):
                    from jiesu.tickets.services import rehandle_override_words

                    out.append(rehandle_override_words(p["negative_override_kept"]))
            elif p.get("outcome") == "rehandle_barred" and p.get("negative_list"):
                from jiesu.tickets.services import rehandle_barred_words

                out.append(rehandle_barred_words(p["negative_list"], p.get("category", "")))
            elif p.get("outcome") == "with_parent" and p.get("parent_number"):
                out.append(_("Same caller: called back with %(v)s") % {"v": p["parent_number"]})
            elif p.get("outcome") == "split_off":
                out.append(_("Split off from the ticket it was merged into: back in the dispatch queue"))
    if kind == "merge" and p.get("parent_number"):
        out.append(_("Into %(v)s") % {"v": p["parent_number"]})
    if kind == "repeat_call" and p.get("repeat_number"):
        from jiesu.tickets.services import repeat_call_words

        out.append(repeat_call_words(p))
    if kind in ("merged_in", "split_off") and p.get("child_number"):
        out.append(_("Duplicate %(v)s") % {"v": p["child_number"]})
    if kind == "unmerge":
        out += _unmerge_details(p)
    out += _new_app_details(kind, p)
    if kind in ("approaching", "overdue") and p.get("step"):
        steps = {"dispatch": _("dispatch"), "reply": _("reply")}
        out.append(_("Step: %(v)s") % {"v": steps.get(p["step"], p["step"])})
    if p.get("late"):
        out.append(_("after the deadline"))
    return out


def _unmerge_details(p):
    """A merged request split off its parent (tickets.services._split_off): from which ticket, why, and whether the
    parent's reply was taken back."""
    from jiesu.tickets.models import SpecialClass

    out = [_("Split off %(v)s: back in the dispatch queue") % {"v": p.get("parent_number", "?")}]
    if p.get("why") == "personal_close":
        try:
            label = SpecialClass(p.get("special_class")).label
        except ValueError:
            label = p.get("special_class", "?")
        out.append(_("%(v)s was closed as “%(c)s”, which holds for its own caller only") % {
            "v": p.get("parent_number", "?"), "c": label})
    if p.get("reply_taken_back"):
        out.append(_("the reply written for the other ticket is taken back"))
    return out


def _new_app_details(kind, p):
    """The payloads the apps built on the ticket core write: duplicates, grids, whistles, sensors, and why a
    citizen's contact was revealed (tickets.emergencies.reveal_basis)."""
    out = []
    if kind == "duplicate_proposed" and p.get("parent_number"):
        out.append(_("Same matter as %(v)s") % {"v": p["parent_number"]})
    if kind == "escalate" and p.get("to_unit"):
        out.append(_("From %(a)s to %(b)s") % {"a": p.get("from_unit", "?"), "b": p["to_unit"]})
    if kind.startswith("whistle_") and p.get("whistle_number"):
        out.append(_("Whistle %(v)s") % {"v": p["whistle_number"]})
    if kind in ("sensor_alarm", "sensor_cleared") and p.get("sensor"):
        out.append(_("Sensor %(code)s, reading %(value)s") % {"code": p["sensor"], "value": p.get("value", "?")})
    if kind == "contact_revealed" and p.get("basis") == "call_back":
        out.append(_("to call back an emergency not recorded by phone (%(line)s)") % {"line": p.get("line") or "?"})
    elif kind == "contact_revealed" and p.get("basis") == "role":
        out.append(_("by the viewer's duty"))
    if kind == "notice_read":
        out += _notice_read_details(p)
    return out


def _notice_read_details(p):
    """Which notices were marked read (tickets.notices.mark_read: one; services.mark_notices_read: those the unit
    had unread when its staff opened the ticket), and how."""
    from jiesu.tickets.models import NoticeKind

    kinds = p.get("notice_kinds") or ([p["notice_kind"]] if p.get("notice_kind") else [])
    labels = [str(NoticeKind(k).label) if k in NoticeKind.values else k for k in kinds]
    out = [_("Notice: %(v)s") % {"v": pgettext("between names in a list", ", ").join(labels)}] if labels else []
    if p.get("on_opening"):
        out.append(ngettext("%(n)d notice read on opening the ticket", "%(n)d notices read on opening the ticket",
                            len(p.get("notices") or [])) % {"n": len(p.get("notices") or [])})
    return out


# ── kept input after a refused action (see jiesu.tickets.views.act) ─────────

def _kept_for(context, ticket, action):
    kept = context.get("kept")
    if not kept or kept.get("action") != action:
        return None
    ticket_id = getattr(ticket, "pk", ticket)
    if ticket_id is not None and str(kept.get("ticket")) != str(ticket_id):
        return None
    return kept


@register.simple_tag(takes_context=True)
def kept(context, ticket, action, name, default=""):
    """The value the user typed into `name` of `action`'s form, when the action was refused."""
    found = _kept_for(context, ticket, action)
    if found is None:
        return default
    return found.get("data", {}).get(name, default)


@register.simple_tag(takes_context=True)
def action_draft(context, ticket, action):
    """The draft attributes of `action`'s form (jiesu.core.drafts): refilled from the tab unless the action
    was just refused, when the server refills the form with what was sent."""
    return drafts.attributes(drafts.of_action(getattr(ticket, "pk", ticket), action),
                             restore=_kept_for(context, ticket, action) is None)


@register.simple_tag(takes_context=True)
def kept_error(context, ticket, action, *names):
    """The refusal's message, shown next to the field it names (any of `names`, or all when none)."""
    found = _kept_for(context, ticket, action)
    if found is None:
        return ""
    if names and found.get("field") not in names:
        return ""
    return format_html('<p class="field-error" role="alert">{}</p>', found.get("message", ""))


@register.filter
def initials(user):
    text = str(user or "")
    return text[:1].upper()


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
