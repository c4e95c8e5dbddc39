"""The language a command line speaks (`jiesu dispatch`, `jiesu import`): Chinese first, English available, as
the web UI (core.middleware).

`--lang zh-hans|en` chooses. Its default is the environment's when it names one of the two: JIESU_LANG, else
the locale (the first of LC_ALL, LC_MESSAGES, LANG that is set) starting with zh (→ zh-hans) or en (→ en);
else the platform's LANGUAGE_CODE (zh-hans). An operator's shell in en_US.UTF-8 gets English, a server's
C.UTF-8 gets Chinese.

A command line's own --lang decides before argparse reads it (command_line_language): argparse's words, the
--help texts and Django's refusal line speak it too (jiesu.core.command_line).

environment_language() and language_option() read the environment and the command line alone, without Django:
the `jiesu` entry point words a Ctrl-C that comes while Django is still being loaded (jiesu.cli).
"""
from __future__ import annotations

import os

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX precedence: the first one set decides
PREFIXES = (("zh", "zh-hans"), ("en", "en"))


def command_language(environ=None) -> str:
    """zh-hans or en: what the environment names (JIESU_LANG, then the locale), else settings.LANGUAGE_CODE."""
    from django.conf import settings

    return environment_language(environ) or settings.LANGUAGE_CODE


def environment_language(environ=None) -> str | None:
    """zh-hans or en when the environment names one (JIESU_LANG, then the locale), else None."""
    env = os.environ if environ is None else environ
    locale = next((env[name] for name in LOCALE_VARIABLES if env.get(name)), "")
    return _named(env.get("JIESU_LANG", "")) or _named(locale)


def command_line_language(argv) -> str:
    """zh-hans or en: what --lang names on the command line (`argv`), else command_language()."""
    return language_option(argv) or command_language()


def language_option(argv) -> str | None:
    """zh-hans or en when the command line (`argv`) has `--lang zh-hans|en` or `--lang=…`, else None."""
    codes = [code for _prefix, code in PREFIXES]
    for arg, following in zip(argv, [*argv[1:], ""]):
        value = following if arg == "--lang" else arg.removeprefix("--lang=") if arg.startswith("--lang=") else ""
        if value in codes:
            return value
    return None


def _named(value: str) -> str | None:
    value = value.strip().lower()
    return next((code for prefix, code in PREFIXES if value.startswith(prefix)), None)


def add_language_option(parser, printed=None):
    """--lang zh-hans|en, its default from the environment (command_language); `printed`: what it words (in the
    active language; default: the lines printed)."""
    from django.conf import settings
    from django.utils.translation import gettext as _

    default = command_language()
    parser.add_argument("--lang", choices=[code for code, _name in settings.LANGUAGES], default=default,
                        help=_("language of %(printed)s (zh-hans or en; the JSON line stays as it is); default: "
                               "JIESU_LANG, else LC_ALL / LC_MESSAGES / LANG starting with zh or en, else "
                               "%(platform)s; now %(now)s")
                        % {"printed": printed or _("the lines printed"), "platform": settings.LANGUAGE_CODE,
                           "now": default})
