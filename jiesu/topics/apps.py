from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "jiesu.topics"
    label = "topics"
    verbose_name = _("Monthly topics (每月一题)")
    default_auto_field = "django.db.models.BigAutoField"
