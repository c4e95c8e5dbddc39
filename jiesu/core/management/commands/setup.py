"""manage.py setup (`jiesu setup`, called by `make run`): everything a fresh checkout needs, idempotent.

migrate → org tree → reference data (calendar, time limits, categories, duties) →
demo users → demo tickets → the desk's first model (trained in the background). A second run finds
everything in place and takes seconds.
"""
import io
import time

from django.core.management import call_command
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiesu.core.collector import quiet_gc
from jiesu.core.command_line import LanguageCommand
from jiesu.core.i18n_compile import ensure_compiled
from jiesu.demo import setup_steps
from jiesu.grids.demo import setup_step as demo_grids
from jiesu.whistles.demo import setup_step as demo_whistles


class Command(LanguageCommand):
    works_in_its_language = False  # the demo city, users and tickets are worded in the platform's language
    help = gettext_lazy("Set up Jiesu: migrate the database, build the org tree, load the reference data, create the "
                        "demo users and generate the demo tickets. Idempotent: what exists is kept.")

    def add_arguments(self, parser):
        parser.add_argument("--no-demo-tickets", action="store_true", help=_("do not generate demo tickets"))
        parser.add_argument("--tickets", type=int, default=setup_steps.DEFAULT_TICKETS,
                            help=_("how many demo tickets (default %(default)s)"))
        parser.add_argument("--seed", type=int, default=setup_steps.DEFAULT_SEED, help=_("random seed of the demo"))
        parser.add_argument("--reset-demo", action="store_true",
                            help=_("delete the demo tickets and generate them again"))
        parser.add_argument("--districts", default="",
                            help=_("comma-separated district codes: build streets, communities and grids only "
                                   "there (quick set-ups for tests); default all 16"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bars"))
        parser.add_argument("--no-model", action="store_true",
                            help=_("do not start training the dispatch desk's first model in the background "
                                   "(the worker trains it at its first pass)"))

    def handle(self, *args, **options):
        with quiet_gc():  # 15 % of the set-up's CPU went to the cyclic GC (jiesu.core.collector)
            self.set_up(**options)

    def set_up(self, *, no_demo_tickets, tickets, seed, reset_demo, districts, no_progress, no_model=False,
               **options):
        if tickets < 0:
            raise self.refusal(gettext_noop("--tickets must be 0 or more"))
        started = time.perf_counter()
        log = self.stdout.write
        districts = [d.strip() for d in districts.split(",") if d.strip()] or None

        log("Jiesu setup")
        ensure_compiled(log)
        setup_steps.timed(log, "database migrated",
                          lambda: call_command("migrate", interactive=False, verbosity=0))
        setup_steps.org_tree(log, districts)
        output = io.StringIO()
        setup_steps.timed(log, "reference data loaded", lambda: call_command("seed_reference", stdout=output))
        for line in output.getvalue().splitlines():
            log(f"    {line}")
        setup_steps.demo_users(log)
        if no_demo_tickets:
            log("  demo tickets: skipped (--no-demo-tickets)")
        else:
            setup_steps.demo_tickets(log, tickets, seed, reset_demo, progress=not no_progress)
            demo_grids(log, seed, reset_demo)
            demo_whistles(log, seed, reset_demo)
            from jiesu.topics.demo import ensure_demo_topics  # 每月一题 and a hotspot run
            ensure_demo_topics(log)
            from jiesu.warnings.jobs import ensure_forecasts  # 风险预警: weekly forecasts, alerts

            log(f"  {ensure_forecasts()}")
        from jiesu.kpi.services import ensure_rollups  # bulk demo writes skip the ticket events

        log(f"  {ensure_rollups()}")
        if no_model:
            log("  dispatch model: not started (--no-model)")
        else:
            from jiesu.dispatch.jobs import first_model_line, train_first_model

            log(f"  {first_model_line(*train_first_model())}")
        log(self.style.SUCCESS(f"Setup done in {time.perf_counter() - started:.1f} s. "
                               f"Demo users: see docs/demo.md (password jiesu123)."))

