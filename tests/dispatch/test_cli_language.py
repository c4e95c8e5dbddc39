"""`jiesu dispatch` speaks Chinese unless told otherwise: --lang, JIESU_LANG or a locale naming English (LANG=
en_US.UTF-8); the JSON last line is the same in both languages."""
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
WORDS = {"城乡建设": "小区道路破损路灯不亮", "环境保护": "工厂排污河水发臭噪音", "教育文体": "学校补课收费老师"}


def language_environment(monkeypatch, lang=None, jiesu_lang=None):
    """The environment a command's default language comes from: only LANG (and JIESU_LANG) set, as given."""
    for name in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    if lang:
        monkeypatch.setenv("LANG", lang)
    if jiesu_lang:
        monkeypatch.setenv("JIESU_LANG", jiesu_lang)


def without_lang(*args):
    """`jiesu dispatch ARGS` with no --lang: the printed lines."""
    out = StringIO()
    call_command("dispatch", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


@pytest.fixture
def files(tmp_path):
    def write(name, start, n):
        rows = "".join(f"{WORDS[label]}第{i}号,{label}\n" for i in range(start, start + n)
                       for label in [list(WORDS)[i % 3]])
        path = tmp_path / name
        path.write_text("标题,一级分类\n" + rows + ",教育文体\n", encoding="utf-8")
        return str(path)

    return write("train.csv", 0, 60), write("test.csv", 100, 12)


def evaluate(files):
    train, test = files
    return without_lang("evaluate", "--train", train, "--test", test, "--text", "标题")


def same_json(a, b):
    return {k: v for k, v in json.loads(a).items() if k != "seconds"} == {
        k: v for k, v in json.loads(b).items() if k != "seconds"}


def test_by_default_chinese_with_the_json_line_unchanged(files, monkeypatch):
    language_environment(monkeypatch, lang="C.UTF-8")
    chinese = evaluate(files)
    assert chinese[0].endswith("train.csv：共 61 行，使用 60 行（utf-8，逗号分隔）; 跳过 1 行：没有文本（第 62 行）")
    assert "训练 60 行，3 个类别；测试 12 行" in chinese
    assert "混淆矩阵（行：真实类别，列：预测类别）" in chinese
    assert any(line.startswith("城乡建设") for line in chinese)  # the categories as the data names them
    result = json.loads(chinese[-1])
    assert set(result) == {"macro_f1", "accuracy", "n_train", "n_test", "seconds"} and result["n_test"] == 12
    with pytest.raises(CommandError, match="^--folds 至少为 2$"):
        without_lang("crossval", "--data", files[0], "--text", "标题", "--folds", "1")
    language_environment(monkeypatch, lang="en_US.UTF-8")
    english = evaluate(files)
    assert "trained on 60 rows, 3 classes; tested on 12 rows" in english
    assert "confusion matrix (rows: true class, columns: predicted class)" in english
    assert same_json(chinese[-1], english[-1])
    with pytest.raises(CommandError, match="^--folds must be at least 2$"):
        without_lang("crossval", "--data", files[0], "--text", "标题", "--folds", "1")


def test_jiesu_lang_and_lang_option_win(files, monkeypatch):
    language_environment(monkeypatch, lang="zh_CN.UTF-8", jiesu_lang="en")
    assert "trained on 60 rows, 3 classes; tested on 12 rows" in evaluate(files)
    train, test = files
    said = without_lang("evaluate", "--train", train, "--test", test, "--text", "标题", "--lang", "zh-hans")
    assert "训练 60 行，3 个类别；测试 12 行" in said


def test_the_command_line_refuses_in_the_locales_language(files, tmp_path):
    """A real process: LANG=C.UTF-8 (no language) gets Chinese, LANG=en_US.UTF-8 English; the same exit code."""
    train, test = files
    base = {k: v for k, v in os.environ.items() if k not in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES")}
    said = {}
    for lang in ("C.UTF-8", "en_US.UTF-8"):
        proc = subprocess.run([sys.executable, str(ROOT / "manage.py"), "dispatch", "evaluate", "--train", train,
                               "--test", test, "--text", "标题", "--save-model", str(tmp_path / "m.txt")],
                              capture_output=True, text=True, cwd=ROOT, timeout=120, env={**base, "LANG": lang})
        assert proc.returncode == 1 and proc.stdout == ""
        said[lang] = proc.stderr.strip()
    assert said["C.UTF-8"] == (f"错误：--save-model {tmp_path}/m.txt：模型文件名须以 .npz 结尾（是否应为 "
                               f"{tmp_path}/m.txt.npz？）")
    assert said["en_US.UTF-8"] == (f"Error: --save-model {tmp_path}/m.txt: a model file's name ends in .npz "
                                   f"({tmp_path}/m.txt.npz?)")
