"""`jiesu import FILE --format csv|us311` (manage.py import_tickets …): load historical tickets.

    jiesu import tickets.csv --format csv
    jiesu import ../shared/data/us311/la_2017_sample.csv --format us311 --report la.rejected.csv

Streams the file in batches, classifies, locates and routes every row through
the dispatch engine, writes tickets with their events and assignments (COPY on
PostgreSQL), and writes every row it did not import to the report file with
the reasons. Prints a summary and, as its last line, the summary as JSON.
--lang zh-hans|en is the language of the summary, the refusals and the report's
reasons (jiesu.core.language: default from JIESU_LANG or the locale, else
Chinese); the JSON line and the reason codes are the same in both.
A re-run imports nothing twice (idempotency key per source and external id).
docs/import.md describes the formats and what an imported ticket holds.
"""
from __future__ import annotations

import json

from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext, pgettext

from jiesu.core.command_line import LanguageCommand
from jiesu.core.language import add_language_option
from jiesu.core.worded import words_of
from jiesu.dispatch.training import configured_model
from jiesu.dispatch.wording import TEMPLATES as ROUTING_TEMPLATES
from jiesu.importer import messages as M
from jiesu.importer.formats import FORMATS
from jiesu.importer.parallel import PROCESSES
from jiesu.importer.services import (BATCH_SIZE, MIN_PROBABILITY, ImportError_, Interrupted, other_sources_words,
                                     run_import)
from jiesu.importer.sources import OtherSources
from jiesu.importer.writer import KEY_CHECKS, WRITERS, WRITERS_ALONE
from jiesu.tickets.models import State


INTERRUPTED = 130  # the exit code of a command stopped by SIGINT (128 + 2), as shells report it
#: The summary's words for the JSON line's codes: how a row's category was found (summary "classified")…
CATEGORY_FROM = {"file": gettext_noop("named in the file"), "mapping": gettext_noop("mapped from the request type"),
                 "classifier": gettext_noop("classified from the text"), "none": gettext_noop("no category")}
#: …and how it was routed ("routing": the file's unit, none, or the router's modes, worded as the desk words them)
ROUTING = {"file": gettext_noop("the unit named in the file"), "none": gettext_noop("no handling unit")}
#: …and why rows have no place (the JSON's no_place)
NO_PLACE = {"address": gettext_noop("address not found in the gazetteer"),
            "coordinates": gettext_noop("coordinates in no street's area"),
            "nothing": gettext_noop("no place code, address or coordinates")}


