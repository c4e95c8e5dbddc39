"""Input formats: read a file row by row and turn each row into a `Row` (or the reasons it is refused).

Two formats (docs/import.md describes them fully):

* ``csv`` — Jiesu's own format: CSV (UTF-8, or GBK/GB18030) with a header naming the columns
  (`CSV_COLUMNS`, or their Chinese names, `CSV_CHINESE_NAMES`); external_id, created_at and text are
  required.
* ``us311`` — the 311 service-request exports of Los Angeles (MyLA311:
  SRNumber, CreatedDate, RequestType, Owner, …) and New York City (Unique Key,
  Created Date, Complaint Type, Agency, …), recognised from the header. Request
  types map to categories (`US_TYPES`), agencies to departments
  (`US_AGENCIES`), request sources to channels. Their coordinates lie in the
  United States: they are kept as given (WGS-84), the place (district, street,
  grid) stays empty and the city's bounding box is not checked. Rows without
  coordinates are refused: a foreign request has no other usable place.

A format only reads and checks one row at a time; classification, locating,
routing and writing happen in jiesu.importer.services, batch by batch.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
from datetime import datetime, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

from jiesu.core.params import first_phone_number
from jiesu.core.worded import WordedError, english, gettext_noop
from jiesu.dispatch.coords import SYSTEMS, looks_swapped, negative_field, to_wgs84
from jiesu.dispatch.tabular import TableError, choose_encoding, line_of

ID_MAX = 50  # idempotency_key "import:{source}:{id}" must fit 80 characters; sources are at most 20
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,19}$")
TITLE_MAX = 120
TEXT_MAX = 4000
ADDRESS_MAX = 200

CHANNELS = {
    "phone": "phone", "电话": "phone", "12345": "phone", "热线": "phone",
    "web": "web", "网站": "web", "网络": "web", "网上": "web",
    "app": "app", "手机": "app", "客户端": "app", "小程序": "app",
    "patrol": "patrol", "巡查": "patrol", "巡查上报": "patrol",
    "sensor": "sensor", "传感器": "sensor", "感知": "sensor",
    "api": "api", "接口": "api",
    "import": "import", "导入": "import",
}
REQUEST_TYPES = {
    "consult": "consult", "咨询": "consult",
    "help": "help", "求助": "help",
    "complaint": "complaint", "投诉": "complaint",
    "report": "report", "举报": "report",
    "suggestion": "suggestion", "建议": "suggestion",
}
STATES = {
    "closed": True, "已办结": True, "办结": True, "已关闭": True, "关闭": True, "已完成": True,
    "open": False, "未办结": False, "办理中": False, "处理中": False, "待办": False,
}


class FormatError(WordedError):
    """The file as a whole cannot be read in this format (wrong header, unknown format…): its code and figures,
    worded in the command's language (services words it with gettext; str() is English)."""

    WORDS = {
        "neither_encoding": gettext_noop("neither UTF-8 nor GBK/GB18030 text (line %(line)d is not UTF-8): save the "
                                         "file as UTF-8 CSV"),
        "unreadable": gettext_noop("cannot read the file (%(why)s)"),
        "empty": gettext_noop("empty file"),
        "header_only": gettext_noop("the file has only a header, no data rows"),
        "not_csv": gettext_noop("not a CSV file (%(why)s)"),
        "not_csv_bytes": gettext_noop("not a CSV file (line %(line)d: %(why)s)"),
        "not_utf8_later": gettext_noop("line %(line)d: bytes that are not UTF-8 text, as the file's start was "
                                       "(%(why)s); save the whole file as UTF-8 CSV"),
        "not_gbk_later": gettext_noop("line %(line)d: bytes that are not GBK/GB18030 text, as the file's start was "
                                      "(%(why)s); save the whole file as UTF-8 CSV"),
        "not_utf8_later_looks": gettext_noop("line %(line)d: bytes that are not UTF-8 text, as the file's start was "
                                             "(%(why)s); line %(line)d looks %(encoding)s-encoded; save the whole "
                                             "file as UTF-8 CSV"),
        "not_gbk_later_looks": gettext_noop("line %(line)d: bytes that are not GBK/GB18030 text, as the file's start "
                                            "was (%(why)s); line %(line)d looks %(encoding)s-encoded; save the whole "
                                            "file as UTF-8 CSV"),
        "columns_twice": gettext_noop("one field in several columns: %(fields)s"),
        "columns_missing": gettext_noop("missing column(s): %(columns)s"),
        "columns_missing_us311": gettext_noop("missing column(s): %(columns)s; the header is a Los Angeles or New York "
                                              "City 311 export's: use --format us311"),
        "not_311": gettext_noop("not a Los Angeles (SRNumber, …) or New York City (Unique Key, …) 311 export"),
        "unknown_format": gettext_noop("unknown format %(name)r: use one of %(formats)s"),
        "bad_source": gettext_noop("source %(source)r: 1–20 characters of a-z, 0-9, '.', '_', '-'"),
        "semicolon_separated": gettext_noop("the header is one column holding semicolons: the file is not "
                                            "comma-separated; save it as comma-separated CSV"),
        "tab_separated": gettext_noop("the header is one column holding tabs: the file is not comma-separated; "
                                      "save it as comma-separated CSV"),
        "bar_separated": gettext_noop("the header is one column holding vertical bars (|): the file is not "
                                      "comma-separated; save it as comma-separated CSV"),
        "scientific_id": gettext_noop("line %(line)d: the external id “%(value)s” looks turned into scientific "
                                      "notation by Excel (its digits are lost): format the id column as text and "
                                      "export the file again"),
    }

    def words(self, translate=english):
        """As Worded's; "mostly_utf8" counts its lines (ngettext in the active language, else English's forms)."""
        if self.code != "mostly_utf8":
            return super().words(translate)
        if translate is english:
            plural = _english_plural
        else:  # worded by a command, in its language: Django is there (this module itself stays pure)
            from django.utils.translation import ngettext as plural
        return plural("mostly UTF-8 text, but line %(line)d looks GBK/GB18030-encoded (%(count)d such line): save "
                      "the whole file as UTF-8 CSV",
                      "mostly UTF-8 text, but line %(line)d looks GBK/GB18030-encoded (%(count)d such lines): save "
                      "the whole file as UTF-8 CSV", self.figures["count"]) % self.figures


