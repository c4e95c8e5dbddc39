"""Ctrl-C while `jiesu` starts (Django, the command's code and Django's system checks load: the first seconds)
prints one line in the command's language and exits with 130, not a traceback (audit 6 #11)."""
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.management.base import BaseCommand

from jiesu import cli

JIESU = "import sys; from jiesu.cli import main; sys.exit(main())"
LOADING = "_multiarray_umath"  # numpy's core, loaded with Django's apps and the command: jiesu.cli imports neither


def loaded(pid, library) -> bool:
    with open(f"/proc/{pid}/maps") as maps:
        return any(library in line for line in maps)


def interrupted_while_starting(args, lang):
    """`jiesu ARGS` in a fresh process under LANG=`lang`, sent SIGINT once it is loading Django and the command:
    (exit status, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    proc = subprocess.Popen([sys.executable, "-c", JIESU, *args], env={**env, "LANG": lang}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not loaded(proc.pid, LOADING) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("留言主题,一级分类\n" + "".join(f"噪音扰民第{i}号,环境保护\n路灯不亮第{i}号,城乡建设\n" for i in range(20)),
                    encoding="utf-8")
    return str(path)


def test_ctrl_c_while_starting_gives_one_chinese_line_and_130(data):
    status, err = interrupted_while_starting(["dispatch", "crossval", "--data", data, "--text", "留言主题"], "C.UTF-8")
    assert (status, err) == (130, "jiesu: 已中断：命令尚未开始，未做任何更改\n")


def test_ctrl_c_while_starting_in_the_commands_language(data, tmp_path):
    status, err = interrupted_while_starting(["dispatch", "crossval", "--data", data, "--lang", "en"], "C.UTF-8")
    assert (status, err) == (130, "jiesu: interrupted before the command started: nothing was done\n")
    status, err = interrupted_while_starting(["import", data, "--dry-run", "--report", str(tmp_path / "r.csv")],
                                             "en_US.UTF-8")
    assert (status, err) == (130, "jiesu: interrupted before the command started: nothing was done\n")
    assert not (tmp_path / "r.csv").exists()


def test_the_language_of_the_line_without_django(monkeypatch):
    for name in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert cli.interrupted_language(["dispatch", "evaluate"]) == "zh-hans"
    assert cli.interrupted_language(["import", "a.csv", "--lang", "en"]) == "en"
    assert cli.interrupted_language(["import", "a.csv", "--lang=en"]) == "en"
    assert cli.interrupted_language(["import", "a.csv", "--lang"]) == "zh-hans"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert cli.interrupted_language(["dispatch", "info"]) == "en"
    assert cli.interrupted_language(["dispatch", "info", "--lang", "zh-hans"]) == "zh-hans"
    monkeypatch.setenv("JIESU_LANG", "zh-hans")
    assert cli.interrupted_language(["dispatch", "info"]) == "zh-hans"


class Stopped(BaseCommand):
    def handle(self, *args, **options):
        raise KeyboardInterrupt


def test_an_interrupt_inside_a_commands_handle_is_told_apart_from_one_before_it():
    """A command's own work was interrupted: the shorter line (it may have written something)."""
    with pytest.raises(KeyboardInterrupt) as inside:
        Stopped().execute(skip_checks=True, no_color=False, force_color=False, stdout=None, stderr=None)
    assert cli.in_handle(inside.value)
    with pytest.raises(KeyboardInterrupt) as elsewhere:
        NotACommand().handle()  # a logging handler's handle(), say
    assert not cli.in_handle(elsewhere.value)


class NotACommand:
    def handle(self):
        raise KeyboardInterrupt
