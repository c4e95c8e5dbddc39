import time

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.whistles.jobs import scan_once, warn_once


class Command(LanguageCommand):
    works_in_its_language = False  # the notices it stores are worded in the platform's language
    help = gettext_lazy("Raise 督办 notices for overdue whistle reports and tasks (once, or every --every seconds).")
    # the warnings before a deadline (临期预警) go in the same pass

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help=_("repeat every N seconds (0: once)"))

    def handle(self, *args, every, **options):
        while True:
            warned_reports, warned_tasks = warn_once()
            reports, tasks = scan_once(warn=False)
            self.stdout.write(f"whistles: {warned_reports} reports and {warned_tasks} tasks coming due warned, "
                              f"{reports} overdue reports and {tasks} overdue tasks supervised")
            if not every:
                return
            time.sleep(every)
