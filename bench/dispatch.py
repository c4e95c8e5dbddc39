"""Dispatch speed: classify + locate + route per ticket, on one core.

    .venv/bin/python bench/dispatch.py                 # 5,000 real titles
    .venv/bin/python bench/dispatch.py --tickets 2000 --model var/models/tickets.npz
    .venv/bin/python bench/dispatch.py --texts messages  # full messages (title + details)

Sets up a throw-away SQLite database (the whole org tree, 3,574 units with
schematic boundaries, and the reference data: categories, duties), then runs
`jiesu.dispatch.engine.suggest` (top 3) over real citizen titles from
../shared/data/complaints_cn/titles_labeled.csv (--texts messages: full
messages, title + details, from messages_labeled.csv), each with a random Beijing
address (streets, roads, landmarks, communities, ambiguous and unknown names)
and/or random coordinates in the city in a random datum (WGS-84, GCJ-02,
BD-09). The process is pinned to one core.

Prints the machine, the set-up, a breakdown per stage (classify / locate /
route), wall-clock and CPU time end to end, and as its last line JSON
{"per_ticket_ms", "tickets_per_s", "model_load_s"}. per_ticket_ms and
tickets_per_s are the end-to-end CPU time of this (single-threaded, pinned)
process, so that other work on the machine does not count; the wall-clock
figures are printed above it. `model_load_s` is everything a fresh process
loads before its first suggestion: the classifier file, the routing table
with every unit, category and duty, the gazetteer, and the point index.
"""
import argparse
import csv
import gc
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core: no BLAS threads either

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, percentile  # noqa: E402

TITLES = ROOT.parent / "shared" / "data" / "complaints_cn" / "titles_labeled.csv"
BBOX = (115.42, 39.45, 117.50, 41.05)


def setup_django(workdir):
    os.environ["JIESU_SQLITE_PATH"] = str(Path(workdir) / "bench.sqlite3")
    os.environ["JIESU_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL_DIR": str(Path(workdir) / "models")}


def build_database():
    from django.core.management import call_command

    from jiesu.units.services import build_org_tree

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    tree = build_org_tree()
    call_command("seed_reference", verbosity=0, stdout=io.StringIO())
    return time.perf_counter() - started, tree


def read_texts(n, kind="titles"):
    """n real texts: titles, or full messages (title + newline + details), repeated if there are fewer."""
    path = TITLES if kind == "titles" else TITLES.with_name("messages_labeled.csv")
    if not path.exists():
        raise SystemExit(f"real data not found at {path}")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if kind == "titles":
        texts = [row["留言主题"].strip() for row in rows if row["留言主题"].strip()]
    else:
        texts = [f"{row['留言主题'].strip()}\n{row['留言详情'].strip()}" for row in rows]
    if len(texts) < n:
        texts = (texts * (n // len(texts) + 1))
    return texts[:n]


def make_inputs(titles, ref, seed=1):
    """(text, address, lon, lat, system) per title: a realistic mix of what intake gets."""
    from jiesu.dispatch.coords import from_wgs84
    from jiesu.dispatch.gazetteer import PACKAGE_ENTRIES

    rng = random.Random(seed)
    units = list(ref.table.units.values())
    districts = [u for u in units if u.kind == "district"]
    streets = [u for u in units if u.kind == "street"]
    communities = [u for u in units if u.kind == "community"]
    roads = ["路", "街", "胡同", "大街", "南里", "北里", "东路"]

    def address():
        r = rng.random()
        num = f"{rng.randint(1, 300)}号"
        if r < 0.3:
            s = rng.choice(streets)
            return f"北京市{s.district.name}{s.name}{rng.choice('东西南北中')}{rng.choice(roads)}{num}"
        if r < 0.45:
            s = rng.choice(streets)
            return f"{s.name.removesuffix('街道')}{rng.choice(roads)}{num}"  # short form, maybe ambiguous
        if r < 0.6:
            name, _kind, district, _street = rng.choice(PACKAGE_ENTRIES)
            return f"{district}{name}附近" if rng.random() < 0.5 else f"{name}{num}"
        if r < 0.75:
            c = rng.choice(communities)
            return f"{c.name}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元"
        if r < 0.85:
            return f"{rng.choice(districts).name}某某小区{num}"
        if r < 0.9:
            return rng.choice(["八里庄东里", "海淀区八里庄", "朝阳区八里庄"])
        return rng.choice(["小区门口", "我家楼下", "公司附近", "地铁站出口"])

    out = []
    for text in titles:
        r = rng.random()
        has_point = r < 0.5 or r >= 0.9
        has_address = r < 0.9
        lon = lat = None
        system = "wgs84"
        if has_point:
            system = rng.choice(["wgs84", "gcj02", "bd09"])
            lon, lat = from_wgs84(rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3]), system)
        out.append((text, address() if has_address else "", lon, lat, system))
    return out


def fresh_load(model_path):
    """Time what a fresh process loads before its first suggestion."""
    from jiesu.dispatch import engine, router
    from jiesu.dispatch.classifier import TextClassifier
    from jiesu.units import services as units

    router.invalidate()
    units.invalidate_locator()
    router._state["points"] = None
    t0 = time.perf_counter()
    clf = TextClassifier.load(model_path)
    t1 = time.perf_counter()
    ref = router.reference()
    t2 = time.perf_counter()
    units.finest_locator(router._point_cache())
    t3 = time.perf_counter()
    engine._classifier.update(key=None, model=None, checked=None)
    return clf, ref, {"classifier": t1 - t0, "reference": t2 - t1, "points": t3 - t2, "total": t3 - t0}


