import json
import signal
import threading

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiesu.core.command_line import LanguageCommand
from jiesu.tickets import jobs


def summary(result):
    """A job's result as JSON-friendly figures (reports with as_dict, stored runs by id)."""
    if hasattr(result, "as_dict"):
        return result.as_dict()
    if isinstance(result, models.Model):
        return {"id": result.pk}
    return result


class Command(LanguageCommand):
    works_in_its_language = False  # the notices and events it stores are worded in the platform's language
    help = gettext_lazy("The worker: each pass marks tickets approaching (80 % of the limit) and overdue (events and "
                        "notices), then runs the other apps' periodic jobs — 督办 notices of overdue whistle reports "
                        "and tasks, auto-dispatch (nothing while no rule is enabled), the grid ladder scan, the "
                        "forecast/alert run (when the latest is an hour old), the hotspot run (when the latest is a "
                        "day old; started as a process of its own), the reply-quality check of new replies, the "
                        "publication of each KPI month 10 days after its end, the end of closed accounts' patrols, "
                        "the deletion of checked-reply marks older than a year and, when JIESU_DISPATCH_MODEL names a model file (default var/models/desk.npz), "
                        "the dispatch model's training: the first model at once (at most once a day until there is "
                        "one), then weekly at night (started as a process of its own; JIESU_DISPATCH_RETRAIN_DAYS, "
                        "JIESU_DISPATCH_RETRAIN_HOURS), and the dispatch accuracy page's kept reports (counted again "
                        "hourly while someone looks at them). A job that fails is logged and the others still run. "
                        "Several workers may run at once on PostgreSQL.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help=_("one pass, print each job's figures as JSON (null: not due), then exit; "
                                   "exit status 1 if a job failed"))
        parser.add_argument("--interval", type=int, default=60, help=_("seconds between passes (default 60)"))

    def handle(self, *args, once=False, interval=60, **options):
        if once:
            results = jobs.run_pass()
            self.stdout.write(json.dumps({k: summary(v) for k, v in results.items()}, ensure_ascii=False,
                                         default=str))
            failed = [name for name, result in results.items() if result is jobs.FAILED]
            if failed:
                raise self.refusal(gettext_noop("failed: %(jobs)s (see the log)"), jobs=", ".join(failed))
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
        self.stdout.write(f"worker running, a pass every {interval} s (Ctrl-C stops; SIGTERM: after the job under way)")
        jobs.run_forever(interval, stop)
        self.stdout.write("worker stopped")
