"""Grid pages: the grid list, a grid's page, the worker's patrol page (phone first), reports,
the street's map, assessment, duty lists, import/export, a ticket's ladder.

Views parse input and show results; changes go through jiesu.grids.services,
visibility through jiesu.grids.scoping.
"""
import json
import uuid
from datetime import datetime, time
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.accounts.models import Role
from jiesu.core.errors import DomainError
from jiesu.grids import assessment, ladder, scoping, services, svgmap
from jiesu.grids.models import (
    BoundaryVersion, CareKind, DutyLevel, Employment, GridDuty, GridMember, KeyPlace, Patrol, PatrolReport,
    PlaceKind, Post,
)
from jiesu.tickets.models import OPEN_STATES, Ticket
from jiesu.tickets.services import negative_entries_words
from jiesu.units import boundaries
from jiesu.units.models import Unit, UnitKind

GRID_ROLES = (Role.GRID_WORKER, Role.UNIT_STAFF, Role.SUPERVISOR, Role.DISPATCHER, Role.CALL_TAKER,
              Role.CALLBACK_AGENT, Role.ADMIN)


def roles(*allowed):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not scoping.core.has_role(request.user, *allowed):
                raise PermissionDenied(_("Your role may not do this."))
            return view(request, *args, **kwargs)
        return wrapper
    return decorator


def refused(request, exc):
    messages.error(request, exc.message if isinstance(exc, DomainError) else str(exc))


def _street(request):
    """The street in ?street=, else the user's own (or their first visible one)."""
    streets = scoping.visible_streets(request.user)
    code = request.GET.get("street") or request.POST.get("street")
    if code:
        street = streets.filter(code=code).first()
        if street is None:
            raise Http404(_("No street has this code."))
        return street
    unit = request.user.unit
    if unit is not None and unit.street_id:
        found = streets.filter(pk=unit.street_id).first()
        if found:
            return found
    return streets.order_by("code").first()


def _period(request):
    end = parse_date(request.GET.get("end") or "") or timezone.localdate()
    start = parse_date(request.GET.get("start") or "") or (end - timezone.timedelta(days=30))
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end, time.max, tzinfo=tz),
            start, end)


def grid_svg(grids, highlight=None, width=360, height=300, href=True):
    grids = [g for g in grids if g.geometry]
    frame = svgmap.frame_for([g.geometry for g in grids], width, height)
    shapes = []
    for g in grids:
        x, y = svgmap.label_point(g.geometry, frame)
        shapes.append({"code": g.code, "name": g.name, "d": svgmap.path_d(g.geometry, frame), "x": x, "y": y,
                       "short": g.code[-3:], "mine": highlight is None or g.pk in highlight,
                       "href": reverse("grid_detail", args=[g.code]) if href else ""})
    return {"frame": frame, "frame_json": json.dumps(frame.as_dict()), "width": frame.width,
            "height": frame.height, "shapes": shapes}


# ── the grid list ───────────────────────────────────────────────────────────

@roles(*GRID_ROLES)
def grid_home(request):
    user = request.user
    grids = scoping.visible_grids(user).filter(active=True).select_related("parent", "street")
    mine = scoping.member_grid_ids(user)
    q = (request.GET.get("q") or "").strip()
    if q:
        grids = grids.filter(name__icontains=q) | grids.filter(code__startswith=q)
    page = Paginator(services.staffed(grids).order_by("code"), 60).get_page(request.GET.get("page"))
    open_counts = dict(Ticket.objects.filter(grid__in=[g.pk for g in page], state__in=OPEN_STATES)
                       .values_list("grid_id").annotate(n=Count("id")))
    return render(request, "grids/home.html", {
        "page": page, "mine": mine, "q": q, "open_counts": open_counts,
        "my_grids": Unit.objects.filter(pk__in=mine).order_by("code"),
        "streets": scoping.visible_streets(user).order_by("code")[:50],
        "is_worker": user.role == Role.GRID_WORKER, "patrol": services.open_patrol(user),
    })


# ── one grid ────────────────────────────────────────────────────────────────

@roles(*GRID_ROLES)
def grid_detail(request, code):
    user = request.user
    try:
        grid = services.grid_for(user, code)
    except services.NotFound:
        raise Http404(_("No grid has this code."))
    if request.method == "POST":
        return _grid_post(request, grid)
    siblings = Unit.objects.filter(parent_id=grid.parent_id, kind=UnitKind.GRID, active=True).order_by("code")
    tickets = scoping.grid_tickets(user).filter(grid=grid).select_related("category", "lead_unit")[:20]
    return render(request, "grids/detail.html", {
        "grid": grid, "svg": grid_svg(list(siblings), highlight={grid.pk}),
        "people": services.people_of(grid), "info": services.info_of(grid),
        "places": KeyPlace.objects.filter(grid=grid), "care": services.care_subjects_for(user, grid),
        "care_full": scoping.may_see_care_details(user, grid), "may_edit": scoping.may_edit_info(user, grid),
        "may_manage": scoping.may_manage(user, grid.street),
        "versions": BoundaryVersion.objects.filter(grid=grid)[:10], "tickets": tickets,
        "place_kinds": PlaceKind.choices, "care_kinds": CareKind.choices, "posts": Post.choices,
        "employments": Employment.choices,
        "reports": PatrolReport.objects.filter(grid=grid).select_related("ticket", "worker")[:10],
        "patrols": Patrol.objects.filter(grid=grid).select_related("worker")[:10],
    })


