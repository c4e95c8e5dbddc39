"""The dispatch classifier over many texts at once (numpy), for bulk import.

`jiesu.dispatch.classifier.TextClassifier.predict_proba_top` scores one text
in about 0.1–0.3 ms: most of it is Python work per character n-gram (a
Counter, dictionary look-ups) and a small matrix product per text. Over a
batch of thousands of texts the same arithmetic vectorises:

1. every text is normalised (`classifier.normalize`, done on the code points
   of all texts at once by the per-character table of `dispatch.grams`) and
   its code points laid end to end in one array;
2. each character n-gram (1–2 characters) becomes one int64 key (code points
   packed into bits; title-block n-grams carry a flag bit), looked up in the
   model's vocabulary, itself turned into a sorted key array once
   (`np.searchsorted`);
3. term counts per (text, feature) come from one `np.unique`, then the same
   sublinear TF × IDF weighting and per-text L2 normalisation as the model;
4. one sparse (texts × features) by dense (features × classes) product gives
   every text's class scores; top-k and the softmax probabilities follow.

The result is the model's own: `BatchClassifier` checks itself against
`TextClassifier.decision_scores` on sample texts when built, and falls back to
the model's per-text method when the model is of a kind it does not know
(other n-gram lengths, another featuriser, the keyword fallback), so a change
in the classifier makes the import slower, never wrong.
"""
from __future__ import annotations

import numpy as np

from jiesu.dispatch.classifier import mapped_confidence

CHAR_BITS = 15  # dense character ids: at most 32,767 distinct characters in the vocabulary
MAX_GRAM = 4  # 4 × 15 bits per key, the block number above them
BLOCK_SHIFT = CHAR_BITS * MAX_GRAM
TEXT, TITLE, WORDS = 0, 1, 2
SELF_CHECK_TEXTS = (
    "小区门口垃圾堆积很多天没人清运，希望尽快处理",
    "王府井大街有人占道经营\n晚上摆摊卖烤串，油烟很大",
    "楼上装修噪音太大 中午也在电钻",
    "停水三天了，什么时候恢复供水？",
    "ＡＢＣ 全角字符 和 English words 123",
    "",
    "单位拖欠工资半年，劳动监察不管",
    "\n\n第二行才是标题\n正文",
)


