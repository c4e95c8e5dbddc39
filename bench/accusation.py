"""Auto-dispatch's hold on reports and accusations (jiesu.dispatch.accusation): what it holds of ordinary requests,
its score on the held-out English set, and its speed on one core.

    .venv/bin/python bench/accusation.py              # ~10 s
    .venv/bin/python bench/accusation.py --rounds 5   # more rounds for the timings (default 3)

Prints the machine and the load average, then:

1. **Held among ordinary requests** (../shared/data): us311 (every row of the LA 2017/2018 and NYC 2022 samples, its
   fields joined as bench/emergency.py joins them), rows held and distinct texts held, by reason, up to 20 listed;
   complaints_cn/messages_labeled.csv (each message as intake reads it: 留言主题, a line break, 留言详情), held by
   reason (the Chinese letters hold real accusations: a share, not false alarms only).
2. **The held-out English set** tests/dispatch/accusation_en_heldout.txt (written before the English rules, never
   tuned on): accusations found (held) and near misses let through (pass), each missed sentence listed.
3. **Speed**, pinned to one core: accusation_in on each distinct us311 text and each message, timed alone in every
   round, its fastest kept; mean, p50, p95 µs.

Last line: JSON with the figures.
"""
import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, percentile  # noqa: E402
from bench.emergency import DATA, read_csv, us311_texts  # noqa: E402
from jiesu.dispatch.accusation import accusation_in  # noqa: E402

HELD_OUT = ROOT / "tests" / "dispatch" / "accusation_en_heldout.txt"
LISTED = 20


def read_held_out(path=HELD_OUT):
    """[(expected, sentence)], expected "held" or "pass"; # lines are comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            expected, sentence = line.split("\t", 1)
            rows.append((expected, sentence))
    return rows


def messages():
    return [f"{(r['留言主题'] or '').strip()}\n{(r['留言详情'] or '').strip()}"
            for r in read_csv(DATA / "complaints_cn" / "messages_labeled.csv")]


def held(texts):
    return [(text, found) for text in texts if (found := accusation_in(text)) is not None]


def held_figures(label, texts, listed=LISTED):
    found = held(texts)
    by_reason = Counter(f.reason for _, f in found)
    print(f"{label}: {len(found)} of {len(texts)} held ({len(found) / max(len(texts), 1):.2%}), {dict(by_reason)}")
    for text, f in found[:listed]:
        print(f"   [{f.reason} {f.words}] {text[:120]!r}")
    return {"texts": len(texts), "held": len(found), "by_reason": dict(by_reason)}


def held_out_score():
    rows = read_held_out()
    right = {"held": 0, "pass": 0}
    total = Counter(expected for expected, _ in rows)
    for expected, sentence in rows:
        if (accusation_in(sentence) is not None) == (expected == "held"):
            right[expected] += 1
        else:
            print(f"   missed ({expected}): {sentence}")
    print(f"held-out: accusations found {right['held']}/{total['held']}, near misses let through "
          f"{right['pass']}/{total['pass']}")
    return {"found": right["held"], "accusations": total["held"], "let_through": right["pass"],
            "near_misses": total["pass"]}


def per_text_us(texts, rounds):
    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for i, text in enumerate(texts):
            start = time.perf_counter_ns()
            accusation_in(text)
            best[i] = min(best[i], time.perf_counter_ns() - start)
    ordered = sorted(b / 1000 for b in best)
    return {"texts": len(texts), "mean_us": round(sum(ordered) / len(ordered), 2),
            "p50_us": round(percentile(ordered, 50), 2), "p95_us": round(percentile(ordered, 95), 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(machine(), "· load", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    us311 = us311_texts()
    distinct = sorted(set(us311))
    letters = messages()
    figures = {"us311_rows": held_figures("us311 rows", us311, listed=0),
               "us311_distinct": held_figures("us311 distinct texts", distinct),
               "messages": held_figures("complaints_cn messages", letters, listed=0),
               "held_out": held_out_score(),
               "speed_us311": per_text_us(distinct, args.rounds), "speed_messages": per_text_us(letters, args.rounds)}
    print("speed us311:", figures["speed_us311"], "messages:", figures["speed_messages"])
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
