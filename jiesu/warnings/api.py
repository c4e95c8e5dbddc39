"""REST endpoints for sensors (感知), forecasts and alerts (mounted at /api/v1/warnings)."""
from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from pydantic import Field

from jiesu.core.api_support import Coordinate, Flag, Number
from jiesu.warnings import services
from jiesu.warnings.models import Sensor

router = Router(tags=["warnings"])


class SensorIn(Schema):
    code: str = Field(..., description="the device's own id (letters, digits, . _ : -)")
    name: str
    kind: str = Field(..., description="water_level / noise / manhole_tilt / gas / temperature")
    lon: Coordinate = Field(..., description="WGS-84 longitude")
    lat: Coordinate = Field(..., description="WGS-84 latitude")
    address: str = ""
    threshold_low: Number | None = Field(None, description="alarm when a reading is below")
    threshold_high: Number | None = Field(None, description="alarm when a reading is above")
    owner: str = Field("", description="responsible unit's code (default: your own unit)")
    category: str = Field("", description="category code of its tickets (default per kind)")


class ThresholdsIn(Schema):
    threshold_low: Number | None = None
    threshold_high: Number | None = None
    active: Flag | None = None


class SensorOut(Schema):
    code: str
    name: str
    kind: str
    lon: float
    lat: float
    address: str
    district: str | None
    street: str | None
    owner: str
    category: str | None
    threshold_low: float | None
    threshold_high: float | None
    active: bool
    last_value: float | None
    last_reading_at: datetime | None

    @staticmethod
    def resolve_district(obj):
        return obj.district.code if obj.district_id else None

    @staticmethod
    def resolve_street(obj):
        return obj.street.code if obj.street_id else None

    @staticmethod
    def resolve_owner(obj):
        return obj.owner.code

    @staticmethod
    def resolve_category(obj):
        return obj.category.code if obj.category_id else None


class ReadingIn(Schema):
    value: Number = Field(..., description="in the kind's unit: m, dB(A), °, %LEL, °C")
    at: datetime | None = Field(None, description="when measured (default: now)")


class ReadingOut(Schema):
    sensor: str
    at: datetime
    value: float
    breach: str = Field(..., description="'' within thresholds, 'high' or 'low'")
    incident: int | None
    ticket: str | None = Field(None, description="the incident's ticket number (null when you may not read the "
                                                  "ticket: the hotline has not dispatched it to you)")
    ticket_created: bool


class AlertOut(Schema):
    id: int
    week: date
    district: str | None
    category: str | None
    actual: int
    expected: float
    high: int
    partial: bool
    state: str


class ForecastOut(Schema):
    week: date
    district: str | None
    category: str | None
    expected: float
    low: int
    high: int
    actual: int | None
    horizon: int


def _sensor(request, code):
    return get_object_or_404(services.visible_sensors(request.user).select_related(
        "district", "street", "owner", "category"), code=code)


@router.post("/sensors", response={201: SensorOut}, summary="Register a sensor")
def register(request, payload: SensorIn):
    sensor = services.register_sensor(
        request.user, payload.code, payload.name, payload.kind, payload.lon, payload.lat,
        payload.threshold_low, payload.threshold_high, payload.owner, payload.category, payload.address)
    return 201, sensor


@router.get("/sensors", response=list[SensorOut], summary="Sensors you may see")
def sensors(request, kind: str = ""):
    qs = services.visible_sensors(request.user).select_related("district", "street", "owner", "category")
    return list(qs.filter(kind=kind) if kind else qs)[:500]


@router.get("/sensors/{code}", response=SensorOut)
def sensor(request, code: str):
    return _sensor(request, code)


@router.patch("/sensors/{code}", response=SensorOut,
              summary="Change thresholds or switch a sensor off/on (only the fields sent; null removes a threshold)")
def change(request, code: str, payload: ThresholdsIn):
    sent = payload.dict(exclude_unset=True)  # a field left out stays as it is; null removes a threshold
    return services.update_thresholds(
        request.user, _sensor(request, code), sent.get("threshold_low", services.KEEP),
        sent.get("threshold_high", services.KEEP), sent.get("active"))


@router.post("/sensors/{code}/readings", response={201: ReadingOut, 200: ReadingOut},
             summary="Post a reading; past a threshold it opens (or joins) the incident's ticket")
def post_reading(request, code: str, payload: ReadingIn):
    sensor = _sensor(request, code)
    posted = services.post_reading(request.user, sensor, payload.value, payload.at)
    reading, incident = posted.reading, posted.incident
    readable = services.readable_ticket_ids(request.user, [incident.ticket_id] if incident else [])
    out = {"sensor": sensor.code, "at": reading.at, "value": reading.value, "breach": reading.breach,
           "incident": incident.pk if incident else None,
           "ticket": incident.ticket.number if incident and incident.ticket_id in readable else None,
           "ticket_created": posted.ticket_created}
    return (200 if posted.repeated else 201), out


@router.get("/alerts", response=list[AlertOut], summary="Weeks whose volume broke the forecast band")
def alerts(request, state: str = ""):
    qs = services.visible_alerts(request.user).select_related("district", "category")
    if state:
        qs = qs.filter(state=state)
    return [{"id": a.pk, "week": a.week, "district": a.district.code if a.district_id else None,
             "category": a.category.code if a.category_id else None, "actual": a.actual, "expected": a.expected,
             "high": a.high, "partial": a.partial, "state": a.state} for a in qs[:500]]


@router.get("/forecasts", response=list[ForecastOut], summary="Weekly forecasts of one district (or the city)")
def forecasts(request, district: str = "", category: str = ""):
    qs = services.visible_forecasts(request.user).select_related("district", "category")
    qs = qs.filter(district__code=district) if district else qs.filter(district__isnull=True)
    qs = qs.filter(category__code=category) if category else qs.filter(category__isnull=True)
    return [{"week": f.week, "district": district or None, "category": category or None, "expected": f.expected,
             "low": f.low, "high": f.high, "actual": f.actual, "horizon": f.horizon} for f in qs.order_by("week")]
