"""Hotspots (热点问题挖掘): group requests about the same problem and place, and rank the groups by heat.

Pure: numpy/scipy and jiesu.dispatch.duplicates' pure part (its character-bigram
TF-IDF index and place factor); no Django. docs/hotspots.md explains the choices.

1. Every item (a ticket, or a message of the Teddy Cup data) becomes a TF-IDF
   vector in a `DuplicateIndex` (the intake duplicate check's index: the same
   text features, boilerplate cut out).
2. Two items are *linked* when they were recorded at most `window_days` apart,
   their texts are alike (cosine ≥ `link_text`) and text and place together
   score ≥ `link_score` (score = 0.6·text + 0.3·place, the duplicate check's
   weights without the recency term; an item known to be elsewhere needs
   almost the same words). Each item keeps its `k` best links only, so one
   generic text cannot chain unrelated problems together.
3. The connected components of the links with at least `min_size` items are
   the problems (a lone item with at least `min_support` likes is one too).
4. Each problem gets the heat index (HEAT_FORMULA), its most central item as
   its label, its places, time range and exemplar texts (the matching rule a
   每月一题 topic uses to count tickets later). An item marked `withheld` (a
   report or a confidential request: read only by the hotline, the units it is
   dispatched to and its citizen) counts in the heat but is never the label or
   an exemplar: those are shown to everyone who sees the problem.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from jiesu.dispatch.duplicates import (
    ELSEWHERE_MIN_TEXT, W_PLACE, W_TEXT, Doc, DuplicateIndex, Place, features, place_factor,
)

DAY = 86400.0
SAME_PLACE = 0.9            # place factor of the same community (or grid, or within ~50 m)
NO_WINDOW_DAYS = 10 ** 6   # the index must not drop old rows: its own window is for open tickets

HEAT_FORMULA = ("heat = (log2(1 + citizens) + 0.5·log2(1 + repeats) + 0.5·log2(1 + support))"
                " × (0.5 + 0.5·2^(−days since the newest / half-life)) × (1 + 0.5·unresolved share)")


@dataclass
class Params:
    """The tuning of one run (stored with the run; docs/hotspots.md says why these values)."""

    window_days: float = 30.0     # linked items are at most this far apart in time
    link_text: float = 0.2        # minimum text similarity of a link…
    link_text_same_place: float = 0.14  # …when both name the same estate/community/grid (place factor ≥ 0.9)
    k: int = 5                    # each item keeps its k best links
    min_size: int = 2             # a problem has at least this many items…
    min_support: int = 20         # …or is one item with at least this many likes
    half_life_days: float = 14.0  # recency of the newest item halves every N days
    top: int = 50                 # problems kept

    def as_dict(self):
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data):
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass
class Item:
    """One request as the clustering sees it."""

    id: int
    title: str
    text: str
    at: float                        # POSIX seconds
    citizen: str = ""                # who asked ("" unknown: counted as a citizen of its own)
    support: int | None = None       # likes/votes where the channel has them
    unresolved: float | None = None  # 1 open or unresolved, 0.5 partly, 0 resolved, None unknown
    district: int | None = None
    street: int | None = None
    community: int | None = None
    grid: int | None = None
    lon: float | None = None
    lat: float | None = None
    places: tuple = ()               # place names for the label (most specific first)
    withheld: bool = False           # its words are never shown: not the label, not an exemplar

    @property
    def place(self):
        return Place(self.district, self.street, self.community, self.grid, self.lon, self.lat)

    @property
    def body(self):
        return self.text if self.text.startswith(self.title) else f"{self.title} {self.text}"


@dataclass
class Heat:
    citizens: int
    repeats: int
    support: int
    recency: float
    unresolved: float | None
    value: float

    def as_dict(self):
        return dict(self.__dict__)


@dataclass
class Problem:
    """One hotspot: its items (most central first), heat, label, places and time range."""

    items: list
    heat: Heat
    label: str
    first_at: float
    last_at: float
    places: list = field(default_factory=list)       # [(name, count)], most frequent first
    exemplars: list = field(default_factory=list)    # texts of the most central items (the matching rule)
    exemplar_ids: list = field(default_factory=list)  # their items' ids (the first one's title is the label)
    centrality: dict = field(default_factory=dict)   # item id → cosine to the problem's centroid

    @property
    def size(self):
        return len(self.items)


# ── heat (pure arithmetic) ──────────────────────────────────────────────────

def recency(last_at, now, half_life_days):
    """0.5 + 0.5·2^(−age/half-life): 1 for a problem asked about today, never below 0.5."""
    age = max(0.0, (now - last_at) / DAY)
    return 0.5 + 0.5 * math.pow(0.5, age / half_life_days)


def heat_index(items, now, half_life_days=14.0):
    """The heat of a group of items (HEAT_FORMULA)."""
    citizens = len({it.citizen for it in items if it.citizen}) + sum(1 for it in items if not it.citizen)
    repeats = len(items) - citizens
    support = sum(max(0, it.support or 0) for it in items)
    known = [it.unresolved for it in items if it.unresolved is not None]
    unresolved = sum(known) / len(known) if known else None
    rec = recency(max(it.at for it in items), now, half_life_days)
    base = math.log2(1 + citizens) + 0.5 * math.log2(1 + repeats) + 0.5 * math.log2(1 + support)
    value = base * rec * (1 + 0.5 * (unresolved or 0.0))
    return Heat(citizens, repeats, support, round(rec, 4), None if unresolved is None else round(unresolved, 4),
                round(value, 4))


# ── linking ─────────────────────────────────────────────────────────────────

def build_index(texts):
    """A DuplicateIndex of `texts` (rows in their order)."""
    idx = DuplicateIndex(window_days=NO_WINDOW_DAYS, without_places=False)
    idx.build(Doc(i, t, 0.0) for i, t in enumerate(texts))
    return idx


def text_matrix(items):
    """[title block | body block] of L2-normalised TF-IDF rows, each block weighted √½: a row product is the
    mean of the title cosine and the body cosine (titles say the problem; long texts dilute it)."""
    titles = build_index([it.title if features(it.title) else it.body for it in items]).normalized_rows()
    bodies = build_index([it.body for it in items]).normalized_rows()
    both = sparse.hstack([titles, bodies], format="csr") * np.float32(math.sqrt(0.5))
    used = np.unique(both.indices)          # drop the hashed space's empty columns: products stay cheap
    return both[:, used]


def _place_arrays(items):
    def ints(name):
        return np.array([-1 if getattr(it, name) is None else getattr(it, name) for it in items], dtype=np.int64)

    def floats(name):
        return np.array([np.nan if getattr(it, name) is None else getattr(it, name) for it in items])

    return (ints("district"), ints("street"), ints("community"), ints("grid"), floats("lon"), floats("lat"))


def link_ok(text, place, reason, params: Params):
    """Which candidate pairs are linked (arrays): alike enough for where they are."""
    same_place = place >= SAME_PLACE
    needed = np.where(same_place, params.link_text_same_place, params.link_text)
    needed = np.where(reason == "elsewhere", np.maximum(needed, ELSEWHERE_MIN_TEXT), needed)
    return text >= needed


def links(items, params: Params, matrix=None, chunk=256):
    """[(score, i, j)] of linked item positions (i < j), each item's k best links only."""
    n = len(items)
    if n < 2:
        return []
    matrix = text_matrix(items) if matrix is None else matrix
    times = np.array([it.at for it in items])
    order = np.argsort(times, kind="stable")
    sorted_t = times[order]
    places = _place_arrays(items)
    window = params.window_days * DAY
    lowest = min(params.link_text, params.link_text_same_place)
    best = [[] for _ in range(n)]
    for a in range(0, n, chunk):
        rows = order[a:a + chunk]
        hi = int(np.searchsorted(sorted_t, sorted_t[min(a + chunk, n) - 1] + window, side="right"))
        cols = order[a:hi]
        sims = (matrix[rows] @ matrix[cols].T).toarray()
        for r, i in enumerate(rows):
            start = r + 1                       # later items only: every pair is looked at once
            cand = np.flatnonzero(sims[r, start:] >= lowest) + start
            if not len(cand):
                continue
            j = cols[cand]
            near = np.abs(times[j] - times[i]) <= window
            j, text = j[near], sims[r, cand][near].astype(np.float64)
            if not len(j):
                continue
            f, reason, _dist = place_factor(items[i].place, *(arr[j] for arr in places))
            ok = link_ok(text, f, reason, params)
            score = W_TEXT * text + W_PLACE * f
            for jj, s in zip(j[ok], score[ok]):
                best[i].append((float(s), int(jj)))
                best[int(jj)].append((float(s), int(i)))
    kept = set()
    for i, cand in enumerate(best):
        for s, j in sorted(cand, reverse=True)[:params.k]:
            kept.add((round(s, 6), min(i, j), max(i, j)))
    return sorted(kept, reverse=True)


