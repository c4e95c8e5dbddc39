"""What a citizen reads about their own request: the progress page (/tickets/<id>/ for its citizen), the public
/track/ page and the API's answers to a citizen (docs/citizen.md).

A request merged into another one gets that one's reply (or direct answer): written to the other caller, it may name
them and quote their number. The citizen of the merged request reads it with the other caller's name and every
phone, ID and bank-card number masked (jiesu.core.text_masking), also once the request was split off again (its
former parent's reply stays on it until its own unit replies).
"""
from jiesu.core.text_masking import masked_text
from jiesu.tickets.models import Ticket

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


def progress(ticket):
    """The progress template's context (tickets/_progress.html) for `ticket`."""
    return {"ticket": ticket, "reply": reply_for_citizen(ticket)}
