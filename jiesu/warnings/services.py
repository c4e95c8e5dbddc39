"""What can be done with forecasts, alerts and sensors.

- `run_forecasts` (the job) fits every category's weekly volume and writes the
  next weeks' forecasts (and, with `replay`, the past weeks' as they would have
  been made then);
- `scan` fills in the actual counts and raises an `Alert` where a week broke its
  band (already while the week runs, when the count so far is over the top);
- `register_sensor` / `post_reading`: a reading past its sensor's threshold opens
  one ticket per incident through jiesu.tickets.services (channel 感知 sensor),
  later breaching readings of the same incident only add to it.
"""
from collections import defaultdict
from datetime import date, datetime, time, timedelta
import re
from typing import NamedTuple

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category
from jiesu.core import scoping
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Channel, State, Ticket
from jiesu.units.models import Unit, UnitKind
from jiesu.warnings import forecast as F
from jiesu.warnings import sensing
from jiesu.warnings.models import (
    Alert, AlertState, Forecast, Sensor, SensorIncident, SensorKind, SensorReading, series_key,
)
from jiesu.workcal.services import current_calendar

DEFAULT_LEVEL = 2          # forecast per level-2 category (供暖, 燃气, 噪声…)
DEFAULT_HORIZON = 4        # weeks
DEFAULT_HISTORY = 156      # weeks of history the model may see
ALL = None                 # "every category" / "the whole city" in series keys


# ── who sees what ───────────────────────────────────────────────────────────

VIEW_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER, Role.CALL_TAKER, Role.CALLBACK_AGENT,
              Role.UNIT_STAFF, Role.GRID_WORKER)
TERRITORIAL = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


def forecast_district_ids(user):
    """District ids whose forecasts `user` may see; None means every district and the city."""
    scoping.require_role(user, *VIEW_ROLES)
    if scoping.is_city_wide(user):
        return None
    unit = user.unit
    if unit is None or unit.kind not in TERRITORIAL or unit.district_id is None:
        raise PermissionDenied(_("Forecasts are kept per district: your unit has no district."))
    return {unit.district_id}


def visible_forecasts(user, queryset=None):
    qs = Forecast.objects.all() if queryset is None else queryset
    ids = forecast_district_ids(user)
    return qs if ids is None else qs.filter(district_id__in=ids)


def visible_alerts(user, queryset=None):
    qs = Alert.objects.all() if queryset is None else queryset
    ids = forecast_district_ids(user)
    return qs if ids is None else qs.filter(district_id__in=ids)


def visible_sensors(user, queryset=None):
    """City-wide roles: every sensor; a territorial unit: those in its territory or its own; others: their own."""
    qs = Sensor.objects.all() if queryset is None else queryset
    scoping.require_role(user, *VIEW_ROLES)
    if scoping.is_city_wide(user):
        return qs
    unit = user.unit
    if unit is None:
        return qs.none()
    condition = Q(owner=unit)
    if unit.kind == UnitKind.DISTRICT:
        condition |= Q(district=unit)
    elif unit.kind in (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID) and unit.street_id:
        condition |= Q(street_id=unit.street_id)
    return qs.filter(condition)


