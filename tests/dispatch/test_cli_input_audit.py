"""Input audit of `jiesu dispatch evaluate | train | info | crossval` (2026-12-07): files that are missing,
directories, empty, header-only, GBK/GB18030, UTF-8 with BOM, CRLF, a label column missing in one file, --text
naming no column, labels only in the test file, a test file sharing rows with the training file, cells with
newlines and quotes, one row, one class, --text spelled with spaces or full-width commas, a file given twice, and
standard output closed early. Each refusal is one line naming the file or option and the problem, in Chinese by
default and in English with --lang en, exit code non-zero, and no JSON line pretending success; a success ends
with exactly the contract's JSON line. Small files built here (the real data are read in place)."""
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "complaints_cn"
HEADER = "标题,一级分类\n"
WORDS = {"城乡建设": "小区道路破损路灯不亮", "环境保护": "工厂排污河水发臭噪音", "教育文体": "学校补课收费老师"}
CONTRACT = {"macro_f1", "accuracy", "n_train", "n_test", "seconds"}


def rows(n, start=0, sep=","):
    return "".join(f"{WORDS[label]}第{i}号{sep}{label}\n" for i in range(start, start + n)
                   for label in [list(WORDS)[i % 3]])


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def run(*args, lang="en"):
    """(printed lines, the CommandError or None): call_command with the language pinned."""
    out = StringIO()
    try:
        call_command("dispatch", *args, *(["--lang", lang] if lang else []), stdout=out)
        refused = None
    except CommandError as exc:
        refused = exc
    return out.getvalue().rstrip("\n").split("\n"), refused


