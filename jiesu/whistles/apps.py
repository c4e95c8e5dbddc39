from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.whistles"
    label = "whistles"
    verbose_name = _("Whistles (街乡吹哨、部门报到)")
    default_auto_field = "django.db.models.BigAutoField"
