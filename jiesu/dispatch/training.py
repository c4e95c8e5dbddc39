"""Training data from the platform's own closed tickets: the dispatcher-confirmed category is the label.

    from jiesu.dispatch import training

    examples = training.confirmed_examples(since=date(2026, 1, 1))   # [Example(title, text, label, ticket_id)]
    model = classifier.train_from_tickets(training.pairs(examples))  # labels are category codes
    n = training.write_csv("var/training.csv", examples)             # columns title, text, category

`jiesu dispatch_training FILE` writes that CSV, which trains a model with
`jiesu dispatch train --from-csv FILE --text title,text --label category --out var/models/trial.npz`
to try it; the desk's own file (settings.JIESU["DISPATCH_MODEL"], i.e. JIESU_DISPATCH_MODEL) is written only by
`jiesu dispatch retrain` (judged, the replaced model kept, the run recorded: `retrain` below) and `rollback`.

A closed ticket is an example when a person dispatched it (a `dispatch` event
by someone other than the auto-dispatch `system` user), or chose its unit or
category after the fact: an arbitration that upheld a return with a new lead
unit, or corrected the category (退单审核), and a category corrected later
(`recategorize`, 更正类别). The category it was closed with is then the one a
person confirmed (the arbitrator's or the corrector's choice, when theirs was
the last word). So is a historical ticket imported with the
category its source system recorded (`jiesu import`, a `category` column: its
intake event says `classified_by: file`), so that a city's years of history
teach the desk from its first day. Left out: tickets closed as special class
(never dispatched), merged duplicates (their parent is the example), tickets
only ever auto-dispatched, or imported with the classifier's category (the
model would learn from itself), and inactive categories. The text is the
engine's (services.ticket_text), so the model is trained on what it will be
asked.
"""
from __future__ import annotations

import csv
import math
import shutil
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiesu.core.worded import WordedError, english, words_of

HOLDOUT = 1000  # retrain: the newest tickets the current and the new model are judged on
MIN_HOLDOUT = 20  # fewer unseen tickets than this judge nothing
SURE_HOLDOUT = 200  # fewer than this: the judgement says its margin of error (95 %) and whether the gap is within it
Z95 = 1.96  # a normal distribution's 95 % half-width in standard errors
SHOWN_LOW = 0.10  # a right first suggestion shown under this confidence is one the desk teaches to distrust
MOST_SHOWN_LOW = 0.05  # a new model showing more of its right first suggestions under SHOWN_LOW is refused…
MOST_ECE = 0.10  # …and so is one whose calibration error is above this; unless the current model does as badly

COLUMNS = ("title", "text", "category")


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    label: str          # category code
    ticket_id: int
    closed_at: datetime | None = None

    @property
    def joined(self):
        from jiesu.dispatch.services import ticket_text

        return ticket_text(self.title, self.text)


def confirmed_tickets(since=None, until=None):
    """Closed tickets whose category a person confirmed: by dispatching them, re-dispatching or re-filing them in
    an arbitration, correcting their category, or in the source system of an import (see the module docstring)."""
    from jiesu.dispatch.services import SYSTEM_USERNAME
    from jiesu.tickets.models import CloseReason, State, Ticket, TicketEvent

    by_person = (TicketEvent.objects.filter(ticket=OuterRef("pk"), actor__isnull=False)
                 .filter(Q(kind__in=("dispatch", "recategorize")) | Q(kind="arbitrate", payload__upheld=True)
                         & ~Q(payload__new_lead=None) | Q(kind="arbitrate", payload__has_key="category_to"))
                 .exclude(actor__username=SYSTEM_USERNAME))
    imported_with_its_category = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind="intake",
                                                            payload__classified_by="file")
    qs = (Ticket.objects.filter(state=State.CLOSED, category__isnull=False, category__active=True,
                                parent__isnull=True)
          .exclude(close_reason=CloseReason.SPECIAL).filter(Exists(by_person) | Exists(imported_with_its_category)))
    if since is not None:
        qs = qs.filter(closed_at__gte=since)
    if until is not None:
        qs = qs.filter(closed_at__lt=until)
    return qs