class BatchClassifier:
    """Top-k labels and probabilities for many texts, identical to the model's per-text method."""

    def __init__(self, model):
        self.model = model
        self.classes = list(getattr(model, "classes", []) or [])
        self.fast = False
        self.reason = ""
        try:
            self._build()
            self._self_check()
            self.fast = True
        except _Unsupported as exc:
            self.reason = str(exc)

    # ------------------------------------------------------------------ build
    def _build(self):
        from jiesu.dispatch import classifier as C

        w = getattr(self.model, "weights", None)
        config = getattr(self.model, "config", None)
        if w is None or config is None or not hasattr(self.model, "decision_scores"):
            raise _Unsupported(f"{type(self.model).__name__} is not a TextClassifier")
        if not (1 <= config.ngram_min <= config.ngram_max <= MAX_GRAM):
            raise _Unsupported(f"n-grams of {config.ngram_min}–{config.ngram_max} characters")
        self.code_points_of = C.normalized_code_points_of
        self.title_of = getattr(C, "title_of", None)
        vocabs = self._vocabularies(w, C)
        if (vocabs[TITLE] or vocabs[WORDS]) and self.title_of is None:
            raise _Unsupported("a title or word block without title_of")
        self.word_max = int(getattr(config, "word_max", 4) or 0)
        if vocabs[WORDS] and not 2 <= self.word_max <= MAX_GRAM:
            raise _Unsupported(f"words of up to {self.word_max} characters")
        self.words_from = getattr(config, "words_from", "text")
        chars = sorted({ord(ch) for vocab in vocabs for gram in vocab for ch in gram})
        if len(chars) >= 1 << CHAR_BITS:
            raise _Unsupported(f"{len(chars)} distinct characters in the vocabulary")
        # code point → 1 + its rank among the vocabulary's characters, 0 for any other (the last entry
        # stands for every code point above the highest): one gather instead of a binary search
        self.char_ids = np.zeros((chars[-1] if chars else 0) + 2, dtype=np.int64)
        self.char_ids[np.asarray(chars, dtype=np.intp)] = np.arange(1, len(chars) + 1)
        keys, index = [], []
        for block, vocab in enumerate(vocabs):
            for gram, feature in vocab.items():
                if not 1 <= len(gram) <= MAX_GRAM:
                    raise _Unsupported(f"vocabulary entry of {len(gram)} characters")
                key = 0
                for ch in gram:
                    key = (key << CHAR_BITS) | int(self.char_ids[ord(ch)])
                keys.append((block << BLOCK_SHIFT) | key)
                index.append(feature)
        keys, index = np.asarray(keys, dtype=np.int64), np.asarray(index, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self.keys, self.index = keys[order], index[order]
        if len(self.keys) and np.any(self.keys[1:] == self.keys[:-1]):
            raise _Unsupported("vocabulary keys are not unique")
        self.blocks = [block for block, vocab in enumerate(vocabs) if vocab]
        self.gram_range = (config.ngram_min, config.ngram_max)
        self.n_features = len(w.idf)
        self.idf = np.asarray(w.idf, dtype=np.float32)
        self.coef = w.matrix()  # dense, or sparse for a pruned model
        self.intercept = np.asarray(w.intercept, dtype=np.float64)
        self.temperature = float(getattr(self.model, "temperature", 1.0) or 1.0)
        self.confidence = getattr(self.model, "confidence_map", None)  # the model's top-label calibration map

    @staticmethod
    def _vocabularies(w, C):
        """[text, title, word] vocabularies {gram: feature} of the model, whatever its file format."""
        if hasattr(w, "text_vocab"):  # per-block vocabularies (classifier format 3)
            return [w.text_vocab, getattr(w, "title_vocab", {}) or {}, getattr(w, "word_vocab", {}) or {}]
        n_text = getattr(w, "n_text", -1)
        title_prefix = getattr(C, "TITLE_PREFIX", None)
        out = [{}, {}, {}]
        for gram, feature in w.vocab.items():
            if title_prefix and n_text is not None and 0 <= n_text <= feature and gram.startswith(title_prefix):
                out[TITLE][gram[len(title_prefix):]] = feature
            else:
                out[TEXT][gram] = feature
        return out

    def _self_check(self):
        texts = list(SELF_CHECK_TEXTS) + [c for c in self.classes[:50]]
        fast = self.scores(texts)
        slow = np.vstack([np.asarray(self.model.decision_scores(t), dtype=np.float64) for t in texts])
        if fast.shape != slow.shape or not np.allclose(fast, slow, atol=1e-4, rtol=1e-4):
            raise _Unsupported("vectorised scores differ from the model's")

    # ---------------------------------------------------------------- scoring
    def _block(self, points, lengths, block, lo, hi):
        """(rows, features) of the vocabulary's n-grams of lo..hi characters in normalised texts, given as
        their code points end to end and how many each text has."""
        n = len(lengths)
        if not len(points):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        ids = self.char_ids[np.minimum(points, len(self.char_ids) - 1)]  # 0: a character no vocabulary entry has
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        parts_k, parts_r = [], []
        for size in range(lo, hi + 1):
            m = len(ids) - size + 1
            if m <= 0:
                break
            key = ids[:m].copy()
            ok = key > 0
            for j in range(1, size):
                nxt = ids[j:j + m]
                key = (key << CHAR_BITS) | nxt
                ok &= (nxt > 0) & (rows[j:j + m] == rows[:m])
            parts_k.append(key[ok] | (block << BLOCK_SHIFT))
            parts_r.append(rows[:m][ok])
        keys = np.concatenate(parts_k) if parts_k else np.zeros(0, dtype=np.int64)
        rows = np.concatenate(parts_r) if parts_r else np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.keys, keys)
        pos[pos >= len(self.keys)] = 0
        found = self.keys[pos] == keys
        return rows[found], self.index[pos[found]]

    def _weights(self, rows, features, n):
        """Sublinear TF × IDF, L2-normalised per text (per block)."""
        combo = rows * self.n_features + features
        unique, counts = np.unique(combo, return_counts=True)
        rows, features = unique // self.n_features, unique % self.n_features
        values = (1.0 + np.log(counts.astype(np.float32))) * self.idf[features]
        norms = np.sqrt(np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=n))
        values = (values / norms[rows]).astype(np.float32)
        return rows, features, values

    def scores(self, texts) -> np.ndarray:
        """(len(texts), n_classes) raw linear scores, float64."""
        import scipy.sparse as sp

        n = len(texts)
        if n == 0:
            return np.zeros((0, len(self.classes)))
        text = self.code_points_of(texts)
        title = None
        if TITLE in self.blocks or WORDS in self.blocks:
            titles = [self.title_of(t) for t in texts]
            title = text if titles == texts else self.code_points_of(titles)  # a text without a line break is its title
        lo, hi = self.gram_range
        jobs = {TEXT: (text, lo, hi), TITLE: (title, lo, hi),
                WORDS: (title if self.words_from == "title" else text, 2, self.word_max)}
        all_r, all_f, all_v = [], [], []
        for block in self.blocks:
            (points, lengths), lo, hi = jobs[block]
            r, f = self._block(points, lengths, block, lo, hi)
            if len(r):
                r, f, v = self._weights(r, f, n)
                all_r.append(r)
                all_f.append(f)
                all_v.append(v)
        if not all_r:
            return np.tile(self.intercept, (n, 1))
        matrix = sp.csr_matrix((np.concatenate(all_v), (np.concatenate(all_r), np.concatenate(all_f))),
                               shape=(n, self.n_features), dtype=np.float32)
        scores = matrix @ self.coef
        out = (scores if isinstance(scores, np.ndarray) else scores.toarray()).astype(np.float64)
        out += self.intercept  # a cast and an add: faster than one add of mixed types
        return out

    def top(self, texts, k=3):
        """For each text, [(label, probability)] of its k most likely labels, best first (as predict_proba_top)."""
        texts = ["" if t is None else str(t) for t in texts]
        if not self.fast:
            return [self.model.predict_proba_top(t, k) for t in texts]
        if not texts:
            return []
        e = self.scores(texts)
        if self.temperature != 1.0:
            e /= self.temperature
        e -= e.max(axis=1, keepdims=True)
        np.exp(e, out=e)  # the softmax's numerators, as the model ranks them
        total = e.sum(axis=1, keepdims=True)
        k = max(1, min(k, e.shape[1]))
        part, numerators = self._best(e, k)
        vals = numerators / total
        if self.confidence is not None:
            vals = mapped_confidence(vals, np.zeros(len(vals), dtype=np.intp), *self.confidence)
        label = self.classes.__getitem__
        return [list(zip(map(label, ri), rv)) for ri, rv in zip(part.tolist(), vals.tolist())]

    @staticmethod
    def _best(e, k):
        """Columns of each row's k largest softmax numerators (all ≥ 0), largest first, ties to the lower
        column (the model's order), and those numerators. k passes of argmax: far cheaper than argpartition
        over hundreds of classes. Each pick is then set to -1 in ``e``, so the caller's array is used up."""
        rows = np.arange(len(e))
        part = np.empty((len(e), k), dtype=np.intp)
        numerators = np.empty((len(e), k))
        for j in range(k):
            best = e.argmax(axis=1)
            part[:, j] = best
            numerators[:, j] = e[rows, best]
            e[rows, best] = -1.0
        return part, numerators


class _Unsupported(Exception):
    pass
