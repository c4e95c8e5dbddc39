"""The unit's work list (工单办理) and its batch action, 批量签收 (sign for the ticked tickets at once).

The list: the unit's assignments under its filters (queries.work_assignments), narrowed here by the ticket's street,
its category (and those below it) and the deadline of the unit's own next step (今天到期 / 一个工作日内到期 / 已超期),
which a department's clerk, holding tickets of the whole city and of many matters, asked for.

批量签收: a department is dispatched hundreds of tickets a day, each to be signed for within hours; opening each
ticket's page to press 签收 was the only way. Each ticket is signed through services.sign as the ticket page signs it
(lead or co, its own transaction and event), so a refusal of one leaves the others signed.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_http_methods

from jiesu.accounts.models import Role
from jiesu.categories.models import Category
from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.core.params import as_id
from jiesu.dispatch.views import _back
from jiesu.tickets import queries, services
from jiesu.tickets.forms import WorkFilterForm
from jiesu.tickets.views import category_label, page_of, render_page, roles, unit_label
from jiesu.workcal.services import current_calendar

DUE_WINDOWS = ("today", "working_day", "overdue")


@dataclass
class Narrowing:
    """The work list's filters beyond queries.WorkFilters: the ticket's street (a unit id), a category code (it and
    those below it), a deadline window of the unit's own next step (DUE_WINDOWS)."""
    street: int | None = None
    category: str = ""
    due: str = ""


def due_window(window, now):
    """(from, before) of a deadline window: 已超期 before now; 今天到期 from now to the local midnight; 一个工作日内到期
    from now to one working day of the calendar later (a Friday afternoon's reaches Monday's)."""
    if window == "overdue":
        return None, now
    if window == "today":
        return now, (timezone.localtime(now) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return now, current_calendar().add_working_days(now, 1)


def narrowed(assignments, narrowing, now):
    """The assignments of the ticket's street, of the category or below it, whose next step falls due in the
    window (next_step_due_expression: the 下一步 column's deadline; a copy, or a step done, has none)."""
    if narrowing.street:
        assignments = assignments.filter(ticket__street_id=narrowing.street)
    if narrowing.category:
        # the category's ids, asked of its own small table (517 rows in Beijing's tree), not a LIKE on the code joined
        # to every ticket of the unit: 409 ms against 82 ms unfiltered on a fresh PostgreSQL (bench/work_filters.py)
        assignments = assignments.filter(ticket__category__in=Category.objects.filter(
            queries.code_under("code", narrowing.category)).values("pk"))
    if narrowing.due in DUE_WINDOWS:
        start, end = due_window(narrowing.due, now)
        assignments = assignments.alias(next_due=queries.next_step_due_expression()).filter(
            Q(next_due__lt=end) & (Q(next_due__gte=start) if start else Q()))
    return assignments


def view_counts(user, filters, narrowing, now):
    """{view: assignments} of the work list's tabs under every filter, the narrowing included, in one query."""
    return queries.worklist_counts(user, filters, now, narrow=lambda assignments: narrowed(assignments, narrowing, now))


def read_filters(request):
    """(form, WorkFilters, Narrowing) from the GET parameters: a value the form refuses (due=tomorrow) is dropped
    alone, the other filters kept (cleaned_data holds the fields that passed)."""
    form = WorkFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})  # an unbound form has none
    view = request.GET.get("view", "")
    filters = queries.WorkFilters(state=data.get("state", ""), role=data.get("role", ""),
                                  overdue=bool(data.get("overdue")), q=(data.get("q") or "").strip(),
                                  view=view if view in queries.WORK_VIEWS else "current", step=data.get("step", ""))
    narrowing = Narrowing(street=as_id(data.get("street")), category=(data.get("category") or "").strip(),
                          due=data.get("due") or "")
    return form, filters, narrowing


