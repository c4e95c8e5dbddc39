"""The work list's batch action: 批量签收 (sign for the ticked tickets at once).

A department is dispatched hundreds of tickets a day, each to be signed for within hours; opening each ticket's
page to press 签收 was the only way. Each ticket is signed through services.sign as the ticket page signs it (lead
or co, its own transaction and event), so a refusal of one leaves the others signed.
"""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_http_methods

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.core.params import as_id
from jiesu.dispatch.views import _back
from jiesu.tickets import services
from jiesu.tickets.views import roles

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
