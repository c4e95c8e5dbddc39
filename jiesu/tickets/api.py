"""REST endpoints for intake and every lifecycle action (mounted at /api/v1/tickets)."""
from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.api_support import Coordinate, Flag, LoggedInSession, RecordId, TokenAuth
from jiesu.core.errors import Forbidden
from jiesu.core.text_masking import notes_for, text_for
from jiesu.dispatch.models import SuggestionSource
from jiesu.tickets import citizen, logged, queries, services
from jiesu.tickets.models import Ticket
from jiesu.tickets.services import IntakeData

router = Router(tags=["tickets"])


class TicketIn(Schema):
    text: str = Field(..., description="诉求内容 the citizen's words")
    title: str = ""
    channel: str = "api"
    request_type: str = Field("", description="consult/help/complaint/report/suggestion; default from category")
    address: str = ""
    lon: Coordinate | None = Field(None, description="longitude (see coord_system)")
    lat: Coordinate | None = Field(None, description="latitude (see coord_system)")
    coord_system: str = Field("wgs84", description="wgs84 / gcj02 / bd09: the datum of lon/lat; stored as WGS-84")
    citizen_name: str = ""
    citizen_phone: str = ""
    anonymous: Flag = False
    confidential: Flag = False
    category: str = Field("", description="category code (leaf)")
    street: str = Field("", description="street/community/grid code when no coordinates")


class UnitRef(Schema):
    id: int
    code: str
    name: str


class AssignmentOut(Schema):
    unit: UnitRef
    role: str
    state: str
    active: bool
    dispatched_at: datetime
    sign_due: datetime | None
    reply_due: datetime | None
    signed_at: datetime | None
    contacted_at: datetime | None
    replied_at: datetime | None


class TicketOut(Schema):
    id: int
    number: str
    query_code: str
    state: str
    channel: str
    request_type: str
    title: str
    text: str = Field(..., description="诉求内容 the citizen's words; for a user who may not reveal the contact, "
                                       "phone and ID numbers and the citizen's name in it are masked as the "
                                       "citizen_name and citizen_phone fields (139****5678, 110101********1234, 韩**)")
    address: str
    lon: float | None
    lat: float | None
    citizen_name: str
    citizen_phone: str
    category: str | None
    district: str | None
    street: str | None
    grid: str | None
    lead_unit: str | None
    created_at: datetime
    dispatch_due: datetime | None
    reply_due: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    reply_text: str
    resolved: str
    satisfied: str
    warning_level: int
    rehandle_round: int
    return_count: int
    parent_id: int | None
    actions: list[str] = []
    emergency: dict | None = Field(None, description="on recording only: {number, label} when the text reads as "
                                                      "an emergency (110/119/120/122, what to do in the request's "
                                                      "language): an app tells its citizen to call that line now")
    place_note: str | None = Field(None, description="on recording only: why the point sent was not kept (outside "
                                                       "the city; kept in the intake event) and how the place was "
                                                       "found instead")


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    unit: str | None
    from_state: str
    to_state: str
    note: str
    payload: dict


class Contact(Schema):
    name: str
    phone: str = Field(..., description="the number as it is dialled, in the request's language: "
                                        "010-65123456 转 8021 (English: 010-65123456 ext. 8021), +1 3125550100")
    phone_stored: str = Field(..., description="the number as stored, the same-caller key: digits, a + before an "
                                               "international number, the extension after a comma "
                                               "(01065123456,8021, +13125550100)")


class Note(Schema):
    note: str = ""


CONFIRM_NEGATIVE = ("dispatch to a unit the negative list (负面清单) bars for the category, after checking it (else "
                    "400 with error negative_list, naming the field lead_unit or co_units and the entry); the event "
                    "records the entries overridden, with the note as the override's reason (required: else 400 with "
                    "error negative_reason on the field note)")


class DispatchIn(Schema):
    lead_unit: RecordId = Field(..., description="unit id")
    co_units: list[RecordId] = []
    category: str = ""
    note: str = ""
    confirm_negative: bool = Field(False, strict=True, description=CONFIRM_NEGATIVE)


class ReplyIn(Schema):
    text: str
    self_resolved: Flag | None = None


class TextIn(Schema):
    text: str = ""


#: a return's or an extension's reason: what services.require_reason asks
REASON_FIELD = Field(..., description="why: at least 4 characters, two of them letters or Chinese characters, not "
                                      "only digits, punctuation or one character repeated (else 400 on the field "
                                      "reason)")


class ReturnIn(Schema):
    reason: str = REASON_FIELD
    suggested_unit: RecordId | None = None


