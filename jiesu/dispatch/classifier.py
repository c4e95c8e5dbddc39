"""Chinese text → category, with calibrated probabilities.

Pure Python + numpy at prediction time (no Django, no scikit-learn, no network);
scikit-learn is imported only to train.

Method (see docs/dispatch.md for the measurements behind it):

* text is normalised (NFKC: full-width → half-width; Latin lower-cased; all
  whitespace removed, which also drops the stray spaces and U+3000 of the data);
* features are TF-IDF blocks (sublinear term frequency, each L2-normalised
  and scaled by its weight), side by side:
  - character 1–2-grams of the whole text;
  - character 1–2-grams of the title (the text's first line) alone, × 0.7
    (``title_weight``). A title-only text fills both blocks; this block lets a
    full message use what the many labelled titles taught (+1.3 points
    macro-F1 on full messages, grouped cross-validation);
  - words of the whole text, × 0.5 (``word_weight``): every substring of 2
    (up to ``word_max``) characters that is a word of jieba's dictionary.
    jieba is needed only to train (its dictionary); at prediction the
    substrings are looked up in the model's own word vocabulary, so no
    segmenter runs (+0.17 points on titles, +0.12 on full messages: small);
* a linear model gives one score per class: one-vs-rest ridge regression
  (least-squares classifier, class-balanced) by default, a linear SVM as an option;
  to train it, each full message's body is also cut into passages of whole
  sentences (``body_passages``), each an extra example of the message's class
  with weight 0.3 (``chunk_weight``): training only, prediction is unchanged;
* probabilities are softmax(score / T), the temperature T fitted on
  out-of-fold scores (k-fold cross-validation on the training data), so the
  top-1 label is the linear model's and the probabilities are calibrated.

Model files are plain ``.npz`` archives without pickled objects (safe to
load): the vocabulary, idf, weights, intercepts, and a JSON metadata record
carrying the file format version, the model version, classes, n_train,
trained_at, the training configuration and library versions.
"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import math
import operator
import platform
import re
import unicodedata
from collections import Counter
from itertools import repeat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from jiesu.core.worded import WordedError, gettext_noop
from jiesu.dispatch.grams import (CodedBlocks, code_points, gram_codes, many_normalized_code_points,
                                  normalized_code_points)
from jiesu.dispatch.grams import prepare as prepare_gram_codes

FORMAT = "jiesu-dispatch-textclf"
FORMAT_VERSION = 3  # 2: title block; 3: word block. Files of versions 1 and 2 still load.
PRUNED_FORMAT_VERSION = 4  # 4: weights kept per feature for its strongest classes only (``max_weights``)
READABLE_VERSIONS = (1, 2, 3, 4)
CONFIDENCE_FLOOR = 1e-3  # the least share right the confidence map gives: probabilities stay positive and ordered
CONFIDENCE_PRIOR = 5.0  # the confidence map's prior: the softmax's own claim, as this many rows at each of
CONFIDENCE_PRIOR_POINTS = 21  # these raw probabilities 0, 0.05, …, 1 (docs/dispatch.md, "confidence map")
TITLE_PREFIX = "\x01"  # vocabulary entries of the title block; normalize() removes control characters
WORD_PREFIX = "\x02"  # vocabulary entries of the word block

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ClassifierConfig",
    "ModelFormatError",
    "TextClassifier",
    "TrainingDataError",
    "normalize",
    "train_from_tickets",
]


class ModelFormatError(WordedError):
    """A model file that is not ours, is damaged, or has an unknown format version: its code and figures (`path`
    first), worded naming the file and what it is instead."""

    WORDS = {
        "directory": gettext_noop("%(path)s: is a directory, not a model file"),
        "unreadable": gettext_noop("%(path)s: cannot read the model file (%(why)s)"),
        "empty": gettext_noop("%(path)s: not a Jiesu model file (an empty file)"),
        "not_npz": gettext_noop("%(path)s: not a Jiesu model file (not an .npz archive)"),
        "other_npz": gettext_noop("%(path)s: not a Jiesu model file (an .npz archive of something else)"),
        "npz_without": gettext_noop("%(path)s: not a Jiesu model file (an .npz archive without %(missing)s)"),
        "other_layout": gettext_noop("%(path)s: not a Jiesu model file (an .npz archive in another layout)"),
        "damaged": gettext_noop("%(path)s: damaged model file (a cut-off or broken .npz archive)"),
        "version": gettext_noop("%(path)s: model format version %(version)s is not supported (this code reads "
                                "versions %(readable)s); retrain with `jiesu dispatch train`"),
        "shapes": gettext_noop("%(path)s: inconsistent array shapes"),
        "meta_field": gettext_noop("%(path)s: damaged model file (its metadata has no valid %(field)s)"),
    }


class TrainingDataError(WordedError):
    """Texts and labels that cannot be trained on (fit): its code and figures."""

    WORDS = {
        "no_rows": gettext_noop("no training rows with both text and label"),
        "one_class": gettext_noop("need at least 2 classes to train, got %(classes)s"),
        "rows_limit": gettext_noop("%(classes)s categories need at least %(need)s training rows (the newest example "
                                   "of each, with its body passages), more than the limit of %(limit)s "
                                   "(--kernel-rows, JIESU_DISPATCH_TRAIN_ROWS): raise it"),
    }


_WS = re.compile(r"[\s\x00-\x1f\x7f]+")


def normalize(text: str | None) -> str:
    """NFKC, lower-case, and no whitespace or control characters at all (Chinese does not use spaces)."""
    if not text:
        return ""
    out = "".join(unicodedata.normalize("NFKC", str(text)).lower().split())
    return out if out.isprintable() else _WS.sub("", out)  # control characters are rare: the regex only then


def _normalized_code_points(text: str) -> np.ndarray:
    """The code points of ``normalize(text)``: per character when that is exact, else from the string."""
    found = normalized_code_points(text)
    return code_points(normalize(text)) if found is None else found[0]


def normalized_code_points_of(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``normalize(t)`` for many texts, end to end, and how many each text gives."""
    return many_normalized_code_points(texts, _normalized_code_points)


