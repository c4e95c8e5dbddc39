"""Dispatch API (mounted at /api/v1/dispatch): suggestions and the locator.

    GET /suggest?text=…&address=…&lon=…&lat=…&coord_system=wgs84|gcj02|bd09&top=3
    POST /suggest {"text": …, …}             the same in a JSON body (a long text does not fit a URL)
    GET /locate?address=…&lon=…&lat=…&coord_system=…
    GET  /tickets/{id}/suggestions          the desk's top-3 for a ticket (dispatchers), and what holds it back
                                            ("holds": an emergency, a merge proposal or repeat flag undecided)
    POST /tickets/{id}/accept {"rank": 1}   dispatch suggestion #rank as suggested, logged (dispatchers); a ticket
                                            with holds (it reads as an emergency or awaits a merge decision)
                                            needs "confirm": true, and so does a suggestion shown under the
                                            desk's one-key floor (409 below_floor)

A suggestion's category carries its path from the root (the catalogue repeats names across its two trees: two
占道经营), its units their ids.

Authentication comes from the API root (any logged-in user or API token).
The gazetteer is edited in the admin (调度 → 地名库).
"""
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.api_support import Coordinate
from jiesu.core.errors import DomainError
from jiesu.dispatch import engine, locator

router = Router(tags=["dispatch"])


class UnitBrief(Schema):
    id: int
    code: str
    name: str
    kind: str


class PlaceOut(Schema):
    grid: UnitBrief | None
    community: UnitBrief | None
    street: UnitBrief | None
    district: UnitBrief | None
    unit: UnitBrief | None = Field(description="the most specific unit found")
    level: str | None = Field(description="grid, community, street, district, or null when nothing was found")
    confidence: float
    source: str = Field(description="coordinates, address, text (named in the request text) or none")
    reason: str = Field(description="how the place was found, or why not, in the request's language")
    matched: list[str] = Field(description="place names found in the address")
    lon: float | None = Field(None, description="the point in WGS-84, when coordinates were given")
    lat: float | None = None
    schematic: bool = Field(False, description="the point fell in a generated (示意) boundary")


class CategoryBrief(Schema):
    id: int
    code: str
    name: str
    path: str = Field(description="from the root, its name last (城市管理部件与事件 / 街面秩序类 / 占道经营): the catalogue "
                                  "repeats names across its two trees, so a name alone may be two categories")


class SuggestionOut(Schema):
    rank: int
    category: CategoryBrief
    probability: float = Field(description="the classifier's probability of the category")
    lead: UnitBrief | None = Field(description="null only when the org tree has no hotline centre")
    co: list[UnitBrief]
    copy_to: UnitBrief | None = Field(description="the district a street dispatch is copied to")
    duty_id: int | None = Field(description="the dispatch catalogue entry used (null for a fallback)")
    routing_confidence: float
    confidence: float = Field(description="probability × routing_confidence")
    mode: str = Field(description="direct, territorial, district, district_department, fallback_district, hotline")
    explanation: str


class EmergencyOut(Schema):
    number: str = Field(description="110, 119, 120 or 122")
    label: str = Field(description="what to do, in the request's language (e.g. 燃气泄漏：请立即转 119 消防救援…; "
                                   "Gas leak: transfer to 119 fire and rescue (and the gas utility, 96777) now)")


class SuggestOut(Schema):
    place: PlaceOut
    suggestions: list[SuggestionOut]
    emergency: EmergencyOut | None = Field(
        None, description="the text reads as an emergency: transfer it to that line rather than dispatch it "
                          "(auto-dispatch never dispatches such a ticket)")
    classifier: str
    cold_start: bool = Field(description="the classifier was made from category names and keywords: its "
                                         "probabilities rank the categories but are not calibrated")
    model: str = Field(description="what answers: trained (a model trained on closed tickets), cold_start (no "
                                   "model file trained yet, or none named), unreadable (the model file cannot be "
                                   "read: the cold start answers until it is retrained or rolled back)")
    ms: float


class HoldOut(Schema):
    kind: str = Field(description="emergency (the text reads as one), report (typed 举报, or its text says so), "
                                  "confidential (保密), accuses_unit (its text accuses a unit or its staff), merge "
                                  "(proposed at intake for merging) or same_caller (the same caller's repeat flag), "
                                  "undecided, or near_duplicate (an open ticket says almost the same: duplicates "
                                  "score ≥ 0.8)")
    ticket: str | None = Field(description="the number of the ticket proposed, that the same caller reported or "
                                           "that says almost the same (null for an emergency)")
    merged_into: str | None = Field(description="where that ticket was merged since (the merge would go there), "
                                                "if it was")
    message: str = Field(description="the hold as the desk says it, in the request's language")


