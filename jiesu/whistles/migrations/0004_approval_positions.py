"""Who may sign each approval step: the default chains' 分管副职签字 needs a deputy head (or the head),
主要负责人批准 the head of the unit."""
from django.db import migrations, models

DEFAULT_POSITIONS = {"科室申请": "", "分管副职签字": "deputy", "主要负责人批准": "head"}


def set_default_positions(apps, schema_editor):
    """Levels whose chain is made of the default step names and has no positions yet get the defaults."""
    Level = apps.get_model("whistles", "WhistleLevel")
    for level in Level.objects.all():
        chain = list(level.approval_chain or [])
        if chain and not level.approval_positions and all(step in DEFAULT_POSITIONS for step in chain):
            level.approval_positions = [DEFAULT_POSITIONS[step] for step in chain]
            level.save(update_fields=["approval_positions"])


class Migration(migrations.Migration):

    dependencies = [
        ("whistles", "0003_demo_flag"),
    ]

    operations = [
        migrations.AddField(
            model_name="whistlelevel",
            name="approval_positions",
            field=models.JSONField(blank=True, default=list, help_text='The lowest position that may sign each step, in order, e.g. ["", "deputy", "head"] ("": any colleague; staff, section_chief, deputy, head); missing steps: any colleague', verbose_name="who signs each step"),
        ),
        migrations.RunPython(set_default_positions, migrations.RunPython.noop),
    ]
