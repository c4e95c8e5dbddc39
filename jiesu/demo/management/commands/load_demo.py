"""manage.py load_demo (`jiesu demo`): the demo users and demo tickets, on an existing org tree and catalogue."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiesu.core.command_line import LanguageCommand
from jiesu.demo import setup_steps


class Command(LanguageCommand):
    typed_name = "demo"
    works_in_its_language = False  # the demo users and tickets are worded in the platform's language
    help = gettext_lazy("Create the demo users and generate demo tickets (default 20,000 over the last six months). "
                        "Skipped when a demo already exists, unless --reset. Needs the org tree and the reference "
                        "data (`jiesu setup` does everything).")

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=setup_steps.DEFAULT_TICKETS, help=_("how many tickets"))
        parser.add_argument("--seed", type=int, default=setup_steps.DEFAULT_SEED, help=_("random seed"))
        parser.add_argument("--reset", action="store_true", help=_("delete the demo tickets first, then generate"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar"))

    def handle(self, *args, tickets, seed, reset, no_progress, **options):
        if tickets < 0:
            raise self.refusal(gettext_noop("--tickets must be 0 or more"))
        log = self.stdout.write
        setup_steps.demo_users(log)
        setup_steps.demo_tickets(log, tickets, seed, reset, progress=not no_progress)
