"""What `jiesu dispatch` says for its service modules (the CSV reader, the model file, training and retraining,
the path checks) is in the command's language as a whole: in Chinese by default, no English word left but the
paths, option and setting names, versions and units; in English with --lang en, no Chinese but the data's own."""
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jiesu.dispatch import training
from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier
from jiesu.dispatch.models import RetrainRun
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_cli_language import ROOT, files, language_environment  # noqa: F401  (fixture)
from .test_cli_retrain import GAS, STALLS, _tickets

HAN = re.compile(r"[\u4e00-\u9fff]")
LETTERS = re.compile(r"[A-Za-z]")
# what a Chinese line writes as the English one does: paths, options, settings, encodings and units, a model
# file's suffix, a command, a model's generated version (time + digest)
ALIKE = re.compile(r"/[\w./-]+|--[\w-]+|JIESU_\w+|(?i:utf-8|gbk/gb18030|gb18030|gbk)|CSV|\.npz|\bGB\b|\bF1\b|"
                   r"jiesu dispatch \w+|\d{14}-[0-9a-f]{8}")


def said(*args, lang=None):
    """The lines `jiesu dispatch ARGS` prints but its JSON one, or its refusal: in the environment's language
    (lang None: Chinese here) or in --lang's."""
    out = StringIO()
    try:
        call_command("dispatch", *args, *(["--lang", lang] if lang else []), stdout=out)
    except CommandError as exc:
        return [str(exc)]
    return [line for line in out.getvalue().rstrip("\n").split("\n") if not line.startswith("{")]


def left_over(line, kept):
    for value in sorted(map(str, kept), key=len, reverse=True):
        line = line.replace(value, "")
    return ALIKE.sub("", line)


def assert_chinese(lines, *kept):
    """Every line Chinese: no ASCII letter once `kept` (paths, the data's names) and ALIKE are left out."""
    for line in lines:
        rest = left_over(line, kept)
        assert HAN.search(rest) and not LETTERS.search(rest), line


def assert_english(lines, *kept):
    """Every line English: no Chinese character once `kept` (the data's names) is left out."""
    for line in lines:
        rest = left_over(line, kept)
        assert LETTERS.search(rest) and not HAN.search(rest), line


@pytest.fixture
def chinese_default(monkeypatch):
    language_environment(monkeypatch, lang="C.UTF-8")


def both(*args, kept=()):
    """`jiesu dispatch ARGS` by default (Chinese) and with --lang en, each checked whole: (Chinese, English)."""
    chinese, english = said(*args), said(*args, lang="en")
    assert_chinese(chinese, *kept)
    assert_english(english, "标题", "一级分类", *kept)
    return chinese, english


def test_the_csv_readers_refusals(chinese_default, tmp_path):
    (tmp_path / "labels.csv").write_text("标题,类别\n路灯不亮,城乡建设\n", encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "bad.csv").write_bytes("标题,一级分类\n".encode("utf-8") + b"\xff\xfe\xfa,x\n")
    for name, chinese, english in (
            ("none.csv", "none.csv：文件不存在", "none.csv: file not found"),
            ("folder.csv", "folder.csv：是目录，不是 CSV 文件", "folder.csv: is a directory, not a CSV file"),
            ("labels.csv", "labels.csv：找不到标签列“一级分类”；现有的列：标题, 类别",
             "labels.csv: label column '一级分类' not found; columns are: 标题, 类别"),
            ("bad.csv", "bad.csv：无法按 UTF-8 或 GBK 解码该文件（第 2 行不是 UTF-8）；请另存为 UTF-8 CSV",
             "bad.csv: cannot decode the file as UTF-8 or GBK (line 2 is not UTF-8); save it as UTF-8 CSV")):
        path = tmp_path / name
        said_zh, said_en = both("crossval", "--data", str(path), "--text", "标题", kept=[tmp_path, "类别"])
        assert said_zh == [f"{tmp_path}/{chinese}"] and said_en == [f"{tmp_path}/{english}"]


def test_the_model_files_refusals_and_trainings(chinese_default, files, tmp_path):
    train, _test = files
    (tmp_path / "text.npz").write_text("not a model", encoding="utf-8")
    chinese, english = both("predict", "--model", str(tmp_path / "text.npz"), "路灯不亮", kept=[tmp_path])
    assert chinese == [f"{tmp_path}/text.npz：不是捷诉模型文件（不是 .npz 压缩包）"]
    assert english == [f"{tmp_path}/text.npz: not a Jiesu model file (not an .npz archive)"]
    chinese, english = both("info", "--model", str(tmp_path / "none.npz"), kept=[tmp_path])
    assert chinese == [f"模型文件不存在：{tmp_path}/none.npz"] and english == [
        f"model file not found: {tmp_path}/none.npz"]
    (tmp_path / "one.csv").write_text("标题,一级分类\n路灯不亮,城乡建设\n井盖丢失,城乡建设\n", encoding="utf-8")
    chinese, english = both("train", "--from-csv", str(tmp_path / "one.csv"), "--text", "标题", "--out",
                            str(tmp_path / "m.npz"), kept=["城乡建设"])
    assert chinese[-1] == "训练至少需要 2 个类别，实际为 城乡建设"
    assert english[-1] == "need at least 2 classes to train, got 城乡建设"
    chinese, english = both("train", "--from-csv", train, "--text", "标题", "--out", str(tmp_path / "m.npz"),
                            "--max-per-category", "5", "--no-calibrate", "--version", "7", kept=[tmp_path])
    assert "每个类别最多取最新的 5 条训练：共 60 行，使用 15 行（见 --max-per-category）" in chinese
    assert "trained on at most the newest 5 of each category: 15 of 60 rows (see --max-per-category)" in english