def is_json(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


@pytest.fixture
def files(tmp_path):
    (tmp_path / "adir").mkdir()
    return {
        "train": write(tmp_path / "train.csv", HEADER + rows(60)),
        "test": write(tmp_path / "test.csv", HEADER + rows(12, 100)),
        "empty": write(tmp_path / "empty.csv", ""),
        "header": write(tmp_path / "header.csv", HEADER),
        "gbk": write(tmp_path / "gbk.csv", HEADER + rows(30), "gbk"),
        "gb18030": write(tmp_path / "gb18030.csv", HEADER + rows(30, 30) + "𠀀字路灯第99号,城乡建设\n", "gb18030"),
        "bom": write(tmp_path / "bom.csv", HEADER + rows(30), "utf-8-sig"),
        "crlf": write(tmp_path / "crlf.csv", (HEADER + rows(30)).replace("\n", "\r\n")),
        "nolabel": write(tmp_path / "nolabel.csv", "标题,备注\n" + rows(12)),
        "nocolumn": write(tmp_path / "nocolumn.csv", "甲,一级分类\n" + rows(12)),
        "unseen": write(tmp_path / "unseen.csv", HEADER + rows(12, 100) + "新设的类别才有的话,新类别\n"),
        "onerow": write(tmp_path / "onerow.csv", HEADER + rows(1)),
        "oneclass": write(tmp_path / "oneclass.csv", HEADER + "".join(f"路灯不亮第{i}号,城乡建设\n" for i in range(9))),
        "quoted": write(tmp_path / "quoted.csv", "标题,详情,一级分类\n" + "".join(
            f'"{WORDS[label]}""引号""{i}","第一行\n第二行，有逗号, 和引号""",{label}\n'
            for i in range(30) for label in [list(WORDS)[i % 3]])),
        "details": write(tmp_path / "details.csv", "标题,详情,一级分类\n" + rows(30).replace(",", ",详情,")),
        "dir": str(tmp_path / "adir"),
        "missing": str(tmp_path / "nope.csv"),
    }


# ── evaluate: what succeeds ends with exactly the contract's JSON line ──

@pytest.mark.parametrize("train, test, text, n_train, n_test", [
    (["gbk", "gb18030", "bom", "crlf"], "test", "标题", 121, 12),  # encodings, line ends, several files
    (["train", "details"], "test", "标题,详情", 90, 12),  # 详情 missing from train.csv: counted as empty there
    (["quoted"], "quoted", "标题,详情", 30, 30),  # cells holding newlines, quotes and commas
    (["train"], "unseen", "标题", 60, 13),  # a class never trained: scored, always wrong
    (["train"], "train", "标题", 60, 60),  # the test file is the training file: a note, then a score
    (["train"], "test", " 标题 , 详情 ", 60, 12),  # spaces around the commas
    (["train"], "test", "标题，详情", 60, 12),  # a full-width comma
])
def test_evaluate_ends_with_the_contract_line(files, train, test, text, n_train, n_test):
    lines, refused = run("evaluate", "--train", *[files[f] for f in train], "--test", files[test], "--text", text)
    assert refused is None
    result = json.loads(lines[-1])
    assert set(result) == CONTRACT and (result["n_train"], result["n_test"]) == (n_train, n_test)
    assert 0 <= result["macro_f1"] <= 1 and 0 <= result["accuracy"] <= 1
    assert sum(is_json(line) for line in lines) == 1
    assert any(line.startswith("confusion matrix") for line in lines)
    if test == "unseen":
        assert "note: test labels never seen in training (always wrong): 新类别" in lines
        assert result["accuracy"] == pytest.approx(12 / 13, abs=1e-4)
    if train == [test]:
        assert any(line.startswith(f"note: {n_train} training rows share their 标题 with a test row") for line in lines)


def test_evaluate_on_the_real_data_in_place(tmp_path):
    """The titles file trains, the first 60 full messages test (read in place; 留言详情 is missing from the titles
    file and counts as empty there)."""
    messages = (REAL / "messages_labeled.csv").read_text(encoding="utf-8-sig")
    import csv
    import io

    table = list(csv.reader(io.StringIO(messages, newline="")))
    test = tmp_path / "t.csv"
    with open(test, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(table[:61])
    lines, refused = run("evaluate", "--train", str(REAL / "titles_labeled.csv"), "--test", str(test),
                         "--text", "留言主题,留言详情", "--label", "一级分类", "--word-weight", "0",
                         "--chunk-weight", "0")
    assert refused is None
    result = json.loads(lines[-1])
    assert set(result) == CONTRACT and result["n_test"] == 60 and result["n_train"] > 7000
    assert result["macro_f1"] > 0.5


# ── what is refused: one line naming the file or option, non-zero, no JSON line ──

REFUSALS = [
    (["missing"], "test", "标题", "{missing}: file not found", "{missing}：文件不存在"),
    (["dir"], "test", "标题", "{dir}: is a directory, not a CSV file", None),
    (["empty"], "test", "标题", "{empty}: empty file (no header row)", None),
    (["train"], "empty", "标题", "{empty}: empty file (no header row)", None),
    (["train", "nolabel"], "test", "标题", "{nolabel}: label column '一级分类' not found; columns are: 标题, 备注",
     "{nolabel}：找不到标签列“一级分类”；现有的列：标题, 备注"),
    (["train"], "nolabel", "标题", "{nolabel}: label column '一级分类' not found", None),
    (["train"], "test", "无此列", "{train}: none of the text columns 无此列 found; columns are: 标题, 一级分类", None),
    (["train", "nocolumn"], "test", "标题", "{nocolumn}: none of the text columns 标题 found", None),
    (["train"], "header", "标题", "{header}: no usable test rows", None),
    (["header"], "test", "标题", "{header}: no usable training rows", "{header}：没有可用的训练行"),
    (["onerow"], "test", "标题", "need at least 2 classes to train, got 城乡建设", "训练至少需要 2 个类别，实际为 城乡建设"),
    (["oneclass"], "test", "标题", "need at least 2 classes to train, got 城乡建设", None),
    (["train", "train"], "test", "标题", "--train {train} is given twice (files 1 and 2): its rows would count twice",
     "--train {train} 重复给出（第 1 和第 2 个文件）：其中的行会被计算两次"),
    (["train"], "test", " ，, ", "--text needs at least one column name", None),
]


@pytest.mark.parametrize("train, test, text, english, chinese", REFUSALS)
def test_evaluate_refuses_in_one_line(files, train, test, text, english, chinese):
    args = ("evaluate", "--train", *[files[f] for f in train], "--test", files[test], "--text", text)
    lines, refused = run(*args)
    assert refused is not None and refused.returncode == 1
    assert english.format(**files) in str(refused) and "\n" not in str(refused)
    assert not any(is_json(line) for line in lines)
    if chinese:
        lines, refused = run(*args, lang=None)  # the default language: Chinese
        assert chinese.format(**files) in str(refused)


def test_evaluate_names_the_overlap_that_left_no_training_rows(files):
    lines, refused = run("evaluate", "--train", files["train"], "--test", files["train"], "--text", "标题",
                         "--exclude-overlap")
    assert str(refused) == (f"{files['train']}: no training rows left: all 60 share their 标题 with a test row "
                            "(--exclude-overlap)")
    assert not any(is_json(line) for line in lines)


@pytest.mark.parametrize("given, english", [
    (["onerow"], "onerow.csv: 1 row used of 1 (utf-8, comma-separated)"),
    (["train"], "train.csv: 60 rows used of 60 (utf-8, comma-separated)"),
])
def test_one_row_is_said_in_the_singular(files, given, english):
    lines, _refused = run("train", "--from-csv", *[files[f] for f in given], "--text", "标题", "--out",
                          str(Path(files["train"]).with_name("m.npz")))
    assert lines[0] == str(Path(files["train"]).with_name(english))


# ── train: a refused or failed training leaves the model file as it was ──

@pytest.mark.parametrize("given, text, english", [
    (["train", "train"], "标题", "--from-csv {train} is given twice (files 1 and 2): its rows would count twice"),
    (["header"], "标题", "{header}: no usable training rows"),
    (["onerow"], "标题", "need at least 2 classes to train, got 城乡建设"),
    (["train", "nolabel"], "标题", "{nolabel}: label column '一级分类' not found"),
    (["train"], "无此列", "{train}: none of the text columns 无此列 found"),
    (["dir"], "标题", "{dir}: is a directory, not a CSV file"),
])
def test_a_refused_training_keeps_the_previous_model(files, tmp_path, given, text, english):
    out = tmp_path / "model.npz"
    _lines, refused = run("train", "--from-csv", files["train"], "--text", "标题", "--out", str(out),
                          "--no-calibrate")
    assert refused is None
    before = out.read_bytes()
    lines, refused = run("train", "--from-csv", *[files[f] for f in given], "--text", text, "--out", str(out))
    assert refused is not None and english.format(**files) in str(refused)
    assert not any(is_json(line) for line in lines)
    assert out.read_bytes() == before and not list(tmp_path.glob("*.tmp"))


def test_the_same_file_by_another_name_is_given_twice(files, tmp_path):
    other = tmp_path / "sub" / ".." / "train.csv"
    (tmp_path / "sub").mkdir()
    _lines, refused = run("evaluate", "--train", files["train"], str(other), "--test", files["test"], "--text", "标题")
    assert str(refused) == f"--train {other} is given twice (files 1 and 2): its rows would count twice"


# ── standard output closed: one line on standard error, no traceback ──

def _jiesu(*args, stdout, lang="en"):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("JIESU_LANG", None)
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "dispatch", *args, "--lang", lang], cwd=ROOT,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=300)


