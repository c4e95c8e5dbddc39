"""Every `jiesu` command of the platform's speaks the command line's language (jiesu.core.command_line): its
--help page (用法：jiesu <cmd>, the description, every option's help text) in Chinese under a Chinese or server
locale and in English otherwise, argparse's errors (exit code 2) and its own refusals (exit code 1) too. In English
the page is Django's own, byte for byte, but where Chinese in a line made it too wide (laid out by the cells a
terminal shows now)."""
import argparse
import re
import unicodedata

import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand
from django.utils import translation

from jiesu.cli import ALIASES
from jiesu.core.command_line import HelpFormatter, LanguageCommand

#: what users type after `jiesu` → the management command it runs
TYPED = {"seed_reference": "seed_reference", "run": "run", "setup": "setup", "demo": "load_demo",
         "autodispatch": "autodispatch", "dispatch_training": "dispatch_training", "grids": "grids",
         "hotspots": "hotspots", "kpi": "kpi", "quality": "quality", "worker": "worker", "load-units": "load_units",
         "warnings": "warnings", "whistle_scan": "whistle_scan"}
CHINESE = re.compile("[\u4e00-\u9fff]")


def command(name):
    return load_command_class(get_commands()[name], name)


def page_in(language, name):
    """`jiesu NAME --help` in `language`: (the page, its description and each option's help text as worded)."""
    with translation.override(language):
        parser = command(name).create_parser("jiesu", name)
        formatter = HelpFormatter(parser.prog)
        return parser.format_help(), [str(parser.description)] + [
            formatter._get_help_string(action) for action in parser._actions
            if action.help not in (None, argparse.SUPPRESS)]


def cells(line):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


@pytest.fixture
def locale(monkeypatch):
    """Set the locale (LANG) alone, as a shell would; the terminal is 80 columns wide."""
    def set_locale(lang):
        for name in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LANG", lang)
    monkeypatch.setenv("COLUMNS", "80")
    return set_locale


def test_the_typed_names_are_the_entry_points():
    for typed, name in TYPED.items():
        assert ALIASES.get(typed, [typed.replace("-", "_")]) == [name]
        assert isinstance(command(name), LanguageCommand)
        assert (command(name).typed_name or name) == typed


@pytest.mark.parametrize("typed,name", TYPED.items())
def test_every_help_text_has_a_chinese_translation(typed, name, locale):
    locale("C.UTF-8")
    (chinese, chinese_texts), (english, english_texts) = page_in("zh-hans", name), page_in("en", name)
    assert chinese.startswith(f"用法：jiesu {typed} [-h]") and english.startswith(f"usage: jiesu {typed} [-h]")
    pairs = list(zip(chinese_texts, english_texts, strict=True))
    untranslated = [en for zh, en in pairs if zh == en or not CHINESE.search(zh)]
    assert untranslated == [] and len(pairs) > 10  # Django's options, and the command's own


@pytest.mark.parametrize("typed,name", TYPED.items())
def test_the_english_page_is_djangos_own_but_where_chinese_made_a_line_too_wide(typed, name, locale):
    """argparse lays a page out to the terminal's width less 2 (78) by characters: a description with Chinese in it
    is laid out by cells now, so its lines are worded the same but broken elsewhere."""
    locale("en_US.UTF-8")
    ours = page_in("en", name)[0]
    with translation.override("en"):
        as_before = command(name)
        as_before.help = str(as_before.help)  # a plain string, as it was
        djangos = BaseCommand.create_parser(as_before, "jiesu", typed).format_help()
    if ours != djangos:
        assert max(cells(line) for line in djangos.splitlines()) > 78 and ours.split() == djangos.split()
    assert max(cells(line) for line in ours.splitlines()) <= 78
    assert ours.startswith(f"usage: jiesu {typed} [-h]")


def test_the_english_pages_that_hold_no_chinese_are_unchanged(locale):
    """As `jiesu hotspots --help` and `jiesu quality --help` printed before they spoke Chinese (captured then; the
    hotspots' usage has --repair-stored since a658bc3)."""
    locale("en_US.UTF-8")
    hotspots = page_in("en", "hotspots")[0].splitlines()
    assert hotspots[:3] == [
        "usage: jiesu hotspots [-h] [--days DAYS] [--top TOP] [--show SHOW]",
        "                      [--link-days LINK_DAYS] [--link-text LINK_TEXT]",
        "                      [--if-due HOURS] [--csv FILE] [--json] [--repair-stored]"]
    assert "  --link-days LINK_DAYS" in hotspots
    assert "                        linked tickets are at most N days apart (default 30.0)" in hotspots
    assert "  --json                print the problems as JSON lines" in hotspots
    quality = page_in("en", "quality")[0]
    assert ("  --sample SAMPLE       with --csv: print N flagged replies per reason\n"
            "  --seed SEED           random seed of the sample\n") in quality


