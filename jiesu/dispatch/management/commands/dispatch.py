"""`jiesu dispatch …` (manage.py dispatch …): train, evaluate, cross-validate and try
the dispatch text classifier.

    jiesu dispatch evaluate --train A.csv [B.csv …] --test T.csv --text 留言主题,留言详情 --label 一级分类
    jiesu dispatch train --from-csv A.csv [B.csv …] --text 留言主题,留言详情 --label 一级分类 --out model.npz
    jiesu dispatch train --from-tickets [--since 2026-01-01] --out var/models/trial.npz  # not the desk's: refused
    jiesu dispatch train --cold-start --out var/models/cold.npz
    jiesu dispatch retrain --model var/models/desk.npz   # weekly (the worker does it): replaces the model only if not worse
    jiesu dispatch rollback --model var/models/desk.npz  # the previous model back in place (again: undone)
    jiesu dispatch crossval --data M.csv --extra T.csv --text 留言主题,留言详情 --label 一级分类 --seeds 0,1,2
    jiesu dispatch predict --model model.npz "小区垃圾没人清运"
    jiesu dispatch info --model model.npz

evaluate, train, retrain, rollback, crossval and info print as their last line one JSON object; retrain also says
each stage as it starts on standard error (with the seconds since it began). Ctrl-C stops any of
them with one line saying what was and was not written, and exit code 130; so does standard output closed early
(`| head -1`), with exit code 141, as SIGPIPE. Every action takes --lang zh-hans|en
for the lines it prints (jiesu.core.language: default from JIESU_LANG or the locale, else Chinese); the JSON
lines, category names and exit codes are the same in both. A retraining's stored reason (RetrainRun.reason, as
its JSON line's) is English whatever --lang: the pages word its result's codes in their reader's language.
"""
from __future__ import annotations

import getpass
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jiesu.core.command_line import LanguageCommand, day_argument
from jiesu.core.errors import DomainError
from jiesu.core.language import add_language_option
from jiesu.core.paths import unwritable
from jiesu.core.worded import os_reason, words_of
from jiesu.dispatch import services as desk
from jiesu.dispatch import memory, training
from jiesu.cli import DISPATCH_FILE_ACTIONS
from jiesu.dispatch.classifier import (READABLE_VERSIONS, ClassifierConfig, ModelFormatError, TextClassifier,
                                       meta_problem, model_meta)
from jiesu.dispatch.evaluation import (Dataset, cv_sentence, format_report, model_sentence, previous_sentence,
                                       repeated_cv, score, trained_sentence)
from jiesu.dispatch.models import RetrainRun, RetrainState, RetrainTrigger
from jiesu.dispatch.ridge import MIN_CLASSES
from jiesu.dispatch.tabular import LabelledRows, TableError, load_labelled

DEFAULT_TEXT = "留言主题,留言详情"
DEFAULT_LABEL = "一级分类"
_CODE = re.compile(r"\d+(\.\d+)+")  # a category code of the catalogue (05.05.01), as the platform's models label
INTERRUPTED = 130  # the exit code of a command stopped by SIGINT (128 + 2), as `jiesu import` exits
CLOSED = 141  # the exit code of a command whose standard output was closed (`| head -1`): 128 + SIGPIPE's 13


def _columns(value: str) -> list[str]:
    cols = [c.strip() for c in value.replace("，", ",").split(",") if c.strip()]
    if not cols:
        raise CommandError(_("--text needs at least one column name"))
    return cols


def _text_and_label(opts) -> tuple[list[str], str]:
    """(the --text columns, the --label column), stripped as the header's cells are; refused when --text names a
    column twice (its words would count twice) or names the label column (the model would read the answer: a
    perfect score that means nothing)."""
    cols, label = _columns(opts["text"]), opts["label"].strip()
    twice = next((c for i, c in enumerate(cols) if c in cols[:i]), None)
    if twice:
        raise CommandError(_("--text names the column %(column)s twice") % {"column": twice})
    if label in cols:
        raise CommandError(_("--text %(columns)s reads the --label column %(label)s: the model would read the answer")
                           % {"columns": ",".join(cols), "label": label})
    return cols, label


def _add_data_args(p):
    p.add_argument("--text", default=DEFAULT_TEXT,
                   help=_("comma-separated text columns, joined in this order (default %(default)s); "
                          "a column a file lacks counts as empty"))
    p.add_argument("--label", default=DEFAULT_LABEL, help=_("label column (default %(default)s)"))


