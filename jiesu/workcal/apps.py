from django.apps import AppConfig


class Config(AppConfig):
    name = "jiesu.workcal"
    label = "workcal"
    default_auto_field = "django.db.models.BigAutoField"
