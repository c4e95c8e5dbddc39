"""`jiesu dispatch …`: evaluate's report and JSON last line, train/predict/info, bad input."""
import csv
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def run(*args, lang="en"):
    """`jiesu dispatch ARGS --lang LANG`: the printed lines (the language pinned, whatever the environment's)."""
    out = StringIO()
    call_command("dispatch", *args, "--lang", lang, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def write_csv(path, header, rows, encoding="utf-8", sep=","):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory, titles, messages):
    """A small split of the real data: titles and messages to train on (one as
    UTF-8 with BOM, one tab-separated GBK), messages to test on."""
    d = tmp_path_factory.mktemp("dispatch_cli")
    test = messages[::10][:120]
    seen = {t for t, _, _ in test}
    train_msgs = [m for m in messages if m[0] not in seen][:600]
    train_titles = [(t, l) for t, l in titles if t not in seen][::3]
    return {
        "titles": write_csv(d / "titles.csv", ["留言主题", "一级分类"], train_titles, encoding="utf-8-sig"),
        "messages": write_csv(d / "messages.tsv", ["留言主题", "留言详情", "一级分类"],
                              [(t, dd.replace("\t", " "), l) for t, dd, l in train_msgs], encoding="gb18030",
                              sep="\t"),
        "test": write_csv(d / "test.csv", ["留言编号", "留言主题", "留言详情", "一级分类"],
                          [(i, f"  {t} ", dd, l) for i, (t, dd, l) in enumerate(test)] + [(999, "无标签留言", "", "")]),
        "dir": d,
    }


def test_evaluate_prints_report_and_json_last_line(files):
    lines = run("evaluate", "--train", files["titles"], files["messages"], "--test", files["test"],
                "--text", "留言主题,留言详情", "--label", "一级分类")
    result = json.loads(lines[-1])
    assert set(result) == {"macro_f1", "accuracy", "n_train", "n_test", "seconds"}
    assert result["n_test"] == 120
    assert result["n_train"] > 2000
    assert 0.75 < result["macro_f1"] <= 1 and 0.75 < result["accuracy"] <= 1
    text = "\n".join(lines)
    assert "skipped 1 row with an empty label" in text
    assert "no column 留言详情 (counted as empty)" in text
    assert "precision" in text and "recall" in text and "confusion matrix" in text
    assert "城乡建设" in text and "环境保护" in text


def test_evaluate_exclude_overlap_and_save_model(files):
    from jiesu.dispatch.classifier import TextClassifier

    model = files["dir"] / "eval-model.npz"
    lines = run("evaluate", "--train", files["titles"], files["test"], "--test", files["test"],
                "--text", "留言主题,留言详情", "--exclude-overlap", "--save-model", str(model))
    assert "excluded 120 training rows whose 留言主题 also occurs in the test file" in lines
    assert json.loads(lines[-1])["n_test"] == 120
    assert TextClassifier.load(model).meta["cv_macro_f1"] > 0.7  # saved models are calibrated
    lines = run("evaluate", "--train", files["titles"], files["test"], "--test", files["test"])
    assert any(line.startswith("note: 120 training rows share their 留言主题") for line in lines)


