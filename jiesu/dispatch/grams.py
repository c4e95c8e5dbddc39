"""Character 1–2-grams as integers, for the classifier's prediction fast path.

A text's n-grams are looked up in numpy instead of as Python strings: every
character becomes its code point, a pair of characters ``(a << 21) | b``
(code points are below 2**21 and normalised texts hold no code point 0, so
the two kinds never clash), and a vocabulary is a sorted array of such codes.
The n-grams of a second part of the text (its title) carry one more bit,
``TAG``, so that both parts are counted and looked up in one pass.

``normalized_code_points`` gives the code points of ``classifier.normalize(text)``
without building that string, through a per-character table, for texts made
only of characters whose normalisation is provably per-character (the CJK
ideographs, ASCII, full-width forms, CJK punctuation and the like); any
text with characters that expand into such characters (…, ㎡) is expanded
first; any other text (combining marks, Hangul, astral characters) returns
None and the caller normalises the string.
"""
from __future__ import annotations

import functools
import sys
import unicodedata
from dataclasses import dataclass

import numpy as np

SHIFT = 21  # every code point is below 2**21
TAG = 1 << (2 * SHIFT)  # set on the codes of a text's second part: above every untagged code
_BMP = 0x10000
_DROP, _SLOW = 0, -1
_SIGMA = "\u03a3"  # lower-cases to σ or, ending a word, ς: depends on its neighbours

# Hangul composes algorithmically (no decomposition entry says so): keep it off the table.
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xFFA0, 0xFFDC))


@functools.lru_cache(maxsize=1)
def _second_of_pairs() -> frozenset[str]:
    """Characters that can join the character before them in canonical composition."""
    seconds = set()
    for cp in range(sys.maxunicode + 1):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    return frozenset(seconds)


def _per_character(ch: str) -> int:
    """What ``normalize`` makes of ``ch`` wherever it stands: a code point, _DROP, or _SLOW (it may depend
    on its neighbours or become several characters)."""
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF or any(lo <= cp <= hi for lo, hi in _HANGUL):
        return _SLOW
    out = unicodedata.normalize("NFKC", ch)
    if len(out) != 1:
        return _SLOW
    if out == _SIGMA:
        return _SLOW
    low = out.lower()
    seconds = _second_of_pairs()
    if len(low) != 1 or any(unicodedata.combining(c) or c in seconds for c in (ch, out, low)):
        return _SLOW
    if unicodedata.normalize("NFKC", out) != out or any(lo <= ord(out) <= hi for lo, hi in _HANGUL):
        return _SLOW
    if low.isspace() or ord(low) < 0x20 or low == "\x7f":
        return _DROP
    return ord(low)


@functools.lru_cache(maxsize=1)
def _table() -> np.ndarray:
    """The per-character normalisation of the Basic Multilingual Plane (built once, ~0.4 s in all), and
    one more entry, _SLOW, where every astral code point lands (``take(..., mode="clip")``)."""
    bmp = np.fromiter((_per_character(chr(cp)) for cp in range(_BMP)), dtype=np.int32, count=_BMP)
    return np.append(bmp, np.int32(_SLOW))


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


@functools.lru_cache(maxsize=1)
def _expansions() -> dict[int, str]:
    """Characters that NFKC turns into several characters made of table characters (… → ..., ㎡ → m2,
    ⑴ → (1), Ⅱ → II), for ``str.translate``. None of them joins a neighbour: the character is no
    combining mark and can follow no character in a composition, and its result holds only table
    characters, which cannot either; nor whitespace, so a line's being blank does not change."""
    table, seconds = _table(), _second_of_pairs()
    out = {}
    for cp in range(_BMP):
        ch = chr(cp)
        if table[cp] != _SLOW or 0xD800 <= cp <= 0xDFFF or any(lo <= cp <= hi for lo, hi in _HANGUL):
            continue
        if unicodedata.combining(ch) or ch in seconds:
            continue
        wide = unicodedata.normalize("NFKC", ch)
        if len(wide) > 1 and all(ord(c) < _BMP and table[ord(c)] not in (_SLOW, _DROP) for c in wide):
            out[cp] = wide
    return out


def prepare() -> None:
    """Build the per-character tables now (~0.6 s once per process) rather than at the first prediction."""
    _table()
    _expansions()


def normalized_code_points(text: str, head: int = 0) -> tuple[np.ndarray, int] | None:
    """The code points of ``normalize(text)`` and how many of them ``text[:head]`` gives, or None when the
    text needs the full normalisation. Characters that expand (…, ㎡) are expanded first, only when the
    text holds any."""
    found = _mapped(text, head)
    if found is None:
        expansions = _expansions()
        wide = text.translate(expansions)
        if wide != text:
            found = _mapped(wide, len(text[:head].translate(expansions)) if head else 0)
    return found


