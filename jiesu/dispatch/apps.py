from django.apps import AppConfig


class Config(AppConfig):
    name = "jiesu.dispatch"
    label = "dispatch"
    default_auto_field = "django.db.models.BigAutoField"
