from django import template

from jiesu.workcal.services import not_entered_warning

register = template.Library()


@register.simple_tag
def calendar_warning():
    """services.not_entered_warning: a year ahead whose holidays are not entered, or ""."""
    return not_entered_warning()
