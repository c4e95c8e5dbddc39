"""REST endpoints of reply quality (mounted at /api/v1/quality): the flags a user may read, the flagged unit's appeal
(申诉) and the 12345 centre's decision on it (docs/reply-quality.md)."""
from datetime import datetime

from ninja import Router, Schema
from pydantic import Field

from jiesu.core.api_support import Flag
from jiesu.quality import services

router = Router(tags=["quality"])


class FlagOut(Schema):
    id: int
    ticket: str
    unit: str | None
    replied_at: datetime
    reasons: list[str]
    relevance: float
    dismissed_at: datetime | None
    appeal_state: str = Field(..., description="'' never appealed, 'pending', 'upheld' or 'withdrawn'")
    appealed_at: datetime | None
    appeal_reason: str
    appeal_decided_at: datetime | None
    appeal_decision: str
    appeal_deadline: datetime = Field(..., description="the last moment the unit may appeal (APPEAL_DAYS working days "
                                                       "after the flag)")
    appeal_due_at: datetime | None = Field(..., description="a pending appeal's decision due (APPEAL_DECISION_DAYS "
                                                            "working days after it)")
    appeal_overdue: bool = Field(..., description="pending and past its decision's due time")

    @staticmethod
    def resolve_ticket(obj):
        return obj.ticket.number

    @staticmethod
    def resolve_unit(obj):
        return obj.unit.code if obj.unit_id else None


class AppealIn(Schema):
    reason: str = Field(..., description="why the reply answers the request after all (≤ 500 characters)")


class DecisionIn(Schema):
    uphold: Flag = Field(..., description="true: the flag stands; false: it is withdrawn")
    reason: str = Field(..., description="why (≤ 500 characters)")


@router.get("/flags", response=list[FlagOut], summary="Flagged replies you may read (newest first, at most 100)")
def flags(request, appeal: str = "", reason: str = "", dismissed: bool = False, offset: int = 0):
    services.require_reader(request.user)
    qs = services.flag_list(request.user, "dismissed" if dismissed else "", appeal, reason)
    offset = max(0, min(offset, 10 ** 6))
    return services.with_appeal_times(list(qs[offset:offset + 100]))


@router.post("/flags/{int:flag_id}/appeal", response=FlagOut, summary="Appeal a flag on your unit's reply (申诉)")
def appeal(request, flag_id: int, payload: AppealIn):
    return services.with_appeal_times([services.appeal_flag(request.user, flag_id, payload.reason)])[0]


@router.post("/flags/{int:flag_id}/decision", response=FlagOut, summary="Decide an appeal: uphold or withdraw")
def decision(request, flag_id: int, payload: DecisionIn):
    return services.with_appeal_times([services.decide_appeal(request.user, flag_id, payload.uphold,
                                                              payload.reason)])[0]
