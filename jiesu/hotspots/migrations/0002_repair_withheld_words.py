"""Hotspots stored before 2026-12-07 (commit c49ee84) may show a report's (举报) or a confidential request's (保密) title
as their label, its words among their exemplars, its address among their places, and a citizen's phone number
unmasked: each stored hotspot's words are restated as a run states them now (docs/hotspots.md, "Runs stored before
2026-12-07").

The rules are the run's own, not a copy: hotspots.services.repair_stored (items_of, cluster.words_of,
stored_words), the function `jiesu hotspots --repair-stored` calls too. It is given this migration's historical
models (apps.get_model), so every query goes through the schema as it stands here; what comes from the current code
is pure (which tickets' words are shown, text_masking) or a filter on fields a ticket had from its first migration
(request_type, confidential: scoping.withheld_from_territory). Should a later change make repair_stored need a field
this state lacks, this migration must keep a frozen copy of today's function.
"""
from django.db import migrations


def repair(apps, schema_editor):
    from jiesu.hotspots.services import repair_stored

    repair_stored(hotspot_model=apps.get_model("hotspots", "Hotspot"),
                  member_model=apps.get_model("hotspots", "HotspotTicket"),
                  ticket_model=apps.get_model("tickets", "Ticket"))


class Migration(migrations.Migration):

    dependencies = [
        ('hotspots', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop, elidable=True),
    ]