def many_normalized_code_points(texts: list[str], one) -> tuple[np.ndarray, np.ndarray]:
    """The code points of many normalised texts laid end to end, and how many each gives: one pass of the
    table over them all; only the texts holding a character off the table go through ``one(text)`` (the
    code points of that text's normalisation, e.g. ``classifier._normalized_code_points``)."""
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    raw = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = _table().take(raw, mode="clip")
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keep = mapped > _DROP
    slow = np.unique(rows[mapped == _SLOW]) if len(mapped) and mapped.min() == _SLOW else ()
    if len(slow):
        keep &= np.isin(rows, slow, invert=True)
    points = mapped[keep].astype(np.int64)
    counts = np.bincount(rows[keep], minlength=n)
    if len(slow):
        found = [one(texts[i]) for i in slow.tolist()]
        sizes = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        starts = np.cumsum(counts)[slow] - counts[slow]  # where each slow text's points go among the others
        points = np.insert(points, np.repeat(starts, sizes), np.concatenate(found).astype(np.int64))
        counts[slow] = sizes
    return points, counts


def _mapped(text: str, head: int) -> tuple[np.ndarray, int] | None:
    mapped = _table().take(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), mode="clip")
    if len(mapped) and mapped.min() == _SLOW:
        return None
    kept = mapped != _DROP
    return mapped[kept].astype(np.int64), int(np.count_nonzero(kept[:head])) if head else 0


def gram_codes(chars: np.ndarray, lo: int = 1, hi: int = 2, tagged: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """The lo..hi-grams (within 1..2) of a normalised text's code points, and those of ``tagged`` (a second
    part, such as the title; it may be ``chars`` itself) with ``TAG`` set: (distinct codes, sorted; how
    often each occurs)."""
    parts = _gram_parts(chars, lo, hi)
    if tagged is not None and tagged is not chars:
        parts += [part | TAG for part in _gram_parts(tagged, lo, hi)]
    codes = np.concatenate(parts) if len(parts) != 1 else parts[0].copy()
    codes.sort()
    n = len(codes)
    edge = np.empty(n + 1, dtype=bool)  # where a run of equal codes starts, and the end
    edge[0] = edge[n] = True
    np.not_equal(codes[1:], codes[:-1], out=edge[1:n])
    bounds = np.flatnonzero(edge)
    codes, counts = codes[bounds[:-1]], bounds[1:] - bounds[:-1]
    if tagged is chars:  # the same grams again, tagged: already sorted, after every untagged code
        return np.concatenate((codes, codes | TAG)), np.concatenate((counts, counts))
    return codes, counts


def _gram_parts(chars: np.ndarray, lo: int, hi: int) -> list[np.ndarray]:
    parts = [chars] if lo <= 1 else []
    if hi >= 2:
        parts.append((chars[:-1] << SHIFT) | chars[1:])
    return parts


def gram_code(gram: str) -> int:
    return ord(gram) if len(gram) == 1 else (ord(gram[0]) << SHIFT) | ord(gram[1])


def codes_of(grams) -> np.ndarray | None:
    """gram_code of every 1–2-character string in ``grams``, in numpy (a model's vocabulary of ~500,000
    n-grams loads in a fraction of the time); None when one is longer (or empty)."""
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    if len(lengths) and (lengths.min() < 1 or lengths.max() > 2):
        return None
    points = np.frombuffer("".join(grams).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    codes = points[starts]
    pairs = lengths == 2
    codes[pairs] = (codes[pairs] << SHIFT) | points[starts[pairs] + 1]
    return codes


@dataclass
class CodedBlocks:
    """A model's vocabularies as one sorted array of gram codes: the untagged codes of the blocks fed by the
    whole text, the tagged codes of those fed by its title, and per code its feature id in each such
    block (-1 where a block lacks it). One search finds both parts' n-grams in every block."""

    codes: np.ndarray  # (n + 1,) int64, sorted, ending with a sentinel no gram has
    ids: np.ndarray  # (n + 1, n_columns) intp; the sentinel's row is all -1
    tagged_from: int  # where the tagged codes start in ``codes``

    @classmethod
    def of(cls, untagged: list[dict[str, int]], tagged: list[dict[str, int]]) -> "CodedBlocks | None":
        """Column j holds the ids of ``untagged[j]`` for untagged codes and of ``tagged[j]`` for tagged ones.
        None when a block holds n-grams longer than 2 characters (then strings must be looked up)."""
        columns = [(vocab, j, 0) for j, vocab in enumerate(untagged)]
        columns += [(vocab, j, TAG) for j, vocab in enumerate(tagged)]
        coded = []
        for vocab, j, tag in columns:
            block_codes = codes_of(list(vocab))
            if block_codes is None:
                return None
            coded.append((block_codes | tag, vocab, j))
        codes = np.append(np.unique(np.concatenate([c for c, _, _ in coded])), np.iinfo(np.int64).max)
        ids = np.full((len(codes), max(len(untagged), len(tagged))), -1, dtype=np.intp)
        for block_codes, vocab, j in coded:
            ids[np.searchsorted(codes, block_codes), j] = np.fromiter(vocab.values(), dtype=np.intp, count=len(vocab))
        return cls(codes=codes, ids=ids, tagged_from=int(np.searchsorted(codes, TAG)))

    def find(self, grams: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Of the distinct sorted ``grams`` that some block knows: their feature ids (k, n_columns), -1 where
        a block lacks one; their counts; and how many of them are untagged (they come first)."""
        pos = self.codes.searchsorted(grams)  # the array methods skip numpy's Python-level wrappers
        known = self.codes[pos] == grams
        pos = pos[known]
        return self.ids[pos], counts[known], int(pos.searchsorted(self.tagged_from))