def _grid_post(request, grid):
    what = request.POST.get("what")
    p = request.POST
    try:
        if what == "info":
            services.update_info(request.user, grid, p.get("population"), p.get("households"), p.get("buildings"),
                                 p.get("note"))
            messages.success(request, _("Grid information saved."))
        elif what == "place":
            services.add_key_place(request.user, grid, p.get("kind"), p.get("name"), p.get("address", ""))
            messages.success(request, _("Key place added."))
        elif what == "care":
            services.add_care_subject(request.user, grid, p.get("kind"), p.get("name"), p.get("phone", ""),
                                      p.get("address", ""), p.get("note", ""))
            messages.success(request, _("Person needing care added."))
        elif what == "member":
            services.add_member(request.user, grid, p.get("username", "").strip(), p.get("post"),
                                p.get("employment"))
            messages.success(request, _("Person put on the grid."))
        elif what == "remove_member":
            member = GridMember.objects.filter(pk=p.get("member"), grid=grid).first()
            if member:
                services.remove_member(request.user, member)
                messages.success(request, _("Person taken off the grid."))
    except (DomainError, PermissionDenied) as exc:
        refused(request, exc)
    return redirect("grid_detail", code=grid.code)


# ── patrol (phone first) ────────────────────────────────────────────────────

@roles(Role.GRID_WORKER, Role.ADMIN)
def patrol(request):
    user = request.user
    mine = Unit.objects.filter(pk__in=scoping.member_grid_ids(user)).order_by("code")
    running = services.open_patrol(user)
    chosen = running.grid if running else None
    code = request.GET.get("grid")
    if chosen is None:
        chosen = mine.filter(code=code).first() if code else mine.first()
    matters = services.matters_for(chosen.street_id) if chosen else []
    recent = PatrolReport.objects.filter(worker=user).select_related("ticket", "grid")[:8]
    return render(request, "grids/patrol.html", {
        "grids": mine, "grid": chosen, "patrol": running, "matters": matters,
        "svg": grid_svg([chosen], href=False, width=360, height=300) if chosen and chosen.geometry else None,
        "recent": recent, "levels": dict(DutyLevel.choices),
        # the page's own key: a report sent twice from it is recorded once, two pages never share one
        "report_key": uuid.uuid4().hex, "kept": request.session.pop("grid_report_kept", None) or {},
    })


@require_POST
@roles(Role.GRID_WORKER, Role.ADMIN)
def patrol_start(request):
    try:
        services.start_patrol(request.user, request.POST.get("grid", ""))
        messages.success(request, _("Patrol started: your route is recorded while this page is open."))
    except (DomainError, PermissionDenied) as exc:
        refused(request, exc)
    return redirect("grid_patrol")


@require_POST
@roles(Role.GRID_WORKER, Role.ADMIN)
def patrol_stop(request, pk):
    try:
        p = services.stop_patrol(request.user, pk)
        messages.success(request, _("Patrol ended: %(km).2f km, %(share)s of the grid visited.") % {
            "km": p.distance_m / 1000, "share": f"{(p.visited_share or 0) * 100:.0f}%"})
    except (DomainError, PermissionDenied) as exc:
        refused(request, exc)
    return redirect("grid_patrol")


@require_POST
@roles(Role.GRID_WORKER, Role.ADMIN)
def patrol_points(request, pk):
    """JSON {"points": [{lon, lat, at (ISO), accuracy}]} from the patrol page's location watcher."""
    try:
        body = json.loads(request.body or b"{}")
        points = [(p.get("lon"), p.get("lat"), parse_datetime(p["at"]) if p.get("at") else None, p.get("accuracy"))
                  for p in body.get("points", [])]
        skipped = []
        n = services.add_points(request.user, pk, points, skipped)
    except (ValueError, AttributeError):
        return JsonResponse({"error": "invalid", "message": _("The points cannot be read.")}, status=400)
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    return JsonResponse({"recorded": n, **({"skipped": skipped} if skipped else {})})


def _float(v):
    try:
        return float(v) if v not in (None, "") else None
    except ValueError:
        return None