def timed(fn, items, repeat=1):
    samples = []
    for _ in range(repeat):
        for item in items:
            t = time.perf_counter()
            fn(item)
            samples.append(time.perf_counter() - t)
    return samples


def describe(samples):
    ms = sorted(s * 1000 for s in samples)
    return (f"mean {statistics.fmean(ms):.3f} ms, p50 {percentile(ms, 50):.3f}, p99 {percentile(ms, 99):.3f}, "
            f"max {ms[-1]:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5000, help="how many titles (at least 2,000)")
    parser.add_argument("--model", help="a classifier file whose labels are category codes "
                                        "(default: the cold-start model built from the catalogue)")
    parser.add_argument("--texts", choices=["titles", "messages"], default="titles",
                        help="titles (~20 characters) or full messages (title + details, ~420 characters)")
    parser.add_argument("--cpu", type=int, default=None, help="the core to pin to (default: the first allowed)")
    args = parser.parse_args()
    if args.tickets < 2000:
        raise SystemExit("--tickets must be at least 2000")

    allowed = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu is not None else allowed[0]
    os.sched_setaffinity(0, {cpu})
    print(f"machine: {machine()}")
    load_avg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"pinned to core {cpu} (of {len(allowed)} allowed); load average {load_avg} "
          f"(other work on the machine shows as p99 spikes)")

    with tempfile.TemporaryDirectory(prefix="jiesu-bench-dispatch-") as workdir:
        setup_django(workdir)
        seconds, tree = build_database()
        print(f"set-up: org tree {sum(tree.created.values())} units + reference data in {seconds:.1f} s (SQLite)")

        from jiesu.dispatch import engine, locator, router

        ref = router.reference()
        model_path = args.model
        if model_path is None:
            pairs = engine.keyword_pairs(ref.table.categories.values())
            t = time.perf_counter()
            cold = engine.cold_start_classifier(pairs)
            print(f"cold-start classifier trained from {len(pairs)} categories' names and keywords in "
                  f"{time.perf_counter() - t:.1f} s (once per catalogue change; saved, then loaded)")
            model_path = next((Path(workdir) / "models").glob("cold-start-*.npz"), None)
            if model_path is None:
                raise SystemExit(f"the cold-start model was not saved ({type(cold).__name__})")

        clf, ref, load = fresh_load(model_path)
        print(f"load: classifier {load['classifier']:.3f} s, routing table + gazetteer "
              f"{load['reference']:.3f} s ({len(ref.table.units)} units, {len(ref.table.categories)} categories, "
              f"{sum(len(v) for v in ref.table.duties.values())} duties, {len(ref.gazetteer)} place names), "
              f"point index {load['points']:.3f} s")

        texts = read_texts(args.tickets, args.texts)
        print(f"texts: {len(texts)} {args.texts}, {statistics.fmean(map(len, texts)):.0f} characters on average")
        inputs = make_inputs(texts, ref)
        for item in inputs[:200]:  # warm-up
            engine.suggest(item[0], item[1], item[2], item[3], item[4], classifier=clf, ref=ref)

        # End to end first, on a heap holding only what a server holds (the reference data).
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        t_total = timed(lambda it: engine.suggest(it[0], it[1], it[2], it[3], it[4], classifier=clf, ref=ref),
                        inputs)
        wall, cpu_time = time.perf_counter() - started, time.process_time() - cpu_started

        # Then each stage on its own.
        top_k = 6  # suggest() asks the classifier for top + 3
        t_classify = timed(lambda it: clf.predict_proba_top(it[0], top_k), inputs)
        places = []
        t_locate = timed(lambda it: places.append(
            locator.locate(it[1], it[2], it[3], it[4], text=it[0], ref=ref)), inputs)
        ranked = [clf.predict_proba_top(it[0], top_k) for it in inputs]
        table = ref.table
        codes = [[label for label, _ in r if label in table.category_by_code] for r in ranked]
        gc.collect()
        t_route = timed(lambda i: [table.route(code, places[i]) for code in codes[i]], range(len(inputs)))

        sources = {}
        for p in places:
            sources[p.source] = sources.get(p.source, 0) + 1
        print(f"{len(inputs)} tickets: " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
              + " (where the place came from)")
        print(f"classify (top {top_k} of {len(clf.classes)}): {describe(t_classify)}")
        print(f"locate (coordinates / address / text): {describe(t_locate)}")
        print(f"route ({top_k} categories each): {describe(t_route)}")
        print(f"suggest, end to end (top 3): {describe(t_total)}")
        parts = {"classify": statistics.fmean(t_classify), "locate": statistics.fmean(t_locate),
                 "route": statistics.fmean(t_route)}
        slowest = max(parts, key=parts.get)
        share = parts[slowest] / sum(parts.values())
        print(f"slowest stage: {slowest} ({share:.0%} of classify + locate + route)")

        n = len(inputs)
        print(f"end to end: wall clock {wall / n * 1000:.3f} ms per ticket ({n / wall:.0f}/s), "
              f"CPU time {cpu_time / n * 1000:.3f} ms per ticket ({n / cpu_time:.0f}/s on one core)")
        # The JSON counts CPU time: what a ticket costs the core, not the time other processes held it.
        per_ticket_ms = cpu_time / n * 1000
        print(json.dumps({"per_ticket_ms": round(per_ticket_ms, 4),
                          "tickets_per_s": round(n / cpu_time, 1),
                          "model_load_s": round(load["total"], 3)}))


if __name__ == "__main__":
    main()
