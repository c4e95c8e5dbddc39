"""REST endpoints for every whistle action (mounted at /api/v1/whistles)."""
from datetime import date, datetime

from django.http import Http404
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from jiesu.core.api_support import Coordinate, Flag, RecordId
from jiesu.units.models import Unit
from jiesu.whistles import rules, scoping, services, stats
from jiesu.whistles.models import Summons, Task, Whistle, WhistleLevel, WhistleNotice
from jiesu.whistles.services import WhistleData

router = Router(tags=["whistles"])


# ── schemas ─────────────────────────────────────────────────────────────────

class UnitRef(Schema):
    id: int
    code: str
    name: str


class SummonsIn(Schema):
    unit: RecordId = Field(..., description="unit id")
    form: str = Field("on_site", description="on_site / meeting / joint / written")
    due: str = Field("", description="this unit's report deadline (ISO date or datetime); default: the level's")


class WhistleIn(Schema):
    title: str
    description: str
    trigger: str = Field("public", description="public (群众诉求) / key_work / enforcement / emergency")
    level: str = Field("normal", description="level code: normal / key / hard / emergency (see /levels)")
    mode: str = Field("regular", description="regular (常规) / quick (快速: on site, report within 30 min)")
    address: str = ""
    lon: Coordinate | None = None
    lat: Coordinate | None = None
    place: str = Field("", description="territorial unit code; default: the first linked ticket's place")
    tickets: list[str] = Field([], description="linked ticket ids or numbers (20261122-0000123)")
    summons: list[SummonsIn]


class SummonsOut(Schema):
    id: int
    unit: UnitRef
    form: str
    state: str
    status: str
    has_duty: bool | None
    summoned_at: datetime | None
    report_due: datetime | None
    checked_in_at: datetime | None
    person: str
    late: bool
    objection: str
    escalated_at: datetime | None


class TaskOut(Schema):
    id: int
    unit: UnitRef
    title: str
    criterion: str
    due: datetime
    state: str
    status: str
    progress: str
    done_at: datetime | None
    accepted_at: datetime | None
    evidence: int


class RatingOut(Schema):
    unit: UnitRef
    by: str
    timeliness: int
    effort: int
    result: int
    score: float
    comment: str
    at: datetime


class ApprovalOut(Schema):
    step: int
    step_name: str
    approved: bool
    by: str | None
    at: datetime
    note: str


class WhistleOut(Schema):
    id: int
    number: str
    title: str
    description: str
    trigger: str
    level: str
    mode: str
    source: str
    state: str
    unit: UnitRef
    district: str | None
    place: str | None
    address: str
    created_at: datetime
    approved_at: datetime | None
    summoned_at: datetime | None
    closed_at: datetime | None
    needs_review: bool
    escalated: bool
    raised_to_district_at: datetime | None = None
    raised_to_district_reason: str = ""
    run_by: str = Field("unit", description="who runs the whistle: unit (the whistling unit) or district (after 提级)")
    result: str
    approval_chain: list[str]
    tickets: list[str]
    attachments: list[str] = []
    no_duty_units: list[str] = []
    approvals: list[ApprovalOut] = []
    summons: list[SummonsOut] = []
    tasks: list[TaskOut] = []
    ratings: list[RatingOut] = []


class WhistleRow(Schema):
    id: int
    number: str
    title: str
    trigger: str
    level: str
    mode: str
    state: str
    unit: str
    created_at: datetime
    closed_at: datetime | None
    run_by: str = Field("unit", description="unit (the whistling unit) or district (raised to it, 提级)")


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    unit: str | None
    from_state: str
    to_state: str
    note: str
    payload: dict


class LevelOut(Schema):
    code: str
    name: str
    report_amount: float
    report_unit: str
    task_days: int
    approval_chain: list[str]
    approval_positions: list[str] = Field(description="the lowest position that signs each step; \"\": anyone")


class Decision(Schema):
    approved: Flag
    note: str = ""


class Note(Schema):
    note: str = ""


class CheckIn(Schema):
    person: str = ""
    lon: Coordinate | None = None
    lat: Coordinate | None = None
    note: str = ""


class Reason(Schema):
    reason: str


class Uphold(Schema):
    uphold: Flag
    note: str = ""