@require_POST
@roles(Role.GRID_WORKER, Role.ADMIN)
def report(request):
    p = request.POST
    running = services.open_patrol(request.user)
    data = services.ReportData(
        text=p.get("text", ""), category_code=p.get("category", ""), grid_code=p.get("grid", ""),
        lon=_float(p.get("lon")), lat=_float(p.get("lat")), address=p.get("address", ""),
        photos=request.FILES.getlist("photos"), self_handled=p.get("self_handled") == "on",
        after_photos=request.FILES.getlist("after_photos"), handled_note=p.get("handled_note", ""),
        patrol_id=running.pk if running else None)
    try:
        rep, _created = services.file_report(request.user, data, idempotency_key=p.get("report_key") or None)
    except DomainError as exc:
        refused(request, exc)
        kept = {k: p.get(k, "") for k in ("text", "category", "lon", "lat", "address", "handled_note")}
        kept["self_handled"] = data.self_handled
        kept["photos"] = "、".join(f.name for f in data.photos + data.after_photos)  # a browser cannot keep files
        request.session["grid_report_kept"] = kept
        return redirect(reverse("grid_patrol") + (f"?grid={data.grid_code}" if data.grid_code else ""))
    if rep.self_handled:
        messages.success(request, _("Report %(number)s filed and closed: handled on the spot.")
                         % {"number": rep.ticket.number})
    else:
        messages.success(request, _("Report %(number)s filed: %(level)s.") % {
            "number": rep.ticket.number, "level": DutyLevel(rep.duty_level).label})
    return redirect(reverse("grid_patrol") + f"?grid={rep.grid.code}")


# ── reports list (community / street) ──────────────────────────────────────

@roles(*GRID_ROLES)
def reports(request):
    user = request.user
    qs = PatrolReport.objects.filter(grid__in=scoping.visible_grids(user)) \
        .select_related("ticket", "ticket__category", "ticket__lead_unit", "grid", "worker")
    grid = request.GET.get("grid", "")
    if grid:
        qs = qs.filter(grid__code=grid)
    state = request.GET.get("state", "")
    if state == "open":
        qs = qs.filter(ticket__state__in=OPEN_STATES)
    elif state == "self":
        qs = qs.filter(self_handled=True)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "grids/reports.html", {"page": page, "grid": grid, "state": state,
                                                  "levels": dict(DutyLevel.choices)})


# ── map and assessment ──────────────────────────────────────────────────────

@roles(Role.UNIT_STAFF, Role.SUPERVISOR, Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN)
def street_map(request):
    street = _street(request)
    if street is None:
        raise Http404(_("No street to show."))
    start, end, d0, d1 = _period(request)
    measure = request.GET.get("measure", "open_tickets")
    grids = scoping.visible_grids(request.user).filter(street=street, active=True)
    rows, _w = assessment.assess(grids, start, end, by_worker=False)
    drawing = assessment.street_map(grids, rows, measure, href=lambda g: reverse("grid_detail", args=[g.code]))
    return render(request, "grids/map.html", {
        "street": street, "drawing": drawing, "measures": [(k, v[0]) for k, v in assessment.MEASURES.items()],
        "streets": scoping.visible_streets(request.user).order_by("code")[:400], "start": d0, "end": d1,
        "rows": rows})


