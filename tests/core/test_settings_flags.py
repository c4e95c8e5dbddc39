"""Switches read from the environment (settings.env_flag): 1/true/yes/on and 0/false/no/off in any case, the default
when unset, and a start refused naming the variable for anything else (JIESU_DEBUG=ture must not quietly mean off)."""
import os
import subprocess
import sys

import pytest

CODE = ("import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.JIESU['DISPATCH_PAUSE_FLAGGED_RULES'])")


def settings_with(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("JIESU_DEBUG", "JIESU_DISPATCH_PAUSE_FLAGGED_RULES")}
    return subprocess.run([sys.executable, "-c", CODE], env={**clean, "DJANGO_SETTINGS_MODULE": "jiesu.settings", **env},
                          capture_output=True, text=True)


@pytest.mark.parametrize("word,value", [("1", True), ("true", True), ("Yes", True), (" ON ", True),
                                        ("0", False), ("false", False), ("NO", False), ("off", False)])
def test_a_switch_takes_the_usual_words_in_any_case(word, value):
    out = settings_with(JIESU_DEBUG=word, JIESU_DISPATCH_PAUSE_FLAGGED_RULES=word)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(value), str(value)]


def test_unset_or_empty_switches_keep_their_defaults():
    assert settings_with().stdout.split() == ["True", "True"]
    assert settings_with(JIESU_DEBUG="", JIESU_DISPATCH_PAUSE_FLAGGED_RULES=" ").stdout.split() == ["True", "True"]


def test_a_word_that_is_no_switch_stops_the_start_naming_the_variable():
    refused = settings_with(JIESU_DISPATCH_PAUSE_FLAGGED_RULES="ture")
    assert refused.returncode != 0
    assert ("JIESU_DISPATCH_PAUSE_FLAGGED_RULES='ture': expected 1 or 0 (also true/false, yes/no, on/off)"
            in refused.stderr)
    assert "JIESU_DEBUG='2'" in settings_with(JIESU_DEBUG="2").stderr
