"""Formulas of grid-work assessment (定责考核). Pure: no Django."""
from __future__ import annotations


def share(part, whole):
    """part / whole, or None when there is nothing to divide."""
    return None if not whole else part / whole


def discovery_rate(patrol_found: int, citizen_reported: int):
    """主动发现率: patrol-found problems as a share of all problems found in the grid.

    patrol / (patrol + citizen); None when the grid had neither.
    """
    return share(patrol_found, patrol_found + citizen_reported)


def timeliness(on_time: int, late: int):
    """Share of ladder steps finished (handled or passed up) before their deadline."""
    return share(on_time, on_time + late)


def percent(value, digits=1):
    return "—" if value is None else f"{value * 100:.{digits}f}%"
