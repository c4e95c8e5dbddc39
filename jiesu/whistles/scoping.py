"""Who sees and does what on whistles (the whistle counterpart of jiesu.core.scoping).

- hotline roles, city supervisors and administrators see every whistle;
- a district unit's users see the whistles raised in the district (they assess both sides);
- a street's or department's users see the whistles their unit raised, and the whistles
  that summoned their unit once the summons went out (not while still in approval);
- everyone else (citizens, grid workers of another unit) sees none.
"""
from django.db.models import Exists, OuterRef, Q

from jiesu.accounts.models import Role
from jiesu.core.scoping import has_role, is_city_wide
from jiesu.units.models import UnitKind

STAFF_ROLES = (Role.UNIT_STAFF, Role.SUPERVISOR)
WHISTLING_KINDS = (UnitKind.STREET, UnitKind.DEPARTMENT)  # a street/township, or a department (it may whistle too)
SUMMONABLE_KINDS = (UnitKind.DEPARTMENT, UnitKind.ENTERPRISE, UnitKind.STREET, UnitKind.COMMUNITY,
                    UnitKind.DISTRICT)


def visible_whistles(user, queryset=None):
    """The whistles `user` may read."""
    from jiesu.whistles.models import Summons, Whistle

    qs = Whistle.objects.all() if queryset is None else queryset
    if not user or not user.is_authenticated or user.role == Role.CITIZEN and not user.is_superuser:
        return qs.none()
    if is_city_wide(user):
        return qs
    unit = user.unit
    if unit is None or user.role not in STAFF_ROLES + (Role.GRID_WORKER,):
        return qs.none()
    summoned = Exists(Summons.objects.filter(whistle=OuterRef("pk"), unit=unit, summoned_at__isnull=False))
    condition = Q(unit=unit) | Q(summoned)
    if unit.kind == UnitKind.DISTRICT:
        condition |= Q(district=unit)
    return qs.filter(condition)


def own_figures(user, rows):
    """Per-unit rows of visible whistles (Summons, Rating: check-in times, on-time rates, ratings) that `user` may
    read: all for the city and administrators; else those of whistles its unit raised or its district holds,
    and its own unit's. A department summoned with others reads its own figures, never theirs."""
    if user is None or user.is_superuser or is_city_wide(user):
        return rows
    unit_id = getattr(user, "unit_id", None)
    if unit_id is None:
        return rows.none()
    return rows.filter(Q(whistle__unit_id=unit_id) | Q(whistle__district_id=unit_id) | Q(unit_id=unit_id))


def timeline_for(user, whistle, events):
    """The whistle's events `user` may read: a summoned unit does not read how the others were rated."""
    if user is None or user.is_superuser or is_city_wide(user) or getattr(user, "unit_id", None) in (
            whistle.unit_id, whistle.district_id):
        return events
    return events.exclude(Q(kind="rate") & ~Q(payload__unit=getattr(user.unit, "name", "")))


def can_view(user, whistle):
    if not user or not user.is_authenticated:
        return False
    if is_city_wide(user):
        return True
    if user.role == Role.CITIZEN or user.unit_id is None:
        return False
    if whistle.unit_id == user.unit_id or (whistle.district_id and whistle.district_id == user.unit_id):
        return True
    return whistle.summons.filter(unit_id=user.unit_id, summoned_at__isnull=False).exists()


def may_raise(user):
    """Staff of a street/township or a department (and administrators) may whistle."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return user.role in STAFF_ROLES and user.unit is not None and user.unit.kind in WHISTLING_KINDS


def is_whistler(user, whistle):
    """Staff of the unit that raised the whistle (they run it: summon, list tasks, accept, close, rate)."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.role in STAFF_ROLES and user.unit_id == whistle.unit_id


def is_summoned(user, summons):
    """Staff of the summoned unit (they check in, object, report progress)."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.role in STAFF_ROLES + (Role.GRID_WORKER,) and user.unit_id == summons.unit_id


def is_raised_district(user, whistle):
    """Staff of the district a whistle was raised to (提级), or an administrator: they run it from then on."""
    if not user or not user.is_authenticated or not whistle.raised_to_district_at:
        return False
    if user.is_superuser:
        return True
    return user.role in STAFF_ROLES and whistle.district_id is not None and user.unit_id == whistle.district_id


def runs(user, whistle):
    """Who runs the whistle now (summons, withdraws, decides objections, lists and accepts tasks, moves deadlines,
    closes, cancels): its whistling unit; after 提级, the district it was raised to — the street then still reads
    everything, adds documents, reports on its own tasks, 督办s, reports units (Art.44) and rates, as before."""
    if whistle.raised_to_district_at:
        return is_raised_district(user, whistle)
    return is_whistler(user, whistle)


def district_may_summon(district, unit):
    """区级吹哨 summons within the district (its streets, communities, departments and enterprises) and the city's
    departments and enterprises (units under no district); never another district's units, nor the district itself."""
    if unit.pk == district.pk:
        return False
    return unit.district_id == district.pk or (unit.district_id is None and unit.kind in (UnitKind.DEPARTMENT,
                                                                                         UnitKind.ENTERPRISE))


def is_district_of(user, whistle):
    """The district that assesses both sides (Art.16, 33): its staff, or a city supervisor."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if user.role in STAFF_ROLES and whistle.district_id and user.unit_id == whistle.district_id:
        return True
    return has_role(user, Role.SUPERVISOR) and is_city_wide(user)


def is_supervisor_of(user, whistle):
    """Who may issue 督办 on a whistle: the whistling unit, its district, city supervisors."""
    return is_whistler(user, whistle) or is_district_of(user, whistle)
