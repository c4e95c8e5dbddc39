from django.apps import AppConfig


class Config(AppConfig):
    name = "jiesu.categories"
    label = "categories"
    default_auto_field = "django.db.models.BigAutoField"
