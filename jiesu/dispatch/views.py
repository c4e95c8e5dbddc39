"""The dispatcher's desk pages: the suggestion panel of a ticket (HTMX), accepting a suggestion, accuracy.

    GET  /dispatch/desk/<id>/suggestions/   the top-3 panel (the dispatch queue loads it lazily
                                            while the engine is not loaded yet in this process)
    POST /dispatch/desk/<id>/accept/        rank=1|2|3 (+ expect_category_<rank>, expect_lead_<rank>):
                                            dispatch that suggestion as suggested, logged
    GET  /dispatch/accuracy/?weeks=12       suggestion accuracy by week and category, returns
         &district= &street= &group= &source= &dispatcher=    narrowed (counted live, never kept)
    POST /dispatch/accuracy/recount/        weeks=12: the viewer's kept report asked to be counted again by the
                                            worker (figures.recount)
    POST /dispatch/rules/<id>/resume/       a rule the worker paused switched back on (the dispatch lead, admins)
    POST /dispatch/rules/paused/seen/       the paused rules' banner acknowledged

The panel sits in the dispatch queue and on the ticket page through the `desk`
template tags (jiesu/dispatch/templatetags/desk.py). Every change goes through
jiesu.dispatch.services, which dispatches through jiesu.tickets.services.
"""
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiesu.accounts.models import SYSTEM_USERNAME, Role, User
from jiesu.categories.services import told_apart
from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.core.params import as_id
from jiesu.dispatch import accuracy as figures
from jiesu.dispatch import services as desk
from jiesu.dispatch.memory import MOST_ROWS
from jiesu.dispatch.models import SuggestionSource
from jiesu.dispatch.services import ONE_KEY_FLOOR_PERCENT
from jiesu.tickets import queries
from jiesu.tickets.models import State
from jiesu.units.models import Unit, UnitKind

DESK_ROLES = (Role.DISPATCHER, Role.ADMIN)


def _ticket(request, pk):
    ticket = queries.ticket_for_page(pk)
    if ticket is None:
        raise Http404(_("No such ticket."))
    scoping.require_view(request.user, ticket)
    return ticket