def _english_plural(singular, plural, n):
    return singular if n == 1 else plural


class Row:
    """One input row, checked: plain values ready for classification, locating, routing and writing."""

    __slots__ = ("line", "external_id", "key", "created_at", "closed_at", "channel", "request_type", "title",
                 "text", "address", "lon", "lat", "foreign", "category", "category_from", "place_unit",
                 "lead_hint", "citizen_name", "citizen_phone", "anonymous", "closed", "reply", "replied_at",
                 "extra", "notes")

    def __init__(self, line):
        self.line = line
        self.lon = self.lat = self.closed_at = self.replied_at = None
        self.category = self.place_unit = self.lead_hint = None
        self.category_from = ""
        self.foreign = False
        self.anonymous = False
        self.citizen_name = self.citizen_phone = self.reply = self.address = ""
        self.extra = None
        self.notes = None

    def note(self, code, value):
        if self.notes is None:
            self.notes = []
        self.notes.append((code, value))

    def classify_text(self):
        """What the classifier reads: the title on the first line, then the text (as the model was trained)."""
        text, title = self.text, self.title
        if title and not text.startswith(title):
            return f"{title}\n{text}"
        return text


def visible(value):
    """A value for the report, its NUL characters shown as ␀."""
    return value.replace("\x00", "\u2400")


class Rejected:
    """A row refused: [(field, reason code, params, value)]."""

    __slots__ = ("line", "external_id", "errors")

    def __init__(self, line, external_id, errors):
        self.line, self.external_id, self.errors = line, external_id, errors


# ─────────────────────────────────────────────────────────────── reading


class _CountingRaw(io.RawIOBase):
    """A binary file that counts the bytes read (for the progress bar)."""

    def __init__(self, fh):
        self.fh, self.count = fh, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.fh.readinto(buffer)
        self.count += n or 0
        return n

    def close(self):
        self.fh.close()
        super().close()


SNIFF_BYTES = 1 << 20  # the encoding is chosen from a megabyte of the file, from its first byte that is not ASCII
CHUNK_BYTES = 1 << 20  # the file is decoded a megabyte at a time
ASCII_SCAN_BYTES = 64 << 20  # how far the first byte that is not ASCII is looked for
NOT_ASCII = re.compile(rb"[\x80-\xff]")


class BadBytes(ValueError):
    """Bytes that are not text in the file's encoding, on physical line `line`; `looks`: the encoding that line
    reads as instead (line_looks), or ''."""

    def __init__(self, line, reason, looks=""):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason, self.looks = line, reason, looks


CHINESE = re.compile("[\u4e00-\u9fff]")


def line_looks(raw, encoding):
    """The encoding a line's bytes, which are not text in the file's `encoding`, read as instead: "GBK/GB18030"
    (when they decode so and hold Chinese), "UTF-8", or '' (neither)."""
    other = "utf-8" if encoding == "gb18030" else "gb18030"
    try:
        text = raw.decode(other)
    except UnicodeDecodeError:
        return ""
    if other == "utf-8":
        return "UTF-8"
    return "GBK/GB18030" if CHINESE.search(text) else ""


def line_around(data, offset):
    """The bytes of the physical line that holds byte `offset` (without its line end)."""
    start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    ends = [end for end in (data.find(b"\n", offset), data.find(b"\r", offset)) if end >= 0]
    return data[start:min(ends, default=len(data))]


def count_lines(text):
    """Lines ended in `text`, as the csv module counts them (a line ends with \\n, \\r\\n or \\r)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


class Lines:
    """A binary file's text as the lines csv.reader reads (split at \\n, \\r\\n or a lone \\r, line ends kept: as
    a text file opened with newline=''), decoded CHUNK_BYTES at a time. Each read is cut after its last line end
    (never inside a character: a line end is no part of a UTF-8 or GB18030 one), so bytes that are not text in
    `encoding` raise BadBytes naming their own line, once every line before it has been handed out."""

    def __init__(self, fh, encoding):
        self.fh = fh
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # a BOM is skipped by open_text
        self.lines = 0  # lines handed out in whole chunks

    def __iter__(self):
        return chain.from_iterable(self._texts())  # each text's lines are handed out in C, not by a generator

    def _texts(self):
        """Each read's whole lines as a text file (io.StringIO, split as csv reads a file opened with newline='')."""
        read, encoding, pending = self.fh.read, self.encoding, []
        while True:
            chunk = read(CHUNK_BYTES)
            if chunk:
                # after the last line end of this read; a \\r at its very end may be half of a \\r\\n
                cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r", 0, len(chunk) - 1)) + 1
                if not cut:  # no line ends here: a long line goes on
                    pending.append(chunk)
                    continue
                pending.append(chunk[:cut])
                data, pending = b"".join(pending), [chunk[cut:]]
            else:
                data, pending = b"".join(pending), []
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                text = data[:exc.start].decode(encoding)
                whole = text[:max(text.rfind("\n"), text.rfind("\r")) + 1]  # the lines before the bad bytes'
                yield io.StringIO(whole, newline="")
                raise BadBytes(self.lines + count_lines(whole) + 1, exc.reason,
                               line_looks(line_around(data, exc.start), encoding)) from None
            yield io.StringIO(text, newline="")
            if not chunk:
                return
            self.lines += count_lines(text)


