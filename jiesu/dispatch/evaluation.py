"""Metrics, reports and repeated cross-validation for the dispatch classifier, and a model file's metadata in
words (`jiesu dispatch train` and `info`).

Pure Python; only the report's headings, the cross-validation's progress lines and the metadata's sentences go
through Django's gettext (the active language).
"""
from __future__ import annotations

import statistics
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .classifier import ClassifierConfig, TextClassifier


@dataclass
class Scores:
    labels: list[str]  # row/column order of the report and the matrix
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    confusion: list[list[int]]  # confusion[true][pred]
    accuracy: float
    macro_f1: float

    @property
    def n(self) -> int:
        return sum(self.support)


def score(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> Scores:
    """Per-class precision/recall/F1, confusion matrix, accuracy and macro-F1.

    Macro-F1 averages over the classes present in y_true (a label that only
    appears among predictions still counts against precision elsewhere)."""
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    present = sorted(set(y_true))
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    for extra in sorted(set(y_true) | set(y_pred)):
        if extra not in labels:
            labels.append(extra)
    pos = {l: i for i, l in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred):
        m[pos[t], pos[p]] += 1
    tp = np.diag(m).astype(float)
    pred_n = m.sum(0)
    true_n = m.sum(1)
    prec = np.divide(tp, pred_n, out=np.zeros_like(tp), where=pred_n > 0)
    rec = np.divide(tp, true_n, out=np.zeros_like(tp), where=true_n > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros_like(tp), where=(prec + rec) > 0)
    macro = float(np.mean([f1[pos[l]] for l in present])) if present else 0.0
    acc = float(tp.sum() / len(y_true)) if len(y_true) else 0.0
    return Scores(labels, prec.tolist(), rec.tolist(), f1.tolist(), true_n.tolist(), m.tolist(), acc, macro)


def _headings() -> dict:
    """The report's headings in the active language (context "classifier report": "class", "support"… are common
    words elsewhere)."""
    return {"class": pgettext("classifier report", "class"), "precision": pgettext("classifier report", "precision"),
            "recall": pgettext("classifier report", "recall"), "f1": pgettext("classifier report", "f1"),
            "support": pgettext("classifier report", "support"), "macro": pgettext("classifier report", "macro avg"),
            "accuracy": pgettext("classifier report", "accuracy")}


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int, right: bool = False) -> str:
    fill = " " * max(0, w - _width(s))
    return fill + s if right else s + fill


def format_report(sc: Scores) -> str:
    """A per-class table and the confusion matrix (columns numbered, legend in the rows), headed in the active
    language; the numbers and the class names as they are."""
    h = _headings()
    lw = max(_width(h[word]) for word in ("class", "macro", "accuracy"))
    lw = max([lw] + [_width(l) for l in sc.labels]) + 2
    lines = [_pad(h["class"], lw) + "".join(_pad(h[word], w, right=True) for word, w in (
        ("precision", 10), ("recall", 10), ("f1", 10), ("support", 9)))]
    for i, l in enumerate(sc.labels):
        lines.append(
            _pad(l, lw) + f"{sc.precision[i]:>10.4f}{sc.recall[i]:>10.4f}{sc.f1[i]:>10.4f}{sc.support[i]:>9d}"
        )
    lines.append(_pad(h["macro"], lw) + f"{'':>10}{'':>10}{sc.macro_f1:>10.4f}{sc.n:>9d}")
    lines.append(_pad(h["accuracy"], lw) + f"{'':>10}{'':>10}{sc.accuracy:>10.4f}{sc.n:>9d}")
    lines.append("")
    lines.append(_("confusion matrix (rows: true class, columns: predicted class)"))
    cw = max(5, len(str(max((max(r) for r in sc.confusion), default=0))) + 2)
    head = _pad("", lw + 4) + "".join(f"{'[' + str(j) + ']':>{cw}}" for j in range(len(sc.labels)))
    lines.append(head)
    for i, l in enumerate(sc.labels):
        lines.append(_pad(f"[{i}] " + l, lw + 4) + "".join(f"{v:>{cw}d}" for v in sc.confusion[i]))
    return "\n".join(lines)


# --------------------------------------------------------------- a model's metadata
def model_sentence(meta: dict) -> str:
    """A model's version and size: 「模型 V：3000 行，521 个类别，18426 个特征，温度 0.089」."""
    return (_("model %(version)s: %(rows)d rows, %(classes)d classes, %(features)d features, temperature "
              "%(temperature).3f") % {"version": meta.get("model_version", ""), "rows": meta["n_train"],
                                      "classes": len(meta["classes"]), "features": meta["n_features"],
                                      "temperature": meta.get("temperature", 1.0)})


