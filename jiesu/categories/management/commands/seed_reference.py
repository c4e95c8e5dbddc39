"""manage.py seed_reference: working calendar, time-limit classes, categories, staff groups, dispatch catalogue."""
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.accounts.groups import ensure_staff_groups
from jiesu.categories import services
from jiesu.core.command_line import LanguageCommand
from jiesu.workcal.services import seed_calendar


class Command(LanguageCommand):
    works_in_its_language = False  # the categories and groups it stores are named in the platform's
    help = gettext_lazy("Load the reference data: the working calendar (chinese_calendar), the time-limit classes, "
                        "the category tree (own + GB/T 47678.5), the back office's staff groups (created when "
                        "missing) and, when the org tree exists, the duties. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--first-year", type=int, default=2024)
        parser.add_argument("--last-year", type=int, default=2026)
        parser.add_argument("--no-duties", action="store_true", help=_("skip the dispatch catalogue"))

    def handle(self, *args, first_year, last_year, no_duties, **options):
        try:
            added = seed_calendar(first_year, last_year)
            self.stdout.write(f"calendar {first_year}–{last_year}: {added} days added")
            self.stdout.write(f"time limits: {_fmt(services.load_time_limits())}")
            self.stdout.write(f"categories: {_fmt(services.load_categories())}")
            self.stdout.write(f"staff groups: {_fmt(ensure_staff_groups())}")
            if no_duties:
                return
            from jiesu.units.models import Unit

            if not Unit.objects.filter(kind__in=("department", "enterprise")).exists():
                self.stdout.write("duties: skipped (no departments yet: build the org tree, then run this again)")
                return
            self.stdout.write(f"duties: {_fmt(services.load_duties())}")
        except (ValueError, services.CatalogueError) as exc:
            raise CommandError(str(exc)) from exc


def _fmt(stats):
    return ", ".join(f"{v} {k}" for k, v in stats.items())
