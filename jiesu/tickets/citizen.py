"""What a citizen reads about their own request: the progress page (/tickets/<id>/ for its citizen), the public
/track/ page and the API's answers to a citizen (docs/citizen.md).

A request merged into another one gets that one's reply (or direct answer): written to the other caller, it may name
them and quote their number. The citizen of the merged request reads it with the other caller's name and every
phone, ID and bank-card number masked (jiesu.core.text_masking), also once the request was split off again (its
former parent's reply stays on it until its own unit replies).

The citizen reads the state in their words (办理中, not 已签收 or 退单审核中: STATE_WORDS) and, under it, what happens
next and by when (next_step): the date the request is to reach a unit or the unit is to reply, that it is handled
again after they said at the callback that it was not resolved or they were not satisfied, the callback's result,
or why it was closed without a unit (the class of Art.11, never the call-taker's note).
"""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.templatetags.jiesu_ui import dt
from jiesu.core.text_masking import masked_text
from jiesu.tickets.models import (HANDLING_STATES, OPEN_STATES, CloseReason, Resolved, Satisfied, SpecialClass, State,
                                  Ticket)

#: The events whose note is the words the citizen gets (a reply or a direct answer).
ANSWERS = ("reply", "answer")


def passed_on(event):
    """The name of the other caller whose ticket `event` (a reply or an answer) came from, or None when it is the
    ticket's own ("" when that caller gave no name)."""
    source = (event.payload or {}).get("via_parent")
    if not source:
        return None
    return Ticket.objects.filter(pk=source).values_list("citizen_name", flat=True).first() or ""


def answer_words(event, text=None):
    """`text` (the event's note by default) as the citizen reads it: masked when it came from another caller's
    ticket."""
    text = event.note if text is None else text
    name = passed_on(event)
    return text if name is None else masked_text(text, name)


def reply_for_citizen(ticket):
    """The ticket's reply as its citizen (or anyone tracking it) reads it."""
    if not ticket.reply_text:
        return ""
    last = ticket.events.filter(kind__in=ANSWERS).order_by("-at", "-pk").first()
    return ticket.reply_text if last is None else answer_words(last, ticket.reply_text)


#: The ticket's state as its citizen reads it: the steps inside a unit (signed, contacted) are all 办理中, a return
#: in arbitration is the hotline finding the unit.
STATE_WORDS = {
    State.NEW: gettext_lazy("Being sent to a unit"),
    State.ANSWERED: gettext_lazy("Answered"),
    State.DISPATCHED: gettext_lazy("Being handled"),
    State.SIGNED: gettext_lazy("Being handled"),
    State.CONTACTED: gettext_lazy("Being handled"),
    State.RETURNED: gettext_lazy("Finding the responsible unit"),
    State.REPLIED: gettext_lazy("Replied, callback to come"),
    State.CLOSED: gettext_lazy("Closed"),
    State.MERGED: gettext_lazy("Handled with the same matter"),
}

#: Why a request was closed without a unit (条例 Art.11), in the citizen's words.
SPECIAL_WORDS = {
    SpecialClass.EMERGENCY: gettext_lazy("it is an emergency: it was passed to 110, 119, 120 or 122"),
    SpecialClass.STATUTORY: gettext_lazy("it is to be settled by litigation, arbitration, petition or another "
                                         "channel set by law: please take it there"),
    SpecialClass.REPEAT: gettext_lazy("it repeats a request already being handled, with no new facts: it is "
                                      "followed with that one"),
    SpecialClass.SECRET: gettext_lazy("it concerns state secrets, commercial secrets or someone's privacy"),
    SpecialClass.MARKET: gettext_lazy("it is a market matter between private parties"),
    SpecialClass.UNLAWFUL: gettext_lazy("it asks for something against the law or public order"),
}


def state_words(ticket):
    return STATE_WORDS.get(ticket.state, ticket.get_state_display())


def next_step(ticket):
    """What happens next to `ticket` (or what its end was), and by when, in one sentence for its citizen."""
    if ticket.state == State.MERGED:
        return _open_words(ticket.handled_as, again=False, rehandled=False)
    if ticket.state in OPEN_STATES:
        again = bool(ticket.rehandle_round or ticket.dispatched_at or ticket.events.filter(kind="reopen").exists())
        return _open_words(ticket, again=again, rehandled=ticket.rehandle_round > 0)
    if ticket.state == State.REPLIED:
        return _("The unit has replied. The 12345 hotline will call you back to ask whether the matter is resolved "
                 "and whether you are satisfied.")
    if ticket.state == State.ANSWERED:
        return _("Answered directly. The 12345 hotline will call you back to ask whether the answer settled the "
                 "matter.")
    return _closed_words(ticket)


def _open_words(ticket, again, rehandled):
    due = {"due": dt(ticket.reply_due if ticket.state in HANDLING_STATES else ticket.dispatch_due) or "—",
           "unit": ticket.lead_unit.name if ticket.lead_unit_id else "", "round": ticket.rehandle_round}
    if ticket.state == State.RETURNED:
        return _("The unit it was sent to says the matter is not theirs to handle: the 12345 hotline centre is "
                 "deciding which unit handles it.")
    if ticket.state == State.NEW:
        if again:
            return _("Your request is being sent to a unit again: the 12345 hotline centre decides which unit "
                     "handles it, by %(due)s.") % due
        return _("The 12345 hotline is sending your request to the unit responsible, by %(due)s.") % due
    if rehandled:
        return _("You said at the callback that the matter was not resolved or that you were not satisfied: "
                 "%(unit)s handles it again (round %(round)d) and is to reply to you by %(due)s.") % due
    return _("%(unit)s handles your request and is to reply to you by %(due)s.") % due


def _closed_words(ticket):
    result = {"resolved": _label(Resolved, ticket.resolved), "satisfied": _label(Satisfied, ticket.satisfied),
              "rounds": ticket.rehandle_round}
    reason = ticket.close_reason
    if reason == CloseReason.CALLBACK:
        return _("Closed after the callback: %(resolved)s, %(satisfied)s.") % result
    if reason == CloseReason.REHANDLE_LIMIT:
        return _("Closed after the callback (%(resolved)s, %(satisfied)s): the request was handled again "
                 "%(rounds)d times, as often as the rules allow. If the matter is still not resolved, call 12345.") % result
    if reason == CloseReason.UNREACHABLE:
        return _("Closed: the 12345 hotline could not reach you for the callback. If the matter is not resolved, "
                 "call 12345.")
    if reason == CloseReason.SPECIAL:
        return _("Closed without being sent to a unit, under Art. 11 of the Beijing regulations on immediate "
                 "response to citizen requests: %(why)s.") % {
            "why": SPECIAL_WORDS.get(ticket.special_class, ticket.get_special_class_display())}
    if reason == CloseReason.ANONYMOUS:
        return _("Closed at the reply: an anonymous request cannot be called back.")
    return _("Closed.")


def _label(choices, value):
    return choices(value).label if value in choices.values else "—"


def progress(ticket):
    """The progress template's context (tickets/_progress.html) for `ticket`: the steps of this round (a request
    handled again waits for its unit's next reply; one sent back to the queue, for a unit)."""
    handled = ticket.handled_as
    answered = ticket.state in (State.REPLIED, State.ANSWERED, State.CLOSED)
    return {
        "ticket": ticket, "reply": reply_for_citizen(ticket), "earlier_reply": not answered,
        "state_words": state_words(ticket), "next_step": next_step(ticket),
        "sent_at": handled.dispatched_at if handled.state != State.NEW else None,
        "replied_at": ticket.replied_at if answered else None,
    }
