"""`jiesu dispatch evaluate` / `train --from-csv`: files it cannot use are refused with one clear line naming
the file and the problem (a repeated column, bytes that are not text on a named line, an output path that
cannot be written), before any training."""
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu.dispatch.tabular import TableError, load_labelled

ROOT = Path(__file__).resolve().parents[2]
HEADER = "标题,一级分类\n"
WORDS = {"城乡建设": "小区道路破损路灯不亮", "环境保护": "工厂排污河水发臭噪音", "教育文体": "学校补课收费老师"}


def rows(n, start=0):
    """n labelled lines, three classes in turn, each text a little different."""
    out = []
    for i in range(start, start + n):
        label = list(WORDS)[i % 3]
        out.append(f"{WORDS[label]}第{i}号,{label}\n")
    return "".join(out)


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def run(*args, lang="en"):
    """`jiesu dispatch ARGS --lang LANG`: the printed lines (the language pinned, whatever the environment's)."""
    out = StringIO()
    call_command("dispatch", *args, "--lang", lang, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


@pytest.fixture
def good(tmp_path):
    return write(tmp_path / "train.csv", HEADER + rows(60)), write(tmp_path / "test.csv", HEADER + rows(12, 100))


def test_evaluate_runs_on_the_small_files(good):
    train, test = good
    result = json.loads(run("evaluate", "--train", train, "--test", test, "--text", "标题")[-1])
    assert set(result) == {"macro_f1", "accuracy", "n_train", "n_test", "seconds"} and result["n_test"] == 12


def test_a_column_named_twice_is_refused_by_name(tmp_path, good):
    train, _ = good
    dup = write(tmp_path / "dup.csv", "标题,一级分类,一级分类\n" + rows(12).replace("\n", ",\n"))
    with pytest.raises(TableError, match=r"dup.csv: column '一级分类' appears more than once in the header "
                                         r"\(columns 2 and 3\)"):
        load_labelled(dup, ["标题"], "一级分类")
    with pytest.raises(CommandError, match=r"dup.csv: column '一级分类' appears more than once"):
        run("evaluate", "--train", train, "--test", dup, "--text", "标题")
    with pytest.raises(CommandError, match=r"dup.csv: column '标题' appears more than once"):
        run("train", "--from-csv", write(tmp_path / "dup.csv", "标题,标题,一级分类\n"), "--out",
            str(tmp_path / "m.npz"), "--text", "标题")
    # a repeated column nobody reads is harmless
    spare = write(tmp_path / "spare.csv", "备注,标题,备注,一级分类\n" + "".join(f"a,{r[:-1]},b\n" for r in
                                                                              rows(12).splitlines(True)))
    assert len(load_labelled(spare, ["标题"], "一级分类")) == 12


def test_bad_bytes_mid_file_are_named_by_their_line(tmp_path, good, monkeypatch):
    from jiesu.dispatch import tabular

    train, _ = good
    monkeypatch.setattr(tabular, "SNIFF_BYTES", 2_000, raising=False)  # the encoding from the first 2 kB: UTF-8
    path = tmp_path / "mixed.csv"
    path.write_bytes((HEADER + rows(100)).encode("utf-8") + "路灯坏了,城乡建设\n".encode("gbk")  # line 102
                     + rows(20, 200).encode("utf-8"))
    with pytest.raises(CommandError, match=r"mixed.csv: line 102: bytes that are not UTF-8 text"):
        run("evaluate", "--train", train, "--test", str(path), "--text", "标题")


def test_a_file_neither_utf8_nor_gbk_names_the_first_line_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + rows(3)).encode("utf-8") + b"\xff\xfe\x80\x81,x\n" * 3)
    with pytest.raises(TableError, match=r"latin.csv: cannot decode the file as UTF-8 or GBK \(line 5 is not "
                                         r"UTF-8\)"):
        load_labelled(path, ["标题"], "一级分类")


def test_an_unwritable_model_path_is_refused_before_training(tmp_path, good):
    train, test = good
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(CommandError, match=rf"--save-model {blocker}/m.npz: {blocker} is a file, not a directory"):
        run("evaluate", "--train", train, "--test", test, "--text", "标题", "--save-model", str(blocker / "m.npz"))
    with pytest.raises(CommandError, match=rf"--out {blocker}/m.npz: {blocker} is a file, not a directory"):
        run("train", "--from-csv", train, "--text", "标题", "--out", str(blocker / "m.npz"), "--no-calibrate")
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(CommandError, match=rf"--save-model {tmp_path}/d.npz: is a directory"):
        run("evaluate", "--train", train, "--test", test, "--text", "标题", "--save-model", str(tmp_path / "d.npz"))
    assert not list(blocker.parent.glob("**/*.tmp"))


def test_the_command_line_gets_one_line_and_a_non_zero_exit_before_any_training(good):
    train, test = good
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "dispatch", "evaluate", "--train", train, "--test", test,
         "--text", "标题", "--save-model", "/proc/nope/m.npz", "--lang", "en"],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "Error: --save-model /proc/nope/m.npz: cannot create the directory /proc/nope (No such file or "
        "directory)"]
    assert "trained on" not in proc.stdout
