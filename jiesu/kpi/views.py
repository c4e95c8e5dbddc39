"""Pages: the monthly rankings (four groups), a unit's figures, exports and the printable monthly report.

Rankings are public to staff; a unit's own page and drill-down follow
services.can_see_unit (a street sees itself, not another street's tickets).
"""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django.utils.translation import gettext as _

from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.kpi import export, services
from jiesu.kpi.explain import measure_labels
from jiesu.kpi.models import UnitClass
from jiesu.units.models import Unit


def staff_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not services.may_see_rankings(request.user):
            raise PermissionDenied(_("Your role may not do this."))
        return view(request, *args, **kwargs)
    return wrapper


def _month(request):
    """The month asked for (?month=YYYY-MM), else this month; a bad value is reported and replaced."""
    value = request.GET.get("month", "").strip()
    if value:
        try:
            return services.parse_month(value)
        except DomainError as exc:
            messages.error(request, exc.message)
    return services.current_month()


def _group(request):
    group = request.GET.get("group", UnitClass.STREET)
    if group not in UnitClass.values:
        messages.error(request, _("Unknown unit class “%(v)s”.") % {"v": group})
        group = UnitClass.STREET
    return str(group)


def month_choices(until=None, n=13):
    month, out = services.current_month() if until is None else until, []
    for _i in range(n):
        out.append(month)
        month = services.previous_month(month)
    return out


def _rows_with_links(user, ranking):
    units = Unit.objects.only("id", "kind", "district_id").in_bulk([r.unit_id for r in ranking.rows])
    for row in ranking.rows:
        unit = units.get(row.unit_id)
        row.visible = unit is not None and services.can_see_unit(user, unit)
    return ranking.rows


@staff_only
def rankings(request):
    month, group = _month(request), _group(request)
    ranking = services.ranking(group, month)
    over = services.next_month(month) <= services.current_month()
    return render(request, "kpi/rankings.html", {
        "ranking": ranking, "rows": _rows_with_links(request.user, ranking), "month": month, "group": group,
        "groups": UnitClass.choices, "months": month_choices(), "labels": measure_labels(),
        "whistle": group in services.WHISTLE_CLASSES, "own_unit_id": request.user.unit_id,
        "may_publish": over and ranking.published is None and scoping.has_role(request.user, "admin", "supervisor"),
        "may_republish": ranking.published is not None and scoping.has_role(request.user, "admin"),
    })


@require_POST
@staff_only
def publish(request):
    """Publish (freeze) a finished month's rankings, or republish a published one (an administrator, a reason)."""
    group = request.POST.get("group") if request.POST.get("group") in UnitClass.values else str(UnitClass.STREET)
    query = {"group": group}
    try:
        month = services.parse_month(request.POST.get("month", ""))
        query["month"] = f"{month:%Y-%m}"
        services.publish_month(request.user, month, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(m)s published: its rankings are frozen as they stand now.")
                         % {"m": query["month"]})
    return redirect(f"{reverse('kpi_rankings')}?{urlencode(query)}")


def _export_name(ranking, ext):
    return f"ranking-{ranking.unit_class}-{ranking.month:%Y-%m}.{ext}"


def _title(ranking):
    return _("%(group)s ranking, %(month)s (KPI version %(v)s)") % {
        "group": dict(UnitClass.choices)[ranking.unit_class], "month": f"{ranking.month:%Y-%m}",
        "v": ranking.version.number}


@staff_only
def export_ranking(request, fmt):
    ranking = services.ranking(_group(request), _month(request))
    if fmt == "csv":
        response = HttpResponse(export.ranking_csv(ranking), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(export.ranking_xlsx(ranking, _title(ranking)), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{_export_name(ranking, fmt)}"'
    return response


@staff_only
def unit_page(request, pk):
    unit = get_object_or_404(Unit, pk=pk)
    if not services.can_see_unit(request.user, unit):
        raise PermissionDenied(_("You may see only your own unit's figures; the rankings are public."))
    month = _month(request)
    try:
        history = services.unit_history(unit, 12, month)  # the month's figures are its last (one read, not 13)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "kpi/unit.html", {"unit": unit, "month": month, "kpis": None}, status=400)
    kpis = history[-1]
    version = services.version_for(month)
    weights = version.weights_by_class.get(kpis.unit_class, {})
    return render(request, "kpi/unit.html", {
        "unit": unit, "month": month, "kpis": kpis, "history": history,
        "explanations": services.explanations(version, weights), "version": version, "weights": weights,
        "labels": measure_labels(), "months": month_choices(), "drilldown": services.drilldown_url(unit, month),
        "whistle": kpis.unit_class in services.WHISTLE_CLASSES,
        "published": services.published_edition(kpis.unit_class, month),
    })


@staff_only
def monthly_report(request):
    """All four groups on one printable page (print CSS: A4 landscape, no menu)."""
    month = _month(request)
    names = dict(UnitClass.choices)
    rankings_ = [(names[r.unit_class], r) for r in services.rankings(month)]  # shared reads done once
    version = services.version_for(month)
    return render(request, "kpi/report.html", {
        "month": month, "rankings": rankings_, "city": services.city_kpis(month), "version": version,
        "explanations": services.explanations(version), "labels": measure_labels(), "months": month_choices(),
        "whistle_classes": [str(c) for c in services.WHISTLE_CLASSES],
    })
