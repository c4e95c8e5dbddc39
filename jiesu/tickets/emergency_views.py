"""The dispatch queue's poll for new emergencies (static/tickets/emergency_alert.js asks every 15 s)."""
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from jiesu.accounts.models import Role
from jiesu.core.params import as_id
from jiesu.tickets.emergencies import last_ticket_id, new_emergencies
from jiesu.tickets.views import roles


@require_GET
@roles(Role.DISPATCHER, Role.ADMIN)
def poll(request):
    """JSON: the emergencies awaiting dispatch recorded after the id `after` (in the queue's `district` when the
    page chose one; without it, after the last ticket): {"last": the id to ask after next time, "count": n,
    "emergencies": [the newest, at most 5]}."""
    found = new_emergencies(request.user, poll_after(request.GET.get("after")), as_id(request.GET.get("district")))
    return JsonResponse({"last": found.last, "count": found.count, "emergencies": [
        {"id": e.pk, "number": e.number, "line": e.line, "title": e.title, "call_back": e.call_back,
         "url": reverse("ticket_detail", args=[e.pk])} for e in found.named]})


def poll_after(value):
    """The id the poll asks after: 0 from a page drawn with no ticket at all; none or nonsense, the last ticket's."""
    return 0 if value == "0" else as_id(value) or last_ticket_id()