def readable_ticket_ids(user, ids):
    """The ids among `ids` (sensor incidents' tickets) that `user` may read: one query (scoping.visible_tickets).
    Seeing a sensor is not reading its tickets: the board and the API show a ticket's number and state only to its
    readers."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    return set(scoping.visible_tickets(user, Ticket.objects.filter(pk__in=ids)).values_list("pk", flat=True))


# ── weekly counts ───────────────────────────────────────────────────────────

def category_levels(level):
    """{category id: id of its ancestor at `level` (itself when it is at or above it)}."""
    rows = {pk: (parent, lvl) for pk, parent, lvl in Category.objects.values_list("id", "parent_id", "level")}
    out = {}
    for pk in rows:
        node = pk
        while rows[node][1] > level and rows[node][0] is not None:
            node = rows[node][0]
        out[pk] = node
    return out


def local_bounds(first_monday, end_monday):
    tz = timezone.get_current_timezone()
    return (datetime.combine(first_monday, time.min, tzinfo=tz), datetime.combine(end_monday, time.min, tzinfo=tz))


def weekly_counts(first_monday, n_weeks, level=DEFAULT_LEVEL):
    """{(district id, category id at `level`): np.array of n_weeks counts}, tickets by intake week.

    Every request counts (as it came in), merged duplicates included: the forecast is of
    what the hotline receives. Tickets without district or category are left out.
    """
    start, end = local_bounds(first_monday, first_monday + timedelta(weeks=n_weeks))
    ancestor = category_levels(level)
    rows = (Ticket.objects.filter(created_at__gte=start, created_at__lt=end, district__isnull=False,
                                  category__isnull=False)
            .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values_list("district_id", "category_id", "day").annotate(n=Count("id")).order_by())
    out = defaultdict(lambda: np.zeros(n_weeks))
    for district_id, category_id, day, n in rows:
        index = (day - first_monday).days // 7
        if 0 <= index < n_weeks:
            out[(district_id, ancestor.get(category_id, category_id))][index] += n
    return out


# ── the forecast job ────────────────────────────────────────────────────────

def _row(district_id, category_id, week, mean, low, high, origin, now):
    return Forecast(series=series_key(district_id, category_id), district_id=district_id, category_id=category_id,
                    week=week, expected=round(float(mean), 3), low=int(low), high=int(high), origin=origin,
                    horizon=(week - origin).days // 7 + 1, made_at=now)


def _forecast_rows(counts, districts, history, future, origin, now, params, prior, working):
    """Forecast rows for every category (and all categories) × every district and the city."""
    keys = sorted({c for (_d, c) in counts})
    index = {d: i for i, d in enumerate(districts)}
    total = np.zeros((len(districts), len(history)))
    rows = []
    for category_id in [*keys, ALL]:
        if category_id is ALL:
            matrix = total
        else:
            matrix = np.zeros((len(districts), len(history)))
            for (d, c), series in counts.items():
                if c == category_id and d in index:
                    matrix[index[d]] += series
            total += matrix
        if matrix.sum() == 0:
            continue
        fc = F.forecast_category(history, matrix, future, prior, params, working)
        for j, week in enumerate(future):
            rows.append(_row(None, category_id, week, fc.city_mean[j], fc.city_low[j], fc.city_high[j], origin, now))
            for i, district_id in enumerate(districts):
                rows.append(_row(district_id, category_id, week, fc.mean[i, j], fc.low[i, j], fc.high[i, j],
                                 origin, now))
    return rows


def run_forecasts(now=None, level=DEFAULT_LEVEL, horizon=DEFAULT_HORIZON, history_weeks=DEFAULT_HISTORY,
                  replay=0, params=None):
    """Forecast the `horizon` weeks from next Monday (replacing earlier forecasts of them) and, with
    `replay`, the past `replay` weeks and this one as they would have been forecast before each began
    (only where no forecast exists: a week's forecast is frozen once the week has begun).

    Returns {"series": n, "rows": n, "replayed": n}.
    """
    now = now or timezone.now()
    params = params or F.Params()
    this_monday = F.week_start(timezone.localtime(now).date())
    first = this_monday - timedelta(weeks=history_weeks + replay)
    counts = weekly_counts(first, history_weeks + replay + 1, level)
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).order_by("code")
                     .values_list("id", flat=True))
    prior = _district_prior(counts, districts)
    calendar = current_calendar()
    weeks = [first + timedelta(weeks=i) for i in range(history_weeks + replay + 1)]
    next_monday = this_monday + timedelta(weeks=1)
    future = [next_monday + timedelta(weeks=i) for i in range(horizon)]
    history = _trim_leading_zeros(weeks[:-1], counts)
    rows = _forecast_rows(_cut(counts, weeks, history), districts, history, future, next_monday, now, params, prior,
                          calendar.is_working_day)
    replayed = []
    for back in range(replay, -1, -1):
        origin = this_monday - timedelta(weeks=back)
        past = [w for w in history if w < origin]
        if len(past) < 8:
            continue
        replayed += _forecast_rows(_cut(counts, weeks, past), districts, past, [origin], origin, now, params, prior,
                                   calendar.is_working_day)
    with transaction.atomic():
        Forecast.objects.filter(week__gte=next_monday).delete()
        Forecast.objects.bulk_create(rows, batch_size=1000)
        Forecast.objects.bulk_create(replayed, batch_size=1000, ignore_conflicts=True)
    return {"series": len({r.series for r in rows}), "rows": len(rows), "replayed": len(replayed)}


def _trim_leading_zeros(weeks, counts):
    """The history starts at the first week anything came in (a new install has no years of zeros)."""
    if not counts:
        return weeks
    totals = np.sum(list(counts.values()), axis=0)[:len(weeks)]
    nonzero = np.flatnonzero(totals)
    return weeks[nonzero[0]:] if len(nonzero) else weeks


def _cut(counts, weeks, keep):
    """The counts restricted to the weeks in `keep` (a contiguous run of `weeks`)."""
    lo = weeks.index(keep[0])
    return {k: v[lo:lo + len(keep)] for k, v in counts.items()}


def _district_prior(counts, districts):
    totals = defaultdict(float)
    for (d, _c), series in counts.items():
        totals[d] += float(series.sum())
    prior = np.array([totals[d] for d in districts], dtype=float)
    return prior if prior.sum() > 0 else None


# ── actuals and alerts ──────────────────────────────────────────────────────

def scan(now=None, level=DEFAULT_LEVEL, params=None):
    """Fill in actual counts of the weeks not yet over, raise/refresh alerts. Returns {"updated", "alerts"}.

    A few queries whatever the number of series: the rows whose count or completeness changed are written in bulk,
    the existing alerts read at once."""
    now = now or timezone.now()
    params = params or F.Params()
    this_monday = F.week_start(timezone.localtime(now).date())
    with transaction.atomic():
        # locked: a second scan at once (two workers) waits, then sees the alerts this one raised
        pending = list(Forecast.objects.select_for_update().filter(complete=False, week__lte=this_monday))
        if not pending:
            return {"updated": 0, "alerts": 0}
        first = min(f.week for f in pending)
        n_weeks = (this_monday - first).days // 7 + 1
        series_counts = _series_totals(weekly_counts(first, n_weeks, level))
        changed = []
        for row in pending:
            index = (row.week - first).days // 7
            actual = int(series_counts.get((row.district_id, row.category_id), np.zeros(n_weeks))[index])
            complete = row.week < this_monday
            if (row.actual, row.complete) != (actual, complete):
                row.actual, row.complete = actual, complete
                changed.append(row)
        Forecast.objects.bulk_update(changed, ["actual", "complete"], batch_size=1000)
        raised = _alerts_for(pending, now, params.min_count)
    return {"updated": len(pending), "alerts": raised}


def _series_totals(counts):
    """Counts per (district|None, category|None): adds the city and all-category sums."""
    out = defaultdict(lambda: 0)
    for (d, c), series in counts.items():
        for key in ((d, c), (None, c), (d, None), (None, None)):
            out[key] = out[key] + series
    return out


def _alerts_for(rows, now, min_count):
    """Raise (or update) an alert for each row whose actual is above its band. Returns the number of new alerts.

    When a row is back within its band (requests moved to another category or district, deleted) the cause went:
    its open alert goes, an acknowledged one stays as a record of what was done, with the count as it now is."""
    weeks = [r.week for r in rows]
    existing = {a.forecast_id: a for a in Alert.objects.filter(week__gte=min(weeks), week__lte=max(weeks))}
    new, gone, kept = [], [], []
    for row in rows:
        alert = existing.get(row.pk)
        above = F.breaks_band(row.actual, row.low, row.high, min_count) == "above"
        if alert is None:
            if above:
                new.append(Alert(forecast=row, district_id=row.district_id, category_id=row.category_id,
                                 week=row.week, created_at=now, actual=row.actual, expected=row.expected,
                                 high=row.high, partial=not row.complete, updated_at=now))
        elif not above and alert.state == AlertState.OPEN:
            gone.append(alert.pk)
        elif (alert.actual, alert.expected, alert.high, alert.partial) != (
                row.actual, row.expected, row.high, not row.complete):
            alert.actual, alert.expected, alert.high, alert.partial, alert.updated_at = (
                row.actual, row.expected, row.high, not row.complete, now)
            kept.append(alert)
    Alert.objects.filter(pk__in=gone).delete()
    Alert.objects.bulk_update(kept, ["actual", "expected", "high", "partial", "updated_at"], batch_size=1000)
    Alert.objects.bulk_create(new, batch_size=1000)
    return len(new)


def acknowledge(user, alert, note=""):
    """A supervisor or the district's staff take note of an alert (what they will do in `note`)."""
    scoping.require_role(user, Role.SUPERVISOR, Role.ADMIN, Role.UNIT_STAFF, Role.DISPATCHER)
    if not visible_alerts(user).filter(pk=alert.pk).exists():
        raise PermissionDenied(_("This alert is outside your territory."))
    note = (note or "").strip()
    if len(note) > 1000:
        raise DomainError(_("The note is too long (at most %(n)d characters).") % {"n": 1000}, field="note")
    alert.state, alert.acknowledged_by, alert.acknowledged_at, alert.note = (
        AlertState.ACKNOWLEDGED, user, timezone.now(), note)
    # only an alert still open: a second acknowledgement (two pages open at once) would overwrite the first's note
    if not Alert.objects.filter(pk=alert.pk, state=AlertState.OPEN).update(
            state=alert.state, acknowledged_by=user, acknowledged_at=alert.acknowledged_at, note=note):
        raise Conflict(_("This alert has been acknowledged already."))
    return alert


# ── sensors ─────────────────────────────────────────────────────────────────

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}$")
INTAKE_USERNAME = "sensor-intake"
FUTURE_SKEW = timedelta(minutes=5)
OLDEST_READING = timedelta(days=30)
THRESHOLD_MESSAGES = {
    "missing": lambda: _("Give at least one threshold (alarm above or alarm below)."),
    "not_finite": lambda: _("The threshold must be a finite number."),
    "out_of_range": lambda: _("The threshold lies outside what this kind of sensor can measure."),
    "not_below_high": lambda: _("The low threshold must be below the high one."),
    "unknown": lambda: _("Unknown sensor kind."),
}