class TicketSuggestOut(SuggestOut):
    holds: list[HoldOut] = Field(description="what holds the ticket back from being dispatched as suggested: "
                                             "POST …/accept needs \"confirm\": true while this is not empty "
                                             "(an emergency alone, else a report, confidential or accusing ticket's "
                                             "hold and each undecided proposal)")


class PointParams(Schema):
    address: str = Field("", max_length=500)
    lon: Coordinate | None = Field(None, description="longitude, -180 to 180 (see coord_system)")
    lat: Coordinate | None = Field(None, description="latitude, -90 to 90 (see coord_system); the range is "
                                                       "checked with longitude, to say when the two are swapped")
    coord_system: str = Field("wgs84", max_length=20, description="wgs84, gcj02 or bd09 (also WGS-84, GCJ-02, "
                                                                  "BD-09; empty is wgs84); checked even without "
                                                                  "coordinates")


class SuggestParams(PointParams):
    text: str = Field(..., max_length=4000, description="the request text (title and/or description)")
    top: int = Field(3, ge=1, le=10, strict=True)


def _brief(unit):
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": str(unit.kind)} if unit is not None else None


def category_out(category):
    return {"id": category.id, "code": category.code, "name": category.name, "path": category.full_name()}


def suggestion_out(suggestion):
    """SuggestionOut: the engine's suggestion with its category's path and its units' ids."""
    return {**suggestion.as_dict(), "category": category_out(suggestion.category), "lead": _brief(suggestion.lead),
            "co": [_brief(u) for u in suggestion.co], "copy_to": _brief(suggestion.copy_to)}


def place_out(place):
    return {
        "grid": _brief(place.grid), "community": _brief(place.community), "street": _brief(place.street),
        "district": _brief(place.district), "unit": _brief(place.unit), "level": place.level,
        "confidence": place.confidence, "source": place.source, "reason": place.reason,
        "matched": list(place.matched), "lon": place.lon, "lat": place.lat, "schematic": place.schematic,
    }


def suggest_out(found, text):
    """SuggestOut for the engine's answer to `text`."""
    from jiesu.dispatch.duplicates import emergency_hint
    from jiesu.dispatch.wording import emergency_words

    hint = emergency_hint(text)
    return {"place": place_out(found.place), "suggestions": [suggestion_out(s) for s in found],
            "emergency": {"number": hint.number, "label": emergency_words(hint)} if hint is not None else None,
            "classifier": found.classifier, "cold_start": found.cold_start, "model": model_kind(found),
            "ms": round(found.seconds * 1000, 3)}


def model_kind(found):
    """SuggestOut.model: trained, cold_start or unreadable (a code: the file's path is for staff, on the accuracy
    page)."""
    from jiesu.dispatch import services as desk

    if not found.cold_start:
        return "trained"
    return "unreadable" if desk.unreadable_model_file(True) is not None else "cold_start"


def holds_out(ticket):
    """TicketSuggestOut.holds: each hold of the ticket (services.holds), its message a sentence of its own."""
    from jiesu.dispatch import services as desk

    return [{**hold.as_dict(), "message": desk.accept_warning(ticket, [hold])} for hold in desk.holds(ticket)]


def _checked(call):
    try:
        return call()
    except locator.LocateError as exc:
        raise DomainError(str(exc), field=exc.field) from exc


@router.get("/suggest", response=SuggestOut, summary="Top (category, unit) suggestions for a request")
def suggest(request, params: Query[SuggestParams]):
    """The classifier's likely categories, each routed for the place (coordinates first, then the
    address, then places named in the text); confidence = probability × routing confidence.
    A long text fits no URL (servers refuse request lines of a few KB): POST it."""
    return _suggest(params)


@router.post("/suggest", response=SuggestOut, summary="The same, the request in a JSON body (long texts)")
def suggest_posted(request, payload: SuggestParams):
    """As GET /suggest, for a text of any length up to 4,000 characters."""
    return _suggest(payload)  # `payload`: a refusal names the body's field (lon), not `params.lon`


