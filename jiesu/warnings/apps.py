from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.warnings"
    label = "warnings"
    verbose_name = _("Forecasts and warnings (风险预警)")
    default_auto_field = "django.db.models.BigAutoField"
