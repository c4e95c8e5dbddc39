"""The escalation ladder (小事不出网格、大事不出社区): grid → community → street → district. Pure.

Each level has a time limit to handle the matter or pass it up with a
reason; the street may also whistle (吹哨) instead of passing it up.
Limits are data: settings.JIESU["GRID_LADDER_LIMITS"] overrides DEFAULT_LIMITS.
"""
LEVELS = ("grid", "community", "street", "district")
DEFAULT_LIMITS = {
    "grid": (1, "working_days"),
    "community": (2, "working_days"),
    "street": (3, "working_days"),
    "district": (5, "working_days"),
}
LEVEL_ZH = {"grid": "网格", "community": "社区", "street": "街道（乡镇）", "district": "区"}


def next_level(level):
    """The level above `level`, or None at the top (the district)."""
    if level not in LEVELS:
        raise ValueError(f"unknown ladder level {level!r}")
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def limit(level, limits=None):
    """(amount, unit) for the level, unit as in categories.LimitUnit."""
    table = dict(DEFAULT_LIMITS)
    table.update(limits or {})
    amount, unit = table[level]
    return int(amount), unit


def may_whistle(level):
    """The street (街乡) may summon departments instead of passing the matter up."""
    return level == "street"
