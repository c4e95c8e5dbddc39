"""The one place that decides what a user may see and do.

Every view, API endpoint and service asks here. A user belongs to one unit and
has one role (DESIGN.md §1):

- hotline roles (call-taker, dispatcher, callback agent), city supervisors and
  administrators see every ticket;
- a district/street/community/grid user sees tickets assigned to the unit, plus
  those whose place lies in the unit's territory once the hotline has dispatched
  them (the pool awaiting dispatch is the hotline's), except reports (举报) and
  tickets whose citizen asked for confidentiality (保密): those only where
  dispatched, since a report may accuse the very unit of its territory;
- a department or enterprise user sees tickets assigned to the unit;
- a citizen sees the tickets they submitted;
- a unit's user also sees the tickets they recorded themselves (a grid worker's
  patrol report left to the hotline's dispatch).
"""
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.categories.models import RequestType
from jiesu.units.models import UnitKind

CITY_WIDE_ROLES = (Role.CALL_TAKER, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.ADMIN)
HANDLER_ROLES = (Role.UNIT_STAFF, Role.GRID_WORKER)

# (url name, label, roles) — the pages each role reaches from the menu.
NAVIGATION = [
    ("intake", "Intake", (Role.CALL_TAKER, Role.ADMIN)),
    ("dispatch_queue", "Dispatch queue", (Role.DISPATCHER, Role.ADMIN)),
    ("arbitration_queue", "Returns & extensions", (Role.DISPATCHER, Role.ADMIN)),
    ("worklist", "Work list", (Role.UNIT_STAFF, Role.GRID_WORKER, Role.SUPERVISOR)),
    ("callback_queue", "Callback queue", (Role.CALLBACK_AGENT, Role.ADMIN)),
    ("notice_list", "Notices", (Role.CALL_TAKER, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)),  # + unread count
    ("ticket_search", "Tickets", (Role.CALL_TAKER, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR,
                                  Role.UNIT_STAFF, Role.GRID_WORKER, Role.ADMIN)),
    ("grid_home", "Grids", (Role.GRID_WORKER, Role.UNIT_STAFF, Role.SUPERVISOR, Role.ADMIN)),
    ("my_tickets", "My requests", (Role.CITIZEN,)),
    ("whistle_board", "Whistles", (Role.UNIT_STAFF, Role.GRID_WORKER, Role.SUPERVISOR, Role.ADMIN)),
    ("kpi_rankings", "Rankings", (Role.SUPERVISOR, Role.UNIT_STAFF, Role.DISPATCHER, Role.ADMIN)),
    ("hotspot_board", "Hotspots", (Role.SUPERVISOR, Role.UNIT_STAFF, Role.DISPATCHER, Role.ADMIN)),
    ("quality_board", "Reply quality", (Role.SUPERVISOR, Role.ADMIN, Role.UNIT_STAFF, Role.GRID_WORKER)),  # theirs
    ("dispatch_accuracy", "Dispatch accuracy", (Role.SUPERVISOR,)),  # dispatchers: linked from the queue
    ("dashboard_home", "Dashboards", (Role.SUPERVISOR, Role.UNIT_STAFF, Role.DISPATCHER, Role.ADMIN)),
    ("warning_board", "Risk forecast", (Role.SUPERVISOR, Role.UNIT_STAFF, Role.DISPATCHER, Role.ADMIN)),
]


def has_role(user, *roles):
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.role in roles


def require_role(user, *roles):
    if not has_role(user, *roles):
        raise PermissionDenied(_("Your role may not do this."))


def is_city_wide(user):
    if user.is_superuser or user.role in CITY_WIDE_ROLES:
        return True
    unit = user.unit
    return user.role == Role.SUPERVISOR and (unit is None or unit.kind in (UnitKind.CITY, UnitKind.HOTLINE_CENTER))


def acting_unit_ids(user):
    """The units `user` acts for: their own and, for a grid worker, every grid they are a member of.

    Grid memberships live in jiesu.grids (which imports this module): imported when asked, so
    the core does not depend on the grids at load time.
    """
    ids = {user.unit_id} if user.unit_id else set()
    if user.role == Role.GRID_WORKER and apps.is_installed("jiesu.grids"):
        from jiesu.grids.scoping import member_grid_ids

        ids |= member_grid_ids(user)
    return ids


def territory_filter(unit, prefix=""):
    """Q matching tickets whose place lies in `unit`'s territory (None if it has none)."""
    field = {
        UnitKind.DISTRICT: "district",
        UnitKind.STREET: "street",
        UnitKind.COMMUNITY: "community",
        UnitKind.GRID: "grid",
    }.get(unit.kind)
    if field is None:
        return None
    return Q(**{f"{prefix}{field}": unit})


