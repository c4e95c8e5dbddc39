"""Topics made from a hotspot before 2026-12-07 (commit c49ee84) copied its central texts as they were then: maybe a
report's (举报) or a confidential request's (保密) words, a citizen's phone number unmasked. After hotspots 0002
restated the stored hotspots, each such topic's texts are repaired (docs/topics.md), and the repair is written in
the topic's changes (TopicChange `texts_repaired`).

The rules are topics.services.repair_copied_texts (the one `jiesu hotspots --repair-stored` calls), given this
migration's historical models (apps.get_model): the queries go through the schema as it stands here; the current
code brings only pure rules (cluster.Item.body, text_masking, scoping.is_withheld_from_territory on a ticket's
request_type and confidential, fields it had from its first migration).
"""
from django.db import migrations


def repair(apps, schema_editor):
    from jiesu.topics.services import repair_copied_texts

    repair_copied_texts(topic_model=apps.get_model("topics", "Topic"),
                        hotspot_model=apps.get_model("hotspots", "Hotspot"),
                        ticket_model=apps.get_model("tickets", "Ticket"),
                        change_model=apps.get_model("topics", "TopicChange"))


class Migration(migrations.Migration):

    dependencies = [
        ('hotspots', '0002_repair_withheld_words'),
        ('topics', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop, elidable=True),
    ]