def open_text(path):
    """(Lines for csv, counting raw stream, size in bytes, encoding): UTF-8 with or without a BOM, or GB18030 (⊇ GBK,
    what Excel saves as "CSV" on a Chinese Windows) when the file's first megabyte of text is not UTF-8."""
    encoding = sniff_encoding(path)
    size = os.path.getsize(path)
    raw = _CountingRaw(open(path, "rb", buffering=0))
    buffered = io.BufferedReader(raw, CHUNK_BYTES)
    if encoding == "utf-8-sig" and buffered.peek(3)[:3] == codecs.BOM_UTF8:
        buffered.read(3)
    return Lines(buffered, encoding), raw, size, encoding


def sniff_encoding(path) -> str:
    """The first of tabular.ENCODINGS that decodes SNIFF_BYTES of the file from its first byte that is not ASCII
    (as `jiesu dispatch evaluate` chooses; a character cut at the sample's end is fine). A file whose first
    ASCII_SCAN_BYTES are ASCII (a large 311 export) is UTF-8, of which ASCII is a part."""
    with open(path, "rb") as fh:
        block, skipped = fh.read(SNIFF_BYTES), 0
        while block and skipped < ASCII_SCAN_BYTES:
            found = NOT_ASCII.search(block)
            if found:
                sample = block[found.start():]
                while len(sample) < SNIFF_BYTES:
                    more = fh.read(SNIFF_BYTES - len(sample))
                    if not more:
                        break
                    sample += more
                final = not fh.read(1)
                break
            skipped += len(block)
            block = fh.read(SNIFF_BYTES)
        else:
            return "utf-8-sig"
    try:
        return choose_encoding(sample, final)
    except TableError:
        where = skipped + found.start()
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = skipped + found.start() + exc.start
        with open(path, "rb") as fh:
            line = line_of(fh.read(where), where)
        not_utf8 = lines_not_utf8(sample, final)
        if not_utf8 and line_looks(not_utf8[0], "utf-8") == "GBK/GB18030":
            raise FormatError("mostly_utf8", line=line, count=len(not_utf8)) from None
        raise FormatError("neither_encoding", line=line) from None


def lines_not_utf8(sample, final):
    """The lines of `sample` that are not UTF-8, when they are fewer than those that are and hold more than ASCII
    (a UTF-8 file with a few lines pasted in from another); else []. A line cut at a sample's end is left out."""
    lines = sample.splitlines()
    if not final:
        lines = lines[:-1]
    bad, good = [], 0
    for raw in lines:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(raw)
            continue
        good += not raw.isascii()
    return bad if len(bad) < good else []


class Reader:
    """Rows of a CSV file with their line numbers: (line, values)."""

    def __init__(self, path):
        self.path = path
        try:
            self.lines, self.raw, self.size, self.encoding = open_text(path)
        except OSError as exc:
            raise FormatError("unreadable", why=exc.strerror or str(exc), errno=exc.errno) from None
        self.csv = csv.reader(self.lines)
        try:
            self.header = [h.strip().lstrip("\ufeff") for h in next(self.csv)]
        except StopIteration:
            self.close()
            raise FormatError("empty") from None
        except BadBytes as exc:
            self.close()
            raise FormatError("not_csv_bytes", line=exc.line, why=exc.reason) from None
        except csv.Error as exc:
            self.close()
            raise FormatError("not_csv", why=str(exc)) from None
        self._last = self.csv.line_num
        self._rows, self._first, self._failed = self._read(), None, None
        try:  # a file of a header alone is refused now, before a report is written
            self._first = next(self._rows, None)
        except (FormatError, csv.Error) as exc:  # the first row's: raised when the rows are read, in their turn
            self._failed = exc
        if self._first is None and self._failed is None:
            self.close()
            raise FormatError("header_only")

    @property
    def bytes_read(self):
        return self.raw.count

    def __iter__(self):
        if self._failed is not None:
            raise self._failed
        return chain((self._first,), self._rows)

    def _read(self):
        reader = self.csv
        last = self._last
        try:
            for values in reader:
                if not values:  # a blank line
                    last = reader.line_num
                    continue
                yield last + 1, values
                last = reader.line_num
        except BadBytes as exc:
            code = "not_utf8_later" if self.encoding.startswith("utf-8") else "not_gbk_later"
            if exc.looks:
                raise FormatError(code + "_looks", line=exc.line, why=exc.reason, encoding=exc.looks) from None
            raise FormatError(code, line=exc.line, why=exc.reason) from None

    def close(self):
        self.lines.fh.close()


# ─────────────────────────────────────────────────────────────── shared checks


def parse_time(value, tz):
    """An aware datetime from ISO 8601 and common variants; naive times are in `tz`. None if unparseable."""
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
        candidate = value.replace("/", "-").replace("年", "-").replace("月", "-").replace("日", " ").strip()
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
            try:
                moment = datetime.strptime(candidate, pattern)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


#: what Excel makes of a long number in a cell formatted "General": 2.02501E+14 (the digits after the sixth are lost)
SCIENTIFIC_NOTATION = re.compile(r"^[0-9](\.[0-9]+)?[eE]\+[0-9]+$")
#: an Excel date serial number (days since 1899-12-30, the time as the fraction): 45662.376 is 2025-01-05 09:01;
#: 20000 to 80000 are the years 1954 to 2119
EXCEL_SERIAL = re.compile(r"^[2-7][0-9]{4}(\.[0-9]+)?$")


