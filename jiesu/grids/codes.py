"""Grid codes (DB11/T 2157): district 6 + street 3 + community 3 + grid 3 = 15 digits. Pure: no Django.

Grids are numbered from 001 within their community, west→east along a row,
rows north→south (the reading order of jiesu.units.geometry.reading_order).
"""
from __future__ import annotations

from dataclasses import dataclass

GRID_CODE_LENGTH = 15
COMMUNITY_CODE_LENGTH = 12


@dataclass(frozen=True)
class CodeProblem:
    code: str
    reason: str  # "not_digits", "length", "parent_mismatch", "zero_number", "duplicate", "numbering"
    detail: str = ""


def code_problems(code: str, community_code: str) -> list[CodeProblem]:
    """What is wrong with `code` as the code of a grid in community `community_code` ([] when nothing)."""
    code = (code or "").strip()
    if not code.isdigit():
        return [CodeProblem(code, "not_digits")]
    if len(code) != GRID_CODE_LENGTH:
        return [CodeProblem(code, "length", str(len(code)))]
    problems = []
    if code[:COMMUNITY_CODE_LENGTH] != community_code:
        problems.append(CodeProblem(code, "parent_mismatch", community_code))
    if code[COMMUNITY_CODE_LENGTH:] == "000":
        problems.append(CodeProblem(code, "zero_number"))
    return problems


def grid_number(code: str) -> int:
    return int(code[COMMUNITY_CODE_LENGTH:])


def make_code(community_code: str, number: int) -> str:
    if not 1 <= number <= 999:
        raise ValueError(f"grid number {number} out of 1..999")
    return f"{community_code}{number:03d}"


def next_code(community_code: str, existing: list[str]) -> str:
    """The first free grid code of a community."""
    used = {grid_number(c) for c in existing if c.startswith(community_code) and len(c) == GRID_CODE_LENGTH}
    number = 1
    while number in used:
        number += 1
    return make_code(community_code, number)


def numbering_problems(codes: list[str], order: list[int]) -> list[CodeProblem]:
    """Codes out of reading order: `order` lists the indices of `codes` west→east, north→south.

    The i-th grid in reading order should carry the i-th smallest number; the
    others are reported with the code they would have.
    """
    by_number = sorted(codes, key=lambda c: c[COMMUNITY_CODE_LENGTH:])
    problems = []
    for rank, index in enumerate(order):
        expected = by_number[rank]
        if codes[index] != expected:
            problems.append(CodeProblem(codes[index], "numbering", expected))
    return problems


def duplicates(codes: list[str]) -> list[CodeProblem]:
    seen, out = set(), []
    for code in codes:
        if code in seen:
            out.append(CodeProblem(code, "duplicate"))
        seen.add(code)
    return out
