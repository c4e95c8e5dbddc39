"""`jiesu hotspots`: find the hot problems (热点问题) among the tickets, or among the messages of a CSV file."""
import json
import time

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.core.errors import DomainError
from jiesu.hotspots import jobs, services
from jiesu.hotspots.cluster import Params, find_problems
from jiesu.hotspots.messages import BadFile, read_items, top_table


class Command(LanguageCommand):
    help = gettext_lazy("Find the hot problems: group the tickets of the last --days days about the same problem and "
                        "place, rank them by heat and store the run (the hotspot page shows the latest). With --csv "
                        "FILE, read the Teddy Cup messages-with-likes file instead, print the top problems and "
                        "timings, store nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30,
                            help=_("the window: tickets of the last N days (default 30)"))
        parser.add_argument("--top", type=int, default=Params.top, help=_("problems kept (default %(default)s)"))
        parser.add_argument("--show", type=int, default=10, help=_("problems printed (default 10)"))
        parser.add_argument("--link-days", type=float, default=Params.window_days,
                            help=_("linked tickets are at most N days apart (default %(default)s)"))
        parser.add_argument("--link-text", type=float, default=Params.link_text,
                            help=_("minimum text similarity of a link (default %(default)s)"))
        parser.add_argument("--if-due", type=float, metavar="HOURS",
                            help=_("run only when the latest run is at least HOURS old (for cron)"))
        parser.add_argument("--csv", metavar="FILE", help=_("messages_with_votes.csv: cluster its messages instead"))
        parser.add_argument("--json", action="store_true", help=_("print the problems as JSON lines"))
        parser.add_argument("--repair-stored", action="store_true",
                            help=_("restate the stored hotspots' labels, texts and places, and the texts topics "
                                   "copied from them, as a run states them now (what migration hotspots 0002 "
                                   "did), then stop"))

    def handle(self, *args, days, top, show, link_days, link_text, if_due, csv, json, repair_stored, **options):
        if repair_stored:
            return self.repair()
        if top < 1 or show < 0:
            raise CommandError(_("--top must be 1 or more and --show 0 or more"))
        params = Params(top=top, window_days=link_days, link_text=link_text)
        if csv:
            return self.from_csv(csv, params, show, json)
        try:
            if if_due is not None:
                run = jobs.run_if_due(every_hours=if_due, days=days, params=params)
                if run is None:
                    self.stdout.write("latest run is recent: nothing to do")
                    return
            else:
                run = services.run_hotspots(days=days, params=params)
        except DomainError as exc:
            raise CommandError(f"--{exc.field}: {exc.message}") from None
        self.stdout.write(f"run {run.pk}: {run.tickets} tickets, {run.hotspots.count()} problems kept, "
                          f"{run.seconds:.2f} s")
        for h in run.hotspots.all()[:show]:
            self.stdout.write(f"{h.rank:3d}. heat {h.heat:6.2f}  {h.size:4d} tickets  {h.citizens:4d} citizens  "
                              f"{h.first_at:%Y-%m-%d} – {h.last_at:%Y-%m-%d}  {h.display_label}")

    def repair(self):
        from jiesu.topics.services import repair_copied_texts

        started = time.perf_counter()
        with transaction.atomic():
            hotspots = services.repair_stored()
            topics = repair_copied_texts()
        self.stdout.write(f"hotspots: {hotspots[1]} of {hotspots[0]} restated; topics: {topics[1]} of {topics[0]} "
                          f"repaired; {time.perf_counter() - started:.2f} s")

    def from_csv(self, path, params, show, as_json):
        started = time.perf_counter()
        try:
            items, skipped = read_items(path)
        except (OSError, BadFile) as exc:
            raise CommandError(str(exc)) from None
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        problems = find_problems(items, params=params)
        cluster_s = time.perf_counter() - started
        for line, reason in skipped[:10]:
            self.stderr.write(f"line {line} skipped: {reason}")
        if as_json:
            for p in problems[:show]:
                self.stdout.write(json.dumps({"label": p.label, "heat": p.heat.as_dict(), "size": p.size,
                                              "places": p.places[:5], "first": p.first_at, "last": p.last_at,
                                              "ids": [it.id for it in p.items]}, ensure_ascii=False))
        else:
            for line in top_table(problems, show):
                self.stdout.write(line)
        self.stdout.write(f"{len(items)} messages ({len(skipped)} skipped), {len(problems)} problems kept; "
                          f"read {read_s:.2f} s, clustered {cluster_s:.2f} s")
