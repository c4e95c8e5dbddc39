"""Drafts: what is typed into a form is kept in the browser tab until its action is done (app.js, "drafts").

The server names a form's draft (`data-draft`), says whether the page may refill it (`data-draft-restore`: not
when the server refills the form itself after a refusal) and ends the draft through the success message's
extra tag (`done`), so an expired security token, a lapsed login or a reload loses nothing that was typed.
"""
from django.utils.html import format_html

INTAKE = "intake"


def of_action(ticket_id, action):
    """The draft of one action's form on one ticket (the reply to 20261203-0000042 is not another ticket's)."""
    return f"ticket-{ticket_id}-{action}"


def done(name):
    """The extra tag of the message that says the form's action is done: the page then drops the draft."""
    return f"draft:{name}"


def attributes(name, restore=True):
    """The form's data attributes, for a template."""
    return format_html('data-draft="{}"{}', name, format_html(" data-draft-restore") if restore else "")
