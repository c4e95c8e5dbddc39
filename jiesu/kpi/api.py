"""Assessment API (mounted at /api/v1/kpi): rankings, a unit's figures, the city's figures.

Authentication comes from the API root (bearer token or session). Rankings and
city figures are public to staff; a unit's own figures follow
services.can_see_unit (a street sees itself, not another street).
"""
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from jiesu.core.errors import DomainError, Forbidden
from jiesu.kpi import services
from jiesu.kpi.models import UnitClass
from jiesu.units.models import Unit

router = Router(tags=["assessment"])

MONTH_HELP = "YYYY-MM; default this month"


class KpisOut(Schema):
    month: str
    version: int
    unit_id: int | None
    code: str
    name: str
    unit_class: str
    received: int = Field(description="tickets received, every ticket (volume)")
    assessed: int = Field(description="tickets received that count in the rates")
    found_first: int
    resp_due: int
    resp_on_time: int
    replied: int
    valid_callbacks: int
    cb_resolved: int
    cb_partly: int
    cb_unresolved: int
    cb_satisfied: int
    cb_basic: int
    cb_dissatisfied: int
    closed: int
    returns_upheld: int
    recurring_closed: int
    response_rate: float | None = Field(description="0…1")
    resolution_rate: float | None
    satisfaction_rate: float | None
    speed_median_hours: float | None = Field(description="working hours from dispatch to first reply")
    speed_p90_hours: float | None
    speed_score: float | None
    governance_depth: float | None
    whistle_rating: float | None = Field(description="1…5, streets and departments (Art.33)")
    whistle_count: int
    composite: float | None = Field(description="0…100")
    rank: int | None
    previous_rank: int | None
    rank_change: int | None
    previous_composite: float | None
    composite_trend: float | None
    speed_histogram: list[int]


class RankingOut(Schema):
    unit_class: str
    month: str
    version: int
    weights: dict
    rows: list[KpisOut]
    explanations: dict = Field(description="how each number is computed, under this version")
    published: dict | None = Field(None, description="for a published (frozen) month, the edition read: edition, at, "
                                   "by, reason; null while the month is open (computed live)")


class UnitKpisOut(Schema):
    kpis: KpisOut
    explanations: dict


def _require_staff(request):
    if not services.may_see_rankings(request.user):
        raise Forbidden(_("Your role may not do this."))


def _month(value):
    return services.parse_month(value) if value else services.current_month()


@router.get("/rankings", response=RankingOut, summary="Monthly ranking of one unit class")
def rankings(request, group: str = "street", month: str = ""):
    """Every unit of the group (district, street, department, enterprise), best first, with the trend."""
    _require_staff(request)
    if group not in UnitClass.values:
        raise DomainError(_("Unknown unit class “%(v)s”.") % {"v": group}, field="group")
    return services.ranking(group, _month(month)).as_dict()


@router.get("/units/{unit_id}", response=UnitKpisOut, summary="One unit's figures for a month")
def unit(request, unit_id: int, month: str = ""):
    _require_staff(request)
    found = get_object_or_404(Unit, pk=unit_id)
    services.require_unit(request.user, found)
    month = _month(month)
    kpis = services.unit_kpis(found, month)
    version = services.version_for(month)
    return {"kpis": kpis.as_dict(),
            "explanations": services.explanations(version, version.weights_by_class.get(kpis.unit_class))}


@router.get("/city", response=UnitKpisOut, summary="The city's figures for a month")
def city(request, month: str = ""):
    _require_staff(request)
    month = _month(month)
    return {"kpis": services.city_kpis(month).as_dict(), "explanations": services.explanations(
        services.version_for(month))}
