"""The command line's own words in the command's language (every `jiesu` command of the platform's): argparse's
(usage, the section titles, -h, its errors and their `… : error:` line) and Django's (its options' help texts,
`jiesu run`'s runserver options, the `CommandError:` before a refusal), Chinese first, English when chosen, as
the command's printed lines.

A command extends LanguageCommand. Its command line's language (jiesu.core.language.command_line_language:
--lang, else the environment's, else the platform's) is active while its parser is built, parses and prints,
so its help texts go through gettext (not gettext_lazy: they are worded as they are added). A command whose work
stores worded text (the worker's notices, the demo's tickets) works in the platform's language, as a Django
command does, and words its refusals in the command line's (LanguageCommand.works_in_its_language).

argparse words its own with the standard library's gettext, for which Jiesu has no catalogue, and hands its
errors over formatted: the help formatter swaps its words for ours (HELP_WORDS), and the parser reads each error
back through the formats argparse builds it from (ARGPARSE_ERRORS) to word it with Django's gettext.
"""
from __future__ import annotations

import argparse
import re
import sys
from contextlib import nullcontext
from datetime import datetime, time
from itertools import groupby

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter, SystemCheckError
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from jiesu.core.language import command_language, command_line_language, language_option

#: argparse's words in a help page (Python 3.11), Django's base options' and runserver's (`jiesu run`) help texts
#: (Django 5.2), as msgids
HELP_WORDS = frozenset((
    gettext_noop("usage: "), gettext_noop("positional arguments"), gettext_noop("options"),
    gettext_noop("show this help message and exit"),
    gettext_noop("Show program's version number and exit."),
    gettext_noop("Verbosity level; 0=minimal output, 1=normal output, 2=verbose output, 3=very verbose output"),
    gettext_noop('The Python path to a settings module, e.g. "myproject.settings.main". If this isn\'t provided, '
                 'the DJANGO_SETTINGS_MODULE environment variable will be used.'),
    gettext_noop('A directory to add to the Python path, e.g. "/home/djangoprojects/myproject".'),
    gettext_noop("Display a full stack trace on CommandError exceptions."),
    gettext_noop("Don't colorize the command output."), gettext_noop("Force colorization of the command output."),
    gettext_noop("Skip system checks."),
    gettext_noop("Optional port number, or ipaddr:port"), gettext_noop("Tells Django to use an IPv6 address."),
    gettext_noop("Tells Django to NOT use threading."), gettext_noop("Tells Django to NOT use the auto-reloader."),
    gettext_noop("Tells Django to NOT automatically serve static files at STATIC_URL."),
    gettext_noop("Allows serving static files even if DEBUG is False."),
))

#: (the format argparse builds an error from, Python 3.11; our msgid): ours spells the English as argparse does,
#: its placeholders named and in argparse's order, a %r's value kept as argparse quoted it. The first that
#: matches words the error; a more specific format comes before a more general one.
ARGPARSE_ERRORS = (
    ("argument %(argument_name)s: %(message)s", gettext_noop("argument %(argument)s: %(message)s")),
    ("the following arguments are required: %s", gettext_noop("the following arguments are required: %(arguments)s")),
    ("one of the arguments %s is required", gettext_noop("one of the arguments %(arguments)s is required")),
    ("unrecognized arguments: %s", gettext_noop("unrecognized arguments: %(arguments)s")),
    ("invalid choice: %(value)r (choose from %(choices)s)",
     gettext_noop("invalid choice: %(value)s (choose from %(choices)s)")),
    ("invalid int value: %(value)r", gettext_noop("invalid int value: %(value)s")),
    ("invalid float value: %(value)r", gettext_noop("invalid float value: %(value)s")),
    ("invalid %(type)s value: %(value)r", gettext_noop("invalid %(type)s value: %(value)s")),
    ("expected one argument", gettext_noop("expected one argument")),
    ("expected at most one argument", gettext_noop("expected at most one argument")),
    ("expected at least one argument", gettext_noop("expected at least one argument")),
    ("expected %s argument", gettext_noop("expected %(count)s argument")),
    ("expected %s arguments", gettext_noop("expected %(count)s arguments")),
    ("not allowed with argument %s", gettext_noop("not allowed with argument %(argument)s")),
    ("ignored explicit argument %r", gettext_noop("ignored explicit argument %(value)s")),
    ("ambiguous option: %(option)s could match %(matches)s",
     gettext_noop("ambiguous option: %(option)s could match %(matches)s")),
    ("unknown parser %(parser_name)r (choices: %(choices)s)",
     gettext_noop("unknown parser %(name)s (choices: %(choices)s)")),
)
_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sr]")