def _add_model_args(p):
    """The classifier's options; a help text's `%(default)s` is the option's default, as argparse fills it in."""
    p.add_argument("--ngram-max", type=int, default=ClassifierConfig.ngram_max,
                   help=_("longest character n-gram (default %(default)s)"))
    p.add_argument("--model-type", choices=["ridge", "svm"], default=ClassifierConfig.model, dest="model_type",
                   help=_("linear model (default %(default)s)"))
    p.add_argument("--alpha", type=float, default=ClassifierConfig.alpha,
                   help=_("ridge regularisation (default %(default)s)"))
    p.add_argument("--C", type=float, default=ClassifierConfig.C, dest="C",
                   help=_("SVM regularisation C (default %(default)s)"))
    p.add_argument("--title-weight", type=float, default=ClassifierConfig.title_weight, dest="title_weight",
                   help=_("weight of the title-only feature block (the text's first line; default %(default)s; "
                          "0 = none)"))
    p.add_argument("--word-weight", type=float, default=ClassifierConfig.word_weight, dest="word_weight",
                   help=_("weight of the word feature block (dictionary words found in the text; default "
                          "%(default)s; 0 = none)"))
    p.add_argument("--words-from", choices=["title", "text"], default=ClassifierConfig.words_from, dest="words_from",
                   help=_("where the word block looks: the title line or the whole text (default %(default)s)"))
    p.add_argument("--word-max", type=int, default=ClassifierConfig.word_max, dest="word_max",
                   help=_("longest dictionary word the word block looks for (default %(default)s)"))
    p.add_argument("--chunk-weight", type=float, default=ClassifierConfig.chunk_weight, dest="chunk_weight",
                   help=_("training only: weight of the extra examples cut from full messages' bodies (passages of "
                          "whole sentences; default %(default)s; 0 = none)"))
    p.add_argument("--max-weights", type=int, default=ClassifierConfig.max_weights, dest="max_weights",
                   help=_("weights the model keeps; past it each feature keeps only its strongest classes (default "
                          "%(most)s: a catalogue of hundreds of categories; 0 = keep all)")
                   % {"most": f"{ClassifierConfig.max_weights:,}"})
    now = training.configured_rows()
    p.add_argument("--kernel-rows", type=int, default=None, dest="kernel_max_rows", metavar="ROWS",
                   help=_("%(classes)d or more categories are solved at once up to this many training rows, with "
                          "4 × rows² bytes of memory (default JIESU_DISPATCH_TRAIN_ROWS, else chosen from the memory "
                          "free when training starts, at most %(most)s; now: %(rows)s rows, about %(gb)s GB; "
                          "0 = never)")
                   % {"classes": MIN_CLASSES, "most": f"{memory.MOST_ROWS:,}", "rows": f"{now.rows:,}",
                      "gb": now.peak_gb})
    p.add_argument("--max-per-category", type=int, default=None, dest="max_per_class", metavar="N",
                   help=_("training rows kept per category, the newest (the last in a file); 0 = keep all; default: "
                          "only for %(classes)d or more categories whose rows (with body passages) exceed "
                          "--kernel-rows, the same newest share of each category that fits, and at least %(least)d "
                          "of each") % {"classes": MIN_CLASSES, "least": ClassifierConfig.min_per_class})


