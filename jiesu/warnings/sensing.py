"""Sensor kinds and thresholds. Pure: no Django models here.

Each kind has a measuring unit, a physically possible range (a reading outside it
is a broken device or a typo and is refused, not alarmed on) and the category its
automatic tickets get unless the sensor names another.
"""
from dataclasses import dataclass
import math


@dataclass(frozen=True)
class KindSpec:
    unit: str
    minimum: float
    maximum: float
    category: str          # default category code of the tickets it opens
    title: str             # ticket title pattern (Chinese: the hotline's working language)


KINDS = {
    "water_level": KindSpec("m", -20.0, 50.0, "02.02.02", "积水监测报警：{name}水位{value}{unit}"),
    "noise": KindSpec("dB(A)", 0.0, 160.0, "04.01.02", "噪声监测报警：{name}{value}{unit}"),
    "manhole_tilt": KindSpec("°", 0.0, 180.0, "03.05.01", "井盖监测报警：{name}倾斜{value}{unit}"),
    "gas": KindSpec("%LEL", 0.0, 100.0, "02.04.01", "燃气监测报警：{name}浓度{value}{unit}"),
    "temperature": KindSpec("°C", -40.0, 60.0, "02.05.01", "室温监测报警：{name}{value}{unit}"),
}


def breach(value: float, low: float | None, high: float | None) -> str:
    """'high' above the high threshold, 'low' below the low one, '' within."""
    if high is not None and value > high:
        return "high"
    if low is not None and value < low:
        return "low"
    return ""


def problems_with_thresholds(kind: str, low: float | None, high: float | None) -> list[tuple[str, str]]:
    """(field, problem code) for thresholds that cannot work: none given, not finite, out of range, low ≥ high."""
    spec = KINDS.get(kind)
    if spec is None:
        return [("kind", "unknown")]
    if low is None and high is None:
        return [("threshold_high", "missing")]
    found = []
    for name, value in (("threshold_low", low), ("threshold_high", high)):
        if value is None:
            continue
        if not math.isfinite(value):
            found.append((name, "not_finite"))
        elif not spec.minimum <= value <= spec.maximum:
            found.append((name, "out_of_range"))
    if not found and low is not None and high is not None and low >= high:
        found.append(("threshold_low", "not_below_high"))
    return found


def reading_problem(kind: str, value) -> str | None:
    """Why a reading's value is refused ('not_number', 'not_finite', 'out_of_range'), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "not_number"
    if not math.isfinite(value):
        return "not_finite"
    spec = KINDS[kind]
    if not spec.minimum <= value <= spec.maximum:
        return "out_of_range"
    return None


def ticket_title(kind: str, name: str, value: float) -> str:
    spec = KINDS[kind]
    return spec.title.format(name=name, value=f"{value:g}", unit=spec.unit)[:120]
