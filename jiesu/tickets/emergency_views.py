"""The dispatch queue's poll for new emergencies (static/tickets/emergency_alert.js asks every 15 s)."""
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from jiesu.accounts.models import Role
from jiesu.core.params import as_id
from jiesu.tickets.emergencies import new_emergencies
from jiesu.tickets.views import roles


@require_GET
@roles(Role.DISPATCHER, Role.ADMIN)
def poll(request):
    """JSON: the emergencies awaiting dispatch recorded after the id `after` (in the queue's `district` when the
    page chose one): {"last": the id to ask after next time, "count": n, "emergencies": [the newest, at most 5]}."""
    found = new_emergencies(request.user, as_id(request.GET.get("after")) or 0, as_id(request.GET.get("district")))
    return JsonResponse({"last": found.last, "count": found.count, "emergencies": [
        {"id": e.pk, "number": e.number, "line": e.line, "title": e.title, "call_back": e.call_back,
         "url": reverse("ticket_detail", args=[e.pk])} for e in found.named]})
