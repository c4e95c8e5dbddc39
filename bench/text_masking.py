"""The text masking's cost (jiesu.core.text_masking, audit 11 finding 21): per text, and per list of tickets.

    .venv/bin/python bench/text_masking.py              # ~30 s
    .venv/bin/python bench/text_masking.py --rounds 9   # more rounds (default 5)

Prints the machine and the load average, then:

1. **Per text**, pinned to one core: masked_text on each real letter of ../shared/data/complaints_cn
   (messages_labeled, messages_with_replies, messages_with_votes: 留言主题, a line break, 留言详情, as intake
   reads them), the citizen's name 韩梅梅; each text timed alone in every round, its fastest kept; mean, p50 and
   p95 µs, and the texts whose masking changed something (each change shown: false alarms are read here).
2. **Per list**: a template rendering 15 and 50 tickets' texts (unsaved tickets, 保密, the letters' texts) for a
   dispatcher (who may not reveal: masked) and a call-taker (who may: whole), `{{ t.text }}` (before) and
   `{% citizen_words t %}` (after) alternated round by round; the median ms of a list each.

Last line: JSON with the figures.
"""
import argparse
import csv
import difflib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, percentile  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "complaints_cn"
LETTER_FILES = ("messages_labeled.csv", "messages_with_replies.csv", "messages_with_votes.csv")
NAME = "韩梅梅"
BEFORE = "{% for t in tickets %}<div>{{ t.text }}</div>{% endfor %}"
AFTER = "{% load masking %}{% for t in tickets %}<div>{% citizen_words t %}</div>{% endfor %}"
LIST_SIZES = (15, 50)


def letters():
    texts = []
    for name in LETTER_FILES:
        with open(DATA / name, encoding="utf-8") as f:
            texts += [f"{(r['留言主题'] or '').strip()}\n{(r['留言详情'] or '').strip()}" for r in csv.DictReader(f)]
    return texts


def per_text(texts, rounds):
    from jiesu.core.text_masking import masked_text

    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for i, text in enumerate(texts):
            start = time.perf_counter_ns()
            masked_text(text, NAME)
            best[i] = min(best[i], time.perf_counter_ns() - start)
    micros = sorted(b / 1000 for b in best)
    return {"texts": len(texts), "mean_us": round(statistics.fmean(micros), 2),
            "p50_us": round(percentile(micros, 50), 2), "p95_us": round(percentile(micros, 95), 2)}


def changes(texts):
    from jiesu.core.text_masking import masked_text

    shown = []
    for text in texts:
        masked = masked_text(text, NAME)
        for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, text, masked).get_opcodes():
            if op != "equal":
                shown.append(f"{text[max(0, a1 - 10):a2 + 4]!r} -> {masked[max(0, b1 - 10):b2 + 4]!r}")
    return shown


def per_list(texts, rounds):
    from django.template import engines
    from django.test import RequestFactory

    from jiesu.accounts.models import Role, User
    from jiesu.tickets.models import Ticket

    engine = engines["django"]
    templates = {"before": engine.from_string(BEFORE), "after": engine.from_string(AFTER)}
    figures = {}
    for role in (Role.DISPATCHER, Role.CALL_TAKER):
        request = RequestFactory().get("/")
        request.user = User(username=role, role=role)
        for size in LIST_SIZES:
            tickets = [Ticket(text=t, title=t[:40], citizen_name=NAME, confidential=True) for t in texts[:size]]
            times = {"before": [], "after": []}
            for _ in range(rounds * 20):
                for which, template in templates.items():
                    start = time.perf_counter()
                    template.render({"tickets": tickets}, request)
                    times[which].append((time.perf_counter() - start) * 1000)
            figures[f"{role}_{size}"] = {k: round(statistics.median(v), 3) for k, v in times.items()}
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    import django

    django.setup()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(machine(), "· load", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    texts = letters()
    found = changes(texts)
    print(f"changed by the masking: {len(found)} places")
    for line in found:
        print("  ", line)
    text_figures = per_text(texts, args.rounds)
    print("per text:", text_figures)
    list_figures = per_list(texts, args.rounds)
    for key, value in list_figures.items():
        print(f"list {key}: before {value['before']} ms, after {value['after']} ms")
    print(json.dumps({"per_text": text_figures, "per_list": list_figures, "changed": len(found)}))


if __name__ == "__main__":
    main()
