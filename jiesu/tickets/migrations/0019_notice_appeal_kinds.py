"""Reply quality appeals get notice kinds of their own (「答复质量申诉」 to the centre and the district, 「申诉裁决」 to
the unit) instead of 督办's. Only the choices change: no SQL on either database (sqlmigrate: no-op)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0018_warning_point_in_working_time'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notice',
            name='kind',
            field=models.CharField(choices=[('approaching', 'Deadline approaching'), ('overdue', 'Overdue'), ('supervise', 'Supervision notice (督办)'), ('remind', 'Reminder (催办)'), ('taken_back', 'Taken back for dispatch'), ('emergency', 'Emergency not recorded by phone'), ('appeal_made', 'Reply-quality appeal'), ('appeal_ruled', 'Reply-quality appeal decided')], max_length=12, verbose_name='kind'),
        ),
    ]
