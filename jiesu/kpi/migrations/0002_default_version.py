"""Version 1 of the KPI definitions, in force from 2000-01: 三率 at the core (条例 Art.32)."""
import datetime

from django.db import migrations

# unit class: response, resolution, satisfaction, speed, governance, whistle (sum 1)
WEIGHTS = {
    "district": (0.20, 0.35, 0.35, 0.05, 0.05, 0.00),
    "street": (0.20, 0.30, 0.30, 0.05, 0.05, 0.10),
    "department": (0.20, 0.30, 0.30, 0.05, 0.05, 0.10),
    "enterprise": (0.20, 0.35, 0.35, 0.10, 0.00, 0.00),
}


def forwards(apps, schema_editor):
    Version = apps.get_model("kpi", "KpiVersion")
    Weights = apps.get_model("kpi", "KpiWeights")
    if Version.objects.exists():
        return
    version = Version.objects.create(number=1, valid_from=datetime.date(2000, 1, 1),
                                     note="Default definitions shipped with Jiesu.")
    for unit_class, (r, res, sat, speed, gov, whistle) in WEIGHTS.items():
        Weights.objects.create(version=version, unit_class=unit_class, response=r, resolution=res,
                               satisfaction=sat, speed=speed, governance=gov, whistle=whistle)


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
