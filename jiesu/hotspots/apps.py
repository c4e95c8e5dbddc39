from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.hotspots"
    label = "hotspots"
    verbose_name = _("Hotspots (热点问题挖掘)")
    default_auto_field = "django.db.models.BigAutoField"
