"""The whistle pages: the board, raising a whistle, the whistle page, the summoned inbox, statistics.

Views parse input and show results; every change goes through jiesu.whistles.services,
and what a user may see is decided by jiesu.whistles.scoping.
"""
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.accounts.models import Position, Role
from jiesu.core import scoping as core_scoping
from jiesu.core.errors import DomainError
from jiesu.core.params import as_id
from jiesu.core.templatetags.jiesu_ui import approaching_point
from jiesu.core.text_masking import text_for
from jiesu.tickets.models import Ticket
from jiesu.tickets.queries import ticket_by_number
from jiesu.units.models import Unit
from jiesu.whistles import rules, scoping, services, stats
from jiesu.whistles.api import summons_status, task_status
from jiesu.whistles.models import (
    Evidence, Mode, RaterSide, ReportForm, Summons, SummonsState, Task, TaskState, Trigger, Whistle, WhistleLevel,
    WhistleNotice, WhistleState,
)
from jiesu.whistles.services import WhistleData

PAGE_SIZE = 25
SUMMONABLE = ",".join(str(k) for k in scoping.SUMMONABLE_KINDS)
STATE_CLASS = {"approval": "st-new", "refused": "st-merged", "active": "st-dispatched", "closed": "st-closed",
               "cancelled": "st-merged"}


def staff_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or core_scoping.is_city_wide(user)
                or user.role in scoping.STAFF_ROLES + (Role.GRID_WORKER,)):  # a summoned community's workers
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("Your role may not do this."))
        return view(request, *args, **kwargs)
    return wrapper




def annotate_whistles(whistles, now):
    """Board rows: the report still awaited that the scan warns first (`next_report`, its unit's `next_report_from`
    and `next_warning`, read by jiesu_ui.approaching_point for the colour), check-in counts, open and overdue
    tasks. The report warned first is not always the one due first: a unit summoned long ago on a long deadline is
    warned before one just summoned on a short deadline. One statement for all the rows."""
    awaited = {}
    for s in Summons.objects.filter(whistle__in=[w.pk for w in whistles], state=SummonsState.SUMMONED,
                                    summoned_at__isnull=False, report_due__isnull=False).only(
                                        "whistle_id", "summoned_at", "report_due", "state"):
        awaited.setdefault(s.whistle_id, []).append(s)
    for w in whistles:
        w.state_class = STATE_CLASS.get(w.state, "")
        w.tasks_overdue = w.n_tasks_overdue
        w.next_report = w.next_report_from = w.next_warning = None
        for s in awaited.get(w.pk, ()):
            s.whistle = w   # its report's limit unit, without a query
            point = approaching_point(s)
            if w.next_warning is None or (point, s.report_due) < (w.next_warning, w.next_report):
                w.next_report, w.next_report_from, w.next_warning = s.report_due, s.summoned_at, point
    return whistles


def warned_first(rows):
    """Open board rows: raised to the district (提级) first, then the one whose awaited report is warned first,
    then the oldest."""
    far = timezone.now() + timedelta(days=36500)
    return sorted(rows, key=lambda w: (w.raised_to_district_at is None, w.next_warning or far, w.created_at))


def board_queryset(user, now):
    return (scoping.visible_whistles(user).select_related("level", "unit")
            .annotate(n_summons=Count("summons", filter=Q(summons__summoned_at__isnull=False), distinct=True),
                      n_checked=Count("summons", filter=Q(summons__state=SummonsState.CHECKED_IN), distinct=True),
                      n_tasks=Count("tasks", distinct=True),
                      n_tasks_open=Count("tasks", filter=~Q(tasks__state=TaskState.ACCEPTED), distinct=True),
                      n_tasks_overdue=Count("tasks", filter=Q(tasks__state=TaskState.OPEN, tasks__due__lt=now),
                                            distinct=True)))


