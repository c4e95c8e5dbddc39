from django import template

register = template.Library()


@register.filter
def pct(value, digits=1):
    """0.9234 → 92.3%; None → —."""
    return "—" if value is None else f"{value * 100:.{int(digits)}f}%"


@register.filter
def hours(value):
    return "—" if value is None else f"{value:.1f}"


@register.filter
def score(value):
    return "—" if value is None else f"{value:.2f}"


@register.filter
def signed(value):
    """+3 / −2 / 0; None → —."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:+.2f}".replace("-", "−")
    return f"{value:+d}".replace("-", "−")


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