@pytest.mark.parametrize("action", ["evaluate", "train", "info"])
def test_a_closed_pipe_stops_with_one_line(files, tmp_path, action):
    out = tmp_path / "m.npz"
    if action == "info":
        run("train", "--from-csv", files["train"], "--text", "标题", "--out", str(out), "--no-calibrate")
    args = {"evaluate": ("evaluate", "--train", files["train"], "--test", files["test"], "--text", "标题"),
            "train": ("train", "--from-csv", files["train"], "--text", "标题", "--out", str(out), "--no-calibrate"),
            "info": ("info", "--model", str(out))}[action]
    read, written = os.pipe()
    os.close(read)  # `| head -0`: nobody reads what it prints
    try:
        proc = _jiesu(*args, stdout=written)
    finally:
        os.close(written)
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert proc.returncode == 141
    said = proc.stderr.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("Error: standard output was closed before the end; "), said
    if action == "train":  # what the closing stopped: the model is not half-written
        assert said[0].endswith(f"nothing was written ({out} was not created)") or said[0].endswith(
            f"the model was written to {out}")
        assert not list(tmp_path.glob("*.tmp"))


def test_a_closed_standard_output_is_refused_before_the_work(files, tmp_path):
    out = tmp_path / "m.npz"
    proc = subprocess.run(
        ["bash", "-c", 'exec "$@" >&-', "_", sys.executable, str(ROOT / "manage.py"), "dispatch", "train",
         "--from-csv", files["train"], "--text", "标题", "--out", str(out), "--lang", "zh-hans"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, timeout=300)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"错误：标准输出已关闭，无处输出结果；未写入任何文件（未创建 {out}）"]
    assert proc.returncode == 1 and not out.exists()


# ── --text and --label: the answer is never read as the text ──