def test_the_paths_a_model_cannot_be_written_to(chinese_default, files, tmp_path):
    train, _test = files
    (tmp_path / "folder.npz").mkdir()
    (tmp_path / "file").write_text("", encoding="utf-8")
    for out, chinese, english in (
            ("/proc/nope/m.npz", "无法创建目录 /proc/nope（文件或目录不存在）",
             "cannot create the directory /proc/nope (No such file or directory)"),
            (tmp_path / "folder.npz", "是目录", "is a directory"),
            (tmp_path / "file" / "m.npz", f"{tmp_path}/file 是文件，不是目录", f"{tmp_path}/file is a file, not a directory")):
        said_zh, said_en = both("train", "--from-csv", train, "--text", "标题", "--out", str(out), kept=[out, tmp_path])
        assert said_zh == [f"--out {out}：{chinese}"] and said_en == [f"--out {out}: {english}"]


@pytest.mark.django_db
def test_retrain_and_rollback_say_their_progress_result_and_refusals(chinese_default, desk_world, monkeypatch,
                                                                      tmp_path):
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)
    model = tmp_path / "desk.npz"
    chinese, english = both("retrain", "--model", str(model), kept=[tmp_path])
    assert chinese == ["没有经派单员确认分类的已办结工单"]
    assert english == ["no closed ticket with a dispatcher-confirmed category"]
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    first = said("retrain", "--model", str(model), "--version", "1")  # Chinese: no model yet, the judged one first
    assert_chinese(first, tmp_path)
    assert first[0].startswith("训练行数：至多 ") and first[1] == "已办结工单：10 件；用 8 件训练，用最新的 2 件评估"
    assert "用全部 10 件工单重新训练" in first and first[-1].startswith("已替换：在最新的 2 件工单上首选正确率 ")
    _tickets(w, w.category.code, w.gas.code)  # ten more, closed since: the new model is judged against model 1
    again = said("retrain", "--model", str(model), "--version", "2", "--tolerance", "0.99", "--lang", "en")
    assert_english(again, tmp_path)
    assert again[1] == "closed tickets: 20; training on 10, judging on the newest 10"
    assert again[-2].startswith("replaced: right first for ") and " of the newest 10 tickets (the current model: " in again[-2]
    assert again[-1] == f"the replaced model is kept as {tmp_path}/desk.previous.npz"
    chinese, english = both("retrain", "--model", str(model), kept=[tmp_path])
    assert chinese == ["当前模型训练以来只办结了 0 件工单：评估新模型至少需要 2 件（请等待更多工单，或加 --force 不经评估直接替换）"]
    assert english[0].startswith("only 0 tickets closed since the current model was trained")
    assert [run.reason for run in RetrainRun.objects.order_by("-pk")[:2]] == english * 2  # stored in English
    assert said("rollback", "--model", str(model)) == ["已恢复为 1；2 保留为上一个模型"]
    chinese, english = both("rollback", "--model", str(tmp_path / "other.npz"), kept=[tmp_path])
    assert chinese == [f"没有可恢复的上一个模型：{tmp_path}/other.previous.npz 不存在"]
    assert english == [f"no previous model to go back to: {tmp_path}/other.previous.npz does not exist"]


@pytest.mark.django_db
def test_a_retraining_that_keeps_the_current_model_or_replaces_it_although_worse_says_why(
        chinese_default, desk_world, monkeypatch, tmp_path):
    """The reason worded from the retraining's figures: printed in Chinese, stored and in the JSON line in English
    (the current model right on every held-out ticket, the new one trained on tickets confirmed the other way)."""
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)
    w = desk_world
    now = timezone.now()
    _tickets(w, w.gas.code, w.category.code, closed_at=now - timedelta(days=3))
    current = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        STALLS + GAS, [w.category.code] * 5 + [w.gas.code] * 5, version="1")
    current.meta["trained_at"] = (now - timedelta(days=2)).isoformat()
    model = tmp_path / "desk.npz"
    current.save(model)
    _tickets(w, w.category.code, w.gas.code)
    for args, chinese in (((), "未替换：在最新的 6 件工单上，新模型首选建议正确率 "),
                          (("--force", "--version", "2"), "已替换：在最新的 6 件工单上首选正确率 ")):
        out = StringIO()
        call_command("dispatch", "retrain", "--model", str(model), "--holdout", "6", *args, stdout=out)
        lines = out.getvalue().rstrip("\n").split("\n")
        result = json.loads(lines[-1])
        assert_chinese(lines[:-1], tmp_path)
        reason = next(line for line in lines if line.startswith(chinese))
        assert RetrainRun.objects.order_by("-pk").first().reason == result["reason"]
    assert reason.endswith("，虽然更差，仍已替换（--force）")
    assert result["reason"].endswith(", replaced although worse (--force)")


def test_the_modules_that_raise_codes_import_no_django():
    """classifier, tabular and memory are pure Python (no Django), as the import's formats: their errors are
    codes and figures, worded by the commands (jiesu.core.worded)."""
    code = ("import sys, jiesu.dispatch.classifier, jiesu.dispatch.tabular, jiesu.dispatch.memory, "
            "jiesu.importer.formats; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=60, check=True)
    assert found.stdout.strip() == "[]"
