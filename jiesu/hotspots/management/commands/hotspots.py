"""`jiesu hotspots`: find the hot problems (热点问题) among the tickets, or among the messages of a CSV file."""
import json
import math
import time

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import npgettext, pgettext
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.core.errors import DomainError
from jiesu.hotspots import jobs, services
from jiesu.hotspots.cluster import Params, find_problems
from jiesu.hotspots.messages import BadFile, UnreadableTime, read_items, top_table

# Its printed lines' words have the context "hotspots command": other catalogues word "heat", "%(n)s tickets" as
# pages need them.


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
        parser.add_argument("--asked", type=int, metavar="ID",
                            help=_("carry out the run asked from the hotspot board (the worker starts this process "
                                   "with it) and record its outcome there"))

    def handle(self, *args, days, top, show, link_days, link_text, if_due, csv, json, repair_stored, asked,
               **options):
        if repair_stored:
            return self.repair()
        if asked is not None:
            try:
                run = jobs.carry_out_asked(asked)
            except DomainError as exc:  # recorded on the asked run when it was carried out
                raise CommandError(f"--{exc.field}: {exc.message}") from None
            return self.summary(run, show)
        if top < 1 or show < 0:
            raise CommandError(_("--top must be 1 or more and --show 0 or more"))
        # a NaN clustered for nothing, then failed storing the run's parameters (NaN is not JSON)
        if not (math.isfinite(link_days) and 0 < link_days <= services.MAX_DAYS):
            raise CommandError(_("--link-days must be more than 0 and at most %(max)s") % {"max": services.MAX_DAYS})
        if not (math.isfinite(link_text) and 0 < link_text <= 1):
            raise CommandError(_("--link-text must be more than 0 and at most 1"))
        if if_due is not None and not (math.isfinite(if_due) and if_due >= 0):
            raise CommandError(_("--if-due must be a number of hours, 0 or more"))
        params = Params(top=top, window_days=link_days, link_text=link_text)
        if csv:
            return self.from_csv(csv, params, show, json)
        try:
            if if_due is not None:
                run = jobs.run_here_if_due(every_hours=if_due, days=days, params=params)
                if run is None:
                    self.stdout.write(pgettext("hotspots command", "latest run is recent: nothing to do"))
                    return
            else:
                run = services.run_hotspots(days=days, params=params)
        except DomainError as exc:
            raise CommandError(f"--{exc.field}: {exc.message}") from None
        self.summary(run, show)

    def summary(self, run, show):
        line = pgettext("hotspots command", "run %(run)s: %(tickets)s, %(problems)s, %(seconds).2f s")
        self.stdout.write(line % {"run": run.pk, "tickets": tickets_words(run.tickets),
                                  "problems": problems_words(run.hotspots.count()), "seconds": run.seconds})
        for h in run.hotspots.all()[:show]:
            self.stdout.write(pgettext("hotspots command", "%(rank)3d. heat %(heat)6.2f  %(size)4d tickets  "
                                       "%(citizens)4d citizens  %(first)s – %(last)s  %(label)s") % {
                "rank": h.rank, "heat": h.heat, "size": h.size, "citizens": h.citizens,
                "first": f"{h.first_at:%Y-%m-%d}", "last": f"{h.last_at:%Y-%m-%d}", "label": h.display_label})

    def repair(self):
        from jiesu.topics.services import repair_copied_texts

        started = time.perf_counter()
        with transaction.atomic():
            hotspots = services.repair_stored()
            topics = repair_copied_texts()
        self.stdout.write(pgettext("hotspots command", "hotspots: %(changed)s of %(seen)s restated; topics: "
                                   "%(topics_changed)s of %(topics_seen)s repaired; %(seconds).2f s") % {
            "changed": hotspots[1], "seen": hotspots[0], "topics_changed": topics[1], "topics_seen": topics[0],
            "seconds": time.perf_counter() - started})

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
            if isinstance(reason, UnreadableTime):
                reason = pgettext("hotspots command", "unreadable time %(value)s") % {"value": repr(reason.value)}
            self.stderr.write(pgettext("hotspots command", "line %(line)s skipped: %(reason)s")
                              % {"line": line, "reason": reason})
        if as_json:
            for p in problems[:show]:
                self.stdout.write(json.dumps({"label": p.label, "heat": p.heat.as_dict(), "size": p.size,
                                              "places": p.places[:5], "first": p.first_at, "last": p.last_at,
                                              "ids": [it.id for it in p.items]}, ensure_ascii=False))
        else:
            for line in top_table(problems, show, columns=table_columns()):
                self.stdout.write(line)
        self.stdout.write(pgettext("hotspots command", "%(messages)s (%(skipped)s skipped), %(problems)s; read "
                                   "%(read).2f s, clustered %(clustered).2f s") % {
            "messages": npgettext("hotspots command", "%(n)s message", "%(n)s messages", len(items))
            % {"n": len(items)},
            "skipped": len(skipped), "problems": problems_words(len(problems)), "read": read_s,
            "clustered": cluster_s})


def tickets_words(n):
    return npgettext("hotspots command", "%(n)s ticket", "%(n)s tickets", n) % {"n": n}


def problems_words(n):
    return npgettext("hotspots command", "%(n)s problem kept", "%(n)s problems kept", n) % {"n": n}


def table_columns():
    """messages.top_table's header in the command's language."""
    return (pgettext("hotspots command", "heat"), pgettext("hotspots command", "messages"),
            pgettext("hotspots command", "citizens"), pgettext("hotspots command", "likes"),
            pgettext("hotspots command", "from – to"), pgettext("hotspots command", "places"),
            pgettext("hotspots command", "problem (most central message)"))
