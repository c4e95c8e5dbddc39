"""What the dispatch queue's cards say about how a ticket came back to the hotline (besides
services.rehandles_returned, a re-handling the negative list barred)."""
from django.db.models import Q

from jiesu.tickets.models import State, TicketEvent


def barred_grid_step_ups(tickets):
    """{ticket id: the handover's words} for those of `tickets` (waiting in the dispatch queue) that a grid worker's
    report or step up sent to the hotline because the negative list bars the unit the duty list names or the next
    level (grids.services: _route, escalate; the grid page says 「上报：转热线派单」). The card marks them
    「网格上报 · 负面清单转派」. One query: each ticket's grid handovers and the events that put it back to 新建
    (a later one, a re-handling sent back, say, is the card's story instead)."""
    latest = {}
    came_back = Q(kind="grid_handover") | (Q(to_state=State.NEW) & ~Q(from_state=State.NEW))
    for event in (TicketEvent.objects.filter(came_back, ticket__in=[t.pk for t in tickets])
                  .only("ticket_id", "kind", "note", "payload").order_by("at", "id")):
        latest[event.ticket_id] = event
    return {pk: e.note for pk, e in latest.items() if e.kind == "grid_handover" and e.payload.get("negative_list")}