def components(n, pairs, streets=None):
    """Connected components (lists of positions) of `n` nodes and (score, i, j) links, by union-find. With `streets`
    (each node's street, None unknown), the links are taken strongest first (as `links` sorts them) and one that
    would join two components of different streets is not: a problem is about one place, and tickets of one generic
    title in every street (乱停车堵路), linked as "almost the same words", or a ticket of no street linked to several,
    chained a whole city into one component (docs/hotspots.md, "At a city's volume")."""
    parent = list(range(n))
    street = list(streets) if streets is not None else [None] * n     # a root's street (None: none known yet)

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _s, i, j in pairs:
        a, b = find(i), find(j)
        if a == b or (street[a] is not None and street[b] is not None and street[a] != street[b]):
            continue
        root, other = min(a, b), max(a, b)
        parent[other] = root
        if street[root] is None:
            street[root] = street[other]
    groups = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


# ── problems ────────────────────────────────────────────────────────────────

def _central(matrix, members):
    """Cosine of each member's vector (L2-normalised rows) to the members' centroid: row · sum / |sum|, one sparse
    product with the group's summed vector (a members × members product took 2 GB for a group of 16,000)."""
    sub = matrix[members]
    total = np.asarray(sub.sum(axis=0, dtype=np.float64)).ravel()
    norm = math.sqrt(float(total @ total))
    return np.asarray(sub @ total).ravel() / (norm if norm > 0 else 1.0)


