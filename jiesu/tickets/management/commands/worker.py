from django.core.management.base import BaseCommand

from jiesu.tickets import jobs


class Command(BaseCommand):
    help = ("Deadline worker: marks tickets approaching (80 % of the limit) and overdue, writes events and "
            "notices. Several workers may run at once on PostgreSQL.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=int, default=60, help="seconds between passes (default 60)")

    def handle(self, *args, once=False, interval=60, **options):
        if once:
            marked = jobs.scan_once()
            self.stdout.write(f"marked {marked} tickets")
            return
        self.stdout.write(f"deadline worker running, a pass every {interval} s (Ctrl-C stops)")
        jobs.run_forever(interval)
