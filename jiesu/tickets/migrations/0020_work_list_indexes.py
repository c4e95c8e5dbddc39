# The work lists' tickets being handled, on indexes of their own (docs/benchmarks.md, third pass): today's found by
# ranges and a small index, not by a scan of every such ticket to leave out the imported history.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0019_notice_appeal_kinds'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('state__in', ('dispatched', 'signed', 'contacted', 'returned'))), fields=['dispatch_due', 'idempotency_key'], include=('id',), name='ticket_handling_due'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('state__in', ('dispatched', 'signed', 'contacted', 'returned')), models.Q(('idempotency_key__startswith', 'import:'), _negated=True)), fields=['idempotency_key'], name='ticket_handling_live'),
        ),
    ]