def bad_time(value):
    """The reason code for a date and time that cannot be read: excel_serial_date when it looks like Excel's
    date serial number (a column formatted as a number), else bad_date."""
    return "excel_serial_date" if EXCEL_SERIAL.match(value.strip()) else "bad_date"


def lost_leading_zero(value):
    """Whether an unusable phone number is a usable one that lost its leading 0 (Excel reads 01065123456 as a
    number: 1065123456)."""
    digits = value.strip()
    return digits.isdigit() and first_phone_number("0" + digits)[0] is not None


def check_separator(header):
    """Refuse a header that is one column holding a semicolon, a tab or a vertical bar: a file separated by one
    of those (Excel's "CSV" in a European locale, a tab-separated export) read as comma-separated."""
    if len(header) != 1:
        return
    for separator, code in ((";", "semicolon_separated"), ("\t", "tab_separated"), ("|", "bar_separated")):
        if separator in header[0]:
            raise FormatError(code)


def parse_float(value):
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


class Lookups:
    """What formats need from the database: categories and units by code or name, the clock, the city."""

    def __init__(self, categories_by_code, categories_by_name, units_by_code, units_by_name, now, tz, bbox,
                 require_coordinates=False):
        self.categories_by_code = categories_by_code
        self.categories_by_name = categories_by_name
        self.units_by_code = units_by_code
        self.units_by_name = units_by_name
        self.now = now
        self.latest = now + timedelta(minutes=5)  # a little clock skew between systems is fine
        self.tz = tz
        self.bbox = bbox
        self.require_coordinates = require_coordinates

    def in_bbox(self, lon, lat) -> bool:
        """Whether a WGS-84 point lies in the city's box (settings CITY_BBOX: west, south, east, north)."""
        west, south, east, north = self.bbox
        return west <= lon <= east and south <= lat <= north

    def category(self, value):
        value = value.strip()
        return self.categories_by_code.get(value) or self.categories_by_name.get(value)

    def unit(self, value):
        value = value.strip()
        return self.units_by_code.get(value) or self.units_by_name.get(value)


# ─────────────────────────────────────────────────────────────── our own csv

CSV_COLUMNS = ("external_id", "created_at", "closed_at", "channel", "type", "title", "text", "address", "lon", "lat",
               "coord_system", "category", "citizen_name", "citizen_phone", "state", "reply", "replied_at",
               "street_code", "unit")
CSV_REQUIRED = ("external_id", "created_at", "text")
#: the Chinese names 12345 exports give the columns, each → our column (a header may use either)
CSV_CHINESE_NAMES = {
    "external_id": ("工单编号", "工单号", "编号"),
    "created_at": ("受理时间", "来电时间", "创建时间", "登记时间"),
    "closed_at": ("办结时间", "结案时间"),
    "channel": ("来源渠道", "受理渠道", "渠道", "来源"),
    "type": ("诉求类型", "类型"),
    "title": ("诉求标题", "工单标题", "标题"),
    "text": ("诉求内容", "问题描述", "诉求描述", "内容"),
    "address": ("事发地址", "诉求地址", "地址"),
    "lon": ("经度",),
    "lat": ("纬度",),
    "coord_system": ("坐标系",),
    "category": ("问题分类", "诉求分类", "分类"),
    "citizen_name": ("来电人", "市民姓名", "姓名"),
    "citizen_phone": ("联系电话", "来电号码", "电话"),
    "state": ("工单状态", "办理状态", "状态"),
    "reply": ("答复内容", "办理结果", "处理结果", "答复"),
    "replied_at": ("答复时间",),
    "street_code": ("街乡编码", "街道编码", "街乡镇编码", "区划代码"),
    "unit": ("承办单位", "主办单位", "责任单位"),
}
CSV_COLUMN_OF = {**{c: c for c in CSV_COLUMNS}, **{n: c for c, names in CSV_CHINESE_NAMES.items() for n in names}}


def district_of_code(code, lookups):
    """The district that a 9- or 12-digit place code (a street's or a community's, NBS style) names in its first 6
    digits, when the org tree lacks the code itself (a development zone, a street created since); else None."""
    if len(code) not in (9, 12) or not code.isdigit():
        return None
    unit = lookups.units_by_code.get(code[:6])
    return unit if unit is not None and str(unit.kind) == "district" else None


class Format:
    name = ""
    source = ""
    field_names = {}
    id_column = "external_id"  # the key of `index` that holds the external id

    def read(self, line, values):
        """`parse`, except that a row holding a NUL character is refused at once, naming each column that holds
        one: PostgreSQL cannot store it in text, and no column of a citizen's request means it; and an external id
        in scientific notation stops the file (FormatError): Excel changed the whole column, the ids are lost."""
        self.checked_id(line, values)
        if "\x00" in "".join(values):
            names = self.header + [f"#{i + 1}" for i in range(len(self.header), len(values))]  # beyond the header
            return Rejected(line, visible(self.external_id_of(values)), [
                (name, "nul", None, visible(value)) for name, value in zip(names, values) if "\x00" in value])
        return self.parse(line, values)

    def checked_id(self, line, values):
        """The row's external id (external_id_of); FormatError when it is in scientific notation."""
        external_id = self.external_id_of(values)
        if "+" in external_id and SCIENTIFIC_NOTATION.match(external_id):
            raise FormatError("scientific_id", line=line, value=external_id)
        return external_id

    def external_id_of(self, values):
        """A row's external id as `parse` reads it (stripped; "" when the row is too short), without parsing it."""
        i = self.index[self.id_column]
        return values[i].strip() if i < len(values) else ""

    def field(self, name):
        """The column name the user knows for one of our fields (for the report)."""
        return self.field_names.get(name, name)


