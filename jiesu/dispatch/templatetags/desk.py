"""The dispatcher's desk in the ticket templates.

    {% load desk %}
    {% desk_suggestions t %}     the top-3 panel for ticket t (dispatchers and administrators, new tickets)
    {% desk_holds page as holds %}  a page's holds in one pass: {% desk_suggestions t holds=holds %} (the queue)
    {% desk_assets %}            once per page: the panel's style and keyboard script
    {% duplicates_panel t %}     merge proposals, repeat flags and similar open tickets (the hotline), via HTMX
    {% paused_rules_banner %}    the auto-dispatch rules the worker paused, to the dispatch lead and supervisors

While the engine has not answered yet in this process (its model is loading)
the panel is a placeholder that HTMX fills from /dispatch/desk/<id>/suggestions/,
so the first page after a restart does not wait for the model.
"""
from django import template
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from jiesu.core import scoping
from jiesu.dispatch import duplicates, wording
from jiesu.dispatch import services as desk
from jiesu.dispatch.views import DESK_ROLES, panel_context
from jiesu.tickets.models import State

register = template.Library()


def may_use_desk(user, ticket):
    return ticket.state == State.NEW and scoping.has_role(user, *DESK_ROLES) and scoping.can_view(user, ticket)


@register.simple_tag(takes_context=True)
def desk_holds(context, tickets):
    """{ticket id: its holds} for the panels of a page of tickets, read in one pass (services.holds_of):
    {% desk_holds page as holds %} … {% desk_suggestions t holds=holds %}. Nothing is read while the engine is cold
    (the panels load lazily then) or for a user without the desk."""
    request = context.get("request")
    if request is None or not desk.engine_is_warm():
        return {}
    mine = [t for t in tickets if may_use_desk(request.user, t)]
    return desk.holds_of(mine) if mine else {}


@register.simple_tag(takes_context=True)
def desk_suggestions(context, ticket, next_url="", holds=None):
    """The panel of `ticket`; `holds`: desk_holds of its page (a ticket not in it reads its own)."""
    request = context.get("request")
    if request is None or not may_use_desk(request.user, ticket):
        return ""
    if desk.engine_is_warm():
        ctx = panel_context(ticket, (holds or {}).get(ticket.pk))
    else:
        ctx = {"t": ticket, "rows": [], "lazy": True}
    ctx["next"] = next_url or request.get_full_path()
    return render_to_string("dispatch/desk_suggestions.html", ctx, request=request)


@register.simple_tag(takes_context=True)
def duplicates_panel(context, ticket):
    """A placeholder HTMX fills from /intake-check/ticket/<id>/ (empty when there is nothing to say)."""
    from django.urls import reverse
    from django.utils.html import format_html

    request = context.get("request")
    if request is None or not duplicates.may_check(request.user):
        return ""
    url = reverse("duplicates_ticket", args=[ticket.pk])
    return format_html('<div class="dup-slot" hx-get="{}" hx-trigger="load" hx-swap="outerHTML"></div>', url)


@register.simple_tag(takes_context=True)
def paused_rules_banner(context):
    """The rules the worker paused and nobody acknowledged (accuracy.unseen_pauses), with why and the buttons to
    acknowledge and to switch one back on: to who answers for auto-dispatch (accuracy.told_of_pauses)."""
    from jiesu.dispatch import accuracy

    request = context.get("request")
    if request is None or not accuracy.told_of_pauses(request.user):
        return ""
    rules = list(accuracy.unseen_pauses())
    if not rules:
        return ""
    return render_to_string("dispatch/paused_rules_banner.html", {
        "rules": rules, "may_resume": accuracy.may_resume(request.user), "next": request.get_full_path(),
        # 「已看到」 acknowledges these rules' pauses, not one paused after them (the next page tells it)
        "shown_at": max(rule.paused_at for rule in rules).isoformat()}, request=request)


@register.filter
def pause_threshold(rule):
    """A paused rule's threshold when paused, and now when changed since (accuracy.threshold_words)."""
    from jiesu.dispatch import accuracy

    return accuracy.threshold_words(rule)


@register.filter
def pause_words(rule):
    """Why the worker paused a rule, in the reader's language (accuracy.pause_reason)."""
    from jiesu.dispatch import accuracy

    return accuracy.pause_reason(rule)


@register.inclusion_tag("dispatch/desk_assets.html")
def desk_assets():
    return {}


def _place_labels():
    return {"grid": _("same grid"), "community": _("same community"), "street": _("same street"),
            "district": _("same district"), "unknown": _("place unknown"), "elsewhere": _("elsewhere")}


@register.filter
def place_words(found):
    """How close a similar ticket (duplicates.Match) or an earlier request (duplicates.Repeat) is, in the user's
    language (duplicates.PLACE_LABELS says it in Chinese for the API)."""
    if found.place_reason == "point" and found.distance_m is not None:
        return _("%(m)s m apart") % {"m": int(round(found.distance_m))}
    return _place_labels().get(found.place_reason, found.place_reason)


@register.filter
def score_words(match):
    """duplicates.Match.explain in the user's language: text 72% × 0.6 + same community 0.9 × 0.3 + …"""
    return _("text %(text)s × %(wt)s + %(place)s %(p)s × %(wp)s + recent %(r)s × %(wr)s = %(score)s") % {
        "text": f"{match.text:.0%}", "wt": f"{duplicates.W_TEXT:g}", "place": place_words(match),
        "p": f"{match.place:.1f}", "wp": f"{duplicates.W_PLACE:g}", "r": f"{match.recent:.1f}",
        "wr": f"{duplicates.W_RECENT:g}", "score": f"{match.score:.2f}"}


@register.filter
def pct(share):
    """0.8731 → "87.3%"; None (nothing to divide) → "—"."""
    from jiesu.dispatch.accuracy import percent

    return "—" if share is None else percent(share)


@register.filter
def bar(share):
    """A CSS width for a share (0 when there is none)."""
    return f"{(share or 0) * 100:.1f}%"


@register.filter
def emergency_words(hint):
    """{{ emergency|emergency_words }}: what to tell the call-taker, in the page's language."""
    return wording.emergency_words(hint)


@register.filter
def service_words(number):
    """{{ "119"|service_words }}: 消防救援 / fire and rescue."""
    return wording.service_words(number)