def _check_owner(user, owner_code):
    """The responsible unit: the named one (city-wide roles) or the user's own."""
    if owner_code:
        owner = Unit.objects.filter(code=owner_code, active=True).first()
        if owner is None:
            raise DomainError(_("Unknown unit “%(v)s”.") % {"v": owner_code}, field="owner")
    else:
        owner = user.unit
        if owner is None:
            raise DomainError(_("Name the responsible unit."), field="owner")
    if not scoping.is_city_wide(user) and owner.pk != user.unit_id:
        raise Forbidden(_("You may register sensors only for your own unit."))
    return owner


def may_register(user):
    return scoping.has_role(user, Role.ADMIN) or (user.is_authenticated and (
        (user.role == Role.SUPERVISOR and scoping.is_city_wide(user)) or user.role == Role.UNIT_STAFF))


def register_sensor(user, code, name, kind, lon, lat, threshold_low=None, threshold_high=None, owner_code="",
                    category_code="", address=""):
    """Register a sensor (admins and city supervisors for any unit, unit staff for their own unit)."""
    if not may_register(user):
        raise Forbidden(_("Your role may not register sensors."))
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise DomainError(_("The code must be 1–40 letters, digits or . _ : -"), field="code")
    if Sensor.objects.filter(code=code).exists():
        raise DomainError(_("A sensor with this code exists already."), field="code", code="duplicate")
    name = tickets.require_text(name, "name", _("Name"), 100)
    if kind not in SensorKind.values:
        raise DomainError(_("Unknown sensor kind “%(v)s”.") % {"v": kind}, field="kind")
    for field, problem in sensing.problems_with_thresholds(kind, threshold_low, threshold_high):
        raise DomainError(THRESHOLD_MESSAGES[problem](), field=field)
    place = tickets.locate(tickets.IntakeData(text="-", lon=lon, lat=lat))
    owner = _check_owner(user, owner_code)
    unit = user.unit
    if (not scoping.is_city_wide(user) and unit is not None and unit.kind in TERRITORIAL
            and not _inside(unit, place)):
        raise DomainError(_("The sensor lies outside your unit's territory."), field="lon")
    category = _sensor_category(kind, category_code)
    return Sensor.objects.create(
        code=code, name=name, kind=kind, lon=lon, lat=lat, address=(address or "").strip()[:200],
        district=place.get("district"), street=place.get("street"), owner=owner, category=category,
        threshold_low=threshold_low, threshold_high=threshold_high, created_at=timezone.now(), created_by=user)


