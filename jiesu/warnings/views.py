"""The risk forecast page (风险预测图): one series' weeks with the band, the alerts, this week's
outliers, the sensors and their open incidents — all within what the user may see."""
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.categories.models import Category
from jiesu.core.errors import DomainError
from jiesu.dashboards.views import chart
from jiesu.units.models import Unit, UnitKind
from jiesu.warnings import forecast as F
from jiesu.warnings import services
from jiesu.warnings.models import Alert, SensorIncident

HISTORY_WEEKS = 12


def _district(request, allowed):
    """The district asked for (?district=code) within `allowed` (None: any, and the city by default)."""
    code = request.GET.get("district", "")
    if code:
        district = Unit.objects.filter(code=code, kind=UnitKind.DISTRICT).first()
        if district is None:
            raise Http404(_("No district has this code."))
        if allowed is not None and district.pk not in allowed:
            raise PermissionDenied(_("This district is outside your territory."))
        return district
    if allowed is None:
        return None
    return Unit.objects.get(pk=next(iter(allowed)))


def _category(request):
    code = request.GET.get("category", "")
    if not code:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise Http404(_("Unknown category."))
    return category


def band_chart(district, category, this_monday):
    """The 风险预测图 of one series: weeks before and after this one, actual against the band."""
    weeks = [this_monday + timedelta(weeks=i) for i in range(-HISTORY_WEEKS, services.DEFAULT_HORIZON + 1)]
    rows = {f.week: f for f in services.Forecast.objects.filter(
        district=district, category=category, week__gte=weeks[0], week__lte=weeks[-1])}
    alerts = set(Alert.objects.filter(forecast__in=rows.values()).values_list("week", flat=True))

    def value(week, attribute):
        row = rows.get(week)
        return None if row is None else getattr(row, attribute)

    spec = {"kind": "band", "categories": [f"{w:%m-%d}" for w in weeks],
            "actual": [value(w, "actual") if w <= this_monday else None for w in weeks],
            "expected": [None if value(w, "expected") is None else round(value(w, "expected"), 1) for w in weeks],
            "low": [value(w, "low") for w in weeks], "high": [value(w, "high") for w in weeks],
            "alerts": [i for i, w in enumerate(weeks) if w in alerts],
            "labels": {"actual": _("Actual"), "expected": _("Forecast")}}
    table = []
    for w in weeks:
        row = rows.get(w)
        table.append((f"{w:%Y-%m-%d}", "—" if row is None or row.actual is None or w > this_monday else row.actual,
                      "—" if row is None else f"{row.expected:.1f}", "—" if row is None else f"{row.low}–{row.high}",
                      _("alert") if w in alerts else ""))
    title = _("Weekly requests against the forecast band: %(where)s, %(what)s") % {
        "where": district.name if district else _("the whole city"),
        "what": category.name if category else _("all categories")}
    return chart("chart-risk", title, spec, [_("Week (Monday)"), _("Actual"), _("Forecast"), _("Band (95 %)"), ""],
                 table, note=_("The week of %(week)s is still running: its count so far.") % {
                     "week": f"{this_monday:%Y-%m-%d}"})


def outliers(user, this_monday, district=None, limit=15):
    """This week's series furthest above their forecast (actual so far ÷ band top)."""
    qs = services.visible_forecasts(user).filter(week=this_monday, actual__isnull=False, category__isnull=False,
                                                 high__gt=0).select_related("district", "category")
    if district is not None:
        qs = qs.filter(district=district)
    rows = sorted(qs, key=lambda f: -(f.actual / f.high))[:limit]
    return [f for f in rows if f.actual > 0]


@login_required
def board(request):
    user = request.user
    allowed = services.forecast_district_ids(user)
    district, category = _district(request, allowed), _category(request)
    this_monday = F.week_start(timezone.localdate())
    alerts = services.visible_alerts(user).select_related("district", "category", "acknowledged_by")
    if district is not None:
        alerts = alerts.filter(district=district)
    incidents = list(SensorIncident.objects.filter(sensor__in=services.visible_sensors(user))
                     .select_related("sensor", "ticket").order_by("-opened_at")[:20])
    readable = services.readable_ticket_ids(user, [i.ticket_id for i in incidents])
    for i in incidents:  # who may see the sensor may not read its ticket (not yet dispatched, or not to them)
        i.ticket_readable = i.ticket_id in readable
    categories = Category.objects.filter(level=services.DEFAULT_LEVEL, active=True).order_by("code")
    districts = Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).order_by("code")
    if allowed is not None:
        districts = districts.filter(pk__in=allowed)
    return render(request, "warnings/board.html", {
        "chart": band_chart(district, category, this_monday), "district": district, "category": category,
        "districts": districts, "categories": categories, "city_allowed": allowed is None,
        "alerts": alerts.order_by("state", "-week", "-actual")[:50], "outliers": outliers(user, this_monday, district),
        "incidents": incidents, "sensors": services.visible_sensors(user).select_related("street", "owner")[:100],
        "this_monday": this_monday, "may_acknowledge": _may_acknowledge(user),
        "no_forecasts": not services.Forecast.objects.exists(),
    })


def _may_acknowledge(user):
    from jiesu.accounts.models import Role
    from jiesu.core import scoping

    return scoping.has_role(user, Role.SUPERVISOR, Role.ADMIN, Role.UNIT_STAFF, Role.DISPATCHER)


@require_POST
@login_required
def acknowledge(request, pk):
    alert = get_object_or_404(services.visible_alerts(request.user), pk=pk)
    try:
        services.acknowledge(request.user, alert, request.POST.get("note", ""))
        messages.success(request, _("Alert acknowledged."))
    except DomainError as exc:
        messages.error(request, exc.message)
    url = reverse("warning_board")
    if alert.district_id:
        url += f"?district={alert.district.code}"
    return redirect(url)

