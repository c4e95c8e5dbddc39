from django.apps import AppConfig


class Config(AppConfig):
    name = "jiesu.units"
    label = "units"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from jiesu.units import services  # noqa: F401  (connects the locator-cache signals)
