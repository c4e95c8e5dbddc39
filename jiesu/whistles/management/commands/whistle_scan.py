import time

from django.core.management.base import BaseCommand

from jiesu.whistles.jobs import scan_once


class Command(BaseCommand):
    help = "Raise 督办 notices for overdue whistle reports and tasks (once, or every --every seconds)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0: once)")

    def handle(self, *args, every, **options):
        while True:
            reports, tasks = scan_once()
            self.stdout.write(f"whistles: {reports} overdue reports and {tasks} overdue tasks supervised")
            if not every:
                return
            time.sleep(every)