@staff_only
def board(request):
    """A street's whistle board: open whistles with countdowns, then the rest (filterable)."""
    user, now = request.user, timezone.now()
    qs = board_queryset(user, now)
    state = request.GET.get("state", "")
    trigger = request.GET.get("trigger", "")
    q = request.GET.get("q", "").strip()
    raised = request.GET.get("raised", "") == "1"
    if raised:
        qs = qs.filter(raised_to_district_at__isnull=False)
    if state:
        qs = qs.filter(state=state)
    if trigger:
        qs = qs.filter(trigger=trigger)
    if q:
        pk = Whistle.id_from_number(q)
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(pk=pk or 0))
    open_rows = warned_first(annotate_whistles(list(qs.filter(state__in=(WhistleState.APPROVAL, WhistleState.ACTIVE))
                                                    .order_by(F("raised_to_district_at").desc(nulls_last=True),
                                                              "created_at")[:100]), now))
    others = Paginator(qs.exclude(state__in=(WhistleState.APPROVAL, WhistleState.ACTIVE)).order_by("-created_at"),
                       PAGE_SIZE).get_page(request.GET.get("page"))
    annotate_whistles(others, now)
    inbox = inbox_rows(user, now) if user.unit_id else []
    notices = list(WhistleNotice.objects.filter(unit_id=user.unit_id, read_at__isnull=True)
                   .select_related("whistle", "about").order_by("-created_at")[:10]) if user.unit_id else []
    return render(request, "whistles/board.html", {
        "open_rows": open_rows, "others": others, "inbox": inbox[:5], "inbox_count": len(inbox),
        "notices": notices, "may_raise": scoping.may_raise(user), "states": WhistleState.choices,
        "triggers": Trigger.choices, "state": state, "trigger": trigger, "q": q, "raised": raised,
        "filtered": bool(state or trigger or q or raised),
    })


def inbox_rows(user, now):
    """The unit's open summons, each with its whistle (and the district it was raised to) and its count of the unit's
    open tasks, read in one statement whatever the number of rows."""
    open_tasks = (Task.objects.filter(whistle=OuterRef("whistle_id"), unit_id=user.unit_id)
                  .exclude(state=TaskState.ACCEPTED).order_by().values("whistle_id")
                  .annotate(n=Count("pk")).values("n"))
    rows = list(Summons.objects.filter(unit_id=user.unit_id, summoned_at__isnull=False,
                                       whistle__state=WhistleState.ACTIVE).exclude(state=SummonsState.RELEASED)
                .select_related("whistle", "whistle__unit", "whistle__level", "whistle__district")
                .annotate(open_tasks=Coalesce(Subquery(open_tasks), 0)).order_by("report_due"))
    for s in rows:
        s.status = summons_status(s, now)
    return rows


@staff_only
def inbox(request):
    """A department's "summoned" inbox: one-click check-in, its tasks."""
    now = timezone.now()
    rows = inbox_rows(request.user, now)
    tasks = list(Task.objects.filter(unit_id=request.user.unit_id, whistle__state=WhistleState.ACTIVE)
                 .exclude(state=TaskState.ACCEPTED).select_related("whistle__level").order_by("due"))
    for t in tasks:
        t.status = task_status(t, now)
    return render(request, "whistles/inbox.html", {"rows": rows, "tasks": tasks})


# ── raising ─────────────────────────────────────────────────────────────────

def _tickets_from(request, raw):
    refs = [r.strip() for r in raw.replace("，", ",").replace(" ", ",").split(",") if r.strip()]
    found = []
    for ref in refs:
        pk = ticket_by_number(ref)
        t = Ticket.objects.filter(pk=pk).select_related("category", "street", "community").first() if pk else None
        if t is not None and core_scoping.can_view(request.user, t):
            found.append(t)
    return refs, found


