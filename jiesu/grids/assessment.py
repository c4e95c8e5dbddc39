"""Assessment of grid work (考核) and the street's map. Reads only: it never writes.

Per grid and per worker over a period: patrols, time and distance on patrol,
share of the grid's area visited (tracks buffered by geometry.VISIT_RADIUS_M),
reports filed, share handled on the spot, timeliness on the ladder, and the
主动发现率 (patrol-found vs citizen-reported tickets in the grid).
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.grids import geometry as ggeo
from jiesu.grids import measures, svgmap
from jiesu.grids.models import LadderStep, Patrol, PatrolReport, TrackPoint
from jiesu.tickets.models import OPEN_STATES, Channel, Ticket


@dataclass
class Row:
    grid_code: str
    grid_name: str
    worker: str = ""
    worker_name: str = ""
    patrols: int = 0
    hours: float = 0.0
    km: float = 0.0
    visited_share: float | None = None
    reports: int = 0
    self_handled: int = 0
    self_handled_share: float | None = None
    steps_on_time: int = 0
    steps_late: int = 0
    timeliness: float | None = None
    citizen_tickets: int = 0
    discovery_rate: float | None = None
    open_tickets: int = 0

    def as_dict(self):
        return asdict(self)


MEASURES = {
    # name: (label, higher is better, formatter)
    "open_tickets": (gettext_lazy("Open tickets"), False, str),
    "discovery_rate": (gettext_lazy("Proactive discovery rate (主动发现率)"), True, measures.percent),
    "visited_share": (gettext_lazy("Share of the grid visited"), True, measures.percent),
    "reports": (gettext_lazy("Patrol reports"), True, str),
    "self_handled_share": (gettext_lazy("Share handled on the spot"), True, measures.percent),
    "timeliness": (gettext_lazy("Timeliness on the ladder"), True, measures.percent),
    "citizen_tickets": (gettext_lazy("Citizen tickets"), False, str),
}


def assess(grids, start, end, by_worker=True):
    """(grid rows, worker rows) for the grids (a Unit queryset) between start and end."""
    grids = list(grids.order_by("code").only("id", "code", "name", "geometry"))
    ids = [g.pk for g in grids]
    by_id = {g.pk: g for g in grids}
    grid_rows = {g.pk: Row(g.code, g.name) for g in grids}
    worker_rows = {}

    def wrow(worker, grid_id):
        key = (worker.pk, grid_id)
        if key not in worker_rows:
            g = by_id[grid_id]
            worker_rows[key] = Row(g.code, g.name, worker.username, str(worker))
        return worker_rows[key]

    patrols = list(Patrol.objects.filter(grid_id__in=ids, started_at__gte=start, started_at__lt=end,
                                         ended_at__isnull=False).select_related("worker"))
    tracks = defaultdict(list)
    worker_tracks = defaultdict(list)
    points = defaultdict(list)
    for p in TrackPoint.objects.filter(patrol__in=[p.pk for p in patrols]).order_by("patrol_id", "at", "id") \
            .values_list("patrol_id", "lon", "lat"):
        points[p[0]].append((p[1], p[2]))
    for patrol in patrols:
        hours = (patrol.ended_at - patrol.started_at).total_seconds() / 3600
        for row in [grid_rows[patrol.grid_id]] + ([wrow(patrol.worker, patrol.grid_id)] if by_worker else []):
            row.patrols += 1
            row.hours += hours
            row.km += patrol.distance_m / 1000
        track = points.get(patrol.pk, [])
        tracks[patrol.grid_id].append(track)
        worker_tracks[(patrol.worker_id, patrol.grid_id)].append(track)
    for grid_id, row in grid_rows.items():
        if tracks.get(grid_id):
            row.visited_share = ggeo.visited_share(by_id[grid_id].geometry, tracks[grid_id])
    if by_worker:
        for (worker_id, grid_id), row in worker_rows.items():
            own = worker_tracks.get((worker_id, grid_id))
            if own and len(own) == len(tracks[grid_id]):  # every patrol of the grid: the grid's tracks, its share
                row.visited_share = grid_rows[grid_id].visited_share
            elif own:
                row.visited_share = ggeo.visited_share(by_id[grid_id].geometry, own)
    for report in PatrolReport.objects.filter(grid_id__in=ids, filed_at__gte=start, filed_at__lt=end) \
            .select_related("worker"):
        for row in [grid_rows[report.grid_id]] + ([wrow(report.worker, report.grid_id)] if by_worker else []):
            row.reports += 1
            row.self_handled += report.self_handled
    now = timezone.now()
    for step in LadderStep.objects.filter(unit_id__in=ids, level="grid", entered_at__gte=start, entered_at__lt=end):
        end_at = step.left_at or now
        if step.due_at is None or (step.left_at is None and now <= step.due_at):
            continue  # still running and not late yet
        row = grid_rows[step.unit_id]
        if end_at <= step.due_at:
            row.steps_on_time += 1
        else:
            row.steps_late += 1
    citizen = dict(Ticket.objects.filter(findable(), grid_id__in=ids, created_at__gte=start, created_at__lt=end)
                   .exclude(channel=Channel.PATROL).values_list("grid_id").annotate(n=Count("id")))
    open_ = dict(Ticket.objects.filter(grid_id__in=ids, state__in=OPEN_STATES)
                 .values_list("grid_id").annotate(n=Count("id")))
    for grid_id, row in grid_rows.items():
        row.citizen_tickets = citizen.get(grid_id, 0)
        row.open_tickets = open_.get(grid_id, 0)
        row.discovery_rate = measures.discovery_rate(row.reports, row.citizen_tickets)
        row.timeliness = measures.timeliness(row.steps_on_time, row.steps_late)
    for row in list(grid_rows.values()) + list(worker_rows.values()):
        row.hours, row.km = round(row.hours, 2), round(row.km, 2)
        row.self_handled_share = measures.share(row.self_handled, row.reports)
        if row.visited_share is not None:
            row.visited_share = round(row.visited_share, 4)
    return list(grid_rows.values()), sorted(worker_rows.values(), key=lambda r: (r.grid_code, r.worker))


def findable(prefix=""):
    """Q of tickets about matters a patrol can find: GB/T 47678.5 components and events, and the
    12345 categories (with their subtrees) a grid duty list names."""
    from jiesu.grids.models import GridDuty

    condition = ~Q(**{f"{prefix}category__gbt_code": ""}) & Q(**{f"{prefix}category__isnull": False})
    codes = set(GridDuty.objects.filter(category__isnull=False).values_list("category__code", flat=True))
    for code in sorted(codes):
        condition |= Q(**{f"{prefix}category__code": code}) | Q(**{f"{prefix}category__code__startswith": code + "."})
    return condition


LEVEL_FIELDS = {"grid": "grid", "community": "community", "street": "street", "district": "district"}


def discovery_by_month(start, end, level="street", units=None):
    """主动发现 for governance depth: patrol-found vs citizen-reported tickets per unit and month.

    Counts tickets created in [start, end) whose place lies in a unit of `level`
    (grid, community, street, district), optionally only `units` (ids or a
    queryset): every patrol ticket, and citizen tickets about matters a patrol can
    find (see `findable`). Returns rows {"unit_id", "month" (a date, first of the
    month, local time), "patrol", "citizen", "rate"} ordered by unit and month;
    rate is patrol / (patrol + citizen). Reads only.
    """
    field = LEVEL_FIELDS[level]
    qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, **{f"{field}__isnull": False})
    qs = qs.filter(Q(channel=Channel.PATROL) | findable())
    if units is not None:
        qs = qs.filter(**{f"{field}__in": units})
    rows = (qs.annotate(month=TruncMonth("created_at")).values(field, "month")
            .annotate(patrol=Count("id", filter=Q(channel=Channel.PATROL)),
                      citizen=Count("id", filter=~Q(channel=Channel.PATROL)))
            .order_by(field, "month"))
    return [{"unit_id": r[field], "month": _month(r["month"]), "patrol": r["patrol"], "citizen": r["citizen"],
             "rate": measures.discovery_rate(r["patrol"], r["citizen"])} for r in rows]


def _month(value):
    return value.date() if hasattr(value, "date") else value


CSV_COLUMNS = ("grid_code", "grid_name", "worker", "worker_name", "patrols", "hours", "km", "visited_share",
               "reports", "self_handled", "self_handled_share", "steps_on_time", "steps_late", "timeliness",
               "citizen_tickets", "discovery_rate", "open_tickets")


def csv_text(grid_rows, worker_rows):
    """One CSV: the grid rows (worker empty), then the worker rows. UTF-8 with BOM for spreadsheets."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in list(grid_rows) + list(worker_rows):
        d = row.as_dict()
        writer.writerow(["" if d[c] is None else (round(d[c], 4) if isinstance(d[c], float) else d[c])
                         for c in CSV_COLUMNS])
    return out.getvalue()