class Command(LanguageCommand):
    help = gettext_lazy("Dispatch classifier: evaluate | train | retrain | rollback | crossval | predict | info "
                        "(see `jiesu dispatch <action> -h`).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

        ev = sub.add_parser("evaluate", help=_("train on some CSV files, score on another"),
                            description=_("Train on the --train files, predict the --test file, print per-class "
                                          "precision/recall/F1 and the confusion matrix, and as the last line JSON "
                                          '{"macro_f1", "accuracy", "n_train", "n_test", "seconds"}.'))
        ev.add_argument("--train", nargs="+", required=True, metavar="CSV", help=_("training files"))
        ev.add_argument("--test", required=True, metavar="CSV", help=_("test file"))
        _add_data_args(ev)
        _add_model_args(ev)
        ev.add_argument("--exclude-overlap", action="store_true",
                        help=_("drop training rows whose first text column (e.g. the title) also occurs in the "
                               "test file, for an honest score when the files share rows"))
        ev.add_argument("--save-model", metavar="PATH", help=_("also save the trained (calibrated) model"))

        tr = sub.add_parser("train", help=_("train a model (CSV files, closed tickets or the catalogue) and save it"),
                            description=_("Train from CSV files, from the platform's closed tickets (the "
                                          "dispatcher-confirmed category code is the label) or, for a cold start, "
                                          "from the category catalogue's names and keywords; write a versioned "
                                          "model file. Last line: JSON with the model's metadata."))
        source = tr.add_mutually_exclusive_group(required=True)
        source.add_argument("--from-csv", nargs="+", metavar="CSV", dest="from_csv", help=_("labelled CSV files"))
        source.add_argument("--from-tickets", action="store_true", dest="from_tickets",
                            help=_("closed tickets whose category a dispatcher confirmed (labels: category codes)"))
        source.add_argument("--cold-start", action="store_true", dest="cold_start",
                            help=_("no labelled text: the active leaf categories' names and keywords"))
        tr.add_argument("--since", type=day_argument,
                        help=_("with --from-tickets: closed on or after this day (YYYY-MM-DD)"))
        tr.add_argument("--until", type=day_argument,
                        help=_("with --from-tickets: closed before this day (YYYY-MM-DD)"))
        tr.add_argument("--limit", type=int, help=_("with --from-tickets: at most this many, the most recently closed"))
        tr.add_argument("--out", required=True, metavar="PATH", help=_("model file to write (.npz)"))
        tr.add_argument("--version", help=_("model version string (default: timestamp + weights digest)"))
        tr.add_argument("--no-calibrate", action="store_true",
                        help=_("skip the cross-validated probability calibration (faster)"))
        _add_data_args(tr)
        _add_model_args(tr)

        rt = sub.add_parser("retrain", help=_("train on the closed tickets; replace the model only if not worse"),
                            description=_("Train a new model on the closed tickets whose category a dispatcher "
                                          "confirmed, judge it and the current model (--model) on the newest "
                                          "tickets the current one has not seen and the new one is trained without, "
                                          "and replace the current model only if the new one's first suggestion is "
                                          "right at least as often; then train it again on every ticket. The "
                                          "replaced file is kept as <name>.previous.npz. Running processes pick the "
                                          "new file up within 30 s. Last line: JSON with both judgements."))
        _add_desk_model_arg(rt, _("the model file the engine uses; created if missing"))
        rt.add_argument("--holdout", type=int, default=training.HOLDOUT, metavar="N",
                        help=_("judge on at most the newest N unseen tickets (default %(most)s; without a current "
                               "model: at most a fifth of the tickets)") % {"most": f"{training.HOLDOUT:,}"})
        rt.add_argument("--tolerance", type=float, default=0.0,
                        help=_("replace the model even if the new one is right this much less often (0.01 = one "
                               "point; default 0)"))
        rt.add_argument("--no-refit", action="store_true",
                        help=_("keep the judged model as it is (not trained again with the newest tickets)"))
        rt.add_argument("--force", action="store_true", help=_("replace the current model whatever the judgement"))
        rt.add_argument("--since", type=day_argument, help=_("only tickets closed on or after this day (YYYY-MM-DD)"))
        rt.add_argument("--version", help=_("version string of the new model (default: timestamp + weights digest)"))
        rt.add_argument("--run", type=int, metavar="ID",
                        help=_("carry out the retraining the worker recorded as ID (the worker starts it so); "
                               "without it the run is recorded as started by command"))
        _add_asker_arg(rt)
        _add_model_args(rt)

        cv = sub.add_parser("crossval", help=_("repeated stratified k-fold cross-validation"),
                            description=_("Repeated stratified k-fold CV on --data, grouped by the first text "
                                          "column; --extra files are added to every training fold except rows "
                                          "sharing a first-text-column value with the test fold."))
        cv.add_argument("--data", required=True, metavar="CSV")
        cv.add_argument("--extra", nargs="*", default=[], metavar="CSV")
        cv.add_argument("--folds", type=int, default=5)
        cv.add_argument("--seeds", default="0,1,2", help=_("comma-separated random seeds (default %(default)s)"))
        _add_data_args(cv)
        _add_model_args(cv)

        pr = sub.add_parser("predict", help=_("top-k categories for texts"))
        _add_desk_model_arg(pr, _("the model file"))
        pr.add_argument("-k", type=int, default=3, help=_("how many categories to give per text (default %(default)s)"))
        pr.add_argument("texts", nargs="*", help=_("texts (default: one per line from standard input)"))

        rb = sub.add_parser("rollback", help=_("put the previous model back in place (undo a retraining)"),
                            description=_("Put <name>.previous.npz (kept by retrain) back in place of the model "
                                          "and keep the current one as the previous, so that a second rollback "
                                          "undoes the first. Refused while a retraining runs. Running processes "
                                          "pick it up within 30 s. Last line: JSON."))
        _add_desk_model_arg(rb, _("the model file the engine uses"))
        _add_asker_arg(rb)

        info = sub.add_parser("info", help=_("show a model file's metadata"),
                              description=_("A model file's version, size, training time and cross-validated scores, "
                                            "and the previous model kept beside it; last line: its whole metadata "
                                            "as JSON. Reads the metadata alone, not the weights."))
        _add_desk_model_arg(info, _("the model file"))
        for action in sub.choices.values():
            add_language_option(action)

    # ----------------------------------------------------------------- helpers
    def _say(self, msg: str = ""):
        self.stdout.write(msg)

    def _progress_since(self, started):
        """A progress line writer: on standard error, with the seconds since `started`, flushed at once (the
        worker's spawned retraining writes both streams to its log, where block-buffered lines would come last)."""
        def progress(message):
            self.stdout.flush()
            self.stderr.write(_("%(message)s (%(seconds).0f s)") % {"message": message,
                                                                    "seconds": time.perf_counter() - started},
                              style_func=str)  # not the red of an error
            self.stderr.flush()
        return progress

    def _load(self, paths, text_cols, label, option=None) -> list[LabelledRows]:
        """Each file read (refused naming the file and the problem), said in one line; `option`: the option that
        names several files, one of which may not be given twice (its rows would count twice)."""
        _refuse(option and _given_twice(paths, option))
        out = []
        for p in paths:
            try:
                rows = load_labelled(p, text_cols, label)
            except TableError as exc:
                raise CommandError(exc.words(_)) from None
            notes = []
            if rows.missing_text_columns:
                notes.append(_("no column %(columns)s (counted as empty)")
                             % {"columns": ", ".join(rows.missing_text_columns)})
            notes += _skipped_notes(rows)
            used = (ngettext("%(path)s: %(used)d row used of %(rows)d (%(encoding)s, tab-separated)",
                             "%(path)s: %(used)d rows used of %(rows)d (%(encoding)s, tab-separated)", len(rows))
                    if rows.delimiter == "\t" else
                    ngettext("%(path)s: %(used)d row used of %(rows)d (%(encoding)s, comma-separated)",
                             "%(path)s: %(used)d rows used of %(rows)d (%(encoding)s, comma-separated)", len(rows)))
            enc = "utf-8" if rows.encoding == "utf-8-sig" else rows.encoding
            self._say(used % {"path": p, "used": len(rows), "rows": rows.n_rows, "encoding": enc}
                      + ("; " + "; ".join(notes) if notes else ""))
            out.append(rows)
        return out

    def _config(self, opts, calibrate: bool) -> ClassifierConfig:
        _refuse_below(opts["ngram_max"], 1, "--ngram-max")
        if opts["C"] <= 0 or opts["alpha"] <= 0:
            raise CommandError(_("--C and --alpha must be positive"))
        for opt in ("title_weight", "word_weight", "chunk_weight"):
            _refuse_negative(opts[opt], f"--{opt.replace('_', '-')}")
        _refuse_below(opts["word_max"], 2, "--word-max")
        _refuse_negative(opts["max_weights"], "--max-weights")
        _refuse_negative(opts["kernel_max_rows"], "--kernel-rows")
        self.rows = training.configured_rows(opts["kernel_max_rows"])
        _refuse_negative(opts["max_per_class"], "--max-per-category")
        return ClassifierConfig(ngram_max=opts["ngram_max"], model=opts["model_type"], alpha=opts["alpha"],
                                C=opts["C"], title_weight=opts["title_weight"], word_weight=opts["word_weight"],
                                words_from=opts["words_from"], word_max=opts["word_max"],
                                chunk_weight=opts["chunk_weight"], max_weights=opts["max_weights"],
                                max_per_class=opts["max_per_class"], kernel_max_rows=self.rows.rows,
                                calibrate=calibrate)

    def _json(self, obj):
        self.stdout.write(json.dumps(obj, ensure_ascii=False))

    # ------------------------------------------------------------------ actions
    def execute(self, *args, **options):
        """The actions on files alone skip Django's system checks (they check the project's URLs and models, which
        these do not use): 0.9 s CPU of `info`'s 2.7 s."""
        if options.get("action") in DISPATCH_FILE_ACTIONS:
            options["skip_checks"] = True
        return super().execute(*args, **options)

    def handle(self, *args, **opts):
        self._written, self._retraining = [], None  # what an interruption's line reports
        with translation.override(opts["lang"]):
            if getattr(self.stdout, "_out", self.stdout) is None:  # started with standard output closed (`>&-`)
                raise CommandError(_("standard output is closed, nowhere to print the results; %(what)s")
                                   % {"what": self._interrupted(opts)})
            try:
                getattr(self, "do_" + opts["action"])(opts)
                self.stdout.flush()  # a closed pipe is said here, not by the interpreter at exit
            except KeyboardInterrupt:  # Ctrl-C: one line, no traceback, the shell's exit code
                raise CommandError(_("interrupted: %(what)s") % {"what": self._interrupted(opts)},
                                   returncode=INTERRUPTED) from None
            except BrokenPipeError:  # `| head -1`: the reader is gone; stopped as by SIGPIPE, saying what was written
                _drop_output(self.stdout)
                raise CommandError(_("standard output was closed before the end; %(what)s")
                                   % {"what": self._interrupted(opts)}, returncode=CLOSED) from None

    def _interrupted(self, opts) -> str:
        """What was and was not written when Ctrl-C stopped the action."""
        action = opts["action"]
        if action == "retrain" and self._retraining is not None:
            path, before = self._retraining
            if _file_state(path) != before:  # a first model: the judged one was put in place before the refit
                kept = _("%(path)s holds the judged model, in use until a retraining completes")
            elif before:
                kept = _("the model in use, %(path)s, is unchanged")
            else:
                kept = _("no model was written to %(path)s")
            return (_("the retraining was stopped and is recorded as failed; %(kept)s")
                    % {"kept": kept % {"path": path}})
        if self._written:
            return _("the model was written to %(path)s") % {"path": self._written[-1]}
        out = {"train": opts.get("out"), "evaluate": opts.get("save_model")}.get(action)
        if out:
            path = training.model_path(out)
            return (_("nothing was written (%(path)s is unchanged)") if path.exists() else
                    _("nothing was written (%(path)s was not created)")) % {"path": path}
        return _("nothing was written")

    def do_evaluate(self, opts):
        t0 = time.perf_counter()
        if opts.get("save_model"):
            _refuse(_unwritable_model(opts["save_model"], "--save-model"))  # before the training, not after it
        cols, label = _text_and_label(opts)
        train = self._load(opts["train"], cols, label, "--train")
        (test,) = self._load([opts["test"]], cols, label)
        if not len(test):
            raise CommandError(_("%(path)s: no usable test rows") % {"path": opts["test"]})
        texts = [t for r in train for t in r.texts]
        labels = [l for r in train for l in r.labels]
        keys = [k for r in train for k in r.keys]
        test_keys = {k for k in test.keys if k}
        overlap = sum(1 for k in keys if k and k in test_keys)
        if overlap:
            if opts["exclude_overlap"]:
                kept = [(t, l) for t, l, k in zip(texts, labels, keys) if not (k and k in test_keys)]
                texts, labels = [text for text, _label in kept], [label for _text, label in kept]
                self._say(ngettext("excluded %(n)d training row whose %(column)s also occurs in the test file",
                                   "excluded %(n)d training rows whose %(column)s also occurs in the test file",
                                   overlap) % {"n": overlap, "column": cols[0]})
            else:
                self._say(ngettext("note: %(n)d training row shares its %(column)s with a test row (use "
                                   "--exclude-overlap for an unseen-data score)",
                                   "note: %(n)d training rows share their %(column)s with a test row (use "
                                   "--exclude-overlap for an unseen-data score)", overlap)
                          % {"n": overlap, "column": cols[0]})
        if not texts:
            if overlap and opts["exclude_overlap"]:
                raise CommandError(_("%(files)s: no training rows left: all %(n)d share their %(column)s with a test "
                                     "row (--exclude-overlap)")
                                   % {"files": ", ".join(opts["train"]), "n": overlap, "column": cols[0]})
            raise CommandError(_no_rows(opts["train"]))
        unseen = sorted(set(test.labels) - set(labels))
        if unseen:
            self._say(_("note: test labels never seen in training (always wrong): %(labels)s")
                      % {"labels": ", ".join(unseen)})
        try:
            clf = TextClassifier(config=self._config(opts, calibrate=bool(opts.get("save_model")))).fit(
                texts, labels)
        except ValueError as exc:
            raise CommandError(words_of(exc, _)) from None
        pred = clf.predict(test.texts)
        sc = score(test.labels, pred, labels=clf.classes)
        self._say(_("trained on %(n_train)d rows, %(classes)d classes; tested on %(n_test)d rows")
                  % {"n_train": len(texts), "classes": len(clf.classes), "n_test": len(test)})
        self._say("")
        self._say(format_report(sc))
        self._say("")
        if opts.get("save_model"):
            path = self._save(clf, opts["save_model"], "--save-model")
            self._say(_("model %(version)s saved to %(path)s") % {"version": clf.version, "path": path})
        self._json({
            "macro_f1": round(sc.macro_f1, 4),
            "accuracy": round(sc.accuracy, 4),
            "n_train": len(texts),
            "n_test": len(test),
            "seconds": round(time.perf_counter() - t0, 2),
        })

    def do_train(self, opts):
        t0 = time.perf_counter()
        config = self._config(opts, calibrate=not opts["no_calibrate"])
        _refuse(_unwritable_model(opts["out"], "--out") or _desk_model_out(opts["out"]))
        try:
            if opts["cold_start"]:
                clf = TextClassifier.from_keywords(self._catalogue_pairs(), version=opts.get("version"))
            else:
                examples = self._tickets(opts) if opts["from_tickets"] else None
                texts, labels = training.texts_and_labels(examples) if examples else self._csv_rows(opts)
                if examples:  # the platform's catalogue: many categories, solved at once up to those rows
                    self._say(self.rows.sentence(_))
                clf = TextClassifier(config=config).fit(texts, labels, version=opts.get("version"))
                if examples:
                    training.mark_seen(clf, examples)
        except ValueError as exc:
            raise CommandError(words_of(exc, _)) from None
        path = self._save(clf, opts["out"], "--out")
        m = clf.meta
        sampled = training.sample_sentence(m)
        if sampled:
            self._say(sampled)
        self._say(model_sentence(m))
        if cv_sentence(m):
            self._say(cv_sentence(m))
        self._say(_("saved to %(path)s") % {"path": path})
        self._json({"path": str(path), "model_version": clf.version, "n_train": m["n_train"],
                    "classes": len(clf.classes), "seconds": round(time.perf_counter() - t0, 2),
                    **{k: m[k] for k in ("cv_macro_f1", "cv_accuracy", "cv_ece") if k in m}})

    def do_retrain(self, opts):
        _refuse_below(opts["holdout"], 1, "--holdout")
        if not 0 <= opts["tolerance"] < 1:
            raise CommandError(_("--tolerance must be at least 0 and below 1"))
        config = self._config(opts, calibrate=True)  # a bad option is refused before a run is recorded
        asker = _platform_user(opts["by"])
        problem = _unwritable_model(opts["model"], "--model", previous=True)  # …and so is a path it cannot write
        if problem and opts["run"] is None:
            raise CommandError(problem)
        run = self._retrain_run(opts)
        if opts["run"] is None:  # the worker's run was noted by who asked for it (the accuracy page)
            RetrainRun.note_asker(RetrainRun.objects.filter(pk=run.pk), asker, _os_user())
        asked = {"by": run.result["by"]} if (run.result or {}).get("by") else {}  # started from the web by a user
        if asker is not None:  # the name kept should the user be deleted (asked_by is then emptied)
            asked = {"by": asker.get_username()}

        def finish(state, reason, details):
            desk.finish_retrain_run(run, state, reason, {**details, **asked})

        if problem:  # the worker's run (--run): recorded as failed (in English, as every run's reason), then said
            finish(RetrainState.FAILED, _in_english(_unwritable_model, opts["model"], "--model", True), {"failed": "file"})
            raise CommandError(problem)
        path = training.model_path(opts["model"])
        self._retraining = (path, _file_state(path))
        try:
            result = self._retrain(opts, config)
        except training.TooFewTickets as exc:  # too little to train on or to judge with: recorded, then said
            finish(RetrainState.SKIPPED, str(exc), exc.as_dict())
            raise CommandError(exc.words(_)) from None
        except ValueError as exc:  # the classifier refusing its data (one category only…): failed, said
            finish(RetrainState.FAILED, str(exc), {"failed": "data"})
            raise CommandError(words_of(exc, _)) from None
        except OSError as exc:  # writing the model failed although checked (a full disk…): recorded, one line
            finish(RetrainState.FAILED, _in_english(_cannot_write, exc, path, "--model"),
                   {**training.failure_details(exc), **self.rows.as_dict()})
            raise CommandError(_cannot_write(exc, path, "--model")) from None
        except BaseException as exc:  # recorded, then raised: the run must not stay 'running'
            finish(RetrainState.FAILED, f"{type(exc).__name__}: {exc}",
                   {**training.failure_details(exc), **self.rows.as_dict()})
            raise
        finish(RetrainState.REPLACED if result["promoted"] else RetrainState.KEPT, result["reason"], result)

    def _retrain_run(self, opts):
        """The RetrainRun this command carries out: the worker's (--run), else a new one; only one at a time."""
        try:
            if opts["run"] is not None:
                return desk.claim_retrain_run(opts["run"])
            return desk.start_retrain_run(RetrainTrigger.COMMAND, opts["model"], pid=os.getpid())
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _retrain(self, opts, config):
        """training.retrain, said and returned as its JSON line; ValueError when there is too little."""
        t0 = time.perf_counter()
        self._say(self.rows.sentence(_))
        result = training.retrain(opts["model"], config, holdout=opts["holdout"], tolerance=opts["tolerance"],
                                  refit=not opts["no_refit"], force=opts["force"], since=opts["since"],
                                  version=opts.get("version"), say=self._say,
                                  progress=self._progress_since(t0))
        for wording, judged in (
                (_("new model %(version)s: first suggestion right %(first)s, among the first three %(three)s, "
                   "macro-F1 %(f1).4f"), result.candidate),
                (_("current model %(version)s: first suggestion right %(first)s, among the first three %(three)s, "
                   "macro-F1 %(f1).4f"), result.current)):
            if judged is not None:
                self._say(wording % {"version": judged.model_version, "first": f"{judged.accuracy:.1%}",
                                     "three": f"{judged.top3:.1%}", "f1": judged.macro_f1})
        self._say((_("replaced: %(reason)s") if result.promoted else _("not replaced: %(reason)s"))
                  % {"reason": result.reason_words(_)})
        if result.previous:
            self._say(_("the replaced model is kept as %(path)s") % {"path": result.previous})
        self._say_kept_aside(result)
        summary = {**result.as_dict(), **self.rows.as_dict(), "seconds": round(time.perf_counter() - t0, 2)}
        self._json(summary)
        return summary

    def _say_kept_aside(self, result):
        if result.kept_aside:
            self._say(_("the model file that could not be read is kept aside as %(path)s") % {
                "path": result.kept_aside})

    def do_rollback(self, opts):
        _refuse(_unwritable_model(opts["model"], "--model", previous=True))  # before a run is recorded
        path = training.model_path(opts["model"])
        asker, before = _platform_user(opts["by"]), RetrainRun.newest_pk()
        try:
            result = training.recorded_rollback(
                opts["model"], RetrainTrigger.COMMAND, pid=os.getpid(), by=asker.get_username() if asker else "",
                file_error=lambda exc: _in_english(_cannot_write, exc, path, "--model"))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except training.RollbackRefused as exc:
            raise CommandError(exc.words(_)) from None
        except OSError as exc:
            raise CommandError(_cannot_write(exc, path, "--model")) from None
        finally:  # the run recorded, whatever its outcome
            RetrainRun.note_asker(RetrainRun.objects.filter(pk__gt=before, pid=os.getpid()), asker, _os_user())
        self._say(result.words(_))
        self._say_kept_aside(result)
        self._json(result.as_dict())

    def _csv_rows(self, opts):
        data = self._load(opts["from_csv"], *_text_and_label(opts), "--from-csv")
        texts = [t for r in data for t in r.texts]
        if not texts:
            raise CommandError(_no_rows(opts["from_csv"]))
        return texts, [l for r in data for l in r.labels]

    def _tickets(self, opts):
        """Closed tickets with a dispatcher-confirmed category (jiesu.dispatch.training), as [Example]."""
        _refuse_below(opts["limit"], 1, "--limit")
        config = self._config(opts, calibrate=False)
        examples = training.confirmed_examples(opts["since"], opts["until"], opts["limit"],
                                               budget=training.read_budget(config), floor=config.min_per_class)
        if not examples:
            raise CommandError(_("no closed ticket with a dispatcher-confirmed category in that period"))
        self._say(_("closed tickets: %(n)d with a dispatcher-confirmed category, %(categories)d categories")
                  % {"n": len(examples), "categories": len({e.label for e in examples})})
        return examples

    def _catalogue_pairs(self):
        """(category code, "name keywords…") of the active leaf categories, as the engine's cold start uses."""
        from jiesu.categories.models import Category
        from jiesu.dispatch.engine import keyword_pairs

        pairs = keyword_pairs(Category.objects.all())
        if len(pairs) < 2:
            raise CommandError(_("the category catalogue needs at least 2 active leaf categories for a cold start"))
        self._say(_("cold start from %(n)d categories' names and keywords") % {"n": len(pairs)})
        return pairs

    def do_crossval(self, opts):
        cols, label = _text_and_label(opts)
        try:
            seeds = [int(s) for s in opts["seeds"].split(",") if s.strip()]
        except ValueError:
            raise CommandError(_("--seeds: expected comma-separated integers, got %(value)r")
                               % {"value": opts["seeds"]}) from None
        _refuse_below(opts["folds"], 2, "--folds")
        _refuse(_given_twice([opts["data"], *opts["extra"]], "--data/--extra"))  # rows would train twice
        (data,) = self._load([opts["data"]], cols, label)
        _refuse(_too_few_for_folds(data, opts["folds"], cols[0]))
        extra = self._load(opts["extra"], cols, label) if opts["extra"] else []
        ds = Dataset(data.texts, data.labels, data.keys)
        ex = Dataset([t for r in extra for t in r.texts], [l for r in extra for l in r.labels],
                     [k for r in extra for k in r.keys]) if extra else None
        res = repeated_cv(ds, ex, folds=opts["folds"], seeds=seeds,
                          config=self._config(opts, calibrate=False), progress=self._say)
        self._say(_("macro-F1 %(f1).4f ± %(f1_sd).4f (min %(f1_min).4f), accuracy %(accuracy).4f ± "
                    "%(accuracy_sd).4f over %(runs)d folds")
                  % {"f1": res["macro_f1_mean"], "f1_sd": res["macro_f1_sd"], "f1_min": res["macro_f1_min"],
                     "accuracy": res["accuracy_mean"], "accuracy_sd": res["accuracy_sd"], "runs": res["runs"]})
        self._json({k: v for k, v in res.items() if k != "per_fold"})

    def do_predict(self, opts):
        _refuse_below(opts["k"], 1, "-k")
        empty = [i for i, t in enumerate(opts["texts"], 1) if not t.strip()]
        if empty:
            raise CommandError(_("predict: text %(which)s of %(n)d is empty; give the words to classify")
                               % {"which": _few(empty), "n": len(opts["texts"])})
        clf = self._open(opts["model"])
        texts = opts["texts"]
        if not texts:
            if sys.stdin.isatty():  # a person at a terminal: say what is awaited
                self.stderr.write(_("texts to classify, one per line; end with Ctrl-D"))
            texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
            if not texts:
                raise CommandError(_("predict: no text to classify (give texts as arguments, or one per line "
                                     "on standard input)"))
        tops = [clf.predict_proba_top(t, k=opts["k"]) for t in texts]
        names = _category_names({label for top in tops for label, _p in top})
        for t, top in zip(texts, tops):  # [label, probability], and the category's name when labels are codes
            self._json({"text": t, "top": [[l, round(p, 4), *([names[l]] if l in names else [])] for l, p in top]})

    def do_info(self, opts):
        """A few lines, then the metadata as JSON; read alone (TextClassifier.load took 0.3 s CPU more on a model of
        521 categories, 38 MB, and read it all from disk)."""
        meta = model_meta(opts["model"])
        if meta is None or meta.get("format_version") not in READABLE_VERSIONS:
            meta = self._open(opts["model"]).meta  # no model it can read: refused, saying why
            field = meta_problem(meta)
            if field:  # read, but its metadata cannot be said
                raise CommandError(ModelFormatError("meta_field", path=str(opts["model"]), field=field).words(_))
        previous = training.previous_path(opts["model"])
        for line in (model_sentence(meta), trained_sentence(meta), training.sample_sentence(meta), cv_sentence(meta),
                     previous_sentence(previous, model_meta(previous))):
            if line:
                self._say(line)
        self._json(meta)

    def _save(self, clf, value, option) -> Path:
        try:
            path = training.save_model(clf, value)
        except OSError as exc:  # the disk filled up, the directory went away…
            raise CommandError(_cannot_write(exc, value, option)) from None
        self._written.append(path)
        return path

    def _open(self, path) -> TextClassifier:
        try:
            return TextClassifier.load(path)
        except FileNotFoundError:
            raise CommandError(_("model file not found: %(path)s") % {"path": path}) from None
        except ModelFormatError as exc:
            raise CommandError(exc.words(_)) from None


def _unwritable_model(value, option, previous=False) -> str | None:
    """Why a model file to write cannot be `value`, as one line naming the option and the path; None when it can.
    Checked before any work: the name must end in .npz (no other path is written than the one given), then as
    any file a command writes (core.paths.unwritable). `previous`: also where retrain and rollback keep the
    replaced model."""
    path = Path(value)
    if path.suffix != ".npz":
        return (_("%(option)s %(value)s: a model file's name ends in .npz (%(suggestion)s?)")
                % {"option": option, "value": value, "suggestion": path.with_name(path.name + ".npz")})
    for where in (path, training.previous_path(path)) if previous else (path,):
        problem = unwritable(where)
        if problem:
            wording = _("%(option)s %(value)s: %(problem)s") if where == path else _(
                "%(option)s %(value)s: the previous model %(where)s %(problem)s")
            return wording % {"option": option, "value": value, "where": where, "problem": problem}
    return None


def _desk_model_out(value) -> str | None:
    """Why `train --out` may not write `value`: it is the desk's model file, which only retrain and rollback
    replace (judged, the replaced one kept as the previous model, the run recorded; audit 11 #22); None else."""
    desk_model = training.configured_model()
    out = training.model_path(value)
    if desk_model is None or not (desk.is_desk_model(out) or (out.exists() and desk_model.exists()
                                                              and out.samefile(desk_model))):
        return None
    return (_("--out %(path)s is the desk's model (JIESU_DISPATCH_MODEL): only `jiesu dispatch retrain` puts a model "
              "in its place, judged against the one in use, which it keeps for `jiesu dispatch rollback`, and the "
              "run recorded. Train to another file to try a model (`jiesu dispatch predict --model`)")
            % {"path": value})


def _in_english(word, *args):
    """word(*args) in English: how a retraining's reason is stored, whatever the command's language."""
    with translation.override("en"):
        return word(*args)


def _add_asker_arg(parser):
    parser.add_argument("--by", metavar="USERNAME",
                        help=_("the platform user who asked for it, recorded with the run and shown on the accuracy "
                               "page (the operating-system user running the command is recorded in any case)"))


def _platform_user(username):
    """The user --by names (None without it); refused before anything is recorded when there is none."""
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("--by: there is no user named “%(name)s”.") % {"name": username})
    return user


