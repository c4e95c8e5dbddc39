"""manage.py kpi rebuild [--since YYYY-MM-DD] (`jiesu kpi rebuild`): recompute the assessment rollups."""
import time
from datetime import datetime, time as dtime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = ("Assessment (三率两度) upkeep. `rebuild` recomputes the rollups from the tickets: all of them "
            "(drop and rewrite), or with --since only the tickets created, saved or given an event since that "
            "day (applied as deltas). Run it after bulk imports and after editing the working calendar.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"], help="rebuild: recompute the rollups")
        parser.add_argument("--since", default="", help="YYYY-MM-DD: only tickets changed since that day")

    def handle(self, *args, action, since, **options):
        from jiesu.kpi.services import rebuild

        moment = None
        if since:
            try:
                day = datetime.strptime(since, "%Y-%m-%d").date()
            except ValueError:
                raise CommandError(f"--since: “{since}” is not a date (YYYY-MM-DD)") from None
            moment = timezone.make_aware(datetime.combine(day, dtime.min))
        started = time.perf_counter()
        n = rebuild(since=moment)
        scope = f"changed since {since}" if since else "all"
        self.stdout.write(f"kpi rebuild: {n} tickets recomputed ({scope}) in {time.perf_counter() - started:.1f} s")