def confirmed_examples(since=None, until=None, limit=None, budget=None, floor=10, newest=0):
    """[Example] of confirmed_tickets, oldest closing first (`limit`: the newest that many).

    `budget`: when there are more tickets than that, read only the newest share of each category that fits it,
    and at least `floor` of each (classifier.share_of_counts), plus the newest `newest` tickets of all: what
    a model of many categories trains on anyway (its kernel's rows are bounded, ClassifierConfig.kernel_max_rows),
    so that a city's years of tickets (Beijing: 24 million a year) are never all read into memory.
    """
    qs = confirmed_tickets(since, until)
    if budget:
        qs = _newest_share(qs, budget, floor, newest)
    qs = qs.order_by("-closed_at", "-id")
    if limit:
        qs = qs[:limit]
    rows = qs.values_list("id", "title", "text", "category__code", "closed_at").iterator(chunk_size=5000)
    out = [Example(title or "", text or "", code, pk, closed) for pk, title, text, code, closed in rows]
    out.reverse()
    return out


def read_budget(config):
    """How many tickets confirmed_examples reads for a model of `config`: twice its kernel's rows (body passages
    make a ticket more than one row, and the classifier samples again), or None (no bound: the classifier
    keeps every example, or its own max_per_class)."""
    if config.model != "ridge" or config.kernel_max_rows <= 0 or config.max_per_class is not None:
        return None
    return 2 * config.kernel_max_rows


def _newest_share(qs, budget, floor, newest):
    """The tickets of `qs` within the newest share of each category that fits `budget`, or the newest `newest`
    of all; `qs` itself when all of it fits or when there are too few categories for the classifier to sample
    (ridge.MIN_CLASSES). Two queries: the counts per category, then a window."""
    from django.db.models import Count, F, FloatField, Value, Window
    from django.db.models.functions import Ceil, Greatest, RowNumber

    from jiesu.dispatch.classifier import share_of_counts
    from jiesu.dispatch.ridge import MIN_CLASSES

    counts = dict(qs.order_by().values_list("category_id").annotate(n=Count("id")).values_list("category_id", "n"))
    if sum(counts.values()) <= budget or len(counts) < MIN_CLASSES:
        return qs
    share = share_of_counts(counts, budget, floor)
    newest_first = [F("closed_at").desc(), F("id").desc()]
    ranked = qs.annotate(in_category=Window(RowNumber(), partition_by=[F("category_id")], order_by=newest_first),
                         of_category=Window(Count("id"), partition_by=[F("category_id")]),
                         overall=Window(RowNumber(), order_by=newest_first))
    quota = Greatest(Value(float(floor)), Ceil(Value(share) * F("of_category"), output_field=FloatField()),
                     output_field=FloatField())  # quota_of_share in SQL (capped by the category's count itself)
    return ranked.filter(Q(in_category__lte=quota) | Q(overall__lte=newest))


def texts_and_labels(examples):
    """(texts, labels) as TextClassifier.fit takes them."""
    return [e.joined for e in examples], [e.label for e in examples]


def pairs(examples):
    """[(text, label)] as classifier.train_from_tickets takes them."""
    return [(e.joined, e.label) for e in examples]


