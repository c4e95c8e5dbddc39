"""Bulk import of historical tickets: read → check → classify → locate → route → write, batch by batch.

    from jiesu.importer.services import run_import
    summary = run_import("tickets.csv", "csv", report="rejected.csv")

The file is streamed: a batch of rows (5,000 by default) is read, checked by
its format (jiesu.importer.formats), classified with one vectorised classifier
call (jiesu.importer.fastclf over the dispatch engine's own model), located
and routed through the dispatch locator and router (memoised: the same
address, place and category give the same answer), and written in one
transaction (jiesu.importer.writer: COPY on PostgreSQL). Memory stays flat:
nothing of a batch is kept after it is written, except counters.

Every row ends up in exactly one place: imported, already imported (its
idempotency key ``import:<source>:<external id>`` exists: a re-run adds
nothing), or rejected with its reasons in the report file. Nothing is
dropped silently.

On PostgreSQL the file is split by external id over several processes
(`processes`, default 2: jiesu.importer.parallel), each an Importer over its
part; their reports and summaries are merged.

What an imported ticket holds (the same invariants as jiesu.tickets.services):

* a closed row → state closed, with ``closed_at``, ``replied_at`` (the reply
  time given, else the closing time) and the reply text; when routed to a
  handling unit, ``lead_unit``, ``dispatched_at`` (= created) and done
  assignments (lead, co units, the district's copy of a street dispatch);
* an open row with a reply (and its time) → replied, awaiting the callback:
  the lead's assignment replied, the others done, no deadline running; it
  needs a handling unit (else it is rejected: reply_without_unit);
* an open row routed to a handling unit → dispatched, with pending
  assignments and deadlines counted from its creation on the working
  calendar, its warning level as of now;
* an open row the router can only send to the hotline centre → awaiting
  dispatch (待派单), in the dispatchers' queue;
* events: ``intake`` at the creation time (payload: channel, category, how it
  was classified, the source and external id), ``dispatch`` (lead, co units,
  the router's explanation) when routed, ``reply`` at the reply time of an
  open row with a reply, ``close`` at the closing time.

Ctrl-C stops a run cleanly: the batches handed to the writers are finished
and counted, then Interrupted is raised with the summary (the command prints
one line, exit code 130); a re-run continues.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
import zlib
from collections import Counter, deque
from concurrent.futures import wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from jiesu.core.collector import quiet_gc, underlying
from jiesu.core.paths import unwritable
from jiesu.core.worded import os_reason, words_of
from jiesu.importer import formats as F
from jiesu.importer import messages as M
from jiesu.importer.fastclf import BatchClassifier
from jiesu.importer.seen import SeenIds
from jiesu.importer.sources import OtherSources
from jiesu.importer.writer import (WRITERS, WRITERS_ALONE, BackgroundWriter, Batch, MissingReference, Table,
                                   key_checks, make_writers, moment_encoder)

_js = json.encoder.encode_basestring  # a str as a JSON string (C-accelerated, non-ASCII kept as it is)

BATCH_SIZE = 5000
MEMO_LIMIT = 200_000  # entries per look-up memo (address → place, category × place → route) before it is cleared
DISPATCH_MEMO_LIMIT = 20_000  # dispatch payloads kept encoded (a few hundred bytes each)
HANDLING_KINDS = ("district", "street", "community", "grid", "department", "enterprise")
STEPS = ("dispatch", "sign", "contact", "reply")
#: A category the classifier gave with a probability below this is counted in the summary as one to check
#: (docs/import.md): below one half the classifier itself thinks the category more likely wrong than right.
UNSURE_PROBABILITY = 0.5
#: --min-probability's default: a category the classifier gives below it is not stored (docs/import.md)
MIN_PROBABILITY = 0.0


class ImportError_(ValueError):
    """The import cannot start (unknown format, unreadable file, bad header, bad option)."""


class Interrupted(Exception):
    """The run was interrupted (Ctrl-C, SIGINT) and stopped cleanly: the batches in flight were finished, so
    `summary` counts every row written (each batch is one transaction: written whole or not at all)."""

    def __init__(self, summary):
        super().__init__("interrupted")
        self.summary = summary

    def message(self):
        """The command's one line, in the active language."""
        s = self.summary
        wording = (_("%(path)s: interrupted: %(so_far)s; report: %(report)s") if s.dry_run else
                   _("%(path)s: interrupted: %(so_far)s; a re-run of the same command continues where this one "
                     "stopped; report: %(report)s"))
        return wording % {"path": s.path, "so_far": written_so_far(s), "report": s.report}


class StoppedPartWay(ImportError_):
    """The file turned unreadable part-way (bytes not in its encoding): the rows before are written. `problem`
    is the format's words for it; str() is the command's line with what was written and the report."""

    def __init__(self, problem, summary):
        super().__init__(problem)
        self.problem, self.summary = problem, summary

    def __str__(self):
        s = self.summary
        done = (_("%(so_far)s; report: %(report)s") if s.dry_run else
                _("the rows before it are written: %(so_far)s; a re-run of the mended file skips them; report: "
                  "%(report)s")) % {"so_far": written_so_far(s) + to_check(s), "report": s.report}
        return _("%(path)s: %(problem)s; %(done)s") % {"path": s.path, "problem": self.problem, "done": done}


def written_so_far(summary):
    """What a run that stopped before the end had done, in the active language (an interrupt's line, and a
    stop at bytes that are not text)."""
    s = summary
    if s.dry_run:
        return _("a dry run, nothing was written (%(read)d rows checked)") % {"read": s.read}
    return (_("%(imported)d rows imported in whole batches (%(already)d already imported, %(rejected)d rejected)")
            % {"imported": s.imported, "already": s.already, "rejected": s.rejected})


def to_check(summary):
    """What a stopped run's written rows hold that a clerk should check (the counts the summary would give): "" or
    "; " and the overdue open tickets, the categories left out and the unsure ones kept, in the active language."""
    s = summary
    counts = [(s.overdue, ngettext("%(n)d open ticket already past its time limit",
                                   "%(n)d open tickets already past their time limit", s.overdue)),
              (s.notes["unsure_category"], ngettext("%(n)d left without a category (below --min-probability)",
                                                    "%(n)d left without a category (below --min-probability)",
                                                    s.notes["unsure_category"])),
              (s.unsure, ngettext("%(n)d classified with less than %(percent)d%% certainty",
                                  "%(n)d classified with less than %(percent)d%% certainty", s.unsure))]
    words = [text % {"n": n, "percent": round(UNSURE_PROBABILITY * 100)} for n, text in counts if n]
    if not words:
        return ""
    return _("; of these: %(counts)s") % {"counts": pgettext("between names in a list", ", ").join(words)}


