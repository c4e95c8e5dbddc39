from django.db import migrations, models


def first_row(apps, schema_editor):
    apps.get_model("dispatch", "ReferenceVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0008_auto_threshold_floor'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReferenceVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name': 'reference data version',
                'verbose_name_plural': 'reference data version',
            },
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