def mark_urgency(page):
    """Each row's next step, its deadline and its colour: orange where the deadline scan warns (approaching_point:
    working time for a working limit), red past it; the reply deadline's when it is the more pressing."""
    from jiesu.core.templatetags.jiesu_ui import approaching, approaching_point, urgency

    for a in page:
        a.next_due, _start, a.next_step = queries.next_step_due(a)
        a.next_point = approaching(a, a.next_step) if a.next_step else None
        a.urgency = urgency(a.next_due, a.next_point)
        reply_level = (urgency(a.ticket.reply_due, approaching_point(a.ticket, "reply"))
                       if a.ticket.state in queries.HANDLING else "")
        if reply_level == "overdue" or (reply_level == "soon" and not a.urgency):
            a.urgency = reply_level


FILTER_PARAMS = ("state", "role", "overdue", "q", "step", "street", "category", "due")


@roles(Role.UNIT_STAFF, Role.GRID_WORKER, Role.SUPERVISOR, Role.ADMIN)
def worklist(request):
    now = timezone.now()
    form, filters, narrowing = read_filters(request)
    page = page_of(request, narrowed(queries.worklist(request.user, filters, now), narrowing, now))
    counts = view_counts(request.user, filters, narrowing, now)
    mark_urgency(page)
    notices, notice_count = queries.unit_notices(request.user)
    from jiesu.tickets.notices import words_for

    for n in notices:  # masked and in the reader's language, as on the notices page
        n.words = words_for(request.user, n)
    steps = {"sign": _("Sign for"), "contact": _("Contact the citizen"), "reply": _("Reply")}
    return render_page(request, "tickets/worklist.html", {
        "form": form, "page": page, "notices": notices, "notice_count": notice_count, "steps": steps,
        "filters": filters, "history_days": queries.HISTORY_OVERDUE.days,
        "street_label": unit_label(narrowing.street), "category_label": category_label(narrowing.category),
        "views": [(key, label, counts[key]) for key, label in (("current", _("Current work")),
                                                                ("history", _("Imported history")))],
        "filtered": any(request.GET.get(name) for name in FILTER_PARAMS),
    })


BATCH_MAX = 100  # tickets signed for in one request (the work list's page holds 25)


@require_http_methods(["GET", "POST"])
@roles(Role.UNIT_STAFF, Role.GRID_WORKER)
def batch_sign(request):
    """POST /work/sign/: sign for the tickets ticked (`ticket`), or every row of the page to sign for (`whole_page`
    with the page's `page_ticket`). A GET (after a lapsed login) opens the work list."""
    if request.method == "GET":
        return redirect("worklist")
    back = _back(request, fallback="worklist")  # the list as it was (its filters and page)
    field = "page_ticket" if request.POST.get("whole_page") else "ticket"
    ids = list(dict.fromkeys(pk for pk in map(as_id, request.POST.getlist(field)) if pk))
    if not ids:
        messages.warning(request, _("Tick the tickets to sign for first."))
        return redirect(back)
    if len(ids) > BATCH_MAX:
        messages.error(request, _("At most %(n)s tickets can be signed for at once.") % {"n": BATCH_MAX})
        return redirect(back)
    tickets = list(scoping.visible_tickets(request.user).filter(pk__in=ids).order_by("pk"))
    signed, refused = 0, []
    for ticket in tickets:
        try:
            services.sign(request.user, ticket)
        except DomainError as exc:
            refused.append(_("%(number)s (%(why)s)") % {"number": ticket.number, "why": exc.message})
        else:
            signed += 1
    if signed:
        messages.success(request, ngettext("Signed for %(n)s ticket.", "Signed for %(n)s tickets.", signed)
                         % {"n": signed})
    unknown = len(ids) - len(tickets)
    if refused or unknown:
        parts = refused + ([_("%(n)s not among your unit's tickets") % {"n": unknown}] if unknown else [])
        messages.error(request, _("%(n)s not signed for: %(which)s") % {
            "n": len(refused) + unknown, "which": pgettext("list of tickets", "; ").join(parts)})
    return redirect(back)