def other_sources_words(found):
    """"N rows' external ids were already imported under source S (e.g. id → number)", in the active language."""
    example_id, number = found.example
    return ngettext("%(n)d row's external id was already imported under source %(sources)s (e.g. %(id)s → "
                    "%(number)s)",
                    "%(n)d rows' external ids were already imported under source %(sources)s (e.g. %(id)s → "
                    "%(number)s)", found.rows) % {
        "n": found.rows, "id": example_id, "number": number,
        "sources": pgettext("between names in a list", ", ").join(found.sources)}


def check_other_sources(path, fmt, source, dry_run=False, duplicate=False):
    """The file's rows imported before under another source (OtherSources); a real run is refused when there are
    any, unless `duplicate` (--duplicate-other-source). A file that cannot be read is left to the run to refuse."""
    try:
        found = OtherSources.of(path, fmt, source)
    except F.FormatError:
        return OtherSources()
    if found.rows and not dry_run and not duplicate:
        raise ImportError_(_("%(path)s: %(found)s: import the same file with the same --source; to import them "
                             "once more as new tickets, add --duplicate-other-source")
                           % {"path": path, "found": other_sources_words(found)})
    return found


def closed_column(fmt):
    """The closing time's column as the file names it; when the file has none, the name its header's language
    would give it (a Chinese header's 办结时间, else closed_at)."""
    if "closed_at" in fmt.field_names or fmt.name != "csv":
        return fmt.field("closed_at")
    chinese = any(not name.isascii() for name in fmt.field_names.values())
    return F.CSV_CHINESE_NAMES["closed_at"][0] if chinese else "closed_at"


def open_report(path):
    """The report file opened for writing, readable and writable by its owner only (0600): it holds the rejected
    values, citizens' phone numbers among them. A file that was there is emptied and given that mode too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except PermissionError:  # another user's file we may write: its mode is theirs to set
        pass
    return open(fd, "w", encoding="utf-8-sig", newline="")


def check_input(path):
    """Refuse a path that is not a readable file, naming what it is."""
    p = Path(path)
    if p.is_dir():
        raise ImportError_(_("%(path)s: is a directory, not a file") % {"path": path})
    if not p.exists():
        raise ImportError_(_("%(path)s: no such file") % {"path": path})
    if not p.is_file():
        raise ImportError_(_("%(path)s: not a regular file") % {"path": path})


def check_report(path, given=True):
    """Make sure the report can be written before anything is read or written: its directory is created (as the
    run would) and must be writable; the report itself must not be a directory. `given`: named by --report (else
    the default path)."""
    problem = unwritable(path)
    if problem:
        raise ImportError_(_("%(report)s %(path)s: %(problem)s")
                           % {"report": _report_named(given), "path": path, "problem": problem})


def _report_named(given):
    """How a refusal names the report file: the option that gave it, else "the report"."""
    return "--report" if given else _("the report")


@dataclass
class Summary:
    """What a run did; `as_dict()` is the command's JSON last line."""

    path: str = ""
    format: str = ""
    source: str = ""
    report: str = ""
    database: str = ""
    processes: int = 1  # import processes, each over its part of the file (jiesu.importer.parallel)
    writers: int = 0  # connections that wrote batches at once (all processes')
    key_checks: str = ""  # how foreign keys were checked: "batch" or "row" (writer.choose_key_checks)
    key_checks_reason: str = ""  # why not per batch: a writer.KeyChecksReason (English; words() in a language)
    dry_run: bool = False
    read: int = 0
    imported: int = 0
    already: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)
    classified: Counter = field(default_factory=Counter)
    routing: Counter = field(default_factory=Counter)
    events: int = 0
    assignments: int = 0
    training_examples: int = 0  # imported closed with the source's category: the dispatch desk learns from them
    unsure: int = 0  # classified from the text with a probability below UNSURE_PROBABILITY (and kept)
    min_probability: float = MIN_PROBABILITY  # a classifier's category below it is not stored (note unsure_category)
    closed_column: str = "closed_at"  # the file's own name of the closing-time column (the summary names it)
    overdue: int = 0  # imported open and dispatched, already past the reply time limit
    overdue_since: datetime | None = None  # the earliest creation among those
    overdue_undispatched: int = 0  # imported open and left 待派单 (no unit to dispatch to), past the dispatch time limit
    no_place: Counter = field(default_factory=Counter)  # imported without a place, by why (messages.MISSING_PLACE)
    other_sources: OtherSources = field(default_factory=OtherSources)  # rows imported before under another source
    first_id: int | None = None
    last_id: int | None = None
    seconds: float = 0.0
    classifier: str = ""
    fast_classifier: bool = True
    timings: Counter = field(default_factory=Counter)  # seconds per stage (where the time goes)

    def as_dict(self):
        return {
            "file": self.path, "format": self.format, "source": self.source, "database": self.database,
            "processes": self.processes, "writers": self.writers, "key_checks": self.key_checks,
            "key_checks_reason": self.key_checks_reason, "dry_run": self.dry_run, "read": self.read,
            "imported": self.imported,
            "already_imported": self.already, "rejected": self.rejected,
            "reasons": dict(self.reasons.most_common()), "notes": dict(self.notes.most_common()),
            "states": dict(sorted(self.states.items())), "classified": dict(sorted(self.classified.items())),
            "routing": dict(self.routing.most_common()), "events": self.events, "assignments": self.assignments,
            "training_examples": self.training_examples, "unsure_category": self.unsure,
            "unsure_below": UNSURE_PROBABILITY, "min_probability": self.min_probability,
            "unclassified_unsure": self.notes["unsure_category"], "closed_column": self.closed_column,
            "overdue_open": self.overdue, "overdue_undispatched": self.overdue_undispatched,
            "no_place": dict(self.no_place.most_common()), "other_source": self.other_sources.as_dict(),
            "overdue_since": (timezone.localdate(self.overdue_since).isoformat()
                              if self.overdue_since is not None else None),
            "report": self.report, "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "tickets_per_s": round(self.imported / self.seconds, 1) if self.seconds else 0.0,
        }


