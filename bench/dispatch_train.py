"""Training a many-category dispatch model: time, memory, model size, load and prediction speed.

    .venv/bin/python bench/dispatch_train.py                        # 4,000 rows, default weight budget
    .venv/bin/python bench/dispatch_train.py --rows 8000 --max-weights 0 --calibrate

A platform's own model (`jiesu dispatch train --from-tickets`) has one class per
category of its catalogue, hundreds of them, not the 7 of the labelled data. No
public data carry such labels, so this benchmark makes a stand-in: every real
text of ../shared/data/complaints_cn (labelled or not, ~16,000) is labelled
with the leaf of the 3-level taxonomy (517 leaves) that a keyword model built
from the taxonomy's names gives it. It trains on --rows of them, held-out texts
measure speed and agreement with the stand-in labels. Prints the machine, then
as its last line JSON {"rows", "trained_rows", "training_sample", "classes",
"fit_s", "features", "weights_per_feature", "model_mb", "model_load_s",
"per_message_ms", "held_out_accuracy", "temperature", "held_out_ece",
"peak_rss_mb"}.
"""
import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, peak_rss_mb  # noqa: E402
from bench.dispatch_classifier import DATA, pin_one_core, read, time_per_text  # noqa: E402

FILES = ("titles_labeled.csv", "messages_labeled.csv", "messages_with_replies.csv", "messages_with_votes.csv")


def all_texts():
    """Every distinct title + details text of the Chinese message files."""
    seen, out = set(), []
    for name in FILES:
        for r in read(name):
            text = f"{r['留言主题'].strip()}\n{(r.get('留言详情') or '').strip()}".strip()
            if text and text not in seen:
                seen.add(text)
                out.append(text)
    return out


def taxonomy_leaves():
    """(label, keywords) per leaf of the 3-level taxonomy: label 一级/二级/三级, keywords the three names."""
    pairs = {}
    with open(DATA / "taxonomy_3level.csv", encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            names = [(r.get(k) or "").strip() for k in ("一级分类", "二级分类", "三级分类")]
            if all(names):
                pairs["/".join(names)] = " ".join(names)
    return sorted(pairs.items())


def held_out_ece(clf, texts, labels):
    """Expected calibration error of the top label's probability on texts the model never saw (labels it
    does not know count as wrong)."""
    import numpy as np

    from jiesu.dispatch.classifier import _ece

    known = {c: i for i, c in enumerate(clf.classes)}
    return _ece(clf.predict_proba(texts), np.array([known.get(label, -1) for label in labels]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=4000, help="training rows (default 4000)")
    ap.add_argument("--max-weights", type=int, default=None,
                    help="the model's weight budget (default: the classifier's; 0 = keep every weight)")
    ap.add_argument("--max-per-category", type=int, default=None, dest="max_per_class",
                    help="training rows kept per category (default: the classifier's rule; 0 = keep all)")
    ap.add_argument("--calibrate", action="store_true", help="also fit the temperature by cross-validation")
    ap.add_argument("--held-out", type=int, default=1000, help="texts to measure on (default 1000)")
    ap.add_argument("--calibration-rows", type=int, default=None,
                    help="with --calibrate: rows of the calibration's folds (default: the classifier's)")
    args = ap.parse_args()

    core = pin_one_core()
    print(f"machine: {machine()}")
    print(f"pinned to core {core}" if core is not None else "could not pin to one core")

    import numpy as np

    from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier

    texts = all_texts()
    stand_in = TextClassifier.from_keywords(taxonomy_leaves())
    labels = stand_in.predict(texts)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    if args.rows + args.held_out > len(texts):
        sys.exit(f"--rows + --held-out must be at most {len(texts)} (the distinct texts there are)")
    train, held = order[:args.rows], order[args.rows:args.rows + args.held_out]
    print(f"{len(texts)} distinct texts labelled with {len(set(labels))} of {len(stand_in.classes)} taxonomy leaves")

    options = {"calibrate": args.calibrate}
    if args.max_weights is not None:
        options["max_weights"] = args.max_weights
    if args.max_per_class is not None:
        options["max_per_class"] = args.max_per_class
    if args.calibration_rows is not None:
        options["calibration_rows"] = args.calibration_rows
    t0 = time.perf_counter()
    clf = TextClassifier(config=ClassifierConfig(**options)).fit([texts[i] for i in train],
                                                                 [labels[i] for i in train])
    fit_s = time.perf_counter() - t0
    w = clf._w
    per_feature = w.top_classes.shape[1] if w.pruned else len(clf.classes)
    sample = clf.meta["training_sample"]
    if sample:
        print(f"kept {sample}: {clf.meta['n_train']} of {len(train)} rows")
    print(f"trained on {clf.meta['n_train']} rows, {len(clf.classes)} classes, in {fit_s:.1f} s: "
          f"{len(w.idf)} features, {per_feature} weights each ({'pruned' if w.pruned else 'dense'}; "
          f"budget {clf.config.max_weights:,})")

    tmp = tempfile.TemporaryDirectory()
    path = clf.save(Path(tmp.name) / "many.npz")
    size_mb = path.stat().st_size / 2**20
    code = ("import time; t0 = time.perf_counter(); from jiesu.dispatch.classifier import TextClassifier; "
            f"TextClassifier.load({str(path)!r}); print(time.perf_counter() - t0)")
    load_s = min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                      cwd=ROOT).stdout.strip()) for _ in range(3))
    print(f"model file {size_mb:.1f} MB, load {load_s:.2f} s in a fresh process (imports included)")

    held_texts = [texts[i] for i in held]
    best, mean, p50, p99 = time_per_text(clf, held_texts, 3)
    accuracy = float(np.mean(np.array(clf.predict(held_texts)) == np.array([labels[i] for i in held])))
    print(f"held out ({len(held_texts)}): best-of-3 {best:.3f} ms, mean {mean:.3f}, p50 {p50:.3f}, "
          f"p99 {p99:.3f} ms per text; agreement with the stand-in labels {accuracy:.4f}")
    ece = held_out_ece(clf, held_texts, [labels[i] for i in held])
    print(f"temperature {clf.temperature:.3f}{'' if args.calibrate else ' (not calibrated: --calibrate)'}; "
          f"held-out calibration error (ECE, top label) {ece:.4f}")
    print(json.dumps({
        "rows": len(train), "trained_rows": clf.meta["n_train"], "training_sample": sample,
        "classes": len(clf.classes), "fit_s": round(fit_s, 1), "features": len(w.idf),
        "weights_per_feature": per_feature, "model_mb": round(size_mb, 1), "model_load_s": round(load_s, 3),
        "per_message_ms": round(best, 4), "held_out_accuracy": round(accuracy, 4),
        "temperature": round(clf.temperature, 4), "held_out_ece": round(ece, 4),
        "peak_rss_mb": round(peak_rss_mb()),
    }))


if __name__ == "__main__":
    main()
