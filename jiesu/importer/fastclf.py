"""The dispatch classifier over many texts at once (numpy), for bulk import.

`jiesu.dispatch.classifier.TextClassifier.predict_proba_top` scores one text
in about 0.1–0.3 ms: most of it is Python work per character n-gram (a
Counter, dictionary look-ups) and a small matrix product per text. Over a
batch of thousands of texts the same arithmetic vectorises:

1. every text is normalised (`classifier.normalize`) and its code points laid
   end to end in one array;
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

BIGRAM_FLAG = 1 << 42
TITLE_FLAG = 1 << 43
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

        w = getattr(self.model, "_w", None)
        config = getattr(self.model, "config", None)
        if w is None or config is None or not hasattr(self.model, "decision_scores"):
            raise _Unsupported(f"{type(self.model).__name__} is not a TextClassifier")
        if not (1 <= config.ngram_min <= config.ngram_max <= 2):
            raise _Unsupported(f"n-grams of {config.ngram_min}–{config.ngram_max} characters")
        self.normalize = C.normalize
        self.title_of = getattr(C, "title_of", None)
        prefix = getattr(C, "TITLE_PREFIX", None)
        n_features = len(w.idf)
        n_text = getattr(w, "n_text", -1)
        self.has_title = n_text is not None and 0 <= n_text < n_features
        if self.has_title and (self.title_of is None or not prefix):
            raise _Unsupported("a title block without title_of/TITLE_PREFIX")
        keys = np.empty(len(w.vocab), dtype=np.int64)
        index = np.empty(len(w.vocab), dtype=np.int64)
        for i, (gram, feature) in enumerate(w.vocab.items()):
            flag = 0
            if self.has_title and gram.startswith(prefix):
                gram, flag = gram[len(prefix):], TITLE_FLAG
            if len(gram) == 1:
                key = ord(gram)
            elif len(gram) == 2:
                key = BIGRAM_FLAG | (ord(gram[0]) << 21) | ord(gram[1])
            else:
                raise _Unsupported(f"vocabulary entry of {len(gram)} characters")
            keys[i], index[i] = key | flag, feature
        order = np.argsort(keys, kind="stable")
        self.keys, self.index = keys[order], index[order]
        if len(self.keys) and np.any(self.keys[1:] == self.keys[:-1]):
            raise _Unsupported("vocabulary keys are not unique")
        self.n_features = n_features
        self.idf = np.asarray(w.idf, dtype=np.float32)
        self.coef = np.ascontiguousarray(w.coef, dtype=np.float32)
        self.intercept = np.asarray(w.intercept, dtype=np.float64)
        self.temperature = float(getattr(self.model, "temperature", 1.0) or 1.0)
        self.unigrams = config.ngram_min == 1
        self.bigrams = config.ngram_max == 2

    def _self_check(self):
        texts = list(SELF_CHECK_TEXTS) + [c for c in self.classes[:50]]
        fast = self.scores(texts)
        slow = np.vstack([np.asarray(self.model.decision_scores(t), dtype=np.float64) for t in texts])
        if fast.shape != slow.shape or not np.allclose(fast, slow, atol=1e-4, rtol=1e-4):
            raise _Unsupported("vectorised scores differ from the model's")

    # ---------------------------------------------------------------- scoring
    def _block(self, texts, flag):
        """(rows, features, counts) of one feature block for normalised texts."""
        n = len(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        joined = "".join(texts)
        if not joined:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        parts_k, parts_r = [], []
        if self.unigrams:
            parts_k.append(cps | flag)
            parts_r.append(rows)
        if self.bigrams and len(cps) > 1:
            same = rows[:-1] == rows[1:]
            parts_k.append(((cps[:-1] << 21) | cps[1:] | (BIGRAM_FLAG | flag))[same])
            parts_r.append(rows[:-1][same])
        keys = np.concatenate(parts_k)
        rows = np.concatenate(parts_r)
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
        normalize = self.normalize
        blocks = [(list(map(normalize, texts)), 0)]
        if self.has_title:
            title_of = self.title_of
            blocks.append(([normalize(title_of(t)) for t in texts], TITLE_FLAG))
        all_r, all_f, all_v = [], [], []
        for normed, flag in blocks:
            r, f = self._block(normed, flag)
            if len(r):
                r, f, v = self._weights(r, f, n)
                all_r.append(r)
                all_f.append(f)
                all_v.append(v)
        out = np.tile(self.intercept, (n, 1))
        if all_r:
            matrix = sp.csr_matrix((np.concatenate(all_v), (np.concatenate(all_r), np.concatenate(all_f))),
                                   shape=(n, self.n_features), dtype=np.float32)
            out += matrix @ self.coef
        return out

    def top(self, texts, k=3):
        """For each text, [(label, probability)] of its k most likely labels, best first (as predict_proba_top)."""
        texts = ["" if t is None else str(t) for t in texts]
        if not self.fast:
            return [self.model.predict_proba_top(t, k) for t in texts]
        if not texts:
            return []
        z = self.scores(texts) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        k = max(1, min(k, z.shape[1]))
        # the model sorts with a stable argsort of -p: ties go to the lower class index
        if k < z.shape[1]:
            part = np.argpartition(-z, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(z.shape[1]), (len(texts), 1))
        vals = np.take_along_axis(z, part, axis=1)
        order = np.lexsort((part, -vals), axis=1)
        part = np.take_along_axis(part, order, axis=1)
        vals = np.take_along_axis(vals, order, axis=1)
        classes = self.classes
        return [[(classes[i], float(p)) for i, p in zip(ri, rv)] for ri, rv in zip(part.tolist(), vals.tolist())]


class _Unsupported(Exception):
    pass
