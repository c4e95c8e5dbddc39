"""Hotspot pages: the latest run's hot problems (scoped), one problem with its tickets, run now."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.hotspots import services
from jiesu.topics import services as topic_services

TICKETS_A_PAGE = 100  # a problem's tickets: one page listed all of them (16,013: 3.5 MB, 4.8 s of CPU)


def heat_formula():
    """cluster.HEAT_FORMULA in the user's language (tests/hotspots check the English is the same)."""
    return _("heat = (log2(1 + citizens) + 0.5·log2(1 + repeats) + 0.5·log2(1 + support))"
             " × (0.5 + 0.5·2^(−days since the newest / half-life)) × (1 + 0.5·unresolved share)")


@login_required
def board(request):
    services.require_reader(request.user)
    run = services.latest_run()
    rows = list(services.visible_hotspots(request.user, run)[:50]) if run else []
    may_run = topic_services.may_create(request.user)
    return render(request, "hotspots/board.html", {
        "run": run, "rows": rows, "formula": heat_formula(), "may_run": may_run,
        "city_wide": scoping.is_city_wide(request.user), "asked": services.latest_asked() if may_run else None})


@login_required
def detail(request, pk):
    services.require_reader(request.user)
    hotspot = services.get_visible(request.user, pk)
    if hotspot is None:
        raise Http404(_("No such hotspot, or it is outside your territory."))
    tickets = services.hotspot_tickets(request.user, hotspot)
    page = Paginator(tickets, TICKETS_A_PAGE).get_page(request.GET.get("page"))
    return render(request, "hotspots/detail.html", {
        "h": hotspot, "page": page, "hidden": hotspot.size - page.paginator.count, "formula": heat_formula(),
        "may_create_topic": topic_services.may_create(request.user), "topics": hotspot.topics.all()})


@require_POST
@login_required
def run_now(request):
    """Ask the worker for a run (services.ask_run): the clustering takes 30 s here and minutes at a city's volume,
    too long for a web request; the board shows the run's state until it is done."""
    if not topic_services.may_create(request.user):
        raise PermissionDenied(_("Your role may not do this."))
    try:
        asked = services.ask_run(request.user, days=request.POST.get("days", 30))
    except DomainError as exc:  # a run already waits or runs, or a bad window
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Hotspot run #%(id)s asked by %(who)s at %(at)s: the worker carries it out; "
                                    "this page shows its state.") % {
            "id": asked.pk, "who": asked.asked_by_name, "at": timezone.localtime(asked.asked_at).strftime("%H:%M")})
    return redirect("hotspot_board")
