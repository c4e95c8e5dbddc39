"""`jiesu dispatch_training FILE`: the dispatcher-confirmed categories of closed tickets as a training CSV."""
import json

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand, day_argument
from jiesu.dispatch import training


class Command(LanguageCommand):
    help = gettext_lazy("Write the closed tickets whose category a dispatcher confirmed as CSV (title, text, "
                        "category code) for `jiesu dispatch train --from-csv FILE --text title,text --label "
                        "category`. Last line: JSON {\"path\", \"rows\", \"categories\"}.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV file to write"))
        parser.add_argument("--since", type=day_argument, help=_("closed on or after this day (YYYY-MM-DD)"))
        parser.add_argument("--until", type=day_argument, help=_("closed before this day (YYYY-MM-DD)"))
        parser.add_argument("--limit", type=int, help=_("at most this many, the most recently closed"))

    def handle(self, *args, file, since=None, until=None, limit=None, **options):
        examples = training.confirmed_examples(since, until, limit)
        if not examples:
            raise CommandError(_("no closed ticket with a dispatcher-confirmed category in that period"))
        rows = training.write_csv(file, examples)
        categories = len({e.label for e in examples})
        self.stdout.write(f"{rows} tickets, {categories} categories → {file}")
        self.stdout.write(json.dumps({"path": str(file), "rows": rows, "categories": categories}))