@roles(Role.UNIT_STAFF, Role.SUPERVISOR, Role.GRID_WORKER, Role.ADMIN)
def assessment_page(request):
    street = _street(request)
    if street is None:
        raise Http404(_("No street to show."))
    start, end, d0, d1 = _period(request)
    grids = scoping.visible_grids(request.user).filter(street=street, active=True)
    grid_rows, worker_rows = assessment.assess(grids, start, end)
    if request.GET.get("format") == "csv":
        response = HttpResponse(assessment.csv_text(grid_rows, worker_rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="grid-assessment-{street.code}-{d0}-{d1}.csv"'
        return response
    return render(request, "grids/assessment.html", {
        "street": street, "grid_rows": grid_rows, "worker_rows": worker_rows, "start": d0, "end": d1,
        "streets": scoping.visible_streets(request.user).order_by("code")[:400]})


# ── duty lists ──────────────────────────────────────────────────────────────

@roles(Role.UNIT_STAFF, Role.SUPERVISOR, Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN)
def duties(request):
    street = _street(request) if request.GET.get("street") != "city" else None
    may_edit = scoping.may_manage(request.user, street) if street else scoping.may_edit_city_default(request.user)
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("delete"):
                duty = GridDuty.objects.filter(pk=p.get("delete")).first()
                if duty:
                    services.delete_duty(request.user, duty)
                    messages.success(request, _("Duty line deleted."))
            else:
                services.set_duty(request.user, street, p.get("level", ""), p.get("gbt_code", ""),
                                  p.get("category", ""), p.get("self_handle") == "on", p.get("note", ""))
                messages.success(request, _("Duty line saved."))
        except (DomainError, PermissionDenied) as exc:
            refused(request, exc)
        return redirect(reverse("grid_duties") + f"?street={street.code if street else 'city'}")
    own, city = services.duty_list(street)
    from jiesu.categories.models import Category

    names = dict(Category.objects.filter(gbt_code__in=[d.gbt_code for d in own + city if len(d.gbt_code) == 5],
                                         level=3).values_list("gbt_code", "name"))
    return render(request, "grids/duties.html", {
        "street": street, "own": own, "city": city, "may_edit": may_edit, "levels": DutyLevel.choices,
        "names": names, "streets": scoping.visible_streets(request.user).order_by("code")[:400]})


# ── import / export ─────────────────────────────────────────────────────────

@roles(Role.UNIT_STAFF, Role.SUPERVISOR, Role.ADMIN)
def import_page(request):
    report = None
    street = _street(request)
    checks = services.check_street(street) if street and request.GET.get("check") else None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a GeoJSON file."))
        else:
            try:
                text = upload.read().decode("utf-8-sig")
                records = services.read_geojson_text(text)
                report = services.import_grids(request.user, records, dry_run=request.POST.get("dry_run") == "on",
                                               note=request.POST.get("note", ""))
            except UnicodeDecodeError:
                messages.error(request, _("The file is not UTF-8 text."))
            except (DomainError, PermissionDenied) as exc:
                refused(request, exc)
    return render(request, "grids/import.html", {"report": report, "street": street, "checks": checks,
                                                 "streets": scoping.visible_streets(request.user).order_by("code")[:400]})


@roles(*GRID_ROLES)
def export(request):
    street = _street(request)
    if street is None:
        raise Http404(_("No street to show."))
    grids = scoping.visible_grids(request.user).filter(street=street, active=True)
    response = HttpResponse(services.export_text(grids), content_type="application/geo+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grids-{street.code}.geojson"'
    return response


# ── a ticket on the ladder ──────────────────────────────────────────────────

def _visible_ticket(request, pk):
    ticket = Ticket.objects.filter(pk=pk).select_related("lead_unit", "grid", "category").first()
    if ticket is None or not scoping.can_see_ticket(request.user, ticket):
        raise Http404(_("No such ticket."))
    return ticket


@roles(*GRID_ROLES)
def ticket_ladder(request, pk):
    ticket = _visible_ticket(request, pk)
    level, target = services.escalation_target(ticket)
    report = PatrolReport.objects.filter(ticket=ticket).select_related("worker", "grid").first()
    may_self = False
    if ticket.state in ("new", "dispatched", "signed", "contacted") and request.user.role == Role.GRID_WORKER:
        grid_id = ticket.lead_unit_id or ticket.grid_id
        if grid_id in scoping.member_grid_ids(request.user):
            grid = Unit.objects.get(pk=grid_id)
            may_self = grid.kind == UnitKind.GRID and services.duty_for(grid.street_id, ticket.category)[1]
    first = services.grid_first(ticket) if ticket.state == "new" else None
    may_escalate = services.may_escalate(request.user, ticket)
    barred = services.barred_step_up(ticket, target) if may_escalate else []
    return render(request, "grids/ticket.html", {
        "ticket": ticket, "steps": ticket.ladder_steps.select_related("unit", "by"), "report": report,
        "may_escalate": may_escalate, "target": target, "target_level": level,
        "target_barred": negative_entries_words(barred) if barred else "",
        "may_whistle": ladder.may_whistle(level) if level else False, "may_self": may_self,
        "grid_first": first, "may_route": first is not None and scoping.core.has_role(request.user, Role.DISPATCHER),
        "photos": ticket.attachments.all(),
    })


@require_POST
@roles(*GRID_ROLES)
def ticket_act(request, pk, action):
    ticket = _visible_ticket(request, pk)
    try:
        if action == "escalate":
            lead = services.escalate(request.user, ticket, request.POST.get("reason", "")).lead_unit
            messages.success(request, _("Passed up to %(unit)s.") % {"unit": lead} if lead else
                             _("The negative list bars the next level: the ticket went to the hotline's dispatch."))
        elif action == "self-handle":
            services.self_handle(request.user, ticket, request.POST.get("note", ""),
                                 request.FILES.getlist("after_photos"))
            messages.success(request, _("Handled on the spot; the ticket is closed."))
        elif action == "route":
            services.route_to_grid(request.user, ticket)
            messages.success(request, _("Dispatched by the grid duty list."))
        else:
            raise Http404()
    except (DomainError, PermissionDenied) as exc:
        refused(request, exc)
    return redirect("grid_ticket", pk=pk)