def _os_user():
    """The operating-system user running the command ("" when the system cannot say: no passwd entry)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _add_desk_model_arg(parser, what):
    """--model, by default the desk's model file (JIESU_DISPATCH_MODEL) when the platform names one; `what`: the
    help text's beginning, in the active language."""
    desk_model = training.configured_model()
    parser.add_argument("--model", required=desk_model is None, default=desk_model and str(desk_model),
                        metavar="PATH", help=_("%(what)s (default: the desk's, JIESU_DISPATCH_MODEL: %(model)s)")
                        % {"what": what, "model": desk_model})


def _drop_output(stream):
    """Send what is still to be written to `stream` (a closed pipe's) to the null device: its buffer is written at
    exit, where it would fail again with Python's 'Exception ignored' lines."""
    try:
        fd = getattr(stream, "_out", stream).fileno()
    except (AttributeError, OSError, ValueError):  # not a file (call_command's StringIO)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def _no_rows(paths) -> str:
    """The refusal of training files with no usable row, naming them (the lines above say what each skipped)."""
    return _("%(files)s: no usable training rows") % {"files": ", ".join(paths)}


def _given_twice(paths, option) -> str | None:
    """Why the files an option names cannot be read as given: one of them given twice (by the same name or
    another: ./a.csv, a link), whose rows would count twice; None when each is given once."""
    seen = {}
    for n, path in enumerate(paths, 1):
        try:
            found = Path(path).stat()
        except OSError:  # missing or unreadable: refused as such when read
            continue
        first = seen.setdefault((found.st_dev, found.st_ino), n)
        if first != n:
            return (_("%(option)s %(path)s is given twice (files %(first)d and %(again)d): its rows would count "
                      "twice") % {"option": option, "path": path, "first": first, "again": n})
    return None


