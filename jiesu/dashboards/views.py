"""Dashboard pages: the city overview, a unit's page (district, street, department, enterprise),
the boundaries as GeoJSON for the maps.

City-wide roles see the city; everyone else is sent to their own unit's page, and a unit's
page follows jiesu.kpi.services.can_see_unit (a street sees itself, a district its tree).
Every chart is drawn from a JSON spec in the page and has its numbers in a table
("数据表") rendered here, so the figures are readable without JavaScript.
"""
from datetime import timedelta
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.dashboards import geo, queries
from jiesu.kpi import services as kpi
from jiesu.kpi.explain import measure_labels
from jiesu.kpi.templatetags.jiesu_kpi import hours, pct, score
from jiesu.units.models import Unit, UnitKind

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def staff_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not kpi.may_see_rankings(request.user):
            raise PermissionDenied(_("Your role may not do this."))
        return view(request, *args, **kwargs)
    return wrapper


def measure_choices():
    labels = measure_labels()
    return {
        "received": _("Volume"), "response_rate": labels["response"], "resolution_rate": labels["resolution"],
        "satisfaction_rate": labels["satisfaction"], "speed_median_hours": labels["speed"],
        "governance_depth": labels["governance"], "composite": _("Composite score"),
    }


def formatted(value, kind):
    if value is None:
        return "—"
    return {"pct": pct, "hours": hours, "score": score}.get(kind, str)(value)


def chart(chart_id, title, spec, headers, rows, note=""):
    """One chart: its ECharts spec (JSON in the page) and the table of the same numbers."""
    return {"id": chart_id, "spec_id": f"{chart_id}-spec", "title": title, "spec": spec, "headers": headers,
            "rows": rows, "note": note}


# ── charts ──────────────────────────────────────────────────────────────────

def volume_chart(figures):
    days = [f"{d:%m-%d}" for d in figures["days"]]
    spec = {"kind": "line", "categories": days, "series": [
        {"name": _("Requests per day"), "data": figures["counts"]},
        {"name": _("7-day mean"), "data": figures["mean7"], "smooth": True}]}
    rows = [(f"{d:%Y-%m-%d}", n, m) for d, n, m in zip(figures["days"], figures["counts"], figures["mean7"])]
    return chart("chart-volume", _("Requests per day, last 90 days"), spec,
                 [_("Day"), _("Requests"), _("7-day mean")], rows[::-1])


def weekday_chart(figures):
    names = [_(w) for w in WEEKDAYS]
    spec = {"kind": "bar", "categories": names, "series": [{"name": _("Mean per day"), "data": figures["weekday"]}]}
    return chart("chart-weekday", _("Weekly pattern (mean of the last 8 weeks)"), spec,
                 [_("Weekday"), _("Mean per day")], list(zip(names, figures["weekday"])))


def yoy_chart(figures):
    months = [f"{m:%Y-%m}" for m, *_r in figures["yoy"]]
    spec = {"kind": "bar", "categories": months, "series": [
        {"name": _("This year"), "data": [n for _m, n, _b, _c in figures["yoy"]]},
        {"name": _("A year before"), "data": [b for _m, _n, b, _c in figures["yoy"]]}]}
    rows = [(f"{m:%Y-%m}", n, b, formatted(c, "pct")) for m, n, b, c in figures["yoy"]]
    return chart("chart-yoy", _("Monthly volume, year over year"), spec,
                 [_("Month"), _("Requests"), _("A year before"), _("Change")], rows)


def categories_chart(top):
    names = [c.name for c, _n in top][::-1]
    spec = {"kind": "hbar", "categories": names, "series": [{"name": _("Requests"), "data": [n for _c, n in top][::-1]}]}
    return chart("chart-categories", _("Top categories this month"), spec, [_("Category"), _("Requests")],
                 [(c.name, n) for c, n in top])


def rates_chart(history, labels):
    months = [f"{k.month:%Y-%m}" for k in history]
    keys = (("response_rate", labels["response"]), ("resolution_rate", labels["resolution"]),
            ("satisfaction_rate", labels["satisfaction"]))
    spec = {"kind": "line", "format": "pct", "categories": months, "series": [
        {"name": label, "data": [getattr(k, key) for k in history]} for key, label in keys]}
    rows = [(f"{k.month:%Y-%m}", k.received, *[formatted(getattr(k, key), "pct") for key, _l in keys]) for k in history]
    return chart("chart-rates", _("Rates by month"), spec,
                 [_("Month"), _("Requests"), *[label for _k, label in keys]], rows)


def map_chart(level, measure, month, within=None):
    values = queries.map_values(level, month, measure, within)
    kind = queries.MEASURES[measure][1]
    label = measure_choices()[measure]
    url = reverse("dashboard_geo", args=[level]) + (f"?within={within.code}" if within else "")
    spec = {"kind": "map", "geo": url, "format": kind, "measure": label,
            "values": [{"name": code, "label": name, "value": value} for code, name, value in values]}
    title = _("%(measure)s by district") if level == "district" else _("%(measure)s by street/township")
    return chart("chart-map", title % {"measure": label}, spec, [_("Code"), _("Unit"), label],
                 [(code, name, formatted(value, kind)) for code, name, value in values],
                 note=_("Boundaries marked schematic (示意) are not the legal ones."))