def _inside(unit, place):
    node = place.get(str(unit.kind))
    return node is not None and node.pk == unit.pk


def _sensor_category(kind, category_code):
    code = category_code or sensing.KINDS[kind].category
    category = Category.objects.filter(code=code, active=True).first()
    if category is None and category_code:
        raise DomainError(_("Unknown category “%(v)s”.") % {"v": category_code}, field="category")
    return category


KEEP = object()  # update_thresholds: the field was not sent, it stays as it is


def update_thresholds(user, sensor, threshold_low=KEEP, threshold_high=KEEP, active=None):
    """Change what is given (a PATCH): a threshold left out (KEEP) stays, one given as None is removed; the
    thresholds then in force are checked together (at least one, low below high)."""
    _require_owner_side(user, sensor)
    threshold_low = sensor.threshold_low if threshold_low is KEEP else threshold_low
    threshold_high = sensor.threshold_high if threshold_high is KEEP else threshold_high
    for field, problem in sensing.problems_with_thresholds(sensor.kind, threshold_low, threshold_high):
        raise DomainError(THRESHOLD_MESSAGES[problem](), field=field)
    sensor.threshold_low, sensor.threshold_high = threshold_low, threshold_high
    if active is not None:
        sensor.active = bool(active)
    sensor.save(update_fields=["threshold_low", "threshold_high", "active"])
    return sensor