@staff_only
def new(request):
    """吹哨: the form. ?tickets=<ids or numbers> links tickets and suggests units from the duty list; the first
    ticket's title and text prefill the whistle with the citizen's numbers and name masked, since every summoned
    unit reads it."""
    user = request.user
    if not scoping.may_raise(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Only a street/township or a department may whistle."))
    data = request.POST if request.method == "POST" else request.GET
    refs, tickets = _tickets_from(request, data.get("tickets", ""))
    place = next((t.community or t.street for t in tickets if t.street_id), None)
    if place is None and user.unit and user.unit.is_territorial:
        place = user.unit
    suggestions = services.suggest_units(user.unit, [t.category for t in tickets if t.category_id], place,
                                         data.get("trigger", ""))
    error = None
    if request.method == "POST":
        post = request.POST
        chosen = [as_id(v) for v in post.getlist("summon") if as_id(v)]
        more = [as_id(v) for v in post.getlist("more_units") if as_id(v) and as_id(v) not in chosen]
        summons = [(pk, post.get(f"form_{pk}") or ReportForm.ON_SITE, post.get(f"due_{pk}") or None) for pk in chosen]
        summons += [(pk, post.get("more_form") or ReportForm.ON_SITE, post.get("more_due") or None) for pk in more]
        wdata = WhistleData(
            title=request.POST.get("title", ""), description=request.POST.get("description", ""),
            trigger=request.POST.get("trigger", ""), level=request.POST.get("level", ""),
            mode=request.POST.get("mode", Mode.REGULAR), address=request.POST.get("address", ""),
            tickets=refs, summons=summons, attachments=request.FILES.getlist("attachments"))
        try:
            whistle = services.raise_whistle(user, wdata)
        except DomainError as exc:
            error = exc
        else:
            if whistle.state == WhistleState.APPROVAL:
                messages.success(request, _("Whistle %(number)s raised: it goes through approval before the units "
                                            "are summoned.") % {"number": whistle.number})
            else:
                messages.success(request, _("Whistle %(number)s raised: %(n)d units summoned.")
                                 % {"number": whistle.number, "n": whistle.summons.count()})
            for unit in services.no_duty_warning(whistle):
                messages.warning(request, _("%(unit)s has no duty for this matter in the duty list: make sure it is "
                                            "needed (over-summoning).") % {"unit": unit.name})
            return redirect("whistle_detail", pk=whistle.pk)
    chosen_ids = {as_id(v) for v in data.getlist("summon")} if request.method == "POST" else {
        e["unit"].pk for e in suggestions if e["duty"]}
    more = [as_id(v) for v in data.getlist("more_units") if as_id(v)] if request.method == "POST" else []
    first = tickets[0] if tickets else None
    return render(request, "whistles/new.html", {
        "tickets": tickets, "tickets_raw": data.get("tickets", ""), "suggestions": suggestions,
        "chosen_ids": chosen_ids, "more": [{"value": u.pk, "label": u.name} for u in Unit.objects.filter(pk__in=more)],
        "levels": WhistleLevel.objects.filter(active=True), "triggers": Trigger.choices, "modes": Mode.choices,
        "forms": ReportForm.choices, "unit_kinds": SUMMONABLE, "error": error,
        "v": {
            "title": data.get("title", text_for(None, first, first.title) if first else ""),
            "description": data.get("description", text_for(None, first) if first else ""),
            "trigger": data.get("trigger", Trigger.PUBLIC if tickets else ""),
            "level": data.get("level", "normal"), "mode": data.get("mode", Mode.REGULAR),
            "address": data.get("address", first.address if first else ""),
            "form": {k: data.get(f"form_{k}", "") for k in [e["unit"].pk for e in suggestions]},
            "due": {k: data.get(f"due_{k}", "") for k in [e["unit"].pk for e in suggestions]},
        },
    }, status=400 if error else 200)


# ── the whistle page ────────────────────────────────────────────────────────

def visible_whistle(request, pk):
    whistle = Whistle.objects.select_related("level", "unit", "district", "place", "raised_by").filter(pk=pk).first()
    if whistle is None or not scoping.can_view(request.user, whistle):
        raise Http404(_("No such whistle."))
    return whistle


def action_labels():
    return {
        "approve": _("Sign the approval step"), "review": _("Review the quick whistle"),
        "summon": _("Summon another unit"), "check_in": _("Check in (报到)"), "object": _("Object"),
        "decide_objection": _("Decide the objection"), "withdraw": _("Withdraw the unit"),
        "add_task": _("Add a task"),
        "progress": _("Report progress"), "accept_task": _("Accept the task"), "close": _("Close the whistle"),
        "cancel": _("Cancel the whistle"), "supervise": _("Issue a supervision notice (督办)"),
        "report_to_district": _("Report to the district (Art.44)"), "rate": _("Rate"),
        "raise_to_district": _("Raise to the district (提级)"),
        "set_report_due": _("Move the report deadline (延期)"), "set_task_due": _("Move the task deadline (延期)"),
    }


@staff_only
def detail(request, pk):
    whistle = visible_whistle(request, pk)
    user, now = request.user, timezone.now()
    services.mark_notices_read(user, whistle)
    kept = request.session.pop("kept", None)
    summons = list(whistle.summons.select_related("unit", "checked_in_by"))
    for s in summons:
        s.status = summons_status(s, now)
        s.mine = scoping.is_summoned(user, s)
    tasks = list(whistle.tasks.select_related("unit", "accepted_by").prefetch_related("evidence"))
    for t in tasks:
        t.status = task_status(t, now)
        t.mine = user.unit_id == t.unit_id
    whistler = scoping.is_whistler(user, whistle)
    district = scoping.is_district_of(user, whistle)
    runner = scoping.runs(user, whistle)   # the whistling unit; after 提级 the district
    chain = list(whistle.level.approval_chain)
    approvals = list(whistle.approvals.select_related("by"))
    chain_state = rules.chain_state(chain, [(a.approved, a.by_id) for a in approvals])
    ratings = list(scoping.own_figures(user, whistle.ratings.select_related("unit", "rater")))
    rated = {(r.unit_id, r.by) for r in ratings}
    by_district = [s for s in summons if s.state != SummonsState.RELEASED   # a released unit is not rated
                   and rules.summoned_by_district(s.summoned_at, whistle.raised_to_district_at)]
    rate_targets = _rate_targets(user, whistle, summons, rated) if whistle.state == WhistleState.CLOSED else []
    for r in ratings:   # the summoner's rating of a unit the district summoned is the district's
        r.by_label = (whistle.district.name if r.by == RaterSide.STREET and r.unit_id in {s.unit_id for s in by_district}
                      else r.get_by_display())
    open_summons = [s for s in summons if s.state != SummonsState.RELEASED]
    may_raise_to_district = whistler and whistle.state == WhistleState.ACTIVE and not whistle.raised_to_district_at
    stalled = [(s.unit, s.report_due) for s in summons if s.status == "missing"] + [
        (t.unit, t.due) for t in tasks if t.status == "overdue"]
    return render(request, "whistles/detail.html", {
        "w": whistle, "state_class": STATE_CLASS.get(whistle.state, ""), "summons": summons, "tasks": tasks,
        "events": scoping.timeline_for(user, whistle, whistle.events.select_related("actor", "actor_unit",
                                                                                     "summons__unit", "task")),
        "tickets": whistle.tickets.select_related("street"), "attachments": whistle.attachments.all(),
        "chain": [{"name": name, "approval": next((a for a in approvals if a.step == i), None),
                   "position": Position(position).label if position else "",
                   "current": chain_state.next_index == i and whistle.state == WhistleState.APPROVAL}
                  for i, (name, position) in enumerate(zip(
                      chain, rules.chain_positions(chain, whistle.level.approval_positions)))],
        "ratings": ratings, "rate_targets": rate_targets, "whistler": whistler, "district": district,
        "rated_by_district": [s.unit for s in by_district] if whistler and whistle.state == WhistleState.CLOSED else [],
        "may_supervise": scoping.is_supervisor_of(user, whistle) and whistle.state == WhistleState.ACTIVE,
        "may_approve": whistler and whistle.state == WhistleState.APPROVAL,
        "may_review": whistler and whistle.needs_review and whistle.state in (WhistleState.ACTIVE,
                                                                             WhistleState.CLOSED),
        "may_close": runner and whistle.state == WhistleState.ACTIVE, "runner": runner,
        "may_raise_to_district": may_raise_to_district,
        "raise_proposal": sorted({u.name for u, _due in stalled}) if may_raise_to_district and rules.raise_proposed(
            [due for _u, due in stalled], now) else [],
        "propose_after_days": rules.PROPOSE_RAISE_AFTER_DAYS,
        "again_url": again_url(whistle) if whistler and whistle.state == WhistleState.CLOSED else "",
        "all_accepted": rules.close_refusal([t.state for t in tasks]) is None,
        "task_units": services.task_units(whistle) if runner and whistle.state == WhistleState.ACTIVE else [],
        "open_summons": open_summons, "no_duty": [s.unit for s in summons if s.has_duty is False],
        "forms": ReportForm.choices, "unit_kinds": SUMMONABLE, "labels": action_labels(), "kept": kept,
        "scores": range(1, 6), "score_fields": [("timeliness", _("Timeliness of report")), ("effort", _("Effort")),
                                                ("result", _("Result"))], "default_due": f"{timezone.localtime(services.default_task_due(whistle, now)):%Y-%m-%d}"
        if whistle.state == WhistleState.ACTIVE else "",
    })


def _rate_targets(user, whistle, summons, rated):
    """(unit, side) pairs `user` may still rate on a closed whistle: the whistling unit rates the units it summoned;
    after 提级 the district rates the units it summoned as their summoner, and assesses the rest (both sides)."""
    kept_on = [s for s in summons if s.state != SummonsState.RELEASED]
    if scoping.is_whistler(user, whistle):
        return [(s.unit, RaterSide.STREET) for s in kept_on if (s.unit_id, RaterSide.STREET) not in rated
                and not rules.summoned_by_district(s.summoned_at, whistle.raised_to_district_at)]
    if not scoping.is_district_of(user, whistle):
        return []
    summoner = scoping.is_raised_district(user, whistle)
    targets = [(whistle.unit, RaterSide.DISTRICT)] + [
        (s.unit, RaterSide.STREET if summoner and rules.summoned_by_district(s.summoned_at,
                                                                            whistle.raised_to_district_at)
         else RaterSide.DISTRICT) for s in kept_on]
    return [(u, side) for u, side in targets if (u.pk, side) not in rated]


def again_url(whistle):
    """再吹哨: a closed whistle is not reopened (its tickets were replied, its units rated, its closure counted);
    the matter coming back is whistled again, the form prefilled with its tickets, title, trigger and level and
    the earlier whistle's number and result heading the description."""
    head = _("Follow-up of %(number)s (closed %(date)s; result: %(result)s)") % {
        "number": whistle.number, "date": f"{timezone.localtime(whistle.closed_at):%Y-%m-%d}",
        "result": whistle.result}
    query = {"tickets": ",".join(t.number for t in whistle.tickets.all()), "title": whistle.title,
             "trigger": whistle.trigger, "level": whistle.level.code,
             "description": f"{head}\n\n{whistle.description}"}
    return f"{reverse('whistle_new')}?{urlencode(query)}"


def _bool(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on", "approve", "accept", "uphold")


def _summons_of(whistle, p):
    found = whistle.summons.filter(pk=as_id(p.get("summons"))).first()
    if found is None:
        raise DomainError(_("Choose a summoned unit."), field="summons")
    return found


def _task_of(whistle, p):
    found = whistle.tasks.filter(pk=as_id(p.get("task"))).first()
    if found is None:
        raise DomainError(_("Choose a task."), field="task")
    return found


ACTIONS = {
    "approve": lambda u, w, p, f: services.approve(u, w, p.get("decision") == "approve", p.get("note", "")),
    "review": lambda u, w, p, f: services.review(u, w, p.get("note", "")),
    "summon": lambda u, w, p, f: services.summon(u, w, as_id(p.get("unit")), p.get("form", ""),
                                                 p.get("due") or None),
    "check_in": lambda u, w, p, f: services.check_in(u, _summons_of(w, p), p.get("person", ""), p.get("lon"),
                                                      p.get("lat"), p.get("note", "")),
    "object": lambda u, w, p, f: services.object_to(u, _summons_of(w, p), p.get("reason", "")),
    "decide_objection": lambda u, w, p, f: services.decide_objection(u, _summons_of(w, p),
                                                                     p.get("decision") == "uphold", p.get("note", "")),
    "withdraw": lambda u, w, p, f: services.withdraw(u, _summons_of(w, p), p.get("reason", "")),
    "add_task": lambda u, w, p, f: services.add_task(u, w, as_id(p.get("unit")), p.get("title", ""),
                                                     p.get("criterion", ""), p.get("due") or None),
    "progress": lambda u, w, p, f: services.report_progress(u, _task_of(w, p), p.get("text", ""),
                                                            p.get("done") == "1", f.getlist("evidence")),
    "accept_task": lambda u, w, p, f: services.accept_task(u, _task_of(w, p), p.get("decision") == "accept",
                                                           p.get("note", "")),
    "close": lambda u, w, p, f: services.close(u, w, p.get("result", "")),
    "cancel": lambda u, w, p, f: services.cancel(u, w, p.get("reason", "")),
    "supervise": lambda u, w, p, f: services.supervise(u, w, as_id(p.get("unit")), p.get("text", "")),
    "report_to_district": lambda u, w, p, f: services.report_to_district(u, w, as_id(p.get("unit")),
                                                                         p.get("reason", "")),
    "raise_to_district": lambda u, w, p, f: services.raise_to_district(u, w, p.get("reason", "")),
    "set_report_due": lambda u, w, p, f: services.set_report_due(u, _summons_of(w, p), p.get("due", ""),
                                                                 p.get("reason", "")),
    "set_task_due": lambda u, w, p, f: services.set_task_due(u, _task_of(w, p), p.get("due", ""),
                                                             p.get("reason", "")),
    "rate": lambda u, w, p, f: services.rate(u, w, p.get("unit"), p.get("timeliness"), p.get("effort"),
                                             p.get("result"), p.get("comment", "")),
}


@require_POST
@staff_only
def act(request, pk, action):
    """POST /whistles/<id>/act/<action>/: call the service, then back to where the form was."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404(_("Unknown action."))
    whistle = visible_whistle(request, pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("whistle_detail", args=[whistle.pk])
    label = action_labels().get(action, action)
    try:
        handler(request.user, whistle, request.POST, request.FILES)
    except DomainError as exc:
        messages.error(request, _("%(action)s — not done: %(message)s") % {"action": label, "message": exc.message})
        data = {k: request.POST.get(k) for k in request.POST if k not in ("csrfmiddlewaretoken", "next", "pq")}
        request.session["kept"] = {"ticket": whistle.pk, "action": action, "field": exc.field,
                                   "message": exc.message, "data": data}
        return redirect(back)
    whistle.refresh_from_db()
    messages.success(request, _("%(number)s: %(action)s — done. State now: %(state)s.") % {
        "number": whistle.number, "action": label, "state": whistle.get_state_display()})
    return redirect(back)


@staff_only
def evidence(request, pk, evidence_id):
    whistle = visible_whistle(request, pk)
    found = Evidence.objects.filter(pk=evidence_id, task__whistle=whistle).first()
    if found is None:
        raise Http404
    return FileResponse(found.file.open("rb"), content_type=found.content_type, filename=found.name)


@staff_only
def attachment(request, pk, attachment_id):
    whistle = visible_whistle(request, pk)
    found = whistle.attachments.filter(pk=attachment_id).first()
    if found is None:
        raise Http404
    return FileResponse(found.file.open("rb"), content_type=found.content_type, filename=found.name)


# ── statistics ──────────────────────────────────────────────────────────────

def _date_param(request, name, label):
    """A date from the query string, or None; a value it cannot read is said (naming the field) and ignored."""
    from django.utils.dateparse import parse_date

    raw = request.GET.get(name, "").strip()
    try:
        value = parse_date(raw) if raw else None
    except ValueError:
        value = None
    if raw and value is None:
        messages.error(request, _("%(field)s: “%(v)s” is not a date (YYYY-MM-DD); not applied.")
                       % {"field": label, "v": raw})
    return value


@staff_only
def statistics(request):
    date_from = _date_param(request, "from", _("From"))
    date_to = _date_param(request, "to", _("To"))
    qs = stats.in_period(scoping.visible_whistles(request.user), date_from, date_to)
    counts = stats.counts(qs)
    months = counts["by_month"]
    peak = max((n for _m, n in months), default=0)
    rollup = stats.rating_rollup(qs, user=request.user)
    latest = max((r.month for r in rollup), default=None)
    return render(request, "whistles/stats.html", {
        "summary": stats.summary(qs, user=request.user), "counts": counts,
        "on_time": stats.report_on_time(qs, user=request.user),
        "months": [{"month": m, "n": n, "pct": round(100 * n / peak) if peak else 0} for m, n in months],
        "rollup": [r for r in rollup if r.month == latest][:30], "latest_month": latest,
        "date_from": request.GET.get("from", ""), "date_to": request.GET.get("to", ""),
    })