def _suggest(params):
    if not params.text.strip():
        raise DomainError(_("Give the request text."), field="text")
    _checked(lambda: locator.check_system(params.coord_system))
    found = _checked(lambda: engine.suggest(params.text, params.address, params.lon, params.lat,
                                            params.coord_system, top=params.top))
    return suggest_out(found, params.text)


@router.get("/locate", response=PlaceOut, summary="Where an address or a point is")
def locate(request, params: Query[PointParams]):
    """Coordinates (declared datum) by point in polygon, else the address through the gazetteer.
    Nothing found is not an error: the answer has no units, confidence 0 and the reason."""
    _checked(lambda: locator.check_system(params.coord_system))
    if not params.address.strip() and params.lon is None and params.lat is None:
        raise DomainError(_("Give an address or coordinates."), field="address")
    place = _checked(lambda: locator.locate(params.address, params.lon, params.lat, params.coord_system))
    return place_out(place)


# ── the dispatcher's desk (docs/dispatch-desk.md) ──────────────────────────

class AcceptIn(Schema):
    rank: int = Field(..., ge=1, le=10, strict=True, description="the suggestion to dispatch (1 = the best; a "
                                                                   "JSON number: true or \"1\" are refused)")
    expect_category: str = Field("", max_length=40, description="the category code the client showed for that "
                                                                 "rank; a different one now is a 409")
    expect_lead: str | None = Field(None, max_length=40, coerce_numbers_to_str=True, description=(
        "the lead unit the client showed for that rank: its id (a number) or its code; a different one now is a 409"))
    note: str = Field("", max_length=1000, description="note to the units")
    confirm: bool = Field(False, strict=True, description=(
        "dispatch although the ticket reads as an emergency or a merge proposal / repeat flag awaits a decision "
        "(else 400, field confirm), or although the suggestion is shown under the desk's one-key floor, 5 %, and the "
        "model is not the cold start (else 409 below_floor, field confirm)"))


class AcceptOut(Schema):
    ticket: int
    number: str
    state: str
    category: CategoryBrief
    lead: UnitBrief
    accepted_rank: int | None
    log_id: int = Field(description="the DispatchSuggestion row written")


def _desk_ticket(request, ticket_id):
    from django.shortcuts import get_object_or_404

    from jiesu.tickets.models import Ticket

    scoping.require_role(request.user, Role.DISPATCHER, Role.ADMIN)
    ticket = get_object_or_404(Ticket.objects.select_related("district", "street", "community", "category"),
                               pk=ticket_id)
    scoping.require_view(request.user, ticket)
    return ticket


@router.get("/tickets/{ticket_id}/suggestions", response=TicketSuggestOut,
            summary="The desk's suggestions for a ticket")
def ticket_suggestions(request, ticket_id: int):
    """The top-3 (category, unit) for a ticket's text and stored place, as on the dispatch page, and what holds
    the ticket back from being dispatched as suggested (holds: accept needs "confirm": true)."""
    from jiesu.dispatch import services as desk

    ticket = _desk_ticket(request, ticket_id)
    return {**suggest_out(desk.suggestions_for(ticket), desk.ticket_text(ticket.title, ticket.text)),
            "holds": holds_out(ticket)}


@router.post("/tickets/{ticket_id}/accept", response=AcceptOut, summary="Dispatch a suggestion as suggested")
def accept(request, ticket_id: int, payload: AcceptIn):
    """派单 by suggestion: category, lead and co units of suggestion #rank; logged as a DispatchSuggestion
    (source api). 409 when the suggestion no longer has the expected category or lead unit; 409 `below_floor`
    (field `confirm`) when it is shown under the desk's one-key floor (5 %, not for the cold start), where the
    desk's Enter does not dispatch it either: send `"confirm": true` once it is checked."""
    from jiesu.dispatch import services as desk
    from jiesu.dispatch.models import SuggestionSource

    ticket, row = desk.accept(request.user, _desk_ticket(request, ticket_id), payload.rank, payload.note,
                              expect_category=payload.expect_category, expect_lead=payload.expect_lead,
                              confirm=payload.confirm, source=SuggestionSource.API)
    return {"ticket": ticket.pk, "number": ticket.number, "state": str(ticket.state),
            "category": category_out(ticket.category),
            "lead": _brief(ticket.lead_unit), "accepted_rank": row.accepted_rank, "log_id": row.pk}
