from django.apps import AppConfig


class Config(AppConfig):
    name = "jiesu.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
