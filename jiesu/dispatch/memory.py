"""How many rows a training of many categories solves at once, chosen from the memory free when it starts.

Such a model is solved with one kernel of 4 × rows² bytes (ridge.KernelRidgeClassifier); the rest of a training
(the tickets read, at most twice the rows; the sparse features; the solver's blocks) is about 0.6 GB. Measured
on the demo city (516 categories, `jiesu dispatch train --from-tickets --kernel-rows N`, peak RSS, AMD EPYC):

    rows      5,000    10,000    15,000    20,000
    peak    0.68 GB   0.98 GB   1.55 GB   2.37 GB

which peak_bytes() follows within 3 %. A machine with less free memory trains on fewer rows (the newest share
of each category) instead of failing; its model is a little less sure of rare categories, not unusable (5-fold
CV accuracy on the demo city: 0.990 at 5,000 rows, 0.994 at 10,000).

No Django here: training_rows() takes the setting's value, and a command words TrainingRows.sentence() with
its gettext.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from jiesu.core.worded import english, gettext_noop
from jiesu.dispatch.classifier import ClassifierConfig

BASE_BYTES = 0.57e9        # a training's memory besides the kernel
KERNEL_FACTOR = 1.09       # the kernel's 4 × rows² bytes, with the solver's blocks
SHARE_OF_FREE = 0.75       # of the free memory, what a training may take: the web server and the database go on
MOST_ROWS = ClassifierConfig.kernel_max_rows  # 20,000: more rows gain little and cost minutes
LEAST_ROWS = 2_000         # below this the model would know too few tickets of each category
STEP = 1_000


def peak_bytes(rows: int) -> float:
    """A training's estimated peak memory when it solves `rows` rows at once."""
    return BASE_BYTES + KERNEL_FACTOR * 4.0 * rows * rows


def rows_for(free_bytes: float | None) -> int:
    """The most rows (a multiple of STEP, LEAST_ROWS to MOST_ROWS) whose peak fits SHARE_OF_FREE of
    `free_bytes`; MOST_ROWS when the free memory is not known."""
    if free_bytes is None:
        return MOST_ROWS
    room = SHARE_OF_FREE * free_bytes - BASE_BYTES
    rows = math.sqrt(room / (KERNEL_FACTOR * 4.0)) if room > 0 else 0
    return int(min(MOST_ROWS, max(LEAST_ROWS, rows // STEP * STEP)))


def free_bytes(proc="/proc/meminfo", cgroup="/sys/fs/cgroup", own="/proc/self/cgroup") -> float | None:
    """The memory a new process can take now: the kernel's MemAvailable, or less when this process's memory
    cgroup (v2: memory.max, v1: memory.limit_in_bytes; a container's limit) leaves less; None when none of
    them can be read (not Linux)."""
    found = [_mem_available(Path(proc))]
    found += [_cgroup_room(folder, limit, usage) for folder, limit, usage in _cgroup_folders(Path(cgroup), Path(own))]
    found = [value for value in found if value is not None]
    return min(found) if found else None


def _mem_available(path):
    try:
        for line in path.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


V2 = ("memory.max", "memory.current")
V1 = ("memory.limit_in_bytes", "memory.usage_in_bytes")


def _cgroup_folders(root, own):
    """(folder, limit file, usage file) of this process's memory cgroup, as /proc/self/cgroup names it under
    `root` (a container without a cgroup namespace sees the host's tree), and `root` itself (one with)."""
    folders = [(root, *V2), (root / "memory", *V1)]
    try:
        lines = own.read_text().splitlines()
    except OSError:
        return folders
    for line in lines:
        _hierarchy, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        relative = path.strip().lstrip("/")
        if not relative:
            continue
        if controllers == "":
            folders.append((root / relative, *V2))
        elif "memory" in controllers.split(","):
            folders.append((root / "memory" / relative, *V1))
    return folders


def _cgroup_room(folder, limit, usage):
    """What the cgroup's limit leaves, or None (no such files, or no limit: "max", or v1's huge number). The
    usage counts the page cache of the files read, which the kernel gives back when a process needs it: its
    inactive part is left out, as `docker stats` does."""
    try:
        cap = (folder / limit).read_text().strip()
        if cap == "max" or int(cap) >= 2 ** 60:
            return None
        used = int((folder / usage).read_text().strip()) - _reclaimable(folder / "memory.stat")
        return max(0.0, float(int(cap) - max(0, used)))
    except (OSError, ValueError):
        return None


def _reclaimable(stat):
    """The inactive file cache in a cgroup's memory.stat (v1: total_inactive_file, v2: inactive_file); 0 when
    it cannot be read."""
    try:
        fields = dict(line.split()[:2] for line in stat.read_text().splitlines() if line.strip())
    except (OSError, ValueError):
        return 0
    return int(fields.get("total_inactive_file", fields.get("inactive_file", 0)))


@dataclass(frozen=True)
class TrainingRows:
    """The rows a training solves at once, and why: "setting" (JIESU_DISPATCH_TRAIN_ROWS, or --kernel-rows) or
    "memory" (chosen from `free` bytes; None: not known)."""

    rows: int
    chosen_by: str
    free: float | None = None

    @property
    def peak_gb(self) -> float:
        return round(peak_bytes(self.rows) / 1e9, 1)

    def as_dict(self):
        figures = {"rows": self.rows, "rows_chosen_by": self.chosen_by, "rows_peak_gb": self.peak_gb}
        if self.free is not None:
            figures["free_gb"] = round(self.free / 1e9, 1)
        return figures

    def sentence(self, translate=english):
        """The rows as the commands say them, in the language of `translate` (gettext; by default English)."""
        figures = {"rows": f"{self.rows:,}", "gb": self.peak_gb,
                   "free": "" if self.free is None else f"{self.free / 1e9:.1f}"}
        if self.chosen_by == "setting":
            wording = gettext_noop("training rows: up to %(rows)s (about %(gb)s GB), as set")
        elif self.free is None:
            wording = gettext_noop("training rows: up to %(rows)s (about %(gb)s GB), chosen from the free memory (not "
                                   "known); JIESU_DISPATCH_TRAIN_ROWS sets them")
        else:
            wording = gettext_noop("training rows: up to %(rows)s (about %(gb)s GB), chosen from the free memory "
                                   "(%(free)s GB); JIESU_DISPATCH_TRAIN_ROWS sets them")
        return translate(wording) % figures


def training_rows(setting: int | None, measure=None) -> TrainingRows:
    """`setting` (a number of rows, 0 = never solve at once) as it is, or None: chosen from the free memory
    (`measure()`, default free_bytes())."""
    if setting is not None:
        return TrainingRows(setting, "setting")
    free = (measure or free_bytes)()
    return TrainingRows(rows_for(free), "memory", free)