def _back(request, fallback="dispatch_queue"):
    """The form's `next` when it is this site's, else the page named `fallback`."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return reverse(fallback)


def panel_context(ticket, holds=None):
    """What dispatch/desk_suggestions.html shows for a ticket: its suggestions, each marked dispatchable, and what
    holds it (`holds`: its desk.holds read with the page's, desk.holds_of; else read now)."""
    found = desk.safe_suggestions(ticket)
    shown = [(s.category.id, s.category.name) for s in found]
    if ticket.category_id:
        shown.append((ticket.category_id, ticket.category.name))
    rows = [{**suggestion_row(s, found.cold_start), "category": told_apart(s.category, shown)} for s in found]
    return {"t": ticket, "rows": rows, "model": found.classifier, "cold_start": found.cold_start, "lazy": False,
            "one_key_floor": f"{ONE_KEY_FLOOR_PERCENT}%",
            "unreadable": desk.unreadable_model_file(found.cold_start),
            "warning": desk.accept_warning(ticket, holds) if rows else None, "place_note": unplaced_reason(found.place)}


def suggestion_row(suggestion, cold_start=False):
    """A suggestion as the panel shows it: its percentage, whether it can be dispatched as suggested and whether one
    key may do it (services.one_key_may_dispatch: the percentage shown, not the cold start)."""
    return {"s": suggestion, "dispatchable": desk.dispatchable(suggestion), "percent": desk.shown_percent(suggestion),
            "one_key": desk.one_key_may_dispatch(suggestion, cold_start)}


def unplaced_reason(place):
    """Why no street was found for the ticket (「八里庄」有多处…，请补充所在区), which tells the dispatcher what to ask
    or choose, and whether the district was (the panel says which is missing); None when a street was found (the
    suggestions name it) or there is no reason to give."""
    if place is None or place.street is not None or not place.reason:
        return None
    return {"reason": place.reason, "district": place.district}


@login_required
@require_GET
def suggestions(request, pk):
    scoping.require_role(request.user, *DESK_ROLES)
    ticket = _ticket(request, pk)
    if ticket.state != State.NEW:  # dispatched meanwhile (another tab, auto-dispatch) or closed: nothing to accept
        return HttpResponse(format_html('<p class="desk-gone">{}</p>', _(
            "This ticket is no longer waiting for dispatch (%(state)s).") % {"state": ticket.get_state_display()}))
    context = panel_context(ticket)
    context["next"] = request.GET.get("next") or request.headers.get("HX-Current-URL", "")
    return render(request, "dispatch/desk_suggestions.html", context)


@login_required
@require_POST
def accept(request, pk):
    """Dispatch suggestion #rank as suggested; a refusal comes back as a message naming the problem."""
    scoping.require_role(request.user, *DESK_ROLES)
    ticket = _ticket(request, pk)
    back = _back(request)
    rank = request.POST.get("rank", "")
    before = [(ticket.category_id, ticket.category.name)] if ticket.category_id else []
    try:
        ticket, row = desk.accept(request.user, ticket, rank, request.POST.get("note", ""),
                                  expect_category=request.POST.get(f"expect_category_{rank}", ""),
                                  expect_lead=request.POST.get(f"expect_lead_{rank}") or None,
                                  confirm=request.POST.get("confirm") == "1", source=SuggestionSource.DESK)
    except DomainError as exc:
        messages.error(request, _("Suggestion not dispatched: %(message)s") % {"message": exc.message})
        return redirect(back)
    messages.success(request, _("%(number)s dispatched as suggestion #%(rank)s: %(category)s → %(unit)s.") % {
        "number": ticket.number, "rank": row.accepted_rank, "unit": ticket.lead_unit.name,
        "category": told_apart(ticket.category, before + [(r["category"]["id"], r["category"]["name"])
                                                          for r in row.suggested])})
    return redirect(back)


def _weeks(value, default=figures.DEFAULT_WEEKS):
    """(weeks, the value given when it was not 1–52 weeks, else None): `?weeks=` out of range is brought into it
    and a value that is no whole number gives the default, and the page says so (not silently)."""
    if value is None or value.strip() == "":
        return default, None
    try:
        given = int(value)
    except (TypeError, ValueError):
        return default, value
    weeks = min(52, max(1, given))
    return weeks, (None if weeks == given else value)


def may_see_raw_errors(user):
    """Whether the accuracy page may show a retraining's own error text (server paths, exceptions): to the back
    office's staff and administrators, who also read it in the admin's list of retrainings; not to a district's
    or a street's supervisors."""
    return bool(user.is_superuser or user.role == Role.ADMIN or user.is_staff)


def category_code(value):
    """A category code as typed in the query (01.02, 90.09.09006), or "" for anything else: it becomes part of a
    kept report's key (accuracy.snapshot_key), where a "|" would read as another filter."""
    value = value.strip()
    return value if re.fullmatch(r"[0-9A-Za-z.]{1,20}", value) else ""


def accuracy_filters(user, get):
    """The page's AccuracyFilters from the query (or the recount's form), each kept only where the viewer may use
    it: the place for city-wide users (a district's or a street's stay within their territory), the dispatcher for
    who sees_staff_figures; a source or a category that does not exist narrows nothing."""
    city_wide = scoping.is_city_wide(user)
    district, street = (as_id(get.get("district")), as_id(get.get("street"))) if city_wide else (None, None)
    if district and street and not Unit.objects.filter(pk=street, parent_id=district).exists():
        street = None  # the street of the district chosen before: the new district's figures
    source = get.get("source", "")
    return figures.AccuracyFilters(
        district=district, street=street,
        group=category_code(get.get("group", "")), source=source if source in SuggestionSource.values else "",
        dispatcher=as_id(get.get("dispatcher")) if figures.sees_staff_figures(user) else None)


def filter_choices(user, filters):
    """The filter form's options: districts and the chosen district's streets (city-wide users), the first-level
    categories, the sources, and the dispatchers (who sees_staff_figures)."""
    from jiesu.categories.models import Category

    choices = {"groups": Category.objects.filter(parent__isnull=True).order_by("code"),
               "sources": SuggestionSource.choices}
    if scoping.is_city_wide(user):
        choices["districts"] = Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).order_by("code")
        if filters.district:
            choices["streets"] = Unit.objects.filter(kind=UnitKind.STREET, parent_id=filters.district,
                                                     active=True).order_by("code")
    if figures.sees_staff_figures(user):
        choices["dispatchers"] = User.objects.filter(role=Role.DISPATCHER, is_active=True).exclude(
            username=SYSTEM_USERNAME).order_by("username")
    return choices


