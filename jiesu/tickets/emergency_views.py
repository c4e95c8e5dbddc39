"""The dispatch queue's poll for new emergencies and those back in the queue (static/tickets/emergency_alert.js asks
every 15 s)."""
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jiesu.accounts.middleware import not_activity
from jiesu.accounts.models import Role
from jiesu.core.params import as_id
from jiesu.core import id_cursor
from jiesu.tickets.emergencies import event_start_cursor, new_emergencies, ticket_start_cursor
from jiesu.tickets.views import roles


@not_activity  # asked every 15 s by the page itself: no activity of the dispatcher's (accounts.middleware)
@require_GET
def poll(request):
    """The poll; a lapsed login is answered 401 in JSON (the page says that its alerts stopped), not sent to the
    login page, whose HTML the page's fetch would read as nothing and go on polling in silence."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login", "message": _(
            "Emergency alerts have stopped: your login has expired. Reload this page and log in again.")}, status=401)
    return poll_of(request)


@roles(Role.DISPATCHER, Role.ADMIN)
def poll_of(request):
    """JSON: the emergencies awaiting dispatch recorded above the ticket cursor (`after`, `held`, `since`), and
    those put back in the queue by events above the event cursor (`after_event`, `held_event`, `since_event`), in
    the queue's `district` when the page chose one; without a cursor, from where a page drawn now would start:
    {"last", "held", "since": the ticket cursor to send next time, "last_event", "held_event", "since_event": the
    event cursor, "count": n, "emergencies": [those back in the queue, then the new ones, at most 5]}."""
    found = new_emergencies(request.user, page_cursor(request.GET, "", ticket_start_cursor),
                            as_id(request.GET.get("district")),
                            page_cursor(request.GET, "_event", event_start_cursor))
    return JsonResponse({**cursor_json(found.cursor, ""), **cursor_json(found.event_cursor, "_event"),
                         "count": found.count, "emergencies": [
        {"id": e.pk, "number": e.number, "line": e.line, "title": e.title, "call_back": e.call_back,
         "requeued": e.requeued, "url": reverse("ticket_detail", args=[e.pk])} for e in found.named]})


def page_cursor(params, suffix, start):
    """The cursor the page sent (`after{suffix}`, `held{suffix}`, `since{suffix}`): after 0 from a page drawn with
    no row at all; none or nonsense, `start()`."""
    value = params.get("after" + suffix)
    after = 0 if value == "0" else as_id(value)
    if after is None:
        return start()
    return id_cursor.from_page(after, params.get("held" + suffix, ""), params.get("since" + suffix))


def cursor_json(cursor, suffix):
    last = "last" + suffix
    return {last: cursor.after, "held" + suffix: cursor.held_text(), "since" + suffix: cursor.since}
