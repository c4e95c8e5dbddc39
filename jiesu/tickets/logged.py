"""Dispatches made on the ticket page and over the API, logged on the dispatcher's desk.

Every dispatch — the desk's, the ticket page's, the API's, an arbitration that re-dispatches —
writes one `DispatchSuggestion` row (jiesu.dispatch): the engine's suggestions at that moment
and what was chosen, so an override is a training signal and the accuracy page counts it.
The ticket itself changes only in jiesu.tickets.services. jiesu.dispatch is imported when
called: the ticket core does not import the apps built on it at load time.
"""
from django.db import transaction

from jiesu.tickets import services


def dispatch(user, ticket, lead_unit_id, co_unit_ids=(), note="", category_code=None, *, source,
             confirm_negative=False):
    """services.dispatch through jiesu.dispatch.services.dispatch_and_log. Returns the ticket."""
    from jiesu.dispatch import services as desk

    ticket, _row = desk.dispatch_and_log(user, ticket, lead_unit_id, co_unit_ids, note, category_code,
                                         source=source, confirm_negative=confirm_negative)
    return ticket


def arbitrate(user, ticket, uphold, note="", lead_unit_id=None, co_unit_ids=(), *, source, confirm_negative=False,
              category_code=None):
    """services.arbitrate; when it upholds the return and re-dispatches to `lead_unit_id`, the new
    dispatch is logged like any other (in the same transaction), with the category it corrected, if any: a
    dispatch the suggestions did not name is an override. Returns the ticket."""
    from jiesu.dispatch import services as desk

    redispatch = bool(uphold and lead_unit_id)
    suggestions = desk.safe_suggestions(ticket) if redispatch else None  # the engine, before any row is locked
    with transaction.atomic():
        ticket = services.arbitrate(user, ticket, uphold, note, lead_unit_id, co_unit_ids,
                                    confirm_negative=confirm_negative, category_code=category_code)
        if redispatch:
            desk.record(ticket, suggestions, user, source)
    return ticket