def withheld_from_territory(prefix=""):
    """Q of the tickets a territory does not see for lying in it: reports (举报) and those whose citizen asked for
    confidentiality (保密) — only the hotline and the units they are dispatched to read them. `prefix`: the path to
    the ticket from another model ("ticket__")."""
    return Q(**{f"{prefix}request_type": RequestType.REPORT}) | Q(**{f"{prefix}confidential": True})


def is_withheld_from_territory(ticket):
    return ticket.request_type == RequestType.REPORT or ticket.confidential


def seen_by_territory():
    """Q of the tickets a territory's staff see because of where they lie: dispatched at least once (the hotline's
    pool awaiting dispatch is the hotline's), and not withheld_from_territory."""
    return Q(dispatched_at__isnull=False) & ~withheld_from_territory()


def is_seen_by_territory(ticket):
    return ticket.dispatched_at is not None and not is_withheld_from_territory(ticket)


#: the units whose tickets are few enough to be read as a set of ids (visible_tickets)
SMALL_TERRITORIES = (UnitKind.COMMUNITY, UnitKind.GRID)


class AmongIds(Func):
    """`pk` among the ids a subquery gives, read as a set of its own: `id = ANY(ARRAY(subquery))` on PostgreSQL (the
    subquery runs once, before the query, and the primary key's index fetches its ids whatever the outer query's
    filters and ORDER BY; as `id IN (subquery)` the planner hash-joined it with a scan of the whole ticket table),
    `id IN (subquery)` elsewhere (SQLite fetches by rowid)."""

    output_field = BooleanField()

    def __init__(self, ids):
        super().__init__(F("pk"), Subquery(ids))

    def as_sql(self, compiler, connection, **extra):
        column, ids = (compiler.compile(expression) for expression in self.source_expressions)
        among = "%s = ANY(ARRAY%s)" if connection.vendor == "postgresql" else "%s IN %s"
        return among % (column[0], ids[0]), (*column[1], *ids[1])


def visible_tickets(user, queryset=None):
    """The tickets `user` may read.

    A unit's user reads three sets: the tickets its territory sees (territory_filter and seen_by_territory), those
    assigned to the units it acts for, those it recorded. Asked row by row ("in my territory OR EXISTS (an
    assignment to my unit) OR …") no index serves it: a list's count looks at every ticket of the city until it has
    counted its cap. That suits a unit whose tickets are many (a district, a street, a department: the scan finds
    them soon), not a community's or a grid's few: a grid worker's search count read all 1 M tickets for its 88
    (docs/benchmarks.md). Those are asked for the tickets among the ids of the three sets (AmongIds), each read
    from an index of its own (the community's or grid's; the assignments' (unit, active, state); created_by)."""
    from jiesu.tickets.models import Assignment, Ticket

    qs = Ticket.objects.all() if queryset is None else queryset
    if not user or not user.is_authenticated:
        return qs.none()
    if is_city_wide(user):
        return qs
    if user.role == Role.CITIZEN:
        return qs.filter(citizen_user=user)
    unit = user.unit
    if unit is None:
        return qs.none()
    acting = acting_unit_ids(user)
    territory = territory_filter(unit)
    if len(acting) > 1:  # a grid worker's other grids
        territory = Q(grid_id__in=acting) if territory is None else territory | Q(grid_id__in=acting)
    if unit.kind in SMALL_TERRITORIES:
        return qs.filter(among_sets(user, acting, territory))
    condition = Q(Exists(Assignment.objects.filter(ticket=OuterRef("pk"), unit_id__in=acting)))
    if user.pk is not None:
        condition = Q(created_by_id=user.pk) | condition
    if territory is not None:  # asked first: the row's own columns spare the look-up of its assignments
        condition = (territory & seen_by_territory()) | condition
    return qs.filter(condition)


def among_sets(user, acting, territory):
    """visible_tickets' rule as the ids of its three sets, each read from an index of its own (AmongIds)."""
    from jiesu.tickets.models import Assignment, Ticket

    sets = [Assignment.objects.filter(unit_id__in=acting).values("ticket_id")]
    if user.pk is not None:  # a user built for a count (accuracy_report's supervisor) recorded nothing
        sets.append(Ticket.objects.filter(created_by_id=user.pk).order_by().values("pk"))
    if territory is not None:
        sets.append(Ticket.objects.filter(territory & seen_by_territory()).order_by().values("pk"))
    return AmongIds(sets[0].union(*sets[1:]))


