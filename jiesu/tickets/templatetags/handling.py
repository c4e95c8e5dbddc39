"""Template filters of the handling unit's pages."""
from django import template

from jiesu.tickets import services
from jiesu.tickets.models import AssignmentRole

register = template.Library()


@register.filter
def active_co(assignments):
    """The active co assignments (协办) among a ticket's `assignments`, as the ticket page has read them."""
    return [a for a in assignments if a.active and a.role == AssignmentRole.CO]


@register.filter
def return_refusal(returns, unit_id):
    """services.return_refusal for the ticket page's returns: the words saying why `unit_id` may not return it
    again, or "" (no query: the page has read the returns)."""
    return services.return_refusal(unit_id, returns)