def cv_sentence(meta: dict) -> str | None:
    """A model's cross-validated scores as its training measured them (macro-F1, accuracy, the calibration's
    ECE); None for a model trained without them (--no-calibrate, a cold start)."""
    if "cv_macro_f1" not in meta:
        return None
    rows = (_("the training data") if meta.get("cv_rows", meta["n_train"]) >= meta["n_train"]
            else _("a sample of %(n)d training texts (calibration; its folds train on fewer)") % {"n": meta["cv_rows"]})
    return (_("%(folds)d-fold CV on %(rows)s: macro-F1 %(f1).4f, accuracy %(accuracy).4f, ECE %(ece).4f")
            % {"folds": meta["cv_folds"], "rows": rows, "f1": meta["cv_macro_f1"], "accuracy": meta["cv_accuracy"],
               "ece": meta.get("cv_ece", float("nan"))})


def trained_sentence(meta: dict) -> str | None:
    """When a model was trained, in the platform's time zone, and whether it is a cold start; None for a file
    that does not say."""
    if not meta.get("trained_at"):
        return None
    said = _("trained at %(when)s") % {"when": local_minute(meta["trained_at"])}
    if meta.get("mode") == "keywords":
        said += _("; a cold start: trained on the category catalogue's names and keywords, not on tickets")
    return said


def previous_sentence(path, meta: dict | None) -> str:
    """The model a retraining replaced (kept at `path`, `meta` its metadata, None when unreadable or missing)."""
    if meta is not None:
        return (_("previous model %(version)s, trained at %(when)s (%(path)s; `jiesu dispatch rollback` puts it "
                  "back)") % {"version": meta.get("model_version", ""), "path": path,
                              "when": local_minute(meta.get("trained_at", "")) or "?"})
    if path.exists():
        return _("previous model: %(path)s is no model file that can be read") % {"path": path}
    return _("no previous model (%(path)s)") % {"path": path}


def local_minute(stamp: str) -> str:
    """An ISO time stamp as 2026-12-06 23:39 in the platform's time zone ("" for none)."""
    if not stamp:
        return ""
    return f"{timezone.localtime(datetime.fromisoformat(stamp)):%Y-%m-%d %H:%M}"


# --------------------------------------------------------------- cross-validation
@dataclass
class Dataset:
    texts: list[str]
    labels: list[str]
    keys: list[str]  # grouping key (e.g. the normalised title); "" = no key


def repeated_cv(
    data: Dataset,
    extra: Dataset | None = None,
    *,
    folds: int = 5,
    seeds: Sequence[int] = (0, 1, 2),
    config: ClassifierConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Repeated stratified, grouped k-fold CV on ``data``.

    Rows sharing a key (e.g. the same title) stay in the same fold. Each fold
    trains on the other folds plus ``extra`` (other labelled data), minus any
    ``extra`` row whose key occurs in the test fold, so nothing seen at test
    time was trained on. Returns per-fold and mean ± sd macro-F1/accuracy.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.array(data.labels)
    groups = np.array([k or f"\x00row{i}" for i, k in enumerate(data.keys)])
    cfg = config or ClassifierConfig(calibrate=False)
    runs = []
    t0 = time.perf_counter()
    for seed in seeds:
        skf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        for fold, (tr, te) in enumerate(skf.split(np.zeros(len(y)), y, groups)):
            test_keys = {data.keys[i] for i in te if data.keys[i]}
            tx = [data.texts[i] for i in tr]
            ty = [data.labels[i] for i in tr]
            dropped = 0
            if extra is not None:
                for t, l, k in zip(extra.texts, extra.labels, extra.keys):
                    if k and k in test_keys:
                        dropped += 1
                        continue
                    tx.append(t)
                    ty.append(l)
            clf = TextClassifier(config=ClassifierConfig(**vars(cfg))).fit(tx, ty)
            pred = clf.predict([data.texts[i] for i in te])
            sc = score([data.labels[i] for i in te], pred)
            runs.append({"seed": seed, "fold": fold, "n_train": len(tx), "n_test": len(te),
                         "extra_dropped": dropped, "macro_f1": sc.macro_f1, "accuracy": sc.accuracy})
            if progress:
                progress(_("seed %(seed)d fold %(fold)d: macro-F1 %(f1).4f accuracy %(accuracy).4f (train "
                           "%(train)d, test %(test)d, extra rows dropped %(dropped)d)")
                         % {"seed": seed, "fold": fold, "f1": sc.macro_f1, "accuracy": sc.accuracy, "train": len(tx),
                            "test": len(te), "dropped": dropped})
    f1s = [r["macro_f1"] for r in runs]
    accs = [r["accuracy"] for r in runs]
    return {
        "macro_f1_mean": round(statistics.fmean(f1s), 4),
        "macro_f1_sd": round(statistics.stdev(f1s), 4) if len(f1s) > 1 else 0.0,
        "macro_f1_min": round(min(f1s), 4),
        "accuracy_mean": round(statistics.fmean(accs), 4),
        "accuracy_sd": round(statistics.stdev(accs), 4) if len(accs) > 1 else 0.0,
        "folds": folds,
        "seeds": list(seeds),
        "runs": len(runs),
        "seconds": round(time.perf_counter() - t0, 2),
        "per_fold": runs,
    }
