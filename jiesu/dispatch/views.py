"""The dispatcher's desk pages: the suggestion panel of a ticket (HTMX), accepting a suggestion, accuracy.

    GET  /dispatch/desk/<id>/suggestions/   the top-3 panel (the dispatch queue loads it lazily
                                            while the engine is not loaded yet in this process)
    POST /dispatch/desk/<id>/accept/        rank=1|2|3 (+ expect_category_<rank>, expect_lead_<rank>):
                                            dispatch that suggestion as suggested, logged
    GET  /dispatch/accuracy/?weeks=12       suggestion accuracy by week and category, returns

The panel sits in the dispatch queue and on the ticket page through the `desk`
template tags (jiesu/dispatch/templatetags/desk.py). Every change goes through
jiesu.dispatch.services, which dispatches through jiesu.tickets.services.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.dispatch import services as desk
from jiesu.dispatch.memory import MOST_ROWS
from jiesu.dispatch.models import SuggestionSource
from jiesu.tickets import queries
from jiesu.tickets.models import State

DESK_ROLES = (Role.DISPATCHER, Role.ADMIN)
#: A suggestion shown under this percentage is not dispatched by one key (desk.js asks for the form): the model
#: gives it less than 1 chance in 20, a guess rather than a suggestion (docs/dispatch-desk.md, "Keyboard").
ONE_KEY_FLOOR_PERCENT = 5


def _ticket(request, pk):
    ticket = queries.ticket_for_page(pk)
    if ticket is None:
        raise Http404(_("No such ticket."))
    scoping.require_view(request.user, ticket)
    return ticket


def _back(request, ticket):
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return reverse("dispatch_queue")


def panel_context(ticket):
    """What dispatch/desk_suggestions.html shows for a ticket: its suggestions, each marked dispatchable."""
    found = desk.safe_suggestions(ticket)
    rows = [suggestion_row(s, found.cold_start) for s in found]
    return {"t": ticket, "rows": rows, "model": found.classifier, "cold_start": found.cold_start, "lazy": False,
            "one_key_floor": f"{ONE_KEY_FLOOR_PERCENT}%",
            "unreadable": desk.unreadable_model_file(found.cold_start),
            "warning": desk.accept_warning(ticket) if rows else None, "place_note": unplaced_reason(found.place)}


def suggestion_row(suggestion, cold_start=False):
    """A suggestion as the panel shows it: its percentage, whether it can be dispatched as suggested and whether one
    key may do it. The floor is compared with the percentage shown (5% on the screen is 5%), and not applied to the
    cold start, whose percentages only rank (a right suggestion shows at 1–10 %: the panel's head says so)."""
    percent = f"{suggestion.confidence:.0%}"
    return {"s": suggestion, "dispatchable": desk.dispatchable(suggestion), "percent": percent,
            "one_key": cold_start or int(percent[:-1]) >= ONE_KEY_FLOOR_PERCENT}


def unplaced_reason(place):
    """Why no street was found for the ticket (「八里庄」有多处…，请补充所在区), which tells the dispatcher what to ask
    or choose, and whether the district was (the panel says which is missing); None when a street was found (the
    suggestions name it) or there is no reason to give."""
    if place is None or place.street is not None or not place.reason:
        return None
    return {"reason": place.reason, "district": place.district}


@login_required
@require_GET
def suggestions(request, pk):
    scoping.require_role(request.user, *DESK_ROLES)
    ticket = _ticket(request, pk)
    if ticket.state != State.NEW:  # dispatched meanwhile (another tab, auto-dispatch) or closed: nothing to accept
        return HttpResponse(format_html('<p class="desk-gone">{}</p>', _(
            "This ticket is no longer waiting for dispatch (%(state)s).") % {"state": ticket.get_state_display()}))
    context = panel_context(ticket)
    context["next"] = request.GET.get("next") or request.headers.get("HX-Current-URL", "")
    return render(request, "dispatch/desk_suggestions.html", context)


@login_required
@require_POST
def accept(request, pk):
    """Dispatch suggestion #rank as suggested; a refusal comes back as a message naming the problem."""
    scoping.require_role(request.user, *DESK_ROLES)
    ticket = _ticket(request, pk)
    back = _back(request, ticket)
    rank = request.POST.get("rank", "")
    try:
        ticket, row = desk.accept(request.user, ticket, rank, request.POST.get("note", ""),
                                  expect_category=request.POST.get(f"expect_category_{rank}", ""),
                                  expect_lead=request.POST.get(f"expect_lead_{rank}") or None,
                                  confirm=request.POST.get("confirm") == "1", source=SuggestionSource.DESK)
    except DomainError as exc:
        messages.error(request, _("Suggestion not dispatched: %(message)s") % {"message": exc.message})
        return redirect(back)
    messages.success(request, _("%(number)s dispatched as suggestion #%(rank)s: %(category)s → %(unit)s.") % {
        "number": ticket.number, "rank": row.accepted_rank, "category": ticket.category.name,
        "unit": ticket.lead_unit.name})
    return redirect(back)


def _weeks(value, default=desk.DEFAULT_WEEKS):
    """(weeks, the value given when it was not 1–52 weeks, else None): `?weeks=` out of range is brought into it
    and a value that is no whole number gives the default, and the page says so (not silently)."""
    if value is None or value.strip() == "":
        return default, None
    try:
        given = int(value)
    except (TypeError, ValueError):
        return default, value
    weeks = min(52, max(1, given))
    return weeks, (None if weeks == given else value)


def may_see_raw_errors(user):
    """Whether the accuracy page may show a retraining's own error text (server paths, exceptions): to the back
    office's staff and administrators, who also read it in the admin's list of retrainings; not to a district's
    or a street's supervisors."""
    return bool(user.is_superuser or user.role == Role.ADMIN or user.is_staff)


@login_required
@require_GET
def accuracy(request):
    """建议准确率: how often the dispatchers took the engine's suggestion, and what wrong dispatches cost."""
    scoping.require_role(request.user, *desk.ACCURACY_ROLES)
    weeks, corrected = _weeks(request.GET.get("weeks"))
    report, computed_at = desk.accuracy_for(request.user, weeks)
    desk.abandon_lost_retrain_runs()  # a run killed while no worker runs is not shown as running
    staff = may_see_raw_errors(request.user)
    return render(request, "dispatch/accuracy.html", {
        "report": report, "computed_at": computed_at, "weeks": weeks, "week_choices": sorted({4, 12, 26, 52, weeks}),
        "weeks_given": corrected[:24] if corrected is not None else None,
        "categories": report.categories[:40], "title": _("Dispatch accuracy"), "model": desk.model_in_use(),
        "schedule": desk.retrain_schedule(), "retrain_runs": desk.last_retrain_runs(), "rows_most": MOST_ROWS,
        "show_reason": staff, "other_runs": desk.other_retrain_runs() if staff else 0,
    })
