"""The page's "done" message after a citizen's action gives the state in their words (docs/citizen.md).
Left uncommitted with its fix (jiesu/tickets/views.py, act(): citizen.state_words) while views.py holds another
engineer's uncommitted CappedPaginator hunks."""
from jiesu.tickets.models import Ticket
from tickets.helpers import new_ticket, reply_to


def own_replied(world):
    t = new_ticket(world)
    Ticket.objects.filter(pk=t.pk).update(citizen_user=world.citizen)
    reply_to(world, Ticket.objects.get(pk=t.pk), text="已清理占道摊点")
    return Ticket.objects.get(pk=t.pk)


def test_the_done_message_gives_the_state_in_the_citizens_words(world, citizen_client):
    t = own_replied(world)
    response = citizen_client.post(f"/tickets/{t.pk}/act/rate/", {"resolved": "unresolved",
                                                                  "satisfied": "dissatisfied"}, follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert said and "办理中" in said[0] and "已派单" not in said[0]