class Command(LanguageCommand):
    typed_name = "import"
    help = gettext_lazy("Import historical tickets from a file (csv: Jiesu's own columns; us311: Los Angeles or New "
                        "York 311 exports), with classification, routing, a progress bar and a report of rejected "
                        "rows.")

    def add_arguments(self, parser):
        """The options, their help texts in the command line's language (jiesu.core.command_line)."""
        parser.add_argument("file", help=_("the file to import (CSV in UTF-8, with or without BOM, or GBK/GB18030)"))
        parser.add_argument("--format", dest="fmt", choices=sorted(FORMATS), default="csv",
                            help=_("csv (Jiesu's columns, docs/import.md) or us311 (LA/NYC 311 exports); default "
                                   "%(default)s"))
        parser.add_argument("--source", default=None,
                            help=_("name of the source system, part of the idempotency key (default: csv, or "
                                   "la311/nyc311 from the header); 1-20 characters a-z 0-9 . _ -"))
        parser.add_argument("--report", default=None,
                            help=_("where to write the rejected rows (CSV; default "
                                   "var/imports/<file>-<time>.rejected.csv)"))
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                            help=_("rows per batch and transaction (default %(default)s)"))
        parser.add_argument("--writers", type=int, default=None,
                            help=_("PostgreSQL: connections writing batches at once, per process (default %(writers)d "
                                   "per process, %(alone)d with one process); SQLite has one")
                            % {"writers": WRITERS, "alone": WRITERS_ALONE})
        parser.add_argument("--processes", type=int, default=PROCESSES,
                            help=_("PostgreSQL: import processes, each over its part of the file (default "
                                   "%(default)s; more pay with cores to spare); SQLite has one"))
        parser.add_argument("--key-checks", choices=KEY_CHECKS, default="auto",
                            help=_("PostgreSQL: check foreign keys once per batch (batch: the writer looks up and "
                                   "locks every row referred to; needs the right to set session_replication_role and "
                                   "no triggers on the ticket tables) or per row (row: the database's own triggers); "
                                   "default auto: batch where possible, else row"))
        parser.add_argument("--min-probability", type=float, default=MIN_PROBABILITY, metavar="P",
                            help=_("a category the classifier gives with a probability below P (0 to 1) is not "
                                   "stored: the ticket is imported without one (an open one waits for a dispatcher) "
                                   "and listed in the report; default %(default)s"))
        add_language_option(parser, printed=_("the lines printed and of the report's reasons"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("check, classify and route every row, write the report, but no tickets"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar"))
        parser.add_argument("--duplicate-other-source", action="store_true",
                            help=_("import rows whose external id was already imported under another --source as "
                                   "new tickets (without it such a file is refused, naming how many and the source)"))

    def handle(self, *args, **opts):
        with translation.override(opts["lang"]):
            data = self._import(opts)
            if opts["verbosity"] > 0:
                self._print(data)
        self.stdout.write(json.dumps(data, ensure_ascii=False))

    def _import(self, opts):
        """The run's summary as a dict; CommandError when it is refused or interrupted."""
        for option, value in (("--batch-size", opts["batch_size"]), ("--writers", opts["writers"]),
                              ("--processes", opts["processes"])):
            if value is not None and value < 1:
                raise CommandError(_("%(option)s must be at least %(least)d") % {"option": option, "least": 1})
        try:
            summary = run_import(opts["file"], opts["fmt"], source=opts["source"], report=opts["report"],
                                 batch_size=opts["batch_size"], lang=opts["lang"], dry_run=opts["dry_run"],
                                 writers=opts["writers"], processes=opts["processes"], key_checks=opts["key_checks"],
                                 min_probability=opts["min_probability"],
                                 duplicate_other_source=opts["duplicate_other_source"],
                                 progress=not opts["no_progress"] and opts["verbosity"] > 0)
        except ImportError_ as exc:
            raise CommandError(str(exc)) from None
        except Interrupted as exc:  # Ctrl-C: the batches in flight were finished; one line, exit code 130
            raise CommandError(exc.message(), returncode=INTERRUPTED) from None
        except KeyboardInterrupt:  # before the rows were streamed, or while the last batches were finished
            raise CommandError((_("%(file)s: interrupted; a dry run writes nothing") if opts["dry_run"] else
                                _("%(file)s: interrupted; each batch is one transaction, so what was written is "
                                  "whole, and a re-run of the same command continues where this one stopped"))
                               % {"file": opts["file"]}, returncode=INTERRUPTED) from None
        return summary.as_dict()

    def _print(self, d):
        """The summary in the active language (the JSON line after it stays as it is)."""
        out = self.stdout.write
        d = {**d, "key_checks_reason": words_of(d["key_checks_reason"], _),
             "how_many_processes": ngettext("%(n)s process", "%(n)s processes", d["processes"]) % {"n": d["processes"]},
             "how_many_writers": ngettext("%(n)s writer", "%(n)s writers", d["writers"]) % {"n": d["writers"]}}
        out((_("%(file)s (%(format)s, source %(source)s) → %(database)s (%(how_many_processes)s, "
               "%(how_many_writers)s, foreign keys checked per %(key_checks)s: %(key_checks_reason)s)")
             if d["key_checks_reason"] else
             _("%(file)s (%(format)s, source %(source)s) → %(database)s (%(how_many_processes)s, "
               "%(how_many_writers)s, foreign keys checked per %(key_checks)s)")) % d)
        out((_("read %(read)d rows: would import %(imported)d, already imported %(already_imported)d, rejected "
               "%(rejected)d  (%(seconds).1f s, %(tickets_per_s).0f tickets/s)") if d["dry_run"] else
             _("read %(read)d rows: imported %(imported)d, already imported %(already_imported)d, rejected "
               "%(rejected)d  (%(seconds).1f s, %(tickets_per_s).0f tickets/s)")) % d)
        if d["reasons"]:
            out(_("why rows were not imported or were imported before (rows may have several):"))
            for code, n in d["reasons"].items():
                out(M.summary_line(code, n))
        if d["notes"]:
            out(_("values replaced (rows that would be imported; each row listed in the report):") if d["dry_run"]
                else _("values replaced (rows imported; each row listed in the report):"))
            for code, n in d["notes"].items():
                out(M.summary_line(code, n))
        out(_("states: %(states)s; category by: %(classified)s; routing: %(routing)s")
            % {"states": _tally(d["states"], {state.value: state.label for state in State}),
               "classified": _tally(d["classified"], CATEGORY_FROM),
               "routing": _tally(d["routing"], {**ROUTING, **{code.removeprefix("mode_"): words for code, words
                                                            in ROUTING_TEMPLATES.items() if code.startswith("mode_")}})})
        self._warn_unsure_and_overdue(d)
        self._warn_unplaced_and_other_sources(d)
        if not d["dry_run"]:  # a dry run builds no events or assignments: no count to give
            out(_("events %(events)d, assignments %(assignments)d") % d)
        model = configured_model()
        if d["training_examples"] and not d["dry_run"] and model is not None:
            out(_("the dispatcher's desk learns from the %(n)d closed with the source's category at its next "
                  "training: the worker's at once while there is no model, else its weekly one at night (or now: "
                  "jiesu dispatch retrain --model %(model)s)") % {"n": d["training_examples"], "model": model})
        unplaced = set(d["no_place"]) - {"foreign"}
        if unplaced:
            out(_("report of rows not imported, of rows with a replaced value and of rows without a place: "
                  "%(report)s") % d)
        else:
            out((_("report of rows not imported and of rows with a replaced value: %(report)s") if d["notes"] else
                 _("report of rows not imported: %(report)s")) % d)
        if d["rejected"] or d["already_imported"] or d["notes"] or unplaced:  # the report has lines
            out(_("(the report's and its reasons' line numbers count the file's text lines: a description over "
                  "several lines counts them all, so Excel's row numbers can be smaller)"))

    def _warn_unsure_and_overdue(self, d):
        """What the counts above hide: categories the classifier was unsure of, and open tickets that reach the
        units' work lists already overdue (the run creates them as history, docs/import.md)."""
        out = self.stdout.write
        if d["unclassified_unsure"]:
            out(_("of these, %(n)d left without a category: the classifier was less than %(percent)s%% sure "
                  "(--min-probability); open ones wait for a dispatcher, all are listed in the report")
                % {"n": d["unclassified_unsure"], "percent": f"{d['min_probability'] * 100:g}"})
        if d["unsure_category"]:
            out(_("of these, %(n)d classified from the text with less than %(percent)d%% certainty: check a sample")
                % {"n": d["unsure_category"], "percent": round(d["unsure_below"] * 100)})
        if d["overdue_open"]:
            words = {"n": d["overdue_open"], "since": d["overdue_since"], "column": d["closed_column"]}
            out((_("of these, %(n)d open tickets would be dispatched to handling units already past their time limit "
                   "(the earliest created %(since)s); rows closed in the source system need their closing time "
                   "(column %(column)s)") if d["dry_run"] else
                 _("of these, %(n)d open tickets were dispatched to handling units already past their time limit "
                   "(the earliest created %(since)s)")) % words)
        if d["overdue_undispatched"]:
            out((_("another %(n)d open tickets left to dispatch (no unit to dispatch them to) are already past their "
                   "dispatch time limit") if d["overdue_open"] else
                 _("of these, %(n)d open tickets left to dispatch (no unit to dispatch them to) are already past their "
                   "dispatch time limit")) % {"n": d["overdue_undispatched"]})


    def _warn_unplaced_and_other_sources(self, d):
        """Rows imported without a place (they count in no district's or street's statistics) and rows whose
        external id was imported before under another source (a dry run's warning; a real run that got here
        was told --duplicate-other-source)."""
        out = self.stdout.write
        unplaced = {code: n for code, n in d["no_place"].items() if code != "foreign"}
        if unplaced:
            out((_("of these, %(n)d would be imported without a place (%(why)s): they would count in no "
                   "district's or street's statistics; check their addresses (each row listed in the report)")
                 if d["dry_run"] else
                 _("of these, %(n)d imported without a place (%(why)s): they count in no district's or street's "
                   "statistics; check their addresses (each row listed in the report)"))
                % {"n": sum(unplaced.values()), "why": _tally(unplaced, NO_PLACE)})
        if d["no_place"].get("foreign"):
            out(_("of these, %(n)d from another country's 311: no district or street (their coordinates are kept)")
                % {"n": d["no_place"]["foreign"]})
        found = d["other_source"]
        if found["rows"]:
            summary = OtherSources(found["rows"], found["sources"], tuple(found["example"]))
            out((_("warning: %(found)s: a real run refuses the file unless --duplicate-other-source is given") if
                 d["dry_run"] else _("warning: %(found)s: imported once more as new tickets "
                                     "(--duplicate-other-source)")) % {"found": other_sources_words(summary)})


def _tally(counts: dict, words: dict) -> str:
    """{"closed": 477, "dispatched": 436} → "已办结 477、已派单 436" in the active language: each code's words
    (`words`: code → msgid or lazy text; a code without words as it is) and its count."""
    if not counts:
        return _("none")
    return pgettext("between names in a list", ", ").join(
        f"{_(str(words[code])) if code in words else code} {n}" for code, n in counts.items())