class ArbitrateIn(Schema):
    uphold: Flag
    note: str = ""
    lead_unit: RecordId | None = None
    co_units: list[RecordId] = []
    category: str = Field("", description="category code (a leaf) to file the ticket under instead of its own, "
                                          "whatever the decision; the event records the old and the new one (else "
                                          "400 on the field category)")
    confirm_negative: bool = Field(False, strict=True, description=CONFIRM_NEGATIVE)


class CategoryIn(Schema):
    category: str = Field(..., description="category code (a leaf), not the ticket's own")
    reason: str = Field(..., description="why the category is corrected: at least 4 characters, not only digits, "
                                         "punctuation or one character repeated (else 400 on the field reason)")
    take_back: bool = Field(False, strict=True, description="when the negative list (负面清单) bars a unit handling "
                                                           "the ticket (lead or co) from the new category: correct "
                                                           "it and take the ticket back to the dispatch queue (else "
                                                           "409 with error negative_list_handling on the field "
                                                           "take_back, naming the unit and the entry); ignored "
                                                           "otherwise")


class ExtensionIn(Schema):
    working_days: int = Field(..., strict=True)
    reason: str = REASON_FIELD


class DecisionIn(Schema):
    approve: Flag
    note: str = ""


class CallbackIn(Schema):
    reached: Flag
    resolved: str = ""
    satisfied: str = ""
    note: str = ""
    method: Literal["phone", "sms", "web"] = Field("phone", description="phone / sms / web (else 422 naming method; "
                                                                         "any text was stored, or a 500 on "
                                                                         "PostgreSQL past 10 characters)")


class SpecialIn(Schema):
    special_class: str
    note: str = ""


class MergeIn(Schema):
    parent: RecordId
    confirm: bool = Field(False, strict=True, description="merge although the two may not be one matter (the 409 merge_doubt "
                                             "names why: texts unlike, another request type or district)")


class ReasonIn(Schema):
    reason: str


#: the ticket's times, given in the platform's time zone (+08:00) whichever way they were read (a new ticket's
#: created_at is the clock's UTC, a deadline the working calendar's local time)
TIMES = ("created_at", "dispatch_due", "reply_due", "replied_at", "closed_at")


def ticket_out(user, ticket, listed=None):
    contact = services.masked_contact(ticket)
    return {
        **{f: getattr(ticket, f) for f in (
            "id", "number", "query_code", "state", "channel", "request_type", "address", "lon", "lat", "reply_text",
            "resolved", "satisfied", "warning_level", "rehandle_round", "return_count", "parent_id")},
        **{f: timezone.localtime(getattr(ticket, f)) if getattr(ticket, f) else None for f in TIMES},
        "citizen_name": contact["name"], "citizen_phone": contact["phone"],
        "title": text_for(user, ticket, ticket.title), "text": text_for(user, ticket),
        "category": ticket.category.code if ticket.category_id else None,
        "district": ticket.district.code if ticket.district_id else None,
        "street": ticket.street.code if ticket.street_id else None,
        "grid": ticket.grid.code if ticket.grid_id else None,
        "lead_unit": ticket.lead_unit.name if ticket.lead_unit_id else None,
        "actions": services.available_actions(user, ticket, listed),
        **({"reply_text": citizen.reply_for_citizen(ticket)} if user.role == Role.CITIZEN else {}),
    }


def visible(request, ticket_id):
    ticket = get_object_or_404(Ticket.objects.select_related("category", "district", "street", "grid", "lead_unit"),
                               pk=ticket_id)
    scoping.require_view(request.user, ticket)
    return ticket


@router.post("", response={201: TicketOut, 200: TicketOut}, summary="受理 Record a request")
def create(request, payload: TicketIn):
    """Create a ticket. Send an `Idempotency-Key` header: a retry with the same key returns the
    first ticket (200) instead of creating a second one (201)."""
    data = IntakeData(**{**payload.dict(exclude={"category", "street"}),
                         "category_code": payload.category, "street_code": payload.street,
                         "drop_point_outside": True})
    ticket, created = services.create_ticket(request.user, data,
                                             idempotency_key=request.headers.get("Idempotency-Key") or None)
    if created:
        from jiesu.dispatch import duplicates

        duplicates.flag_repeats_quietly(request.user, ticket)
    return (201 if created else 200), {**ticket_out(request.user, ticket), "emergency": _emergency(request.user, ticket),
                                       "place_note": _place_note(data, ticket)}


