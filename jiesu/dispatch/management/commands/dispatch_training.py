"""`jiesu dispatch_training FILE`: the dispatcher-confirmed categories of closed tickets as a training CSV."""
import json
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiesu.dispatch import training


def _day(value):
    try:
        return timezone.make_aware(datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time.min))
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = ("Write the closed tickets whose category a dispatcher confirmed as CSV (title, text, category code) "
            "for `jiesu dispatch train --from-csv FILE --text title,text --label category`. "
            "Last line: JSON {\"path\", \"rows\", \"categories\"}.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file to write")
        parser.add_argument("--since", type=_day, help="closed on or after this day (YYYY-MM-DD)")
        parser.add_argument("--until", type=_day, help="closed before this day (YYYY-MM-DD)")
        parser.add_argument("--limit", type=int, help="at most this many, the most recently closed")

    def handle(self, *args, file, since=None, until=None, limit=None, **options):
        examples = training.confirmed_examples(since, until, limit)
        if not examples:
            raise CommandError("no closed ticket with a dispatcher-confirmed category in that period")
        rows = training.write_csv(file, examples)
        categories = len({e.label for e in examples})
        self.stdout.write(f"{rows} tickets, {categories} categories → {file}")
        self.stdout.write(json.dumps({"path": str(file), "rows": rows, "categories": categories}))