class TaskIn(Schema):
    unit: RecordId
    title: str
    criterion: str
    due: str = Field("", description="ISO date or datetime; default: the level's task limit")


class ProgressIn(Schema):
    text: str
    done: Flag = False


class TaskAcceptIn(Schema):
    """(Not AcceptIn: the OpenAPI schema names a body by its class, and the dispatch desk's accept has one.)"""

    accept: Flag
    note: str = ""


class ResultIn(Schema):
    result: str


class DueReason(Schema):
    due: str = Field(..., description="the new deadline: ISO date (end of that working day) or datetime, ahead")
    reason: str


class UnitText(Schema):
    unit: RecordId
    text: str = ""


class UnitReason(Schema):
    unit: RecordId
    reason: str


class RatingIn(Schema):
    unit: RecordId
    timeliness: int = Field(..., strict=True)
    effort: int = Field(..., strict=True)
    result: int = Field(..., strict=True)
    comment: str = ""


class NoticeOut(Schema):
    id: int
    whistle: int
    number: str
    kind: str
    about: str | None
    text: str
    created_at: datetime
    read_at: datetime | None


class Suggestion(Schema):
    unit: UnitRef
    duty: bool
    whistles: int
    tickets: int
    score: float


# ── helpers ─────────────────────────────────────────────────────────────────

def _ref(unit):
    return {"id": unit.pk, "code": unit.code, "name": unit.name}


def _visible(request, pk):
    whistle = (Whistle.objects.select_related("level", "unit", "district", "place").filter(pk=pk).first())
    if whistle is None or not scoping.can_view(request.user, whistle):
        raise Http404
    return whistle


def _summons(whistle, sid):
    found = whistle.summons.filter(pk=sid).first()
    if found is None:
        raise Http404
    return found


def _task(whistle, tid):
    found = whistle.tasks.filter(pk=tid).first()
    if found is None:
        raise Http404
    return found


def summons_status(s, now=None):
    return rules.checkin_status(s.report_due, s.checked_in_at, now or timezone.now(), s.state == "objected",
                                s.state == "released", s.whistle.closed_at)


def task_status(t, now=None):
    return rules.task_status(t.due, t.state, t.done_at, now or timezone.now())


def whistle_out(whistle, user=None):
    """One whistle as the API gives it; with `user`, only the ratings that user reads (scoping.own_figures)."""
    whistle = Whistle.objects.select_related("level", "unit", "district", "place").get(pk=whistle.pk)
    now = timezone.now()
    return {
        "id": whistle.pk, "number": whistle.number, "title": whistle.title, "description": whistle.description,
        "trigger": whistle.trigger, "level": whistle.level.code, "mode": whistle.mode, "source": whistle.source,
        "state": whistle.state, "unit": _ref(whistle.unit),
        "district": whistle.district.name if whistle.district_id else None,
        "place": whistle.place.name if whistle.place_id else None, "address": whistle.address,
        "created_at": whistle.created_at, "approved_at": whistle.approved_at, "summoned_at": whistle.summoned_at,
        "closed_at": whistle.closed_at, "needs_review": whistle.needs_review, "escalated": whistle.escalated,
        "raised_to_district_at": whistle.raised_to_district_at,
        "raised_to_district_reason": whistle.raised_to_district_reason,
        "run_by": "district" if whistle.raised_to_district_at else "unit",
        "result": whistle.result, "approval_chain": list(whistle.level.approval_chain),
        "tickets": [t.number for t in whistle.tickets.all()],
        "attachments": [a.name for a in whistle.attachments.all()],
        "no_duty_units": [u.name for u in services.no_duty_warning(whistle)],
        "approvals": [{"step": a.step, "step_name": a.step_name, "approved": a.approved,
                       "by": str(a.by) if a.by_id else None, "at": a.at, "note": a.note}
                      for a in whistle.approvals.select_related("by")],
        "summons": [{"id": s.pk, "unit": _ref(s.unit), "form": s.form, "state": s.state,
                     "status": summons_status(s, now), "has_duty": s.has_duty, "summoned_at": s.summoned_at,
                     "report_due": s.report_due, "checked_in_at": s.checked_in_at, "person": s.person,
                     "late": s.late, "objection": s.objection, "escalated_at": s.escalated_at}
                    for s in whistle.summons.select_related("unit")],
        "tasks": [{"id": t.pk, "unit": _ref(t.unit), "title": t.title, "criterion": t.criterion, "due": t.due,
                   "state": t.state, "status": task_status(t, now), "progress": t.progress, "done_at": t.done_at,
                   "accepted_at": t.accepted_at, "evidence": t.evidence.count()}
                  for t in whistle.tasks.select_related("unit")],
        "ratings": [{"unit": _ref(r.unit), "by": r.by, "timeliness": r.timeliness, "effort": r.effort,
                     "result": r.result, "score": r.score, "comment": r.comment, "at": r.at}
                    for r in scoping.own_figures(user, whistle.ratings.select_related("unit"))],
    }