def _text_and_title_code_points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``normalize(text)`` and of ``normalize(title_of(text))``, the same array when they
    are equal (one pass over the text when its title is its first line, as in every message)."""
    first_line = text.find("\n")
    if first_line < 0:
        chars = _normalized_code_points(text)
        return chars, chars
    found = normalized_code_points(text, first_line) if text[:first_line].strip() else None
    if found is None:
        chars, title_chars = _normalized_code_points(text), _normalized_code_points(title_of(text))
        return chars, chars if np.array_equal(chars, title_chars) else title_chars
    chars, in_title = found
    return chars, chars if in_title == len(chars) else chars[:in_title]


def title_of(text: str | None) -> str:
    """The title of a text: its first non-empty line (the first text column when columns are joined)."""
    if not text:
        return ""
    for line in str(text).split("\n"):
        if line.strip():
            return line
    return ""


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def body_passages(text: str | None, min_chars: int = 80) -> list[str]:
    """The body (everything after the first line) of a full message cut into
    passages of whole sentences, each at least ``min_chars`` characters once
    normalised (a short remainder joins the last passage). Bodies giving fewer
    than two passages give none: the message itself already is that passage.
    Used only to train: each passage is an extra, lightly weighted example."""
    if not text or "\n" not in text:
        return []
    body = str(text).partition("\n")[2]
    passages, current = [], ""
    for sentence in _SENTENCE_END.split(body):
        if not sentence.strip():
            continue
        current += sentence
        if len(normalize(current)) >= min_chars:
            passages.append(current)
            current = ""
    if current.strip():
        if passages and len(normalize(current)) < min_chars / 2:
            passages[-1] += current
        else:
            passages.append(current)
    return passages if len(passages) >= 2 else []


@functools.lru_cache(maxsize=1)
def lexicon(lo: int = 2, hi: int = 4) -> frozenset[str]:
    """The words of jieba's dictionary (normalised) of lo..hi characters; used only to train."""
    import jieba

    words = set()
    with jieba.get_dict_file() as fh:
        for line in fh:
            word = normalize(line.decode("utf-8").split(" ", 1)[0])
            if lo <= len(word) <= hi:
                words.add(word)
    return frozenset(words)


def substrings(text: str, lo: int, hi: int) -> list[str]:
    """Every substring of lo..hi characters of an already normalised text."""
    n = len(text)
    return [text[i : i + k] for k in range(lo, hi + 1) for i in range(n - k + 1)]


def char_ngrams(text: str, lo: int = 1, hi: int = 2) -> list[str]:
    """Character n-grams of an already normalised text, lengths lo..hi."""
    n = len(text)
    out: list[str] = []
    for k in range(lo, hi + 1):
        if k == 1:
            out.extend(text)
        elif k == 2:
            out.extend(map(operator.add, text, text[1:]))
        else:
            out.extend(text[i : i + k] for i in range(n - k + 1))
    return out


@dataclass
class ClassifierConfig:
    ngram_min: int = 1
    ngram_max: int = 2
    min_df: int = 1
    title_weight: float = 0.7  # weight of the title-only block; 0 = none
    word_weight: float = 0.5  # weight of the word block (dictionary words in the text); 0 = none
    word_max: int = 2  # longest dictionary word (characters) the word block looks for
    words_from: str = "text"  # where the word block looks: "title" (first line) or "text" (all of it)
    chunk_weight: float = 0.3  # training only: body passages of full messages as extra examples, this weight; 0 = none
    chunk_chars: int = 80  # a passage: whole sentences up to at least this many characters
    model: str = "ridge"  # "ridge" (least squares, one-vs-rest) or "svm" (linear SVM)
    alpha: float = 0.5  # ridge regularisation
    C: float = 1.0  # SVM regularisation
    class_weight: str | None = "balanced"
    calibrate: bool = True
    calibration_folds: int = 5
    calibration_rows: int = 10_000  # the temperature's cross-validation runs on at most this many rows (0 = all)
    max_weights: int = 16_000_000  # weights a model keeps (0 = all); past it, each feature keeps its strongest
    kernel_max_rows: int = 20_000  # many-class ridge up to this many rows: one kernel solve (4 n² bytes; 0 = never)
    max_per_class: int | None = None  # training examples kept per class, the newest (last given); 0 = all; None =
    # only when a many-class ridge model's rows (examples + passages) exceed kernel_max_rows: the same newest share
    # of every class that fits, and at least min_per_class of each
    min_per_class: int = 10
    random_state: int = 0

    @classmethod
    def from_dict(cls, d: dict) -> "ClassifierConfig":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in (d or {}).items() if k in known})