def _places(items):
    counts = Counter()
    for it in items:
        for name in dict.fromkeys(it.places):
            counts[name] += 1
    return counts.most_common()


@dataclass
class Words:
    """What a problem shows to everyone who sees it: its label, places and exemplar texts (with their items' ids)."""

    label: str
    places: list
    exemplars: list
    exemplar_ids: list


def words_of(its):
    """The Words of a problem whose items are `its`, most central first: the label and the exemplars are the three
    most central items not withheld (a problem of withheld items only has neither); the places are counted over all
    items (a withheld item's address is not among its places: the caller leaves it out of `Item.places`). A run and
    the repair of the runs stored before 2026-12-07 (services.repair_stored) both call this."""
    shown = [it for it in its if not it.withheld][:3]
    return Words(label=(shown[0].title or shown[0].text[:40]) if shown else "", places=_places(its),
                 exemplars=[it.body[:300] for it in shown], exemplar_ids=[it.id for it in shown])


def problem(items, members, matrix, now, params: Params):
    """A Problem of the items at positions `members`."""
    central = _central(matrix, members)
    ranked = [members[i] for i in np.argsort(-central, kind="stable")]
    its = [items[m] for m in ranked]
    by_pos = dict(zip(members, central))
    words = words_of(its)
    return Problem(
        items=its, heat=heat_index(its, now, params.half_life_days), label=words.label,
        first_at=min(it.at for it in its), last_at=max(it.at for it in its), places=words.places,
        exemplars=words.exemplars, exemplar_ids=words.exemplar_ids,
        centrality={items[m].id: round(float(by_pos[m]), 4) for m in members})


def find_problems(items, now=None, params: Params | None = None):
    """The hot problems among `items`, hottest first (at most params.top)."""
    params = params or Params()
    items = [it for it in items if features(it.body)]   # nothing to compare in a text of no words
    if not items:
        return []
    now = max(it.at for it in items) if now is None else now
    matrix = text_matrix(items)
    groups = components(len(items), links(items, params, matrix), [it.street for it in items])
    out = []
    for members in groups:
        lone_support = len(members) == 1 and (items[members[0]].support or 0) >= params.min_support
        if len(members) >= params.min_size or lone_support:
            out.append(problem(items, members, matrix, now, params))
    out.sort(key=lambda p: (-p.heat.value, -p.size, -p.last_at))
    return out[:params.top]


def similarity_to(exemplars, texts):
    """For each text, its best cosine to any exemplar (a topic's matching rule). Pure."""
    if not exemplars or not texts:
        return [0.0] * len(texts)
    idx = DuplicateIndex(window_days=NO_WINDOW_DAYS, without_places=False)
    idx.build(Doc(i, t, 0.0) for i, t in enumerate(t for t in [*exemplars, *texts] if features(t)))  # their IDF
    return [max(idx.similarity(e, t) for e in exemplars) for t in texts]
