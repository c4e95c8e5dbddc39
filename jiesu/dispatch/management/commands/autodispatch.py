"""`jiesu autodispatch [--once]`: auto-dispatch new tickets whose top suggestion passes its category's threshold."""
import json

from django.core.management.base import BaseCommand

from jiesu.dispatch import jobs


class Command(BaseCommand):
    help = ("Auto-dispatch, as the system user, new tickets whose top suggestion reaches the enabled threshold "
            "of its category (admin: auto-dispatch rules; none is enabled by default). "
            "--once prints the pass's figures as JSON.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=int, default=60, help="seconds between passes (default 60)")

    def handle(self, *args, once=False, interval=60, **options):
        if once:
            self.stdout.write(json.dumps(jobs.auto_dispatch_once().as_dict()))
            return
        self.stdout.write(f"auto-dispatch running, a pass every {interval} s (Ctrl-C stops)")
        jobs.run_forever(interval)