@dataclass
class _Weights:
    vocab: dict[str, int]  # all blocks: text n-grams, then title n-grams (TITLE_PREFIX), then words (WORD_PREFIX)
    idf: np.ndarray  # (n_features,) float32
    coef: np.ndarray | None  # (n_features, n_classes) float32, feature-major for row gathers; block weights
    # folded in. None when pruned: then each feature keeps its weights for a few classes only, below
    intercept: np.ndarray  # (n_classes,) float32
    prefixed: bool = True  # False for format 1 files: every entry is a text n-gram
    top_classes: np.ndarray | None = None  # (n_features, m) the classes each feature keeps, when pruned
    top_values: np.ndarray | None = None  # (n_features, m) float32, their weights

    def __post_init__(self):
        """Prefix-free vocabularies per block, so that prediction never builds prefixed strings,
        and each block's n-grams as integer codes (``grams.CodedVocab``)."""
        self.text_vocab, self.title_vocab, self.word_vocab = {}, {}, {}
        blocks = {TITLE_PREFIX: self.title_vocab, WORD_PREFIX: self.word_vocab}
        for key, i in self.vocab.items():
            block = blocks.get(key[:1]) if self.prefixed else None
            if block is None:
                self.text_vocab[key] = i
            else:
                block[key[1:]] = i
        self.n_classes = len(self.intercept)
        self.coded = CodedBlocks.of([self.text_vocab, self.word_vocab], [self.title_vocab, self.word_vocab])
        if self.coded is not None:
            self.idf_or_zero = np.append(self.idf, np.float32(0))  # [-1]: a gram a block lacks weighs nothing
            prepare_gram_codes()

    @property
    def pruned(self) -> bool:
        return self.coef is None

    @property
    def format_version(self) -> int:
        """The file format these weights are written in: the pruned form needs version 4."""
        return PRUNED_FORMAT_VERSION if self.pruned else FORMAT_VERSION

    def add_scores(self, out: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
        """out += values @ W[rows], for the dense matrix or the pruned rows alike."""
        if self.coef is not None:
            out += values @ self.coef[rows]
        else:
            weighted = self.top_values[rows] * values[:, None]
            out += np.bincount(self.top_classes[rows].ravel(), weights=weighted.ravel(), minlength=self.n_classes)

    def matrix(self):
        """W as (n_features, n_classes): the dense array, or a scipy CSR matrix when pruned."""
        if self.coef is not None:
            return self.coef
        import scipy.sparse as sp

        n, m = self.top_classes.shape
        return sp.csr_matrix((self.top_values.ravel(), self.top_classes.ravel().astype(np.int64),
                              np.arange(0, n * m + 1, m)), shape=(n, self.n_classes))

    def arrays(self) -> dict[str, np.ndarray]:
        """The weight arrays as a model file stores them."""
        if self.coef is not None:
            return {"coef": self.coef}
        return {"top_classes": self.top_classes, "top_values": self.top_values}

    def prune(self, budget: int) -> "_Weights":
        """Keep at most ``budget`` weights: each feature its ``budget // n_features`` (at least 1) largest in
        magnitude. A feature of a many-class model speaks for a few classes; the rest of its row is near zero.
        Nothing changes when the whole matrix fits the budget."""
        n_features, n_classes = self.coef.shape
        m = max(1, budget // max(1, n_features))
        if self.pruned or n_features * n_classes <= budget or m >= n_classes:
            return self
        self.top_classes, self.top_values = keep_strongest(self.coef, m)
        self.coef = None
        return self


class _Features:
    """Training-time featuriser (scikit-learn): TF-IDF blocks side by side, each
    L2-normalised and scaled by its weight: the whole text's character n-grams;
    the title's (first line's) character n-grams (``title_weight``); the
    dictionary words occurring in the whole text (``word_weight``)."""

    def __init__(self, config: "ClassifierConfig"):
        from sklearn.feature_extraction.text import TfidfVectorizer

        cfg = config
        if cfg.words_from not in ("title", "text"):
            raise ValueError(f"unknown words_from {cfg.words_from!r}: expected 'title' or 'text'")
        grams = lambda t: char_ngrams(normalize(t), cfg.ngram_min, cfg.ngram_max)  # noqa: E731
        make = lambda analyzer: TfidfVectorizer(analyzer=analyzer, sublinear_tf=True,  # noqa: E731
                                                min_df=cfg.min_df, dtype=np.float32)
        self.blocks = [("", 1.0, make(grams), lambda texts: texts)]
        if cfg.title_weight > 0:
            self.blocks.append((TITLE_PREFIX, float(cfg.title_weight), make(grams),
                                lambda texts: [title_of(t) for t in texts]))
        if cfg.word_weight > 0:
            words = lexicon(2, cfg.word_max)
            found = lambda t: [g for g in substrings(normalize(t), 2, cfg.word_max) if g in words]  # noqa: E731
            part = (lambda texts: [title_of(t) for t in texts]) if cfg.words_from == "title" else (lambda texts: texts)
            self.blocks.append((WORD_PREFIX, float(cfg.word_weight), make(found), part))

    def fit_transform(self, texts):
        return self._stack([vec.fit_transform(part(texts)) for _, _, vec, part in self.blocks])

    def transform(self, texts):
        return self._stack([vec.transform(part(texts)) for _, _, vec, part in self.blocks])

    def _stack(self, matrices):
        import scipy.sparse as sp

        scaled = [m * np.float32(w) if w != 1.0 else m for m, (_, w, _, _) in zip(matrices, self.blocks)]
        return sp.hstack(scaled, format="csr", dtype=np.float32) if len(scaled) > 1 else scaled[0]

    def weights(self, coef: np.ndarray, intercept: np.ndarray) -> _Weights:
        """Fold each block's weight into its rows of ``coef`` (features × classes; in place when it is float32
        already: a many-class model's weights are not copied)."""
        vocab, idf, start = {}, [], 0
        coef = np.asarray(coef, dtype=np.float32)
        for prefix, weight, vec, _ in self.blocks:
            vocab.update({prefix + str(k): start + int(v) for k, v in vec.vocabulary_.items()})
            idf.append(vec.idf_.astype(np.float32))
            coef[start : start + len(vec.idf_)] *= np.float32(weight)
            start += len(vec.idf_)
        return _Weights(vocab=vocab, idf=np.concatenate(idf), coef=np.ascontiguousarray(coef),
                        intercept=intercept)


@dataclass
class TextClassifier:
    """A trained (or keyword-built) text classifier.

    >>> clf = TextClassifier().fit(texts, labels)          # doctest: +SKIP
    >>> clf.predict_proba_top("小区垃圾没人清运", k=3)         # doctest: +SKIP
    [('城乡建设', 0.71), ('环境保护', 0.22), ('卫生计生', 0.03)]
    """

    config: ClassifierConfig = field(default_factory=ClassifierConfig)
    classes: list[str] = field(default_factory=list)
    temperature: float = 1.0
    meta: dict = field(default_factory=dict)
    _w: _Weights | None = field(default=None, repr=False)
    _confidence: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)  # meta["confidence_map"]

    # ------------------------------------------------------------------ training
    def _fit_linear(self, texts: Sequence[str], labels: Sequence[str]):
        """(featuriser, fitted scikit-learn model); the featuriser has ``transform(texts)``."""
        from sklearn.linear_model import RidgeClassifier
        from sklearn.svm import LinearSVC

        from jiesu.dispatch.ridge import KernelRidgeClassifier

        cfg = self.config
        weights = None
        if cfg.chunk_weight > 0:
            extra_texts, extra_labels = [], []
            for text, label in zip(texts, labels):
                pieces = body_passages(text, cfg.chunk_chars)
                extra_texts += pieces
                extra_labels += [label] * len(pieces)
            if extra_texts:
                weights = np.concatenate([np.ones(len(texts)), np.full(len(extra_texts), float(cfg.chunk_weight))])
                texts = list(texts) + extra_texts
                labels = list(labels) + extra_labels
        vec = _Features(cfg)
        X = vec.fit_transform(texts)
        if cfg.model == "svm":
            svm = LinearSVC(C=cfg.C, class_weight=cfg.class_weight, random_state=cfg.random_state)
        elif cfg.model == "ridge" and KernelRidgeClassifier.fits(*X.shape, len(set(labels)), cfg.kernel_max_rows):
            svm = KernelRidgeClassifier(alpha=cfg.alpha, class_weight=cfg.class_weight, coef_dtype=np.float32)
        elif cfg.model == "ridge":
            svm = RidgeClassifier(alpha=cfg.alpha, class_weight=cfg.class_weight, solver="sparse_cg")
        else:
            raise ValueError(f"unknown model {cfg.model!r}: expected 'ridge' or 'svm'")
        svm.fit(X, labels, sample_weight=weights)
        return vec, svm

    def _weights_of(self, vec: "_Features", svm) -> _Weights:
        """The fitted model's weights as prediction uses them: one row per class, within the weight budget."""
        # ridge gives a 1-d coef_ for binary problems; the kernel ridge's float32 coef_ is used as it is (no copy)
        coef = np.atleast_2d(svm.coef_).astype(np.float32, copy=False)
        intercept = np.atleast_1d(svm.intercept_).astype(np.float32)
        if len(svm.classes_) == 2:  # sklearn keeps one row for binary problems
            coef = np.vstack([-coef[0], coef[0]])
            intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
        w = vec.weights(coef.T, intercept)
        return w.prune(self.config.max_weights) if self.config.max_weights > 0 else w

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, version: str | None = None,
            mode: str = "supervised", progress=None) -> "TextClassifier":
        """Train on parallel sequences of texts and labels (empty texts/labels skipped). `progress(fold, folds)`
        is called as each calibration fold starts (each a whole training run: minutes on many tickets)."""
        pairs = [(t, str(l).strip()) for t, l in zip(texts, labels) if l is not None and str(l).strip()]
        pairs = [(t, l) for t, l in pairs if normalize(t)]
        if not pairs:
            raise TrainingDataError("no_rows")
        texts = [t for t, _ in pairs]
        labels = [l for _, l in pairs]
        counts = Counter(labels)
        if len(counts) < 2:
            raise TrainingDataError("one_class", classes=", ".join(sorted(counts)))

        offered = len(texts)
        texts, labels, sample = self._training_sample(texts, labels)
        vec, svm = self._fit_linear(texts, labels)
        self.classes = [str(c) for c in svm.classes_]
        self._w = self._weights_of(vec, svm)

        cv = {}
        self.temperature = 1.0
        if self.config.calibrate and mode == "supervised":
            cv = self._calibrate(texts, labels, progress)
        elif mode == "keywords":
            # Too little data to calibrate: a fixed, deliberately soft temperature.
            self.temperature = 0.5

        self.meta = self._make_meta(n_train=len(texts), counts=Counter(labels), mode=mode, cv=cv, version=version)
        self.meta.update(n_offered=offered, training_sample=sample)
        self._confidence = _confidence_arrays(self.meta)
        return self

    def _training_sample(self, texts: list[str], labels: list[str]) -> tuple[list[str], list[str], dict | None]:
        """The training examples kept, each class's newest, and how they were chosen (None: all kept).

        ``max_per_class`` set: at most that many of each class. Automatic (None): a many-class ridge model is
        solved in kernel form only up to ``kernel_max_rows`` rows, and past that scikit-learn's class-by-class
        iterations take hours; so every class keeps the same share of its examples, the newest, the largest
        share whose rows (examples and their body passages) fit, and at least ``min_per_class`` of its own.
        Measured (docs/dispatch.md), a share keeps the accuracy of the newest tickets overall, and the floor
        keeps the rare categories that a window of the newest would lose."""
        from jiesu.dispatch.ridge import MIN_CLASSES

        cfg = self.config
        counts = Counter(labels)
        if cfg.max_per_class:
            quota, how = dict.fromkeys(counts, cfg.max_per_class), {"max_per_class": cfg.max_per_class}
        elif cfg.max_per_class == 0 or cfg.model != "ridge" or cfg.kernel_max_rows <= 0 or len(counts) < MIN_CLASSES:
            return texts, labels, None
        else:
            pieces = (lambda t: len(body_passages(t, cfg.chunk_chars))) if cfg.chunk_weight > 0 else (lambda t: 0)
            rows = [1 + pieces(t) for t in texts]
            if sum(rows) <= cfg.kernel_max_rows:
                return texts, labels, None
            newest = _newest_rows(labels, rows)
            floor = _largest_floor(*newest, cfg.kernel_max_rows, cfg.min_per_class)
            if not floor:  # not even the newest example of each class fits: the limit is kept, not exceeded
                need = _rows_taken(*newest, 0.0, 1)
                raise TrainingDataError("rows_limit", classes=f"{len(counts):,}", need=f"{need:,}",
                                        limit=f"{cfg.kernel_max_rows:,}")
            share = _largest_share(*newest, cfg.kernel_max_rows, floor)
            quota = quota_of_share(counts, share, floor)
            how = {"share": round(share, 4), "min_per_class": floor}
            if floor < cfg.min_per_class:  # the floor set does not fit the rows: lowered, and said so
                how.update(min_per_class_set=cfg.min_per_class, classes=len(counts),
                           rows_for_floor_set=_rows_taken(*newest, 0.0, cfg.min_per_class),
                           kernel_max_rows=cfg.kernel_max_rows)
        kept = newest_per_class(labels, quota)
        if len(kept) == len(texts):
            return texts, labels, None
        return [texts[i] for i in kept], [labels[i] for i in kept], how

    def _calibrate(self, texts: list[str], labels: list[str], progress=None) -> dict:
        """Fit the softmax temperature on out-of-fold linear scores; returns CV figures.

        The folds are stratified; a class with fewer rows than folds is missing from some training folds
        (its out-of-fold score there is very low), so that a catalogue's rare categories do not switch the
        calibration off. Past ``calibration_rows`` rows the folds are cut from a random sample of that many:
        one temperature needs no more, and each fold is a whole training run. A model over its weight budget
        is calibrated on folds pruned the same way, since those are the scores its temperature divides."""
        import warnings

        from sklearn.model_selection import StratifiedKFold

        from jiesu.dispatch.ridge import MIN_CLASSES

        cfg = self.config
        limit = cfg.calibration_rows
        if 0 < limit < len(texts):
            pick = np.sort(np.random.default_rng(cfg.random_state).choice(len(texts), limit, replace=False))
            texts, labels = [texts[i] for i in pick], [labels[i] for i in pick]
        counts = Counter(labels)
        k = min(cfg.calibration_folds, max(counts.values()))
        if k < 2 or len(counts) < 2:
            return {}
        y = np.array(labels)
        scores = np.zeros((len(texts), len(self.classes)), dtype=np.float64)
        scored = np.zeros(len(texts), dtype=bool)
        learnable = np.zeros(len(texts), dtype=bool)  # the row's class was in its fold's training part
        skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.config.random_state)
        with warnings.catch_warnings():  # "the least populated class has only 1 member": see above
            warnings.simplefilter("ignore", UserWarning)
            splits = list(skf.split(np.zeros(len(y)), y))
        for fold, (tr, te) in enumerate(splits, 1):
            if progress is not None:
                progress(fold, len(splits))
            if len(set(y[tr])) < 2:
                continue  # a class with one row or two: this fold trains on one class, which says nothing
            sub = TextClassifier(config=ClassifierConfig.from_dict(asdict(self.config)))
            vec, svm = sub._fit_linear([texts[i] for i in tr], y[tr])
            if self._w.pruned:  # scored as the final model predicts: its weights pruned to the budget alike
                sub._w = sub._weights_of(vec, svm)
                d = np.vstack([sub.decision_scores(texts[i]) for i in te])
            else:
                d = svm.decision_function(vec.transform([texts[i] for i in te]))
                if d.ndim == 1:
                    d = np.column_stack([-d, d])
            # classes present in this fold's training set, mapped onto ours
            cols = [self.classes.index(str(c)) for c in svm.classes_]
            full = np.full((len(te), len(self.classes)), -10.0)
            full[:, cols] = d
            scores[te] = full
            scored[te] = True
            learnable[te] = np.isin(y[te], svm.classes_)
        if not scored.any():
            return {}
        scores, yi = scores[scored], np.array([self.classes.index(l) for l in labels])[scored]
        learnable = learnable[scored]  # the map is fitted on these only: the others could not be right in their fold
        self.temperature = _fit_temperature(scores, yi)
        pred = scores.argmax(1)
        probs = _softmax(scores / self.temperature)
        figures = {
            "cv_folds": k,
            "cv_rows": int(scored.sum()),
            "cv_accuracy": round(float((pred == yi).mean()), 4),
            "cv_macro_f1": round(_macro_f1(yi, pred, len(self.classes)), 4),
            "cv_log_loss": round(float(-np.log(np.maximum(probs[np.arange(len(yi)), yi], 1e-12)).mean()), 4),
            "cv_ece": round(_ece(probs, yi), 4),
        }
        if len(self.classes) >= MIN_CLASSES:  # where one temperature is not enough (docs/dispatch.md)
            figures["confidence_map"] = _fit_confidence_map(probs[learnable], yi[learnable])
        return figures

    def _make_meta(self, *, n_train, counts, mode, cv, version):
        import sklearn

        now = _dt.datetime.now(_dt.timezone.utc)  # to the microsecond: retrain judges on tickets closed after it
        digest = hashlib.sha1(b"".join(a.tobytes() for a in self._w.arrays().values())).hexdigest()[:8]
        w = self._w
        return {
            "format": FORMAT,
            "format_version": w.format_version,
            "weights_per_feature": w.top_classes.shape[1] if w.pruned else len(self.classes),
            "model_version": version or f"{now:%Y%m%d%H%M%S}-{digest}",
            "mode": mode,
            "classes": self.classes,
            "class_counts": {c: counts[c] for c in self.classes},
            "n_train": n_train,
            "n_features": len(self._w.vocab),
            "trained_at": now.isoformat(),
            "temperature": self.temperature,
            "config": asdict(self.config),
            "libraries": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "scikit-learn": sklearn.__version__,
            },
            **cv,
        }

    @classmethod
    def from_keywords(cls, pairs: Iterable[tuple[str, str]], *, version: str | None = None,
                      config: ClassifierConfig | None = None) -> "TextClassifier":
        """Cold start: build a classifier from (label, text) pairs such as
        ("环境保护", "环境保护 大气污染 噪音 排污 垃圾焚烧").

        Each pair's text is used whole and also split on spaces and Chinese/ASCII
        punctuation into keywords, each keyword one training example; the label
        itself counts as a keyword. The result has the same interface as a
        trained classifier (mode "keywords" in its metadata; probabilities are
        not calibrated).
        """
        texts, labels = [], []
        for label, text in pairs:
            label = str(label).strip()
            if not label:
                continue
            for piece in [label, text or "", *_KEYWORD_SPLIT.split(text or "")]:
                if normalize(piece):
                    texts.append(piece)
                    labels.append(label)
        cfg = config or ClassifierConfig(calibrate=False, class_weight="balanced")
        return cls(config=cfg).fit(texts, labels, version=version, mode="keywords")

    # ---------------------------------------------------------------- predicting
    def _require(self) -> _Weights:
        if self._w is None:
            raise RuntimeError("classifier is not trained: call fit(), from_keywords() or load()")
        return self._w

    def decision_scores(self, text: str) -> np.ndarray:
        """Raw per-class linear scores for one text (fast path: no sparse matrices; the blocks' terms are
        gathered first and multiplied with the weights once)."""
        w = self._require()
        if w.coded is not None and self.config.ngram_max <= 2:
            return self._coded_scores(w, text)
        norm = normalize(text)
        grams = Counter(self._grams(norm))
        terms = [self._terms(w.text_vocab, w, grams)]
        title = normalize(title_of(text)) if w.title_vocab or w.word_vocab else ""
        if w.title_vocab:  # block weights are folded into coef
            terms.append(self._terms(w.title_vocab, w, grams if title == norm else Counter(self._grams(title))))
        if w.word_vocab:  # only words the model knows count, as the training vectoriser did
            cfg = self.config
            if cfg.words_from == "text" and cfg.word_max == 2 and cfg.ngram_min <= 2 <= cfg.ngram_max:
                words = {g: grams[g] for g in grams.keys() & w.word_vocab.keys()}  # the bigrams already counted
            else:
                words = self._words(title if cfg.words_from == "title" else norm, w.word_vocab)
            terms.append(self._terms(w.word_vocab, w, words))
        terms = [t for t in terms if t is not None]
        out = w.intercept.astype(np.float64)
        if terms:
            rows, values = (np.concatenate(parts) for parts in zip(*terms))
            w.add_scores(out, rows, values)
        return out

    def _coded_scores(self, w: _Weights, text: str) -> np.ndarray:
        """``decision_scores`` for 1–2-gram models: the n-grams of the text and of its title as integer
        codes, found in every block at once and weighted in numpy (the same features; a message's ~800
        n-grams never become Python strings)."""
        cfg = self.config
        chars, title_chars = _text_and_title_code_points(str(text) if text else "")
        ids, tf, in_text = w.coded.find(*gram_codes(chars, cfg.ngram_min, cfg.ngram_max, tagged=title_chars))
        words = slice(in_text, None) if cfg.words_from == "title" else slice(None, in_text)
        rows = np.concatenate((ids[:, 0], ids[words, 1]))  # the text block, the title block, the word block
        values = np.concatenate((tf, tf[words])).astype(np.float32)
        np.log(values, out=values)
        values += 1.0
        values *= w.idf_or_zero[rows]
        for start, end in ((0, in_text), (in_text, len(ids)), (len(ids), len(rows))):  # each block's L2 norm
            block = values[start:end]
            norm = np.dot(block, block)
            if norm > 0:
                block *= np.float32(1.0 / np.sqrt(norm))
        out = w.intercept.astype(np.float64)
        known = rows >= 0
        if known.any():
            w.add_scores(out, rows[known], values[known])
        return out

    def _words(self, norm: str, known: dict[str, int]) -> Counter:
        """Counts of the known words of 2..word_max characters in a normalised text (= substrings(),
        filtered, but built from the bigrams by string concatenation in C loops)."""
        bigrams = list(map(operator.add, norm, norm[1:]))
        found = Counter(filter(known.__contains__, bigrams))
        if self.config.word_max >= 3:
            found.update(filter(known.__contains__, map(operator.add, bigrams, norm[2:])))
        if self.config.word_max >= 4:
            found.update(filter(known.__contains__, map(operator.add, bigrams, bigrams[2:])))
        if self.config.word_max >= 5:
            found.update(filter(known.__contains__, substrings(norm, 5, self.config.word_max)))
        return found

    def _grams(self, norm: str) -> list[str]:
        return char_ngrams(norm, self.config.ngram_min, self.config.ngram_max)

    @staticmethod
    def _terms(vocab: dict[str, int], w: _Weights, grams: dict[str, int]):
        """One L2-normalised sublinear TF-IDF block: (weight rows, values), or None when no term is known."""
        n = len(grams)
        ids = np.fromiter(map(vocab.get, grams, repeat(-1)), dtype=np.intp, count=n)
        known = ids >= 0
        if not known.any():
            return None
        ii = ids[known]
        tf = np.fromiter(grams.values(), dtype=np.float32, count=n)[known]
        v = (1.0 + np.log(tf)) * w.idf[ii]
        v /= np.sqrt(np.dot(v, v))
        return ii, v

    def predict_proba_one(self, text: str) -> np.ndarray:
        p = _softmax(self.decision_scores(text) / self.temperature)
        if self._confidence is not None:
            p = mapped_confidence(p[None, :], np.array([p.argmax()]), *self._confidence)[0]
        return p

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_classes) probabilities, columns in ``self.classes`` order."""
        self._require()
        if not len(texts):
            return np.zeros((0, len(self.classes)))
        return np.vstack([self.predict_proba_one(t) for t in texts])

    def predict(self, texts: Sequence[str]) -> list[str]:
        self._require()
        return [self.classes[int(np.argmax(self.decision_scores(t)))] for t in texts]

    def predict_one(self, text: str) -> str:
        return self.predict([text])[0]

    def predict_proba_top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely labels for one text, best first: [(label, probability)]."""
        e = self.decision_scores(text) / self.temperature
        e -= e.max()
        np.exp(e, out=e)  # the softmax's numerators (as _softmax computes them); only k are divided
        n, k = len(e), max(1, min(k, len(e)))
        best = e.argpartition(n - k)[n - k:] if k < n else np.arange(n)
        top = e[best] / e.sum()
        order = np.lexsort((best, -top))  # most likely first; ties by class order, as a full sort
        best, top = best[order], top[order]
        if self._confidence is not None:
            top = mapped_confidence(top[None, :], np.zeros(1, dtype=np.intp), *self._confidence)[0]
        return [(self.classes[i], pi) for i, pi in zip(best.tolist(), top.tolist())]

    # ------------------------------------------------------------- persistence
    @property
    def version(self) -> str:
        return self.meta.get("model_version", "")

    @property
    def weights(self) -> "_Weights | None":
        """The weights prediction uses (vocabularies, idf, coefficients), for vectorised scorers such as the
        importer's (jiesu.importer.fastclf); None before training."""
        return self._w

    @property
    def confidence_map(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The top label's calibration map (meta["confidence_map"] as arrays), None without one."""
        return self._confidence

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` (a ``.npz`` archive; the suffix is added if missing)."""
        w = self._require()
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        words = sorted(w.vocab, key=w.vocab.__getitem__)
        meta = dict(self.meta, classes=self.classes, temperature=self.temperature, config=asdict(self.config),
                    format_version=w.format_version, n_text_features=len(w.text_vocab),
                    n_title_features=len(w.title_vocab), n_word_features=len(w.word_vocab))
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                vocab=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
                idf=w.idf,
                intercept=w.intercept,
                **w.arrays(),
            )
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "TextClassifier":
        meta, words, idf, intercept, weights = _checked_archive(Path(path))
        config = dict(meta.get("config", {}))
        version = meta.get("format_version")
        if version < 3:
            config["word_weight"] = 0.0  # no word block before version 3
        if version == 1:
            config["title_weight"] = 0.0  # no title block before version 2
        obj = cls(
            config=ClassifierConfig.from_dict(config),
            classes=list(meta["classes"]),
            temperature=float(meta.get("temperature", 1.0)),
            meta=meta,
        )
        obj._w = _Weights(vocab=dict(zip(words, range(len(words)))), idf=idf, coef=weights.get("coef"),
                          intercept=intercept, prefixed=version > 1, top_classes=weights.get("top_classes"),
                          top_values=weights.get("top_values"))
        obj._confidence = _confidence_arrays(meta)
        return obj


def model_meta(path: str | Path) -> dict | None:
    """A model file's metadata alone (the archive's other members are not read: a page naming the previous
    model need not read its 50 MB); None when the file is missing or no readable model."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
    except Exception:  # noqa: BLE001 — missing, damaged, not ours: no metadata
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == FORMAT and not meta_problem(meta) else None


def meta_problem(meta: dict, fields=("classes", "n_train", "n_features", "trained_at")) -> str | None:
    """The first of `fields` of a model's metadata that is missing or not of its kind (classes: a list of names;
    n_train, n_features: whole numbers; trained_at, when there: an ISO time), which reading the model or saying
    its metadata (`jiesu dispatch info`) would fail on; None when there is none."""
    for name in fields:
        value = meta.get(name)
        if name == "classes":
            ok = isinstance(value, list) and all(isinstance(c, str) for c in value)
        elif name == "trained_at":
            try:
                ok = value is None or (isinstance(value, str) and _dt.datetime.fromisoformat(value) is not None)
            except ValueError:
                ok = False
        else:
            ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok:
            return name
    return None


def check_model_file(path: str | Path) -> None:
    """Raise what TextClassifier.load would on a file that is no readable model (FileNotFoundError,
    ModelFormatError), without building the classifier: a process that only asks whether the file reads (the
    worker's schedule, the accuracy page) does not prepare the character tables of prediction (~0.7 s)."""
    _checked_archive(Path(path))


def _checked_archive(path: Path):
    """(meta, vocabulary words, idf, intercept, {weight arrays}) of a model file whose format, version and shapes
    this code reads."""
    if not path.exists():
        raise FileNotFoundError(f"model file not found: {path}")
    meta, vocab_blob, idf, intercept, weights = _read_archive(path)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFormatError("other_npz", path=str(path))
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise ModelFormatError("version", path=str(path), version=meta.get("format_version"),
                               readable=", ".join(map(str, READABLE_VERSIONS)))
    words = vocab_blob.split("\n") if vocab_blob else []
    if meta_problem(meta, ("classes",)):  # what prediction reads of it
        raise ModelFormatError("meta_field", path=str(path), field="classes")
    n_classes = len(meta["classes"])
    if "coef" in weights:
        consistent = weights["coef"].shape == (len(idf), n_classes)
    else:
        top_classes, top_values = weights.get("top_classes"), weights.get("top_values")
        consistent = (top_classes is not None and top_values is not None and top_classes.ndim == 2
                      and top_classes.shape == top_values.shape and len(top_classes) == len(idf)
                      and (top_classes.size == 0 or int(top_classes.max()) < n_classes))
    if len(words) != len(idf) or len(intercept) != n_classes or not consistent:
        raise ModelFormatError("shapes", path=str(path))
    return meta, words, idf, intercept, weights


def _read_archive(path: Path):
    """(meta, vocabulary text, idf, intercept, {weight arrays}) of a model file; ModelFormatError naming the file and
    what it is instead (never numpy's own wording: its advice to load a file unsafely does not apply)."""
    import zipfile

    try:
        with open(path, "rb") as fh:
            start = fh.read(4)
    except IsADirectoryError:
        raise ModelFormatError("directory", path=str(path)) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if start != b"PK\x03\x04":  # what every .npz (a zip archive) begins with
        raise ModelFormatError("not_npz" if start else "empty", path=str(path))
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [name for name in ("meta", "vocab", "idf", "intercept") if name not in z.files]
            if missing:
                raise ModelFormatError("npz_without", path=str(path), missing=", ".join(missing))
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            vocab_blob = z["vocab"].tobytes().decode("utf-8")
            idf, intercept = z["idf"], z["intercept"]
            weights = {name: z[name] for name in ("coef", "top_classes", "top_values") if name in z.files}
    except ModelFormatError:
        raise
    except (zipfile.BadZipFile, EOFError):
        raise ModelFormatError("damaged", path=str(path)) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    except (ValueError, KeyError):  # an array of objects (pickled), metadata that is not JSON text…
        raise ModelFormatError("other_layout", path=str(path)) from None
    return meta, vocab_blob, idf, intercept, weights


def _unreadable(path, exc: OSError) -> ModelFormatError:
    return ModelFormatError("unreadable", path=str(path), why=exc.strerror or str(exc), errno=exc.errno)


_KEYWORD_SPLIT = re.compile(r"[\s,，、;；/|｜:：。.!！?？()（）【】\[\]]+")


def train_from_tickets(rows: Iterable[tuple[str, str]], *, version: str | None = None,
                       config: ClassifierConfig | None = None) -> TextClassifier:
    """Train from (text, label) pairs, e.g. closed tickets' text and the
    dispatcher-confirmed category. Rows with an empty text or label are skipped;
    ``meta["n_skipped"]`` says how many."""
    texts, labels, skipped = [], [], 0
    for text, label in rows:
        label = "" if label is None else str(label).strip()
        if not label or not normalize(text):
            skipped += 1
            continue
        texts.append(text)
        labels.append(label)
    clf = TextClassifier(config=config or ClassifierConfig()).fit(texts, labels, version=version)
    clf.meta["n_skipped"] = skipped
    return clf


# ---------------------------------------------------------------------- helpers
def newest_per_class(labels: Sequence[str], quota: Mapping[str, int]) -> list[int]:
    """Indices of the last ``quota[label]`` examples of each label (the newest, when given oldest first), in order."""
    seen: Counter = Counter()
    kept = []
    for i in range(len(labels) - 1, -1, -1):
        if seen[labels[i]] < quota[labels[i]]:
            seen[labels[i]] += 1
            kept.append(i)
    return kept[::-1]


def quota_of_share(counts: Mapping[str, int], share: float, floor: int) -> dict[str, int]:
    """Per label: ``share`` of its examples (rounded up), at least ``floor``, at most all of them."""
    return {label: min(n, max(floor, math.ceil(share * n))) for label, n in counts.items()}


def share_that_fits(labels: Sequence[str], rows: Sequence[int], budget: int, floor: int) -> float:
    """The largest share (0–1, to 1e-4) for which ``quota_of_share`` of the newest examples of every label take
    at most ``budget`` rows, example ``i`` taking ``rows[i]``; 0 when the floor alone does not fit."""
    return _largest_share(*_newest_rows(labels, rows), budget, floor)


def _newest_rows(labels: Sequence[str], rows: Sequence[int]):
    """(counts per label, rows_of_newest(label, q): the rows the newest q examples of a label take)."""
    newest_first: dict[str, list[int]] = {}
    for label, n in zip(reversed(labels), reversed(rows)):
        newest_first.setdefault(label, []).append(n)
    sums = {label: np.cumsum(r) for label, r in newest_first.items()}
    counts = {label: len(r) for label, r in newest_first.items()}
    return counts, lambda label, q: int(sums[label][q - 1])


def share_of_counts(counts: Mapping[str, int], budget: int, floor: int) -> float:
    """share_that_fits when every example takes one row, from the counts alone (no list of labels: the
    training data's reader sizes what it reads from the database with it, jiesu.dispatch.training)."""
    return _largest_share(counts, lambda label, q: q, budget, floor)


def _largest_share(counts, rows_of_newest, budget, floor) -> float:
    """The largest share (to 1e-4) whose quotas (quota_of_share) take at most ``budget`` rows, the newest q
    examples of a label taking rows_of_newest(label, q) rows; 0 when the floor alone does not fit (then
    _largest_floor says how far the floor must come down)."""

    def total(share: float) -> int:
        return _rows_taken(counts, rows_of_newest, share, floor)

    lo, hi = 0.0, 1.0
    if total(hi) <= budget:
        return hi
    while hi - lo > 1e-4:  # total grows with the share
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if total(mid) <= budget else (lo, mid)
    return lo


def _rows_taken(counts, rows_of_newest, share, floor) -> int:
    """The rows that quota_of_share(counts, share, floor) of the newest examples take."""
    return sum(rows_of_newest(label, q) for label, q in quota_of_share(counts, share, floor).items() if q)


def _largest_floor(counts, rows_of_newest, budget, floor) -> int:
    """The largest per-label minimum, at most ``floor``, whose newest examples of every label take at most
    ``budget`` rows: ``floor`` itself when it fits; 0 when not even one example of each label does."""
    lo, hi = 0, floor  # the rows taken grow with the floor: the largest that fits, by bisection
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if _rows_taken(counts, rows_of_newest, 0.0, mid) <= budget else (lo, mid - 1)
    return lo


def keep_strongest(coef: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``coef`` (features × classes), its m weights largest in magnitude: (classes, weights), both
    (n_features, m); classes as uint16 when they fit."""
    n_features, n_classes = coef.shape
    classes = np.empty((n_features, m), dtype=np.uint16 if n_classes <= 65536 else np.int32)
    values = np.empty((n_features, m), dtype=np.float32)
    for start in range(0, n_features, 16384):  # a slice at a time: no (n_features × n_classes) temporaries
        part = coef[start:start + 16384]
        best = np.argpartition(-np.abs(part), m - 1, axis=1)[:, :m]
        classes[start:start + 16384] = best
        values[start:start + 16384] = np.take_along_axis(part, best, axis=1)
    return classes, values


def _fit_confidence_map(probs: np.ndarray, y: np.ndarray) -> dict:
    """How often the top label was right, as an increasing function of its probability (isotonic regression
    on out-of-fold predictions): {"x": probabilities, "y": shares right}, interpolated between. A single
    temperature leaves a model of many classes over-confident at its top (docs/dispatch.md).

    The probability's own claim is a prior (CONFIDENCE_PRIOR rows at each of CONFIDENCE_PRIOR_POINTS points from
    0 to 1, right as often as they say): where the rows are many they decide, where they are few or none (a
    model of texts alike is sure of nearly all of them) the map stays near the softmax instead of flattening a
    whole range to the share right of its last few rows, or jumping by a third at a row."""
    from sklearn.isotonic import IsotonicRegression

    prior = np.linspace(0.0, 1.0, CONFIDENCE_PRIOR_POINTS)
    top = np.concatenate([probs.max(1), prior])
    right = np.concatenate([(probs.argmax(1) == y).astype(np.float64), prior])
    weight = np.concatenate([np.ones(len(probs)), np.full(len(prior), CONFIDENCE_PRIOR)])
    fit = IsotonicRegression(y_min=CONFIDENCE_FLOOR, y_max=1.0, out_of_bounds="clip").fit(top, right,
                                                                                         sample_weight=weight)
    return {"x": [round(float(v), 6) for v in fit.X_thresholds_],
            "y": [round(float(v), 6) for v in fit.y_thresholds_]}


def _confidence_arrays(meta: dict) -> tuple[np.ndarray, np.ndarray] | None:
    found = meta.get("confidence_map")
    if not found:
        return None
    return np.asarray(found["x"], dtype=np.float64), np.asarray(found["y"], dtype=np.float64)


def mapped_confidence(p: np.ndarray, top: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Probabilities (one row per text) with each row's top label (column ``top``) given the share right
    that the confidence map (xs, ys) says for its probability, g. The order of the labels stays: when g is
    below the top probability every probability is scaled by g / p_top; above it, the others share 1 − g in
    their proportions. A row then sums to at most 1."""
    rows = np.arange(len(p))
    p_top = p[rows, top]
    g = np.interp(p_top, xs, ys)
    scale = np.where(g <= p_top, g / np.maximum(p_top, 1e-300), (1.0 - g) / np.maximum(1.0 - p_top, 1e-300))
    out = p * scale[:, None]
    out[rows, top] = g
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood (golden-section on log T)."""

    def nll(log_t: float) -> float:
        p = _softmax(scores / math.exp(log_t))
        return float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())

    a, b = math.log(0.01), math.log(10.0)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = nll(c), nll(d)
    for _ in range(60):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = nll(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = nll(d)
    return float(math.exp((a + b) / 2))


def _macro_f1(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    f1s = []
    for c in range(n_classes):
        tp = int(((pred == c) & (y == c)).sum())
        fp = int(((pred == c) & (y != c)).sum())
        fn = int(((pred != c) & (y == c)).sum())
        if tp + fp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s)) if f1s else 0.0


def _ece(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top-1 probability."""
    return calibration_error(probs.max(1), probs.argmax(1) == y, bins)


def calibration_error(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of confidences `conf` given whether each was right (`correct`): the gap between
    the mean confidence and the share right in each of `bins` equal bins, weighted by the bin's rows."""
    conf, correct = np.asarray(conf, dtype=np.float64), np.asarray(correct, dtype=bool)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)