class CsvFormat(Format):
    """Jiesu's own CSV (docs/import.md#csv)."""

    name = "csv"

    def __init__(self, header, lookups, source="csv"):
        columns = [CSV_COLUMN_OF.get(h) for h in header]  # our column for each, None for one we do not read
        twice = [c for c in CSV_COLUMNS if columns.count(c) > 1]
        if twice:
            raise FormatError("columns_twice", fields="; ".join(
                f"{c} ({', '.join(h for h, k in zip(header, columns) if k == c)})" for c in twice))
        missing = [c for c in CSV_REQUIRED if c not in columns]
        if missing:
            us311 = "external_id" in missing and any(d.columns["id"] in header for d in (LA, NYC))
            raise FormatError("columns_missing_us311" if us311 else "columns_missing",
                              columns=", ".join(f"{c} ({CSV_CHINESE_NAMES[c][0]})" for c in missing))
        self.unknown_columns = [h for h, c in zip(header, columns) if h and c is None]
        self.index = {c: columns.index(c) for c in CSV_COLUMNS if c in columns}
        self.field_names = {c: h for h, c in zip(header, columns) if c is not None and h != c}  # for the report
        self.header, self.width = list(header), len(header)
        self.lookups = lookups
        self.source = source

    def parse(self, line, values):
        if len(values) != self.width:
            return Rejected(line, self.external_id_of(values),
                            [("", "field_count", {"n": len(values), "m": self.width}, "")])
        idx = self.index
        get = lambda name: values[idx[name]] if name in idx else ""  # noqa: E731
        errors = []
        look = self.lookups
        row = Row(line)
        external_id = values[idx["external_id"]].strip()
        row.external_id = external_id
        if not external_id:
            errors.append(("external_id", "missing_id", None, ""))
        elif len(external_id) > ID_MAX:
            errors.append(("external_id", "id_too_long", {"n": ID_MAX}, external_id))
        row.key = f"import:{self.source}:{external_id}"

        created_raw = values[idx["created_at"]]
        created = None
        if not created_raw.strip():
            errors.append(("created_at", "missing_created", None, ""))
        else:
            created = parse_time(created_raw, look.tz)
            if created is None:
                errors.append(("created_at", bad_time(created_raw), {"v": created_raw}, created_raw))
            elif created > look.latest:
                errors.append(("created_at", "future", None, created_raw))
        row.created_at = created
        closed_raw = get("closed_at")
        closed = None
        if closed_raw.strip():
            closed = parse_time(closed_raw, look.tz)
            if closed is None:
                errors.append(("closed_at", bad_time(closed_raw), {"v": closed_raw}, closed_raw))
            elif created is not None and closed < created:
                errors.append(("closed_at", "closed_before_created", None, closed_raw))
            elif closed > look.latest:
                errors.append(("closed_at", "future", None, closed_raw))
        row.closed_at = closed
        state_raw = get("state").strip()
        if state_raw:
            is_closed = STATES.get(state_raw.lower())
            if is_closed is None:
                errors.append(("state", "bad_state", {"v": state_raw}, state_raw))
            elif is_closed and not closed_raw.strip():
                errors.append(("closed_at", "closed_without_time", None, ""))
            elif not is_closed and closed_raw.strip():
                errors.append(("state", "open_with_close_time", None, state_raw))
            row.closed = bool(is_closed)
        else:
            row.closed = bool(closed_raw.strip())
        replied_raw = get("replied_at")
        if replied_raw.strip():
            replied = parse_time(replied_raw, look.tz)
            if replied is None:
                errors.append(("replied_at", bad_time(replied_raw), {"v": replied_raw}, replied_raw))
            elif created is not None and replied < created:
                errors.append(("replied_at", "replied_before_created", None, replied_raw))
            elif replied > look.latest:
                errors.append(("replied_at", "replied_in_future", None, replied_raw))
            elif closed is not None and replied > closed:  # the reply comes before the callback and the closing
                errors.append(("replied_at", "replied_after_closed", None, replied_raw))
            row.replied_at = replied

        channel_raw = get("channel").strip()
        if channel_raw:
            channel = CHANNELS.get(channel_raw.lower())
            if channel is None:
                errors.append(("channel", "bad_channel", {"v": channel_raw}, channel_raw))
            row.channel = channel
        else:
            row.channel = "import"
        type_raw = get("type").strip()
        if type_raw:
            request_type = REQUEST_TYPES.get(type_raw.lower())
            if request_type is None:
                errors.append(("type", "bad_type", {"v": type_raw}, type_raw))
            row.request_type = request_type
        else:
            row.request_type = ""

        text = values[idx["text"]].strip()
        if not text:
            errors.append(("text", "empty_text", None, ""))
        elif len(text) > TEXT_MAX:
            errors.append(("text", "text_too_long", {"n": TEXT_MAX}, text[:40] + "…"))
        row.text = text
        title = get("title").strip()
        if not title and text:
            title = text.splitlines()[0][:40]
        elif len(title) > TITLE_MAX:
            errors.append(("title", "title_too_long", {"n": TITLE_MAX}, title[:40] + "…"))
        row.title = title
        row.address = get("address").strip()[:ADDRESS_MAX]
        reply = get("reply").strip()
        row.reply = reply
        if row.replied_at is None and reply and closed is not None:
            row.replied_at = closed
        if not row.closed:  # an open row with a reply is replied, awaiting the callback: it needs both
            if reply and not replied_raw.strip():
                errors.append(("replied_at", "reply_without_time", None, ""))
            elif replied_raw.strip() and not reply:
                errors.append(("reply", "replied_without_reply", None, ""))

        lon_raw, lat_raw = get("lon").strip(), get("lat").strip()
        if lon_raw or lat_raw:
            if not (lon_raw and lat_raw):
                field = "lat" if lon_raw else "lon"
                errors.append((field, "half_coordinates", None, ""))
            else:
                lon, lat = parse_float(lon_raw), parse_float(lat_raw)
                if lon is None:
                    errors.append(("lon", "bad_number", {"v": lon_raw}, lon_raw))
                if lat is None:
                    errors.append(("lat", "bad_number", {"v": lat_raw}, lat_raw))
                if lon is not None and lat is not None:
                    system = (get("coord_system").strip() or "wgs84").lower().replace("-", "").replace("_", "")
                    if system not in SYSTEMS:
                        errors.append(("coord_system", "bad_coord_system", {"v": get("coord_system")},
                                       get("coord_system")))
                    elif looks_swapped(lon, lat):  # out of range or out of China, unless read the other way round
                        errors.append(("lon", "coordinates_swapped", {"lon": round(lat), "lat": round(lon)},
                                       f"{lon_raw}, {lat_raw}"))
                    elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
                        errors.append(("lon", "coordinates_out_of_range", None, f"{lon_raw}, {lat_raw}"))
                    else:
                        typed = lon, lat
                        lon, lat = to_wgs84(lon, lat, system)
                        if not look.in_bbox(lon, lat):
                            negative = negative_field(*typed, lambda x, y: look.in_bbox(*to_wgs84(x, y, system)))
                            errors.append((negative or "lon", "coordinates_negative" if negative else "outside_city",
                                           None, f"{lon_raw}, {lat_raw}"))
                        row.lon, row.lat = lon, lat
        elif look.require_coordinates:
            errors.append(("lon", "missing_coordinates", None, ""))

        name = get("citizen_name").strip()
        phone_raw = get("citizen_phone")
        phone, more = first_phone_number(phone_raw)  # the intake's rule: a bad number does not cost its ticket
        if phone is None:
            phone = ""
            row.note("phone_lost_zero" if lost_leading_zero(phone_raw) else "unusable_phone", phone_raw.strip())
        elif more:
            row.note("first_phone_kept", phone_raw.strip())
        row.citizen_name, row.citizen_phone = name[:60], phone

        category_raw = get("category").strip()
        if category_raw:
            category = look.category(category_raw)
            if category is None:
                row.note("unknown_category", category_raw)
            else:
                row.category, row.category_from = category, "file"
        street_raw = get("street_code").strip()
        if street_raw:
            unit = look.units_by_code.get(street_raw)
            if unit is None or str(unit.kind) not in ("district", "street", "community", "grid"):
                unit = district_of_code(street_raw, look)
                row.note("place_code_district" if unit is not None else "unknown_place", street_raw)
            row.place_unit = unit
        unit_raw = get("unit").strip()
        if unit_raw:
            unit = look.unit(unit_raw)
            if unit is None or not unit.active:
                row.note("unknown_unit", unit_raw)
            else:
                row.lead_hint = unit
        if errors:
            return Rejected(line, external_id, errors)
        return row