def test_train_predict_info(files):
    out = files["dir"] / "m.npz"
    lines = run("train", "--from-csv", files["titles"], files["messages"], "--out", str(out),
                "--version", "cli-1", "--no-calibrate")
    info = json.loads(lines[-1])
    assert info["model_version"] == "cli-1" and Path(info["path"]) == out and out.exists()
    top = json.loads(run("predict", "--model", str(out), "-k", "2", "学校老师强制学生补课")[-1])
    assert len(top["top"]) == 2 and top["top"][0][0] == "教育文体"
    meta = json.loads(run("info", "--model", str(out))[-1])
    assert meta["model_version"] == "cli-1" and meta["n_train"] == info["n_train"]
    assert meta["config"]["chunk_weight"] == 0.3  # body passages by default
    plain = files["dir"] / "plain.npz"
    run("train", "--from-csv", files["titles"], files["messages"], "--out", str(plain), "--no-calibrate",
        "--chunk-weight", "0")
    assert json.loads(run("info", "--model", str(plain))[-1])["config"]["chunk_weight"] == 0
    small = files["dir"] / "small.npz"
    run("train", "--from-csv", files["titles"], "--out", str(small), "--no-calibrate", "--max-weights", "120000")
    meta = json.loads(run("info", "--model", str(small))[-1])
    assert meta["config"]["max_weights"] == 120000 and meta["format_version"] == 4
    assert meta["weights_per_feature"] == max(1, 120000 // meta["n_features"]) < 7
    capped = files["dir"] / "capped.npz"
    said = run("train", "--from-csv", files["titles"], "--out", str(capped), "--no-calibrate",
               "--max-per-category", "30", "--kernel-rows", "5000")
    meta = json.loads(run("info", "--model", str(capped))[-1])
    assert meta["training_sample"] == {"max_per_class": 30} and meta["config"]["max_per_class"] == 30
    assert meta["config"]["kernel_max_rows"] == 5000
    assert set(meta["class_counts"].values()) == {30} and meta["n_offered"] > meta["n_train"] == 30 * 7
    assert any(f"at most the newest 30 of each category: 210 of {meta['n_offered']} rows" in line for line in said)


def test_train_says_when_many_categories_were_sampled_to_fit(files, titles):
    """Past --kernel-rows a many-category model trains on the newest share of each category, and says so."""
    rows = [(t, f"{label}-{ord(t[0]) % 6}") for t, label in titles[:600]]
    many = write_csv(files["dir"] / "many.csv", ["留言主题", "一级分类"], rows)
    out = files["dir"] / "many.npz"
    said = run("train", "--from-csv", many, "--out", str(out), "--no-calibrate", "--kernel-rows", "450")
    meta = json.loads(run("info", "--model", str(out))[-1])
    sample = meta["training_sample"]
    assert sample["min_per_class"] == 10 and 0 < sample["share"] < 1 and len(meta["classes"]) >= 16
    assert meta["n_offered"] == 600 and meta["n_train"] <= 450
    assert any(f"the newest {sample['share']:.1%} of each category, at least 10: {meta['n_train']} of 600 rows"
               in line for line in said)


def test_bad_input_names_the_problem(files, tmp_path):
    with pytest.raises(CommandError, match="nope.csv: file not found"):
        run("evaluate", "--train", str(tmp_path / "nope.csv"), "--test", files["test"])
    with pytest.raises(CommandError, match="missing.csv: file not found"):
        run("evaluate", "--train", files["titles"], "--test", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="label column '类别' not found"):
        run("evaluate", "--train", files["titles"], "--test", files["test"], "--label", "类别")
    with pytest.raises(CommandError, match="model file not found"):
        run("predict", "--model", str(tmp_path / "none.npz"), "x")
    with pytest.raises(CommandError, match="--title-weight must be 0 or positive"):
        run("evaluate", "--train", files["titles"], "--test", files["test"], "--title-weight", "-1")
    with pytest.raises(CommandError, match="--chunk-weight must be 0 or positive"):
        run("evaluate", "--train", files["titles"], "--test", files["test"], "--chunk-weight", "-0.5")
    with pytest.raises(CommandError, match="--max-weights must be 0 or positive"):
        run("evaluate", "--train", files["titles"], "--test", files["test"], "--max-weights", "-1")
    with pytest.raises(CommandError, match="--kernel-rows must be 0 or positive"):
        run("train", "--from-csv", files["titles"], "--out", str(tmp_path / "m.npz"), "--kernel-rows", "-1")
    with pytest.raises(CommandError, match="--max-per-category must be 0 or positive"):
        run("train", "--from-csv", files["titles"], "--out", str(tmp_path / "m.npz"), "--max-per-category", "-2")


def test_exit_code_is_non_zero_on_bad_input(files, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "dispatch", "evaluate", "--train", files["titles"],
         "--test", str(tmp_path / "absent.csv"), "--lang", "en"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode != 0
    assert "absent.csv: file not found" in proc.stderr