def _legend(present, low, high, good_high, fmt):
    """The values on the map with their colours when there are few, else the palette's steps from-values."""
    distinct = sorted(set(present))
    if len(distinct) <= len(svgmap.PALETTE):
        return [{"colour": svgmap.colour(v, low, high, good_high), "text": fmt(v)} for v in distinct]
    return [{"colour": c, "text": "≥ " + (str(round(v)) if fmt is str else fmt(v))}
            for c, v in svgmap.legend(low, high, good_high)]


def street_map(grids, rows, measure, href=None, width=720, height=520):
    """The SVG drawing of grids coloured by a measure of their assessment rows."""
    if measure not in MEASURES:
        measure = "open_tickets"
    label, good_high, fmt = MEASURES[measure]
    grids = list(grids.order_by("code"))
    frame = svgmap.frame_for([g.geometry for g in grids], width, height)
    by_code = {r.grid_code: r for r in rows}
    values = [getattr(by_code[g.code], measure) for g in grids if g.code in by_code]
    present = [v for v in values if v is not None]
    low, high = (min(present), max(present)) if present else (0, 1)
    shapes = []
    for g in grids:
        if not g.geometry:
            continue
        row = by_code.get(g.code)
        value = getattr(row, measure) if row else None
        x, y = svgmap.label_point(g.geometry, frame)
        shapes.append({"code": g.code, "name": g.name, "d": svgmap.path_d(g.geometry, frame),
                       "fill": svgmap.colour(value, low, high, good_high), "x": x, "y": y,
                       "value": value, "value_text": "—" if value is None else fmt(value),
                       "short": g.code[-3:], "href": href(g) if href else ""})
    legend = _legend(present, low, high, good_high, fmt)
    return {"frame": frame, "width": frame.width, "height": frame.height, "shapes": shapes, "legend": legend,
            "measure": measure, "label": label, "low": low, "high": high}
