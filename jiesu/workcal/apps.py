from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.workcal"
    label = "workcal"
    verbose_name = _("Working calendar")
    default_auto_field = "django.db.models.BigAutoField"