# ─────────────────────────────────────────────────────────────── reference data


class Context:
    """Everything a batch needs, read once per run: reference data, classifier, calendar, memos."""

    def __init__(self, now):
        from jiesu.categories.models import TimeLimitClass
        from jiesu.demo.deadlines import FastClock
        from jiesu.dispatch.engine import default_classifier
        from jiesu.dispatch.router import reference
        from jiesu.workcal.services import current_calendar

        self.now = now
        self.ref = reference()
        table = self.ref.table
        self.table = table
        self.model = default_classifier(self.ref)
        self.classifier = BatchClassifier(self.model)
        self.model_version = getattr(self.model, "version", "") or type(self.model).__name__
        active = [c for c in table.categories.values() if c.active]
        parents = {c.parent_id for c in active}
        by_name = Counter(c.name for c in active)
        leaf_names = Counter(c.name for c in active if c.id not in parents)
        self.category_names = {c.name: c for c in active if c.id not in parents and leaf_names[c.name] == 1}
        unit_names = Counter(u.name for u in table.units.values())
        self.lookups = F.Lookups(
            categories_by_code={c.code: c for c in active},
            categories_by_name={c.name: c for c in active if by_name[c.name] == 1},
            units_by_code=table.by_code,
            units_by_name={u.name: u for u in table.units.values() if unit_names[u.name] == 1},
            now=now, tz=timezone.get_current_timezone(), bbox=settings.JIESU["CITY_BBOX"])
        self.limit_classes = {lc.id: lc for lc in TimeLimitClass.objects.all()}
        self.general = next((lc for lc in self.limit_classes.values() if lc.code == "general"), None)
        calendar = current_calendar()
        today = timezone.localdate(now)
        self.clock = FastClock(calendar, date(today.year - 10, 1, 1), today + timedelta(days=400))
        self.fraction = settings.JIESU["WARNING_FRACTION"]
        self.places, self.routes, self.limits, self.chains, self.plans = {}, {}, {}, {}, {}

    # -- categories

    def category_of_label(self, label):
        """A classifier label (a category code, or a unique leaf name) → active category, or None."""
        category = self.table.category_by_code.get(label)
        if category is None:
            category = self.category_names.get(label)
        return category if category is not None and category.active else None

    def limit_class(self, category):
        if category is None:
            return self.general
        found = self.limits.get(category.id)
        if found is None:
            node = category
            while node is not None and not node.time_limit_class_id:
                node = self.table.categories.get(node.parent_id)
            found = self.limit_classes.get(node.time_limit_class_id) if node is not None else None
            found = self.limits[category.id] = found or self.general
        return found

    def deadlines(self, start, limit_class, steps):
        """{step: due time} for a start, as add_limit on the working calendar; the calendar position of
        `start` is found once for all steps (FastClock.index), the clock is left only outside its window."""
        if limit_class is None:
            return dict.fromkeys(steps)
        clock, out, base = self.clock, {}, None
        for step, amount, unit, seconds in self._limit_plan(limit_class, steps):
            if seconds is None:
                out[step] = start + timedelta(hours=amount)
                continue
            if base is None:
                base = clock.index(start)
            moment = clock.moment(base + seconds) if base is not None and seconds > 0 else None
            out[step] = moment if moment is not None else clock.add(start, amount, unit)
        return out

    def _limit_plan(self, limit_class, steps):
        """[(step, amount, unit, working seconds, or None for clock hours)] of a time-limit class, kept."""
        key = (limit_class.id, steps)
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = []
            for step in steps:
                amount, unit = limit_class.limit(step)
                seconds = None if unit == "clock_hours" else self.clock.limit_seconds(amount, unit)
                plan.append((step, amount, unit, seconds))
        return plan

    # -- places and routes (memoised)

    def locate(self, row):
        """(place dict or None, confidence, source) for a row."""
        from jiesu.dispatch.locator import locate, locate_address

        if row.foreign:
            return None, 0.0, "foreign"
        if row.place_unit is not None:
            chain = self.chains.get(row.place_unit.id)
            if chain is None:
                chain = self.chains[row.place_unit.id] = self.table.place_chain(row.place_unit)
            return chain, 1.0, "file"
        if row.lon is not None:
            found = locate(row.address, row.lon, row.lat, "wgs84", ref=self.ref)
        else:
            text = row.address or row.classify_text()
            found = self.places.get(text)
            if found is None:
                if len(self.places) >= MEMO_LIMIT:
                    self.places.clear()
                if row.address:
                    found = locate_address(row.address, self.ref)
                else:
                    found = locate("", text=text, ref=self.ref)
                self.places[text] = found
        if found.unit is None:
            return None, 0.0, "none"
        return found.place(), found.confidence, found.source

    def barring(self, category, place, unit):
        """The negative-list duty that bars `unit` from `category` at `place` (RoutingTable.barring), or None; a row
        without a category has no entry to bar it."""
        return None if category is None else self.table.barring(category, place, unit)

    def route(self, category, place, confidence):
        """The router's best suggestion for a category at a place."""
        unit = None
        if place is not None:
            unit = place.get("grid") or place.get("community") or place.get("street") or place.get("district")
        key = (category.id, unit.id if unit is not None else None, confidence)
        found = self.routes.get(key)
        if found is None:
            if len(self.routes) >= MEMO_LIMIT:
                self.routes.clear()
            found = self.routes[key] = self.table.route(category, place, place_confidence=confidence)[0].worded()
        return found


# ─────────────────────────────────────────────────────────────── the rows written


#: the columns the importer fills per row, in the order `Importer._rows` gives them; the writer adds the
#: ticket's id and query code (and the events' and assignments' ticket id); every other column gets the
#: model's default (writer.Table)
TICKET_ROW = ("channel", "request_type", "title", "text", "address", "lon", "lat", "citizen_name", "citizen_phone",
              "anonymous", "category_id", "district_id", "street_id", "community_id", "grid_id", "place_source",
              "lead_unit_id",
              "state", "created_at", "dispatch_due", "reply_due", "dispatched_at", "replied_at", "closed_at",
              "reply_text", "warning_level", "next_check_at", "idempotency_key")