def counted_as_set(user, queryset):
    """`queryset` (of visible_tickets(user)'s tickets) for counting, for a unit without a territory (a department, an
    enterprise): among the ids of its sets. Its list keeps the row-by-row rule, whose scan in the list's order finds a
    page soon; its count must see every ticket, and read a department's 27,000 from the assignments' index instead
    (1 M tickets: 570 -> 138-200 ms, docs/benchmarks.md). None for the others: a street's count was not faster."""
    unit = getattr(user, "unit", None)
    if (unit is None or is_city_wide(user) or user.role == Role.CITIZEN or unit.kind in SMALL_TERRITORIES
            or territory_filter(unit) is not None or len(acting_unit_ids(user)) > 1):
        return None
    return queryset.filter(among_sets(user, acting_unit_ids(user), None))


def can_view(user, ticket):
    """Like `visible_tickets`, answered from the ticket's own fields where they suffice."""
    if not user or not user.is_authenticated:
        return False
    if is_city_wide(user):
        return True
    if user.role == Role.CITIZEN:
        return ticket.citizen_user_id == user.pk
    unit = user.unit
    if unit is None:
        return False
    if ticket.created_by_id == user.pk:
        return True
    acting = acting_unit_ids(user)
    if is_seen_by_territory(ticket) and in_territory(unit, acting, ticket):
        return True
    return ticket.assignments.filter(unit_id__in=acting).exists()


def in_territory(unit, acting, ticket):
    """Whether the ticket's place lies in `unit`'s territory or in one of the grids the user acts for."""
    field = {UnitKind.DISTRICT: "district_id", UnitKind.STREET: "street_id", UnitKind.COMMUNITY: "community_id",
             UnitKind.GRID: "grid_id"}.get(unit.kind)
    if field and getattr(ticket, field) == unit.pk:
        return True
    return ticket.grid_id is not None and ticket.grid_id in acting


def require_view(user, ticket):
    if not can_view(user, ticket):
        raise PermissionDenied(_("This ticket is outside your territory."))


def may_reveal_contact(user, ticket):
    """Who may see a citizen's unmasked name and phone (条例 Art.8, 35).

    The hotline's call-takers and callback agents always; the lead unit's staff
    when the citizen did not ask for confidentiality (they must call the citizen).
    Every reveal is recorded as a ticket event by the caller.
    """
    if has_role(user, Role.CALL_TAKER, Role.CALLBACK_AGENT, Role.ADMIN):
        return True
    if ticket.confidential or ticket.anonymous:
        return False
    return (user.role in HANDLER_ROLES and ticket.lead_unit_id is not None
            and ticket.lead_unit_id in acting_unit_ids(user) and ticket.is_open)


def mask_name(name):
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def _phone_parts(phone):
    """(country code with its + or '', the number, the extension or '') of a phone as stored
    (core.params.phone_digits: +13125550100,8021); a value stored as typed before is read by the same rule."""
    from jiesu.core.params import country_code, phone_digits

    number, _comma, extension = phone_digits(phone).partition(",")
    if not number.startswith("+"):
        return "", number, extension
    code = country_code(number[1:])
    return "+" + code, number[1 + len(code):], extension


def _with_extension(country, number, extension):
    """The number as a call-taker reads it: +1 312…, 010-65123456 转 8021 (English: ext. 8021)."""
    shown = f"{country} {number}" if country else number
    return _("%(number)s ext. %(extension)s") % {"number": shown, "extension": extension} if extension else shown


def mask_phone(phone):
    """13812345678 → 138****5678: at least four digits hidden, so that the number cannot be guessed in a few tries
    (a local 65123456 → ****3456, +852 23456789 → +852 ****6789); shorter than 8 digits: masked whole. An
    international number keeps its country code (never read as a Chinese mobile), an extension is masked apart from
    its number in the language's words (010****3456 转 ****), so that the number's last digits read as a number's."""
    country, number, extension = _phone_parts(phone)
    if len(number) >= 11:
        masked = number[:3] + "*" * (len(number) - 7) + number[-4:]
    elif len(number) >= 8:
        masked = "*" * (len(number) - 4) + number[-4:]
    else:
        masked = "*" * len(number)
    return _with_extension(country, masked, "*" * len(extension))


def display_phone(phone):
    """A revealed phone as a call-taker dials it: 01065123456,8021 → 010-65123456 转 8021 (the area code apart: 010
    and 02x have three digits, the others four), +13125550100 → +1 3125550100."""
    country, number, extension = _phone_parts(phone)
    if not country and len(number) >= 10 and number.startswith("0"):
        split = 3 if number[1] in "12" else 4
        number = f"{number[:split]}-{number[split:]}"
    return _with_extension(country, number, extension)