def _read_back(argparse_format: str, msgid: str):
    """(the regular expression that reads `argparse_format`'s values back, `msgid`'s placeholder names)."""
    literals = _PLACEHOLDER.split(argparse_format)
    pattern = "(.+?)".join(re.escape(literal) for literal in literals)
    return re.compile(pattern, re.DOTALL), re.findall(r"%\((\w+)\)s", msgid)


_READ_BACK = [(*_read_back(argparse_format, msgid), msgid) for argparse_format, msgid in ARGPARSE_ERRORS]


def argparse_error_words(message: str) -> str:
    """argparse's error `message` in the active language (an error argparse did not build, e.g. a type's own
    ArgumentTypeError already worded, as it is); the one it wraps (`argument --x: …`) too."""
    for pattern, names, msgid in _READ_BACK:
        found = pattern.fullmatch(message)
        if found:
            return gettext(msgid) % {name: argparse_error_words(value) for name, value in zip(names, found.groups())}
    return message


#: the code points a terminal shows two cells wide (CJK, fullwidth forms), and the characters a line does not
#: begin with. Looked up without a regular expression: one of these ranges took 25-35 ms to compile, at the start
#: of every command.
_WIDE = ((0x1100, 0x115f), (0x2e80, 0x303e), (0x3040, 0xa4cf), (0xac00, 0xd7a3), (0xf900, 0xfaff),
         (0xfe30, 0xfe4f), (0xff00, 0xff60), (0xffe0, 0xffe6))
_NO_LINE_START = set("，。、；：）」』？！》")


def _wide(character: str) -> bool:
    code = ord(character)
    return any(low <= code <= high for low, high in _WIDE)


def _has_wide(text: str) -> bool:
    return any(map(_wide, text))


def _cells(text: str) -> int:
    return len(text) + sum(map(_wide, text))


def _pieces(text: str):
    """`text`'s runs of white space, its wide characters one by one and its runs of other characters."""
    for kind, run in groupby(text, key=lambda c: "space" if c.isspace() else "wide" if _wide(c) else "narrow"):
        if kind == "wide":
            yield from run
        else:
            yield "".join(run)


class WordedHelp:
    """A help formatter's mix-in: argparse's and Django's words in the active language, and text with Chinese in
    it laid out by the cells a terminal shows (argparse counts characters and breaks lines only at spaces)."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, gettext("usage: ") if prefix is None else prefix)

    def start_section(self, heading):
        super().start_section(_help_words(heading))

    def _get_help_string(self, action):
        return _help_words(action.help)

    def _format_usage(self, usage, actions, groups, prefix):
        """argparse's usage, its lines lined up after a prefix wider than its characters (`用法：`)."""
        wider = _cells(prefix) - len(prefix) if prefix else 0
        self._width -= wider
        try:
            text = super()._format_usage(usage, actions, groups, prefix)
        finally:
            self._width += wider
        lines = text.rstrip("\n")
        return lines.replace("\n", "\n" + " " * wider) + text[len(lines):]

    def _format_text(self, text):
        return super()._format_text(str(text))  # a lazy description (a command's help)

    def _fill_text(self, text, width, indent):
        if not _has_wide(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in self._split_lines(text, width - len(indent)))

    def _split_lines(self, text, width):
        text = self._whitespace_matcher.sub(" ", text).strip()
        if not _has_wide(text):
            return super()._split_lines(text, width)
        lines = [""]
        for piece in _pieces(text):
            if (lines[-1].strip() and _cells(lines[-1] + piece.rstrip()) > width and piece.strip()
                    and piece not in _NO_LINE_START):
                lines[-1] = lines[-1].rstrip()
                lines.append("")
            if lines[-1] or piece.strip():
                lines[-1] += piece
        return [line.rstrip() for line in lines]


class HelpFormatter(WordedHelp, DjangoHelpFormatter):
    """A command's: Django's options after the command's own."""


class SubCommandHelpFormatter(WordedHelp, argparse.HelpFormatter):
    """A sub-command's (`jiesu dispatch train -h`): its options in their order (its --version is its own)."""


def _help_words(text):
    """A help text or section title, argparse's or Django's own words (HELP_WORDS) in the active language."""
    text = None if text is None else str(text)
    return gettext(text) if text in HELP_WORDS else text


