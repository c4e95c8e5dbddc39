"""Open tickets not yet warned get their "approaching" point in working time (docs/calendar.md).

Until 2026-12-07 the point (80 % of the limit) ran on the clock for every limit: for a working-time limit it fell
anywhere from half the working time used to the due time itself (a 15-day limit: up to three working days late).
New and rescheduled tickets get the working-time point at their save; this gives it to the stored ones whose
check is still the clock's: open, not yet warned (warning_level 0), with a check. Those are the last weeks' open
tickets (a few hundred thousand at Beijing's volume, found through the partial index on next_check_at), read in
batches by id; only the rows whose point moves are written. A clock-time limit (emergency, utilities) keeps its
point. Nothing to undo: going back leaves the working-time points (the old scan reads them as any check time).
"""
from django.db import migrations

WAITING = ("new", "dispatched", "signed", "contacted")
HANDLING = ("dispatched", "signed", "contacted")
BATCH = 2000


def _calendar(apps):
    from jiesu.workcal.worktime import DEFAULT_PERIODS, WorkCalendar

    CalendarDay = apps.get_model("workcal", "CalendarDay")
    WorkingHours = apps.get_model("workcal", "WorkingHours")
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == "holiday" else workdays).add(day)
    periods = tuple(WorkingHours.objects.order_by("start").values_list("start", "end"))
    return WorkCalendar(frozenset(holidays), frozenset(workdays), periods or DEFAULT_PERIODS)


def _units(apps):
    """{category id or None: {step: unit}} from each category's own or nearest ancestor's time-limit class."""
    Category = apps.get_model("categories", "Category")
    TimeLimitClass = apps.get_model("categories", "TimeLimitClass")
    classes = {pk: {"dispatch": d, "reply": r}
               for pk, code, d, r in TimeLimitClass.objects.values_list("id", "code", "dispatch_unit", "reply_unit")}
    general = next((pk for pk, code in TimeLimitClass.objects.values_list("id", "code") if code == "general"), None)
    nodes = {pk: (parent, tlc) for pk, parent, tlc in Category.objects.values_list("id", "parent_id",
                                                                                  "time_limit_class_id")}
    units = {None: classes.get(general)}
    for pk in nodes:
        node, found = pk, None
        for _ in range(len(nodes)):
            if node is None:
                break
            parent, tlc = nodes[node]
            if tlc:
                found = tlc
                break
            node = parent
        units[pk] = classes.get(found or general)
    return units


def recompute(apps, schema_editor=None, batch=BATCH):
    """Move the open, unwarned tickets' checks to the working-time point; the number of tickets moved."""
    from django.conf import settings
    from django.db.models import Min

    from jiesu.workcal.worktime import warning_point

    Ticket = apps.get_model("tickets", "Ticket")
    rows = Ticket.objects.filter(warning_level=0, next_check_at__isnull=False, state__in=WAITING)
    first = rows.aggregate(first=Min("pk"))["first"]  # from the partial index: the batches skip the closed past
    if first is None:
        return 0
    calendar, units, fraction = _calendar(apps), _units(apps), settings.JIESU["WARNING_FRACTION"]
    last, moved = first - 1, 0
    while True:
        chunk = list(rows.filter(pk__gt=last).order_by("pk").values_list(
            "pk", "state", "category_id", "created_at", "dispatch_due", "dispatched_at", "reply_due",
            "next_check_at")[:batch])
        if not chunk:
            return moved
        changed = []
        for pk, state, category, created, dispatch_due, dispatched, reply_due, check in chunk:
            step, start, due = ("reply", dispatched, reply_due) if state in HANDLING else \
                ("dispatch", created, dispatch_due)
            unit = (units.get(category) or units.get(None) or {}).get(step)
            if start is None or due is None or unit is None:
                continue
            point = warning_point(calendar, start, due, fraction, unit)
            if point != check:
                changed.append(Ticket(pk=pk, next_check_at=point))
        Ticket.objects.bulk_update(changed, ["next_check_at"])
        moved += len(changed)
        last = chunk[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0017_field_labels"),
        ("workcal", "0001_initial"),
        ("categories", "0005_field_labels"),
    ]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