def _require_owner_side(user, sensor):
    if scoping.has_role(user, Role.ADMIN):
        return
    if user.is_authenticated and user.role == Role.SUPERVISOR and scoping.is_city_wide(user):
        return
    if user.is_authenticated and user.role in (Role.UNIT_STAFF, Role.GRID_WORKER) and user.unit_id == sensor.owner_id:
        return
    raise Forbidden(_("Only the sensor's responsible unit may do this."))


def _reading_time(at, now):
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + FUTURE_SKEW:
        raise DomainError(_("The reading's time lies in the future."), field="at")
    if at < now - OLDEST_READING:
        raise DomainError(_("The reading is older than 30 days."), field="at")
    return at


class Posted(NamedTuple):
    reading: SensorReading
    incident: SensorIncident | None
    ticket_created: bool
    repeated: bool = False     # the same sensor and time had been posted before


def post_reading(user, sensor, value, at=None):
    """Record one reading. Returns a `Posted`.

    Posting the same sensor and time again returns the first reading (retries are safe).
    """
    _require_owner_side(user, sensor)
    now = timezone.now()
    problem = sensing.reading_problem(sensor.kind, value)
    if problem:
        raise DomainError({
            "not_number": _("The value must be a number."),
            "not_finite": _("The value must be a finite number."),
            "out_of_range": _("The value lies outside what this kind of sensor can measure."),
        }[problem], field="value")
    at = _reading_time(at, now)
    if not sensor.active:
        raise DomainError(_("This sensor is switched off."), field="sensor", code="conflict")
    with transaction.atomic():
        sensor = Sensor.objects.select_for_update().get(pk=sensor.pk)
        existing = SensorReading.objects.filter(sensor=sensor, at=at).first()
        if existing:
            return Posted(existing, existing.incident, False, repeated=True)
        side = sensing.breach(float(value), sensor.threshold_low, sensor.threshold_high)
        reading = SensorReading.objects.create(sensor=sensor, at=at, value=float(value), received_at=now,
                                               breach=side, posted_by=user if user.is_authenticated else None)
        if sensor.last_reading_at is None or at >= sensor.last_reading_at:
            sensor.last_value, sensor.last_reading_at = float(value), at
            sensor.save(update_fields=["last_value", "last_reading_at"])
        incident, created = _incident_for(sensor, reading, side, user)
    return Posted(reading, incident, created)