def _row(w):
    return {"id": w.pk, "number": w.number, "title": w.title, "trigger": w.trigger, "level": w.level.code,
            "mode": w.mode, "state": w.state, "unit": w.unit.name, "created_at": w.created_at,
            "closed_at": w.closed_at, "run_by": "district" if w.raised_to_district_at else "unit"}


# ── endpoints ───────────────────────────────────────────────────────────────

@router.get("/levels", response=list[LevelOut], summary="Whistle levels and their approval chains")
def levels(request):
    return [{"code": lv.code, "name": lv.name, "report_amount": lv.report_amount, "report_unit": lv.report_unit,
             "task_days": lv.task_days, "approval_chain": list(lv.approval_chain),
             "approval_positions": rules.chain_positions(lv.approval_chain, lv.approval_positions)}
            for lv in WhistleLevel.objects.filter(active=True)]


@router.get("", response=list[WhistleRow], summary="Whistles you may see (newest first)")
def list_whistles(request, state: str = "", trigger: str = "", raised: bool = False, limit: int = 50, offset: int = 0):
    """`raised=true`: only the whistles raised to the district (提级), as the board's 只看已提级."""
    qs = scoping.visible_whistles(request.user).select_related("level", "unit")
    if raised:
        qs = qs.filter(raised_to_district_at__isnull=False)
    if state:
        qs = qs.filter(state=state)
    if trigger:
        qs = qs.filter(trigger=trigger)
    limit, offset = max(1, min(limit, 500)), max(offset, 0)
    return [_row(w) for w in qs.order_by("-created_at")[offset:offset + limit]]


@router.get("/summoned", response=list[WhistleRow], summary="Whistles that summoned your unit (the inbox)")
def summoned(request, open_only: bool = True):
    qs = Whistle.objects.filter(summons__unit_id=request.user.unit_id, summons__summoned_at__isnull=False)
    if open_only:  # open: the whistle runs and the unit is still on it (not released)
        qs = qs.filter(state="active").exclude(summons__in=Summons.objects.filter(
            unit_id=request.user.unit_id, state="released"))
    return [_row(w) for w in qs.select_related("level", "unit").distinct().order_by("-created_at")[:200]]


@router.post("", response={201: WhistleOut}, summary="Raise a whistle (吹哨)")
def raise_whistle(request, payload: WhistleIn):
    data = WhistleData(title=payload.title, description=payload.description, trigger=payload.trigger,
                       level=payload.level, mode=payload.mode, address=payload.address, lon=payload.lon,
                       lat=payload.lat, place_code=payload.place, tickets=list(payload.tickets),
                       summons=[(s.unit, s.form, s.due or None) for s in payload.summons])
    return 201, whistle_out(services.raise_whistle(request.user, data), request.user)


@router.get("/suggestions", response=list[Suggestion], summary="Units to summon: duty list and past solvers")
def suggestions(request, tickets: str = "", place: str = "", trigger: str = ""):
    from jiesu.core import scoping as core_scoping
    from jiesu.tickets.models import Ticket

    ids = [int(x) for x in tickets.split(",") if x.strip().isdigit()]
    found = [t for t in Ticket.objects.filter(pk__in=ids).select_related("category", "street", "community")
             if core_scoping.can_view(request.user, t)]
    place_unit = Unit.objects.filter(code=place).first() if place else None
    if place_unit is None:
        place_unit = next((t.community or t.street for t in found if t.street_id), None)
    if place_unit is None and request.user.unit and request.user.unit.is_territorial:
        place_unit = request.user.unit
    out = services.suggest_units(request.user.unit, [t.category for t in found if t.category_id], place_unit,
                                 trigger)
    return [{**e, "unit": _ref(e["unit"])} for e in out]


