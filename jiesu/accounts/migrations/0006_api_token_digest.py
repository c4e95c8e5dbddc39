"""API tokens keep the SHA-256 of their key, not the key (accounts.models.ApiToken): each existing key is hashed,
its first six characters kept as the hint, and the key column dropped. Keys in use go on working."""
import hashlib

from django.db import migrations, models


def hash_keys(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.only("pk", "key").iterator():
        ApiToken.objects.filter(pk=token.pk).update(digest=hashlib.sha256(token.key.encode()).hexdigest(),
                                                    hint=token.key[:6])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_track_miss_kind")]

    operations = [
        migrations.AddField("apitoken", "digest", models.CharField(editable=False, max_length=64, null=True)),
        migrations.AddField("apitoken", "hint", models.CharField(default="", editable=False, max_length=12,
                                                                 verbose_name="key begins with")),
        migrations.RunPython(hash_keys, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField("apitoken", "key"),
        migrations.AlterField("apitoken", "digest", models.CharField(editable=False, max_length=64, unique=True,
                                                                     verbose_name="key digest (SHA-256)")),
        migrations.AlterField("apitoken", "hint", models.CharField(editable=False, max_length=12,
                                                                   verbose_name="key begins with")),
    ]