def _open_incident(sensor):
    closed = (State.CLOSED, State.ANSWERED, State.MERGED)
    return (SensorIncident.objects.select_related("ticket").filter(sensor=sensor)
            .exclude(ticket__state__in=closed).order_by("-opened_at").first())


def _incident_for(sensor, reading, side, user):
    """Attach the reading to the open incident, open one (with its ticket), or clear it."""
    incident = _open_incident(sensor)
    if not side:
        if incident and incident.cleared_at is None:
            incident.cleared_at = reading.at
            incident.save(update_fields=["cleared_at"])
            tickets.record_event(incident.ticket, "sensor_cleared", None, incident.ticket.state, at=reading.at,
                                 sensor=sensor.code, value=reading.value)
        return None, False
    if incident is None:
        return _open(sensor, reading, side, user), True
    again = incident.cleared_at is not None
    incident.readings += 1
    incident.peak_value = _peak(incident.peak_value, reading.value, side)
    incident.cleared_at = None
    incident.save(update_fields=["readings", "peak_value", "cleared_at"])
    reading.incident = incident
    reading.save(update_fields=["incident"])
    if again:
        tickets.record_event(incident.ticket, "sensor_alarm", None, incident.ticket.state, at=reading.at,
                             sensor=sensor.code, value=reading.value, side=side, again=True)
    return incident, False


def _peak(old, value, side):
    return max(old, value) if side == "high" else min(old, value)


def intake_user():
    """The account automatic sensor tickets are recorded by (a hotline call-taker that cannot log in)."""
    user = User.objects.filter(username=INTAKE_USERNAME).first()
    if user is None:
        hotline = Unit.objects.filter(kind=UnitKind.HOTLINE_CENTER).order_by("code").first()
        user = User(username=INTAKE_USERNAME, role=Role.CALL_TAKER, unit=hotline, display_name="感知设备自动受理")
        user.set_unusable_password()
        user.save()
    return user


def _open(sensor, reading, side, poster):
    threshold = sensor.threshold_high if side == "high" else sensor.threshold_low
    spec = sensing.KINDS[sensor.kind]
    local = timezone.localtime(reading.at)
    text = (f"传感器 {sensor.code}（{sensor.name}）于 {local:%Y-%m-%d %H:%M} 读数 {reading.value:g}{spec.unit}，"
            f"{'超过' if side == 'high' else '低于'}阈值 {threshold:g}{spec.unit}。"
            f"位置：{sensor.address or f'{sensor.lon:.6f}, {sensor.lat:.6f}'}。")
    data = tickets.IntakeData(text=text, title=sensing.ticket_title(sensor.kind, sensor.name, reading.value),
                              channel=Channel.SENSOR, address=sensor.address, lon=sensor.lon, lat=sensor.lat,
                              anonymous=True, category_code=sensor.category.code if sensor.category_id else "")
    ticket, _created = tickets.create_ticket(intake_user(), data, idempotency_key=f"sensor:{sensor.pk}:{reading.pk}",
                                             at=reading.at)
    incident = SensorIncident.objects.create(sensor=sensor, ticket=ticket, opened_at=reading.at,
                                             peak_value=reading.value)
    reading.incident = incident
    reading.save(update_fields=["incident"])
    tickets.record_event(ticket, "sensor_alarm", None, ticket.state, at=reading.at, sensor=sensor.code,
                         sensor_kind=sensor.kind, value=reading.value, threshold=threshold, side=side,
                         posted_by=getattr(poster, "username", None))
    return incident
