"""The dispatch engine: request text + place → top (category, unit) suggestions, explained.

    from jiesu.dispatch.engine import suggest

    for s in suggest("王府井大街有人占道经营", address="东城区王府井大街", top=3):
        print(s.rank, s.category.name, s.lead.name, s.confidence, s.explanation)

For each of the classifier's most likely categories the router gives its
lead unit (and alternatives); a suggestion's confidence is the category's
probability × the routing confidence (how sure the place and the duty are),
and the list is sorted by it. The classifier is any object with
`predict_proba_top(text, k) -> [(label, p)]` whose labels are category codes
(or unique category names); by default:

1. the model file named by settings.JIESU["DISPATCH_MODEL"] (env JIESU_DISPATCH_MODEL; default
   var/models/desk.npz), if it exists (trained on the platform's closed tickets, labels = category
   codes); a process looks every MODEL_CHECK_SECONDS whether the file was replaced (`jiesu dispatch
   retrain`) and then loads the new one in a thread, answering with the model in use meanwhile
   (loading takes 0.3–1 s);
2. else, or while that file cannot be read (cut off, not a model: `unreadable_model()` says which and why,
   for the accuracy page; a process that loaded a trained model before keeps it), a cold-start model built from the catalogue's category names and
   keywords (classifier.TextClassifier.from_keywords), saved under
   settings.JIESU["DISPATCH_MODEL_DIR"] (var/models) and reused while the
   catalogue is unchanged;
3. else, when numpy/scikit-learn are not there, `KeywordClassifier` below.
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from jiesu.dispatch.locator import locate
from jiesu.dispatch.wording import words
from jiesu.dispatch.router import reference
from jiesu.dispatch.training import model_path

log = logging.getLogger(__name__)


@dataclass
class EngineSuggestion:
    rank: int
    category: object          # Category
    probability: float        # the classifier's
    lead: object              # Unit
    co: list = field(default_factory=list)
    duty_id: int | None = None
    routing_confidence: float = 0.0
    confidence: float = 0.0   # probability × routing_confidence
    explanation: str = ""
    mode: str = ""
    copy_to: object = None

    def as_dict(self):
        brief = lambda u: {"code": u.code, "name": u.name, "kind": str(u.kind)} if u is not None else None  # noqa: E731
        return {"rank": self.rank,
                "category": {"code": self.category.code, "name": self.category.name},
                "probability": round(self.probability, 4), "lead": brief(self.lead),
                "co": [brief(u) for u in self.co], "copy_to": brief(self.copy_to), "duty_id": self.duty_id,
                "routing_confidence": round(self.routing_confidence, 4), "confidence": round(self.confidence, 4),
                "mode": self.mode, "explanation": self.explanation}


class Suggestions(list):
    """The ranked suggestions, with the place they were routed for and the classifier used."""

    place = None
    classifier = ""
    cold_start = False  # the classifier is a cold start's: its probabilities rank, they are not calibrated
    seconds = 0.0


def suggest(text, address="", lon=None, lat=None, coord_system="wgs84", top=3, classifier=None,
            ref=None) -> Suggestions:
    """Top (category, unit) suggestions for a request; raises locator.LocateError on bad coordinates."""
    started = time.perf_counter()
    ref = ref or reference()
    clf = classifier or default_classifier(ref)
    place = locate(address, lon, lat, coord_system, text=text, ref=ref)
    table = ref.table
    top = max(1, int(top))
    scored, chain, w = [], table.place_chain(place), words()
    for label, p in sorted(clf.predict_proba_top(text or "", top + 3), key=lambda lp: -lp[1]):
        if _settled(scored, p, top):
            break
        category = _category(table, label)
        if category is None:
            continue
        for s in table.route(category, place, chain=chain, w=w)[:2]:
            scored.append((p * s.confidence, p, category, s))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    out, seen = Suggestions(), set()
    for score, p, category, s in scored:
        # the GB/T subtree repeats some names of our own tree (占道经营): one line per name and unit
        key = (category.name, s.lead.id if s.lead is not None else None)
        if key in seen:
            continue
        seen.add(key)
        out.append(EngineSuggestion(
            rank=len(out) + 1, category=category, probability=p, lead=s.lead, co=s.co, duty_id=s.duty_id,
            routing_confidence=s.confidence, confidence=round(score, 4), mode=s.mode, copy_to=s.copy_to,
            explanation=w["suggestion"] % {"name": category.name, "p": f"{p:.0%}", "c": f"{s.confidence:.0%}",
                                           "rest": s.explanation}))
        if len(out) == top:
            break
    out.place = place
    out.classifier = getattr(clf, "version", "") or type(clf).__name__
    out.cold_start = is_cold_start(clf)
    out.seconds = time.perf_counter() - started
    return out


def is_cold_start(clf) -> bool:
    """Whether `clf` was made from the catalogue's names and keywords (no labelled text): its probabilities are
    flat over hundreds of categories (the right one often at 1–10 %), good for ranking only."""
    return isinstance(clf, KeywordClassifier) or (getattr(clf, "meta", None) or {}).get("mode") == "keywords"


def _settled(scored, p, top):
    """Whether `top` distinct suggestions already score at least `p`: a routing confidence is at most 1,
    so no category of probability ≤ p can place above them (routing it would change nothing)."""
    keys = {(c.name, s.lead.id if s.lead is not None else None) for score, _p, c, s in scored if score >= p}
    return len(keys) >= top


def _category(table, label):
    category = table.category_by_code.get(label)
    if category is None:
        category = _names(table).get(label)
    return category if category is not None and category.active else None


def _names(table):
    names = getattr(table, "_unique_leaf_names", None)
    if names is None:
        parents = {c.parent_id for c in table.categories.values()}
        counts = {}
        for c in table.categories.values():
            if c.id not in parents:
                counts.setdefault(c.name, []).append(c)
        names = table._unique_leaf_names = {n: cs[0] for n, cs in counts.items() if len(cs) == 1}
    return names


# --------------------------------------------------------------------------- classifiers

def keyword_pairs(categories) -> list[tuple[str, str]]:
    """(category code, "name keywords…") for the active leaves: the cold-start training data."""
    categories = list(categories)
    parents = {c.parent_id for c in categories if c.active}
    return [(c.code, f"{c.name} {c.keywords}".strip()) for c in sorted(categories, key=lambda c: c.code)
            if c.active and c.id not in parents]


_SPLIT = re.compile(r"[\s,，、;；/|｜:：。.!！?？()（）【】\[\]]+")


class KeywordClassifier:
    """Pure-Python cold start: a category scores the summed length of its keywords found in the text.

    Used only when the numpy classifier (classifier.TextClassifier) cannot be built.
    """

    version = "keywords-fallback"

    def __init__(self, pairs):
        self.labels = []
        self._by_first = {}
        for label, text in pairs:
            self.labels.append(label)
            for word in {w for w in _SPLIT.split(text or "") if len(w) >= 2}:
                self._by_first.setdefault(word[0], []).append((word, label))

    def predict_proba_top(self, text, k=3):
        scores = {}
        text = text or ""
        for i, ch in enumerate(text):
            for word, label in self._by_first.get(ch, ()):
                if text.startswith(word, i):
                    scores[label] = scores.get(label, 0.0) + len(word)
        total = sum(scores.values())
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        out = [(label, 0.9 * s / total) for label, s in ranked]
        rest = [lab for lab in self.labels if lab not in scores]
        share = 0.1 / max(1, len(rest)) if out else 1.0 / max(1, len(self.labels))
        out += [(lab, share) for lab in rest[: k - len(out)]]
        return out


MODEL_CHECK_SECONDS = 30  # how often a process looks whether the configured model file was replaced (a stat)
_classifier = {"key": None, "model": None, "checked": None, "at": 0.0, "failed": None, "unreadable": None}
_classifier_lock = threading.Lock()
_reload = {"thread": None}  # the thread loading a replaced model file, if any
_reload_lock = threading.Lock()
_clock = time.monotonic


def _model_dir() -> Path:
    from django.conf import settings

    conf = getattr(settings, "JIESU", {})
    return Path(conf.get("DISPATCH_MODEL_DIR") or (Path(settings.VAR_DIR) / "models"))


@dataclass(frozen=True)
class UnreadableModel:
    """The configured model file that could not be read, and why (for staff: a server path, the error)."""

    path: str
    error: str                 # in English (the server log's)
    exc: BaseException | None = field(default=None, compare=False)  # worded in the reader's language: words()
    kept: str = ""             # the version of the trained model this process loaded before and keeps; "": the
    #                            cold start answers

    def words(self, translate):
        """Why the file cannot be read, in the language of `translate` (gettext): the loader's error codes
        (classifier.ModelFormatError) worded, naming the file."""
        from jiesu.core.worded import words_of

        return self.error if self.exc is None else words_of(self.exc, translate)


def unreadable_model():
    """The configured model file this process could not read (UnreadableModel), or None: while the cold start
    answers instead, or while this process keeps the trained model it loaded before (UnreadableModel.kept; a
    process started now would answer with the cold start)."""
    return _classifier["unreadable"]


def default_classifier(ref=None):
    """The engine's classifier for this process (see the module docstring), cached.

    A configured model file is looked at again (one stat) every MODEL_CHECK_SECONDS: a file replaced meanwhile
    is loaded in a thread, and the request that notices it (and those after it, until it is loaded) gets the
    model in use: no dispatcher waits for a load. Only a process with no model yet loads it there and then. A
    replacement that cannot be loaded leaves a trained model in use (logged; unreadable_model().kept names it). A
    file that cannot be loaded instead of the cold start or of nothing (a process starting on a damaged file)
    leaves the cold start in use. Either way the file is not read again until it is replaced."""
    from django.conf import settings

    ref = ref or reference()
    configured = getattr(settings, "JIESU", {}).get("DISPATCH_MODEL")
    pairs = None
    checked, now = _classifier["checked"], _clock()
    if (_classifier["key"] is not None and checked and checked[0]() is ref and checked[1] == configured
            and (not configured or now - _classifier["at"] < MODEL_CHECK_SECONDS)):
        return _classifier["model"]  # same reference data, same setting, the file looked at lately
    path = model_path(configured) if configured else None  # as the trainer writes it (.npz added)
    found = _stat(path) if path else None
    if found is not None:
        key = ("file", str(path), found.st_mtime_ns, found.st_size, found.st_ino)
    else:
        _classifier["failed"] = _classifier["unreadable"] = None
    if found is not None and key == _classifier["failed"] and _classifier["key"][0] == "file":
        key = _classifier["key"]  # a file that could not be read after a trained one: that one stays
    elif found is None or key == _classifier["failed"]:  # no file, or one that could not be read: the cold start
        pairs = keyword_pairs(ref.table.categories.values())
        key = _cold_start_key(pairs)
        if configured and found is None and _classifier["key"] != key:
            log.warning("dispatch: the model file %s (JIESU_DISPATCH_MODEL) does not exist (yet); using the cold "
                        "start until one is trained there (jiesu worker, jiesu setup)", path)
    if _classifier["key"] != key:
        if pairs is None and _classifier["model"] is not None:
            _load_in_background(key, path)
        else:
            with _classifier_lock:
                if _classifier["key"] != key:
                    _load_into_cache(key, path, pairs, ref)
    _classifier["checked"], _classifier["at"] = (weakref.ref(ref), configured), now
    return _classifier["model"]


def _stat(path):
    try:
        return Path(path).stat()
    except FileNotFoundError:
        return None


def _load_in_background(key, configured):
    """Start loading a replaced model file in a thread, unless one is at it already."""
    with _reload_lock:
        running = _reload["thread"]
        if running is not None and running.is_alive():
            return
        _reload["thread"] = threading.Thread(target=_load_into_cache, args=(key, configured, None), daemon=True,
                                             name="jiesu-dispatch-model-reload")
        _reload["thread"].start()


def finish_reload(timeout=None):
    """Wait for a model file being loaded in the background (tests, benchmarks); True when none is loading."""
    running = _reload["thread"]
    if running is not None:
        running.join(timeout)
    return running is None or not running.is_alive()


def _cold_start_key(pairs):
    return ("keywords", hashlib.sha1(repr(pairs).encode("utf-8")).hexdigest()[:12])


def _load_into_cache(key, configured, pairs, ref=None):
    try:
        model = _load_file(configured) if pairs is None else cold_start_classifier(pairs, key[1])
    except Exception as exc:  # noqa: BLE001 — a damaged file must not take the desk's suggestions away
        if pairs is not None and _classifier["model"] is None:
            raise
        on_cold_start = pairs is None and (_classifier["model"] is None or _classifier["key"][0] == "keywords")
        kept = ("the cold start until the file is replaced" if on_cold_start
                else getattr(_classifier["model"], "version", "the model in use"))
        if _said_in_full(exc):
            log.error("dispatch: cannot load the model file %s: %s; keeping %s", configured, exc, kept)
        else:
            log.exception("dispatch: cannot load the model file %s; keeping %s", configured, kept)
        if on_cold_start:
            _fall_back_to_the_cold_start(key, configured, exc, ref)
        else:
            _classifier["failed"], _classifier["unreadable"] = key, _unreadable(configured, exc, kept)
        return
    if pairs is None:
        _classifier["failed"] = _classifier["unreadable"] = None
    _classifier["model"], _classifier["key"] = model, key


def _fall_back_to_the_cold_start(key, configured, exc, ref):
    """Answer with the cold start while the model file at `key` cannot be read (not looked at again until it is
    replaced), and say so (unreadable_model)."""
    _classifier["failed"], _classifier["unreadable"] = key, _unreadable(configured, exc)
    if _classifier["model"] is None:
        pairs = keyword_pairs((ref or reference()).table.categories.values())
        cold_key = _cold_start_key(pairs)
        _classifier["model"], _classifier["key"] = cold_start_classifier(pairs, cold_key[1]), cold_key


def _unreadable(configured, exc, kept=""):
    return UnreadableModel(str(configured), str(exc) or repr(exc), exc, kept)


def _said_in_full(exc):
    """Whether a model file's loading error says all there is (the file and what is wrong): no traceback needed."""
    if isinstance(exc, FileNotFoundError):
        return True
    try:
        from jiesu.dispatch.classifier import ModelFormatError
    except ImportError:
        return False
    return isinstance(exc, ModelFormatError)


