from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch")
    default_auto_field = "django.db.models.BigAutoField"
