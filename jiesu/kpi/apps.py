from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.kpi"
    label = "kpi"
    verbose_name = _("Assessment (三率两度)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from jiesu.kpi import signals  # noqa: F401  (keeps the rollups current as tickets change)
