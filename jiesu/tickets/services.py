"""What can be done to a ticket. The only place that changes ticket state.

Every function checks the user's role, unit and the ticket's state (through
`lifecycle`), changes the rows inside one transaction, writes a TicketEvent
and recomputes the deadlines it affects.
"""
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiesu.categories.models import Category, Duty, RequestType, TimeLimitClass
from jiesu.categories.services import told_apart
from jiesu.core import scoping
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.core.memo import TTLCache
from jiesu.core.params import phone_digits, phone_number
from jiesu.tickets import emergencies, lifecycle
from jiesu.tickets.models import (
    Assignment, AssignmentRole, AssignmentState, Attachment, Callback, Channel, CloseReason, ExtensionRequest,
    Notice, NoticeKind, PlaceSource, RequestState, Resolved, ReturnRequest, Satisfied, SpecialClass, State, Ticket, TicketEvent,
    new_query_code,
)
from jiesu.units.models import Unit, UnitKind
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import add_limit

HANDLING_UNIT_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID,
                       UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)


def conf(name):
    return settings.JIESU[name]


# ── events ──────────────────────────────────────────────────────────────────

def record_event(ticket, kind, user=None, from_state="", to_state="", note="", at=None, **payload):
    return TicketEvent.objects.create(
        ticket=ticket, at=at or timezone.now(), actor=user if user and user.is_authenticated else None,
        actor_unit_id=getattr(user, "unit_id", None), kind=kind, from_state=from_state,
        to_state=to_state or from_state, note=note, payload=payload,
    )


def record_events(tickets, kind, user=None, note="", at=None, **payload):
    """The same event on each ticket of the queryset `tickets` (its from and to state: the ticket's state), in one
    INSERT … SELECT: no row travels through Python, so a street of 50,000 open tickets moved to another district
    writes its 50,000 events in about a second. No post_save is sent, so the KPI rollups are not refreshed: only
    for events that change no ticket's contribution. Returns the number written."""
    from django.db import connection

    event, q = TicketEvent._meta, connection.ops.quote_name
    columns = ("ticket_id", "at", "actor_id", "actor_unit_id", "kind", "from_state", "to_state", "note", "payload")
    actor = user if user and user.is_authenticated else None
    select, params = tickets.order_by().values("id", "state").query.sql_with_params()
    values = [connection.ops.adapt_datetimefield_value(at or timezone.now()), actor.pk if actor else None,
              getattr(user, "unit_id", None), kind, note,
              event.get_field("payload").get_db_prep_save(payload, connection)]
    sql = (f"INSERT INTO {q(event.db_table)} ({', '.join(q(c) for c in columns)}) "
           f"SELECT t.id, %s, %s, %s, %s, t.state, t.state, %s, %s FROM ({select}) t")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        return cursor.rowcount


# ── checks ──────────────────────────────────────────────────────────────────

def relation_of(user, ticket):
    """'lead', 'co', 'copy' or None: how the units the user acts for are assigned to the ticket.

    A grid worker acts for every grid they are a member of (scoping.acting_unit_ids), so they
    sign, contact and reply for tickets assigned to any of their grids.
    """
    if user.role not in lifecycle.HANDLERS:
        return None
    acting = scoping.acting_unit_ids(user)
    if not acting:
        return None
    return best_relation(set(ticket.assignments.filter(unit_id__in=acting, active=True).values_list("role", flat=True)))


def best_relation(roles):
    for role in (AssignmentRole.LEAD, AssignmentRole.CO, AssignmentRole.COPY):
        if role in roles:
            return str(role)
    return None


def relations_of(user, tickets):
    """{ticket id: relation_of(user, ticket)} for a page of tickets, read in one query (the ones without are left
    out: None)."""
    acting = scoping.acting_unit_ids(user) if user.role in lifecycle.HANDLERS else ()
    roles = {}
    if acting:
        for ticket_id, role in Assignment.objects.filter(ticket_id__in=[t.pk for t in tickets], unit_id__in=acting,
                                                          active=True).values_list("ticket_id", "role"):
            roles.setdefault(ticket_id, set()).add(role)
    return {pk: best_relation(found) for pk, found in roles.items()}


def effective_role(user):
    return "admin" if user.is_superuser else user.role


def check(action, user, ticket):
    """Raise Forbidden/Conflict unless `user` may take `action` on `ticket` now."""
    if not user or not user.is_authenticated:
        raise Forbidden(_("Log in first."))
    if not scoping.can_view(user, ticket):
        raise Forbidden(_("This ticket is outside your territory."))
    reason = lifecycle.refusal(action, ticket.state, effective_role(user), relation_of(user, ticket))
    if reason == "role":
        raise Forbidden(_("Your role may not do this."))
    if reason == "relation":
        raise Forbidden(_("Only the unit assigned to this ticket may do this."))
    if reason == "state":
        raise Conflict(_("Not possible while the ticket is “%(state)s”.") % {"state": ticket.get_state_display()})


def locked(ticket):
    """Lock the ticket's row for the rest of the transaction and refresh the caller's object."""
    list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk"))
    ticket.refresh_from_db()
    return ticket


def require_text(value, field_name, label, max_length=None):
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(field)s is required.") % {"field": label}, field=field_name)
    if max_length and len(value) > max_length:
        raise DomainError(_("%(field)s is too long (at most %(n)d characters).") % {"field": label, "n": max_length},
                          field=field_name)
    return value


NOTE_MAX = 1000  # a note to the units, the citizen or the file: what a dispatcher, clerk or agent writes by hand


def optional_note(value, field_name="note", max_length=NOTE_MAX):
    """A free note that may be empty, stripped; too long is refused naming the field (a note is shown on every
    page of the ticket and in the unit's work list: a pasted document has no place there)."""
    value = (value or "").strip()
    if len(value) > max_length:
        raise DomainError(_("%(field)s is too long (at most %(n)d characters).") % {"field": _("Note"), "n": max_length},
                          field=field_name)
    return value


# ── deadlines ───────────────────────────────────────────────────────────────

def time_limit_class(ticket):
    if ticket.category_id:
        cached = getattr(ticket.category, "cached_limit_class", None)
        return cached or ticket.category.effective_time_limit_class()
    return TimeLimitClass.objects.filter(code="general").first()


def due(start, limit_class, step):
    if limit_class is None:
        return None
    amount, unit = limit_class.limit(step)
    return add_limit(current_calendar(), timezone.localtime(start), amount, unit)


def set_assignment_deadlines(assignment, limit_class, start):
    assignment.sign_due = due(start, limit_class, "sign")
    assignment.contact_due = due(start, limit_class, "contact")
    assignment.reply_due = due(start, limit_class, "reply")


# ── intake ──────────────────────────────────────────────────────────────────

@dataclass
class IntakeData:
    text: str
    title: str = ""
    channel: str = Channel.PHONE
    request_type: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    coord_system: str = "wgs84"  # wgs84 / gcj02 / bd09, as declared by the client
    citizen_name: str = ""
    citizen_phone: str = ""
    anonymous: bool = False
    confidential: bool = False
    category_code: str = ""
    street_code: str = ""
    attachments: list = field(default_factory=list)  # UploadedFile-like: name, size, content_type, read()
    place_source: str = ""  # set by locate(): how the place was found (Ticket.place_source)
    no_place: object = None  # set by locate() when it found none: why, as the locator's reason parts (wording.word)
    #: An app's or partner system's point outside the city (a stale fix, a caller elsewhere reporting a matter
    #: here) is left out, kept in the intake event, rather than refused; the call-taker's form refuses it (a typo).
    drop_point_outside: bool = False
    point_outside: dict | None = None  # set by locate(): the point as sent, when it was left out
    place_decided: dict | None = None  # set by locate() when a point and an address were both given: by, reason


ADDRESS_MAX = Ticket._meta.get_field("address").max_length


def validate_intake(data: IntakeData):
    """Check everything before anything is written; returns (category, place units)."""
    text = require_text(data.text, "text", _("Description"), 4000)
    title = (data.title or "").strip() or text.splitlines()[0][:40]
    if len(title) > 120:
        raise DomainError(_("Title is too long (at most %(n)d characters).") % {"n": 120}, field="title")
    if data.channel not in Channel.values:
        raise DomainError(_("Unknown channel “%(v)s”.") % {"v": data.channel}, field="channel")
    if len((data.address or "").strip()) > ADDRESS_MAX:  # refused, not cut: the rest of it would be lost unsaid
        raise DomainError(_("%(field)s is too long (at most %(n)d characters).") % {"field": _("Address"),
                                                                                    "n": ADDRESS_MAX}, field="address")
    category = None
    if data.category_code:
        category = category_by_code(data.category_code)
        if category is None:
            raise DomainError(_("Unknown category “%(v)s”.") % {"v": data.category_code}, field="category")
    request_type = data.request_type or (category.request_type if category else RequestType.COMPLAINT)
    if request_type not in RequestType.values:
        raise DomainError(_("Unknown request type “%(v)s”.") % {"v": request_type}, field="request_type")
    place = locate(data)
    if not data.anonymous:
        if data.citizen_phone and phone_number(data.citizen_phone) is None:
            raise DomainError(_("The phone number is not valid: give one number, such as 13912345678 or 010-65123456 ext. 8021."), field="citizen_phone")
    validate_attachments(data.attachments)
    return title, text, request_type, category, place


