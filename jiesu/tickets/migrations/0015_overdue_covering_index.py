from django.db import migrations, models


class Migration(migrations.Migration):
    """The (state, reply_due) index also holds the dispatch time and the import key: the dashboards' overdue count
    tells imported history apart (kpi.overdue_counts) from the index alone, as before it counted from it."""

    dependencies = [
        ('tickets', '0014_notice_read_by'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='ticket',
            name='tickets_tic_state_3d6df6_idx',
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['state', 'reply_due', 'dispatch_due', 'idempotency_key'],
                               name='ticket_state_due'),
        ),
    ]
