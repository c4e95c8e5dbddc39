"""manage.py kpi rebuild [--since YYYY-MM-DD] (`jiesu kpi rebuild`): recompute the assessment rollups."""
import time

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand, day_argument


class Command(LanguageCommand):
    help = gettext_lazy("Assessment (三率两度) upkeep. `rebuild` recomputes the rollups from the tickets: all of them "
                        "(drop and rewrite), or with --since only the tickets created, saved or given an event since "
                        "that day (applied as deltas). Run it after bulk imports and after editing the working "
                        "calendar.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"], help=_("rebuild: recompute the rollups"))
        parser.add_argument("--since", type=day_argument, help=_("YYYY-MM-DD: only tickets changed since that day"))

    def handle(self, *args, action, since, **options):
        from jiesu.kpi.services import rebuild

        started = time.perf_counter()
        n = rebuild(since=since)
        scope = f"changed since {since:%Y-%m-%d}" if since else "all"
        self.stdout.write(f"kpi rebuild: {n} tickets recomputed ({scope}) in {time.perf_counter() - started:.1f} s")