def locate(data: IntakeData):
    """The ticket's place: coordinates (point in polygon; with an address, weighed as the desk weighs them), else a
    chosen unit, else the address (gazetteer)."""
    from jiesu.dispatch.locator import LocateError, check_coordinates

    try:  # as the dispatch API checks them: the datum always, both or neither, finite numbers
        lon, lat = check_coordinates(data.lon, data.lat, data.coord_system)
    except LocateError as exc:
        raise DomainError(str(exc), field=exc.field) from None
    if lon is not None:
        from jiesu.dispatch.locator import locate_coordinates

        found = locate_coordinates(data.lon, data.lat, data.coord_system)  # the datum declared, as the reason says
        if found.district is not None:
            data.lon, data.lat = lon, lat
            place = placed_by_point(data, found)
            note_chosen_not_taken(data, place, found)
            return place
        if not data.drop_point_outside:
            from jiesu.dispatch.coords import sign_advice

            advice = sign_advice() if found.negative_field else ""
            raise DomainError(" ".join(filter(None, (_("The coordinates lie outside the city."), advice))),
                              field=found.negative_field or "lon")
        data.point_outside = {"lon": data.lon, "lat": data.lat, "coord_system": data.coord_system,
                              "reason": found.reason_parts}
        data.lon = data.lat = None
    if data.street_code:
        place = chosen_place(data.street_code)
        data.place_source = PlaceSource.CHOSEN
        return place
    if (data.address or "").strip():
        from jiesu.dispatch.locator import locate_address

        found = locate_address(data.address)
        if found.unit is not None:
            data.place_source = PlaceSource.ADDRESS
            return found.place()
        data.no_place = found.reason_parts
    elif data.point_outside:
        data.no_place = data.point_outside["reason"]
    else:
        from jiesu.dispatch.locator import NOTHING_GIVEN

        data.no_place = NOTHING_GIVEN
    return {}


def placed_by_point(data: IntakeData, by_point):
    """The place of a point inside the city; with an address too, the one the desk's rule takes
    (locator.weigh_address: the point, unless it lies in a schematic boundary or on a street's line and the
    address is at least as sure), which one decided and why kept for the intake event (data.place_decided)."""
    if not (data.address or "").strip():
        data.place_source = PlaceSource.COORDINATES
        return by_point.place()
    from jiesu.dispatch.locator import weigh_address

    found = weigh_address(by_point, data.address)
    data.place_source = PlaceSource.ADDRESS if found.source == "address" else PlaceSource.COORDINATES
    data.place_decided = {"by": str(data.place_source), "reason": found.reason_parts}
    return found.place()


def note_chosen_not_taken(data: IntakeData, place, by_point):
    """A place chosen at intake (`street_code`) in another unit than the point's `place`: the point decides, as
    designed, and the intake event keeps the place chosen and not taken (data.place_decided["chosen_not_taken"]),
    so that the ticket's history and the API's answer say it. A chosen district or street the point only makes
    finer is no conflict; an unknown code is refused as it is without a point."""
    if not data.street_code:
        return
    chosen = chosen_place(data.street_code)
    if not any(place.get(level) not in (None, unit) for level, unit in chosen.items()):
        return
    finest = next(chosen[level] for level in ("grid", "community", "street", "district") if level in chosen)
    data.place_decided = {**(data.place_decided or {"by": str(data.place_source), "reason": by_point.reason_parts}),
                          "chosen_not_taken": finest.name}


def chosen_place(code):
    """{district, street, community, grid} of the place chosen at intake by its code; refused on `street` when no
    territorial unit has it."""
    place = REFERENCE.get_or_load(("place", code), lambda: place_of_code(code))
    if place is None:
        raise DomainError(_("Unknown place “%(v)s”.") % {"v": code}, field="street")
    closed = next((u for u in place.values() if not u.active), None)
    if closed is not None:  # merged or split away (docs/units.md): its territory is another unit's now
        raise DomainError(_("Place: %(unit)s (%(code)s) is closed; choose the unit that took over its territory.")
                          % {"unit": closed.name, "code": closed.code}, field="street")
    return place


PLACE_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)
REFERENCE = TTLCache(ttl=60)


def _reference_changed(**kwargs):
    REFERENCE.clear()


for _model in (Category, TimeLimitClass, Unit):
    post_save.connect(_reference_changed, sender=_model, dispatch_uid=f"reference-{_model.__name__}")
    post_delete.connect(_reference_changed, sender=_model, dispatch_uid=f"reference-del-{_model.__name__}")


def place_of_code(code):
    """{district, street, community, grid} for a territorial unit's code, or None."""
    unit = Unit.objects.filter(code=code, kind__in=PLACE_KINDS).select_related("parent", "parent__parent").first()
    return place_of_unit(unit) if unit else None


def place_of_unit(unit):
    chain = {}
    node = unit
    while node is not None:
        if node.kind in PLACE_KINDS:
            chain[str(node.kind)] = node
        node = node.parent
    return chain


def category_by_code(code):
    """An active category with its time-limit class resolved (cached: read on every intake)."""
    def load():
        category = (Category.objects.filter(code=code, active=True)
                    .select_related("time_limit_class", "parent__time_limit_class",
                                    "parent__parent__time_limit_class").first())
        if category is not None:
            category.cached_limit_class = category.effective_time_limit_class()
        return category

    return REFERENCE.get_or_load(("category", code), load)


def namesake_categories():
    """{name: [id, …]} for the names more than one active category bears (the catalogue repeats 占道经营 across its
    two trees, 03.01.01 and 90.09.09006, routed to other units). One query."""
    from django.db.models import Count

    shared = (Category.objects.filter(active=True).values("name").annotate(n=Count("id")).filter(n__gt=1)
              .values("name"))
    found = {}
    for pk, name in Category.objects.filter(active=True, name__in=shared).values_list("pk", "name"):
        found.setdefault(name, []).append(pk)
    return found


def category_told_apart(category):
    """A category as a picker or a form shows it chosen: its name, with its parents' path where another active
    category bears it (categories.services.told_apart, as the desk's panel): 占道经营（城市管理部件与事件 / 街面秩序类）.
    The namesakes are read once a minute (REFERENCE); the path, for a namesake only, through its parents."""
    namesakes = REFERENCE.get_or_load("namesake categories", namesake_categories)
    return told_apart(category, [(pk, category.name) for pk in namesakes.get(category.name, ())])


IMAGE_SIGNATURES = {"image/jpeg": b"\xff\xd8", "image/png": b"\x89PNG", "image/webp": b"RIFF"}


def looks_like(upload, content_type):
    """Whether the file's first bytes are those of the image type it declares (a renamed .exe is not a photo)."""
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if content_type == "image/webp" and head[8:12] != b"WEBP":
        return False
    signature = IMAGE_SIGNATURES.get(content_type)
    return signature is not None and head.startswith(signature)