class CommandLineParser(CommandParser):
    """Django's CommandParser whose errors are worded in the active language; on the command line (exit code 2,
    as argparse's): the usage, then `jiesu dispatch：错误：…` / `jiesu dispatch: error: …`."""

    def parse_known_args(self, args=None, namespace=None):
        """Parsed in the language --lang names among `args`, if it does: call_command() reads its options so,
        without run_from_argv's look (an option's type words its refusal as it parses, e.g. --since's)."""
        with translation.override(language_option(args or ()) or translation.get_language()):
            return super().parse_known_args(args, namespace)

    def error(self, message):
        if not self.called_from_command_line:
            super().error(message)  # call_command(): Django's CommandError, as Django words it
        self.print_usage(sys.stderr)
        self.exit(2, gettext("%(prog)s: error: %(message)s")
                  % {"prog": self.prog, "message": argparse_error_words(message)} + "\n")


def _with_sub_commands(parser):
    """`parser` and its sub-commands' parsers, theirs in turn."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _with_sub_commands(sub)


def day_argument(value):
    """An option's type: YYYY-MM-DD → the start of that day in the current time zone; an argparse error (usage,
    exit code 2) for another value (a CommandError raised while parsing was a traceback)."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        message = gettext("not a date (YYYY-MM-DD): %(value)s") % {"value": repr(value)}
        raise argparse.ArgumentTypeError(message) from None
    return timezone.make_aware(datetime.combine(day, time.min))


class LanguageCommand(BaseCommand):
    """A management command whose command line speaks its language (module docstring): the parser, its help
    and its errors, and the refusal line (`错误：…` / `Error: …` for Django's `CommandError: …`, same exit code)."""

    typed_name = ""  # what users type after `jiesu` when it is not the module's name (jiesu.cli.ALIASES)
    #: On the command line, handle() works in the command line's language (its printed lines speak it), or, False,
    #: in the platform's (settings.LANGUAGE_CODE), as a Django command does: for a command whose work stores
    #: worded text (the worker's notices, the demo's tickets). Its refusals speak the command line's (refusal()).
    works_in_its_language = True

    def create_parser(self, prog_name, subcommand, **kwargs):
        """Django's parser, its sub-commands' too, made CommandLineParsers with our help formatters. Django's
        create_parser builds a CommandParser by name, and the command adds its sub-commands within it; the class
        only adds methods, so each parser becomes one as it is."""
        kwargs.setdefault("formatter_class", HelpFormatter)
        parser = super().create_parser(prog_name, self.typed_name or subcommand, **kwargs)
        for each in _with_sub_commands(parser):
            each.__class__ = CommandLineParser
            if each is not parser:
                each.formatter_class = SubCommandHelpFormatter
        return parser

    def run_from_argv(self, argv):
        with translation.override(command_line_language(argv[2:])):
            super().run_from_argv(argv)

    def print_help(self, prog_name, subcommand):
        """`manage.py help dispatch`: in the environment's language."""
        with translation.override(command_language()):
            super().print_help(prog_name, subcommand)

    def refusal(self, msgid, **values) -> CommandError:
        """A CommandError saying `msgid` (marked with gettext_noop) % `values` in the command line's language
        (call_command(): the caller's), also from a handle() that works in the platform's."""
        with translation.override(getattr(self, "_refusal_language", None) or translation.get_language()):
            return CommandError(gettext(msgid) % values if values else gettext(msgid))

    def _work_language(self, on_command_line):
        """The language handle() works in: the platform's on the command line of a command that does not work in
        its own (works_in_its_language), else the one active."""
        if on_command_line and not self.works_in_its_language:
            return translation.override(settings.LANGUAGE_CODE)
        return nullcontext()

    def execute(self, *args, **options):
        """On the command line, a refusal is one line `错误：…` / `Error: …` (Django's run_from_argv would print
        `CommandError: …`), with its exit code; --traceback and call_command() get the CommandError."""
        self._refusal_language = translation.get_language()
        on_command_line = getattr(self, "_called_from_command_line", False)
        try:
            with self._work_language(on_command_line):
                return super().execute(*args, **options)
        except CommandError as refusal:
            if not on_command_line or options.get("traceback") or isinstance(refusal, SystemCheckError):
                raise
            self.stderr.write(gettext("Error: %(message)s") % {"message": refusal})
            sys.exit(refusal.returncode)