@login_required
@require_GET
def accuracy(request):
    """建议准确率: how often the dispatchers took the engine's suggestion, and what wrong dispatches cost."""
    scoping.require_role(request.user, *figures.ACCURACY_ROLES)
    weeks, corrected = _weeks(request.GET.get("weeks"))
    filters = accuracy_filters(request.user, request.GET)
    report, computed_at = figures.accuracy_for(request.user, weeks, filters=filters)
    desk.abandon_lost_retrain_runs()  # a run killed while no worker runs is not shown as running
    staff = may_see_raw_errors(request.user)
    return render(request, "dispatch/accuracy.html", {
        "report": report, "computed_at": computed_at, "weeks": weeks, "week_choices": sorted({4, 12, 26, 52, weeks}),
        "weeks_given": corrected[:24] if corrected is not None else None,
        "categories": report.categories[:40], "title": _("Dispatch accuracy"), "model": desk.model_in_use(),
        "schedule": desk.retrain_schedule(), "retrain_runs": desk.last_retrain_runs(), "rows_most": MOST_ROWS,
        "show_reason": staff, "other_runs": desk.other_retrain_runs() if staff else 0,
        "filters": filters, "choices": filter_choices(request.user, filters),
        "staff_figures": figures.sees_staff_figures(request.user),
        "since_count": figures.logged_since(request.user, computed_at, filters=filters) if computed_at else None,
        "kept_hours": int(figures.SNAPSHOT_MAX_AGE.total_seconds() // 3600), "keep_rows": figures.KEEP_ROWS,
        "may_recount": computed_at is not None and figures.may_recount(request.user),
        "keeps_rules": request.user.has_perm("dispatch.change_autodispatchrule"),
        "pending": figures.pending_recount(request.user, weeks, filters=filters) if computed_at else None,
        "paused_rules": figures.paused_rules(), "may_resume": figures.may_resume(request.user),
    })


@login_required
@require_POST
def recount(request):
    """Count the viewer's kept accuracy report again now (figures.recount: at most once per RECOUNT_AFTER)."""
    scoping.require_role(request.user, *figures.ACCURACY_ROLES)
    if not figures.may_recount(request.user):
        raise PermissionDenied(_("Your role may not do this."))
    weeks, _corrected = _weeks(request.POST.get("weeks"))
    filters = accuracy_filters(request.user, request.POST)
    outcome, again_at = figures.recount(request.user, weeks, filters=filters)
    if outcome == figures.LIVE:
        messages.success(request, _("The figures were counted again."))
    elif outcome == figures.ASKED:
        messages.success(request, _("The worker counts the figures again; the page shows the kept ones meanwhile."))
    else:
        messages.warning(request, _("The figures were counted less than %(minutes)s minutes ago: they may be "
                                    "counted again from %(at)s.") % {
            "minutes": int(figures.RECOUNT_AFTER.total_seconds() // 60),
            "at": timezone.localtime(again_at).strftime("%H:%M")})
    return redirect(f"{reverse('dispatch_accuracy')}?{urlencode({'weeks': weeks, **filters.params()})}")


@login_required
@require_POST
def resume_rule(request, pk):
    """Switch a rule the worker paused back on (the dispatch lead, administrators): figures.resume_rule. A rule
    that is no more, or not paused (any more: who switched it back on, and when), is said, not a 500."""
    if not figures.may_resume(request.user):
        raise PermissionDenied(_("Your role may not do this."))
    back = redirect(_back(request, "dispatch_accuracy"))
    rule = figures.rule_by_id(pk)
    if rule is None:
        messages.warning(request, _("There is no auto-dispatch rule with the id %(id)s (it may have been "
                                    "deleted): nothing was switched on.") % {"id": pk})
        return back
    resumed = figures.resume_rule(rule, request.user)
    if resumed is None:
        rule.refresh_from_db()  # who switched it back on meanwhile
        said = _("That rule is not paused (any more).")
        if rule.enabled and rule.resumed_at is not None and rule.resumed_by is not None:
            said += " " + _("%(who)s switched “%(category)s” back on at %(at)s.") % {
                "who": rule.resumed_by.display_name or rule.resumed_by.username,
                "category": rule.category.full_name(),
                "at": timezone.localtime(rule.resumed_at).strftime("%m-%d %H:%M")}
        messages.warning(request, said)
        return back
    messages.success(request, _("The rule “%(category)s” auto-dispatches again at %(threshold)s; its returns are "
                                "judged from now on.") % {"category": resumed.category.full_name(),
                                                          "threshold": figures.threshold_text(resumed.threshold)})
    return back


@login_required
@require_POST
def acknowledge_pauses(request):
    """The banner of the rules the worker paused, acknowledged (figures.acknowledge_pauses): the rules it showed
    (`rule`, each an id) paused before it was shown (`shown_at`); without them, every unseen pause. A field that
    is no id or no time is named, and nothing is acknowledged."""
    if not figures.told_of_pauses(request.user):
        raise PermissionDenied(_("Your role may not do this."))
    back = redirect(_back(request, "dispatch_accuracy"))
    given = request.POST.getlist("rule")
    ids = [as_id(value) for value in given]
    if None in ids:
        messages.warning(request, _("“%(value)s” in the field “%(field)s” is not a rule's id. Nothing was "
                                    "acknowledged.") % {"value": given[ids.index(None)][:40], "field": "rule"})
        return back
    shown_at = request.POST.get("shown_at")
    shown_before = None
    if shown_at:
        from django.utils.dateparse import parse_datetime

        try:
            shown_before = parse_datetime(shown_at)
        except ValueError:
            shown_before = None
        if shown_before is None:
            messages.warning(request, _("“%(value)s” in the field “%(field)s” is not a time. Nothing was "
                                        "acknowledged.") % {"value": shown_at[:40], "field": "shown_at"})
            return back
        if timezone.is_naive(shown_before):
            shown_before = timezone.make_aware(shown_before)
    done = figures.acknowledge_pauses(request.user, rule_ids=ids if given else None, shown_before=shown_before)
    if not done:
        messages.info(request, _("No pause left to acknowledge: the rules were acknowledged or switched back on "
                                 "meanwhile."))
    return back