@router.get("/stats", summary="Statistics of the whistles you may see")
def statistics(request, date_from: date | None = None, date_to: date | None = None):
    qs = stats.in_period(scoping.visible_whistles(request.user), date_from, date_to)
    return {"summary": stats.summary(qs, user=request.user), "counts": stats.counts(qs),
            "report_on_time": stats.report_on_time(qs, user=request.user)}


@router.get("/ratings", summary="Ratings rolled up per unit and month (feeds the assessment pages)")
def ratings(request, month: str = ""):
    from jiesu.kpi.services import parse_month

    month = f"{parse_month(month):%Y-%m}" if month.strip() else None
    return stats.unit_month_ratings(month, whistles=scoping.visible_whistles(request.user), user=request.user)


@router.get("/notices", response=list[NoticeOut], summary="督办 notices and reports to the district for your unit")
def notices(request, unread_only: bool = False):
    qs = WhistleNotice.objects.filter(unit_id=request.user.unit_id).select_related("whistle", "about")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return [{"id": n.pk, "whistle": n.whistle_id, "number": n.whistle.number, "kind": n.kind,
             "about": n.about.name if n.about_id else None, "text": n.text, "created_at": n.created_at,
             "read_at": n.read_at} for n in qs.order_by("-created_at")[:200]]


@router.get("/{int:pk}", response=WhistleOut, summary="One whistle: summons, check-ins, tasks, ratings")
def detail(request, pk: int):
    return whistle_out(_visible(request, pk), request.user)


@router.get("/{int:pk}/events", response=list[EventOut], summary="The whistle's timeline")
def events(request, pk: int):
    whistle = _visible(request, pk)
    return [{"at": e.at, "kind": e.kind, "actor": str(e.actor) if e.actor_id else None,
             "unit": e.actor_unit.name if e.actor_unit_id else None, "from_state": e.from_state,
             "to_state": e.to_state, "note": e.note, "payload": e.payload}
            for e in scoping.timeline_for(request.user, whistle, whistle.events.select_related("actor", "actor_unit"))]


@router.post("/{int:pk}/approve", response=WhistleOut, summary="Sign (or refuse) the next approval step")
def approve(request, pk: int, payload: Decision):
    return whistle_out(services.approve(request.user, _visible(request, pk), payload.approved, payload.note),
                       request.user)


@router.post("/{int:pk}/attachments", response=WhistleOut, summary="Add photos or documents (multipart: files)")
def attachments(request, pk: int, files: File[list[UploadedFile]]):
    return whistle_out(services.attach(request.user, _visible(request, pk), files), request.user)


@router.post("/{int:pk}/review", response=WhistleOut, summary="Review a quick whistle afterwards")
def review(request, pk: int, payload: Note):
    return whistle_out(services.review(request.user, _visible(request, pk), payload.note), request.user)


@router.post("/{int:pk}/summons", response=WhistleOut, summary="Summon one more unit")
def add_summons(request, pk: int, payload: SummonsIn):
    whistle = _visible(request, pk)
    services.summon(request.user, whistle, payload.unit, payload.form, payload.due or None)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/summons/{int:sid}/check-in", response=WhistleOut, summary="Check in (报到)")
def check_in(request, pk: int, sid: int, payload: CheckIn):
    whistle = _visible(request, pk)
    services.check_in(request.user, _summons(whistle, sid), payload.person, payload.lon, payload.lat, payload.note)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/summons/{int:sid}/objection", response=WhistleOut, summary="Object (not our matter)")
def objection(request, pk: int, sid: int, payload: Reason):
    whistle = _visible(request, pk)
    services.object_to(request.user, _summons(whistle, sid), payload.reason)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/summons/{int:sid}/decision", response=WhistleOut, summary="Decide an objection")
def decision(request, pk: int, sid: int, payload: Uphold):
    whistle = _visible(request, pk)
    services.decide_objection(request.user, _summons(whistle, sid), payload.uphold, payload.note)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/summons/{int:sid}/withdraw", response=WhistleOut,
             summary="Withdraw a summoned unit no longer needed (whistling unit, with a reason)")
