"""The default whistle levels: 普通 / 重点 / 疑难, plus 应急 (editable in the admin)."""
from django.db import migrations

CHAIN = ["科室申请", "分管副职签字", "主要负责人批准"]
LEVELS = [
    # code, name, report amount, unit, task working days, approval chain, sort
    ("normal", "普通", 1, "working_days", 5, [], 1),
    ("key", "重点", 4, "working_hours", 5, CHAIN[:2], 2),
    ("hard", "疑难", 1, "working_days", 10, CHAIN, 3),
    ("emergency", "应急", 1, "clock_hours", 1, [], 4),
]


def add_levels(apps, schema_editor):
    Level = apps.get_model("whistles", "WhistleLevel")
    for code, name, amount, unit, days, chain, sort in LEVELS:
        Level.objects.get_or_create(code=code, defaults=dict(
            name=name, report_amount=amount, report_unit=unit, task_days=days, approval_chain=chain, sort=sort))


class Migration(migrations.Migration):
    dependencies = [("whistles", "0001_initial")]
    operations = [migrations.RunPython(add_levels, migrations.RunPython.noop)]
