"""`jiesu dispatch …` refuses what it cannot do in one line naming the file and the problem: model files that are
not models, model paths it would have to change, CSV mistakes, too few rows for the folds, empty texts; Ctrl-C
ends any action with one line saying what was written, and exit code 130."""
import json
import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu.dispatch.classifier import ClassifierConfig, ModelFormatError, TextClassifier
from jiesu.dispatch.tabular import TableError, load_labelled
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
HEADER = "标题,一级分类\n"
WORDS = {"城乡建设": "小区道路破损路灯不亮", "环境保护": "工厂排污河水发臭噪音", "教育文体": "学校补课收费老师"}


def run(*args, lang="en"):
    """`jiesu dispatch ARGS --lang LANG`: the printed lines (the language pinned, whatever the environment's)."""
    out = StringIO()
    call_command("dispatch", *args, "--lang", lang, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def rows(n, start=0):
    return "".join(f"{WORDS[label]}第{i}号,{label}\n" for i in range(start, start + n)
                   for label in [list(WORDS)[i % 3]])


@pytest.fixture
def good(tmp_path):
    return write(tmp_path / "train.csv", HEADER + rows(60)), write(tmp_path / "test.csv", HEADER + rows(12, 100))


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.npz"
    texts = [w + str(i) for w in WORDS.values() for i in range(5)]
    TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        texts, [label for label in WORDS for _ in range(5)], version="m-1").save(path)
    return path


# ── finding 8: a file that is not a model is named as such, never with numpy's advice to load it unsafely ──

def test_files_that_are_not_models_are_named_so(tmp_path, good, model):
    train, _ = good
    truncated = tmp_path / "cut.npz"
    truncated.write_bytes(model.read_bytes()[:200])
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    (tmp_path / "dir.npz").mkdir()
    cases = {train: "not a Jiesu model file (not an .npz archive)",
             write(tmp_path / "empty.npz", ""): "not a Jiesu model file (an empty file)",
             str(truncated): "damaged model file (a cut-off or broken .npz archive)",
             str(tmp_path / "other.npz"): "not a Jiesu model file (an .npz archive without meta, vocab, idf, intercept)",
             str(tmp_path / "dir.npz"): "is a directory, not a model file"}
    for path, said in cases.items():
        for action in (("predict", "--model", path, "路灯坏了"), ("info", "--model", path)):
            with pytest.raises(CommandError) as refused:
                run(*action)
            assert str(refused.value) == f"{path}: {said}"
    with pytest.raises(ModelFormatError, match="not a Jiesu model file") as refused:
        TextClassifier.load(train)
    assert "pickle" not in str(refused.value)


# ── finding 11: a model path is written as given, or refused ──

def test_a_model_path_without_npz_or_under_a_file_is_refused_before_training(tmp_path, good):
    train, test = good
    with pytest.raises(CommandError, match=rf"^--out {tmp_path}/m3: a model file's name ends in .npz "
                                           rf"\({tmp_path}/m3.npz\?\)$"):
        run("train", "--from-csv", train, "--text", "标题", "--out", str(tmp_path / "m3"), "--no-calibrate")
    (tmp_path / "adir.csv").mkdir()
    with pytest.raises(CommandError, match=r"--save-model .*adir.csv: a model file's name ends in .npz"):
        run("evaluate", "--train", train, "--test", test, "--text", "标题", "--save-model", str(tmp_path / "adir.csv"))
    with pytest.raises(CommandError, match=rf"--out {tmp_path}/m2.npz/x.npz: {tmp_path}/m2.npz is a file, not a "
                                           "directory"):
        (tmp_path / "m2.npz").write_bytes(b"x")
        run("train", "--from-csv", train, "--text", "标题", "--out", str(tmp_path / "m2.npz" / "x.npz"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.csv", "m2.npz", "test.csv", "train.csv"]
    lines = run("train", "--from-csv", train, "--text", "标题", "--out", str(tmp_path / "m.npz"), "--no-calibrate")
    assert json.loads(lines[-1])["path"] == str(tmp_path / "m.npz") and f"saved to {tmp_path}/m.npz" in lines


# ── finding 9: CSV mistakes said as what they are ──

def test_an_unclosed_quote_is_refused_naming_its_line(tmp_path, good):
    train, _ = good
    path = write(tmp_path / "quote.csv", HEADER + rows(3) + '"未关闭引号,城乡建设\n' + rows(4, 10))
    with pytest.raises(TableError, match=r"quote.csv: line 5: a quoted cell \(\"\) is never closed, so lines 5–9 "
                                         "would be read as one cell"):
        load_labelled(path, ["标题"], "一级分类")
    with pytest.raises(CommandError, match="quote.csv: line 5: a quoted cell"):
        run("evaluate", "--train", train, "--test", path, "--text", "标题")
    fine = write(tmp_path / "fine.csv", HEADER + '"一行\n两行，""引号""",城乡建设\n"他说""好""",环境保护\n引号"在中间,教育文体\n')
    loaded = load_labelled(fine, ["标题"], "一级分类")
    assert loaded.texts == ['一行\n两行，"引号"', '他说"好"', '引号"在中间'] and loaded.lines == [2, 4, 5]


def test_rows_with_more_or_fewer_fields_than_the_header_are_skipped_and_named(tmp_path, good):
    train, _ = good
    path = write(tmp_path / "ragged.csv", HEADER + rows(6) + "多出来的,城乡建设,extra,more\n" * 2 + "only-one\n"
                 + rows(3, 20))
    loaded = load_labelled(path, ["标题"], "一级分类")
    assert len(loaded) == 9 and loaded.skipped_width == [(8, 4), (9, 4), (10, 1)] and not loaded.skipped_no_label
    lines = run("evaluate", "--train", train, "--test", path, "--text", "标题")
    assert (f"{path}: 9 rows used of 12 (utf-8, comma-separated); skipped 2 rows with more fields than the "
            "header's 2 (lines 8, 9); skipped 1 row with fewer fields than the header's 2 (line 10)") in lines
    empty = write(tmp_path / "labels.csv", HEADER + rows(2) + "\n没有标签,\n")
    lines = run("evaluate", "--train", train, "--test", empty, "--text", "标题")
    assert any(line.endswith("skipped 1 row with an empty label (line 5)") for line in lines)  # file lines


def test_utf16_and_excel_files_are_named(tmp_path):
    with pytest.raises(TableError, match="u16.csv: UTF-16 text"):
        load_labelled(write(tmp_path / "u16.csv", HEADER + rows(3), "utf-16"), ["标题"], "一级分类")
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(128, 256)) * 4)
    with pytest.raises(TableError, match=r"book.xlsx: an Excel workbook \(.xlsx\) or another zip archive"):
        load_labelled(tmp_path / "book.xlsx", ["标题"], "一级分类")


