"""Reading labelled text tables (CSV/TSV) for training and evaluation.

Pure Python (no Django). Handles UTF-8, UTF-8 with BOM and GBK/GB18030,
comma- or tab-separated files, stray whitespace in headers and cells.
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

csv.field_size_limit(1 << 30)


class TableError(ValueError):
    """A file that cannot be used, with a message naming the file and the reason."""


@dataclass
class LabelledRows:
    path: str
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # first text column, normalised, for overlap checks
    n_rows: int = 0
    skipped_no_label: list[int] = field(default_factory=list)  # 1-based data line numbers
    skipped_no_text: list[int] = field(default_factory=list)
    missing_text_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ","

    def __len__(self) -> int:
        return len(self.texts)


ENCODINGS = ("utf-8-sig", "gb18030")  # what a file is read as, in this order: UTF-8 (BOM or not), GB18030 ⊇ GBK


def decode(raw: bytes, path: str = "", final: bool = True) -> tuple[str, str]:
    """Bytes → (text, encoding name). UTF-8 (with or without BOM), else GB18030 (⊇ GBK). ``final=False``
    decodes the start of a file: a character cut at the end of `raw` is not an error."""
    for enc in ENCODINGS:
        try:
            return codecs.getincrementaldecoder(enc)().decode(raw, final=final), enc
        except UnicodeDecodeError:
            continue
    raise TableError(f"{path}: cannot decode the file as UTF-8 or GBK")


def sniff_delimiter(text: str, path: str = "") -> str:
    first = text.split("\n", 1)[0]
    if path.lower().endswith((".tsv", ".tab")):
        return "\t"
    if "\t" in first and first.count("\t") >= first.count(","):
        return "\t"
    return ","


def read_table(path: str | Path) -> tuple[list[str], list[list[str]], str, str]:
    """(header, rows, encoding, delimiter); header cells stripped of whitespace/BOM."""
    p = Path(path)
    if not p.exists():
        raise TableError(f"{path}: file not found")
    if p.is_dir():
        raise TableError(f"{path}: is a directory, not a CSV file")
    text, enc = decode(p.read_bytes(), str(path))
    delim = sniff_delimiter(text, str(path))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise TableError(f"{path}: empty file (no header row)") from None
    header = [h.strip().lstrip("\ufeff").strip() for h in header]
    rows = [r for r in reader if any(c.strip() for c in r)]
    return header, rows, enc, delim


def load_labelled(path: str | Path, text_columns: Sequence[str], label_column: str,
                  *, require_label: bool = True) -> LabelledRows:
    """Read one file: text = the text columns joined by newlines (a column the
    file lacks counts as empty), label = the label column (stripped). Rows
    without a label or without any text are skipped and recorded."""
    header, rows, enc, delim = read_table(path)
    index = {h: i for i, h in enumerate(header)}
    shown = ", ".join(header) if header else "(none)"
    if label_column not in index and require_label:
        raise TableError(f"{path}: label column '{label_column}' not found; columns are: {shown}")
    present = [c for c in text_columns if c in index]
    if not present:
        raise TableError(
            f"{path}: none of the text columns {', '.join(text_columns)} found; columns are: {shown}"
        )
    out = LabelledRows(path=str(path), encoding=enc, delimiter=delim,
                       missing_text_columns=[c for c in text_columns if c not in index])
    li = index.get(label_column)
    for n, row in enumerate(rows, start=1):
        out.n_rows += 1
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