EVENT_ROW = ("at", "kind", "from_state", "to_state", "note", "payload")
ASSIGNMENT_ROW = ("unit_id", "role", "state", "dispatched_at", "sign_due", "contact_due", "reply_due", "replied_at",
                  "reply_text")
CLOSE_PAYLOAD = IMPORTED_PAYLOAD = '{"imported":true}'
#: Context.locate's source → Ticket.place_source (tickets.models.PlaceSource), as intake records it: a place code
#: of the file is a unit picked, as a call-taker's; a place found in the text is the address's kind (the dispatch
#: desk asks the engine again, which finds it in the text again); "foreign", "none": no place, ""
PLACE_SOURCE = {"file": "chosen", "coordinates": "coordinates", "address": "address", "text": "address"}


class Tables:
    """The three tables written (writer.Table: columns, encoding for this database)."""

    def __init__(self, vendor):
        from jiesu.tickets.models import Assignment, Ticket, TicketEvent

        stamp = timezone.now()
        self.moment = moment_encoder(vendor)
        self.ticket = Table(Ticket, vendor, ("id", "query_code"), TICKET_ROW, stamp)
        self.event = Table(TicketEvent, vendor, ("ticket_id",), EVENT_ROW, stamp)
        self.assignment = Table(Assignment, vendor, ("ticket_id",), ASSIGNMENT_ROW, stamp)


