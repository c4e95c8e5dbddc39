from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """No models: the app holds the `import_tickets` command and its catalogue."""

    name = "jiesu.importer"
    label = "importer"
    verbose_name = _("Bulk import")