def withdraw(request, pk: int, sid: int, payload: Reason):
    whistle = _visible(request, pk)
    services.withdraw(request.user, _summons(whistle, sid), payload.reason)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/summons/{int:sid}/deadline", response=WhistleOut,
             summary="Move a summoned unit's report deadline (延期; who runs the whistle, with a reason)")
def report_deadline(request, pk: int, sid: int, payload: DueReason):
    whistle = _visible(request, pk)
    services.set_report_due(request.user, _summons(whistle, sid), payload.due, payload.reason)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/tasks/{int:tid}/deadline", response=WhistleOut,
             summary="Move an open task's deadline (延期; who runs the whistle, with a reason)")
def task_deadline(request, pk: int, tid: int, payload: DueReason):
    whistle = _visible(request, pk)
    services.set_task_due(request.user, _task(whistle, tid), payload.due, payload.reason)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/tasks", response={201: WhistleOut}, summary="Add a task to the list (清单)")
def add_task(request, pk: int, payload: TaskIn):
    whistle = _visible(request, pk)
    services.add_task(request.user, whistle, payload.unit, payload.title, payload.criterion, payload.due or None)
    return 201, whistle_out(whistle, request.user)


@router.post("/{int:pk}/tasks/{int:tid}/progress", response=WhistleOut, summary="Report progress or completion")
def progress(request, pk: int, tid: int, payload: ProgressIn):
    whistle = _visible(request, pk)
    services.report_progress(request.user, _task(whistle, tid), payload.text, payload.done)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/tasks/{int:tid}/evidence", response=WhistleOut,
             summary="Report progress or completion with evidence photos (multipart: text, done, files)")
def progress_with_evidence(request, pk: int, tid: int, text: str = Form(...), done: bool = Form(False),
                           files: File[list[UploadedFile]] = None):
    whistle = _visible(request, pk)
    services.report_progress(request.user, _task(whistle, tid), text, done, files or [])
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/tasks/{int:tid}/acceptance", response=WhistleOut, summary="Accept or send back a task")
def acceptance(request, pk: int, tid: int, payload: TaskAcceptIn):
    whistle = _visible(request, pk)
    services.accept_task(request.user, _task(whistle, tid), payload.accept, payload.note)
    return whistle_out(whistle, request.user)


@router.post("/{int:pk}/close", response=WhistleOut, summary="Close (every task accepted); tickets get the result")
def close(request, pk: int, payload: ResultIn):
    return whistle_out(services.close(request.user, _visible(request, pk), payload.result), request.user)


@router.post("/{int:pk}/cancel", response=WhistleOut, summary="Cancel the whistle")
def cancel(request, pk: int, payload: Reason):
    return whistle_out(services.cancel(request.user, _visible(request, pk), payload.reason), request.user)


@router.post("/{int:pk}/supervise", response=WhistleOut, summary="督办: a supervision notice to a summoned unit")
def supervise(request, pk: int, payload: UnitText):
    return whistle_out(services.supervise(request.user, _visible(request, pk), payload.unit, payload.text),
                       request.user)


@router.post("/{int:pk}/raise-to-district", response=WhistleOut,
             summary="Raise the whistle to the district (提级): its units do not report or act")
def raise_to_district(request, pk: int, payload: Reason):
    return whistle_out(services.raise_to_district(request.user, _visible(request, pk), payload.reason), request.user)


@router.post("/{int:pk}/report-to-district", response=WhistleOut, summary="Report a refusing unit (Art.44)")
def report_to_district(request, pk: int, payload: UnitReason):
    return whistle_out(services.report_to_district(request.user, _visible(request, pk), payload.unit,
                                                   payload.reason), request.user)


@router.post("/{int:pk}/ratings", response={201: WhistleOut}, summary="Rate a unit (street: summoned; district: both)")
def rate(request, pk: int, payload: RatingIn):
    whistle = _visible(request, pk)
    services.rate(request.user, whistle, payload.unit, payload.timeliness, payload.effort, payload.result,
                  payload.comment)
    return 201, whistle_out(whistle, request.user)


__all__ = ["router", "Summons", "Task"]
