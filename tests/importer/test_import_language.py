"""`jiesu import` speaks Chinese unless told otherwise (--lang, JIESU_LANG, a locale naming English): its summary,
refusals and report; the JSON last line and the reason codes are the same in both languages."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from dispatch.test_cli_language import language_environment
from jiesu.importer.services import Interrupted, Summary

from .conftest import read_report, write_csv
from .test_import import BAD, GOOD, HEADER


def without_lang(path, *args):
    """`jiesu import PATH ARGS` with no --lang: (summary JSON, printed lines)."""
    out = StringIO()
    call_command("import_tickets", str(path), "--no-progress", *args, stdout=out)
    lines = out.getvalue().rstrip("\n").split("\n")
    return json.loads(lines[-1]), lines


def test_by_default_chinese_with_the_json_line_unchanged(world, tmp_path, monkeypatch):
    language_environment(monkeypatch, lang="C.UTF-8")
    path = write_csv(tmp_path / "tickets.csv", HEADER, GOOD + BAD)
    result, lines = without_lang(path, "--report", str(tmp_path / "zh.csv"), "--dry-run")
    assert any(line.startswith("读取 10 行：将导入 3，此前已导入 0，拒绝 7（") for line in lines)
    assert "原因（一行可能有多个）：" in lines and f"未导入行的报告：{tmp_path / 'zh.csv'}" in lines
    assert read_report(tmp_path / "zh.csv")[0][0] == "行号"
    with pytest.raises(CommandError, match="^--batch-size 至少为 1$"):
        without_lang(path, "--batch-size", "0")
    with pytest.raises(CommandError, match=f"^{tmp_path}/none.csv：文件不存在$"):
        without_lang(tmp_path / "none.csv")
    language_environment(monkeypatch, lang="en_US.UTF-8")
    english, lines = without_lang(path, "--report", str(tmp_path / "en.csv"), "--dry-run")
    assert any(line.startswith("read 10 rows: would import 3, already imported 0, rejected 7  (") for line in lines)
    assert read_report(tmp_path / "en.csv")[0][0] == "line"
    ignored = {"seconds", "timings", "tickets_per_s", "report"}
    assert {k: v for k, v in result.items() if k not in ignored} == {
        k: v for k, v in english.items() if k not in ignored}
    assert result["reasons"] == english["reasons"] and "closed_before_created" in result["reasons"]
    with pytest.raises(CommandError, match="^--batch-size must be at least 1$"):
        without_lang(path, "--batch-size", "0")


def test_the_interrupted_line_in_the_commands_language():
    stopped = Interrupted(Summary(path="big.csv", imported=40, already=2, rejected=3, report="r.csv"))
    with translation.override("zh-hans"):
        assert stopped.message() == ("big.csv：已中断：已按完整批次导入 40 行（此前已导入 2，拒绝 3）；再次运行同一命令会从"
                                     "中断处继续；报告：r.csv")
    with translation.override("en"):
        assert stopped.message().startswith("big.csv: interrupted: 40 rows imported in whole batches")
