"""Emergency wording (duplicates.emergency_hint and its English part, emergency_en): false alarms on real
requests, the tests' held-out sets, and speed on one core.

    .venv/bin/python bench/emergency.py              # ~6 s
    .venv/bin/python bench/emergency.py --rounds 5   # more rounds for the timings (default 3)

Prints the machine and the load average, then:

1. **False alarms** on real texts that hold no emergency (../shared/data):
   - us311: every row of la_2017_sample.csv and la_2018_sample.csv (RequestType, ActionTaken) and of
     nyc_2022_sample.csv (Complaint Type, Descriptor, Resolution Description), its non-empty fields joined by
     ". "; rows flagged, and flagged among the distinct texts;
   - complaints_cn/messages_labeled.csv: each message as intake reads it,
     services.ticket_text(留言主题, 留言详情) (title, a line break, the details, both stripped);
     titles_labeled.csv: each 留言主题, stripped;
   - sentences: the 留言主题 and 留言详情 of the four letter files (titles_labeled, messages_labeled,
     messages_with_votes, messages_with_replies; not the official replies) split where emergency_hint splits a
     text into sentences (duplicates._CLAUSES: at every run of 。！？；!?; and line breaks), each stripped of
     whitespace; the distinct ones of 4 characters or more holding a Chinese character (U+4E00–U+9FFF) are each
     read as if they opened a request.
   Up to 20 flagged texts of each are listed with the line suggested (number and label): a message by its
   留言编号, a title by its data row (1-based), a sentence by its place (0-based) in the sorted distinct sentences.
2. **The tests' held-out sets**: tests/dispatch/emergency_en_heldout2.txt, read by its test module
   (test_emergency_en_heldout2.SENTENCES), the fifth sets emergency_en_heldout3.txt and emergency_zh_heldout.txt,
   the sixth (Chinese) emergency_zh_heldout2.txt, the seventh (Chinese) emergency_zh_heldout3.txt and audit 11's
   sentences emergency_zh_audit11.txt (read by test_emergency_heldout3.read_set), and the blocks of EMERGENCIES /
   NEAR_MISSES in tests/dispatch/test_emergency_en.py whose comment says they were held out, written before the
   rules or not tuned on (`held_out_blocks`). An emergency is found when the first line named is the expected
   one; a near miss is skipped when nothing is named.
3. **Speed**, pinned to one core: each text is timed alone in every round, its fastest of the rounds kept; mean,
   p50 and p95 µs over the texts, of emergency_hint and of its English part alone (emergency_en.read with the
   Chinese veto, as emergency_hint calls it), on the messages, the titles and the distinct us311 texts. The
   timer's own cost per call is printed: it is inside the figures.

Last line: JSON with the figures.
"""
import argparse
import ast
import csv
import importlib.util
import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, percentile  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TESTS = ROOT / "tests" / "dispatch"
US311 = (("la_2017_sample.csv", ("RequestType", "ActionTaken")),
         ("la_2018_sample.csv", ("RequestType", "ActionTaken")),
         ("nyc_2022_sample.csv", ("Complaint Type", "Descriptor", "Resolution Description")))
LETTER_FILES = ("titles_labeled.csv", "messages_labeled.csv", "messages_with_votes.csv", "messages_with_replies.csv")
LETTER_FIELDS = ("留言主题", "留言详情")
MIN_SENTENCE = 4
CHINESE = re.compile("[\u4e00-\u9fff]")
LISTED = 20
#: A comment over a block of test sentences saying they were not tuned on.
HELD_OUT = re.compile(r"held out|written before|not tuned on", re.IGNORECASE)
SET_NAME = re.compile(r"\b(\w+) set\b")


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def us311_texts():
    return [". ".join(row[f].strip() for f in fields if row[f] and row[f].strip())
            for name, fields in US311 for row in read_csv(DATA / "us311" / name)]


def letter_sentences(clauses):
    """The distinct sentences of the letters' titles and details (see the docstring), sorted."""
    found = set()
    for name in LETTER_FILES:
        for row in read_csv(DATA / "complaints_cn" / name):
            for field in LETTER_FIELDS:
                for piece in clauses.split(row.get(field) or ""):
                    piece = piece.strip()
                    if len(piece) >= MIN_SENTENCE and CHINESE.search(piece):
                        found.add(piece)
    return sorted(found)


