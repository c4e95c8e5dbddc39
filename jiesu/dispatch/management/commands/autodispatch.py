"""`jiesu autodispatch [--once]`: auto-dispatch new tickets whose top suggestion passes its category's threshold."""
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.dispatch import jobs


class Command(LanguageCommand):
    works_in_its_language = False  # the tickets' events are worded in the platform's language
    help = gettext_lazy("Auto-dispatch, as the system user, new tickets whose top suggestion reaches the enabled "
                        "threshold of its category (admin: auto-dispatch rules; none is enabled by default). --once "
                        "prints the pass's figures as JSON.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("one pass, then exit"))
        parser.add_argument("--interval", type=int, default=60, help=_("seconds between passes (default 60)"))

    def handle(self, *args, once=False, interval=60, **options):
        if once:
            self.stdout.write(json.dumps(jobs.auto_dispatch_once().as_dict()))
            return
        self.stdout.write(f"auto-dispatch running, a pass every {interval} s (Ctrl-C stops)")
        jobs.run_forever(interval)
