"""The duplicate panels (HTMX): at intake while the call-taker types, and on a ticket for the dispatcher.

    POST (or GET) /intake-check/  text=…&title=…&address=…&lon=…&lat=…&street=<code>&citizen_phone=…&merge_into=<id>
        the intake page's panel: similar open tickets (each with 合并到此单), and — swapped out of
        band into #intake-alerts — the emergency prompt (title and text) and the repeat-request flag.
        format=json gives the same as JSON. The page POSTs: a long description does not fit in a
        URL (servers refuse request lines of a few KB).
    GET /intake-check/ticket/<id>/
        for the ticket and dispatch pages: the emergency prompt of an open ticket whose text reads
        like an emergency (a request from the app or the web reaches the dispatcher with no
        call-taker having seen it), with 分类处置 as an emergency for those who may close it so;
        the call-taker's merge proposal(s) and similar open tickets, with the merge button for
        those who may merge (the dispatcher).

Only the hotline's call-takers and dispatchers and administrators may look: the panels show
other citizens' requests. Every change goes through jiesu.tickets.services.
"""
from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from jiesu.core import scoping
from jiesu.core.params import as_id
from jiesu.dispatch import duplicates
from jiesu.dispatch import services as desk
from jiesu.tickets import lifecycle, queries, services
from jiesu.tickets.models import Ticket


def _refused(request):
    return HttpResponse(_("Your role may not see similar tickets."), status=403,
                        content_type="text/plain; charset=utf-8")


@login_required
@require_http_methods(["GET", "POST"])
def intake_check(request):
    if not duplicates.may_check(request.user):
        return _refused(request)
    params = request.POST if request.method == "POST" else request.GET
    draft = duplicates.Draft.from_params(params)
    chosen = as_id(params.get("merge_into"))
    result = duplicates.check_intake(request.user, draft, chosen=chosen)
    place_from_text = _repeats_as_recorded(request.user, draft, result)
    if params.get("format") == "json":
        return JsonResponse(result.as_dict())
    repeat_ids = {r.ticket.pk for r in result.repeats}
    return render(request, "dispatch/duplicates_panel.html", {
        "check": result, "chosen": chosen, "draft": draft, "repeat_ids": repeat_ids,
        "services": duplicates.SERVICES, "chosen_gone": _chosen_gone(result, chosen),
        "place_from_text": place_from_text,
    })


def _repeats_as_recorded(user, draft, result):
    """The repeat flags compared with the place the ticket will be recorded with (coordinates, the street chosen or
    the address: services.locate), as duplicates.flag_repeats stores them, not with a place the panel only read in
    the description (the ticket keeps none): the box says what the dispatcher will read (audit 11, finding 12).
    True when the panel's place came from the description alone."""
    if not result.repeats or result.place is None or not result.place.known:
        return False
    recorded = duplicates.place_of_draft(replace(draft, text=""))
    if recorded.known:
        return False
    result.repeats = duplicates.same_caller(user, draft, recorded)
    return True


def _chosen_gone(result, chosen):
    """The number of the ticket the call-taker had chosen to merge into when it is no longer offered (finished,
    merged into another or no longer alike since): the panel says so instead of dropping the choice unsaid."""
    if chosen is None or any(c.chosen for c in result.candidates) or result.building:
        return None
    gone = Ticket.objects.filter(pk=chosen).only("created_at").first()
    return gone.number if gone else "?"


def _direction(user, ticket, other, item):
    """Which way `ticket` and `other` merge (the newer or unhandled one goes into the other: services.merge_parent),
    whether `user` may do it (the form acts on the ticket that joins the other) and why the two may not be one
    matter (services.merge_doubts: the form shows them with the box that confirms the merge)."""
    item.into_this = services.merge_parent(ticket, other) is ticket
    moving, into = (other, ticket) if item.into_this else (ticket, other)
    item.may_merge = lifecycle.allowed("merge", moving.state, services.effective_role(user))
    item.doubts = services.merge_doubts(moving, into) if item.may_merge else []  # the form asks them at once


@login_required
@require_GET
def ticket_check(request, pk):
    if not duplicates.may_check(request.user):
        return _refused(request)
    ticket = queries.ticket_for_page(pk)
    if ticket is None or not scoping.can_view(request.user, ticket):
        raise Http404(_("No such ticket."))
    actions = services.available_actions(request.user, ticket)
    found = duplicates.ticket_duplicates(request.user, ticket)
    for item in found.proposals:  # a flag may name a ticket that should join this one (this one is with a unit)
        _direction(request.user, ticket, item.into, item)
    for c in found.incoming + found.similar:  # never a unit's ticket into a fresh one
        _direction(request.user, ticket, c.ticket, c)
    emergency = desk.emergency_of(ticket) if ticket.is_open else None
    return render(request, "dispatch/duplicates_ticket.html", {
        "ticket": ticket, "proposals": found.proposals, "incoming": found.incoming, "similar": found.similar,
        "emergency": emergency, "may_close_special": "close_special" in actions,
        "emergency_note": duplicates.emergency_note(emergency.number, emergency) if emergency else "",
        "services": duplicates.SERVICES,
        "next": request.GET.get("next") or request.headers.get("HX-Current-URL", ""),
    })