def _json(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ─────────────────────────────────────────────────────────────── one batch


class Prepared:
    """A good row with what classification, locating and routing decided."""

    __slots__ = ("row", "category", "probability", "place", "lead", "co", "copy_to", "mode", "explanation",
                 "state", "suggestion", "overdue", "place_source", "missing_place")


def classify(rows, ctx, min_probability=MIN_PROBABILITY):
    """Categories for rows without one: one classifier call for the whole batch; {id(row): probability}. A
    category below `min_probability` is not stored: the row gets the note unsure_category instead."""
    todo = [r for r in rows if r.category is None]
    if not todo:
        return {}
    tops = ctx.classifier.top([r.classify_text() for r in todo], k=3)
    out = {}
    for row, top in zip(todo, tops):
        for label, p in top:
            category = ctx.category_of_label(label)
            if category is not None:
                if p < min_probability:
                    row.note("unsure_category", f"{category.code} {category.name}（{p:.1%}）")
                else:
                    row.category, row.category_from = category, "classifier"
                    out[id(row)] = p
                break
    return out


def missing_place(row, source):
    """Why a row has no place (a code of messages.MISSING_PLACE), kept in its intake event for the ticket's page."""
    if source == "foreign":
        return "foreign"
    if row.lon is not None:
        return "coordinates"
    return "address" if row.address else "nothing"


def reword_unknown_place(row, outcome):
    """An unrecognised place code's note as the row turned out: located from its coordinates or address, from the
    text, or not at all (`outcome`: Context.locate's source, or missing_place's code)."""
    code = M.UNKNOWN_PLACE_OUTCOME.get(outcome, "unknown_place_unlocated")
    for i, (note, value) in enumerate(row.notes):
        if note == "unknown_place":
            row.notes[i] = (code, value)


def prepare(rows, ctx, probabilities):
    """Locate and route each row; decide its state."""
    out = []
    for row in rows:
        p = Prepared()
        p.row, p.category = row, row.category
        p.probability = probabilities.get(id(row))
        place, confidence, source = ctx.locate(row)
        p.place, p.place_source = place, PLACE_SOURCE.get(source, "")
        p.missing_place = missing_place(row, source) if place is None else ""
        if row.notes is not None:
            reword_unknown_place(row, p.missing_place or source)
        p.lead, p.co, p.copy_to, p.mode, p.explanation, p.suggestion = None, [], None, "none", "", None
        p.overdue = False  # open past its time limit (reply's, or dispatch's when left new): set where counted
        if row.category is not None:
            s = ctx.route(row.category, place, confidence)
            p.lead, p.co, p.copy_to, p.mode, p.explanation = s.lead, list(s.co), s.copy_to, s.mode, s.explanation
            p.suggestion = s  # the router's answer as it is (its dispatch payload is encoded once: Importer._dispatch)
        if row.lead_hint is not None and not row.closed and not row.reply:
            barring = ctx.barring(row.category, place, row.lead_hint)
            if barring is not None:  # an open row is dispatched now: never to a unit the negative list bars
                row.note("barred_unit", f"{row.lead_hint.name}（#{barring.id}）")
                row.lead_hint = None
        if row.lead_hint is not None:
            hint = row.lead_hint
            p.suggestion = None
            if p.lead is None or hint.id != p.lead.id:
                p.explanation = f"导入文件指定承办单位：{hint.name}" + (f"（派单目录建议：{p.explanation}）"
                                                                  if p.explanation else "")
                p.co = [u for u in p.co if u.id != hint.id]
                p.copy_to = hint.district if str(hint.kind) == "street" and hint.district_id else None
            p.lead, p.mode = hint, "file"
        handling = p.lead is not None and str(p.lead.kind) in HANDLING_KINDS
        if not handling:
            p.mode = "hotline" if p.lead is not None else "none"
            p.lead, p.co, p.copy_to = None, [], None
        if row.closed:
            p.state = "closed"
        elif row.reply:  # answered by a unit, awaiting the callback (已反馈待回访); None: no unit to have replied
            p.state = "replied" if handling else None
        else:
            p.state = "dispatched" if handling else "new"
        out.append(p)
    return out


def part_of(external_id, parts):
    """Which of `parts` parts of a file a row belongs to, from its external id alone: the same id is always in
    the same part (so a part finds its own duplicates), and the answer is the same in every process."""
    return zlib.crc32(external_id.encode("utf-8", "surrogatepass")) % parts


class Importer:
    """One run over a file, or over one part of it (`part=(k, n)`: the rows whose external id is in part k of
    n, see part_of; jiesu.importer.parallel runs the n parts in n processes). `on_tick(bytes_read, summary)` is
    called with the progress after each batch."""

    def __init__(self, path, fmt, source=None, report=None, batch_size=BATCH_SIZE, progress=False,
                 lang="zh-hans", dry_run=False, now=None, writers=None, part=None, on_tick=None, key_checks="auto",
                 min_probability=MIN_PROBABILITY, duplicate_other_source=False):
        self.path = str(path)
        self.format_name = fmt
        self.source = source
        self.batch_size = max(1, int(batch_size))
        if writers is None:  # measured best (docs/import.md): two for a whole file, one for each of its parts
            writers = WRITERS_ALONE if part is None else WRITERS
        self.writers = max(1, int(writers))
        self.key_checks = key_checks  # checked with the database's facts: writer.choose_key_checks
        self.collect_references = False  # each batch's referenced rows, for foreign keys checked per batch
        self.part = part
        self.on_tick = on_tick
        # A real run finds an external id repeated in a later batch in the database (the earlier line's ticket);
        # a dry run writes none, so it remembers every id of the run, on disk (jiesu.importer.seen), during run()
        self.dry_seen = None
        self.progress = progress
        self.lang = lang
        self.dry_run = dry_run
        self.now = now or timezone.now()
        self.report_path = Path(report) if report else default_report_path(self.path, self.now)
        self.report_given = bool(report)
        self.min_probability = float(min_probability)
        self.duplicate_other_source = duplicate_other_source
        if not 0.0 <= self.min_probability <= 1.0:
            raise ImportError_(_("--min-probability must lie between 0 and 1, not %(value)s")
                               % {"value": min_probability})
        self.summary = Summary(path=self.path, format=fmt, report=str(self.report_path), dry_run=dry_run,
                               database=connection.vendor, min_probability=self.min_probability)

    # -- the run

    def run(self):
        """Import the file; the Summary. Raises ImportError_ (cannot start, or the file turned unreadable part-way)
        or Interrupted (Ctrl-C: the batches in flight finished first)."""
        with translation.override(self.lang):  # the report's reasons and the refusals
            return self._run_in_language()

    def _run_in_language(self):
        started = time.perf_counter()
        check_input(self.path)
        check_report(self.report_path, self.report_given)
        try:
            reader = F.Reader(self.path)
        except F.FormatError as exc:
            raise ImportError_(_("%(path)s: %(problem)s") % {"path": self.path, "problem": exc.words(_)}) from None
        self.dry_seen = SeenIds() if self.dry_run else None
        try:
            self._run(reader)
        except F.FormatError as exc:  # the file turned unreadable part-way
            raise StoppedPartWay(exc.words(_), self.summary) from None
        finally:
            reader.close()
            if self.dry_seen is not None:
                self.dry_seen.close()
            self.summary.seconds = time.perf_counter() - started
        return self.summary

    def _run(self, reader):
        started = time.perf_counter()
        ctx = Context(self.now)
        if not ctx.lookups.categories_by_code:
            raise ImportError_(_("the category catalogue is empty: load the reference data first "
                                 "(`jiesu seed_reference`, or `jiesu setup` for the demo city)"))
        try:
            self.format = F.make_format(self.format_name, reader.header, ctx.lookups, self.source)
        except F.FormatError as exc:
            raise ImportError_(_("%(path)s: %(problem)s") % {"path": self.path, "problem": exc.words(_)}) from None
        if self.part is None:  # a part's parent checks the whole file (parallel.run_parallel)
            mark = time.perf_counter()
            self.summary.other_sources = check_other_sources(self.path, self.format_name, self.source, self.dry_run,
                                                             self.duplicate_other_source)
            self.summary.timings["other_sources"] += time.perf_counter() - mark
        self.ctx = ctx
        self.tables = Tables(connection.vendor)
        self._source_json = _js(self.format.source)
        self._model_json = _js(ctx.model_version)
        self._dispatch_json = {}
        self.summary.source = self.format.source
        self.summary.closed_column = closed_column(self.format)
        self.summary.classifier = ctx.model_version
        self.summary.fast_classifier = ctx.classifier.fast
        self.report_path.parent.mkdir(parents=True, exist_ok=True)
        writers = make_writers(connection, self.writers)
        try:
            mode, why = key_checks(writers, self.tables, self.key_checks)
        except ValueError as exc:
            for w in writers:
                w.close()
            raise ImportError_(words_of(exc, _)) from None
        self.collect_references = mode == "batch" and not self.dry_run
        writer = BackgroundWriter(writers, self.tables)
        self.summary.writers = writer.in_flight
        self.summary.key_checks, self.summary.key_checks_reason = mode, why
        self.summary.timings["start"] += time.perf_counter() - started
        try:
            try:
                fh = open_report(self.report_path)
            except OSError as exc:
                raise ImportError_(_("%(report)s %(path)s: cannot write it (%(why)s)")
                                   % {"report": _report_named(self.report_given), "path": self.report_path,
                                      "why": os_reason(exc, _)}) from None
            with quiet_gc(self.summary.timings), fh:
                self.report = csv.writer(fh)
                self.report.writerow(M.header())
                self._stream(reader, writer)
        finally:
            writer.close()
            for name, seconds in writer.timings.items():
                self.summary.timings[f"writer.{name}"] += seconds

    def _stream(self, reader, writer):
        """Batches through the pipeline: the next batch is prepared while the writer threads write the earlier.
        Bytes that are not text part-way (F.FormatError): the rows before them are written, then it is raised.
        An interrupt (KeyboardInterrupt): the batches handed to the writers are finished and counted (a batch
        is one transaction), the rows read since are dropped, and Interrupted is raised with the summary."""
        timings, clock = self.summary.timings, time.perf_counter
        bar = progress_bar(self.path, reader.size, self.progress)
        pending, batch, done = deque(), [], 0
        read = self.format.read
        stopped = None
        try:
            mark = clock()
            try:
                for line, values in self._own(reader):
                    batch.append(read(line, values))
                    if len(batch) >= self.batch_size:
                        timings["read_check"] += clock() - mark
                        self._advance(writer, pending, self._stage(batch))
                        batch = []
                        done = self._tick(bar, reader, done)
                        mark = clock()
            except F.FormatError as exc:
                stopped = exc
            timings["read_check"] += clock() - mark
            if batch:
                self._advance(writer, pending, self._stage(batch))
            while pending:
                self._finish_oldest(pending)
        except KeyboardInterrupt:
            with ignoring_interrupts():  # the batches in flight are finished and counted: a few seconds at most
                while pending:
                    self._finish_oldest(pending)
                bar.close()
            raise Interrupted(self.summary) from None
        self._tick(bar, reader, done)
        bar.close()
        if stopped is not None:
            raise stopped

    def _own(self, reader):
        """The rows of this run's part of the file (every row when the file is not split)."""
        if self.part is None:
            return reader
        k, n = self.part
        external_id = self.format.checked_id  # every part stops at an id in scientific notation, as alone
        return ((line, values) for line, values in reader if part_of(external_id(line, values), n) == k)

    def _advance(self, writer, pending, staged):
        """Hand a staged batch to the writer, then take the oldest batch's result once more are submitted than
        the writer writes at once: while the next batch is staged, every writer has one. Results are taken in
        the order of the file, and a batch sharing an external id with one still being written waits for it,
        so that its check finds the earlier line's ticket, as with one writer."""
        batch, prepared, refused = staged
        keys = set(batch.keys)
        if any(not keys.isdisjoint(earlier) for _future, _prepared, _refused, earlier in pending):
            while pending:
                self._finish_oldest(pending)
        with held_interrupts():  # a batch submitted is a batch pending: it is finished and counted
            pending.append((writer.submit(batch), prepared, refused, keys))
        if len(pending) > writer.in_flight:
            self._finish_oldest(pending)

    def _finish_oldest(self, pending):
        future, prepared, refused, _keys = pending[0]
        mark = time.perf_counter()
        wait((future,))  # interrupted while waiting, the batch stays pending: it is finished after the interrupt
        self.summary.timings["wait_writer"] += time.perf_counter() - mark
        with held_interrupts():  # a batch taken off the queue is counted and reported whole
            pending.popleft()
            self._finish(future, prepared, refused)

    def _tick(self, bar, reader, done):
        now = reader.bytes_read
        bar.update(now - done)
        s = self.summary
        bar.set_postfix_str(progress_counts(s.dry_run, s.imported, s.already, s.rejected), refresh=False)
        if self.on_tick is not None:
            self.on_tick(now, s)
        return now

    # -- one batch

    def _stage(self, items):
        """Check, classify, locate, route and encode a batch: (writer.Batch, prepared rows, refused rows)."""
        s = self.summary
        s.read += len(items)
        good, refused = [], []
        first_line = {}  # this batch's ids; the earlier batches' are the database's, or a dry run's SeenIds
        timings, clock = s.timings, time.perf_counter
        earlier = None
        if self.dry_run:
            mark = clock()
            earlier = self.dry_seen.lines_of(item.key for item in items if not isinstance(item, F.Rejected))
            timings["dry_run_ids"] += clock() - mark
        for item in items:
            if isinstance(item, F.Rejected):
                refused.append(item)
                continue
            seen = first_line.get(item.key)
            if seen is None and earlier is not None:
                seen = earlier.get(item.key)
            if seen is not None:
                refused.append(F.Rejected(item.line, item.external_id,
                                          [("external_id", "duplicate_in_file", {"line": seen}, item.external_id)]))
                continue
            first_line[item.key] = item.line
            good.append(item)
        if self.dry_run:
            mark = clock()
            self.dry_seen.add(first_line)
            timings["dry_run_ids"] += clock() - mark
        mark = clock()
        probabilities = classify(good, self.ctx, self.min_probability)
        timings["classify"] += clock() - mark
        mark = clock()
        prepared = prepare(good, self.ctx, probabilities)
        if any(p.state is None for p in prepared):  # a reply on an open row that no handling unit can have given
            refused.extend(F.Rejected(p.row.line, p.row.external_id, [
                ("unit", "reply_without_unit", None, p.row.lead_hint.name if p.row.lead_hint is not None else "")])
                for p in prepared if p.state is None)
            prepared = [p for p in prepared if p.state is not None]
        timings["locate_route"] += clock() - mark
        mark = clock()
        batch = Batch(dry_run=self.dry_run)
        if self.dry_run:
            for p in prepared:
                if p.state in ("dispatched", "new"):
                    p.overdue = self._overdue(p)
                batch.add(p.row.key, None, (), ())
        else:
            references = batch.references if self.collect_references else None
            for p in prepared:
                batch.add(p.row.key, *self._rows(p, references))
        timings["build_rows"] += clock() - mark
        return batch, prepared, refused

    def _finish(self, future, prepared, refused):
        """Take the writer's result for a batch: counts, ids, the report lines."""
        s, clock = self.summary, time.perf_counter
        try:
            written = future.result()
        except MissingReference as exc:
            raise ImportError_(_("%(path)s: a batch was not written, it refers to a row deleted during the import "
                                 "(%(why)s); the batches before it are written, and a re-run continues from there")
                               % {"path": self.path, "why": exc.words(_)}) from None
        mark = clock()
        already = {}
        for key, (pk, created) in written.already.items():
            number = f"{timezone.localtime(created):%Y%m%d}-{pk:07d}"
            already[key] = (number, s.first_id is not None and pk >= s.first_id)
        imported_rows = [p for p in prepared if p.row.key not in already] if already else prepared
        noted, unplaced = [], []
        for p in imported_rows:
            row = p.row
            if p.missing_place:
                s.no_place[p.missing_place] += 1
                if p.missing_place != "foreign":
                    unplaced.append(p)
            s.states[p.state] += 1
            s.classified[row.category_from or "none"] += 1
            if row.category_from == "file" and p.state == "closed":
                s.training_examples += 1
            s.routing[p.mode] += 1
            if row.notes:
                noted.append(row)
                for code, _value in row.notes:
                    s.notes[code] += 1
            if row.category_from == "classifier" and p.probability < UNSURE_PROBABILITY:
                s.unsure += 1
            if p.overdue and p.state == "new":
                s.overdue_undispatched += 1
            elif p.overdue:
                s.overdue += 1
                if s.overdue_since is None or row.created_at < s.overdue_since:
                    s.overdue_since = row.created_at
        s.imported += len(imported_rows)
        s.events += written.events
        s.assignments += written.assignments
        if written.ids:
            s.first_id = written.ids[0] if s.first_id is None else min(s.first_id, written.ids[0])
            s.last_id = written.ids[-1] if s.last_id is None else max(s.last_id, written.ids[-1])
        self._report(refused, [(p.row, already[p.row.key]) for p in prepared if p.row.key in already], noted,
                     unplaced)
        s.timings["report"] += clock() - mark

    def _report(self, refused, already, noted=(), unplaced=()):
        """The report's lines of a batch, in line order: its refused rows, its rows already imported, its
        imported rows with a note (a value replaced: result None), each note on a line of its own, and its rows
        imported without a place (prepared rows; a 311 file's foreign ones are only counted)."""
        s = self.summary
        lines = []
        for r in refused:
            s.rejected += 1
            for field_name, code, params, value in r.errors:
                s.reasons[code] += 1
                lines.append((r.line, r.external_id, True, self.format.field(field_name), M.text(code, params), value))
        for row, (number, this_run) in already:
            # imported by this very run: a repeated external id further down the file, so a rejection
            code = "duplicate_in_run" if this_run else "already_imported"
            if this_run:
                s.rejected += 1
            else:
                s.already += 1
            s.reasons[code] += 1
            lines.append((row.line, row.external_id, this_run, self.format.field("external_id"),
                          M.text(code, {"number": number}), row.external_id))
        for row in noted:
            for code, value in row.notes:
                params = {"v": value, "district": row.place_unit.name if row.place_unit is not None else ""}
                lines.append((row.line, row.external_id, None, self.format.field(M.NOTE_FIELDS.get(code, code)),
                              M.text(code, params), value))
        for p in unplaced:
            row, field_name = p.row, M.MISSING_PLACE_FIELDS[p.missing_place]
            value = {"address": row.address, "lon": f"{row.lon}, {row.lat}" if row.lon is not None else ""}
            lines.append((row.line, row.external_id, "unplaced", self.format.field(field_name),
                          M.no_place_line(p.missing_place), value.get(field_name, "")))
        lines.sort(key=lambda item: item[0])
        self.report.writerows((line, ext, M.result_label(rej, self.dry_run), fld, reason, value)
                              for line, ext, rej, fld, reason, value in lines)

    # -- the rows of one ticket

    def _rows(self, p, references=None):
        """(encoded ticket row, encoded event rows, encoded assignment rows) for one prepared row; the rows it
        refers to are added to `references` when given (foreign keys checked per batch)."""
        ctx, t, row = self.ctx, self.tables, p.row
        category, lead, created = p.category, p.lead, row.created_at
        limit = ctx.limit_class(category)
        due = ctx.deadlines(created, limit, STEPS if lead is not None else ("dispatch",))
        closed, replied = p.state == "closed", p.state == "replied"
        dispatched_at = created if lead is not None else None
        replied_at = (row.replied_at or row.closed_at) if closed and lead is not None else row.replied_at
        place = p.place
        if place is not None:
            get = place.get
            district, street, community, grid = get("district"), get("street"), get("community"), get("grid")
            district = district.id if district is not None else None
            street = street.id if street is not None else None
            community = community.id if community is not None else None
            grid = grid.id if grid is not None else None
        else:
            district = street = community = grid = None
        warning, next_check = 0, None
        if not closed and not replied:  # replied: no deadline runs until the callback (as tickets.services.reply)
            warning, next_check = self._deadline_state(p.state, created, due["dispatch"], dispatched_at,
                                                       due.get("reply"), limit)
            p.overdue = warning == 2
        # each moment encoded once: the ticket, its events and assignments share them
        moment = t.moment
        created_s, closed_s = moment(created), moment(row.closed_at) if closed else None
        reply_due_s = moment(due.get("reply"))
        replied_s = moment(replied_at)
        values = (
            row.channel, row.request_type or (category.request_type if category is not None else "complaint"),
            row.title, row.text, row.address, row.lon, row.lat, row.citizen_name, row.citizen_phone, row.anonymous,
            category.id if category is not None else None, district, street, community, grid, p.place_source,
            lead.id if lead is not None else None, p.state, created_s, moment(due["dispatch"]), reply_due_s,
            created_s if lead is not None else None, replied_s, closed_s, row.reply, warning,
            moment(next_check), row.key)
        if references is not None:
            t.ticket.refer(values, references)
        ticket = t.ticket.encode(values)
        encode_event = t.event.encode
        events = [encode_event((created_s, "intake", "", "new", "", self._intake_payload(p)))]
        if lead is not None:
            events.append(encode_event((created_s, "dispatch", "new", "dispatched", "", self._dispatch(p))))
        if closed:
            events.append(encode_event((closed_s, "close", "dispatched" if lead is not None else "new",
                                        "closed", row.reply, CLOSE_PAYLOAD)))
        elif replied:
            events.append(encode_event((replied_s, "reply", "dispatched", "replied", row.reply, IMPORTED_PAYLOAD)))
        assignments = ()
        if lead is not None:
            assignments = self._assignments(p, created_s, (moment(due["sign"]), moment(due["contact"]), reply_due_s),
                                            closed or replied, replied_s, references, "replied" if replied else "done")
        return ticket, events, assignments

    def _overdue(self, p):
        """Whether an open row is past its time limit now: a dispatched one its reply's, a new one its dispatch's
        (a dry run's answer; a real run's is the warning level it writes, _deadline_state)."""
        ctx = self.ctx
        step = "reply" if p.state == "dispatched" else "dispatch"
        due = ctx.deadlines(p.row.created_at, ctx.limit_class(p.category), (step,))[step]
        return due is not None and self.now >= due

    def _deadline_state(self, state, created, dispatch_due, dispatched_at, reply_due, limit_class):
        """(warning level, next check) of an open ticket as of now (as the deadline worker would have it): the
        "approaching" point counted the way the running limit does (workcal.worktime.warning_point), found only
        while it is still to come (an open row already past its due time, most of an old file's, needs none)."""
        from jiesu.workcal.worktime import warning_point

        step, start, due_at = ("dispatch", created, dispatch_due) if state == "new" else \
            ("reply", dispatched_at, reply_due)
        if due_at is None:
            return 0, None
        if self.now >= due_at:
            return 2, None
        unit = limit_class.limit(step)[1] if limit_class is not None else "working_days"
        point = warning_point(self.ctx.clock, start, due_at, self.ctx.fraction, unit)  # FastClock: one bisection
        return (1, due_at) if self.now >= point else (0, point)

    def _intake_payload(self, p):
        """The intake event's payload as JSON text, written directly (the same as json.dumps of the dict)."""
        row = p.row
        category = _js(p.category.code) if p.category is not None else "null"
        how = _js(row.category_from) if row.category_from else "null"
        parts = [f'{{"channel":{_js(row.channel)},"category":{category},"classified_by":{how},'
                 f'"import":{{"source":{self._source_json},"id":{_js(row.external_id)},"line":{row.line}}}']
        if row.category_from == "classifier":
            parts.append(f',"model":{self._model_json},"probability":{round(p.probability, 4)!r}')  # JSON's own
        if row.extra:
            parts.append(',"source_fields":' + _json(row.extra))
        if row.notes:
            parts.append(',"notes":' + _json([[code, value] for code, value in row.notes]))
        if p.missing_place:
            parts.append(f',"no_place":{_js(p.missing_place)}')
        parts.append("}")
        return "".join(parts)

    def _dispatch(self, p):
        """The dispatch event's payload as JSON text, written directly; the same router answer is encoded once."""
        s = p.suggestion
        if s is not None:
            cached = self._dispatch_json.get(id(s))
            if cached is not None and cached[0] is s:
                return cached[1]
        category = _js(p.category.code) if p.category is not None else "null"
        text = (f'{{"lead":{_js(p.lead.name)},"lead_id":{p.lead.id},"co":[{",".join(_js(u.name) for u in p.co)}],'
                f'"category":{category},"explanation":{_js(p.explanation)},"mode":{_js(p.mode)},"imported":true}}')
        if s is not None:
            if len(self._dispatch_json) >= DISPATCH_MEMO_LIMIT:
                self._dispatch_json.clear()
            self._dispatch_json[id(s)] = (s, text)  # the answer is kept alive with its text: its id stays its own
        return text

    def _assignments(self, p, start, deadlines, handled, replied_at, references, lead_state="done"):
        """Lead, co units and the district's copy of a street dispatch (as tickets.services._assign); the
        moments (start, (sign, contact, reply due), replied_at) come encoded for the database. Handled (closed or
        replied in the source): the lead's assignment is `lead_state` with the reply, the others are done (the
        source does not record the co units' steps); else all are pending."""
        units = [(p.lead, "lead")] + [(u, "co") for u in p.co]
        if p.copy_to is None and str(p.lead.kind) == "street" and p.lead.district_id:
            p.copy_to = self.ctx.table.units.get(p.lead.district_id)
        if p.copy_to is not None and p.copy_to.id not in {u.id for u, _ in units}:
            units.append((p.copy_to, "copy"))
        state = "done" if handled else "pending"
        sign, contact, reply = deadlines
        table = self.tables.assignment
        out = []
        for unit, role in units:
            lead_handled = handled and role == "lead"
            values = (unit.id, role, lead_state if lead_handled else state, start, sign, contact, reply,
                      replied_at if lead_handled else None, p.row.reply if lead_handled else "")
            if references is not None:
                table.refer(values, references)
            out.append(table.encode(values))
        return out


class ignoring_interrupts:
    """SIGINT ignored inside (in the main thread; elsewhere a no-op): a second Ctrl-C does not break off the
    finishing of the batches in flight."""

    def __enter__(self):
        self.before = None
        if threading.current_thread() is threading.main_thread():
            self.before = signal.signal(signal.SIGINT, signal.SIG_IGN)
        return self

    def __exit__(self, *exc):
        if self.before is not None:
            signal.signal(signal.SIGINT, self.before)


#: The word of parallel.py's parent to a child process to stop as after Ctrl-C (the children ignore SIGINT itself).
CHILD_STOP = signal.SIGUSR1


class held_interrupts:
    """An interrupt that arrives inside (SIGINT, or CHILD_STOP in a child: the signals that raise
    KeyboardInterrupt) is raised when the block is done, not part-way through it. In the main thread; elsewhere
    a no-op."""

    def __enter__(self):
        self.before, self.caught = {}, False
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, CHILD_STOP):
                if underlying(signal.getsignal(signum)) is signal.default_int_handler:
                    self.before[signum] = signal.signal(signum, self._note)
        return self

    def _note(self, signum, frame):
        self.caught = True

    def __exit__(self, exc_type, exc, tb):
        for signum, handler in self.before.items():
            signal.signal(signum, handler)
        if self.caught and exc_type is None:
            raise KeyboardInterrupt


