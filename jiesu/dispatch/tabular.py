"""Reading labelled text tables (CSV/TSV) for training and evaluation.

Pure Python (no Django). Handles UTF-8, UTF-8 with BOM and GBK/GB18030,
comma- or tab-separated files, stray whitespace in headers and cells.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from jiesu.core.worded import WordedError, gettext_noop

csv.field_size_limit(1 << 30)


class TableError(WordedError):
    """A file that cannot be used: its code and figures (`path` first), worded naming the file and the reason."""

    WORDS = {
        "undecodable": gettext_noop("%(path)s: cannot decode the file as UTF-8 or GBK"),
        "utf16": gettext_noop("%(path)s: UTF-16 text (as Excel's \"Unicode text\"), not UTF-8 or GBK; save it as "
                              "UTF-8 CSV"),
        "workbook": gettext_noop("%(path)s: an Excel workbook (.xlsx) or another zip archive, not a CSV file; save "
                                 "it as CSV UTF-8"),
        "not_utf8_line": gettext_noop("%(path)s: cannot decode the file as UTF-8 or GBK (line %(line)d is not "
                                      "UTF-8); save it as UTF-8 CSV"),
        "not_utf8_later": gettext_noop("%(path)s: line %(line)d: bytes that are not UTF-8 text, as the file's start "
                                       "was (%(why)s); save the whole file as UTF-8 CSV"),
        "not_gbk_later": gettext_noop("%(path)s: line %(line)d: bytes that are not GBK/GB18030 text, as the file's "
                                      "start was (%(why)s); save the whole file as UTF-8 CSV"),
        "not_found": gettext_noop("%(path)s: file not found"),
        "directory": gettext_noop("%(path)s: is a directory, not a CSV file"),
        "unreadable": gettext_noop("%(path)s: cannot read the file (%(why)s)"),
        "empty": gettext_noop("%(path)s: empty file (no header row)"),
        "quote_open": gettext_noop("%(path)s: line %(start)d: a quoted cell (\") is never closed, so lines "
                                   "%(start)d–%(end)d would be read as one cell; close the quote or remove it"),
        "column_twice": gettext_noop("%(path)s: column '%(column)s' appears more than once in the header (columns "
                                     "%(columns)s and %(last)d): rename or remove all but one"),
        "label_missing": gettext_noop("%(path)s: label column '%(column)s' not found; columns are: %(header)s"),
        "label_missing_no_header": gettext_noop("%(path)s: label column '%(column)s' not found; the header names no "
                                                "column"),
        "text_missing": gettext_noop("%(path)s: none of the text columns %(columns)s found; columns are: "
                                     "%(header)s"),
        "text_missing_no_header": gettext_noop("%(path)s: none of the text columns %(columns)s found; the header "
                                               "names no column"),
    }


@dataclass
class LabelledRows:
    path: str
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # first text column, normalised, for overlap checks
    n_rows: int = 0
    skipped_no_label: list[int] = field(default_factory=list)  # 1-based data row numbers (blank lines not counted)
    skipped_no_text: list[int] = field(default_factory=list)
    skipped_width: list[tuple[int, int]] = field(default_factory=list)  # (line, fields): not the header's count
    skipped_header: list[int] = field(default_factory=list)  # file lines repeating the header (files joined by cat)
    width: int = 0  # the header's fields
    lines: list[int] = field(default_factory=list)  # the file line each data row starts on (row n: lines[n - 1])
    missing_text_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ","

    def __len__(self) -> int:
        return len(self.texts)


ENCODINGS = ("utf-8-sig", "gb18030")  # what a file is read as, in this order: UTF-8 (BOM or not), GB18030 ⊇ GBK
SNIFF_BYTES = 1 << 20  # the encoding is chosen from a megabyte of text, from the first byte that is not ASCII
_NOT_ASCII = re.compile(rb"[\x80-\xff]")


def choose_encoding(sample: bytes, final: bool = False, path: str = "") -> str:
    """The first of ENCODINGS that decodes `sample` (the file's start, or its part from the first byte that is not
    ASCII on); ``final=False``: `sample` stops before the file's end, a character cut at its end is fine."""
    for enc in ENCODINGS:
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=final)
            return enc
        except UnicodeDecodeError:
            continue
    raise TableError("undecodable", path=path)


def line_of(raw: bytes, offset: int) -> int:
    """The line (1-based, as the csv module counts them: ended by \\n, \\r\\n or \\r) that byte `offset` is
    on. A line end is never part of a UTF-8 or GB18030 character, so the bytes can be counted as they are."""
    return raw.count(b"\n", 0, offset) + raw.count(b"\r", 0, offset) - raw.count(b"\r\n", 0, offset) + 1


def decode(raw: bytes, path: str = "") -> tuple[str, str]:
    """A whole file's bytes → (text, encoding name). The encoding is chosen from its first megabyte from the first
    byte that is not ASCII (SNIFF_BYTES; the whole file when it is smaller), as `jiesu import` chooses it: UTF-8
    (with or without BOM), else GB18030 (⊇ GBK); the rest of the file must be in that encoding too. Refused with
    the line of the first bytes that do not decode."""
    found = _NOT_ASCII.search(raw)
    start = found.start() if found else len(raw)
    try:
        enc = choose_encoding(raw[start:start + SNIFF_BYTES], start + SNIFF_BYTES >= len(raw), path)
    except TableError:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise TableError("utf16", path=path) from None
        if raw.startswith(b"PK\x03\x04"):
            raise TableError("workbook", path=path) from None
        raise TableError("not_utf8_line", path=path, line=line_of(raw, _undecodable(raw, "utf-8-sig"))) from None
    try:
        return raw.decode(enc), enc
    except UnicodeDecodeError as exc:
        raise TableError("not_utf8_later" if enc.startswith("utf-8") else "not_gbk_later", path=path,
                         line=line_of(raw, _undecodable(raw, enc)), why=exc.reason) from None