def _load_file(path):
    from jiesu.dispatch.classifier import TextClassifier

    return TextClassifier.load(path)


def cold_start_classifier(pairs, digest=None):
    """TextClassifier.from_keywords(pairs), saved to (and next time loaded from) the model directory. An empty
    catalogue (a database migrated but not set up) gives a classifier that suggests nothing."""
    if not pairs:
        log.warning("dispatch: the category catalogue is empty; no category will be suggested")
        return KeywordClassifier(pairs)
    try:
        from jiesu.dispatch.classifier import TextClassifier

        from_keywords = TextClassifier.from_keywords
    except (ImportError, AttributeError) as exc:
        log.warning("dispatch: no TextClassifier.from_keywords (%s); using the keyword fallback", exc)
        return KeywordClassifier(pairs)
    digest = digest or hashlib.sha1(repr(pairs).encode("utf-8")).hexdigest()[:12]
    path = _model_dir() / f"cold-start-{digest}.npz"
    if path.exists():
        try:
            return TextClassifier.load(path)
        except Exception as exc:  # damaged or from an older format: rebuild it
            log.warning("dispatch: cannot load %s (%s); rebuilding", path, exc)
    try:
        model = from_keywords(pairs, version=f"cold-start-{digest}")
    except ImportError as exc:  # scikit-learn missing
        log.warning("dispatch: cannot train the cold-start model (%s); using the keyword fallback", exc)
        return KeywordClassifier(pairs)
    try:
        model.save(path)
    except OSError as exc:
        log.warning("dispatch: cannot save %s (%s)", path, exc)
    return model
