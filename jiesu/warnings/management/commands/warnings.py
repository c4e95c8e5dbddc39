import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiesu.core.command_line import LanguageCommand
from jiesu.warnings import backtest, jobs, services


class Command(LanguageCommand):
    works_in_its_language = False  # the alerts it stores are worded in the platform's language
    help = gettext_lazy("Volume forecasts and alerts (风险预警). run: forecast the coming weeks and raise alerts where a "
                        "week breaks its band (cron: hourly; --loop keeps running); forecast / scan: the two halves; "
                        "backtest: rolling-origin error of the forecast on this database (MAPE, band coverage).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run", "forecast", "scan", "backtest"])
        parser.add_argument("--level", type=int, default=services.DEFAULT_LEVEL,
                            help=_("category level forecast (1, 2 or 3; default %(default)s)"))
        parser.add_argument("--replay", type=int, default=0,
                            help=_("also forecast this many past weeks (and this one) as of before each began, "
                                   "where none is stored (a new install's history for the page)"))
        parser.add_argument("--horizon", type=int, default=services.DEFAULT_HORIZON, help=_("weeks ahead"))
        parser.add_argument("--origins", type=int, default=8, help=_("backtest: weeks scored"))
        parser.add_argument("--loop", action="store_true", help=_("run: keep running"))
        parser.add_argument("--interval", type=int, default=3600, help=_("run --loop: seconds between passes"))

    def handle(self, *args, action, level, replay, horizon, origins, loop, interval, **options):
        if level not in (1, 2, 3):
            raise self.refusal(gettext_noop("--level must be 1, 2 or 3"))
        if action == "run" and loop:
            self.stdout.write(f"forecast worker running, a pass every {interval} s (Ctrl-C stops)")
            jobs.run_forever(interval)
            return
        if action == "run":
            result = jobs.run_once(level=level, replay=replay)
        elif action == "forecast":
            result = services.run_forecasts(level=level, horizon=horizon, replay=replay)
        elif action == "scan":
            result = services.scan(level=level)
        else:
            result = backtest.backtest_database(level=level, origins=origins)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