def write_csv(path, examples):
    """The examples as UTF-8 CSV (title, text, category); the title is left empty when the text repeats it,
    so that `--text title,text` joins them exactly as services.ticket_text does. Returns the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for e in examples:
            title, text = e.title.strip(), e.text.strip()
            if title and text.startswith(title):
                title = ""
            out.writerow((title, text, e.label))
            n += 1
    return n


# ── retraining: a new model replaces the current one only if it is not worse on tickets neither has seen ──

@dataclass
class Judgement:
    """How a model did on held-out tickets: the dispatcher-confirmed category first, or among the first three;
    how far the confidence it shows is from the share right (`ece`), and the share of its right first
    suggestions it shows under SHOWN_LOW (`shown_low`)."""

    model_version: str
    accuracy: float
    top3: float
    macro_f1: float
    ece: float | None = None
    shown_low: float | None = None
    right: tuple = field(default=(), repr=False, compare=False)  # per ticket, for the paired margin; not stored

    def miscalibrated(self, current):
        """Whether the confidence this model shows breaks a limit (MOST_ECE, MOST_SHOWN_LOW) that `current`'s
        keeps, or breaks it further."""
        return any(mine is not None and mine > most and (theirs is None or mine > theirs)
                   for mine, theirs, most in ((self.ece, current.ece, MOST_ECE),
                                              (self.shown_low, current.shown_low, MOST_SHOWN_LOW)))


@dataclass
class Retraining:
    promoted: bool
    reason: str
    candidate: Judgement | None  # None: replaced unjudged (--force with no ticket to judge on)
    current: Judgement | None
    n_train: int
    n_holdout: int
    path: str
    previous: str | None = None  # where the replaced model was kept
    kept_aside: str = ""  # where the replaced file that could not be read was kept instead (aside_path)
    model_version: str = ""  # of the model now at `path`, when replaced
    # what `reason` says, for the pages to word (retrain_reason.html, retrain_outcome.html): "unjudged" (--force
    # with no ticket to judge on), "worse" (--force although worse) or "miscalibrated" (--force although the
    # confidence it shows misleads); the model at `path` could not be read
    forced: str = ""
    kept: str = ""  # why the current model stays: "worse" (first suggestions) or "miscalibrated" (its confidence)
    margin: float | None = None  # on fewer than SURE_HOLDOUT tickets: the 95 % margin of the accuracies' gap
    # (of the new model's accuracy itself when there is no current model to compare with)
    interval: tuple | None = None  # on fewer than SURE_HOLDOUT tickets: the new model's accuracy's 95 % interval
    within_margin: bool = False  # the gap is within it: neither model is shown better
    unreadable_current: bool = False
    unreadable_error: BaseException | None = field(default=None, repr=False, compare=False)  # why, not in as_dict

    def as_dict(self):
        """The command's JSON line and the run's stored result."""
        found = asdict(replace(self, unreadable_error=None))
        del found["unreadable_error"]
        for judged in (found["candidate"], found["current"]):
            if judged:
                del judged["right"]
        return found

    def reason_words(self, translate=english):
        """`reason` in the language of `translate` (gettext; by default English, as `reason` is stored and said in
        the JSON line: the pages word the result's codes, retrain_outcome.html)."""
        figures = {"n": self.n_holdout, "new": self._new_accuracy_words(translate), "current": _percent(self.current),
                   "error": "" if self.unreadable_error is None else words_of(self.unreadable_error, translate),
                   **_calibration_figures(self.candidate, "new"), **_calibration_figures(self.current, "current"),
                   "margin": "" if self.margin is None else f"{self.margin * 100:.1f}"}
        if self.kept == "miscalibrated":
            return translate(gettext_noop(
                "the confidence the new model shows misleads on the newest %(n)d tickets (calibration error "
                "%(new_ece)s, the current model's %(current_ece)s; right first suggestions shown under 10 %%: "
                "%(new_low)s, the current model's %(current_low)s): the current model stays")) % figures
        if not self.promoted:
            return translate(gettext_noop(
                "the new model's first suggestion is right for %(new)s of the newest %(n)d tickets, the current "
                "model's for %(current)s: the current model stays")) % figures + self._margin_words(translate)
        said = [gettext_noop("the current model could not be read (%(error)s); ")] if self.unreadable_current else []
        if self.candidate is None:
            said.append(gettext_noop("replaced unjudged (--force)"))
        elif self.current is None:
            said.append(gettext_noop("right first for %(new)s of the newest %(n)d tickets"))
        else:
            said.append(gettext_noop("right first for %(new)s of the newest %(n)d tickets (the current model: "
                                     "%(current)s)"))
        forced = {"worse": gettext_noop(", replaced although worse (--force)"),
                  "miscalibrated": gettext_noop(", replaced although the confidence it shows misleads (--force)")}
        return ("".join(translate(part) % figures for part in said) + self._margin_words(translate)
                + (translate(forced[self.forced]) if self.forced in forced else ""))

    def _new_accuracy_words(self, translate):
        """The new model's share right, with its 95 % interval on fewer than SURE_HOLDOUT tickets: 73.1 % on 26
        tickets is anything from 54 to 86 %."""
        if self.interval is None:
            return _percent(self.candidate)
        low, high = self.interval
        return translate(gettext_noop("%(accuracy)s (95%% interval %(low)s–%(high)s%%)")) % {
            "accuracy": _percent(self.candidate), "low": f"{low * 100:.0f}", "high": f"{high * 100:.0f}"}

    def _margin_words(self, translate):
        """On fewer than SURE_HOLDOUT tickets, with a current model judged: the margin of error of the gap between
        the two models' accuracies (not of either accuracy: that is the interval), and that the gap is within it."""
        if self.margin is None or self.current is None:
            return ""
        figures = {"margin": f"{self.margin * 100:.1f}", "n": self.n_holdout}
        if self.within_margin:
            return translate(gettext_noop(
                " (on %(n)d tickets the margin of error of the gap between the two models' accuracies (95%%) is "
                "±%(margin)s points: the gap is within it, neither model is shown better)")) % figures
        return translate(gettext_noop(" (on %(n)d tickets the margin of error of the gap between the two models' "
                                      "accuracies (95%%) is ±%(margin)s points)")) % figures


def _percent(judgement):
    return "" if judgement is None else f"{judgement.accuracy:.1%}"


def _calibration_figures(judgement, prefix):
    """{prefix_ece, prefix_low}: a judgement's calibration error and share of right first suggestions shown low,
    as the reason says them ("—" when not measured)."""
    ece = judgement and judgement.ece
    low = judgement and judgement.shown_low
    return {f"{prefix}_ece": "—" if ece is None else f"{ece:.3f}", f"{prefix}_low": "—" if low is None else f"{low:.1%}"}


def judge(model, examples):
    """Judgement of `model` (anything with predict_proba_top) on `examples`: its first suggestions and, when it
    gives probabilities, the confidence it shows for them (as the desk shows it)."""
    from jiesu.dispatch.classifier import calibration_error
    from jiesu.dispatch.evaluation import score

    labels = [e.label for e in examples]
    found = [model.predict_proba_top(e.joined, k=3) for e in examples]
    tops = [[label for label, _p in top] for top in found]
    scores = score(labels, [top[0] if top else "" for top in tops])
    in_top3 = sum(label in top for label, top in zip(labels, tops)) / len(labels)
    right = tuple(bool(top) and top[0] == label for label, top in zip(labels, tops))
    shown = [top[0][1] if top else 0.0 for top in found]
    right_shown_low = [p < SHOWN_LOW for p, ok in zip(shown, right) if ok]
    version = getattr(model, "version", "") or ""
    return Judgement(version, round(scores.accuracy, 4), round(in_top3, 4), round(scores.macro_f1, 4),
                     ece=round(calibration_error(shown, right), 4),
                     shown_low=round(sum(right_shown_low) / len(right_shown_low), 4) if right_shown_low else 0.0,
                     right=right)


def accuracy_margin(candidate, current=None):
    """The 95 % margin of error of the candidate's share right (Wilson's interval, half its width) or, with the
    current model judged on the same tickets, of the gap between the two: paired, from the b and c of n tickets
    only the one or the other gets right, half a ticket added to each cell (Agresti–Min), so that two models
    agreeing on a few tickets are not shown a margin of 0."""
    n = len(candidate.right)
    if not n:
        return None
    if current is None:
        p = sum(candidate.right) / n
        return Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / (1 + Z95 ** 2 / n)
    b = sum(mine and not theirs for mine, theirs in zip(candidate.right, current.right)) + 0.5
    c = sum(theirs and not mine for mine, theirs in zip(candidate.right, current.right)) + 0.5
    n += 2
    return Z95 * math.sqrt(b + c - (b - c) ** 2 / n) / n


def accuracy_interval(judgement):
    """The 95 % interval (Wilson's) of `judgement`'s share right: (low, high); None when judged on no ticket."""
    n = len(judgement.right)
    if not n:
        return None
    centre = (sum(judgement.right) / n + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = accuracy_margin(judgement)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def mark_seen(model, examples):
    """Note in `model` the newest ticket it was trained with, for unseen_by."""
    model.meta["last_ticket_id"] = max((e.ticket_id for e in examples), default=None)


def unseen_by(model, examples):
    """The examples `model` was not trained with: closed after it was trained, or entered after its newest
    ticket (history imported since, closed long before: mark_seen); all of them when it does not say when it
    was trained."""
    meta = getattr(model, "meta", None) or {}
    trained, last = meta.get("trained_at"), meta.get("last_ticket_id")
    if not trained:
        return list(examples)
    since = datetime.fromisoformat(trained)
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return [e for e in examples
            if (e.closed_at is not None and e.closed_at > since) or (last is not None and e.ticket_id > last)]


def model_path(path):
    """The model file as TextClassifier.save names it (.npz added if missing)."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def configured_model():
    """The desk's model file (settings.JIESU["DISPATCH_MODEL"], default var/models/desk.npz) as save writes it,
    .npz added; None when none is named (the cold start only, never trained)."""
    from django.conf import settings

    named = settings.JIESU.get("DISPATCH_MODEL")
    return model_path(named) if named else None


def configured_rows(option=None):
    """The rows a model of many categories is solved with at once (memory.TrainingRows): `option`
    (--kernel-rows), else settings.JIESU["DISPATCH_TRAIN_ROWS"] (env JIESU_DISPATCH_TRAIN_ROWS), else chosen from
    the memory free now: the bound of a training's memory, so that a smaller machine trains on fewer rows
    instead of failing."""
    from django.conf import settings

    from jiesu.dispatch.memory import training_rows

    return training_rows(option if option is not None else settings.JIESU.get("DISPATCH_TRAIN_ROWS"))


def save_model(model, path):
    """model.save(path) (`path` as model_path names it); a save that fails or is interrupted leaves no part-written
    file (<name>.npz.tmp) behind, and the file at `path` as it was."""
    path = model_path(path)
    try:
        return model.save(path)
    except BaseException:
        path.with_name(path.name + ".tmp").unlink(missing_ok=True)
        raise


def sample_sentence(meta):
    """How a model of many categories was sampled to fit its training rows (meta["training_sample"]), as the
    commands say it, in the active language; None when it was trained on every example."""
    sample = meta.get("training_sample")
    if not sample:
        return None
    figures = {"n_train": meta["n_train"], "n_offered": meta["n_offered"], "share": f"{sample.get('share', 0):.1%}",
               "at_most": sample.get("max_per_class"), "least": sample.get("min_per_class"),
               "least_set": sample.get("min_per_class_set"), "classes": f"{sample.get('classes', 0):,}",
               "rows": f"{sample.get('rows_for_floor_set', 0):,}", "limit": f"{sample.get('kernel_max_rows', 0):,}"}
    if "max_per_class" in sample:
        said = _("trained on at most the newest %(at_most)d of each category: %(n_train)d of %(n_offered)d rows (see "
                 "--max-per-category)") % figures
    else:
        said = _("trained on the newest %(share)s of each category, at least %(least)d: %(n_train)d of "
                 "%(n_offered)d rows (see --max-per-category)") % figures
    if "min_per_class_set" in sample:  # the floor alone did not fit the rows: lowered to keep to them
        said += _("; at least %(least_set)d of each of the %(classes)s categories would take %(rows)s rows, more "
                  "than the limit of %(limit)s (--kernel-rows, JIESU_DISPATCH_TRAIN_ROWS), so the minimum per "
                  "category was lowered to %(least)d") % figures
    return said


def previous_path(path):
    """Where retrain keeps the model it replaced: desk.npz → desk.previous.npz."""
    path = model_path(path)
    return path.with_name(path.stem + ".previous.npz")


def aside_path(path, now=None):
    """Where a model file that cannot be read is kept when a retraining or a rollback puts another in its place:
    desk.npz → desk.npz.unreadable-20261207-020000 (not an .npz: nothing loads it as a model; kept for whoever
    looks into what damaged it)."""
    path = model_path(path)
    return path.with_name(f"{path.name}.unreadable-{(now or datetime.now()):%Y%m%d-%H%M%S}")


def _keep_aside(path):
    """Copy the unreadable model file at `path` aside (aside_path), leaving it in place until it is replaced (the
    engine never sees the file missing); where it was kept."""
    kept = aside_path(path)
    shutil.copy2(path, kept)
    return str(kept)


_readability = {}  # model file → (its stat key, the error that reading it raised, or None)


def unreadable_model_error(path):
    """Why the model file at `path` cannot be read (the loader's error, ModelFormatError for a cut-off file or one
    that is no model), or None when it reads or does not exist: such a file counts as no model (the worker trains
    a first one at once, jobs.retrain_if_due). Read once per change of the file (its size, time and inode), as
    TextClassifier.load reads it but without building the classifier (classifier.check_model_file)."""
    from jiesu.dispatch.classifier import check_model_file

    path = model_path(path)
    try:
        found = path.stat()
    except FileNotFoundError:
        _readability.pop(str(path), None)
        return None
    key = (found.st_mtime_ns, found.st_size, found.st_ino)
    known = _readability.get(str(path))
    if known is not None and known[0] == key:
        return known[1]
    try:
        check_model_file(path)
        error = None
    except Exception as exc:  # noqa: BLE001 — unreadable in any way counts as no model
        error = exc.with_traceback(None)  # kept: not the frames (and arrays) of the load
    _readability[str(path)] = (key, error)
    return error


def has_readable_model(path):
    """Whether a model file that reads is at `path` (a missing or unreadable one is no model)."""
    return model_path(path).exists() and unreadable_model_error(path) is None


class TooFewTickets(WordedError):
    """retrain has too little to train on or to judge with. `code` and `figures` say why, for the accuracy page
    to word it in the user's language (as_dict, stored), the command in its own (words): no_tickets;
    few_unseen / few_to_hold_out (n, minimum, total). str(): English, the run's stored reason."""

    WORDS = {
        "no_tickets": gettext_noop("no closed ticket with a dispatcher-confirmed category"),
        "few_unseen": gettext_noop("only %(n)d tickets closed since the current model was trained: at least "
                                   "%(minimum)d are needed to judge a new model (wait for more, or add --force to "
                                   "replace it unjudged)"),
        "few_to_hold_out": gettext_noop("only %(n)d closed tickets to hold out (a fifth of %(total)d): at least "
                                        "%(minimum)d are needed to judge a new model (wait for more, or add --force "
                                        "to replace it unjudged)"),
    }

    def as_dict(self):
        return {"refused": self.code, **self.figures}


class RollbackRefused(WordedError):
    """rollback changed nothing; `code` says why (no_previous, unreadable_previous), for the accuracy page; the
    figures (previous: the file; error: why it cannot be read) for the command's line."""

    WORDS = {
        "no_previous": gettext_noop("no previous model to go back to: %(previous)s does not exist"),
        "unreadable_previous": gettext_noop("the previous model %(previous)s could not be read (%(error)s); "
                                            "nothing was changed"),
    }

    def as_dict(self):
        return {"refused": self.code}


def failure_details(exc):
    """What stopped a retraining, for the accuracy page to word in the user's language: {"failed": kind,
    "error": the exception's class}; kind is memory, stopped (interrupted, terminated), file (reading or
    writing a file: permissions, a full disk), database, or other."""
    from django.db import DatabaseError

    kinds = ((MemoryError, "memory"), ((KeyboardInterrupt, SystemExit), "stopped"), (DatabaseError, "database"),
             (OSError, "file"))
    kind = next((name for types, name in kinds if isinstance(exc, types)), "other")
    return {"failed": kind, "error": type(exc).__name__}


@dataclass
class Rollback:
    path: str
    model_version: str   # now in use: the previous model
    previous: str        # where the model it replaced is kept, to roll forward again ("" when none: see kept_aside)
    replaced: str        # that model's version ("" when it could not be read)
    kept_aside: str = ""  # where the replaced file that could not be read was kept instead (aside_path)

    def as_dict(self):
        return asdict(self)

    def words(self, translate=english):
        """What was done, in the language of `translate` (English by default: the run's stored reason)."""
        said = (gettext_noop("back to %(version)s; %(path)s kept as the previous model") if self.replaced
                else gettext_noop("back to %(version)s"))
        return translate(said) % {"version": self.model_version, "path": self.replaced}


def rollback(path):
    """Put the previous model (<name>.previous.npz) back in place and keep the current one as the previous: a
    second rollback undoes the first. A current file that cannot be read does not become the previous model (a
    second rollback would fail on it): it is kept aside (aside_path, Rollback.kept_aside) and there is no
    previous model after. The model file exists throughout (the engine never sees it missing). Raises
    RollbackRefused (a ValueError), changing nothing, when there is no previous model or it cannot be read."""
    from jiesu.dispatch.classifier import TextClassifier

    path, previous = model_path(path), previous_path(path)
    if not previous.exists():
        raise RollbackRefused("no_previous", previous=str(previous))
    try:
        restored = TextClassifier.load(previous)
    except Exception as exc:  # noqa: BLE001 — unreadable in any way: nothing is changed
        raise RollbackRefused("unreadable_previous", previous=str(previous), error=exc) from None
    replaced, kept_aside = "", ""
    if path.exists() and unreadable_model_error(path) is None:
        replaced = TextClassifier.load(path).version
        kept = path.with_name(path.name + ".rollback")
        shutil.copy2(path, kept)
        previous.replace(path)
        kept.replace(previous)
    else:
        if path.exists():  # a damaged current model: kept aside, not as the previous one
            kept_aside = _keep_aside(path)
        previous.replace(path)
    return Rollback(str(path), restored.version, str(previous) if previous.exists() else "", replaced, kept_aside)


def recorded_rollback(path, trigger, *, by="", pid=None, file_error=None):
    """rollback(path), recorded as a run (models.RetrainRun: it changes the model in use as a retraining does),
    the user who asked (`by`) kept in its result. Raises Conflict while a retraining runs (nothing recorded), and
    what rollback raises once the run is recorded as failed; `file_error(exc)`: the stored reason of an OSError."""
    from jiesu.dispatch import services as desk
    from jiesu.dispatch.models import RetrainState

    run = desk.start_retrain_run(trigger, model_path(path), pid=pid)
    asked = {"by": by} if by else {}
    try:
        result = rollback(path)
    except RollbackRefused as exc:
        desk.finish_retrain_run(run, RetrainState.FAILED, str(exc), {**exc.as_dict(), **asked})
        raise
    except BaseException as exc:  # a full disk, Ctrl-C…: recorded, then raised
        reason = file_error(exc) if file_error and isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        desk.finish_retrain_run(run, RetrainState.FAILED, reason, {**failure_details(exc), **asked})
        raise
    desk.finish_retrain_run(run, RetrainState.ROLLED_BACK, result.words(), {**result.as_dict(), **asked})
    return result


def retrain(path, config, *, holdout=HOLDOUT, tolerance=0.0, refit=True, force=False, since=None, version=None,
            say=lambda message: None, progress=lambda message: None):
    """Train a new model on the closed tickets and put it at `path` unless it is worse than the model there.

    Both are judged on the newest `holdout` tickets that the current model has not seen (closed after it was
    trained) and that the new one is trained without. The new one replaces the current one when its first
    suggestion is right at least as often, less `tolerance`; then, with `refit`, it is trained again on every
    ticket, the newest included. The replaced file is kept beside it (<name>.previous.npz; one that could not
    be read is kept aside instead, aside_path). Without a current model (or one that reads), the judged one is
    put in place before that second training: the desk has a model in half the time.
    `force`: replace it whatever the judgement. Raises ValueError when there is too little to train on or to judge with.
    `say(line)`: what was found (the command's output); `progress(line)`: the stage it is at, as each starts (the
    command's progress lines: a retraining on a city's tickets takes many minutes).
    """
    from jiesu.dispatch.classifier import TextClassifier

    path = model_path(path)
    progress(_("reading the closed tickets"))
    examples = confirmed_examples(since, budget=read_budget(config), floor=config.min_per_class, newest=holdout)
    progress(_("read %(n)d closed tickets") % {"n": len(examples)})
    if not examples:
        raise TooFewTickets("no_tickets")
    current, damaged = None, None
    if path.exists():
        try:
            current = TextClassifier.load(path)
        except Exception as exc:  # noqa: BLE001 — damaged in any way: no model, replaced (and kept aside)
            damaged = exc
    pool = unseen_by(current, examples) if current is not None else examples[len(examples) // 5 * 4:]
    newest = pool[-holdout:]
    if len(newest) < MIN_HOLDOUT and not force:
        raise TooFewTickets("few_unseen" if current is not None else "few_to_hold_out",
                            n=len(newest), minimum=MIN_HOLDOUT, total=len(examples))
    held = {e.ticket_id for e in newest}
    older = [e for e in examples if e.ticket_id not in held]
    say(_("closed tickets: %(n)d; training on %(older)d, judging on the newest %(newest)d")
        % {"n": len(examples), "older": len(older), "newest": len(newest)})
    candidate = _fit_said(config, older, progress)
    mark_seen(candidate, older)
    _say_sample(candidate, say)
    verdict = before = None
    if newest:
        progress(_("judging the new model on the newest %(n)d tickets") % {"n": len(newest)})
        verdict = judge(candidate, newest)
    if current is not None and newest:
        progress(_("judging the current model %(version)s on the same tickets") % {"version": current.version})
        before = judge(current, newest)
    result = Retraining(False, "", verdict, before, candidate.meta["n_train"], len(newest), str(path),
                        unreadable_current=damaged is not None, unreadable_error=damaged)
    if verdict is not None and len(newest) < SURE_HOLDOUT:
        result.margin = round(accuracy_margin(verdict, before), 4)
        result.interval = accuracy_interval(verdict)
        result.within_margin = before is not None and abs(verdict.accuracy - before.accuracy) <= result.margin
    worse = before is not None and verdict.accuracy < before.accuracy - tolerance
    miscalibrated = before is not None and verdict.miscalibrated(before)
    if (worse or miscalibrated) and not force:
        result.kept = "worse" if worse else "miscalibrated"
        result.reason = result.reason_words()
        return result
    judgement = verdict and {"n_holdout": len(newest), "accuracy": verdict.accuracy, "top3": verdict.top3,
                             "ece": verdict.ece, "shown_low": verdict.shown_low, "margin": result.margin,
                             "replaced": before and before.model_version,
                             "replaced_accuracy": before and before.accuracy}
    final, interim = candidate, False
    if refit and newest:
        if current is None:  # a first model (or none readable): the desk need not wait for the second fit
            if damaged is not None:
                result.kept_aside = _keep_aside(path)
            candidate.meta["retraining"] = judgement
            progress(_("saving the judged model to %(path)s") % {"path": path})
            save_model(candidate, path)
            interim = True
            say(_("the judged model %(version)s is in place until the one trained on all tickets is")
                % {"version": candidate.version})
        say(_("training again on all %(n)d tickets") % {"n": len(examples)})
        final = _fit_said(config, examples, progress, version=version)
        mark_seen(final, examples)
        _say_sample(final, say)
        result.n_train = final.meta["n_train"]  # past the kernel's rows, the newest share of each category
    elif version:
        final.meta["model_version"] = version
    if judgement:  # the accuracy page shows how the model in use was judged
        final.meta["retraining"] = judgement
    if damaged is not None and not interim:  # not as the previous model: a rollback would fail on it
        result.kept_aside = _keep_aside(path)
    elif path.exists() and not interim:
        previous = previous_path(path)
        shutil.copy2(path, previous)
        result.previous = str(previous)
    progress(_("saving the model to %(path)s") % {"path": path})
    save_model(final, path)
    result.promoted, result.model_version = True, final.version
    if verdict is None:
        result.forced = "unjudged"
    elif worse:
        result.forced = "worse"
    elif miscalibrated:
        result.forced = "miscalibrated"
    result.reason = result.reason_words()
    return result


def _fit_said(config, examples, progress, version=None):
    """A model of `config` trained on `examples`, saying as it starts and as each calibration fold starts."""
    from jiesu.dispatch.classifier import TextClassifier

    progress(_("training a model on %(n)d tickets") % {"n": len(examples)})

    def fold_started(fold, folds):
        progress(_("calibrating its confidence: fold %(fold)d of %(folds)d") % {"fold": fold, "folds": folds})

    return TextClassifier(config=config).fit(*texts_and_labels(examples), version=version, progress=fold_started)


def _say_sample(model, say):
    said = sample_sentence(model.meta)
    if said:
        say(said)