def refused(name, *args):
    """`jiesu NAME ARGS` in this process: (exit code, the lines on stderr) — capsys reads them."""
    with pytest.raises(SystemExit) as stopped:
        command(name).run_from_argv(["jiesu", name, *args])
    return stopped.value.code


@pytest.mark.parametrize("name,args,error", [
    ("seed_reference", ["--first-year", "x"], "jiesu seed_reference：错误：参数 --first-year：不是整数：'x'"),
    ("run", ["--bogus"], "jiesu run：错误：无法识别的参数：--bogus"),
    ("setup", ["--tickets", "many"], "jiesu setup：错误：参数 --tickets：不是整数：'many'"),
    ("load_demo", ["--seed", "s"], "jiesu demo：错误：参数 --seed：不是整数：'s'"),
    ("autodispatch", ["--interval", "1m"], "jiesu autodispatch：错误：参数 --interval：不是整数：'1m'"),
    ("dispatch_training", ["t.csv", "--since", "2026-13-01"],
     "jiesu dispatch_training：错误：参数 --since：不是日期（YYYY-MM-DD）：'2026-13-01'"),
    ("grids", ["draw"], "jiesu grids：错误：参数 action：无效的选择：'draw'（可选：'import', 'export', 'validate', "
                        "'seed-duties', 'ladder-scan', 'demo'）"),
    ("hotspots", ["--link-text", "high"], "jiesu hotspots：错误：参数 --link-text：不是数字：'high'"),
    ("kpi", ["rebuild", "--since", "yesterday"], "jiesu kpi：错误：参数 --since：不是日期（YYYY-MM-DD）：'yesterday'"),
    ("quality", ["--days"], "jiesu quality：错误：参数 --days：需要一个值"),
    ("worker", ["--once", "now"], "jiesu worker：错误：无法识别的参数：now"),
    ("load_units", [], "jiesu load-units：错误：缺少必需的参数：file"),
    ("warnings", ["--level", "two", "run"], "jiesu warnings：错误：参数 --level：不是整数：'two'"),
    ("whistle_scan", ["--every", "5m"], "jiesu whistle_scan：错误：参数 --every：不是整数：'5m'"),
])
def test_argparses_errors_are_chinese_with_exit_code_2(name, args, error, locale, capsys):
    locale("C.UTF-8")
    assert refused(name, *args) == 2
    said = capsys.readouterr()
    lines = said.err.splitlines()
    assert said.out == "" and lines[0].startswith("用法：jiesu ") and lines[-1] == error


@pytest.mark.parametrize("lang,line", [("zh_CN.UTF-8", "错误：--tickets 不能小于 0"),
                                       ("en_US.UTF-8", "Error: --tickets must be 0 or more")])
def test_a_refusal_of_a_command_that_works_in_the_platforms_language_speaks_the_users(lang, line, locale, capsys):
    locale(lang)
    assert not command("load_demo").works_in_its_language
    assert refused("load_demo", "--tickets", "-1", "--skip-checks") == 1
    assert capsys.readouterr().err.splitlines() == [line]


@pytest.mark.django_db
@pytest.mark.parametrize("lang,line", [("zh_CN.UTF-8", "错误：没有代码为 '110101999' 的街道"),
                                       ("en_US.UTF-8", "Error: no street has the code '110101999'")])
def test_a_refusal_after_reading_the_database_speaks_the_users_language(lang, line, locale, capsys):
    locale(lang)
    assert refused("grids", "validate", "110101999", "--skip-checks") == 1
    assert capsys.readouterr().err.splitlines() == [line]


def test_jiesu_help_lists_the_same_commands_in_the_users_language(locale, capsys):
    from jiesu.cli import main

    pages = {}
    for lang in ("C.UTF-8", "en_US.UTF-8"):
        locale(lang)
        assert main(["--help"]) == 0
        pages[lang] = capsys.readouterr().out
    assert pages["C.UTF-8"].startswith("用法：jiesu <命令> [选项]")
    assert "请先运行 `jiesu setup`（新数据库）或\n`jiesu migrate`（升级）" in pages["C.UTF-8"]
    assert pages["en_US.UTF-8"].startswith("usage: jiesu <command> [options]")
    assert "All commands:" in pages["en_US.UTF-8"] and "全部命令：" in pages["C.UTF-8"]  # then the list of them all
    named = {lang: re.findall(r"^ {4}jiesu (\S+)", page, re.MULTILINE) for lang, page in pages.items()}
    assert named["C.UTF-8"] == named["en_US.UTF-8"][:-1] + ["<任意"] and "load-units" in named["C.UTF-8"]
