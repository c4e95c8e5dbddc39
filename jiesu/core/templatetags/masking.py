"""{% citizen_words ticket %}: a ticket's text (or its title) as the page's user may read it; the intake's hint when
a phone, an ID or a bank card's number is typed into the description."""
from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from jiesu.core.text_masking import has_contact_numbers, text_for

register = template.Library()


@register.simple_tag(takes_context=True)
def citizen_words(context, ticket, text=None):
    """text_masking.text_for for the request's user: whole for who may reveal the contact, else with the phone and
    ID numbers and the citizen's name masked. No request (a page rendered for no one): masked."""
    request = context.get("request")
    return text_for(getattr(request, "user", None), ticket, text)


@register.simple_tag
def contact_numbers_hint(draft):
    """A hint, never a refusal: the units read the description, the contact fields are masked for them."""
    if not (has_contact_numbers(draft.text) or has_contact_numbers(draft.title)):
        return ""
    return format_html('<div class="dup-alert dup-repeat" role="status" data-contact-in-text><div>{}</div></div>',
                       _("The description holds a phone, an ID or a bank card's number: put the citizen's phone in "
                         "the phone field and take the numbers out of the description (the units read it)."))
