"""The language `jiesu dispatch` and `jiesu import` speak when --lang is not given (jiesu.core.language): the
environment's when it names Chinese or English, else the platform's (Chinese)."""
from jiesu.core.language import command_language


def test_jiesu_lang_then_the_locale_then_chinese():
    assert command_language({}) == "zh-hans"
    assert command_language({"LANG": "C.UTF-8"}) == "zh-hans"  # a server's locale names no language
    assert command_language({"LANG": "en_US.UTF-8"}) == "en"
    assert command_language({"LANG": "zh_CN.UTF-8"}) == "zh-hans"
    assert command_language({"JIESU_LANG": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert command_language({"JIESU_LANG": "zh-hans", "LANG": "en_US.UTF-8"}) == "zh-hans"
    assert command_language({"JIESU_LANG": "fr", "LANG": "en_GB.UTF-8"}) == "en"  # names neither: the locale's


def test_the_locale_variables_in_posix_order():
    assert command_language({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert command_language({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert command_language({"LC_ALL": "", "LANG": "en_US.UTF-8"}) == "en"  # set but empty: the next one
    assert command_language({"LC_ALL": "C", "LANG": "en_US.UTF-8"}) == "zh-hans"  # LC_ALL=C rules: no language