def _place_note(data, ticket):
    """The answer's word on a point outside the city that intake left out, or on the place chosen that the point
    overrode; None when there is nothing to say."""
    from django.utils.translation import gettext as _

    from jiesu.dispatch.coords import sign_advice

    if data.point_outside is None:
        from jiesu.tickets.queries import chosen_not_taken_words

        return chosen_not_taken_words(data.place_decided)
    if ticket.district_id is None:
        said = _("The coordinates lie outside the city: the request is recorded without them (kept in its history) "
                 "and, with no place found, goes to the 12345 hotline centre for manual dispatch.")
    else:
        said = _("The coordinates lie outside the city: the request is recorded without them (kept in its history) "
                 "and placed by its address or the place chosen.")
    return f"{said} {sign_advice()}" if data.point_outside["reason"][0] == "point_outside_sign" else said


def _emergency(user, ticket):
    """The emergency line the text reads as: in a call-taker's words, or a citizen's (call it now)."""
    from django.utils.translation import gettext as _

    from jiesu.dispatch.services import emergency_of
    from jiesu.dispatch.wording import emergency_words, service_words

    hint = emergency_of(ticket)
    if hint is None:
        return None
    if user.role == Role.CITIZEN:
        return {"number": hint.number, "label": _("This reads like an emergency: call %(number)s (%(service)s) now.")
                % {"number": hint.number, "service": service_words(hint.number)}}
    return {"number": hint.number, "label": emergency_words(hint)}


class TicketPage(Schema):
    count: int = Field(description="the visible tickets matching the filters, counted up to 10,000 (the search "
                                   "page's cap) unless count=exact was asked")
    count_capped: bool = Field(description="true: more than 10,000 match and `count` says 10,000; false: `count` "
                                           "is exact")
    items: list[TicketOut]


COUNT_MODE = ("capped (default): `count` stops at 10,000 and `count_capped` says whether more match; exact: every "
              "matching ticket is counted (slow over a large territory: seconds at a million tickets)")
NUMBER_FILTER = ("the ticket's number (20261122-0000123), its id or query code, or an old system's number of an "
                 "imported ticket (BJ12345-00010, an LA SRNumber, an NYC Unique Key), exact; an id two sources share "
                 "lists both")


@router.get("", response=TicketPage, summary="Tickets visible to the caller, newest first")
def list_tickets(request, state: str = "", street: str = "", district: str = "",
                 number: str = Query("", description=NUMBER_FILTER), limit: int = 50, offset: int = 0,
                 count: Literal["capped", "exact"] = Query("capped", description=COUNT_MODE)):
    qs = scoping.visible_tickets(request.user).select_related("category", "district", "street", "grid", "lead_unit")
    if number.strip():
        qs = qs.filter(pk__in=queries.tickets_by_number(number))
    if state:
        qs = qs.filter(state=state)
    if street:
        qs = qs.filter(street__code=street)
    if district:
        qs = qs.filter(district__code=district)
    limit = max(1, min(limit, 200))
    page = list(qs.order_by("-created_at")[max(offset, 0):max(offset, 0) + limit])
    listed = services.relations_of(request.user, page)  # one query for the page, not one or two per ticket
    return {**_counted(qs, exact=count == "exact"), "items": [ticket_out(request.user, t, listed) for t in page]}


def _counted(qs, exact):
    """{"count", "count_capped"}: the exact COUNT(*) only when asked (3–5 s at 1 M tickets), else counted up to the
    search page's cap (queries.CappedPaginator: COUNT(*) of the first cap + 1 ids)."""
    if exact:
        return {"count": qs.count(), "count_capped": False}
    counter = queries.CappedPaginator(qs.order_by("-created_at"), 1)
    return {"count": min(counter.count, counter.cap), "count_capped": counter.capped}


@router.get("/{ticket_id}", response=TicketOut)
def get_ticket(request, ticket_id: int):
    return ticket_out(request.user, visible(request, ticket_id))


#: What a citizen's own history holds (as their progress page shows it): the steps, the reply, the callbacks (the
#: one that closes it says so in `to_state`); no staff, no internal notes or flags (a same-caller flag names other
#: people's tickets).
CITIZEN_EVENT_KINDS = ("intake", "dispatch", "answer", "reply", "callback", "close_special", "close_anonymous", "close",
                       "reopen")
CITIZEN_EVENT_NOTES = ("answer", "reply")