def _refuse(problem):
    if problem:
        raise CommandError(problem)


def _refuse_below(value, least: int, option: str):
    """Refuse an option's number below `least` (None: not given, nothing to refuse)."""
    if value is not None and value < least:
        raise CommandError(_("%(option)s must be at least %(least)d") % {"option": option, "least": least})


def _refuse_negative(value, option: str):
    if value is not None and value < 0:
        raise CommandError(_("%(option)s must be 0 or positive") % {"option": option})


def _cannot_write(exc: OSError, path, option) -> str:
    return (_("%(option)s %(path)s: cannot write %(file)s (%(why)s)")
            % {"option": option, "path": path, "file": exc.filename or _("the model"), "why": os_reason(exc, _)})


def _file_state(path):
    """(modification time, size) of a file, None when there is none: whether a run replaced it."""
    try:
        found = Path(path).stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _skipped_notes(rows: LabelledRows) -> list[str]:
    """What reading a file skipped, a note a reason, naming the file's lines (one row or several: ngettext)."""
    wide = [line for line, n in rows.skipped_width if n > rows.width]
    narrow = [line for line, n in rows.skipped_width if n < rows.width]
    no_label = [rows.lines[n - 1] for n in rows.skipped_no_label]
    no_text = [rows.lines[n - 1] for n in rows.skipped_no_text]
    said = (
        (rows.skipped_header, ngettext("skipped %(n)d row repeating the header (line %(lines)s)",
                                       "skipped %(n)d rows repeating the header (lines %(lines)s)",
                                       len(rows.skipped_header))),
        (wide, ngettext("skipped %(n)d row with more fields than the header's %(width)d (line %(lines)s)",
                        "skipped %(n)d rows with more fields than the header's %(width)d (lines %(lines)s)",
                        len(wide))),
        (narrow, ngettext("skipped %(n)d row with fewer fields than the header's %(width)d (line %(lines)s)",
                          "skipped %(n)d rows with fewer fields than the header's %(width)d (lines %(lines)s)",
                          len(narrow))),
        (no_label, ngettext("skipped %(n)d row with an empty label (line %(lines)s)",
                            "skipped %(n)d rows with an empty label (lines %(lines)s)", len(no_label))),
        (no_text, ngettext("skipped %(n)d row with no text (line %(lines)s)",
                           "skipped %(n)d rows with no text (lines %(lines)s)", len(no_text))))
    return [wording % {"n": len(lines), "width": rows.width, "lines": _few(lines)} for lines, wording in said if lines]


