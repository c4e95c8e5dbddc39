"""Drafts: what is typed into a form is kept in the browser tab until its action is done (app.js, "drafts").

The server names a form's draft (`data-draft`), says whether the page may refill it (`data-draft-restore`: not
when the server refills the form itself after a refusal) and ends the draft through the success message's
extra tag (`done`), so an expired security token, a lapsed login or a reload loses nothing that was typed.
The drafts are the only refill: a draft form is `autocomplete="off"`, so the browser's own restoring of form
fields (the Back button) does not bring back the text of a request already recorded, to be recorded again.

A logout, in any tab or in the admin, sets the `LOGOUT_COOKIE` to a new mark; a draft remembers the mark it was
typed under, and every tab drops the drafts of an earlier mark within a second, when it next shows a page or
is looked at again (a lapsed login changes no mark: its drafts stay for the same user).
"""
import uuid

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

INTAKE = "intake"
LOGOUT_COOKIE = "jiesu_logout"
REOPENED_BY_GET = ("intake", "ticket_act")  # forms whose own URL opens their page (an action's, its ticket)


def of_action(ticket_id, action):
    """The draft of one action's form on one ticket (the reply to 20261203-0000042 is not another ticket's)."""
    return f"ticket-{ticket_id}-{action}"


def way_back(request):
    """The page a POSTed form was on, where its draft is filled in again: its same-site Referer, else the form's
    own same-site `next` (the page its action leads back to, e.g. the desk's accept → the desk), else its own
    address if a GET of it opens that page (REOPENED_BY_GET), else ""."""
    for candidate in (request.META.get("HTTP_REFERER", ""), request.POST.get("next", "")):
        if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure()):
            return candidate
    try:
        opens = resolve(request.path_info).url_name in REOPENED_BY_GET
    except Resolver404:
        opens = False
    return request.path if opens else ""


def of_ticket(ticket_id):
    """What the drafts of one ticket's forms begin with: its page drops those whose form it no longer shows."""
    return of_action(ticket_id, "")


def done(name):
    """The extra tag of the message that says the form's action is done: the page then drops the draft."""
    return f"draft:{name}"


def attributes(name, restore=True):
    """The form's data attributes, for a template."""
    return format_html('data-draft="{}"{} autocomplete="off"', name,
                       format_html(" data-draft-restore") if restore else "")


def mark_logout(response):
    """Tell every tab that drafts typed so far belong to a session that ended (read by app.js, hence not
    HttpOnly; the mark is random and says nothing about the user)."""
    response.set_cookie(LOGOUT_COOKIE, uuid.uuid4().hex, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
    return response