@router.get("/{ticket_id}/events", response=list[EventOut], summary="The ticket's history")
def events(request, ticket_id: int):
    """Every event for staff, the notes masked as the text is (a note may quote the citizen's number); for the
    citizen, the steps of their progress page only."""
    ticket = visible(request, ticket_id)
    rows = ticket.events.select_related("actor", "actor_unit")
    if request.user.role == Role.CITIZEN and not request.user.is_superuser:
        return [{"at": e.at, "kind": e.kind, "actor": None, "unit": None, "from_state": e.from_state,
                 "to_state": e.to_state, "note": citizen.answer_words(e) if e.kind in CITIZEN_EVENT_NOTES else "",
                 "payload": {}}
                for e in rows.filter(kind__in=CITIZEN_EVENT_KINDS)]
    note_read = notes_for(request.user, ticket)
    return [{"at": e.at, "kind": e.kind, "actor": str(e.actor) if e.actor else None,
             "unit": e.actor_unit.name if e.actor_unit else None, "from_state": e.from_state,
             "to_state": e.to_state, "note": note_read(e.note), "payload": e.payload}
            for e in rows]


class SessionRevealRefused(LoggedInSession):
    """A logged-in browser's GET of the reveal is refused in words (the page's button reveals by a POST)."""

    def authenticate(self, request, key):
        from django.utils.translation import gettext as _

        if super().authenticate(request, key) is not None:
            raise Forbidden(_("The API reveals a citizen's contact to an API token only: on the page, press "
                              "“Show number”."))
        return None


@router.get("/{ticket_id}/contact", response=Contact, summary="The citizen's unmasked contact (recorded)",
            auth=[TokenAuth(), SessionRevealRefused()])
def reveal(request, ticket_id: int):
    """The name and the phone as the page reveals them (recorded as a contact_revealed event), and the stored phone.
    A bearer token only: a browser's session would reveal (and record) on a GET a link, an image or a prefetch sends;
    the page reveals by a POST with its CSRF token."""
    contact = services.reveal_contact(request.user, visible(request, ticket_id))
    return {**contact, "phone": scoping.display_phone(contact["phone"]), "phone_stored": contact["phone"]}


@router.post("/{ticket_id}/attachments", response={201: dict}, summary="Attach an image")
def attach(request, ticket_id: int, file: File[UploadedFile]):
    attachment = services.add_attachment(request.user, visible(request, ticket_id), file)
    return 201, {"id": attachment.pk, "name": attachment.name, "size": attachment.size}


def _action(request, ticket_id, fn, *args, **kwargs):
    ticket = visible(request, ticket_id)
    try:
        ticket = fn(request.user, ticket, *args, **kwargs)
    except services.NegativeListRefusal as exc:  # says how to confirm in the API's terms
        raise exc.worded_for_api() from None
    return ticket_out(request.user, visible(request, ticket.pk))


@router.post("/{ticket_id}/close-special", response=TicketOut, summary="分类处置 Special-class close")
def close_special(request, ticket_id: int, payload: SpecialIn):
    return _action(request, ticket_id, services.close_special, payload.special_class, payload.note)


@router.post("/{ticket_id}/answer", response=TicketOut, summary="直接答复 Answer directly")
def answer(request, ticket_id: int, payload: TextIn):
    return _action(request, ticket_id, services.answer_directly, payload.text)


@router.post("/{ticket_id}/dispatch", response=TicketOut, summary="派单 Dispatch")
def dispatch(request, ticket_id: int, payload: DispatchIn):
    """Logged on the dispatcher's desk (source `api`), as its own dispatches are."""
    return _action(request, ticket_id, logged.dispatch, payload.lead_unit, payload.co_units, payload.note,
                   payload.category or None, source=SuggestionSource.API, confirm_negative=payload.confirm_negative)


@router.post("/{ticket_id}/sign", response=TicketOut, summary="签收 Sign")
def sign(request, ticket_id: int):
    return _action(request, ticket_id, services.sign)


@router.post("/{ticket_id}/contact", response=TicketOut, summary="联系诉求人 First contact")
def contact(request, ticket_id: int, payload: Note):
    return _action(request, ticket_id, services.contact, payload.note)


@router.post("/{ticket_id}/reply", response=TicketOut, summary="反馈 Reply")
def reply(request, ticket_id: int, payload: ReplyIn):
    return _action(request, ticket_id, services.reply, payload.text, payload.self_resolved)


@router.post("/{ticket_id}/co-reply", response=TicketOut, summary="协办反馈 Co unit reports to the lead")
def co_reply(request, ticket_id: int, payload: TextIn):
    return _action(request, ticket_id, services.co_reply, payload.text)


