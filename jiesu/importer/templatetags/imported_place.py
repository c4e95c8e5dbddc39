"""The ticket page's 位置 line for an imported ticket without a place: why the import found none."""
from django import template

from jiesu.importer.messages import missing_place

register = template.Library()


@register.simple_tag
def missing_place_reason(ticket):
    """Why an imported ticket has no district or street (its intake event's "no_place", in the reader's language);
    '' for a ticket with a place or one not imported. One query, on such a page only."""
    if ticket.district_id or ticket.street_id:
        return ""
    payload = ticket.events.filter(kind="intake").values_list("payload", flat=True).first()
    if not isinstance(payload, dict) or "import" not in payload:
        return ""
    return missing_place(payload.get("no_place", ""))