def progress_bar(path, size, shown):
    """The run's progress bar over the file's bytes (on stderr; a no-op when not shown)."""
    from tqdm import tqdm

    return tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=Path(path).name, disable=not shown,
                dynamic_ncols=True, mininterval=0.5)


def progress_counts(dry_run, imported, already=None, rejected=None) -> str:
    """The counts after the progress bar's figures, in the active language; `already` and `rejected` together
    or not at all (the parallel import's parent counts the imported rows only)."""
    figures = {"imported": imported, "already": already, "rejected": rejected}
    if already is None:
        return (_("would import %(imported)d") if dry_run else _("imported %(imported)d")) % figures
    return (_("would import %(imported)d, already imported %(already)d, rejected %(rejected)d") if dry_run else
            _("imported %(imported)d, already imported %(already)d, rejected %(rejected)d")) % figures


def default_report_path(path, now):
    """var/imports/<file name>-<time>.rejected.csv"""
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "imports" / f"{Path(path).stem}-{stamp}.rejected.csv"


def run_import(path, fmt="csv", processes=None, **options) -> Summary:
    """Import one file (see Importer for the options); returns the Summary. With `processes` > 1 on PostgreSQL
    (outside a caller's transaction) the file is split over that many processes (jiesu.importer.parallel; default
    PROCESSES); elsewhere one process runs."""
    from jiesu.importer import parallel

    processes = parallel.PROCESSES if processes is None else processes
    if processes > 1 and parallel.can_split(connection):
        return parallel.run_parallel(path, fmt, processes, **options)
    return Importer(path, fmt, **options).run()