# ─────────────────────────────────────────────────────────────── US 311

#: 311 request type (LA RequestType / NYC Complaint Type) → category code. Common types only;
#: the others are classified from the text. Codes 90.xx.xxxxx are the GB/T 47678.5 matters.
US_TYPES = {
    # Los Angeles (MyLA311)
    "Bulky Items": "04.05.04",                   # 大件与装修垃圾清运
    "Graffiti Removal": "90.06.06004",           # 建筑物外立面污损
    "Illegal Dumping Pickup": "90.06.06010",     # 暴露垃圾
    "Metal/Household Appliances": "90.06.06035",  # 废弃家具设备
    "Electronic Waste": "90.06.06035",           # 废弃家具设备
    "Homeless Encampment": "11.02.04",           # 流浪乞讨救助
    "Dead Animal Removal": "90.06.06037",        # 动物尸体
    "Single Streetlight Issue": "03.05.02",      # 路灯不亮
    "Multiple Streetlight Issue": "03.05.02",    # 路灯不亮
    "Report Water Waste": "02.01.04",            # 供水管线漏水跑水
    "Feedback": "15.03.01",                      # 城市发展建议
    # New York City
    "Noise - Residential": "90.06.06028",        # 噪声扰民
    "Noise - Street/Sidewalk": "90.06.06028",    # 噪声扰民
    "Noise - Commercial": "04.01.01",            # 商业经营噪声
    "Noise - Vehicle": "04.01.04",               # 交通噪声
    "Noise - Park": "04.01.03",                  # 广场舞噪声
    "Noise - Helicopter": "04.01.04",            # 交通噪声
    "Noise": "90.06.06028",                      # 噪声扰民
    "Illegal Parking": "05.03.01",               # 道路违法停车
    "Blocked Driveway": "05.03.01",              # 道路违法停车
    "Abandoned Vehicle": "05.03.04",             # 僵尸车与废弃车辆
    "Encampment": "11.02.04",                    # 流浪乞讨救助
    "Homeless Person Assistance": "11.02.04",    # 流浪乞讨救助
    "Panhandling": "90.09.09003",                # 流浪乞讨
    "Rodent": "08.02.03",                        # 病媒生物防治
    "Street Condition": "05.04.01",              # 道路破损与坑洼
    "Taxi Complaint": "05.02.01",                # 出租车服务
    "Illegal Fireworks": "10.04.05",             # 燃放烟花爆竹
    "Traffic": "05.04.05",                       # 交通拥堵与组织
    "Non-Emergency Police Matter": "10.02.01",   # 治安隐患
    "Drinking": "10.02.01",                      # 治安隐患
    "Missed Collection": "03.03.02",             # 垃圾清运
    "Dumpster Complaint": "03.03.02",            # 垃圾清运
    "Residential Disposal Complaint": "03.03.02",  # 垃圾清运
    "Dirty Condition": "03.03.01",               # 道路清扫保洁
    "Street Sweeping Complaint": "03.03.01",     # 道路清扫保洁
    "Illegal Dumping": "90.06.06010",            # 暴露垃圾
    "Dead Animal": "90.06.06037",                # 动物尸体
    "Broken Parking Meter": "05.03.02",          # 停车场收费与管理
    "Food Establishment": "09.01.01",            # 餐饮食品安全
    "Food Poisoning": "09.01.01",                # 餐饮食品安全
    "Mobile Food Vendor": "90.09.09001",         # 无照经营游商
    "Violation of Park Rules": "04.06.04",       # 公园管理与服务
    "Bridge Condition": "05.04.04",              # 过街设施与天桥
    "Street Sign - Missing": "05.04.03",         # 交通标志标线
    "Street Sign - Damaged": "05.04.03",         # 交通标志标线
    "Traffic Signal Condition": "05.04.02",      # 交通信号灯故障
    "Street Light Condition": "03.05.02",        # 路灯不亮
    "Water System": "02.01.04",                  # 供水管线漏水跑水
    "Sewer": "02.02.01",                         # 污水管道堵塞外溢
    "HEAT/HOT WATER": "02.05.01",                # 供暖（见分类目录）
    "Lost Property": "15.01.02",                 # 办事指引
}