@pytest.mark.parametrize("action", ["evaluate", "train", "crossval"])
@pytest.mark.parametrize("text, label, english, chinese", [
    ("标题,一级分类", "一级分类", "--text 标题,一级分类 reads the --label column 一级分类: the model would read the answer",
     "--text 标题,一级分类 包含 --label 列 一级分类：模型会读到答案"),
    ("一级分类", " 一级分类 ", "--text 一级分类 reads the --label column 一级分类: the model would read the answer", None),
    ("标题, 标题", "一级分类", "--text names the column 标题 twice", "--text 两次列出列 标题"),
])
def test_the_label_column_is_not_a_text_column(files, tmp_path, action, text, label, english, chinese):
    args = {"evaluate": ("evaluate", "--train", files["train"], "--test", files["test"]),
            "train": ("train", "--from-csv", files["train"], "--out", str(tmp_path / "m.npz")),
            "crossval": ("crossval", "--data", files["train"], "--seeds", "0")}[action]
    lines, refused = run(*args, "--text", text, "--label", label)
    assert str(refused) == english and lines == [""]
    if chinese:
        assert str(run(*args, "--text", text, "--label", label, lang="zh-hans")[1]) == chinese
    assert not (tmp_path / "m.npz").exists()


def test_the_label_option_is_read_without_the_spaces_around_it(files):
    lines, refused = run("evaluate", "--train", files["train"], "--test", files["test"], "--text", "标题",
                         "--label", " 一级分类 ")
    assert refused is None and set(json.loads(lines[-1])) == CONTRACT


# ── files joined with their headers (`cat a.csv b.csv`): the header again is no row of a class named 一级分类 ──

@pytest.mark.parametrize("second", ["utf-8", "utf-8-sig"])
def test_a_header_repeated_inside_a_file_is_skipped_and_named(files, tmp_path, second):
    joined = tmp_path / "joined.csv"
    joined.write_bytes((HEADER + rows(30)).encode("utf-8") + (" 标题 ,一级分类\n" + rows(30, 30)).encode(second))
    lines, refused = run("evaluate", "--train", str(joined), "--test", files["test"], "--text", "标题")
    assert refused is None and json.loads(lines[-1])["n_train"] == 60
    assert lines[0] == f"{joined}: 60 rows used of 61 (utf-8, comma-separated); skipped 1 row repeating the header " \
                       "(line 32)"
    assert "trained on 60 rows, 3 classes; tested on 12 rows" in lines
    chinese, _refused = run("train", "--from-csv", str(joined), "--text", "标题", "--out", str(tmp_path / "m.npz"),
                            "--no-calibrate", lang="zh-hans")
    assert chinese[0].endswith("跳过 1 行：重复表头（第 32 行）")


# ── a model file whose metadata lacks what is read from it: named, never a KeyError ──

@pytest.mark.parametrize("change", [{"classes": None}, {"n_train": None}, {"n_features": None},
                                    {"trained_at": "yesterday"}, {"classes": "城乡建设"}])
@pytest.mark.parametrize("action", ["info", "predict"])
def test_a_model_with_broken_metadata_is_named(files, tmp_path, change, action):
    import numpy as np

    good = tmp_path / "good.npz"
    run("train", "--from-csv", files["train"], "--text", "标题", "--out", str(good), "--no-calibrate")
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    meta.update(change)
    meta = {k: v for k, v in meta.items() if v is not None}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    broken = tmp_path / "broken.npz"
    np.savez(broken, **arrays)
    field = next(iter(change))
    if action == "predict" and field != "classes":  # prediction reads the classes alone of these
        assert json.loads(run(action, "--model", str(broken), "路灯不亮")[0][-1])["top"][0][0] == "城乡建设"
        return
    lines, refused = run(action, "--model", str(broken), *(["路灯不亮"] if action == "predict" else []))
    assert str(refused) == f"{broken}: damaged model file (its metadata has no valid {field})"
    assert not any(is_json(line) for line in lines)
    _lines, refused = run(action, "--model", str(broken), *(["路灯不亮"] if action == "predict" else []),
                          lang="zh-hans")
    assert str(refused) == f"{broken}：模型文件已损坏（元数据中没有有效的 {field}）"


@pytest.mark.parametrize("extra", [["train"], ["test", "test"]])
def test_crossval_refuses_a_file_given_twice(files, extra):
    lines, refused = run("crossval", "--data", files["train"], "--extra", *[files[f] for f in extra], "--text", "标题",
                         "--seeds", "0")
    again = files[extra[-1]]
    first, second = (1, 2) if extra == ["train"] else (2, 3)
    assert str(refused) == (f"--data/--extra {again} is given twice (files {first} and {second}): its rows would "
                            "count twice")
    assert not any(is_json(line) for line in lines)