def validate_attachments(files, already=0):
    """Types, sizes and count (`already`: attachments the ticket has) of uploaded photos; nothing is stored."""
    if already + len(files) > conf("ATTACHMENTS_PER_TICKET"):
        raise DomainError(_("At most %(n)d attachments.") % {"n": conf("ATTACHMENTS_PER_TICKET")}, field="attachments")
    for upload in files:
        if upload.content_type not in conf("ATTACHMENT_TYPES") or not looks_like(upload, upload.content_type):
            raise DomainError(_("“%(name)s”: only JPEG, PNG or WebP images are accepted.") % {"name": upload.name},
                              field="attachments")
        if upload.size > conf("ATTACHMENT_MAX_BYTES"):
            raise DomainError(_("“%(name)s” is too large (at most %(mb)d MB).") % {
                "name": upload.name, "mb": conf("ATTACHMENT_MAX_BYTES") // (1024 * 1024)}, field="attachments")


#: An idempotency key's length at most (the Idempotency-Key header, a grid report's idempotency_key): a longer one
#: was stored on SQLite and a 500 on PostgreSQL (Ticket.idempotency_key holds 80 with the user's id before it).
IDEMPOTENCY_KEY_LENGTH = 64


#: The channels a citizen's own request comes by (the others are the hotline's, a grid worker's, a sensor's, an import's).
CITIZEN_CHANNELS = (Channel.WEB, Channel.APP, Channel.API)


def create_ticket(user, data: IntakeData, idempotency_key=None, at=None):
    """受理: record a citizen's request. Returns (ticket, created).

    With an idempotency key, a retried request returns the ticket made the
    first time instead of making a second one.
    """
    if not user or not user.is_authenticated:
        raise Forbidden(_("Log in first."))
    if user.role not in ("call_taker", "citizen", "grid_worker", "admin") and not user.is_superuser:
        raise Forbidden(_("Your role may not record requests."))
    if user.role == "citizen" and data.channel not in CITIZEN_CHANNELS:  # phone, patrol, sensor, import: not theirs
        raise DomainError(_("A citizen's request comes by the web, the app or the API, not “%(v)s”.") % {
            "v": Channel(data.channel).label if data.channel in Channel.values else data.channel}, field="channel")
    if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_LENGTH:  # stored after the user's id, 80 in all
        raise DomainError(_("The idempotency key is too long: at most %(n)d characters.") % {
            "n": IDEMPOTENCY_KEY_LENGTH}, field="idempotency_key")
    key = f"{user.pk}:{idempotency_key}" if idempotency_key else None
    title, text, request_type, category, place = validate_intake(data)
    now = at or timezone.now()
    ticket = Ticket(
        channel=data.channel, request_type=request_type, title=title, text=text,
        address=(data.address or "").strip(), lon=data.lon, lat=data.lat,
        citizen_name="" if data.anonymous else data.citizen_name.strip()[:60],
        citizen_phone="" if data.anonymous else phone_digits(data.citizen_phone)[:30],
        anonymous=data.anonymous, confidential=data.confidential, category=category,
        district=place.get("district"), street=place.get("street"), community=place.get("community"),
        grid=place.get("grid"), created_by=user, created_at=now, idempotency_key=key,
        citizen_user=user if user.role == "citizen" else None, place_source=data.place_source,
    )
    ticket.dispatch_due = due(now, time_limit_class(ticket), "dispatch")
    for attempt in range(QUERY_CODE_TRIES):
        try:
            with transaction.atomic():
                ticket.save()
                for upload in data.attachments:
                    store_attachment(ticket, upload, user)
                record_event(ticket, "intake", user, to_state=State.NEW, at=now, channel=data.channel,
                             category=category.code if category else None,
                             **({"no_place": data.no_place} if data.no_place else {}),
                             **({"point_outside": data.point_outside} if data.point_outside else {}),
                             **({"place": data.place_decided} if data.place_decided else {}))
                emergencies.notify_dispatchers(ticket)  # not by phone: the dispatchers on duty call back
            return ticket, True
        except IntegrityError:
            if key:
                existing = Ticket.objects.filter(idempotency_key=key).first()
                if existing:
                    return existing, False
            if attempt + 1 == QUERY_CODE_TRIES or not Ticket.objects.filter(query_code=ticket.query_code).exists():
                raise
            ticket.pk, ticket.query_code = None, new_query_code()  # drawn a code already taken: draw again


#: Tries at a query code not taken (each a 48-bit draw: a second one is already rare).
QUERY_CODE_TRIES = 3


@transaction.atomic
def add_attachment(user, ticket, upload):
    """A photo added to an open ticket by the hotline, the citizen who filed it or an assigned unit."""
    ticket = locked(ticket)
    check("attach", user, ticket)
    validate_attachments([upload], already=ticket.attachments.count())
    attachment = store_attachment(ticket, upload, user)
    record_event(ticket, "attachment", user, ticket.state, ticket.state, name=attachment.name, size=attachment.size)
    return attachment


def store_attachment(ticket, upload, user):
    attachment = Attachment(ticket=ticket, name=upload.name[:120], content_type=upload.content_type,
                            size=upload.size, uploaded_by=user)
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    return attachment


# ── hotline decisions ───────────────────────────────────────────────────────

#: the special classes decided on the caller's own facts (a repeat of theirs, their emergency transferred, their
#: dispute for a court or the market): they do not close another caller's request merged into the ticket
PERSONAL_CLASSES = (SpecialClass.REPEAT, SpecialClass.EMERGENCY, SpecialClass.STATUTORY, SpecialClass.MARKET)


@transaction.atomic
def close_special(user, ticket, special_class, note=""):
    """分类处置 (Art.11): close without dispatch, with the class as reason. The merged requests follow, but for a
    class personal to the caller (PERSONAL_CLASSES) only those of the same caller: another caller's request is split
    off to the dispatch queue, the event naming why (audit 11, finding 16)."""
    note = optional_note(note)
    ticket = locked(ticket)
    check("close_special", user, ticket)
    if special_class not in SpecialClass.values:
        raise DomainError(_("Choose a special class."), field="special_class")
    before, now = ticket.state, timezone.now()
    ticket.state, ticket.special_class, ticket.close_reason = State.CLOSED, special_class, CloseReason.SPECIAL
    ticket.closed_at = now
    ticket.save()
    record_event(ticket, "close_special", user, before, ticket.state, note, special_class=special_class)
    personal = special_class in PERSONAL_CLASSES
    same_caller = set(same_caller_children(ticket).values_list("pk", flat=True))
    for child in ticket.merged_children.filter(state=State.MERGED).select_for_update():  # the same matter
        if personal and child.pk not in same_caller:
            _split_off(user, child, ticket, now, "", why="personal_close", special_class=special_class)
            continue
        child.state, child.special_class, child.close_reason, child.closed_at = (
            State.CLOSED, special_class, CloseReason.SPECIAL, now)
        child.save()
        record_event(child, "close_special", user, State.MERGED, State.CLOSED, note, special_class=special_class,
                     via_parent=ticket.pk)
    if special_class == SpecialClass.REPEAT:
        _file_repeat(user, ticket)
    return ticket


def _file_repeat(user, ticket):
    """A call closed as a repeat without new facts reaches the ticket handling the matter (the one its repeat flag
    or the call-taker's choice names, followed through merges and earlier repeats: duplicates.repeated_ticket)."""
    from jiesu.dispatch.duplicates import repeated_ticket

    handled = repeated_ticket(ticket)
    if handled is not None and handled.pk != ticket.pk:
        record_repeat_call(user, handled, ticket)


@transaction.atomic
def answer_directly(user, ticket, text):
    """直接答复: a consultation answered from the knowledge base."""
    ticket = locked(ticket)
    check("answer", user, ticket)
    text = require_text(text, "reply_text", _("Answer"), 4000)
    before, now = ticket.state, timezone.now()
    ticket.state, ticket.reply_text, ticket.replied_at = State.ANSWERED, text, now
    ticket.save()
    record_event(ticket, "answer", user, before, ticket.state, text)
    for child in ticket.merged_children.filter(state=State.MERGED).select_for_update():  # each is called back
        child.state, child.reply_text, child.replied_at = State.ANSWERED, text, now
        child.save()
        record_event(child, "answer", user, State.MERGED, State.ANSWERED, text, via_parent=ticket.pk)
        _close_without_callback(user, child, now)
    _close_without_callback(user, ticket, now)
    return ticket


def _handling_unit(unit_id, field_name):
    unit = Unit.objects.filter(pk=unit_id, active=True).first() if unit_id else None
    if unit is None or unit.kind not in HANDLING_UNIT_KINDS:
        if field_name == "co_units" and unit_id:
            raise DomainError(_("A co-handling unit chosen is not an active handling unit: choose it again."),
                              field=field_name)
        raise DomainError(_("Choose a handling unit."), field=field_name)
    return unit


# ── the negative list (负面清单) ─────────────────────────────────────────────

def category_chain(category):
    """[category, parent, …, root], read afresh in one query for the usual three levels."""
    return Category.objects.select_related("parent__parent__parent").get(pk=category.pk).lineage()


def barred_units(category, place, units, passed=()):
    """{unit id: the negative-list duty (负面清单) that bars it from tickets of `category` at `place`} for those of
    `units` that one bars. `place`: {"district", "street", "community", "grid"} → unit or None, as a ticket holds
    them (the importer: an open row's place and unit). `passed`: ids of entries not to read (overridden already).

    The router decides which entries apply (RoutingTable.barring: the category and its ancestors, citywide or a
    territory holding the place, the unit or its kind), on a table of just those entries read now: a dispatch
    never passes on a catalogue minutes old. Two queries, a third when an entry has a territory.
    """
    from jiesu.dispatch.router import RoutingTable

    categories = category_chain(category)
    negatives = {d.pk: d for d in Duty.objects.filter(negative=True, category_id__in=[c.pk for c in categories])
                 .exclude(pk__in=passed).select_related("category")}
    if not negatives:
        return {}
    territories = Unit.objects.defer("geometry").in_bulk(
        {d.territory_id for d in negatives.values() if d.territory_id})
    table = RoutingTable(territories, {c.pk: c for c in categories}, negatives.values())
    found = {unit.pk: table.barring(category.pk, place, unit) for unit in units}
    return {unit_id: negatives[duty.id] for unit_id, duty in found.items() if duty is not None}


def negative_entry_words(duty, unit):
    """「负面清单 #52：「不动产登记与房产证」不得派给 东华门街道（所在街道）」"""
    from jiesu.categories.services import target_label

    names = {"id": duty.pk, "category": duty.category.name, "unit": unit.name}
    if duty.unit_id:
        return _("Negative list #%(id)s: “%(category)s” must not go to %(unit)s") % names
    return _("Negative list #%(id)s: “%(category)s” must not go to %(unit)s (%(target)s)") % {
        **names, "target": target_label(duty.unit_kind)}


def negative_entries_words(barred):
    """The entries of `barred` ([(field, unit, duty)]) in words, one after the other."""
    return pgettext("between negative-list entries", "; ").join(
        negative_entry_words(duty, unit) for _field, unit, duty in barred)


class NegativeListRefusal(DomainError):
    """A dispatch to a unit the negative list bars, not confirmed. `barred`: [(field, unit, duty)], the lead
    unit's first; the message names each entry and how to confirm, with the reason an override needs, in one go:
    on a page, the box and `reason_field` (the label of the form's note), or, worded_for_api, in the API."""

    def __init__(self, barred, api=False, reason_field=""):
        entries = negative_entries_words(barred)
        hint = (_('Check it, then send "confirm_negative": true and the reason in "note" to dispatch all the same.')
                if api else _("Check it, then tick “Checked: dispatch despite the negative list” and write the reason "
                              "in “%(field)s” to dispatch all the same.") % {"field": reason_field or _("Note")})
        super().__init__(_("%(entries)s. %(hint)s") % {"entries": entries, "hint": hint}, field=barred[0][0],
                         code="negative_list")
        self.barred = barred

    def worded_for_api(self):
        return NegativeListRefusal(self.barred, api=True)


def negative_entries(ticket, lead, co_units, passed=()):
    """[(field, unit, duty)] for the lead and co units the negative list bars for the ticket's category and place,
    the lead unit's first ([] when none); `passed` as barred_units'."""
    if ticket.category_id is None:
        return []
    place = {level: getattr(ticket, level) for level in ("district", "street", "community", "grid")}
    chosen = [("lead_unit", lead)] + [("co_units", unit) for unit in co_units]
    entries = barred_units(ticket.category, place, [unit for _field, unit in chosen], passed)
    return [(field_name, unit, entries[unit.pk]) for field_name, unit in chosen if unit.pk in entries]


def negative_entry_facts(barred):
    """The entries of `barred` as an event stores them: [{"duty": 52, "unit": "东华门街道", "unit_id": 7, "role":
    "lead"}]: the entry's id, the unit's name for the words and its id for same_entry."""
    return [{"duty": duty.pk, "unit": unit.name, "unit_id": unit.pk, "role": "lead" if field_name == "lead_unit"
             else "co"} for field_name, unit, duty in barred]


#: The fewest characters (spaces aside) an override's reason has: 「1」 or 「同意」 tells the supervisor nothing.
OVERRIDE_REASON_MIN = 4


def says_why(reason):
    """Whether an override's reason can say why: at least OVERRIDE_REASON_MIN characters besides spaces, two of
    them letters (a 汉字 is one), not one character repeated — 「1234」, 「……」 and 「好好好好」 say nothing."""
    text = "".join((reason or "").split())
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    return len(text) >= OVERRIDE_REASON_MIN and len(letters) >= 2 and len(set(text)) > 1


def require_reason(value, field_name="reason", label=None):
    """A reason the hotline reads to decide (退单's arbitration, 延期's approval): required, at most NOTE_MAX
    characters, and one that says why (says_why): 「1」 or 「。。。」 sent the ticket to the arbitration queue all the
    same, the arbitrator left to guess."""
    label = label or _("Reason")
    value = require_text(value, field_name, label, NOTE_MAX)
    if not says_why(value):
        raise DomainError(_("“%(field)s” must say why: at least %(n)d characters, two of them letters or Chinese "
                            "characters, not only digits, punctuation or one character repeated.") % {
            "field": label, "n": OVERRIDE_REASON_MIN}, field=field_name)
    return value


class NegativeOverrideUnexplained(DomainError):
    """A confirmed dispatch past the negative list without a reason that says why: the supervisor who audits the
    override later reads it. `barred` as NegativeListRefusal's, for the box shown again; the message names the
    field as the page labels it (`reason_field`) or, `api`, as the API does (note), and, for a reason given that
    says nothing (says_why), what a reason needs."""

    def __init__(self, barred, api=False, reason_field="", given=False):
        if given and api:
            message = _('A dispatch despite the negative list needs a reason that says why the unit must handle it: '
                        'send it in "note", at least %(n)d characters, not only digits, punctuation or one character '
                        'repeated.') % {"n": OVERRIDE_REASON_MIN}
        elif given:
            message = _("A dispatch despite the negative list needs a reason that says why the unit must handle it: "
                        "write it in “%(field)s”, at least %(n)d characters, not only digits, punctuation or one "
                        "character repeated.") % {"field": reason_field or _("Note"), "n": OVERRIDE_REASON_MIN}
        elif api:
            message = _('A dispatch despite the negative list needs a reason: send it in "note".')
        else:
            message = _("A dispatch despite the negative list needs a reason: write it in “%(field)s”.") % {
                "field": reason_field or _("Note")}
        super().__init__(message, field="note", code="negative_reason")
        self.barred = barred


def check_negative_list(ticket, lead, co_units, confirmed=False, reason="", reason_field=""):
    """Refuse (NegativeListRefusal) a lead or co unit the negative list bars for the ticket's category and place,
    unless the dispatcher confirmed it: `confirmed` is True for every unit (the API) or the ids of the units the
    dispatcher was shown refused (a page's box), so that a box ticked for one unit never passes another. An
    override needs a `reason` (NegativeOverrideUnexplained), asked for in `reason_field` (the page's label of the
    note). Returns the overridden entries for the event, each with the reason ([] when none)."""
    barred = negative_entries(ticket, lead, co_units)
    unconfirmed = barred if not confirmed else [] if confirmed is True else [
        entry for entry in barred if entry[1].pk not in set(confirmed)]
    if unconfirmed:
        raise NegativeListRefusal(unconfirmed, reason_field=reason_field)
    if barred and not says_why(reason):
        raise NegativeOverrideUnexplained(barred, api=confirmed is True, reason_field=reason_field,
                                          given=bool(reason))
    return [{**facts, "reason": reason} for facts in negative_entry_facts(barred)]


def negative_override_words(overridden):
    """A dispatch event's negative_override in words: 「越过负面清单派单：#52 东华门街道（理由：…）」."""
    entries, reason = override_parts(overridden)
    if reason:
        return _("Dispatched despite the negative list: %(entries)s (reason: %(reason)s)") % {
            "entries": entries, "reason": reason}
    return _("Dispatched despite the negative list: %(entries)s") % {"entries": entries}


def rehandle_override_words(kept):
    """A re-handling passed under the override recorded at dispatch (a callback event's negative_override_kept):
    「按此前越过负面清单派单的决定重办：#52 东华门街道（理由：…）」."""
    entries, reason = override_parts(kept)
    if reason:
        return _("Re-handled under the earlier dispatch despite the negative list: %(entries)s (reason: "
                 "%(reason)s)") % {"entries": entries, "reason": reason}
    return _("Re-handled under the earlier dispatch despite the negative list: %(entries)s") % {"entries": entries}


def override_parts(overridden):
    """(「#52 东华门街道, #53 …」, the reason or "") of overrides as events store them."""
    entries = pgettext("between names in a list", ", ").join(f"#{o['duty']} {o['unit']}" for o in overridden)
    return entries, next((o["reason"] for o in overridden if o.get("reason")), "")


def negative_handover_words(barred):
    """Why the grid duty list's unit was not given a patrol ticket: 「负面清单 #52：…不得派给 东华门街道（所在街道），
    转热线派单」."""
    return _("%(entries)s: left to the hotline's dispatch.") % {"entries": negative_entries_words(barred)}


def rehandle_barred_words(facts, category):
    """Why a re-handling went to the dispatch queue: 「负面清单 #713 已禁止东华门街道接收「路灯不亮」，请重新派单」."""
    entries = pgettext("between negative-list entries", "; ").join(
        _("Negative list #%(id)s now bars %(unit)s from “%(category)s”") % {
            "id": f["duty"], "unit": f["unit"], "category": category} for f in facts)
    return _("%(entries)s: dispatch it again") % {"entries": entries}


def rehandles_returned(tickets):
    """{ticket id: 「负面清单 #713 已禁止东华门街道接收「路灯不亮」，请重新派单」} for those of `tickets` (waiting in the
    dispatch queue) that a re-handling the negative list barred sent back: the queue's card marks them. One query:
    each ticket's latest event that made it 新建."""
    latest = {}
    for event in (TicketEvent.objects.filter(ticket__in=[t.pk for t in tickets], to_state=State.NEW)
                  .exclude(from_state=State.NEW).only("ticket_id", "kind", "payload").order_by("at", "id")):
        latest[event.ticket_id] = event
    return {pk: rehandle_barred_words(e.payload["negative_list"], e.payload.get("category", ""))
            for pk, e in latest.items()
            if e.kind == "callback" and e.payload.get("outcome") == "rehandle_barred" and e.payload.get("negative_list")}


# ── dispatch ────────────────────────────────────────────────────────────────

@transaction.atomic
def dispatch(user, ticket, lead_unit_id, co_unit_ids=(), note="", category_code=None, emergency="", payload=None,
             *, confirm_negative=False):
    """派单: a lead unit plus co units; a dispatch to a street copies its district. `emergency`: the line
    (119…) the text reads as, when the dispatcher dispatches it all the same: the event says so. `payload`: more
    facts for the event (an auto-dispatch's "auto"), written with it. A unit the negative list bars is refused
    unless `confirm_negative`: the event then names the entries overridden."""
    note = optional_note(note)
    ticket = locked(ticket)
    check("dispatch", user, ticket)
    if category_code:
        category = Category.objects.filter(code=category_code, active=True).first()
        if category is None:
            raise DomainError(_("Unknown category “%(v)s”.") % {"v": category_code}, field="category")
        ticket.category = category
    if ticket.category_id is None:
        raise DomainError(_("Choose a category before dispatching."), field="category")
    lead = _handling_unit(lead_unit_id, "lead_unit")
    co_units = [_handling_unit(uid, "co_units") for uid in dict.fromkeys(co_unit_ids) if uid != lead.pk]
    overridden = check_negative_list(ticket, lead, co_units, confirm_negative, note,
                                     reason_field=_("Note to the units"))
    _assign(user, ticket, lead, co_units)
    before = ticket.state
    ticket.state = State.DISPATCHED
    ticket.save()
    record_event(ticket, "dispatch", user, before, ticket.state, note, lead=lead.name, lead_id=lead.pk,
                 co=[u.name for u in co_units], category=ticket.category.code,
                 **({"emergency_wording": emergency} if emergency else {}),
                 **({"negative_override": overridden} if overridden else {}), **(payload or {}))
    return ticket


def _assign(user, ticket, lead, co_units, now=None):
    """(Re)create the active assignments: lead, co units, the street's district as copy."""
    now = now or timezone.now()
    ticket.assignments.filter(active=True).update(active=False, state=AssignmentState.WITHDRAWN)
    limits = time_limit_class(ticket)
    rows = [(lead, AssignmentRole.LEAD)] + [(u, AssignmentRole.CO) for u in co_units]
    if lead.kind == UnitKind.STREET and lead.district_id and lead.district_id not in [u.pk for u in co_units]:
        rows.append((lead.district, AssignmentRole.COPY))
    for unit, role in rows:
        assignment = Assignment(ticket=ticket, unit=unit, role=role, dispatched_at=now, dispatched_by=user,
                                round=ticket.rehandle_round)
        set_assignment_deadlines(assignment, limits, now)
        assignment.save()
    ticket.lead_unit, ticket.dispatched_at = lead, now
    ticket.reply_due = due(now, limits, "reply")
    ticket.warning_level = 0


# ── handling unit ───────────────────────────────────────────────────────────

def _my_assignment(user, ticket, role=AssignmentRole.LEAD):
    """The active assignment (of `role`) of a unit the user acts for; their own unit's first."""
    mine = sorted(ticket.assignments.select_for_update().filter(
        unit_id__in=scoping.acting_unit_ids(user), active=True, role=role), key=lambda a: a.unit_id != user.unit_id)
    if not mine:
        raise Forbidden(_("Only the unit assigned to this ticket may do this."))
    return mine[0]


@transaction.atomic
def sign(user, ticket):
    """签收 by the lead unit (a co unit's signature is `co_sign`)."""
    ticket = locked(ticket)
    if relation_of(user, ticket) == "co":
        check("co_sign", user, ticket)
        assignment = _my_assignment(user, ticket, AssignmentRole.CO)
        if assignment.signed_at:
            raise Conflict(_("Already signed."))
        assignment.state, assignment.signed_at = AssignmentState.SIGNED, timezone.now()
        assignment.save()
        record_event(ticket, "co_sign", user, ticket.state, ticket.state)
        return ticket
    check("sign", user, ticket)
    assignment = _my_assignment(user, ticket)
    now = timezone.now()
    assignment.state, assignment.signed_at = AssignmentState.SIGNED, now
    assignment.save()
    before, ticket.state = ticket.state, State.SIGNED
    ticket.save()
    record_event(ticket, "sign", user, before, ticket.state, late=bool(assignment.sign_due and now > assignment.sign_due))
    return ticket


@transaction.atomic
def contact(user, ticket, note=""):
    """联系诉求人: first contact with the citizen."""
    note = optional_note(note)
    ticket = locked(ticket)
    check("contact", user, ticket)
    if ticket.anonymous and not (note or "").strip():
        note = _("Anonymous request: no contact possible.")
    assignment = _my_assignment(user, ticket)
    now = timezone.now()
    assignment.state, assignment.contacted_at = AssignmentState.CONTACTED, now
    assignment.save()
    before, ticket.state = ticket.state, State.CONTACTED
    ticket.save()
    record_event(ticket, "contact", user, before, ticket.state, note,
                 late=bool(assignment.contact_due and now > assignment.contact_due))
    return ticket


@transaction.atomic
def reply(user, ticket, text, self_resolved=None):
    """反馈: the lead unit's reply; merged duplicates get the same reply."""
    ticket = locked(ticket)
    check("reply", user, ticket)
    text = require_text(text, "reply_text", _("Reply"), 4000)
    if self_resolved is None:
        raise DomainError(_("Say whether the request was resolved."), field="self_resolved")
    now = timezone.now()
    assignment = _my_assignment(user, ticket)
    assignment.state, assignment.replied_at, assignment.reply_text = AssignmentState.REPLIED, now, text
    assignment.save()
    before = ticket.state
    ticket.state, ticket.reply_text, ticket.replied_at, ticket.self_resolved = State.REPLIED, text, now, self_resolved
    ticket.warning_level = 0
    ticket.save()
    record_event(ticket, "reply", user, before, ticket.state, text, self_resolved=self_resolved,
                 late=bool(ticket.reply_due and now > ticket.reply_due))
    for child in ticket.merged_children.filter(state=State.MERGED).select_for_update():
        child.reply_text, child.replied_at, child.self_resolved = text, now, self_resolved
        child.state = State.REPLIED
        child.save()
        record_event(child, "reply", user, State.MERGED, State.REPLIED, text, via_parent=ticket.pk)
        _close_without_callback(user, child, now)
    _close_without_callback(user, ticket, now)
    return ticket


def _close_without_callback(user, ticket, now):
    """An anonymous request, replied or answered, is closed at once: nobody can be called back
    (lifecycle.awaits_callback), so it never waits in the callback queue nor counts as unreached."""
    if lifecycle.awaits_callback(ticket.anonymous):
        return
    before = ticket.state
    _close(ticket, CloseReason.ANONYMOUS, now)
    ticket.save()
    record_event(ticket, "close_anonymous", user, before, ticket.state)


@transaction.atomic
def co_reply(user, ticket, text):
    """A co unit reports its part to the lead unit (首接负责)."""
    ticket = locked(ticket)
    check("co_reply", user, ticket)
    text = require_text(text, "reply_text", _("Reply"), 4000)
    assignment = _my_assignment(user, ticket, AssignmentRole.CO)
    now, facts = timezone.now(), {}
    if not assignment.signed_at:  # a report takes the part on: without it the sign countdown ran on beside it
        assignment.signed_at, facts["signed"] = now, True
        if assignment.sign_due and now > assignment.sign_due:
            facts["sign_late"] = True
    assignment.state, assignment.replied_at, assignment.reply_text = AssignmentState.REPLIED, now, text
    assignment.save()
    record_event(ticket, "co_reply", user, ticket.state, ticket.state, text, **facts)
    return ticket


#: Returns of one unit the hotline may reject on a ticket; then the unit handles it (no third 退单 of the same ticket)
RETURNS_REJECTED_MAX = 2


def return_refusal(unit_id, returns):
    """Why the unit `unit_id` may not return the ticket again (its returns among `returns`, the ticket's
    ReturnRequests, rejected RETURNS_REJECTED_MAX times), or ""."""
    if sum(1 for r in returns if r.unit_id == unit_id and r.state == RequestState.REJECTED) < RETURNS_REJECTED_MAX:
        return ""
    return _("Your unit's return of this ticket was rejected %(n)s times: it cannot be returned again. Sign for it, "
             "handle it and reply; if other units must take part, blow the whistle or ask for an extension.") % {
        "n": RETURNS_REJECTED_MAX}


@transaction.atomic
def return_ticket(user, ticket, reason, suggested_unit_id=None):
    """退单: the lead unit says the ticket is not theirs; the hotline arbitrates. A unit whose returns of the ticket
    the hotline rejected RETURNS_REJECTED_MAX times handles it: the ticket no longer bounces between the two."""
    ticket = locked(ticket)
    check("return", user, ticket)
    assignment = _my_assignment(user, ticket)
    if refused := return_refusal(assignment.unit_id, ticket.returns.filter(unit_id=assignment.unit_id)):
        raise Conflict(refused)
    reason = require_reason(reason)
    # a unit suggested must be one (an id of no unit was dropped silently, the return recorded without it)
    suggested = _handling_unit(suggested_unit_id, "suggested_unit") if suggested_unit_id else None
    ReturnRequest.objects.create(ticket=ticket, assignment=assignment, unit=assignment.unit, reason=reason,
                                 suggested_unit=suggested, created_at=timezone.now(), created_by=user)
    before, ticket.state = ticket.state, State.RETURNED
    ticket.return_count += 1
    ticket.save()
    record_event(ticket, "return", user, before, ticket.state, reason,
                 suggested_unit=suggested.name if suggested else None, previous_state=before)
    return ticket


@transaction.atomic
def arbitrate(user, ticket, uphold, note="", lead_unit_id=None, co_unit_ids=(), *, confirm_negative=False,
              category_code=None):
    """异议审核: uphold → re-dispatch (or back to the queue); reject → back to the unit. A re-dispatch is held to
    the negative list as a dispatch is (check_negative_list), under the category corrected with it
    (`category_code`, a leaf: the returning unit's reason is often that the category was wrong); the event records
    the old and the new category, and the merged duplicates follow it (children_follow_category). A rejection that
    would leave the ticket with a unit the corrected category's negative list bars is refused (CorrectionBarred)."""
    note = optional_note(note)
    ticket = locked(ticket)
    check("arbitrate", user, ticket)
    request = ticket.returns.filter(state=RequestState.PENDING).select_related("assignment").first()
    if request is None:
        raise Conflict(_("There is no pending return."))
    corrected = category_correction(ticket, corrected_category(category_code, ticket)) if category_code else {}
    now = timezone.now()
    request.state = RequestState.APPROVED if uphold else RequestState.REJECTED
    request.decided_at, request.decided_by, request.decision_note = now, user, note
    request.save()
    before, overridden = ticket.state, []
    if uphold:
        if lead_unit_id:
            lead = _handling_unit(lead_unit_id, "lead_unit")
            co_units = [_handling_unit(uid, "co_units") for uid in co_unit_ids if uid != lead.pk]
            overridden = check_negative_list(ticket, lead, co_units, confirm_negative, note,
                                             reason_field=_("Decision note"))
            _assign(user, ticket, lead, co_units, now)
            ticket.state = State.DISPATCHED
        else:
            ticket.assignments.filter(active=True).update(active=False, state=AssignmentState.WITHDRAWN)
            ticket.state, ticket.lead_unit, ticket.reply_due = State.NEW, None, None
    else:
        previous = request.assignment.state
        ticket.state = State.SIGNED if previous == AssignmentState.SIGNED else State.DISPATCHED
        if corrected and (barred := handling_units_barred(ticket)):  # back to a unit the new category bars
            raise CorrectionBarred(barred, arbitration=True)
    ticket.save()
    record_event(ticket, "arbitrate", user, before, ticket.state, note, upheld=bool(uphold),
                 unit=request.unit.name, new_lead=ticket.lead_unit.name if uphold and ticket.lead_unit else None,
                 **({"negative_override": overridden} if overridden else {}), **corrected)
    if corrected:
        children_follow_category(user, ticket, note)
    return ticket


def corrected_category(code, ticket):
    """The active leaf category `code` names, to file `ticket` under instead of its own; refused naming the field
    (category) when there is none, when it has subcategories, or when it is the ticket's own."""
    code = (code or "").strip()
    if not code:
        raise DomainError(_("%(field)s is required.") % {"field": _("Category")}, field="category")
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise DomainError(_("Unknown category “%(v)s”.") % {"v": code}, field="category")
    if category.children.filter(active=True).exists():
        raise DomainError(_("Category: “%(v)s” has subcategories; choose the one that fits.") % {"v": category.name},
                          field="category")
    if category.pk == ticket.category_id:
        raise DomainError(_("Category: the ticket is already filed under “%(v)s”.") % {"v": category.name},
                          field="category")
    return category


def category_correction(ticket, category):
    """File `ticket` under `category` (not saved); the facts its event records: the old and the new category."""
    old = ticket.category if ticket.category_id else None
    ticket.category = category
    return {"category_from": old.code if old else None, "category_from_name": old.name if old else None,
            "category_to": category.code, "category_to_name": category.name}


@transaction.atomic
def correct_category(user, ticket, category_code, reason, take_back=False):
    """更正类别 after dispatch: a dispatcher or supervisor files the ticket under the category it is about, with a
    reason that says why (says_why, as an override's). The deadlines and the units stay: the category statistics,
    the hot spots and the training data follow the ticket's category, and the model learns from the correction
    (jiesu.dispatch.training). Its merged duplicates follow it (children_follow_category).

    While a unit handles the ticket, a category that the negative list bars for its lead or a co unit is refused
    (CorrectionBarred), unless `take_back`: the ticket is then taken back for dispatch with the correction
    (take_back_for_dispatch), the units told why."""
    ticket = locked(ticket)
    check("recategorize", user, ticket)
    if ticket.dispatched_at is None:
        raise Conflict(_("Only a dispatched ticket's category is corrected here."))
    category = corrected_category(category_code, ticket)
    reason = optional_note(reason, "reason")
    if not says_why(reason):
        raise DomainError(_("A category correction needs a reason that says why: write it in “%(field)s”, at least "
                            "%(n)d characters, not only digits, punctuation or one character repeated.") % {
            "field": _("Reason for the correction"), "n": OVERRIDE_REASON_MIN}, field="reason")
    facts = category_correction(ticket, category)
    barred = handling_units_barred(ticket)
    if barred and not take_back:
        raise CorrectionBarred(barred)
    before = ticket.state
    if barred:
        take_back_for_dispatch(user, ticket, timezone.now(), correction_take_back_words(category, barred))
        facts["taken_back"] = negative_entry_facts(barred)
    ticket.save()
    record_event(ticket, "recategorize", user, before, ticket.state, reason, **facts)
    children_follow_category(user, ticket, reason)
    return ticket


def handling_units_barred(ticket):
    """[(field, unit, duty)]: the lead and co units handling `ticket` (an open assignment: dispatched … contacted)
    that the negative list bars from its category, as a dispatch to them now would be refused; [] when none."""
    if ticket.state not in lifecycle.HANDLING or ticket.lead_unit_id is None:
        return []
    chain = [c.pk for c in category_chain(ticket.category)]
    if not Duty.objects.filter(negative=True, category_id__in=chain).exists():
        return []  # as for most categories: the units and the place are not read
    co_units = [a.unit for a in ticket.assignments.filter(active=True, role=AssignmentRole.CO).select_related("unit")]
    return negative_entries(ticket, ticket.lead_unit, co_units)


class CorrectionBarred(Conflict):
    """A category correction the negative list bars for a unit handling the ticket: it does not silently stand.
    The message names each unit and entry, and how to correct it all the same: take the ticket back for dispatch
    (on a page, the box; worded_for_api, "take_back"), or, in an `arbitration` that sends the ticket back to the
    unit, uphold the return. `barred` as NegativeListRefusal's."""

    def __init__(self, barred, api=False, arbitration=False):
        if arbitration:  # 退单审核 rejected: the return is the way to another unit
            hint = _("Uphold the return instead: dispatch it to another unit, or back to the dispatch queue.")
        elif api:
            hint = _('Send "take_back": true to correct it and take the ticket back to the dispatch queue.')
        else:
            hint = _("Tick “Take the ticket back for dispatch” to correct it and take the ticket back to the dispatch "
                     "queue.")
        super().__init__(_("%(entries)s, and that unit is handling the ticket: the category is not corrected. "
                           "%(hint)s") % {"entries": negative_entries_words(barred), "hint": hint},
                         field="category" if arbitration else "take_back")
        self.code = "negative_list_handling"
        self.barred, self.arbitration = barred, arbitration

    def worded_for_api(self):
        return CorrectionBarred(self.barred, api=True, arbitration=self.arbitration)


def correction_take_back_words(category, barred):
    """What the units a correction takes the ticket back from are told: 「类别更正为「燃气泄漏」，负面清单 #52：…不得派给
    东华门街道（所在街道）」."""
    return _("Category corrected to “%(category)s”; %(entries)s") % {
        "category": category.name, "entries": negative_entries_words(barred)}


def take_back_for_dispatch(user, ticket, now, why):
    """收回重派 (not saved): the lead and co units are told `why` (_notify_taken_back), their assignments withdrawn,
    and the ticket waits in the dispatch queue as 待派单 with a fresh dispatch deadline, as a step up the negative
    list bars does (grids.services)."""
    _notify_taken_back(user, ticket, why)
    ticket.assignments.filter(active=True).update(active=False, state=AssignmentState.WITHDRAWN)
    ticket.lead_unit, ticket.reply_due, ticket.warning_level = None, None, 0
    ticket.state = State.NEW
    ticket.dispatch_due = due(now, time_limit_class(ticket), "dispatch")


def children_follow_category(user, parent, reason=""):
    """The parent's merged duplicates, handled once through it, are filed under its category with it, each with a
    `recategorize` event naming the parent (`with_parent`): the statistics count the matter under one category."""
    from jiesu.dispatch.wording import in_platform_language

    children = list(parent.merged_children.select_for_update(of=("self",)).select_related("category").exclude(
        category_id=parent.category_id))
    note = in_platform_language(followed_parent_words, {"number": parent.number, "reason": reason}) if children else ""
    for child in children:
        _file_with_parent(user, child, parent, note)


def followed_parent_words(facts):
    if facts["reason"]:
        return _("Category corrected with its parent %(number)s: %(reason)s") % facts
    return _("Category corrected with its parent %(number)s") % facts


def _file_with_parent(user, child, parent, note):
    """File the merged `child` under its `parent`'s category, with its `recategorize` event."""
    facts = category_correction(child, parent.category)
    child.save(update_fields=["category", "updated_at"])
    record_event(child, "recategorize", user, child.state, child.state, note, with_parent=parent.pk,
                 parent_number=parent.number, **facts)


def merged_into_words(facts):
    return _("Merged into %(number)s: filed under its category") % facts


def merge_takes_parent_category(user, child, parent):
    """A request merged into a parent takes the parent's category (when it has one and the child's differs): a
    duplicate is handled once, as the parent's matter, and counted under the category the hotline gave it."""
    if parent.category_id is None or child.category_id == parent.category_id:
        return
    from jiesu.dispatch.wording import in_platform_language

    _file_with_parent(user, child, parent, in_platform_language(merged_into_words, {"number": parent.number}))


@transaction.atomic
def request_extension(user, ticket, working_days, reason):
    ticket = locked(ticket)
    check("request_extension", user, ticket)
    reason = require_reason(reason)
    try:
        working_days = int(working_days)
    except (TypeError, ValueError):
        working_days = 0
    if not 1 <= working_days <= 30:
        raise DomainError(_("Extension must be 1 to 30 working days."), field="working_days")
    if ticket.extensions.filter(state=RequestState.PENDING).exists():
        raise Conflict(_("An extension request is already pending."))
    assignment = _my_assignment(user, ticket)
    ExtensionRequest.objects.create(ticket=ticket, assignment=assignment, working_days=working_days, reason=reason,
                                    created_at=timezone.now(), created_by=user)
    record_event(ticket, "extension_request", user, ticket.state, ticket.state, reason, working_days=working_days)
    return ticket


@transaction.atomic
def decide_extension(user, ticket, approve, note=""):
    note = optional_note(note)
    ticket = locked(ticket)
    check("decide_extension", user, ticket)
    request = ticket.extensions.filter(state=RequestState.PENDING).first()
    if request is None:
        raise Conflict(_("There is no pending extension request."))
    now = timezone.now()
    request.state = RequestState.APPROVED if approve else RequestState.REJECTED
    request.decided_at, request.decided_by, request.decision_note = now, user, note
    old_due = ticket.reply_due
    if approve:
        base = max(ticket.reply_due or now, now)
        request.new_due = current_calendar().add_working_days(timezone.localtime(base), request.working_days)
        ticket.reply_due = request.new_due
        ticket.warning_level = 0
        ticket.save()
        Assignment.objects.filter(pk=request.assignment_id).update(reply_due=request.new_due)
    request.save()
    record_event(ticket, "extension_decision", user, ticket.state, ticket.state, note, approved=bool(approve),
                 new_due=request.new_due.isoformat() if request.new_due else None,
                 old_due=old_due.isoformat() if old_due else None)
    return ticket


def _notify_lead(user, ticket, kind, text):
    if ticket.lead_unit_id:
        Notice.objects.create(ticket=ticket, unit_id=ticket.lead_unit_id, kind=kind, text=text,
                              created_at=timezone.now(), created_by=user)


@transaction.atomic
def supervise(user, ticket, text):
    """督办: a formal supervision notice to the lead unit."""
    ticket = locked(ticket)
    check("supervise", user, ticket)
    text = require_text(text, "text", _("Notice"), 1000)
    ticket.supervised = True
    ticket.save()
    _notify_lead(user, ticket, NoticeKind.SUPERVISE, text)
    record_event(ticket, "supervise", user, ticket.state, ticket.state, text)
    return ticket


@transaction.atomic
def remind(user, ticket, text=""):
    """催办: a reminder, e.g. when the citizen calls again."""
    text = optional_note(text, "text") or _("The citizen asks about progress.")
    ticket = locked(ticket)
    check("remind", user, ticket)
    _notify_lead(user, ticket, NoticeKind.REMIND, text)
    record_event(ticket, "remind", user, ticket.state, ticket.state, text)
    return ticket


@transaction.atomic
def record_repeat_call(user, ticket, repeat):
    """同一来电人再次来电: `repeat`, a call closed as a repeat without new facts, is filed against `ticket`, the one
    handling the matter: counted on it (repeat_calls), written in its history, and told to its lead unit as a
    reminder (催办) while a unit handles it, so the unit learns the citizen called again (audit 11, finding 15)."""
    ticket = locked(ticket)
    ticket.repeat_calls += 1
    ticket.save(update_fields=["repeat_calls", "updated_at"])
    facts = {"repeat": repeat.pk, "repeat_number": repeat.number, "calls": ticket.repeat_calls + 1}
    if ticket.state in lifecycle.HANDLING:
        from jiesu.dispatch.wording import in_platform_language

        _notify_lead(user, ticket, NoticeKind.REMIND, in_platform_language(repeat_call_words, facts))
    record_event(ticket, "repeat_call", user, ticket.state, ticket.state, **facts)
    return ticket


def repeat_call_words(facts):
    return _("The same caller called again (%(number)s): call %(calls)d about this request.") % {
        "number": facts["repeat_number"], "calls": facts["calls"]}


# ── callback ────────────────────────────────────────────────────────────────

@transaction.atomic
def rate(user, ticket, resolved="", satisfied="", note=""):
    """网上评价: the citizen of a replied (or answered) request answers the callback's questions on the web: a reached
    callback by the web, with the callback's outcome (closed, or handled again when not resolved or not satisfied)."""
    return record_callback(user, ticket, True, resolved, satisfied, note, method="web", action="rate")


@transaction.atomic
def record_callback(user, ticket, reached, resolved="", satisfied="", note="", method="phone", action="callback"):
    """回访: reached → close or re-handle; unreachable N times → close."""
    note = optional_note(note)
    ticket = locked(ticket)
    check(action, user, ticket)
    now, before = timezone.now(), ticket.state
    ticket.callback_attempts += 1
    if not reached:
        Callback.objects.create(ticket=ticket, agent=user, at=now, method=method, reached=False, note=note,
                                round=ticket.rehandle_round)
        if ticket.callback_attempts >= conf("CALLBACK_MAX_ATTEMPTS"):
            _close(ticket, CloseReason.UNREACHABLE, now)
        ticket.save()
        record_event(ticket, "callback", user, before, ticket.state, note, reached=False,
                     attempt=ticket.callback_attempts)
        _same_caller_follows(user, ticket, now, method, reached=False)
        return ticket
    own = action == "rate"  # the citizen answers for themselves
    if resolved not in Resolved.values:
        raise DomainError(_("Choose whether your request was resolved.") if own
                          else _("Record whether the request was resolved."), field="resolved")
    if satisfied not in Satisfied.values:
        raise DomainError(_("Choose whether you are satisfied.") if own
                          else _("Record whether the citizen is satisfied."), field="satisfied")
    Callback.objects.create(ticket=ticket, agent=user, at=now, method=method, reached=True, resolved=resolved,
                            satisfied=satisfied, note=note, round=ticket.rehandle_round)
    ticket.resolved, ticket.satisfied = resolved, satisfied
    outcome = lifecycle.rehandle_or_close(resolved, satisfied, ticket.rehandle_round, conf("MAX_REHANDLE_ROUNDS"))
    rehandled = {}
    if ticket.state == State.ANSWERED or outcome == "close":
        _close(ticket, CloseReason.CALLBACK, now)
    elif outcome == "close_limit":
        _close(ticket, CloseReason.REHANDLE_LIMIT, now)
    elif ticket.parent_id is not None or ticket.lead_unit_id is None:
        parent = ticket.parent
        _back_to_queue(ticket, now)
        outcome = "split_off" if parent is not None else outcome
        if parent is not None:
            record_event(parent, "split_off", user, parent.state, parent.state, child=ticket.pk,
                         child_number=ticket.number)
    else:
        outcome, rehandled = _rehandle(user, ticket, now)
    ticket.save()
    record_event(ticket, "callback", user, before, ticket.state, note, reached=True, resolved=resolved,
                 satisfied=satisfied, outcome=outcome, **rehandled)
    _same_caller_follows(user, ticket, now, method, reached=True)
    return ticket


def same_caller_children(ticket):
    """The merged duplicates of `ticket` that its own caller sent (the same phone): one person, one callback.
    They wait out of the callback queue (queries.callback_queue) and follow the parent's callback."""
    if not ticket.citizen_phone:
        return ticket.merged_children.none()
    return ticket.merged_children.filter(citizen_phone=ticket.citizen_phone)


def _same_caller_follows(user, parent, now, method, reached):
    """The parent's callback is theirs: closed with it, or back to waiting for its next reply (re-handled)."""
    if parent.parent_id is not None:
        return
    for child in same_caller_children(parent).filter(state__in=(State.REPLIED, State.ANSWERED)).select_for_update():
        before = child.state
        if parent.state == State.CLOSED:
            child.resolved, child.satisfied = parent.resolved, parent.satisfied
            _close(child, parent.close_reason, now)
            Callback.objects.create(ticket=child, agent=user, at=now, method=method, reached=reached,
                                    resolved=parent.resolved, satisfied=parent.satisfied,
                                    note=f"同一来电人，随 {parent.number} 一并回访", round=child.rehandle_round)
        elif parent.state in (State.DISPATCHED, State.NEW):
            child.state = State.MERGED  # the parent is re-handled: its next reply reaches this one again
        else:
            continue
        child.save()
        record_event(child, "callback", user, before, child.state, f"同一来电人，随 {parent.number} 一并回访",
                     reached=reached, resolved=parent.resolved, satisfied=parent.satisfied, outcome="with_parent",
                     parent=parent.pk, parent_number=parent.number, attempt=parent.callback_attempts)


def _close(ticket, reason, now):
    ticket.state, ticket.close_reason, ticket.closed_at = State.CLOSED, reason, now
    ticket.assignments.filter(active=True).update(state=AssignmentState.DONE)


def _back_to_queue(ticket, now):
    """A merged duplicate whose citizen is not satisfied is split off and dispatched on its own (also one that
    was dispatched before it was merged: its units were withdrawn at the merge)."""
    ticket.rehandle_round += 1
    ticket.callback_attempts = 0
    ticket.parent = None
    ticket.lead_unit, ticket.reply_due = None, None
    ticket.state = State.NEW
    ticket.dispatch_due = due(now, time_limit_class(ticket), "dispatch")


def _rehandle(user, ticket, now):
    """重办: back to the lead unit with a fresh deadline. A re-handling is a new dispatch round, held to the negative
    list: a unit it now bars is passed only under the override a dispatcher recorded for that unit and entry when
    dispatching it (a human decision with a reason, named in the event); any other entry sends the ticket to the
    dispatch queue, the units withdrawn being told. Returns (outcome, facts for the callback event)."""
    lead = ticket.lead_unit
    co_units = [a.unit for a in ticket.assignments.filter(active=True, role=AssignmentRole.CO).select_related("unit")]
    barred = negative_entry_facts(negative_entries(ticket, lead, co_units))
    relied, override_event = overrides_relied_on(ticket, barred) if barred else ([], None)
    new_entries = [b for b in barred if not any(same_entry(b, o) for o in relied)]
    if relied:  # an entry added since that bars the same unit too (the check names the first per unit)
        new_entries += negative_entry_facts(negative_entries(ticket, lead, co_units, {o["duty"] for o in relied}))
    if new_entries:
        _notify_taken_back(user, ticket, rehandle_barred_words(new_entries, ticket.category.name), rehandling=True)
        ticket.assignments.filter(active=True).update(active=False, state=AssignmentState.WITHDRAWN)
        _back_to_queue(ticket, now)
        return "rehandle_barred", {"negative_list": new_entries, "category": ticket.category.name}
    ticket.rehandle_round += 1
    ticket.callback_attempts = 0
    _assign(user, ticket, lead, co_units, now)
    ticket.state = State.DISPATCHED
    return "rehandle", ({"negative_override_kept": relied, "override_event": override_event.pk} if relied else {})


def overrides_relied_on(ticket, barred):
    """([override], event): the overrides of the dispatch that made the ticket's assignments (its latest dispatch,
    or an arbitration naming a new lead) that cover entries of `barred` (facts: the same entry and unit), and that
    event (None when there is none)."""
    for event in ticket.events.filter(kind__in=("dispatch", "arbitrate")).order_by("-at", "-id"):
        if event.kind == "arbitrate" and not event.payload.get("new_lead"):
            continue
        overrides = [recorded_unit_id(o, event) for o in event.payload.get("negative_override") or []]
        return [o for o in overrides if any(same_entry(o, b) for b in barred)], event
    return [], None


def recorded_unit_id(override, event):
    """An override as `event` recorded it, with its unit's id. One recorded before the facts held unit ids takes the
    dispatch's lead_id when it is that lead unit, of that name; a co unit's has none (the event kept only names)."""
    if "unit_id" in override or override.get("role") != "lead" or event.kind != "dispatch":
        return override
    if event.payload.get("lead_id") is None or event.payload.get("lead") != override["unit"]:
        return override
    return {**override, "unit_id": event.payload["lead_id"]}


def same_entry(a, b):
    """Whether two entries as events store them (negative_entry_facts, negative_override) name the same negative-list
    entry and unit: the entry's id and the unit's, so that a unit renamed since is the same unit and a namesake
    elsewhere (八里庄街道 of 朝阳区 and of 海淀区) another; by the unit's name only for one recorded without its id."""
    if "unit_id" in a and "unit_id" in b:
        return (a["duty"], a["unit_id"]) == (b["duty"], b["unit_id"])
    return (a["duty"], a["unit"]) == (b["duty"], b["unit"])


def _notify_taken_back(user, ticket, why, rehandling=False):
    """The lead and co units a re-handling (`rehandling`) or a ticket is taken back from are told, with why (their
    work list's notices)."""
    units = ticket.assignments.filter(active=True, role__in=(AssignmentRole.LEAD, AssignmentRole.CO))
    text = (_("Re-handling taken back to the hotline's dispatch queue: %(why)s") if rehandling else
            _("Taken back to the hotline's dispatch queue: %(why)s")) % {"why": why}
    Notice.objects.bulk_create(Notice(ticket=ticket, unit_id=unit_id, kind=NoticeKind.TAKEN_BACK, text=text,
                                      created_at=timezone.now(), created_by=user)
                               for unit_id in dict.fromkeys(units.values_list("unit_id", flat=True)))


# ── merge, reopen, contact ──────────────────────────────────────────────────

class MergeDoubt(Conflict):
    """A merge of two requests that may not be the same matter (merge_doubts), not confirmed: the message names
    both tickets, the doubts and how to confirm, on a page (the box) or, worded_for_api, in the API ("confirm")."""

    def __init__(self, ticket, parent, doubts, api=False):
        hint = (_('Check it, then send "confirm": true to merge all the same.') if api else
                _("Check it, then tick “Checked: the same matter, merge all the same” to merge."))
        super().__init__(_("Is %(a)s 「%(a_title)s」 the same matter as %(b)s 「%(b_title)s」? %(doubts)s. %(hint)s") % {
            "a": ticket.number, "a_title": ticket.title, "b": parent.number, "b_title": parent.title, "hint": hint,
            "doubts": capfirst(pgettext("between the details of a ticket event", "; ").join(doubts))},
            field="confirm")
        self.code = "merge_doubt"
        self.ticket, self.parent, self.doubts = ticket, parent, doubts

    def worded_for_api(self):
        return MergeDoubt(self.ticket, self.parent, self.doubts, api=True)


def said_alike(a, b):
    """(similarity, floor): how alike two tickets' words are, their place words left out (the places are compared
    apart), as the duplicate index compares a draft with a ticket of a known place; the floor below which the
    intake panel never offers a ticket (duplicates.DuplicateIndex.min_text)."""
    from jiesu.dispatch import duplicates
    from jiesu.dispatch.services import ticket_text

    index = duplicates.OPEN_INDEX.index
    if index is not None:
        vector, floor = (lambda text: index.vector(text, places=False)), index.min_text
    else:
        vector, floor = (lambda text: duplicates._vector(text, places=False)), duplicates.MIN_TEXT_PLAIN
    similarity = duplicates._cosine(vector(ticket_text(a.title, a.text)), vector(ticket_text(b.title, b.text)))
    return similarity, floor


def merge_doubts(ticket, parent):
    """Why `ticket` may not be the same matter as `parent`, in words (empty: nothing to doubt): their words unlike,
    another request type (a consultation is answered, a complaint handled), or another district (the other
    district's units would answer this citizen)."""
    from jiesu.categories.models import RequestType

    doubts = []
    similarity, floor = said_alike(ticket, parent)
    if similarity < floor:
        doubts.append(_("the texts are unlike (%(p)s alike, below the %(floor)s the duplicate panel offers)") % {
            "p": f"{similarity:.0%}", "floor": f"{floor:.0%}"})
    if ticket.request_type != parent.request_type:
        doubts.append(_("another request type (%(a)s into %(b)s)") % {
            "a": RequestType(ticket.request_type).label, "b": RequestType(parent.request_type).label})
    if ticket.district_id and parent.district_id and ticket.district_id != parent.district_id:
        doubts.append(_("another district (%(a)s into %(b)s)") % {"a": ticket.district.name, "b": parent.district.name})
    return doubts


@transaction.atomic
def merge(user, ticket, parent, confirm=False):
    """Merge a duplicate into an open parent: handled once, every citizen gets the reply. The duplicates already
    merged into `ticket` move to the parent with it (one level: the parent's reply reaches them all), each taking the
    parent's category (merge_takes_parent_category). Two requests that may not be one matter (merge_doubts) are
    merged only when `confirm`ed: the event keeps the doubts."""
    ticket = locked(ticket)
    check("merge", user, ticket)
    parent = Ticket.objects.select_for_update().filter(pk=getattr(parent, "pk", parent)).first()
    if parent is None:
        raise DomainError(_("There is no ticket with that number."), field="parent")
    if parent.pk == ticket.pk:
        raise DomainError(_("Choose another ticket to merge into."), field="parent")
    if parent.state not in lifecycle.OPEN or parent.parent_id:
        raise Conflict(_("A ticket in the state “%(state)s” takes no more merges: merge only into an open ticket "
                         "that is not itself merged.") % {"state": parent.get_state_display()})
    if ticket.lead_unit_id and not parent.lead_unit_id:  # would withdraw a unit's work for a ticket nobody handles
        raise Conflict(_("%(number)s is already with a handling unit and %(other)s is not: merge %(other)s into "
                         "%(number)s instead.") % {"number": ticket.number, "other": parent.number})
    doubts = merge_doubts(ticket, parent)
    if doubts and not confirm:
        raise MergeDoubt(ticket, parent, doubts)
    before = ticket.state
    ticket.assignments.filter(active=True).update(active=False, state=AssignmentState.WITHDRAWN)
    ticket.state, ticket.parent = State.MERGED, parent
    ticket.lead_unit, ticket.reply_due = None, None  # its units are withdrawn: the parent's reply is its reply
    ticket.save()
    record_event(ticket, "merge", user, before, ticket.state, parent=parent.pk, parent_number=parent.number,
                 **({"confirmed_doubts": doubts} if doubts else {}))
    record_event(parent, "merged_in", user, parent.state, parent.state, child=ticket.pk, child_number=ticket.number)
    merge_takes_parent_category(user, ticket, parent)
    moved = ticket.merged_children.select_for_update(of=("self",)).select_related("category").exclude(pk=ticket.pk)
    for child in moved:
        _move_merged_child(user, child, ticket, parent)
    return ticket


@transaction.atomic
def unmerge(user, ticket, reason):
    """撤销合并: a request merged by mistake is split off its parent and waits for dispatch on its own, with its own
    dispatch deadline from now; no 不满意, no re-handling round. Given the parent's reply already (awaiting its
    callback), the reply is taken back: its citizen was not called back yet, the reply stays in its history."""
    ticket = locked(ticket)
    check("unmerge", user, ticket)
    reason = require_text(reason, "reason", _("Reason"), 1000)
    if ticket.parent_id is None:
        raise Conflict(_("This ticket is not merged into another."))
    _split_off(user, ticket, ticket.parent, timezone.now(), reason, why="unmerge")
    return ticket


def _split_off(user, child, parent, now, reason, why, **facts):
    """The merged request `child` waits for dispatch on its own again (unmerge, or a class personal to the parent's
    caller): its own category again (category_before_merge), its own dispatch deadline from `now`, any reply of the
    parent taken back; `unmerge` event on it and `split_off` on the parent (the duplicate panel does not offer the
    pair again: duplicates.split_apart)."""
    before, replied = child.state, bool(child.replied_at)
    own = category_before_merge(child, parent)
    recategorized = category_correction(child, own) if own is not None and own.pk != child.category_id else {}
    child.parent, child.state = None, State.NEW
    child.lead_unit, child.reply_due = None, None
    child.reply_text, child.replied_at, child.self_resolved = "", None, None
    child.callback_attempts = 0
    child.dispatch_due = due(now, time_limit_class(child), "dispatch")
    child.save()
    record_event(child, "unmerge", user, before, child.state, reason, at=now, parent=parent.pk,
                 parent_number=parent.number, why=why, **({"reply_taken_back": True} if replied else {}), **facts)
    if recategorized:
        from jiesu.dispatch.wording import in_platform_language

        record_event(child, "recategorize", user, child.state, child.state, at=now, split_from=parent.pk,
                     note=in_platform_language(split_off_words, {"number": parent.number}), **recategorized)
    record_event(parent, "split_off", user, parent.state, parent.state, reason, at=now, child=child.pk,
                 child_number=child.number, why=why)


def category_before_merge(child, parent):
    """The active category `child` was filed under before its latest merge into `parent` made it take the parent's
    (merge_takes_parent_category) or follow its corrections (children_follow_category): the first such
    `recategorize` event's category_from; None when it took none."""
    merged = child.events.filter(kind="merge", payload__parent=parent.pk).order_by("-id").first()
    if merged is None:
        return None
    followed = (child.events.filter(kind="recategorize", payload__with_parent=parent.pk, pk__gt=merged.pk)
                .order_by("id").first())
    code = followed.payload.get("category_from") if followed is not None else None
    return Category.objects.filter(code=code, active=True).first() if code else None


def split_off_words(facts):
    return _("Split off %(number)s: back under its own category") % facts


def merge_parent(a, b):
    """Of two tickets about one matter, the one the other is merged into: the one a unit is handling (merging it
    into a ticket nobody handles yet would withdraw the unit's work), else the one recorded first."""
    if bool(a.lead_unit_id) != bool(b.lead_unit_id):
        return a if a.lead_unit_id else b
    return a if (a.created_at, a.pk) <= (b.created_at, b.pk) else b


def _move_merged_child(user, child, old_parent, parent):
    child.parent = parent
    child.save(update_fields=["parent", "updated_at"])
    record_event(child, "merge", user, child.state, child.state, parent=parent.pk, parent_number=parent.number,
                 moved_from=old_parent.pk)
    record_event(parent, "merged_in", user, parent.state, parent.state, child=child.pk, child_number=child.number,
                 via=old_parent.pk)
    merge_takes_parent_category(user, child, parent)


@transaction.atomic
def reopen(user, ticket, reason):
    ticket = locked(ticket)
    check("reopen", user, ticket)
    reason = require_text(reason, "reason", _("Reason"), 1000)
    before = ticket.state
    ticket.state, ticket.close_reason, ticket.closed_at = State.NEW, "", None
    ticket.resolved = ticket.satisfied = ""
    ticket.callback_attempts = 0
    ticket.assignments.filter(active=True).update(active=False)
    ticket.lead_unit, ticket.reply_due = None, None
    ticket.dispatch_due = due(timezone.now(), time_limit_class(ticket), "dispatch")
    parent = ticket.parent  # a former duplicate re-opened is handled on its own: no longer its parent's
    ticket.parent = None
    ticket.save()
    record_event(ticket, "reopen", user, before, ticket.state, reason,
                 **({"parent": parent.pk, "parent_number": parent.number} if parent else {}))
    if parent is not None:
        record_event(parent, "split_off", user, parent.state, parent.state, child=ticket.pk,
                     child_number=ticket.number)
    return ticket


def reveal_contact(user, ticket):
    """The citizen's unmasked name and phone, for those who need them; each reveal is an event."""
    scoping.require_view(user, ticket)
    basis = emergencies.reveal_basis(user, ticket)  # why, kept on the event: the role, or an emergency's call back
    if basis is None:
        raise Forbidden(_("Your role may not see the citizen's contact details."))
    record_event(ticket, "contact_revealed", user, ticket.state, ticket.state, **basis)
    return {"name": ticket.citizen_name, "phone": ticket.citizen_phone}


def mark_notices_read(user, ticket):
    """The unit's notices about a ticket count as read once its staff (or a worker of the grid) open the ticket; the
    ticket's history says so, as for 「标为已读」 (notices.mark_read), naming the notices this opening marked."""
    if not (user.is_authenticated and user.role in lifecycle.HANDLERS):
        return
    unread = list(Notice.objects.filter(ticket=ticket, unit_id__in=scoping.acting_unit_ids(user),
                                        read_at__isnull=True).values_list("pk", flat=True))
    if not unread:
        return
    now = timezone.now()
    Notice.objects.filter(pk__in=unread, read_at__isnull=True).update(read_at=now, read_by=user)
    marked = list(Notice.objects.filter(pk__in=unread, read_at=now, read_by=user).order_by("pk")
                  .values_list("pk", "kind"))  # not those someone else marked meanwhile
    if marked:
        record_event(ticket, "notice_read", user, ticket.state, ticket.state, at=now, on_opening=True,
                     notices=[pk for pk, _kind in marked], notice_kinds=sorted({kind for _pk, kind in marked}))


def masked_contact(ticket):
    return {"name": scoping.mask_name(ticket.citizen_name), "phone": scoping.mask_phone(ticket.citizen_phone)}


def available_actions(user, ticket, listed=None):
    """The lifecycle actions this user may take on this ticket now (for pages and the API). `listed`: the ticket
    comes from scoping.visible_tickets and this is relations_of's answer for its page, so that a list asks no
    statement per ticket (a department's API page of 50 asked 105)."""
    if not user.is_authenticated or (listed is None and not scoping.can_view(user, ticket)):
        return []
    relation = relation_of(user, ticket) if listed is None else listed.get(ticket.pk)
    names = lifecycle.available_actions(ticket.state, effective_role(user), relation)
    return [n for n in names if n != "unmerge" or ticket.parent_id]  # only a merged request is split off
