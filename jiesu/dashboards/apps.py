from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards (数据看板)")
    default_auto_field = "django.db.models.BigAutoField"