#: 311 agency (LA Owner / NYC Agency) → the Beijing unit that does that job (by code).
US_AGENCIES = {
    "BOS": "CD-CGW",     # LA Bureau of Sanitation → 市城市管理委员会 (环卫)
    "OCB": "CD-ZFJ",     # LA Office of Community Beautification (graffiti) → 市城市管理综合行政执法局
    "BSL": "CD-CGW",     # LA Bureau of Street Lighting → 市城市管理委员会 (路灯)
    "BSS": "CD-JTW",     # LA Bureau of Street Services → 市交通委员会 (道路)
    "LADWP": "EN-WATER",  # LA Department of Water and Power → 北京市自来水集团
    "ITA": "HC",         # LA Information Technology Agency (runs 311) → 12345市民服务热线中心
    "NYPD": "CD-GAJ",    # → 市公安局
    "DSNY": "CD-CGW",    # NYC Sanitation → 市城市管理委员会
    "DOT": "CD-JTW",     # NYC Transportation → 市交通委员会
    "DOHMH": "CD-WJW",   # NYC Health and Mental Hygiene → 市卫生健康委员会
    "TLC": "CD-JTW",     # NYC Taxi and Limousine Commission → 市交通委员会
    "DHS": "CD-MZJ",     # NYC Homeless Services → 市民政局
    "EDC": "CD-FGW",     # NYC Economic Development Corporation → 市发展和改革委员会
    "DPR": "CD-YLLH",    # NYC Parks and Recreation → 市园林绿化局
    "DEP": "CD-SWJ",     # NYC Environmental Protection (water, sewer) → 市水务局
    "HPD": "CD-ZJW",     # NYC Housing Preservation and Development → 市住房和城乡建设委员会
    "DOB": "CD-ZJW",     # NYC Buildings → 市住房和城乡建设委员会
    "DCWP": "CD-SCJG",   # NYC Consumer and Worker Protection → 市市场监督管理局
}

#: 311 request source → channel.
US_CHANNELS = {
    "call": "phone", "voicemail": "phone", "phone": "phone",
    "mobile app": "app", "mobile": "app",
    "self service": "web", "email": "web", "online": "web", "web form": "web",
    "driver self report": "patrol",  # city crews reporting what they find: 巡查上报
}
US_CLOSED = {"closed", "cancelled", "referred out"}
US_OPEN = {"open", "in progress", "pending", "assigned", "started"}
US_TIME = "%m/%d/%Y %I:%M:%S %p"


class UsDialect:
    """Column names of one city's export."""

    def __init__(self, source, tz, columns):
        self.source, self.tz = source, ZoneInfo(tz)
        self.columns = columns


LA = UsDialect("la311", "America/Los_Angeles", {
    "id": "SRNumber", "created": "CreatedDate", "closed": "ClosedDate", "type": "RequestType", "agency": "Owner",
    "status": "Status", "channel": "RequestSource", "lat": "Latitude", "lon": "Longitude", "address": "Address",
    "anonymous": "Anonymous", "action": "ActionTaken"})
NYC = UsDialect("nyc311", "America/New_York", {
    "id": "Unique Key", "created": "Created Date", "closed": "Closed Date", "type": "Complaint Type",
    "agency": "Agency", "status": "Status", "channel": "Open Data Channel Type", "lat": "Latitude",
    "lon": "Longitude", "address": "Incident Address", "city": "City", "descriptor": "Descriptor",
    "location_type": "Location Type", "resolution": "Resolution Description"})


