"""The dispatch queue's poll for new emergencies and those back in the queue (static/tickets/emergency_alert.js asks
every 15 s)."""
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from jiesu.accounts.models import Role
from jiesu.core.params import as_id
from jiesu.tickets.emergencies import last_event_id, last_ticket_id, new_emergencies
from jiesu.tickets.views import roles


@require_GET
@roles(Role.DISPATCHER, Role.ADMIN)
def poll(request):
    """JSON: the emergencies awaiting dispatch recorded after the ticket id `after`, and those put back in the queue
    by events after the event id `after_event` (in the queue's `district` when the page chose one; without a
    cursor, after the last ticket or event): {"last": the ticket id to ask after next time, "last_event": the event
    id, "count": n, "emergencies": [those back in the queue, then the new ones, at most 5]}."""
    found = new_emergencies(request.user, poll_after(request.GET.get("after"), last_ticket_id),
                            as_id(request.GET.get("district")),
                            poll_after(request.GET.get("after_event"), last_event_id))
    return JsonResponse({"last": found.last, "last_event": found.last_event, "count": found.count, "emergencies": [
        {"id": e.pk, "number": e.number, "line": e.line, "title": e.title, "call_back": e.call_back,
         "requeued": e.requeued, "url": reverse("ticket_detail", args=[e.pk])} for e in found.named]})


def poll_after(value, last_id):
    """The id the poll asks after: 0 from a page drawn with none at all; none or nonsense, `last_id()`."""
    return 0 if value == "0" else as_id(value) or last_id()
