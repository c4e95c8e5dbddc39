"""Who sees which grids, their tickets and their people's data (grid-aware scoping).

- a grid worker (or leader) sees the grids they are a member of (GridMember),
  plus the grid that is their own unit — one person may cover several grids;
- community, street and district staff see the grids in their territory;
- the hotline, city supervisors and administrators see every grid;
- departments, enterprises and citizens see no grid.

Personal data of people needing care is shown to the grid's own members and
to the community and street staff above it; everyone else sees it masked.
"""
from django.db.models import Exists, OuterRef, Q

from jiesu.accounts.models import Role
from jiesu.core import scoping as core
from jiesu.units.models import Unit, UnitKind

TERRITORY_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)
MANAGER_ROLES = (Role.UNIT_STAFF, Role.SUPERVISOR)


def member_grid_ids(user):
    """Ids of the grids the user works on (memberships and their own unit, if a grid)."""
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_grid_ids", None)
    if cached is not None:
        return cached
    from jiesu.grids.models import GridMember

    ids = set(GridMember.objects.filter(user=user, active=True).values_list("grid_id", flat=True))
    if user.unit_id and user.unit and user.unit.kind == UnitKind.GRID:
        ids.add(user.unit_id)
    user._grid_ids = ids
    return ids


def sees_all(user):
    return bool(user and user.is_authenticated and core.is_city_wide(user))


def visible_grids(user, queryset=None):
    """The grids (Units of kind grid) the user may see."""
    qs = Unit.objects.filter(kind=UnitKind.GRID) if queryset is None else queryset
    if not user or not user.is_authenticated or user.role == Role.CITIZEN:
        return qs.none()
    if sees_all(user):
        return qs
    condition = Q(pk__in=member_grid_ids(user))
    unit = user.unit
    if unit is not None and unit.kind in (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY):
        condition |= Q(path__startswith=unit.path)
    return qs.filter(condition)


def can_see_grid(user, grid):
    if grid is None or grid.kind != UnitKind.GRID:
        return False
    if sees_all(user):
        return True
    if grid.pk in member_grid_ids(user):
        return True
    unit = getattr(user, "unit", None)
    return (unit is not None and unit.kind in (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY)
            and user.role != Role.CITIZEN and grid.path.startswith(unit.path))


def visible_streets(user):
    """Streets whose grids the user may manage or look at as a whole (map, assessment)."""
    qs = Unit.objects.filter(kind=UnitKind.STREET, active=True)
    if not user or not user.is_authenticated or user.role == Role.CITIZEN:
        return qs.none()
    if sees_all(user):
        return qs
    unit = user.unit
    if unit is None:
        return qs.none()
    if unit.kind == UnitKind.DISTRICT:
        return qs.filter(district=unit)
    if unit.kind in (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID):
        ids = {unit.street_id} | set(Unit.objects.filter(pk__in=member_grid_ids(user))
                                     .values_list("street_id", flat=True))
        return qs.filter(pk__in=ids)
    return qs.none()


def grid_tickets(user, queryset=None):
    """Tickets filed in the grids the user sees, or assigned to one of their grids, that the user may read
    (core.visible_tickets: a report or a ticket awaiting dispatch is not shown for lying in a grid)."""
    from jiesu.tickets.models import Assignment, Ticket

    qs = Ticket.objects.all() if queryset is None else queryset
    if not user or not user.is_authenticated or user.role == Role.CITIZEN:
        return qs.none()
    if sees_all(user):
        return qs.filter(grid__isnull=False)
    grids = visible_grids(user).values("pk")
    assigned = Exists(Assignment.objects.filter(ticket=OuterRef("pk"), unit__in=grids))
    return core.visible_tickets(user, qs.filter(Q(grid__in=grids) | Q(assigned)))


def can_see_ticket(user, ticket):
    if core.can_view(user, ticket):
        return True
    ids = member_grid_ids(user)
    if ticket.grid_id and ticket.grid_id in ids and core.is_seen_by_territory(ticket):
        return True
    return bool(ids) and ticket.assignments.filter(unit_id__in=ids).exists()


def acting_units(user):
    """Ids of the units on whose behalf the user may act (their unit and their grids)."""
    ids = set(member_grid_ids(user))
    if user.unit_id:
        ids.add(user.unit_id)
    return ids


def may_manage(user, street):
    """Edit a street's grids, members and duty list: administrators, and staff of the street or its district."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if user.role not in MANAGER_ROLES or street is None or user.unit_id is None:
        return False
    return user.unit_id in (street.pk, street.district_id)


def may_edit_city_default(user):
    return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def may_see_care_details(user, grid):
    """Unmasked names, phones and addresses of people needing care (need to know)."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if grid.pk in member_grid_ids(user):
        return True
    unit = user.unit
    if unit is None or user.role not in (Role.UNIT_STAFF, Role.GRID_WORKER):
        return False
    return unit.pk in (grid.parent_id, grid.street_id)


def may_edit_info(user, grid):
    return may_see_care_details(user, grid)