class Us311Format(Format):
    """Los Angeles and New York City 311 exports (docs/import.md#us311)."""

    name = "us311"
    id_column = "id"

    def __init__(self, header, lookups, source=None):
        if "SRNumber" in header:
            dialect = LA
        elif "Unique Key" in header:
            dialect = NYC
        else:
            raise FormatError("not_311")
        need = ("id", "created", "closed", "type", "agency", "status", "lat", "lon")
        missing = [dialect.columns[k] for k in need if dialect.columns[k] not in header]
        if missing:
            raise FormatError("columns_missing", columns=", ".join(missing))
        self.dialect = dialect
        self.source = source or dialect.source
        self.index = {k: header.index(c) for k, c in dialect.columns.items() if c in header}
        self.header, self.width = list(header), len(header)
        self.lookups = lookups
        self.field_names = {
            "external_id": dialect.columns["id"], "created_at": dialect.columns["created"],
            "closed_at": dialect.columns["closed"], "lon": dialect.columns["lon"], "lat": dialect.columns["lat"],
            "state": dialect.columns["status"], "text": dialect.columns["type"], "type": dialect.columns["type"],
            "agency": dialect.columns["agency"],
        }
        self.categories = {t: lookups.categories_by_code.get(code) for t, code in US_TYPES.items()}
        self.agencies = {a: lookups.units_by_code.get(code) for a, code in US_AGENCIES.items()}

    def _time(self, value):
        value = value.strip()
        try:
            return datetime.strptime(value, US_TIME).replace(tzinfo=self.dialect.tz)
        except ValueError:
            moment = parse_time(value, self.dialect.tz)
            return moment

    def parse(self, line, values):
        idx = self.index
        get = lambda name: values[idx[name]].strip() if name in idx and idx[name] < len(values) else ""  # noqa: E731
        external_id = get("id")
        if len(values) != self.width:
            return Rejected(line, external_id, [("", "field_count", {"n": len(values), "m": self.width}, "")])
        errors = []
        row = Row(line)
        row.external_id = external_id
        row.key = f"import:{self.source}:{external_id}"
        if not external_id:
            errors.append(("external_id", "missing_id", None, ""))
        elif len(external_id) > ID_MAX:
            errors.append(("external_id", "id_too_long", {"n": ID_MAX}, external_id))
        latest = self.lookups.latest
        created_raw, closed_raw = get("created"), get("closed")
        created = closed = None
        if not created_raw:
            errors.append(("created_at", "missing_created", None, ""))
        else:
            created = self._time(created_raw)
            if created is None:
                errors.append(("created_at", bad_time(created_raw), {"v": created_raw}, created_raw))
            elif created > latest:
                errors.append(("created_at", "future", None, created_raw))
        if closed_raw:
            closed = self._time(closed_raw)
            if closed is None:
                errors.append(("closed_at", bad_time(closed_raw), {"v": closed_raw}, closed_raw))
            elif created is not None and closed < created:
                errors.append(("closed_at", "closed_before_created", None, f"{closed_raw} < {created_raw}"))
            elif closed > latest:
                errors.append(("closed_at", "future", None, closed_raw))
        row.created_at, row.closed_at = created, closed
        status = get("status")
        lowered = status.lower()
        if lowered in US_CLOSED:
            row.closed = True
            if not closed_raw:
                errors.append(("closed_at", "closed_without_time", None, status))
        elif lowered in US_OPEN:
            row.closed = False
            if closed_raw:
                errors.append(("state", "open_with_close_time", None, status))
        else:  # a status we do not know: the closing time says it
            row.closed = bool(closed_raw)

        lat_raw, lon_raw = get("lat"), get("lon")
        lat = parse_float(lat_raw) if lat_raw else None
        lon = parse_float(lon_raw) if lon_raw else None
        if not lat_raw or not lon_raw or (lat == 0 and lon == 0):
            errors.append(("lat" if not lat_raw else "lon", "missing_coordinates", None, ""))
        elif lat is None or lon is None:
            errors.append(("lat" if lat is None else "lon", "bad_number", {"v": lat_raw if lat is None else lon_raw},
                           lat_raw if lat is None else lon_raw))
        elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors.append(("lon", "coordinates_out_of_range", None, f"{lon_raw}, {lat_raw}"))
        row.lon, row.lat, row.foreign = lon, lat, True

        request_type = get("type")
        descriptor = get("descriptor")
        address = get("address")
        city = get("city")
        where = ", ".join(p for p in (address, city) if p)
        row.address = where[:ADDRESS_MAX]
        if not request_type and not descriptor:
            errors.append(("text", "empty_text", None, ""))
        title = request_type or descriptor
        text = title
        if descriptor and descriptor != title:
            text += f": {descriptor}"
        location_type = get("location_type")
        if location_type:
            text += f" ({location_type})"
        if where:
            text += f" — {where}"
        row.title, row.text = title[:TITLE_MAX], text[:TEXT_MAX]
        row.request_type = ""
        row.channel = US_CHANNELS.get(get("channel").lower(), "import")
        row.anonymous = get("anonymous").upper() == "Y"
        resolution = get("resolution")
        if row.closed and resolution:  # the agency's answer to a closed request: its reply, at the closing
            row.reply, row.replied_at = resolution, closed
        category = self.categories.get(request_type)
        if category is not None:
            row.category, row.category_from = category, "mapping"
        elif request_type:
            row.note("unmapped_type", request_type)
        agency = get("agency")
        unit = self.agencies.get(agency)
        if unit is not None and unit.active:
            row.lead_hint = unit
        elif agency:
            row.note("unmapped_agency", agency)
        row.extra = {"agency": agency, "status": status, "type": request_type}
        if resolution and not row.closed:  # a progress note on an open request, not a reply: kept with the intake
            row.extra["resolution"] = resolution
        if errors:
            return Rejected(line, external_id, errors)
        return row


FORMATS = {"csv": CsvFormat, "us311": Us311Format}


def make_format(name, header, lookups, source=None):
    try:
        cls = FORMATS[name]
    except KeyError:
        raise FormatError("unknown_format", name=name, formats=", ".join(FORMATS)) from None
    if source is not None and not SOURCE_RE.match(source):
        raise FormatError("bad_source", source=source)
    check_separator(header)
    if cls is CsvFormat:
        return cls(header, lookups, source or "csv")
    return cls(header, lookups, source)
