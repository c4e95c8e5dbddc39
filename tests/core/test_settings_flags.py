"""Switches read from the environment (settings.env_flag): 1/true/yes/on and 0/false/no/off in any case, the default
when unset, and a start refused naming the variable for anything else (JIESU_DEBUG=ture must not quietly mean off)."""
import os
import subprocess
import sys

import pytest

from tests.fresh_settings import fresh_settings

CODE = ("import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.JIESU['DISPATCH_PAUSE_FLAGGED_RULES'])")


SWITCHES = ("JIESU_DEBUG", "JIESU_DISPATCH_PAUSE_FLAGGED_RULES")


def settings_with(**env):
    """A start under `env` (the two switches unset unless given): its exit code, the two values printed, its error."""
    clean = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    return subprocess.run([sys.executable, "-c", CODE], env={**clean, "DJANGO_SETTINGS_MODULE": "jiesu.settings", **env},
                          capture_output=True, text=True)


def switches_with(**env):
    """The two values a start under `env` reads (jiesu/settings.py read afresh in this process, tests.fresh_settings:
    a child Python per case took ≈ 1 s of CPU; the start refused by a bad word is still a child's, below)."""
    read = fresh_settings(env, unset=SWITCHES)
    return [str(read.DEBUG), str(read.JIESU["DISPATCH_PAUSE_FLAGGED_RULES"])]


@pytest.mark.parametrize("word,value", [("1", True), ("true", True), ("Yes", True), (" ON ", True),
                                        ("0", False), ("false", False), ("NO", False), ("off", False)])
def test_a_switch_takes_the_usual_words_in_any_case(word, value):
    assert switches_with(JIESU_DEBUG=word, JIESU_DISPATCH_PAUSE_FLAGGED_RULES=word) == [str(value), str(value)]


def test_unset_or_empty_switches_keep_their_defaults():
    assert switches_with() == ["True", "True"]
    assert switches_with(JIESU_DEBUG="", JIESU_DISPATCH_PAUSE_FLAGGED_RULES=" ") == ["True", "True"]


def test_a_word_that_is_no_switch_stops_the_start_naming_the_variable():
    refused = settings_with(JIESU_DISPATCH_PAUSE_FLAGGED_RULES="ture")
    assert refused.returncode != 0
    assert ("JIESU_DISPATCH_PAUSE_FLAGGED_RULES='ture': expected 1 or 0 (also true/false, yes/no, on/off)"
            in refused.stderr)
    assert "JIESU_DEBUG='2'" in settings_with(JIESU_DEBUG="2").stderr
