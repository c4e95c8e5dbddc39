"""`jiesu whistle_scan` speaks the user's language on its command line (jiesu.core.command_line) but works in the
platform's: the 督办 notices it stores are read by the units' staff, whatever the locale of the shell that ran it."""
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.whistles.models import Summons, WhistleNotice
from tickets.helpers import point_children_at_the_test_database
from whistles.conftest import whistle

JIESU = "import sys; from jiesu.cli import main; sys.exit(main())"


@pytest.mark.django_db(transaction=True)
def test_an_english_shell_gets_english_help_and_stores_chinese_notices(world, monkeypatch):
    point_children_at_the_test_database(monkeypatch)
    w = whistle(world)
    Summons.objects.filter(whistle=w).update(report_due=timezone.now() - timedelta(minutes=1))
    environment = {k: v for k, v in os.environ.items() if k not in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES")}
    environment.update(LANG="en_US.UTF-8", COLUMNS="80")

    def jiesu(*args):
        return subprocess.run([sys.executable, "-c", JIESU, "whistle_scan", *args], capture_output=True, text=True,
                              env=environment, timeout=120)

    helped = jiesu("--help")
    assert helped.returncode == 0 and "  --every EVERY         repeat every N seconds (0: once)" in helped.stdout
    scanned = jiesu()
    assert scanned.returncode == 0, scanned.stderr
    assert scanned.stdout.splitlines() == ["whistles: 0 reports and 0 tasks coming due warned, "
                                         "2 overdue reports and 0 overdue tasks supervised"]
    notices = [n.text for n in WhistleNotice.objects.filter(whistle=w, kind=WhistleNotice.SUPERVISE)]
    assert len(notices) == 2 and all(n.startswith("督办：") and n.endswith("前报到，现已超时。") for n in notices)
