"""Duplicate lookup latency at intake with many open tickets (jiesu.dispatch.duplicates.DuplicateIndex).

    .venv/bin/python bench/duplicates.py --tickets 20000 --queries 1000

Builds the in-memory index of open tickets from real citizen messages
(../shared/data/complaints_cn: titles, full messages, messages with votes and
replies; cycled with other places and small edits when --tickets exceeds the
distinct texts), each with a random street, a point in Beijing and an age within
the 30-day window, then times what the intake panel does per keystroke pause:
one `search` (text × every open ticket, place and age, top 5) for drafts that are
the *title* of an indexed full message (the same problem told shorter) and for
unrelated texts. Also: build time, one incremental `add`, memory, and how often
the indexed message is among the 5 offered for its own title (recall@5).
Prints the machine, then as its last line JSON
{"open_tickets", "build_s", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "add_ms", "memory_mb", "recall_at_5"}.
The database's share (one primary-key query for the ≤ 10 tickets shown) is not included.
"""
import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, percentile  # noqa: E402
from jiesu.dispatch.duplicates import Doc, DuplicateIndex, Place  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "complaints_cn"
FILES = ("messages_labeled.csv", "messages_with_votes.csv", "messages_with_replies.csv")
LON, LAT = (116.20, 116.55), (39.80, 40.05)   # the built-up city
STREETS = 300


def read(name):
    with open(DATA / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def corpus():
    """(full messages [(title, text)], extra titles): distinct texts from the four files."""
    seen, messages = set(), []
    for name in FILES:
        for row in read(name):
            title, text = (row.get("留言主题") or "").strip(), (row.get("留言详情") or "").strip()
            if title and text and title not in seen:
                seen.add(title)
                messages.append((title, f"{title} {text}"))
    titles = [r["留言主题"].strip() for r in read("titles_labeled.csv") if r["留言主题"].strip() not in seen]
    return messages, titles


def docs(n, messages, titles, rng, now):
    """n open tickets; the i-th full message is ticket i (for the recall check)."""
    texts = [t for _title, t in messages] + titles
    out = []
    for i in range(n):
        text = texts[i % len(texts)]
        if i >= len(texts):  # another caller, another place, a few words changed
            text = f"第{i // len(texts) + 1}次反映：{text[:40]}{rng.choice('，。！')}{text[40:]}"
        street = rng.randrange(STREETS)
        out.append(Doc(i + 1, text, now - rng.uniform(0, 29.5) * 86400, district=1 + street // 20,
                       street=1000 + street, lon=rng.uniform(*LON), lat=rng.uniform(*LAT)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20000, help="open tickets in the index (default 20000)")
    parser.add_argument("--queries", type=int, default=1000, help="drafts to look up (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"data not found: {DATA}")
    rng = random.Random(args.seed)
    print(machine())
    messages, titles = corpus()
    now = time.time()
    rows = docs(args.tickets, messages, titles, rng, now)
    index = DuplicateIndex()
    t0 = time.perf_counter()
    index.build(rows)
    build_s = time.perf_counter() - t0
    print(f"{len(index)} open tickets indexed in {build_s:.2f} s ({len(messages)} full messages, "
          f"{len(titles)} further titles; IDF over {index.n_docs_idf} tickets)")

    related = [i for i in range(min(len(messages), args.tickets))]
    rng.shuffle(related)
    related = related[:args.queries // 2]
    unrelated = rng.sample(titles, min(len(titles), args.queries - len(related))) if titles else []
    times, hits = [], 0
    for i in related:
        doc = rows[i]
        place = Place(district=doc.district, street=doc.street, lon=doc.lon, lat=doc.lat)
        t0 = time.perf_counter()
        found = index.search(messages[i][0], place, now=now, limit=5)
        times.append(time.perf_counter() - t0)
        hits += any(m.id == doc.id for m in found)
    for text in unrelated:
        street = rng.randrange(STREETS)
        place = Place(district=1 + street // 20, street=1000 + street)
        t0 = time.perf_counter()
        index.search(text, place, now=now, limit=5)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    index.add(Doc(args.tickets + 1, "小区门口有人占道经营，早晚高峰堵路", now, 1, 1000))
    add_ms = (time.perf_counter() - t0) * 1000
    ms = sorted(t * 1000 for t in times)
    result = {
        "open_tickets": len(index), "build_s": round(build_s, 2), "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2), "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(sum(ms) / len(ms), 2), "add_ms": round(add_ms, 2),
        "memory_mb": round(index.memory_bytes() / 2**20, 1),
        "recall_at_5": round(hits / len(related), 3) if related else None,
    }
    print(f"{len(ms)} lookups ({len(related)} titles of indexed messages, {len(unrelated)} unrelated): "
          f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; recall@5 {result['recall_at_5']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
