"""{% citizen_words ticket %}: a ticket's text (or its title) as the page's user may read it."""
from django import template

from jiesu.core.text_masking import text_for

register = template.Library()


@register.simple_tag(takes_context=True)
def citizen_words(context, ticket, text=None):
    """text_masking.text_for for the request's user: whole for who may reveal the contact, else with the phone and
    ID numbers and the citizen's name masked. No request (a page rendered for no one): masked."""
    request = context.get("request")
    return text_for(getattr(request, "user", None), ticket, text)