def heat_chart(user, today, within=None, days=30):
    bbox = geo.feature_collection(UnitKind.STREET if within else UnitKind.DISTRICT, within)["bbox"]
    cells, size = queries.heat_cells(user, today - timedelta(days=days - 1), today, within, bbox)
    level = "street" if within else "district"
    url = reverse("dashboard_geo", args=[level]) + (f"?within={within.code}" if within else "")
    spec = {"kind": "heat", "geo": url, "cells": cells, "size": size}
    rows = [(f"{lon:.4f}", f"{lat:.4f}", n) for lon, lat, n in cells[:200]]
    total = sum(n for _x, _y, n in cells)
    return chart("chart-heat", _("Requests by place, last 30 days (诉求热力图)"), spec,
                 [_("Longitude"), _("Latitude"), _("Requests")], rows,
                 note=_("%(n)d requests with coordinates in %(cells)d cells of %(size)s°; the densest 200 cells "
                        "are listed.") % {"n": total, "cells": len(cells), "size": size})


def cards(figures, labels):
    k = figures["kpis"]
    return [
        {"key": "volume_today", "label": _("Requests today"), "value": figures["volume_today"]},
        {"key": "volume_month", "label": _("Requests this month"), "value": figures["volume_month"]},
        {"key": "response", "label": labels["response"], "value": formatted(k.response_rate, "pct")},
        {"key": "resolution", "label": labels["resolution"], "value": formatted(k.resolution_rate, "pct")},
        {"key": "satisfaction", "label": labels["satisfaction"], "value": formatted(k.satisfaction_rate, "pct")},
        {"key": "speed", "label": labels["speed"], "value": formatted(k.speed_median_hours, "hours")},
        {"key": "governance", "label": labels["governance"], "value": formatted(k.governance_depth, "pct")},
        {"key": "overdue", "label": _("Overdue now"), "value": figures["overdue"],
         "note": history_left_out(figures["overdue_history"])},
    ]


def history_left_out(n):
    """The overdue card's note: how many imported history tickets past their deadline it leaves out, or ""."""
    if not n:
        return ""
    return ngettext("%(n)d more imported history ticket past its deadline, not counted",
                    "%(n)d more imported history tickets past their deadline, not counted", n) % {"n": n}


def _choice(request, name, allowed, default):
    value = request.GET.get(name, default)
    return value if value in allowed else default


def _open_alerts(user, district_id=None):
    from jiesu.warnings.models import AlertState
    from jiesu.warnings.services import visible_alerts

    try:
        qs = visible_alerts(user).filter(state=AlertState.OPEN)
    except (PermissionDenied, DomainError):
        return None
    if district_id:
        qs = qs.filter(district_id=district_id)
    return qs.count()


# ── pages ───────────────────────────────────────────────────────────────────

@staff_only
def home(request):
    """The city overview for city-wide roles; everyone else goes to their own unit's page."""
    user = request.user
    if not scoping.is_city_wide(user):
        unit = user.unit
        if unit is not None and kpi.unit_class_of(unit) is not None:
            return redirect("dashboard_unit", code=unit.code)
        if unit is not None and unit.street_id and kpi.can_see_unit(user, unit.street):
            return redirect("dashboard_unit", code=unit.street.code)
        raise PermissionDenied(_("Dashboards are kept for districts, streets, departments and enterprises."))
    now = timezone.now()
    figures = queries.overview(now)
    labels = measure_labels()
    measure = _choice(request, "measure", queries.MEASURES, "received")
    level = _choice(request, "level", queries.MAP_LEVELS, "district")
    volume = queries.volume_figures(figures["today"])
    charts = [map_chart(level, measure, figures["month"]), heat_chart(user, figures["today"]),
              volume_chart(volume), categories_chart(figures["top_categories"]), weekday_chart(volume),
              yoy_chart(volume)]
    return render(request, "dashboards/overview.html", {
        "title": _("City overview"), "figures": figures, "cards": cards(figures, labels), "charts": charts,
        "labels": labels, "explanations": figures["explanations"], "measures": measure_choices(),
        "measure": measure, "level": level, "levels": True, "alerts": _open_alerts(user), "unit": None,
    })


@staff_only
def unit_page(request, code):
    unit = get_object_or_404(Unit, code=code)
    if not kpi.can_see_unit(request.user, unit):
        raise PermissionDenied(_("You may see only your own unit's dashboard."))
    if kpi.unit_class_of(unit) is None:
        raise Http404(_("This unit has no dashboard of its own."))
    now = timezone.now()
    figures = queries.unit_overview(unit, now)
    labels = measure_labels()
    measure = _choice(request, "measure", queries.MEASURES, "received")
    volume = queries.volume_figures(figures["today"], figures["unit_ids"])
    charts = []
    if unit.kind == UnitKind.DISTRICT:
        charts.append(map_chart("street", measure, figures["month"], within=unit))
    if unit.kind in (UnitKind.DISTRICT, UnitKind.STREET):
        charts.append(heat_chart(request.user, figures["today"], within=unit))
    charts += [volume_chart(volume), rates_chart(kpi.unit_history(unit, 12, figures["month"]), labels),
               categories_chart(figures["top_categories"]), weekday_chart(volume), yoy_chart(volume)]
    return render(request, "dashboards/overview.html", {
        "title": unit.name, "figures": figures, "cards": cards(figures, labels), "charts": charts,
        "labels": labels, "explanations": figures["explanations"], "measures": measure_choices(),
        "measure": measure, "levels": False, "unit": unit,
        "alerts": _open_alerts(request.user, unit.district_id) if unit.district_id else None,
        "kpi_url": reverse("kpi_unit", args=[unit.pk]),
    })


@require_GET
@staff_only
def geojson(request, level):
    """Boundaries of every district, or of the streets (of ?within=<district or street code>)."""
    if level not in queries.MAP_LEVELS:
        raise Http404()
    within = None
    if request.GET.get("within"):
        within = get_object_or_404(Unit, code=request.GET["within"], kind__in=(UnitKind.DISTRICT, UnitKind.STREET))
    data = geo.feature_collection(queries.MAP_LEVELS[level], within)
    response = JsonResponse(data)
    response["Cache-Control"] = "private, max-age=300"
    return response
