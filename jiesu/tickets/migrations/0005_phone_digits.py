"""Phone numbers stored before 2026-12-06 as typed (139-1111-3333, +86 139…) become the caller's digits, as
intake stores them since (core.params.phone_digits): one caller, one key for the repeat look-up."""
from django.db import migrations

BATCH = 2000


def to_digits(apps, schema_editor):
    from jiesu.core.params import phone_digits

    Ticket = apps.get_model("tickets", "Ticket")
    typed = Ticket.objects.filter(citizen_phone__regex=r"[^0-9]").order_by("pk").only("pk", "citizen_phone")
    last = 0
    while True:
        rows = list(typed.filter(pk__gt=last)[:BATCH])
        if not rows:
            return
        for row in rows:
            row.citizen_phone = phone_digits(row.citizen_phone)[:30]
        Ticket.objects.bulk_update(rows, ["citizen_phone"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_phone_index")]
    operations = [migrations.RunPython(to_digits, migrations.RunPython.noop)]
