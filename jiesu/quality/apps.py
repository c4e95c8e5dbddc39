from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.quality"
    label = "quality"
    verbose_name = _("Reply quality")
    default_auto_field = "django.db.models.BigAutoField"
