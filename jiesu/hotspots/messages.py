"""The Teddy Cup messages with likes (messages_with_votes.csv) as hotspot items, and the top-10 table (pure).

Columns: 留言编号, 留言用户, 留言主题, 留言时间 (two formats: 2019/2/28 11:25:05 and
2019-08-01 00:00:00), 留言详情, 反对数, 点赞数. The file has no place column: the
district and finer places come from the words (jiesu.hotspots.places). Place names
are interned to integer ids so the duplicate check's place factor can compare them:
the district as `district`, the first place named as `community` (same estate/road →
0.9, same district only → 0.3, another district → elsewhere).
"""
from __future__ import annotations

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

from jiesu.hotspots.cluster import Item
from jiesu.hotspots.places import extract, place_key

TZ = ZoneInfo("Asia/Shanghai")
FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
COLUMNS = ("留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "点赞数")


class BadFile(ValueError):
    """The file is not the messages-with-votes table (says which column or row)."""


class UnreadableTime(ValueError):
    """A time in none of FORMATS; `value` for the command to word it in its language."""

    def __init__(self, value):
        super().__init__(f"unreadable time {value!r}")
        self.value = value


def parse_time(value):
    value = (value or "").strip()
    for fmt in FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=TZ)
        except ValueError:
            continue
    raise UnreadableTime(value)


def _int(value):
    try:
        return max(0, int(float(str(value).strip() or 0)))
    except ValueError:
        return 0


def read_items(path):
    """(items, skipped rows as [(line, reason: an UnreadableTime)]) of the CSV file at `path`."""
    items, skipped, ids = [], [], {}

    def intern(name):
        return ids.setdefault(name, len(ids) + 1) if name else None

    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise BadFile(f"{path}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                at = parse_time(row["留言时间"])
            except ValueError as exc:
                skipped.append((line, exc))
                continue
            title, text = (row["留言主题"] or "").strip(), (row["留言详情"] or "").strip()
            district, places = extract(title, text)
            items.append(Item(
                id=_int(row["留言编号"]) or line, title=title, text=text, at=at.timestamp(),
                citizen=(row["留言用户"] or "").strip(), support=_int(row["点赞数"]),
                district=intern("d:" + district if district else ""),
                community=intern("p:" + place_key(places[0]) if places else ""),
                places=tuple(([district] if district else []) + places)))
    return items, skipped


def day(ts):
    return datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d")


COLUMNS_SHOWN = ("heat", "messages", "citizens", "likes", "from – to", "places", "problem (most central message)")


def top_table(problems, n=10, places=3, columns=COLUMNS_SHOWN):
    """The top-n problems as Markdown table lines (rank, heat, size, citizens, likes, time range, places, label);
    `columns`: the header's words after #."""
    lines = ["| # | " + " | ".join(columns) + " |", "| ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for rank, p in enumerate(problems[:n], start=1):
        where = "、".join(name for name, _count in p.places[:places]) or "—"
        lines.append(f"| {rank} | {p.heat.value:.2f} | {p.size} | {p.heat.citizens} | {p.heat.support} | "
                     f"{day(p.first_at)} – {day(p.last_at)} | {where} | {p.label} |")
    return lines
