"""What can be done to a whistle. The only place that changes whistle state.

Every function checks who may act (jiesu.whistles.scoping) and the whistle's state
(jiesu.whistles.rules), changes the rows inside one transaction and writes a
WhistleEvent; what concerns the linked tickets (raised, closed with the result) is
also written to them, through jiesu.tickets.services.
"""
import math
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Position
from jiesu.categories.models import Category, Duty
from jiesu.categories.services import resolve_duty_unit
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.dispatch.coords import parse_number
from jiesu.tickets import services as ticket_services
from jiesu.tickets.models import State as TicketState
from jiesu.tickets.models import Ticket
from jiesu.tickets.queries import ticket_by_number
from jiesu.core import scoping as core_scoping
from jiesu.units.models import Unit, UnitKind
from jiesu.whistles import rules, scoping
from jiesu.whistles.models import (
    Approval, Evidence, Mode, Rating, RaterSide, ReportForm, Source, Summons, SummonsState, Task, TaskState,
    Trigger, Whistle, WhistleAttachment, WhistleEvent, WhistleLevel, WhistleNotice, WhistleState,
)
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import add_limit

MAX_SUMMONS = 20


# ── events ──────────────────────────────────────────────────────────────────

def record_event(whistle, kind, user=None, from_state="", to_state="", note="", summons=None, task=None, at=None,
                 **payload):
    return WhistleEvent.objects.create(
        whistle=whistle, at=at or timezone.now(), actor=user if user and user.is_authenticated else None,
        actor_unit_id=getattr(user, "unit_id", None), kind=kind, from_state=from_state,
        to_state=to_state or from_state, summons=summons, task=task, note=note, payload=payload)


def _ticket_event(whistle, kind, user, note="", **payload):
    """A TicketEvent on every linked ticket (the whistle concerns them)."""
    for ticket in whistle.tickets.all():
        ticket_services.record_event(ticket, kind, user, ticket.state, ticket.state, note, whistle=whistle.pk,
                                     whistle_number=whistle.number, **payload)


# ── checks ──────────────────────────────────────────────────────────────────

def _logged_in(user):
    if not user or not user.is_authenticated:
        raise Forbidden(_("Log in first."))


def _require(condition, message):
    if not condition:
        raise Forbidden(message)


def _require_runner(user, whistle, message):
    """Only whoever runs the whistle now (scoping.runs): its whistling unit, or after 提级 its district."""
    if whistle.raised_to_district_at and not scoping.runs(user, whistle):
        raise Forbidden(_("The whistle was raised to the district (提级): %(district)s runs it now.")
                        % {"district": whistle.district.name if whistle.district_id else _("the district")})
    _require(scoping.runs(user, whistle), message)


def _state(action, whistle):
    if not rules.may(action, whistle.state):
        raise Conflict(_("Not possible while the whistle is “%(state)s”.") % {"state": whistle.get_state_display()})


def locked(whistle):
    list(Whistle.objects.select_for_update().filter(pk=whistle.pk).values_list("pk"))
    whistle.refresh_from_db()
    return whistle


def _text(value, field_name, label, max_length=4000):
    return ticket_services.require_text(value, field_name, label, max_length)


def _unit(unit_id, field_name):
    try:
        unit = Unit.objects.filter(pk=int(unit_id), active=True).first()
    except (TypeError, ValueError):
        unit = None
    if unit is None or unit.kind not in scoping.SUMMONABLE_KINDS:
        raise DomainError(_("Choose a unit to summon (a department, enterprise, street or district)."),
                          field=field_name)
    return unit


