from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.categories"
    label = "categories"
    verbose_name = _("Categories and duties")
    default_auto_field = "django.db.models.BigAutoField"
