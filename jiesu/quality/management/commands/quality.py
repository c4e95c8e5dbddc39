"""`jiesu quality`: check the units' replies (off topic, boilerplate, no result), or calibrate on a CSV file."""
import csv
import random
import time
from collections import Counter

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.core.errors import DomainError
from jiesu.hotspots.messages import parse_time
from jiesu.quality import checks, services, timing

COLUMNS = ("留言主题", "留言详情", "答复意见", "留言时间", "答复时间")


class Command(LanguageCommand):
    help = gettext_lazy("Check the lead units' replies of the last --days days and store the flags (the "
                        "reply-quality page lists them). With --csv FILE (messages_with_replies.csv), check the "
                        "file's replies instead: print the thresholds, flag rates, reply times in working hours and, "
                        "with --sample N, N flagged replies per reason to check by hand; nothing is stored.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help=_("replies of the last N days (default 30)"))
        parser.add_argument("--csv", metavar="FILE", help=_("messages_with_replies.csv: calibrate on it"))
        parser.add_argument("--sample", type=int, default=0, help=_("with --csv: print N flagged replies per reason"))
        parser.add_argument("--seed", type=int, default=7, help=_("random seed of the sample"))

    def handle(self, *args, days, csv, sample, seed, **options):
        if csv:
            return self.from_csv(csv, sample, seed)
        started = time.perf_counter()
        try:
            checked, flagged = services.scan(days=days)
        except DomainError as exc:
            raise CommandError(f"--{exc.field}: {exc.message}") from None
        self.stdout.write(f"{checked} replies checked, {flagged} flagged ({time.perf_counter() - started:.2f} s)")

    def from_csv(self, path, sample, seed):
        try:
            with open(path, encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
                if missing:
                    raise CommandError(_("%(path)s: missing column(s) %(columns)s")
                                       % {"path": path, "columns": ", ".join(missing)})
                rows = list(reader)
        except OSError as exc:
            raise CommandError(str(exc)) from None
        started = time.perf_counter()
        replies = [checks.Reply(i, services.request_text(r["留言主题"], r["留言详情"]), r["答复意见"], None)
                   for i, r in enumerate(rows)]
        verdicts = checks.check_all(replies)
        seconds = time.perf_counter() - started
        out = self.stdout.write
        n = len(verdicts)
        out(f"thresholds: relevance < {checks.RELEVANCE_MIN} (replies of ≥ {checks.MIN_SUBSTANCE} chars), "
            f"boilerplate reply cosine ≥ {checks.BOILERPLATE_MIN} with requests' cosine < {checks.SAME_REQUEST}")
        counts = Counter(r for v in verdicts for r in v.reasons)
        for reason in checks.REASONS:
            out(f"  {reason:12s} {counts[reason]:5d}  {counts[reason] / n:6.1%}")
        flagged = sum(v.flagged for v in verdicts)
        out(f"  any          {flagged:5d}  {flagged / n:6.1%}   of {n} replies, checked in {seconds:.1f} s")
        self.reply_times(rows)
        rng = random.Random(seed)
        for reason in checks.REASONS if sample else ():
            chosen = [v for v in verdicts if reason in v.reasons]
            for v in rng.sample(chosen, min(sample, len(chosen))):
                r = rows[v.id]
                out(f"[{reason}] row {v.id + 2} rel {v.relevance:.3f} {','.join(v.reasons)} | "
                    f"{r['留言主题'][:40]} | {checks.own_words(r['答复意见'])[:120]}")

    def reply_times(self, rows):
        pairs = []
        for r in rows:
            try:
                pairs.append(("all", parse_time(r["留言时间"]), parse_time(r["答复时间"])))
            except ValueError:
                continue
        stats = timing.summarise(timing.calendar_from_package(), pairs)
        for s in stats:
            self.stdout.write(f"reply time: {s.replies} replies, median {s.median_h} working hours, "
                              f"P90 {s.p90_h} working hours")
