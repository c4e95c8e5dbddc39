"""Grid duty lists (定责): which level handles a matter. Pure resolution, no Django.

A rule names a matter — a GB/T 47678.5 code (5 digits), a GB/T class (2
digits) or a 12345 category code (applies to its subtree) — and the level
that handles it: grid (the grid handles it itself; `self_handle` allows
自处置 on the spot), community, street, or department (the hotline's
dispatch catalogue decides which). A street's own rules beat the city
default; a more specific matter beats a broader one.
"""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("grid", "community", "street", "department")
FALLBACK_LEVEL = "department"


@dataclass(frozen=True)
class Rule:
    level: str
    self_handle: bool = False
    street_id: int | None = None  # None: the city default
    gbt_code: str = ""  # 5-digit matter or 2-digit class
    category_code: str = ""  # a 12345 category (its subtree)
    rule_id: int | None = None


def specificity(rule: Rule, gbt_code: str, category_chain: list[str]):
    """How well the rule matches (higher is better), or None when it does not apply."""
    if rule.gbt_code:
        if gbt_code and gbt_code == rule.gbt_code:
            return 300
        if gbt_code and len(rule.gbt_code) == 2 and gbt_code.startswith(rule.gbt_code):
            return 200
        return None
    if rule.category_code and rule.category_code in category_chain:
        # category_chain runs from the leaf up: the leaf itself scores highest
        return 100 - category_chain.index(rule.category_code)
    return None


def resolve(rules, street_id, gbt_code="", category_chain=()):
    """The rule that decides for a matter in a street (None: no rule, see FALLBACK_LEVEL)."""
    chain = list(category_chain)
    best, best_key = None, None
    for rule in rules:
        if rule.street_id is not None and rule.street_id != street_id:
            continue
        score = specificity(rule, gbt_code, chain)
        if score is None:
            continue
        key = (rule.street_id is not None, score)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best
