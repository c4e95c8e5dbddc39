"""The formulas of 三率两度 assessment. Pure: no Django, no database.

Every function takes plain counts (the sums of rollup counters over a unit and
a month) and the weights of the KPI version in force, and returns a share in
0…1, working hours, or None when there is nothing to divide. docs/kpi.md shows
each formula in words; `jiesu.kpi.explain` writes the same text for the pages.
"""
from __future__ import annotations

import math

# Working-hour edges of the handling-speed histogram kept in every rollup row.
# Bucket i holds replies with EDGES[i-1] <= hours < EDGES[i] (bucket 0 from 0,
# the last one open-ended). 7 working hours are one working day (09:00–12:00, 13:30–17:30).
SPEED_EDGES = (1, 2, 4, 7, 14, 21, 35, 49, 70, 105, 140)
SPEED_BUCKETS = len(SPEED_EDGES) + 1
SPEED_FIELDS = tuple(f"s{i:02d}" for i in range(SPEED_BUCKETS))

UNIT_CLASSES = ("district", "street", "department", "enterprise")
MEASURES = ("response", "resolution", "satisfaction", "speed", "governance", "whistle")


def share(part, whole):
    """part / whole, or None when whole is 0."""
    return None if not whole else part / whole


def response_rate(on_time: int, due: int):
    """响应率: tickets signed and first contacted within their limits ÷ tickets whose contact deadline fell due."""
    return share(on_time, due)


def resolution_rate(resolved: int, partly: int, unresolved: int, partly_weight: float):
    """解决率: (解决 + w·部分解决) ÷ valid callbacks (解决 + 部分解决 + 未解决)."""
    return share(resolved + partly_weight * partly, resolved + partly + unresolved)


def satisfaction_rate(satisfied: int, basic: int, dissatisfied: int, basic_weight: float):
    """满意率: (满意 + w·基本满意) ÷ valid callbacks (满意 + 基本满意 + 不满意)."""
    return share(satisfied + basic_weight * basic, satisfied + basic + dissatisfied)


def governance_depth(found_first: int, recurring_closed: int, received: int, recurring_weight: float):
    """治理深度: (found first by patrol or sensor + w·recurring problems closed) ÷ tickets received, capped at 1."""
    value = share(found_first + recurring_weight * recurring_closed, received)
    return None if value is None else min(1.0, value)


def speed_bucket(hours: float) -> int:
    """The histogram bucket of a reply that took `hours` working hours."""
    if hours is None or math.isnan(hours):
        raise ValueError("hours must be a number")
    for i, edge in enumerate(SPEED_EDGES):
        if hours < edge:
            return i
    return len(SPEED_EDGES)


def percentile_hours(counts, q: float):
    """The q-quantile (0 < q ≤ 1) of working hours from histogram counts, linear inside a bucket.

    Exact to the bucket: the answer lies in the bucket that holds the quantile,
    placed by rank inside it. A quantile that falls in the open last bucket is
    reported as its lower edge (140 h): "at least". None without replies.
    """
    if not 0 < q <= 1:
        raise ValueError("q must be in (0, 1]")
    counts = list(counts)
    if len(counts) != SPEED_BUCKETS:
        raise ValueError(f"{SPEED_BUCKETS} bucket counts are needed, not {len(counts)}")
    total = sum(counts)
    if total <= 0:
        return None
    target = q * total
    seen = 0
    for i, n in enumerate(counts):
        if n and seen + n >= target:
            if i == len(SPEED_EDGES):
                return float(SPEED_EDGES[-1])
            low = 0.0 if i == 0 else float(SPEED_EDGES[i - 1])
            high = float(SPEED_EDGES[i])
            return low + (high - low) * (target - seen) / n
        seen += n
    return float(SPEED_EDGES[-1])


def speed_score(median_hours, reference_hours: float):
    """Handling speed as a 0…1 score for the composite: 1 − median ÷ reference, never below 0."""
    if median_hours is None:
        return None
    if reference_hours <= 0:
        raise ValueError("reference hours must be positive")
    return max(0.0, 1.0 - median_hours / reference_hours)


def whistle_score(rating_score):
    """The whistle rating roll-up (1…5, jiesu.whistles.rules.rollup) as a 0…1 score: (score − 1) ÷ 4."""
    return None if rating_score is None else max(0.0, min(1.0, (rating_score - 1.0) / 4.0))


def composite(scores: dict, weights: dict):
    """综合得分 0…100: Σ wᵢ·scoreᵢ ÷ Σ wᵢ over the measures that have a score.

    A measure without data (no callbacks, no whistle ratings) drops out and the
    other weights are renormalised, so a unit is not punished for having none.
    None when no weighted measure has a score.
    """
    total = weight_sum = 0.0
    for name, weight in weights.items():
        value = scores.get(name)
        if weight and value is not None:
            total += weight * value
            weight_sum += weight
    return None if weight_sum == 0 else round(100.0 * total / weight_sum, 2)


def ranks(values):
    """Competition ranks (1, 2, 2, 4) for values, highest first; None values rank last, unranked (None)."""
    order = sorted((v for v in values if v is not None), reverse=True)
    first = {}
    for i, v in enumerate(order, start=1):
        first.setdefault(v, i)
    return [None if v is None else first[v] for v in values]


def trend(current, previous):
    """Change against last month: current − previous, or None when either is missing."""
    if current is None or previous is None:
        return None
    return round(current - previous, 4)


def rank_change(rank, previous_rank):
    """Places gained (positive) or lost (negative) since last month; None when either is unranked."""
    if rank is None or previous_rank is None:
        return None
    return previous_rank - rank