@router.post("/{ticket_id}/return", response=TicketOut, summary="退单 Return")
def return_ticket(request, ticket_id: int, payload: ReturnIn):
    return _action(request, ticket_id, services.return_ticket, payload.reason, payload.suggested_unit)


@router.post("/{ticket_id}/arbitrate", response=TicketOut, summary="异议审核 Arbitrate a return")
def arbitrate(request, ticket_id: int, payload: ArbitrateIn):
    """Upholding with a `lead_unit` re-dispatches: that dispatch is logged on the desk (source `api`)."""
    return _action(request, ticket_id, logged.arbitrate, payload.uphold, payload.note, payload.lead_unit,
                   payload.co_units, source=SuggestionSource.API, confirm_negative=payload.confirm_negative,
                   category_code=payload.category or None)


@router.post("/{ticket_id}/category", response=TicketOut, summary="更正类别 Correct the category after dispatch")
def correct_category(request, ticket_id: int, payload: CategoryIn):
    """Dispatchers and supervisors; recorded as a `recategorize` event (category_from → category_to, the reason as
    its note), and on each merged duplicate, which follows. The units and deadlines stay; the statistics and the
    training data follow the new category. 409 `negative_list_handling` (field `take_back`) when the negative list
    bars a unit handling the ticket from it: send `"take_back": true` to take the ticket back for dispatch with
    the correction."""
    try:
        return _action(request, ticket_id, services.correct_category, payload.category, payload.reason,
                       take_back=payload.take_back)
    except services.CorrectionBarred as exc:
        raise exc.worded_for_api() from None


@router.post("/{ticket_id}/extension", response=TicketOut, summary="延期申请 Request an extension")
def request_extension(request, ticket_id: int, payload: ExtensionIn):
    return _action(request, ticket_id, services.request_extension, payload.working_days, payload.reason)


@router.post("/{ticket_id}/extension/decision", response=TicketOut, summary="延期审批 Decide an extension")
def decide_extension(request, ticket_id: int, payload: DecisionIn):
    return _action(request, ticket_id, services.decide_extension, payload.approve, payload.note)


@router.post("/{ticket_id}/supervise", response=TicketOut, summary="督办 Supervision notice")
def supervise(request, ticket_id: int, payload: TextIn):
    return _action(request, ticket_id, services.supervise, payload.text)


@router.post("/{ticket_id}/remind", response=TicketOut, summary="催办 Reminder")
def remind(request, ticket_id: int, payload: TextIn):
    return _action(request, ticket_id, services.remind, payload.text)


@router.post("/{ticket_id}/callback", response=TicketOut, summary="回访 Callback")
def callback(request, ticket_id: int, payload: CallbackIn):
    return _action(request, ticket_id, services.record_callback, payload.reached, payload.resolved,
                   payload.satisfied, payload.note, payload.method)


class RateIn(Schema):
    resolved: str = Field(..., description="resolved / partly / unresolved")
    satisfied: str = Field(..., description="satisfied / basically / dissatisfied")
    note: str = ""


@router.post("/{ticket_id}/rate", response=TicketOut, summary="网上评价 The citizen's own answer to the callback")
def rate(request, ticket_id: int, payload: RateIn):
    """The citizen of a replied or answered request: resolved? satisfied? As a callback by the web: closed, or
    handled again when not resolved or not satisfied (409 in another state, 403 for anyone else)."""
    return _action(request, ticket_id, services.rate, payload.resolved, payload.satisfied, payload.note)


@router.post("/{ticket_id}/merge", response=TicketOut, summary="合并 Merge into a parent ticket")
def merge(request, ticket_id: int, payload: MergeIn):
    """409 `merge_doubt` (field `confirm`) when the two may not be one matter, naming both titles and why; send
    `"confirm": true` to merge all the same."""
    try:
        return _action(request, ticket_id, services.merge, payload.parent, confirm=payload.confirm)
    except services.MergeDoubt as exc:
        raise exc.worded_for_api() from None


@router.post("/{ticket_id}/unmerge", response=TicketOut, summary="撤销合并 Split a merged request off its parent")
def unmerge(request, ticket_id: int, payload: ReasonIn):
    """A request merged by mistake waits for dispatch on its own again (a reply of its parent's taken back while
    its citizen was not called back yet); the reason is required."""
    return _action(request, ticket_id, services.unmerge, payload.reason)


@router.post("/{ticket_id}/reopen", response=TicketOut, summary="重启 Reopen")
def reopen(request, ticket_id: int, payload: ReasonIn):
    return _action(request, ticket_id, services.reopen, payload.reason)
