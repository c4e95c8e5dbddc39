import time

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.whistles.jobs import scan_once


class Command(LanguageCommand):
    works_in_its_language = False  # the notices it stores are worded in the platform's language
    help = gettext_lazy("Raise 督办 notices for overdue whistle reports and tasks (once, or every --every seconds).")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help=_("repeat every N seconds (0: once)"))

    def handle(self, *args, every, **options):
        while True:
            reports, tasks = scan_once()
            self.stdout.write(f"whistles: {reports} overdue reports and {tasks} overdue tasks supervised")
            if not every:
                return
            time.sleep(every)