# ── finding 7: crossval with fewer rows, groups or rows per label than folds ──

def test_crossval_refuses_fewer_rows_than_folds(tmp_path):
    one = write(tmp_path / "one.csv", HEADER + rows(1))
    with pytest.raises(CommandError, match=r"^.*one.csv: 1 usable row, fewer than --folds 5$"):
        run("crossval", "--data", one, "--text", "标题", "--folds", "5")
    same = write(tmp_path / "same.csv", HEADER + "同一个标题,城乡建设\n" * 4 + "另一个标题,环境保护\n" * 4)
    with pytest.raises(CommandError, match=r"same.csv: 2 distinct 标题 values .*fewer than --folds 3"):
        run("crossval", "--data", same, "--text", "标题", "--folds", "3")
    rare = write(tmp_path / "rare.csv", HEADER + rows(30) + "罕见的诉求,罕见\n罕见的诉求二,罕见\n")
    with pytest.raises(CommandError, match=r"rare.csv: 1 label with fewer usable rows than --folds 5 "
                                           r"\(罕见 2\)"):
        run("crossval", "--data", rare, "--text", "标题", "--folds", "5")
    assert json.loads(run("crossval", "--data", rare, "--text", "标题", "--folds", "2", "--seeds", "0")[-1])["runs"] == 2


# ── finding 10: predict ──

def test_predict_refuses_an_empty_text_and_no_text(model, monkeypatch):
    with pytest.raises(CommandError, match=r"^predict: text 2 of 2 is empty"):
        run("predict", "--model", str(model), "路灯坏了", "  ")
    monkeypatch.setattr(sys, "stdin", StringIO("\n\n"))
    with pytest.raises(CommandError, match=r"^predict: no text to classify"):
        run("predict", "--model", str(model))
    monkeypatch.setattr(sys, "stdin", StringIO("路灯坏了\n"))
    assert json.loads(run("predict", "--model", str(model), "-k", "1")[-1])["top"][0][0] == "城乡建设"


@pytest.mark.django_db
def test_predict_names_the_categories_of_a_model_labelled_with_codes(world, tmp_path):  # noqa: F811
    path = tmp_path / "codes.npz"
    TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        ["楼道燃气味", "燃气泄漏", "占道经营", "摆摊占道"], [world.gas.code] * 2 + [world.category.code] * 2).save(path)
    top = json.loads(run("predict", "--model", str(path), "-k", "2", "厨房燃气泄漏")[-1])["top"]
    assert [(code, name) for code, _p, name in top] == [(world.gas.code, world.gas.full_name()),
                                                        (world.category.code, world.category.full_name())]


# ── finding 5: Ctrl-C ──

@pytest.mark.parametrize("action", ["evaluate", "train", "crossval"])
def test_an_interrupted_action_says_in_one_line_what_was_written(action, good, tmp_path, monkeypatch):
    train, test = good

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(TextClassifier, "fit", interrupted)
    out = tmp_path / "m.npz"
    args = {"evaluate": ["--train", train, "--test", test, "--save-model", str(out)],
            "train": ["--from-csv", train, "--out", str(out)], "crossval": ["--data", train, "--folds", "2"]}[action]
    with pytest.raises(CommandError) as stopped:
        run(action, *args, "--text", "标题")
    assert stopped.value.returncode == 130
    assert str(stopped.value) == ("interrupted: nothing was written" + (f" ({out} was not created)"
                                                                          if action != "crossval" else ""))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.csv", "train.csv"]


def test_ctrl_c_gives_one_line_and_exit_code_130(titles, tmp_path):
    data = write(tmp_path / "titles.csv", "留言主题,一级分类\n" + "".join(f'"{t}",{label}\n' for t, label in titles))
    out = tmp_path / "m.npz"
    proc = subprocess.Popen([sys.executable, "-u", str(ROOT / "manage.py"), "dispatch", "train", "--from-csv", data,
                             "--text", "留言主题", "--out", str(out), "--lang", "en"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "rows used of" in proc.stdout.readline()  # the file is read: the training begins (seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines() == [f"Error: interrupted: nothing was written ({out} was not created)"]
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))