def _undecodable(raw: bytes, enc: str) -> int:
    """The offset in `raw` of its first bytes that are not `enc` text (len(raw) if there are none). utf-8-sig's
    offsets leave out a BOM: counted as plain UTF-8 (a BOM is UTF-8 text)."""
    try:
        raw.decode("utf-8" if enc == "utf-8-sig" else enc)
    except UnicodeDecodeError as exc:
        return exc.start
    return len(raw)


def sniff_delimiter(text: str, path: str = "") -> str:
    first = text.split("\n", 1)[0]
    if path.lower().endswith((".tsv", ".tab")):
        return "\t"
    if "\t" in first and first.count("\t") >= first.count(","):
        return "\t"
    return ","


def read_table(path: str | Path) -> tuple[list[str], list[list[str]], str, str]:
    """(header, rows, encoding, delimiter); header cells stripped of whitespace/BOM."""
    header, rows, enc, delim = read_rows(path)
    return header, [row for _line, row in rows], enc, delim


def read_rows(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]], str, str]:
    """(header, [(the line a row starts on, its cells)], encoding, delimiter), blank rows left out. A quoted cell
    that is never closed is refused naming its line: csv would read the rest of the file into it, saying nothing."""
    p = Path(path)
    if not p.exists():
        raise TableError("not_found", path=str(path))
    if p.is_dir():
        raise TableError("directory", path=str(path))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise TableError("unreadable", path=str(path), why=exc.strerror or str(exc), errno=exc.errno) from None
    text, enc = decode(raw, str(path))
    delim = sniff_delimiter(text, str(path))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise TableError("empty", path=str(path)) from None
    header = [h.strip().lstrip("\ufeff").strip() for h in header]
    rows, start, end = [], 1, reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num
        if any(c.strip() for c in row):
            rows.append((start, row))
    if _left_open(text, delim, start):
        raise TableError("quote_open", path=str(path), start=start, end=end)
    return header, rows, enc, delim


_LINE_END = re.compile(r"\r\n|\r|\n")


def _left_open(text: str, delim: str, line: int) -> bool:
    """Whether the last row of `text`, which starts on `line`, ends inside a quoted cell (the csv module, not
    strict, then keeps the rest of the file as that cell). Scans that row only, as csv reads it: a quote opens a
    cell only at its start, a doubled quote inside it is one quote."""
    pos = 0
    if line > 1:
        for number, found in enumerate(_LINE_END.finditer(text), 2):
            if number == line:
                pos = found.end()
                break
    next_field = re.compile(f"[{re.escape(delim)}\r\n]")
    while True:
        if text.startswith('"', pos):  # a quoted cell: to its closing quote
            pos += 1
            while True:
                pos = text.find('"', pos)
                if pos < 0:
                    return True
                if not text.startswith('"', pos + 1):
                    break
                pos += 2
            pos += 1
        found = next_field.search(text, pos)
        if found is None:
            return False
        pos = found.end()


def load_labelled(path: str | Path, text_columns: Sequence[str], label_column: str,
                  *, require_label: bool = True) -> LabelledRows:
    """Read one file: text = the text columns joined by newlines (a column the
    file lacks counts as empty), label = the label column (stripped). Rows
    without a label or without any text, and rows with more or fewer fields
    than the header, are skipped and recorded, and so is a row that repeats the header (files joined with their
    headers)."""
    header, rows, enc, delim = read_rows(path)
    for name in dict.fromkeys([*text_columns, label_column]):  # a column read twice: which one is meant?
        at = [i + 1 for i, h in enumerate(header) if h == name]
        if len(at) > 1:
            raise TableError("column_twice", path=str(path), column=name, columns=", ".join(map(str, at[:-1])),
                             last=at[-1])
    index = {h: i for i, h in enumerate(header)}
    shown = {"path": str(path), "header": ", ".join(header)}
    if label_column not in index and require_label:
        raise TableError("label_missing" if header else "label_missing_no_header", column=label_column, **shown)
    present = [c for c in text_columns if c in index]
    if not present:
        raise TableError("text_missing" if header else "text_missing_no_header", columns=", ".join(text_columns),
                         **shown)
    out = LabelledRows(path=str(path), encoding=enc, delimiter=delim, width=len(header),
                       missing_text_columns=[c for c in text_columns if c not in index])
    li = index.get(label_column)
    for n, (line, row) in enumerate(rows, start=1):
        out.n_rows += 1
        out.lines.append(line)
        if len(row) != len(header):  # which cell is which is unknown: left out, as `jiesu import` rejects it
            out.skipped_width.append((line, len(row)))
            continue
        if [c.strip().lstrip("\ufeff").strip() for c in row] == header:  # `cat a.csv b.csv`: b's header
            out.skipped_header.append(line)
            continue
        cell = lambda i: row[i].strip() if i is not None and i < len(row) else ""  # noqa: E731
        label = cell(li)
        parts = [cell(index[c]) for c in present]
        text = "\n".join(p for p in parts if p)
        if require_label and not label:
            out.skipped_no_label.append(n)
            continue
        if not text:
            out.skipped_no_text.append(n)
            continue
        out.texts.append(text)
        out.labels.append(label)
        out.keys.append("".join(parts[0].split()) if present[0] == text_columns[0] else "")
    return out
