"""Errors that a command words in its user's language, raised by modules that must not import Django.

A WordedError (or a WordedText, a str) is a code and its figures. Its class names each code's wording in WORDS: an English msgid
marked with gettext_noop (so that the catalogues hold its translation), formatted with the figures by name.
str() is the English, for library use, logs and stored records; a command prints `exc.words(gettext)`.

    class TableError(WordedError):
        WORDS = {"not_found": gettext_noop("%(path)s: file not found")}

    raise TableError("not_found", path=path)       # str(exc) == "a.csv: file not found"
    CommandError(exc.words(gettext))               # "a.csv：文件不存在" under zh-hans

An operating system's reason (a figure `why` from OSError.strerror, with `errno`) is English whatever the
locale (Python does not set LC_MESSAGES), and so is a codec's (UnicodeDecodeError.reason); the common ones are
worded too (OS_ERRORS, CODEC_REASONS), the others kept.
"""
from __future__ import annotations

import errno as codes
import functools


def gettext_noop(message: str) -> str:
    """Mark `message` as a msgid for the catalogues (jiesu.core.i18n_compile reads the name); it is
    translated where it is worded. Django's own, without importing Django."""
    return message


def english(message: str) -> str:
    return message


OS_ERRORS = {
    codes.EACCES: gettext_noop("permission denied"),
    codes.EPERM: gettext_noop("operation not permitted"),
    codes.ENOENT: gettext_noop("no such file or directory"),
    codes.EROFS: gettext_noop("read-only file system"),
    codes.ENOSPC: gettext_noop("no space left on the device"),
    codes.EISDIR: gettext_noop("is a directory"),
    codes.ENOTDIR: gettext_noop("a part of the path is not a directory"),
}


CODEC_REASONS = frozenset((  # UnicodeDecodeError.reason: why bytes are not text in an encoding
    gettext_noop("invalid start byte"), gettext_noop("invalid continuation byte"),
    gettext_noop("unexpected end of data"), gettext_noop("illegal multibyte sequence"),
    gettext_noop("incomplete multibyte sequence")))


def os_reason(exc: OSError, translate=english) -> str:
    """Why an OSError happened: the common ones worded by `translate`, the others (and all when the language has
    no wording of its own: English) as the system says them (strerror)."""
    return _os_words(exc.errno, exc.strerror or str(exc), translate)


def _os_words(errno, strerror, translate):
    if translate is english or errno not in OS_ERRORS:
        return strerror
    worded = translate(OS_ERRORS[errno])
    return strerror if worded == OS_ERRORS[errno] else worded


def words_of(value, translate=english) -> str:
    """An error's or a text's words in the language of `translate`: a Worded one's words, another's str()."""
    return value.words(translate) if isinstance(value, Worded) else str(value)


class Worded:
    """`code` (a key of WORDS) and its figures, worded by words(translate); str() is the English."""

    WORDS: dict[str, str] = {}

    def words(self, translate=english) -> str:
        """The message in the language of `translate` (gettext: the active one; by default English). A figure
        `why` given with `errno` (an OSError's) is worded as os_reason words it, or as CODEC_REASONS; a figure
        that is an error or Worded as words_of words it."""
        figures = {name: words_of(value, translate) if isinstance(value, (BaseException, Worded)) else value
                   for name, value in self.figures.items()}
        if "errno" in figures:
            figures["why"] = _os_words(figures["errno"], figures["why"], translate)
        elif translate is not english and figures.get("why") in CODEC_REASONS:
            figures["why"] = translate(figures["why"])
        return translate(self.WORDS[self.code]) % figures

    def __reduce__(self):  # pickled by code and figures, as it was made (a process pool hands them back)
        return functools.partial(type(self), self.code, **self.figures), ()


class WordedException(Worded, Exception):
    """An exception made of a code and its figures (see the module's docstring)."""

    def __init__(self, code: str, **figures):
        self.code, self.figures = code, figures
        super().__init__(self.words())


class WordedError(WordedException, ValueError):
    """A ValueError made of a code and its figures."""


class WordedText(Worded, str):
    """A code and its figures that are also their English text: a str wherever it goes (a JSON line, a summary
    handed from process to process), worded in another language by words(translate)."""

    def __new__(cls, code: str, **figures):
        text = super().__new__(cls, cls.WORDS[code] % figures)
        text.code, text.figures = code, figures
        return text
