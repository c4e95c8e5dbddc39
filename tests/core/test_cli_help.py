"""`jiesu help <command>` is `jiesu <command> --help` (audit 12, finding 7), and `jiesu --help`'s list of every
command speaks the user's language, each command under the name users type."""
import pytest

from jiesu.cli import help_topic, main

from .test_command_line_commands import locale  # noqa: F401  (a fixture: LANG alone, 80 columns)


def page(capsys, *argv):
    """What `jiesu ARGV` prints, a command's --help page (argparse exits with 0 after it)."""
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    assert stopped.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("words,line", [
    (["import"], ["import", "--help"]),
    (["dispatch", "info"], ["dispatch", "info", "--help"]),
    (["dispatch", "info", "--lang", "en"], ["dispatch", "info", "--help", "--lang", "en"]),
    (["--lang", "en", "dispatch", "info"], ["dispatch", "info", "--help", "--lang", "en"]),
    ([], None), (["--lang", "en"], None)])
def test_help_with_a_command_stands_for_the_commands_help(words, line):
    assert help_topic(words) == line


@pytest.mark.parametrize("lang,usage", [("C.UTF-8", "用法：jiesu import"), ("en_US.UTF-8", "usage: jiesu import")])
def test_jiesu_help_import_is_the_import_page(lang, usage, locale, capsys):
    locale(lang)
    shown = page(capsys, "help", "import")
    assert shown.startswith(usage) and "--min-probability" in shown
    assert shown == page(capsys, "import", "--help")


def test_jiesu_help_of_an_action_is_the_actions_page_in_the_language_asked(locale, capsys):
    locale("C.UTF-8")
    shown = page(capsys, "help", "dispatch", "info", "--lang", "en")
    assert shown.startswith("usage: jiesu dispatch info") and "show this help message and exit" in shown
    assert shown == page(capsys, "dispatch", "info", "--lang", "en", "--help")


@pytest.mark.parametrize("lang,line,heading", [
    ("C.UTF-8", "jiesu help <命令> 即 jiesu <命令> --help：该命令的说明和选项。", "全部命令："),
    ("en_US.UTF-8", "jiesu help <command> is jiesu <command> --help: what it does, its options.", "All commands:")])
def test_the_list_of_every_command_speaks_the_users_language(lang, line, heading, locale, capsys):
    locale(lang)
    for argv in (["--help"], ["help"]):
        assert main(argv) == 0
        lines = capsys.readouterr().out.splitlines()
        assert line in lines and heading in lines and "[dispatch]" in lines and "[django]" in lines
        assert "    import" in lines and "    load-units" in lines and "    import_tickets" not in lines
        assert not any("subcommand" in each for each in lines)
