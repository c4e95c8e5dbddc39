"""Version 1 of the KPI definitions, in force from 2000-01 (jiesu.kpi.defaults)."""
from django.db import migrations

from jiesu.kpi.defaults import create_default_version


def forwards(apps, schema_editor):
    create_default_version(apps.get_model("kpi", "KpiVersion"), apps.get_model("kpi", "KpiWeights"))


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
