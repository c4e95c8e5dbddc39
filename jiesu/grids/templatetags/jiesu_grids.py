from django import template

from jiesu.grids.measures import percent

register = template.Library()


@register.filter
def pct(value):
    return percent(value, 0)
