from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "jiesu.grids"
    label = "grids"
    verbose_name = _("Grid governance (网格化治理)")
    default_auto_field = "django.db.models.BigAutoField"
