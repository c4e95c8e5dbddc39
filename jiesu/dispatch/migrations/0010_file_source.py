"""Gazetteer entries loaded by `jiesu gazetteer load` get their own source ("file"), so that a later version of
the file updates them. Only the choices change: no row moves. Entries an earlier load created stay "manual":
nothing stored tells them from entries made by hand (the loader wrote no marker, and the admin's history misses the
list actions' switches), so they stay the administrator's and a load leaves them alone (docs/dispatch-routing.md).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0009_reference_version'),
    ]

    operations = [
        migrations.AlterField(
            model_name='gazetteerentry',
            name='source',
            field=models.CharField(choices=[('auto', 'From the org tree'), ('package', 'Shipped list'), ('manual', 'Entered by hand'), ('file', 'Loaded from a file')], default='manual', max_length=10, verbose_name='source'),
        ),
    ]
