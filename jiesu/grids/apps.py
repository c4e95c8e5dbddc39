from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "jiesu.grids"
    label = "grids"
    verbose_name = _("Grid governance (网格化治理)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from jiesu.grids.jobs import account_saved

        post_save.connect(account_saved, sender=get_user_model(), dispatch_uid="grids-closed-account-patrols")