def comment_runs(source):
    """(first line, last line, text) of each run of whole-line comments in `source`, lines 1-based."""
    lines, runs, start = source.splitlines(), [], None
    for number, line in enumerate(lines + [""], 1):
        if line.lstrip().startswith("#"):
            start = number if start is None else start
        elif start is not None:
            text = " ".join(comment.strip().lstrip("#").strip() for comment in lines[start - 1:number - 1])
            runs.append((start, number - 1, text))
            start = None
    return runs


def held_out_blocks(source, names=("EMERGENCIES", "NEAR_MISSES")):
    """{(set, list name): [its elements]} for the blocks of the named list literals of a test module's `source`
    that stand under a comment matching HELD_OUT. A block runs from its comment (consecutive comment lines are
    one) to the next comment line or the list's end; the set is named by the comment's "<word> set"."""
    runs, blocks = comment_runs(source), defaultdict(list)
    for node in ast.parse(source).body:
        name = next((t.id for t in getattr(node, "targets", ()) if isinstance(t, ast.Name) and t.id in names), None)
        if name is None or not isinstance(node.value, ast.List):
            continue
        for element in node.value.elts:
            header = next((text for first, last, text in reversed(runs)
                           if node.lineno < first and last < element.lineno), None)
            if header and HELD_OUT.search(header):
                set_name = SET_NAME.search(header)
                blocks[set_name.group(1) if set_name else header, name].append(ast.literal_eval(element))
    return dict(blocks)


def load_test_module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def held_out_sets():
    """{set's name: ([(text, expected first line's what)], [near-miss text])}, read from the test files."""
    heldout2 = load_test_module(TESTS / "test_emergency_en_heldout2.py").SENTENCES
    read_set = load_test_module(TESTS / "test_emergency_heldout3.py").read_set
    sets = {}
    for name, sentences in (("fourth (emergency_en_heldout2.txt)", heldout2),
                            ("fifth (emergency_en_heldout3.txt)", read_set("emergency_en_heldout3.txt")),
                            ("fifth, Chinese (emergency_zh_heldout.txt)", read_set("emergency_zh_heldout.txt")),
                            ("sixth, Chinese (emergency_zh_heldout2.txt)", read_set("emergency_zh_heldout2.txt")),
                            ("seventh, Chinese (emergency_zh_heldout3.txt)", read_set("emergency_zh_heldout3.txt")),
                            ("audit 11 (emergency_zh_audit11.txt)", read_set("emergency_zh_audit11.txt"))):
        sets[name] = ([(text, what) for what, text in sentences if what != "-"],
                      [text for what, text in sentences if what == "-"])
    blocks = held_out_blocks((TESTS / "test_emergency_en.py").read_text(encoding="utf-8"))
    for name in sorted({name for name, _ in blocks}):
        emergencies = blocks.get((name, "EMERGENCIES"), [])
        sets[f"{name} (test_emergency_en.py)"] = ([(text, what) for text, what, *_ in emergencies],
                                                  blocks.get((name, "NEAR_MISSES"), []))
    return sets


def flagged(hint, texts, keys=None):
    """[(key, text, hint)] of the texts hint flags; key defaults to the text's index."""
    keys = range(len(texts)) if keys is None else keys
    return [(key, text, h) for key, text in zip(keys, texts) if (h := hint(text)) is not None]


def show(label, total, found, distinct=None):
    extra = f" ({distinct})" if distinct else ""
    print(f"{label}: {len(found)} of {total:,} flagged{extra}")
    for key, text, h in found[:LISTED]:
        head = " ".join(text.split())
        print(f"    {key}: {h.number} {h.label} | {head[:70]}{'…' if len(head) > 70 else ''}")
    if len(found) > LISTED:
        print(f"    … {len(found) - LISTED} more")


def timer_cost_us(n=20000):
    clock = time.perf_counter
    best = min(-clock() + clock() for _ in range(n))
    return best * 1e6


