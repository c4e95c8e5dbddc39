from django.apps import AppConfig


class Config(AppConfig):
    name = "jiesu.units"
    label = "units"
    default_auto_field = "django.db.models.BigAutoField"
