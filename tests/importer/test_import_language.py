"""`jiesu import` speaks Chinese unless told otherwise (--lang, JIESU_LANG, a locale naming English): its summary,
refusals and report; the JSON last line and the reason codes are the same in both languages."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from dispatch.test_cli_language import language_environment
from jiesu.importer.services import Interrupted, Summary, progress_counts

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
    assert "未导入或已导入过的原因（一行可能有多个）：" in lines and f"未导入的行和有备注的行的报告：{tmp_path / 'zh.csv'}" in lines
    assert read_report(tmp_path / "zh.csv")[0][0] == "文本行号"
    with pytest.raises(CommandError, match="^--batch-size 至少为 1$"):
        without_lang(path, "--batch-size", "0")
    with pytest.raises(CommandError, match=f"^{tmp_path}/none.csv：文件不存在$"):
        without_lang(tmp_path / "none.csv")
    language_environment(monkeypatch, lang="en_US.UTF-8")
    english, lines = without_lang(path, "--report", str(tmp_path / "en.csv"), "--dry-run")
    assert any(line.startswith("read 10 rows: would import 3, already imported 0, rejected 7  (") for line in lines)
    assert read_report(tmp_path / "en.csv")[0][0] == "text line"
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


def summary_line(lines, start):
    return next(line for line in lines if line.startswith(start))


def test_the_summary_words_the_counts_of_states_categories_and_routing(world, tmp_path, monkeypatch):
    """Audit 6 #10: the states, how the category was found and how the row was routed were Python dictionaries
    ({'closed': 1, …}) in both languages; the JSON line keeps its codes."""
    language_environment(monkeypatch, lang="C.UTF-8")
    path = write_csv(tmp_path / "tickets.csv", HEADER, GOOD + BAD)
    result, lines = without_lang(path, "--report", str(tmp_path / "zh.csv"))
    assert result["states"] == {"closed": 1, "dispatched": 2} and result["classified"] == {"classifier": 2, "file": 1}
    assert result["routing"] == {"territorial": 2, "district_department": 1}
    assert summary_line(lines, "状态：") == ("状态：已办结 1、已派单 2；分类方式：按内容自动分类 2、按文件所给类别 1；派单方式：属地 2、"
                                          "区级部门 1")
    _again, lines = without_lang(path, "--report", str(tmp_path / "again.csv"))
    assert summary_line(lines, "状态：") == "状态：无；分类方式：无；派单方式：无"
    _again, lines = without_lang(path, "--report", str(tmp_path / "en.csv"), "--lang", "en")
    assert summary_line(lines, "states: ") == "states: none; category by: none; routing: none"


def test_the_summary_in_english_names_the_same_counts(world, tmp_path):
    """The routing's words are the desk's (jiesu.dispatch.wording): the file's unit, no unit, or the router's mode."""
    path = write_csv(tmp_path / "tickets.csv", HEADER, GOOD + BAD)
    result, lines = without_lang(path, "--report", str(tmp_path / "en.csv"), "--dry-run", "--lang", "en")
    assert result["routing"] == {"territorial": 2, "district_department": 1}
    assert summary_line(lines, "states: ") == ("states: Closed 1, Dispatched 2; category by: classified from the text "
                                               "2, named in the file 1; routing: territorial 2, district department 1")


def test_the_progress_bar_counts_in_the_commands_language(world, tmp_path, monkeypatch, capsys):
    """Audit 6 #10: the progress bar said already=0, imported=3, rejected=7 in Chinese too."""
    language_environment(monkeypatch, lang="C.UTF-8")
    path = write_csv(tmp_path / "tickets.csv", HEADER, GOOD + BAD)
    call_command("import_tickets", str(path), "--report", str(tmp_path / "zh.csv"), "--dry-run", stdout=StringIO())
    bar = capsys.readouterr().err
    assert "将导入 3，此前已导入 0，拒绝 7]" in bar and "already=" not in bar
    call_command("import_tickets", str(path), "--report", str(tmp_path / "zh.csv"), stdout=StringIO())
    assert "导入 3，此前已导入 0，拒绝 7]" in capsys.readouterr().err
    call_command("import_tickets", str(path), "--report", str(tmp_path / "en.csv"), "--lang", "en", stdout=StringIO())
    assert "imported 0, already imported 3, rejected 7]" in capsys.readouterr().err


def test_the_parallel_imports_progress_counts_the_imported_rows():
    with translation.override("zh-hans"):
        assert (progress_counts(True, 12), progress_counts(False, 12)) == ("将导入 12", "导入 12")
    with translation.override("en"):
        assert (progress_counts(True, 12), progress_counts(False, 12)) == ("would import 12", "imported 12")


def test_a_dry_run_says_it_wrote_nothing_when_interrupted_and_what_would_be_imported(world, tmp_path, monkeypatch):
    """A dry run writes nothing: its Ctrl-C line and its replaced values do not speak of rows imported (audit 7)."""
    from collections import Counter

    from jiesu.importer.management.commands import import_tickets
    from jiesu.importer.services import Summary

    language_environment(monkeypatch, lang="C.UTF-8")
    path = write_csv(tmp_path / "tickets.csv", HEADER, GOOD)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(import_tickets, "run_import", interrupted)
    with pytest.raises(CommandError, match="：已中断；试运行不写入任何内容$"):
        without_lang(path, "--dry-run")
    with pytest.raises(CommandError, match="再次运行同一命令会从中断处继续$"):
        without_lang(path)
    monkeypatch.setattr(import_tickets, "run_import", lambda *args, **kwargs: Summary(
        path=str(path), dry_run=True, read=1, notes=Counter({"unknown_unit": 1})))
    assert "被替换的值（这些行将被导入，每行都列在报告中）：" in without_lang(path, "--dry-run")[1]