def per_text_us(fn, texts, rounds):
    """{mean, p50, p95} µs over the texts of each text's fastest call in `rounds` rounds."""
    clock = time.perf_counter
    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for i, text in enumerate(texts):
            start = clock()
            fn(text)
            best[i] = min(best[i], clock() - start)
    ordered = sorted(x * 1e6 for x in best)
    return {"mean": round(sum(ordered) / len(ordered), 2), "p50": round(percentile(ordered, 50), 2),
            "p95": round(percentile(ordered, 95), 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds; each text's fastest is kept")
    args = parser.parse_args()
    from bench.dispatch_classifier import pin_one_core

    core = pin_one_core()
    print(f"machine: {machine()}")
    print(f"pinned to core {core}; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"(a shared machine: other work shows in the timings)" if core is not None else "could not pin to one core")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    import django

    django.setup()
    from jiesu.dispatch import duplicates, emergency_en
    from jiesu.dispatch.services import ticket_text

    def english_part(text):
        return emergency_en.read(text, duplicates._vetoed_in_chinese)

    hint = duplicates.emergency_hint
    english = us311_texts()
    distinct_english = sorted(set(english))
    messages = read_csv(DATA / "complaints_cn" / "messages_labeled.csv")
    message_texts = [ticket_text(m["留言主题"], m["留言详情"]) for m in messages]
    titles = [t["留言主题"].strip() for t in read_csv(DATA / "complaints_cn" / "titles_labeled.csv")]
    sentences = letter_sentences(duplicates._CLAUSES)

    print("\n1. False alarms (real texts, no emergency in them)")
    us_rows = flagged(hint, english)
    us_distinct = flagged(hint, distinct_english)
    show("us311 rows", len(english), us_rows, f"{len(us_distinct)} of {len(distinct_english)} distinct texts")
    f_messages = flagged(hint, message_texts, [f"#{m['留言编号']}" for m in messages])
    show("complaints_cn messages (ticket_text of title and details)", len(message_texts), f_messages)
    f_titles = flagged(hint, titles, [f"title {i + 1}" for i in range(len(titles))])
    show("complaints_cn titles", len(titles), f_titles)
    f_sentences = flagged(hint, sentences)
    show("distinct sentences of the four letter files", len(sentences), f_sentences)

    print("\n2. The tests' held-out sets (found: the first line named is the expected one; skipped: none named)")
    heldout = {}
    for name, (emergencies, near_misses) in held_out_sets().items():
        hints = {text: hint(text) for text in [t for t, _ in emergencies] + near_misses}
        missed = [t for t, what in emergencies if hints[t] is None or hints[t].lines[0][0] != what]
        alarms = [t for t in near_misses if hints[t] is not None]
        heldout[name] = {"emergencies": len(emergencies), "found": len(emergencies) - len(missed),
                         "near_misses": len(near_misses), "skipped": len(near_misses) - len(alarms)}
        print(f"{name}: found {heldout[name]['found']} of {len(emergencies)}, "
              f"skipped {heldout[name]['skipped']} of {len(near_misses)}")
        for text in missed:
            print(f"    missed: {text}")
        for text in alarms:
            print(f"    flagged: {text} -> {hints[text].number}")

    print(f"\n3. Speed, µs per text (each text's fastest of {args.rounds} rounds; mean / p50 / p95; "
          f"the timer's own cost, {timer_cost_us():.2f} µs, included)")
    speed = {}
    for label, texts in (("message", message_texts), ("title", titles), ("us311_distinct", distinct_english)):
        speed[label] = {"emergency_hint": per_text_us(hint, texts, args.rounds),
                        "english_part": per_text_us(english_part, texts, args.rounds)}
        for part, s in speed[label].items():
            print(f"{label:15} ({len(texts):>5} texts, {sum(map(len, texts)) / len(texts):.0f} chars avg) "
                  f"{part:14} {s['mean']:8.2f} / {s['p50']:8.2f} / {s['p95']:8.2f}")

    print(json.dumps({
        "us311": {"rows": len(english), "flagged": len(us_rows), "distinct": len(distinct_english),
                  "distinct_flagged": len(us_distinct)},
        "messages": {"texts": len(message_texts), "flagged": len(f_messages)},
        "titles": {"texts": len(titles), "flagged": len(f_titles)},
        "sentences": {"distinct": len(sentences), "flagged": len(f_sentences)},
        "heldout": heldout,
        "speed_us": speed,
        "rounds": args.rounds,
        "load_average": round(os.getloadavg()[0], 2),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