def _too_few_for_folds(data: LabelledRows, folds: int, key_column: str) -> str | None:
    """Why `data` cannot be cut into `folds` stratified folds grouped by `key_column`, naming --folds and the
    figures; None when it can: every fold needs rows of its own, and each class a row in every fold."""
    if len(data) < folds:
        return (ngettext("%(path)s: %(n)d usable row, fewer than --folds %(folds)d",
                         "%(path)s: %(n)d usable rows, fewer than --folds %(folds)d", len(data))
                % {"path": data.path, "n": len(data), "folds": folds})
    groups = len({k or f"\x00row{i}" for i, k in enumerate(data.keys)})
    if groups < folds:
        return (ngettext("%(path)s: %(n)d distinct %(column)s value (rows that share one stay in one fold), fewer "
                         "than --folds %(folds)d",
                         "%(path)s: %(n)d distinct %(column)s values (rows that share one stay in one fold), fewer "
                         "than --folds %(folds)d", groups)
                % {"path": data.path, "n": groups, "column": key_column, "folds": folds})
    counts = Counter(data.labels)
    few = sorted((n, label) for label, n in counts.items() if n < folds)
    if few:
        shown = ", ".join(f"{label} {n}" for n, label in few[:5]) + (", …" if len(few) > 5 else "")
        return (ngettext("%(path)s: %(n)d label with fewer usable rows than --folds %(folds)d (%(shown)s): each "
                         "fold tests every label; lower --folds or leave those rows out",
                         "%(path)s: %(n)d labels with fewer usable rows than --folds %(folds)d (%(shown)s): each "
                         "fold tests every label; lower --folds or leave those rows out", len(few))
                % {"path": data.path, "n": len(few), "folds": folds, "shown": shown})
    return None


def _category_names(labels) -> dict:
    """{category code: "level 1 / level 2 / leaf"} for labels that are the catalogue's codes (a model trained on
    the platform's tickets); empty for other labels, or without a database to look them up in."""
    codes = [label for label in labels if _CODE.fullmatch(label)]
    if not codes:
        return {}
    from django.db import DatabaseError

    from jiesu.categories.models import Category

    try:
        return {c.code: c.full_name() for c in Category.objects.filter(code__in=codes).select_related("parent__parent")}
    except DatabaseError:  # not migrated: codes only
        return {}


def _few(nums: list[int], n: int = 5) -> str:
    s = ", ".join(str(x) for x in nums[:n])
    return s + (", …" if len(nums) > n else "")
