"""A pending appeal has a decision due (docs/reply-quality.md): APPEAL_DECISION_DAYS working days after it was made.

The column is added empty (nullable: no table rewrite on PostgreSQL); the appeals pending now (appeals began on
2026-12-07: a few rows, read by the appeal state) get their due time on the working calendar as it stands, as new
appeals get theirs when made. Decided appeals keep none. Going back drops the column.
"""
from django.db import migrations, models


def _calendar(apps):
    """The working calendar from the rows, as tickets 0018 builds it (a migration keeps its own frozen copy)."""
    from jiesu.workcal.worktime import DEFAULT_PERIODS, WorkCalendar

    CalendarDay = apps.get_model("workcal", "CalendarDay")
    WorkingHours = apps.get_model("workcal", "WorkingHours")
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == "holiday" else workdays).add(day)
    periods = tuple(WorkingHours.objects.order_by("start").values_list("start", "end"))
    return WorkCalendar(frozenset(holidays), frozenset(workdays), periods or DEFAULT_PERIODS)


def due_of_pending(apps, schema_editor):
    from django.conf import settings

    ReplyFlag = apps.get_model("quality", "ReplyFlag")
    pending = list(ReplyFlag.objects.filter(appeal_state="pending", appeal_due_at__isnull=True,
                                            appealed_at__isnull=False))
    if not pending:
        return
    calendar = _calendar(apps)
    days = getattr(settings, "JIESU", {}).get("APPEAL_DECISION_DAYS", 5)
    for flag in pending:
        flag.appeal_due_at = calendar.add_working_days(flag.appealed_at, days)
    ReplyFlag.objects.bulk_update(pending, ["appeal_due_at"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('quality', '0005_appeals_and_mark_territory'),
        ('workcal', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='replyflag',
            name='appeal_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='appeal decision due'),
        ),
        migrations.RunPython(due_of_pending, migrations.RunPython.noop),
    ]