def _point(lon, lat):
    """(lon, lat) as numbers on the globe, or (None, None) when neither is given; DomainError naming the field."""
    if lon in (None, "") and lat in (None, ""):
        return None, None
    out = []
    for value, name, bound in ((lon, "lon", 180), (lat, "lat", 90)):
        try:
            number = parse_number(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not math.isfinite(number) or abs(number) > bound:
            raise DomainError(_("Give both longitude (−180 to 180) and latitude (−90 to 90) as numbers, or "
                                "neither."), field=name)
        out.append(number)
    return tuple(out)


def _summons_form(value, field_name="form"):
    value = value or ReportForm.ON_SITE
    if value not in ReportForm.values:
        raise DomainError(_("Unknown report form “%(v)s”.") % {"v": value}, field=field_name)
    return value


# ── deadlines ───────────────────────────────────────────────────────────────

def _local(moment):
    """A deadline as its users read it: local time to the minute (notices, scan)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def report_due(whistle, start):
    amount, unit = rules.report_limit(whistle.mode, whistle.level.report_amount, whistle.level.report_unit)
    return add_limit(current_calendar(), timezone.localtime(start), amount, unit)


def default_task_due(whistle, start=None):
    start = timezone.localtime(start or timezone.now())
    if whistle.mode == Mode.QUICK or whistle.level.report_unit == "clock_hours":
        return add_limit(current_calendar(), start, 24 * whistle.level.task_days, "clock_hours")
    return current_calendar().add_working_days(start, whistle.level.task_days)


def parse_due(value, field_name="due"):
    """A deadline from a form or the API: a datetime, an ISO string, or a date (end of that working day)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError(_("Give the deadline as a date (2026-11-30) or a date and time."), field=field_name)
    if len(text) <= 10:
        moment = datetime.combine(moment.date(), time(17, 30))
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


# ── suggestions: whom to summon ─────────────────────────────────────────────

def _category_ids_with_ancestors(categories):
    ids = set()
    for category in categories:
        node = category
        while node is not None:
            ids.add(node.pk)
            node = node.parent
    return ids


def duty_units(categories, place):
    """Units the duty list makes responsible for these categories at this place: {unit id: role}."""
    if not categories:
        return {}
    ids = _category_ids_with_ancestors(categories)
    territory_ids = set()
    node = place
    while node is not None:
        territory_ids.add(node.pk)
        node = node.parent
    found = {}
    negative = set()
    for duty in Duty.objects.filter(category_id__in=ids).select_related("unit"):
        if duty.territory_id and duty.territory_id not in territory_ids:
            continue
        unit = resolve_duty_unit(duty, place)
        if unit is None:
            continue
        if duty.negative:
            negative.add(unit.pk)
        else:
            found.setdefault(unit.pk, duty.role)
    return {pk: role for pk, role in found.items() if pk not in negative}


def suggest_units(user_unit, categories, place, trigger="", limit=8):
    """Units to summon: from the duty list, and from who solved similar whistles and tickets before.

    Returns [{"unit": Unit, "duty": bool, "whistles": n, "tickets": n, "score": float}], best first.
    """
    duties = duty_units(categories, place) if place is not None else {}
    scores = {}

    def bump(unit_id, key, amount):
        entry = scores.setdefault(unit_id, {"duty": False, "whistles": 0, "tickets": 0})
        if key == "duty":
            entry["duty"] = True
        else:
            entry[key] += amount

    for unit_id in duties:
        bump(unit_id, "duty", 1)
    cat_ids = [c.pk for c in categories]
    tasks = Task.objects.filter(state=TaskState.ACCEPTED)
    if cat_ids:
        tasks = tasks.filter(whistle__tickets__category_id__in=cat_ids)
    elif trigger:
        tasks = tasks.filter(whistle__trigger=trigger)
    else:
        tasks = tasks.none()
    if place is not None and place.district_id:
        tasks = tasks.filter(whistle__district_id=place.district_id)
    for row in tasks.values("unit_id").annotate(n=Count("whistle_id", distinct=True)).order_by("-n")[:30]:
        bump(row["unit_id"], "whistles", row["n"])
    if cat_ids:
        tickets = Ticket.objects.filter(category_id__in=cat_ids, state=TicketState.CLOSED,
                                        satisfied__in=("satisfied", "basically"), lead_unit__isnull=False)
        if place is not None and place.street_id:
            tickets = tickets.filter(street_id=place.street_id)
        for row in tickets.values("lead_unit_id").annotate(n=Count("id")).order_by("-n")[:30]:
            bump(row["lead_unit_id"], "tickets", row["n"])
    scores.pop(getattr(user_unit, "pk", None), None)
    units = Unit.objects.in_bulk([pk for pk in scores])
    out = []
    for pk, entry in scores.items():
        unit = units.get(pk)
        if unit is None or not unit.active or unit.kind not in scoping.SUMMONABLE_KINDS:
            continue
        score = rules.summons_score(entry["duty"], entry["whistles"], entry["tickets"])
        out.append({"unit": unit, "duty": entry["duty"], "whistles": entry["whistles"],
                    "tickets": entry["tickets"], "score": round(score, 2)})
    out.sort(key=lambda e: (-e["score"], e["unit"].code))
    return out[:limit]


def whistle_categories(whistle):
    return list(Category.objects.filter(ticket__whistles=whistle).distinct().select_related("parent__parent"))


def _has_duty(unit, categories, place):
    """True/False when the matter's categories are known, None otherwise (a matter of its own)."""
    if not categories or place is None:
        return None
    return unit.pk in duty_units(categories, place)


# ── raising ─────────────────────────────────────────────────────────────────

@dataclass
class WhistleData:
    title: str
    description: str
    trigger: str = Trigger.PUBLIC
    level: str = "normal"
    mode: str = Mode.REGULAR
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    place_code: str = ""
    tickets: list = field(default_factory=list)   # ticket ids or numbers
    summons: list = field(default_factory=list)   # [(unit id, form[, report due])] or [unit id]
    attachments: list = field(default_factory=list)


def _linked_tickets(user, refs):
    tickets = []
    for ref in refs:
        pk = ref if isinstance(ref, int) else ticket_by_number(str(ref))  # a mistyped date part names none
        ticket = Ticket.objects.filter(pk=pk).select_related("category", "street", "district", "community").first()
        if ticket is None or not core_scoping.can_view(user, ticket):
            raise DomainError(_("There is no ticket “%(v)s” in your territory.") % {"v": ref}, field="tickets")
        if ticket not in tickets:
            tickets.append(ticket)
    return tickets


def _place(user, data, tickets):
    if data.place_code:
        place = Unit.objects.filter(code=data.place_code.strip()).first()
        if place is None or not place.is_territorial:
            raise DomainError(_("Unknown place “%(v)s”.") % {"v": data.place_code}, field="place")
        own = user.unit
        if own is not None and own.kind == UnitKind.STREET and place.street_id != own.pk:
            raise DomainError(_("“%(v)s” lies outside %(unit)s: a street whistles on its own territory.")
                              % {"v": data.place_code, "unit": own.name}, field="place")
        return place
    for ticket in tickets:
        place = ticket.community or ticket.street or ticket.district
        if place is not None:
            return place
    unit = user.unit
    if unit is not None and unit.is_territorial:
        return unit
    return None


def _own_due(value, now, field_name):
    """A report deadline chosen for one unit (else None: the level's limit applies); it must lie ahead."""
    due = parse_due(value, field_name)
    if due is not None and due <= now:
        raise DomainError(_("The report deadline must lie in the future."), field=field_name)
    return due


def _summons_list(data, own_unit, now):
    """[(unit, form, own report deadline or None)] from WhistleData.summons."""
    wanted = []
    for item in data.summons:
        unit_id, form, due = (tuple(item) + (None, None))[:3] if isinstance(item, (tuple, list)) else (
            item, ReportForm.ON_SITE, None)
        unit = _unit(unit_id, "summons")
        if own_unit is not None and unit.pk == own_unit.pk:
            raise DomainError(_("A unit cannot summon itself."), field="summons")
        if unit.pk in [u.pk for u, _f, _d in wanted]:
            continue
        wanted.append((unit, _summons_form(form, "summons"), _own_due(due, now, "summons")))
    if not wanted:
        raise DomainError(_("Choose at least one unit to summon."), field="summons")
    if len(wanted) > MAX_SUMMONS:
        raise DomainError(_("At most %(n)d units per whistle.") % {"n": MAX_SUMMONS}, field="summons")
    return wanted


@transaction.atomic
def raise_whistle(user, data: WhistleData):
    """吹哨: a street/township (or a department) summons units on a matter. Returns the whistle."""
    _logged_in(user)
    _require(scoping.may_raise(user), _("Only a street/township or a department may whistle."))
    title = _text(data.title, "title", _("Title"), 120)
    description = _text(data.description, "description", _("Details of the matter"))
    if data.trigger not in Trigger.values:
        raise DomainError(_("Choose the trigger."), field="trigger")
    if data.mode not in Mode.values:
        raise DomainError(_("Choose the mode."), field="mode")
    level = WhistleLevel.objects.filter(code=data.level, active=True).first()
    if level is None:
        raise DomainError(_("Choose the level."), field="level")
    tickets = _linked_tickets(user, data.tickets)
    own_unit = user.unit
    if own_unit is None:
        raise DomainError(_("Your account belongs to no unit."), field=None)
    now = timezone.now()
    wanted = _summons_list(data, own_unit, now)
    ticket_services.validate_attachments(data.attachments)
    place = _place(user, data, tickets)
    lon, lat = _point(data.lon, data.lat)
    if len(tickets) > 1:
        source = Source.TICKETS
    elif tickets:
        source = Source.GRID_REPORT if tickets[0].channel == "patrol" else Source.TICKET
    else:
        source = Source.OWN
    district = (place.district if place is not None else None) or own_unit.district
    state = WhistleState.APPROVAL if rules.needs_approval(level.needs_approval, data.mode) else WhistleState.ACTIVE
    whistle = Whistle.objects.create(
        title=title, description=description, trigger=data.trigger, level=level, mode=data.mode, source=source,
        state=state, unit=own_unit, district=district, place=place, address=(data.address or "").strip()[:200],
        lon=lon, lat=lat, raised_by=user, created_at=now,
        needs_review=data.mode == Mode.QUICK and level.needs_approval)
    whistle.tickets.set(tickets)
    categories = [t.category for t in tickets if t.category_id]
    for unit, form, due in wanted:
        Summons.objects.create(whistle=whistle, unit=unit, form=form, report_due=due,
                               has_duty=_has_duty(unit, categories, place))
    _save_attachments(whistle, user, data.attachments, now)
    record_event(whistle, "raise", user, "", state, description, at=now, trigger=data.trigger, level=level.code,
                 mode=data.mode, source=source, tickets=[t.number for t in tickets],
                 summoned=[u.name for u, _f, _d in wanted],
                 no_duty=[s.unit.name for s in whistle.summons.select_related("unit") if s.has_duty is False])
    _ticket_event(whistle, "whistle_raised", user, title)
    if state == WhistleState.ACTIVE:
        _activate(whistle, user, now)
    return whistle


def _save_attachments(whistle, user, files, now):
    for upload in files:
        attachment = WhistleAttachment(whistle=whistle, name=upload.name[:120], content_type=upload.content_type,
                                       size=upload.size, uploaded_by=user, uploaded_at=now)
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()


@transaction.atomic
def attach(user, whistle, files):
    """More photos or documents on an open whistle, by its whistling unit."""
    _logged_in(user)
    whistle = locked(whistle)
    _require(scoping.is_whistler(user, whistle) or scoping.runs(user, whistle),
             _("Only the whistling unit adds attachments."))
    _state("attach", whistle)
    files = list(files)
    if not files:
        raise DomainError(_("Choose a file."), field="file")
    ticket_services.validate_attachments(files)
    now = timezone.now()
    _save_attachments(whistle, user, files, now)
    record_event(whistle, "attach", user, whistle.state, whistle.state, at=now, files=[f.name for f in files])
    return whistle


def _activate(whistle, user, now):
    """The summons go out: each summoned unit's report deadline starts now."""
    whistle.state, whistle.summoned_at = WhistleState.ACTIVE, now
    whistle.save()
    for summons in whistle.summons.filter(summoned_at__isnull=True).select_related("unit"):
        _send_summons(whistle, summons, user, now)


def _send_summons(whistle, summons, user, now):
    """The summons goes out: its own deadline when one was chosen and is still ahead, else the level's."""
    own = summons.report_due if summons.report_due and summons.report_due > now else None
    summons.summoned_at, summons.report_due = now, own or report_due(whistle, now)
    summons.save()
    record_event(whistle, "summon", user, whistle.state, whistle.state, summons=summons, at=now,
                 unit=summons.unit.name, form=summons.form, due=summons.report_due.isoformat(),
                 no_duty=summons.has_duty is False)
    _summons_notice(whistle, summons, user, now)


def _summons_notice(whistle, summons, user, now):
    """Every summoned unit is told who summons it, how it reports and by when: the whistling unit, or after 提级 the
    district (区级吹哨)."""
    if rules.summoned_by_district(now, whistle.raised_to_district_at) and whistle.district_id:
        text = _("%(district)s summons %(unit)s to whistle %(number)s (raised to the district): report (%(form)s) by "
                 "%(due)s.") % {"district": whistle.district.name, "unit": summons.unit.name,
                                "number": whistle.number, "form": summons.get_form_display(),
                                "due": _local(summons.report_due)}
    else:
        text = _("%(whistler)s summons %(unit)s to whistle %(number)s: report (%(form)s) by %(due)s.") % {
            "whistler": whistle.unit.name, "unit": summons.unit.name, "number": whistle.number,
            "form": summons.get_form_display(), "due": _local(summons.report_due)}
    add_notice(whistle, summons.unit, WhistleNotice.SUMMONED, text, user, at=now)


def _runner_name(whistle):
    """The unit that runs the whistle now: the whistling unit; after 提级 its district."""
    if whistle.raised_to_district_at and whistle.district_id:
        return whistle.district.name
    return whistle.unit.name


def no_duty_warning(whistle):
    """The summoned units with no duty for the matter (over-summoning is a known failure of the reform)."""
    return [s.unit for s in whistle.summons.select_related("unit") if s.has_duty is False]


# ── approval ────────────────────────────────────────────────────────────────

@transaction.atomic
def approve(user, whistle, approved, note=""):
    """One step of the approval chain (科室申请 → 分管副职签字 → 主要负责人批准)."""
    _logged_in(user)
    whistle = locked(whistle)
    _require(scoping.is_whistler(user, whistle), _("Only the whistling unit signs its approval chain."))
    _state("approve", whistle)
    chain, positions = list(whistle.level.approval_chain), list(whistle.level.approval_positions)
    decisions = [(a.approved, a.by_id) for a in whistle.approvals.all()]
    held = "head" if user.is_superuser else user.position
    reason = rules.approval_refusal(chain, decisions, user.pk, whistle.raised_by_id, positions, held)
    if reason == "raiser":
        raise Forbidden(_("The person who raised the whistle signs the application step only."))
    if reason == "same_signer":
        raise Forbidden(_("Each step of the chain is signed by a different person."))
    if reason == "position":
        step = rules.chain_state(chain, decisions).next_index
        raise Forbidden(_("“%(step)s” is signed by the %(position)s (or a higher post).") % {
            "step": chain[step], "position": Position(rules.step_position(positions, step)).label})
    if reason == "decided":
        raise Conflict(_("The approval chain is already decided."))
    step = rules.chain_state(chain, decisions).next_index
    now = timezone.now()
    Approval.objects.create(whistle=whistle, step=step, step_name=chain[step], approved=bool(approved), by=user,
                            at=now, note=(note or "").strip())
    before = whistle.state
    if not approved:
        whistle.state = WhistleState.REFUSED
        whistle.save()
        record_event(whistle, "approval", user, before, whistle.state, note, at=now, step=step,
                     step_name=chain[step], approved=False)
        _ticket_event(whistle, "whistle_refused", user, (note or "").strip(), step_name=chain[step])
        return whistle
    after = rules.chain_state(chain, decisions + [(True, user.pk)])
    record_event(whistle, "approval", user, before, WhistleState.ACTIVE if after.approved else WhistleState.APPROVAL,
                 note, at=now, step=step, step_name=chain[step], approved=True)
    if after.approved:
        whistle.approved_at = now
        _activate(whistle, user, now)
    return whistle


@transaction.atomic
def review(user, whistle, note=""):
    """快速 whistles skip approval; the unit's leadership reviews them afterwards."""
    _logged_in(user)
    whistle = locked(whistle)
    _require(scoping.is_whistler(user, whistle), _("Only the whistling unit reviews its quick whistles."))
    _state("review", whistle)
    if not whistle.needs_review:
        raise Conflict(_("This whistle needs no review."))
    if user.pk == whistle.raised_by_id:
        raise Forbidden(_("Someone other than the person who raised it reviews a quick whistle."))
    required = rules.review_position(whistle.level.approval_chain, whistle.level.approval_positions)
    if not rules.holds_position(required, "head" if user.is_superuser else user.position):
        raise Forbidden(_("A quick whistle of this level is reviewed by the %(position)s (or a higher post).")
                        % {"position": Position(required).label})
    now = timezone.now()
    whistle.needs_review, whistle.reviewed_at, whistle.reviewed_by = False, now, user
    whistle.save()
    record_event(whistle, "review", user, whistle.state, whistle.state, note, at=now)
    return whistle


@transaction.atomic
def summon(user, whistle, unit_id, form=ReportForm.ON_SITE, due=None):
    """Summon one more unit (before approval or while in progress), with its own report deadline if given."""
    _logged_in(user)
    whistle = locked(whistle)
    _require_runner(user, whistle, _("Only the whistling unit summons."))
    _state("summon", whistle)
    unit = _unit(unit_id, "unit")
    if unit.pk == whistle.unit_id:
        raise DomainError(_("A unit cannot summon itself."), field="unit")
    by_district = bool(whistle.raised_to_district_at and whistle.district_id)
    if by_district and not scoping.district_may_summon(whistle.district, unit):
        raise DomainError(_("%(district)s summons its own streets and departments and the city's departments, "
                            "not %(unit)s.") % {"district": whistle.district.name, "unit": unit.name}, field="unit")
    if whistle.summons.filter(unit=unit).exists():
        raise Conflict(_("%(unit)s is already summoned.") % {"unit": unit.name}, field="unit")
    if whistle.summons.count() >= MAX_SUMMONS:
        raise DomainError(_("At most %(n)d units per whistle.") % {"n": MAX_SUMMONS}, field="unit")
    summons = Summons.objects.create(whistle=whistle, unit=unit, form=_summons_form(form),
                                     report_due=_own_due(due, timezone.now(), "due"),
                                     has_duty=_has_duty(unit, whistle_categories(whistle), whistle.place))
    if whistle.state == WhistleState.ACTIVE:
        _send_summons(whistle, summons, user, timezone.now())
    else:
        record_event(whistle, "summon", user, whistle.state, whistle.state, summons=summons, unit=unit.name,
                     form=summons.form, no_duty=summons.has_duty is False)
    return summons


# ── report (报到) ────────────────────────────────────────────────────────────

def _locked_summons(summons):
    whistle = locked(summons.whistle)
    summons = Summons.objects.select_for_update().select_related("unit").get(pk=summons.pk)
    summons.whistle = whistle
    return summons


@transaction.atomic
def check_in(user, summons, person="", lon=None, lat=None, note=""):
    """报到: a named person of the summoned unit checks in (with location when on site)."""
    _logged_in(user)
    summons = _locked_summons(summons)
    whistle = summons.whistle
    _require(scoping.is_summoned(user, summons), _("Only the summoned unit checks in."))
    _state("check_in", whistle)
    if summons.state == SummonsState.CHECKED_IN:
        raise Conflict(_("Already checked in."))
    if summons.state == SummonsState.RELEASED:
        raise Conflict(_("This unit was released from the whistle."))
    person = (person or "").strip() or str(user)
    if len(person) > 60:
        raise DomainError(_("%(field)s is too long (at most %(n)d characters).") % {"field": _("Person"), "n": 60},
                          field="person")
    if summons.form == ReportForm.ON_SITE:
        if lon in (None, "") or lat in (None, ""):
            raise DomainError(_("An on-site check-in needs the location (allow the browser to share it)."),
                              field="lon")
    lon, lat = _point(lon, lat)
    now = timezone.now()
    before = summons.state
    summons.state, summons.checked_in_at, summons.checked_in_by = SummonsState.CHECKED_IN, now, user
    summons.person, summons.checkin_lon, summons.checkin_lat = person, lon, lat
    summons.checkin_note = (note or "").strip()
    summons.late = bool(summons.report_due and now > summons.report_due)
    summons.save()
    record_event(whistle, "check_in", user, whistle.state, whistle.state, note, summons=summons, at=now,
                 unit=summons.unit.name, person=person, late=summons.late, form=summons.form,
                 lon=lon, lat=lat, previous=before)
    return summons


@transaction.atomic
def object_to(user, summons, reason):
    """A summoned unit objects (not its matter); the street decides."""
    _logged_in(user)
    summons = _locked_summons(summons)
    whistle = summons.whistle
    _require(scoping.is_summoned(user, summons), _("Only the summoned unit may object."))
    _state("object", whistle)
    if summons.state != SummonsState.SUMMONED:
        raise Conflict(_("Only a unit that has not checked in may object."))
    if summons.objection_upheld is False:
        raise Conflict(_("Your objection was rejected: the unit must report."))
    reason = _text(reason, "reason", _("Reason"), 1000)
    summons.state, summons.objection = SummonsState.OBJECTED, reason
    summons.save()
    record_event(whistle, "objection", user, whistle.state, whistle.state, reason, summons=summons,
                 unit=summons.unit.name)
    return summons


@transaction.atomic
def decide_objection(user, summons, uphold, note=""):
    """The whistling unit decides an objection: upheld → the unit is released; rejected → it must report."""
    _logged_in(user)
    summons = _locked_summons(summons)
    whistle = summons.whistle
    _require_runner(user, whistle, _("Only the whistling unit decides objections."))
    _state("decide_objection", whistle)
    if summons.state != SummonsState.OBJECTED:
        raise Conflict(_("There is no pending objection."))
    if uphold:
        _no_open_task(summons)
    summons.state = SummonsState.RELEASED if uphold else SummonsState.SUMMONED
    summons.objection_upheld, summons.objection_decided_at = bool(uphold), timezone.now()
    summons.save()
    record_event(whistle, "objection_decided", user, whistle.state, whistle.state, note, summons=summons,
                 unit=summons.unit.name, upheld=bool(uphold))
    return summons


def _no_open_task(summons):
    """事不完、人不撤: a unit holding a task not yet accepted stays on the whistle."""
    if summons.whistle.tasks.filter(unit=summons.unit).exclude(state=TaskState.ACCEPTED).exists():
        raise Conflict(_("The unit still has open tasks: reassign them first."))


@transaction.atomic
def withdraw(user, summons, reason):
    """The whistling unit lets a summoned unit go mid-way (no longer needed), with a reason; not while it still
    holds a task not yet accepted (事不完、人不撤). The summons is released, as an upheld objection releases it."""
    _logged_in(user)
    summons = _locked_summons(summons)
    whistle = summons.whistle
    _require_runner(user, whistle, _("Only the whistling unit withdraws a summoned unit."))
    _state("withdraw", whistle)
    if summons.state == SummonsState.RELEASED:
        raise Conflict(_("%(unit)s is already released from the whistle.") % {"unit": summons.unit.name})
    _no_open_task(summons)
    reason = _text(reason, "reason", _("Reason"), 1000)
    before = summons.state
    summons.state = SummonsState.RELEASED
    summons.save(update_fields=["state"])
    now = timezone.now()
    add_notice(whistle, summons.unit, WhistleNotice.WITHDRAWN, _(
        "%(runner)s withdrew %(unit)s from whistle %(number)s: it need not report or act further. %(reason)s") % {
        "runner": _runner_name(whistle), "unit": summons.unit.name, "number": whistle.number, "reason": reason},
        user, at=now)
    record_event(whistle, "withdraw", user, whistle.state, whistle.state, reason, summons=summons, at=now,
                 unit=summons.unit.name, previous=before)
    return summons


def _new_due(value, now):
    """The moved deadline (延期): given, readable and ahead; DomainError naming `due` otherwise."""
    due = _own_due(value, now, "due")
    if due is None:
        raise DomainError(_("Give the new deadline."), field="due")
    return due


@transaction.atomic
def set_report_due(user, summons, due, reason):
    """延期: whoever runs the whistle (the whistling unit; after 提级 the district) moves a summoned unit's report
    deadline — later, or earlier but still ahead — with a reason, while the unit has not reported and before the
    deadline passes (a miss stays on record, as a ticket's 延期 is asked within its limit). The unit is told (a
    `deadline` notice), the timeline keeps the earlier deadline; the warning goes again before the new one."""
    _logged_in(user)
    summons = _locked_summons(summons)
    whistle = summons.whistle
    _require_runner(user, whistle, _("Only the whistling unit moves a report deadline."))
    _state("set_due", whistle)
    if summons.state not in (SummonsState.SUMMONED, SummonsState.OBJECTED) or summons.summoned_at is None:
        raise Conflict(_("%(unit)s has no report deadline to move (it has reported, was released, or is not summoned "
                         "yet).") % {"unit": summons.unit.name})
    now = timezone.now()
    if summons.report_due <= now:
        raise Conflict(_("The report deadline has passed: %(unit)s stays on record as not reporting in time; send a "
                         "督办 instead.") % {"unit": summons.unit.name}, field="due")
    return _move_deadline(user, summons, "report_due", due, reason, now, _(
        "Whistle %(number)s: %(unit)s now reports by %(due)s (was %(before)s). %(reason)s"), "report_due_set",
        summons=summons)


def _move_deadline(user, row, field, due, reason, now, notice, event, **refs):
    """What every 延期 does once its own checks passed: the new deadline (ahead) and a reason read, the warning reset
    (it goes again before the new deadline), the unit told (`notice`: its text with number, unit, task, due, before,
    reason), the timeline's `event` keeping the earlier deadline. `row`: a Summons (report_due) or a Task (due)."""
    whistle = row.whistle
    due = _new_due(due, now)
    reason = _text(reason, "reason", _("Reason"), 1000)
    before = getattr(row, field)
    setattr(row, field, due)
    row.warned_at = None
    row.save(update_fields=[field, "warned_at"])
    title = getattr(row, "title", "")
    add_notice(whistle, row.unit, WhistleNotice.DEADLINE, notice % {
        "number": whistle.number, "unit": row.unit.name, "task": title, "due": _local(due), "before": _local(before),
        "reason": reason}, user, at=now)
    record_event(whistle, event, user, whistle.state, whistle.state, reason, at=now, unit=row.unit.name,
                 due=due.isoformat(), previous=before.isoformat(), **({"title": title} if title else {}), **refs)
    return row


# ── tasks (清单) ─────────────────────────────────────────────────────────────

def task_units(whistle):
    """Units that may hold a task: the summoned units still on the whistle, and the whistling unit itself."""
    ids = [whistle.unit_id] + list(whistle.summons.exclude(state=SummonsState.RELEASED).values_list("unit_id",
                                                                                                     flat=True))
    return Unit.objects.filter(pk__in=ids)


@transaction.atomic
def add_task(user, whistle, unit_id, title, criterion, due=None):
    """One task of the joint meeting's list: one responsible unit, a deadline, an acceptance criterion."""
    _logged_in(user)
    whistle = locked(whistle)
    _require_runner(user, whistle, _("Only the whistling unit lists the tasks."))
    _state("add_task", whistle)
    title = _text(title, "title", _("Task"), 200)
    criterion = _text(criterion, "criterion", _("Acceptance criterion"), 300)
    try:
        unit = task_units(whistle).filter(pk=int(unit_id)).first()
    except (TypeError, ValueError):
        unit = None
    if unit is None:
        raise DomainError(_("Choose the responsible unit among the summoned units."), field="unit")
    now = timezone.now()
    due = parse_due(due) or default_task_due(whistle, now)
    if due <= now:
        raise DomainError(_("The deadline must lie in the future."), field="due")
    task = Task.objects.create(whistle=whistle, unit=unit, title=title, criterion=criterion, due=due,
                               created_at=now, created_by=user)
    record_event(whistle, "task_added", user, whistle.state, whistle.state, criterion, task=task, at=now,
                 title=title, unit=unit.name, due=due.isoformat())
    return task


def _locked_task(task):
    whistle = locked(task.whistle)
    task = Task.objects.select_for_update().select_related("unit").get(pk=task.pk)
    task.whistle = whistle
    return task


@transaction.atomic
def set_task_due(user, task, due, reason):
    """延期 of an open task not yet overdue, by whoever runs the whistle, with a reason; the unit is told."""
    _logged_in(user)
    task = _locked_task(task)
    whistle = task.whistle
    _require_runner(user, whistle, _("Only the whistling unit moves a task deadline."))
    _state("set_due", whistle)
    if task.state != TaskState.OPEN:
        raise Conflict(_("Only an open task's deadline moves."))
    now = timezone.now()
    if task.due <= now:
        raise Conflict(_("The task is already overdue: its deadline is no longer moved."), field="due")
    return _move_deadline(user, task, "due", due, reason, now, _(
        "Whistle %(number)s: the task “%(task)s” is now due %(due)s (was %(before)s). %(reason)s"), "task_due_set",
        task=task)


@transaction.atomic
def report_progress(user, task, text, done=False, files=()):
    """The responsible unit reports progress, or completion with evidence (text, photos)."""
    _logged_in(user)
    task = _locked_task(task)
    whistle = task.whistle
    _require(user.is_superuser or (user.unit_id == task.unit_id and user.role in scoping.STAFF_ROLES
                                   + ("grid_worker",)), _("Only the responsible unit reports on the task."))
    _state("progress", whistle)
    if task.state != TaskState.OPEN:
        raise Conflict(_("The task is already reported done."))
    text = _text(text, "text", _("Progress"), 2000)
    ticket_services.validate_attachments(list(files))
    now = timezone.now()
    for upload in files:
        evidence = Evidence(task=task, name=upload.name[:120], content_type=upload.content_type, size=upload.size,
                            uploaded_by=user, uploaded_at=now)
        evidence.file.save(upload.name, upload, save=False)
        evidence.save()
    task.progress = text
    if done:
        task.state, task.done_at = TaskState.DONE, now
    task.save()
    record_event(whistle, "task_done" if done else "task_progress", user, whistle.state, whistle.state, text,
                 task=task, at=now, title=task.title, unit=task.unit.name, files=len(files),
                 late=bool(done and now > task.due))
    return task


@transaction.atomic
def accept_task(user, task, accept, note=""):
    """The whistling unit accepts a task reported done, or sends it back."""
    _logged_in(user)
    task = _locked_task(task)
    whistle = task.whistle
    _require_runner(user, whistle, _("Only the whistling unit accepts tasks."))
    _state("accept_task", whistle)
    if task.state != TaskState.DONE:
        raise Conflict(_("The task has not been reported done."))
    note = (note or "").strip()
    if not accept and not note:
        raise DomainError(_("Say why the task is sent back."), field="note")
    now = timezone.now()
    if accept:
        task.state, task.accepted_at, task.accepted_by = TaskState.ACCEPTED, now, user
    else:
        task.state, task.done_at = TaskState.OPEN, None
    task.save()
    record_event(whistle, "task_accepted" if accept else "task_rejected", user, whistle.state, whistle.state, note,
                 task=task, at=now, title=task.title, unit=task.unit.name)
    return task


# ── closing ─────────────────────────────────────────────────────────────────

@transaction.atomic
def close(user, whistle, result):
    """事不完、人不撤: closes only when every task is accepted; linked tickets get the result as their reply."""
    _logged_in(user)
    whistle = locked(whistle)
    _require_runner(user, whistle, _("Only the whistling unit closes the whistle."))
    _state("close", whistle)
    refusal = rules.close_refusal(list(whistle.tasks.values_list("state", flat=True)))
    if refusal == "no_tasks":
        raise Conflict(_("List the tasks first: a whistle closes when its tasks are done."))
    if refusal == "open_tasks":
        raise Conflict(_("Every task must be accepted before the whistle closes (事不完、人不撤)."))
    pending = [s.unit.name for s in whistle.summons.filter(state=SummonsState.OBJECTED).select_related("unit")]
    if pending:
        raise Conflict(_("Decide the pending objection of %(units)s before closing.") % {"units": "、".join(pending)})
    result = _text(result, "result", _("Result"), 4000)
    now = timezone.now()
    before = whistle.state
    whistle.state, whistle.closed_at, whistle.result = WhistleState.CLOSED, now, result
    whistle.save()
    replied, informed = [], []
    for ticket in whistle.tickets.all():
        if (ticket.state == TicketState.CONTACTED and ticket.lead_unit_id == user.unit_id
                and ticket_services.relation_of(user, ticket) == "lead"):
            ticket_services.reply(user, ticket, result, self_resolved=True)
            ticket_services.record_event(ticket, "whistle_closed", user, TicketState.REPLIED, TicketState.REPLIED,
                                         "", whistle=whistle.pk, whistle_number=whistle.number, replied=True)
            replied.append(ticket.number)
        else:
            ticket_services.record_event(ticket, "whistle_closed", user, ticket.state, ticket.state, result,
                                         whistle=whistle.pk, whistle_number=whistle.number, replied=False)
            informed.append(ticket.number)
    record_event(whistle, "close", user, before, whistle.state, result, at=now, replied=replied, informed=informed)
    if informed and user.unit_id != whistle.unit_id and whistle.raised_to_district_at:
        add_notice(whistle, whistle.unit, WhistleNotice.CLOSED, _(
            "%(district)s closed whistle %(number)s: reply to the citizens of %(tickets)s with the result. "
            "Result: %(result)s") % {"district": whistle.district.name if whistle.district_id else _("the district"),
                                      "number": whistle.number, "tickets": "、".join(informed), "result": result},
            user, at=now)
    return whistle


@transaction.atomic
def cancel(user, whistle, reason):
    _logged_in(user)
    whistle = locked(whistle)
    _require_runner(user, whistle, _("Only the whistling unit cancels the whistle."))
    _state("cancel", whistle)
    reason = _text(reason, "reason", _("Reason"), 1000)
    before = whistle.state
    whistle.state, whistle.closed_at = WhistleState.CANCELLED, timezone.now()
    whistle.save()
    record_event(whistle, "cancel", user, before, whistle.state, reason)
    _ticket_event(whistle, "whistle_cancelled", user, reason)
    return whistle


# ── supervision and accountability ──────────────────────────────────────────

def add_notice(whistle, unit, kind, text, user=None, about=None, at=None):
    """A notice in `unit`'s inbox (督办 to a summoned unit, or a report to the district)."""
    return WhistleNotice.objects.create(whistle=whistle, unit=unit, about=about, kind=kind, text=text,
                                        created_at=at or timezone.now(), created_by=user)


@transaction.atomic
def supervise(user, whistle, unit_id, text):
    """督办: a supervision notice to a summoned unit (by the whistling unit, its district or the city)."""
    _logged_in(user)
    whistle = locked(whistle)
    _require(scoping.is_supervisor_of(user, whistle), _("Your unit may not supervise this whistle."))
    _state("supervise", whistle)
    summons = whistle.summons.filter(unit_id=unit_id).select_related("unit").first() if unit_id else None
    if summons is None:
        raise DomainError(_("Choose a summoned unit."), field="unit")
    if summons.state == SummonsState.RELEASED:
        raise Conflict(_("%(unit)s is already released from the whistle.") % {"unit": summons.unit.name},
                       field="unit")
    text = _text(text, "text", _("Notice"), 1000)
    now = timezone.now()
    add_notice(whistle, summons.unit, WhistleNotice.SUPERVISE, text, user, at=now)
    summons.supervised_at = now
    summons.save(update_fields=["supervised_at"])
    record_event(whistle, "supervise", user, whistle.state, whistle.state, text, summons=summons, at=now,
                 unit=summons.unit.name)
    return whistle


@transaction.atomic
def report_to_district(user, whistle, unit_id, reason):
    """Art.44: a unit that refuses or stalls is reported to the district, which sees the whole case file."""
    _logged_in(user)
    whistle = locked(whistle)
    _require(scoping.is_whistler(user, whistle), _("Only the whistling unit reports a unit to the district."))
    _state("report_to_district", whistle)
    summons = whistle.summons.filter(unit_id=unit_id).select_related("unit").first() if unit_id else None
    if summons is None:
        raise DomainError(_("Choose a summoned unit."), field="unit")
    if summons.escalated_at:
        raise Conflict(_("%(unit)s was already reported to the district.") % {"unit": summons.unit.name})
    reason = _text(reason, "reason", _("Reason"), 1000)
    district = whistle.district
    if district is None:
        raise Conflict(_("This whistle has no district to report to."))
    now = timezone.now()
    add_notice(whistle, district, WhistleNotice.ESCALATION, reason, user, about=summons.unit, at=now)
    summons.escalated_at = now
    summons.save(update_fields=["escalated_at"])
    whistle.escalated = True
    whistle.save(update_fields=["escalated"])
    record_event(whistle, "escalate", user, whistle.state, whistle.state, reason, summons=summons, at=now,
                 unit=summons.unit.name, district=district.name)
    return whistle


@transaction.atomic
def raise_to_district(user, whistle, reason):
    """提级: the whistling unit raises a whistle whose units do not report or act to the district's whistle —
    who, when and why recorded, a notice in the district's inbox; once, while the whistle is open."""
    _logged_in(user)
    whistle = locked(whistle)
    _require(scoping.is_whistler(user, whistle), _("Only the whistling unit raises the whistle to the district."))
    _state("raise_to_district", whistle)
    if whistle.raised_to_district_at:
        raise Conflict(_("This whistle was already raised to the district."))
    reason = _text(reason, "reason", _("Reason"), 1000)
    district = whistle.district
    if district is None:
        raise Conflict(_("This whistle has no district to report to."))
    now = timezone.now()
    add_notice(whistle, district, WhistleNotice.RAISED, reason, user, at=now)
    whistle.raised_to_district_at, whistle.raised_to_district_by = now, user
    whistle.raised_to_district_reason = reason
    whistle.save(update_fields=["raised_to_district_at", "raised_to_district_by", "raised_to_district_reason"])
    record_event(whistle, "raise_to_district", user, whistle.state, whistle.state, reason, at=now,
                 district=district.name)
    _ticket_event(whistle, "whistle_to_district", user, reason, district=district.name)
    return whistle


def mark_notices_read(user, whistle):
    if user.is_authenticated and user.unit_id:
        WhistleNotice.objects.filter(whistle=whistle, unit_id=user.unit_id, read_at__isnull=True).update(
            read_at=timezone.now())


# ── evaluation ──────────────────────────────────────────────────────────────

def _rater_side(user, whistle, unit_id, kept):
    """The side `user` rates `unit_id` from: whoever summoned a unit gives it the summoner's rating (the street side) —
    the whistling unit for the units it summoned, after 提级 the district for the units the district summoned; the
    district (or a city supervisor) assesses the rest (the district side). `kept`: {unit id: summoned_at}."""
    by_district = unit_id in kept and rules.summoned_by_district(kept[unit_id], whistle.raised_to_district_at)
    if user.is_superuser:
        return RaterSide.DISTRICT if unit_id == whistle.unit_id else RaterSide.STREET
    if scoping.is_whistler(user, whistle):
        if by_district:
            district = whistle.district.name
            raise Forbidden(_("%(unit)s was summoned by %(district)s after the whistle was raised to it (提级): "
                              "%(district)s rates it.") % {"unit": Unit.objects.get(pk=unit_id).name,
                                                          "district": district})
        return RaterSide.STREET
    if by_district and scoping.is_raised_district(user, whistle):
        return RaterSide.STREET
    if scoping.is_district_of(user, whistle):
        return RaterSide.DISTRICT
    raise Forbidden(_("Only the whistling unit and its district rate."))


@transaction.atomic
def rate(user, whistle, unit_id, timeliness, effort, result, comment=""):
    """Whoever summoned a unit rates it (the street; after 提级 the district for the units it summoned); the district
    rates both sides (1–5 on three criteria)."""
    _logged_in(user)
    whistle = locked(whistle)
    _state("rate", whistle)
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        raise DomainError(_("Choose the unit to rate."), field="unit")
    kept = dict(whistle.summons.exclude(state=SummonsState.RELEASED).values_list("unit_id", "summoned_at"))
    summoned_ids = set(kept)
    side = _rater_side(user, whistle, unit_id, kept)
    if side == RaterSide.STREET and unit_id not in summoned_ids:
        raise DomainError(_("Rate one of the summoned units."), field="unit")
    if side == RaterSide.DISTRICT and unit_id not in summoned_ids | {whistle.unit_id}:
        raise DomainError(_("Rate the whistling unit or one of the summoned units."), field="unit")
    scores = {}
    for name, value in (("timeliness", timeliness), ("effort", effort), ("result", result)):
        scores[name] = rules.valid_score(value)
        if scores[name] is None:
            raise DomainError(_("Give a score from 1 to 5."), field=name)
    if Rating.objects.filter(whistle=whistle, unit_id=unit_id, by=side).exists():
        raise Conflict(_("This unit is already rated for this whistle."), field="unit")
    now = timezone.now()
    rating = Rating.objects.create(whistle=whistle, unit_id=unit_id, by=side, rater=user, comment=(comment or "")
                                   .strip()[:1000], at=now, **scores)
    record_event(whistle, "rate", user, whistle.state, whistle.state, rating.comment, at=now,
                 unit=rating.unit.name, by=side, score=rating.score, **scores)
    return rating
