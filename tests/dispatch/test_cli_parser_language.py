"""`jiesu dispatch` and `jiesu import` speak the command line's language down to argparse's words: the usage, the
section titles, the --help texts, argparse's errors (exit code 2) and the refusal line (错误：… / Error: …, exit
code 1), in --lang's language, else the environment's (LANG=C.UTF-8: Chinese, en_US.UTF-8: English)."""
import argparse
import inspect
import os
import re
import subprocess
import sys
import unicodedata

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jiesu.core.command_line import ARGPARSE_ERRORS, argparse_error_words
from tickets.helpers import point_children_at_the_test_database

JIESU = "import sys; from jiesu.cli import main; sys.exit(main())"


def jiesu(*args, lang="C.UTF-8", **env):
    """The real `jiesu ARGS` in a fresh process, the locale LANG=`lang` alone naming a language: the process."""
    environment = {k: v for k, v in os.environ.items() if k not in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES")}
    environment.update(LANG=lang, COLUMNS="80", **env)
    return subprocess.run([sys.executable, "-c", JIESU, *args], capture_output=True, text=True, env=environment,
                          timeout=120)


def cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_dispatch_help_is_chinese_in_a_server_locale_and_english_in_an_english_one():
    chinese = jiesu("dispatch", "--help")
    assert chinese.returncode == 0 and chinese.stderr == ""
    lines = chinese.stdout.splitlines()
    assert lines[0].startswith("用法：jiesu dispatch [-h] [--version]")
    assert lines[1].index("[") == cells("用法：jiesu dispatch ")  # under the [-h] as a terminal shows them
    assert "派单分类器：evaluate | train | retrain | rollback | crossval | predict | info" in lines
    assert "位置参数:" in lines and "选项:" in lines
    assert "  -h, --help            显示此帮助信息并退出" in lines
    assert "    evaluate            用一些 CSV 文件训练，在另一个文件上评分" in lines
    assert "  --skip-checks         跳过系统检查。" in lines  # Django's own options too
    english = jiesu("dispatch", "--help", lang="en_US.UTF-8")
    assert english.returncode == 0
    lines = english.stdout.splitlines()
    assert lines[0].startswith("usage: jiesu dispatch [-h] [--version]")
    assert "positional arguments:" in lines and "options:" in lines
    assert "  -h, --help            show this help message and exit" in lines
    assert "    evaluate            train on some CSV files, score on another" in lines
    assert "  --skip-checks         Skip system checks." in lines


def test_an_actions_help_follows_lang_and_its_chinese_lines_fit_the_terminal():
    chinese = jiesu("dispatch", "train", "-h", "--lang", "zh-hans", lang="en_US.UTF-8")
    assert chinese.returncode == 0
    text = chinese.stdout
    assert "  --out PATH            要写出的模型文件（.npz）" in text
    assert "标签列（默认 一级分类）" in text  # argparse's %(default)s, filled in
    assert "  --version VERSION     模型版本字符串（默认：时间戳 + 权重摘要）" in text
    assert text.index("  --version VERSION") < text.index("  --no-calibrate")  # its own --version, in its place
    after_usage = text[text.index("\n\n"):].splitlines()
    assert max(cells(line) for line in after_usage) <= 80  # a Chinese character takes two cells
    english = jiesu("dispatch", "train", "-h", "--lang=en")
    assert english.returncode == 0
    assert "  --out PATH            model file to write (.npz)" in english.stdout
    assert english.stdout.startswith("usage: jiesu dispatch train [-h]")


@pytest.mark.parametrize("args,chinese,english", [
    (["dispatch", "evaluate", "--train", "a.csv"],
     "jiesu dispatch evaluate：错误：缺少必需的参数：--test",
     "jiesu dispatch evaluate: error: the following arguments are required: --test"),
    (["dispatch", "crossval", "--data", "d.csv", "--folds", "x"],
     "jiesu dispatch crossval：错误：参数 --folds：不是整数：'x'",
     "jiesu dispatch crossval: error: argument --folds: invalid int value: 'x'"),
    (["dispatch", "info", "--model"],
     "jiesu dispatch info：错误：参数 --model：需要一个值",
     "jiesu dispatch info: error: argument --model: expected one argument"),
    (["dispatch", "train", "--from-csv", "a.csv", "--cold-start", "--out", "m.npz"],
     "jiesu dispatch train：错误：参数 --cold-start：不能与参数 --from-csv 同时使用",
     "jiesu dispatch train: error: argument --cold-start: not allowed with argument --from-csv"),
    (["dispatch", "train", "--from-csv", "a.csv", "--since", "2026-13-01", "--out", "m.npz"],
     "jiesu dispatch train：错误：参数 --since：不是日期（YYYY-MM-DD）：'2026-13-01'",
     "jiesu dispatch train: error: argument --since: not a date (YYYY-MM-DD): '2026-13-01'"),
    (["dispatch", "info", "--model", "m.npz", "--bogus", "1"],
     "jiesu dispatch：错误：无法识别的参数：--bogus 1",
     "jiesu dispatch: error: unrecognized arguments: --bogus 1"),
    (["dispatch", "predict", "--model", "m.npz", "--lang", "fr"],
     "jiesu dispatch predict：错误：参数 --lang：无效的选择：'fr'（可选：'zh-hans', 'en'）",
     "jiesu dispatch predict: error: argument --lang: invalid choice: 'fr' (choose from 'zh-hans', 'en')"),
])
def test_argparses_errors_speak_the_locales_language_with_exit_code_2(args, chinese, english):
    said = {}
    for lang in ("C.UTF-8", "en_US.UTF-8"):
        proc = jiesu(*args, lang=lang)
        assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
        said[lang] = proc.stderr.splitlines()
    assert said["C.UTF-8"][0].startswith("用法：jiesu dispatch") and said["C.UTF-8"][-1] == chinese
    assert said["en_US.UTF-8"][0].startswith("usage: jiesu dispatch") and said["en_US.UTF-8"][-1] == english


def test_lang_on_the_command_line_wins_over_the_environment_for_argparses_errors():
    proc = jiesu("dispatch", "evaluate", "--lang", "en", "--train", "a.csv", lang="zh_CN.UTF-8")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "jiesu dispatch evaluate: error: the following arguments are required: --test"
    proc = jiesu("dispatch", "evaluate", "--train", "a.csv", lang="en_US.UTF-8", JIESU_LANG="zh-hans")
    assert proc.stderr.splitlines()[-1] == "jiesu dispatch evaluate：错误：缺少必需的参数：--test"


def test_a_refusal_is_one_line_in_the_commands_language_with_its_exit_code(tmp_path):
    missing = tmp_path / "none.npz"
    chinese = jiesu("dispatch", "info", "--model", str(missing))
    assert chinese.returncode == 1 and chinese.stderr.splitlines() == [f"错误：模型文件不存在：{missing}"]
    english = jiesu("dispatch", "info", "--model", str(missing), "--lang", "en")
    assert english.returncode == 1 and english.stderr.splitlines() == [f"Error: model file not found: {missing}"]


@pytest.mark.django_db(transaction=True)
def test_import_speaks_the_same_language_in_its_help_its_errors_and_its_refusals(tmp_path, monkeypatch):
    point_children_at_the_test_database(monkeypatch)  # `jiesu import` checks the schema first
    helped = jiesu("import", "--help")
    assert helped.returncode == 0
    assert helped.stdout.startswith("用法：jiesu import [-h]")
    assert "  --no-progress         不显示进度条" in helped.stdout.splitlines()
    assert "要导入的文件（UTF-8 编码的 CSV，带或不带 BOM，或" in helped.stdout
    wrong = jiesu("import", "t.csv", "--batch-size", "many")
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines()[-1] == "jiesu import：错误：参数 --batch-size：不是整数：'many'"
    wrong = jiesu("import", "t.csv", "--format", "xml", lang="en_US.UTF-8")
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines()[-1] == ("jiesu import: error: argument --format: invalid choice: 'xml' "
                                             "(choose from 'csv', 'us311')")
    missing = tmp_path / "none.csv"
    refused = {lang: jiesu("import", str(missing), lang=lang) for lang in ("C.UTF-8", "en_US.UTF-8")}
    assert refused["C.UTF-8"].returncode == refused["en_US.UTF-8"].returncode == 1
    assert refused["C.UTF-8"].stderr.splitlines() == [f"错误：{missing}：文件不存在"]
    assert refused["en_US.UTF-8"].stderr.splitlines() == [f"Error: {missing}: no such file"]
    traced = jiesu("import", str(missing), "--traceback")  # Django's traceback, as it was
    assert traced.returncode == 1 and traced.stderr.rstrip().endswith(f"CommandError: {missing}：文件不存在")
    assert "Traceback (most recent call last)" in traced.stderr


@pytest.mark.parametrize("argparse_format,msgid", ARGPARSE_ERRORS)
def test_every_argparse_error_reads_back_to_its_own_english_and_to_chinese(argparse_format, msgid):
    """Each format is argparse's (Python's own words: a new Python that rewords one fails here; `invalid int
    value` is its `invalid %(type)s value` for int), and an error built from it is worded back: the same in
    English, in Chinese under zh-hans, the error it wraps too."""
    assert re.sub(r"invalid (int|float) value", "invalid %(type)s value", argparse_format) in inspect.getsource(argparse)
    values = ["--x", "'y'", "--z"]
    named = dict(zip(["argument_name", "message", "value", "choices", "type", "option", "matches", "parser_name"],
                     ["--x", "expected one argument", "'y'", "'a', 'b'", "int", "--z", "--za, --zb", "'p'"]))
    error = argparse_format % named if "%(" in argparse_format else argparse_format % tuple(
        values[:argparse_format.count("%")])
    with translation.override("en"):
        assert argparse_error_words(error) == error
    with translation.override("zh-hans"):
        chinese = argparse_error_words(error)
    assert re.search("[\u4e00-\u9fff]", chinese) and "expected" not in chinese


def test_call_command_still_gets_djangos_command_error_in_the_lang_it_names():
    with pytest.raises(CommandError, match=r"^Error: argument --since: not a date \(YYYY-MM-DD\): '2026-13-01'$"):
        call_command("dispatch", "train", "--from-tickets", "--since", "2026-13-01", "--out", "m.npz", "--lang", "en")
