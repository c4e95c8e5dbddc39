"""Hotspots on the real messages with likes: the top-10 problems and how long finding them takes.

    .venv/bin/python bench/hotspots.py                       # ../shared/data/complaints_cn/messages_with_votes.csv
    .venv/bin/python bench/hotspots.py --csv FILE --top 10 --repeat 3

Reads the Teddy Cup messages (no database), clusters them with jiesu.hotspots.cluster
(the same code the `jiesu hotspots` run uses on tickets) and prints the machine, the
top problems as a Markdown table (heat, messages, distinct citizens, likes, time range,
places, most central message) and, as the last line, JSON
{"messages", "problems", "read_s", "cluster_s", "rss_mb"} (cluster_s: best of --repeat).
"""
import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, peak_rss_mb  # noqa: E402
from jiesu.hotspots.cluster import Params, find_problems  # noqa: E402
from jiesu.hotspots.messages import read_items, top_table  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "complaints_cn" / "messages_with_votes.csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT, help="messages_with_votes.csv (default: %(default)s)")
    parser.add_argument("--top", type=int, default=10, help="problems printed (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="clustering runs timed (default 3)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    started = time.perf_counter()
    items, skipped = read_items(args.csv)
    read_s = time.perf_counter() - started
    best, problems = None, []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        problems = find_problems(items, params=Params())
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    print(f"{len(items)} messages ({len(skipped)} skipped), {len(problems)} problems kept")
    print("\n".join(top_table(problems, args.top)))
    print(json.dumps({"messages": len(items), "problems": len(problems), "read_s": round(read_s, 3),
                      "cluster_s": round(best, 3), "rss_mb": round(peak_rss_mb(), 1)}))


if __name__ == "__main__":
    main()
