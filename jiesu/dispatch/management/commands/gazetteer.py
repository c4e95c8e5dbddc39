"""`jiesu gazetteer load FILE` (manage.py gazetteer load …): load place names into the gazetteer (地名库) from a
CSV file, as a district's data clerk keeps them in Excel.

    jiesu gazetteer load 朝阳区小区.csv --dry-run
    jiesu gazetteer load roads.csv --lang en --report roads.report.csv

Columns, named in English or Chinese: name/地名, kind/类型 (compound/小区, road/道路, landmark/地标, alias/别名),
unit/所在单位 (a grid, community, street or district: its code, or its name when no other such unit has it),
lon/经度 and lat/纬度 (optional), coord_system/坐标系 (wgs84, gcj02 or bd09; default wgs84), note/备注, active/启用
(是/否, yes/no; default yes). UTF-8 (with or without BOM) or GBK/GB18030, as `jiesu import` reads them
(tabular.read_rows).

Every row goes through the admin form's checks (GazetteerEntry.problems: refused; .warnings: saved all the
same). Entries a load adds are of source "file": a later load of the same name for the same unit (as the locator
reads names) makes such an entry what its row says (kind, point, note, active). An entry an administrator made or
changed (source "manual": the admin makes a loaded entry so when it is saved, switched off or "deleted") or a
built-in one is left as it is, and the report says so. All the rows are written in one transaction at the end,
and the routing reference is renewed in it (router.invalidate): other processes use the new names at their next
recheck. Ctrl-C writes nothing. Prints a summary in the --lang language and, as its last line, the summary as
JSON. docs/dispatch-routing.md, "Loading names from a file".
"""
from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext, pgettext

from jiesu.core.command_line import LanguageCommand
from jiesu.core.language import add_language_option
from jiesu.core.paths import unwritable
from jiesu.dispatch import router
from jiesu.dispatch.coords import DATUM_MAPS, parse_number
from jiesu.dispatch.gazetteer import normalize
from jiesu.dispatch.locator import LocateError, check_system
from jiesu.dispatch.models import (PLACE_KINDS, EntryKind, EntrySource, GazetteerEntry, Namesakes, RecentAddresses,
                                   stored_point)
from jiesu.dispatch.tabular import TableError, read_rows

INTERRUPTED = 130  # the exit code of a command stopped by SIGINT (128 + 2), as `jiesu import` exits
#: a field → the names its column goes by (compared without case and spaces)
COLUMNS = {"name": ("name", "地名"), "kind": ("kind", "类型"), "unit": ("unit", "所在单位"), "lon": ("lon", "经度"),
           "lat": ("lat", "纬度"), "coord_system": ("coord_system", "坐标系"), "note": ("note", "备注"),
           "active": ("active", "启用")}
REQUIRED = ("name", "kind", "unit")
#: the kinds a file may give: a unit's own name comes from the org tree
KINDS = (EntryKind.COMPOUND, EntryKind.ROAD, EntryKind.LANDMARK, EntryKind.ALIAS)
SHOWN = 20  # refusals and warnings listed in the summary; all are in the report
#: what an active/启用 cell may say (without case and spaces); empty is yes
ACTIVE_WORDS = {**dict.fromkeys(("", "1", "yes", "y", "true", "是", "启用"), True),
                **dict.fromkeys(("0", "no", "n", "false", "否", "停用"), False)}
#: the fields a load sets on an entry it added before, when its row says otherwise
LOADED_FIELDS = ("kind", "lon", "lat", "note", "active")


@dataclass
class Load:
    """What a run found: the counts and the report's lines (line, result, field, reason, the row's cells)."""

    path: str
    dry_run: bool
    encoding: str = ""
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_different: int = 0
    refused: int = 0
    warned: int = 0
    seconds: float = 0.0
    report: str = ""
    lines: list = field(default_factory=list)

    @property
    def already_there(self):
        """Rows naming an entry already there: updated, unchanged, or left as an administrator made it."""
        return self.updated + self.unchanged + self.kept_different

    def as_dict(self):
        return {"file": self.path, "encoding": self.encoding, "read": self.read, "added": self.added,
                "updated": self.updated, "unchanged": self.unchanged, "kept_different": self.kept_different,
                "already_there": self.already_there, "refused": self.refused, "warned": self.warned,
                "dry_run": self.dry_run, "report": self.report, "seconds": round(self.seconds, 3)}


class Command(LanguageCommand):
    help = gettext_lazy("The gazetteer (place names): load (see `jiesu gazetteer load -h`).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        load = sub.add_parser("load", help=_("load place names (compounds, roads, landmarks, aliases) from a CSV "
                                             "file"),
                              description=_("Load place names from a CSV file (UTF-8 or GBK/GB18030) with the "
                                            "columns name/地名, kind/类型, unit/所在单位, and optionally lon/经度, "
                                            "lat/纬度, coord_system/坐标系, note/备注, active/启用; each row "
                                            "checked as the admin form checks it. A name loaded before is updated "
                                            "from its row, unless it was changed in the admin since. Last line: "
                                            "the summary as JSON."))
        load.add_argument("file", help=_("the CSV file"))
        load.add_argument("--dry-run", action="store_true",
                          help=_("check every row and write the report, but save nothing"))
        load.add_argument("--report", default=None,
                          help=_("where to write the refused, updated and warned rows, and those left as "
                                 "changed in the admin (CSV; default var/gazetteer/<file>-<time>.report.csv, "
                                 "written when there is any)"))
        add_language_option(load, printed=_("the lines printed and of the report"))

    def handle(self, *args, **opts):
        with translation.override(opts["lang"]):
            try:
                done = load_file(opts["file"], dry_run=opts["dry_run"], report=opts["report"])
            except TableError as exc:
                raise CommandError(exc.words(_)) from None
            except KeyboardInterrupt:
                raise CommandError(_("%(file)s: interrupted; nothing was saved (the rows are written in one "
                                     "transaction, at the end)") % {"file": opts["file"]},
                                   returncode=INTERRUPTED) from None
            if opts["verbosity"] > 0:
                self._print(done)
        self.stdout.write(json.dumps(done.as_dict(), ensure_ascii=False))

    def _print(self, done):
        out = self.stdout.write
        words = {**done.as_dict(), "encoding": done.encoding.removesuffix("-sig").upper(),
                 "rows_read": ngettext("read %(n)d row", "read %(n)d rows", done.read) % {"n": done.read}}
        out((_("%(file)s (%(encoding)s): %(rows_read)s: would add %(added)d, would update %(updated)d, unchanged "
               "%(unchanged)d, refused %(refused)d, with a warning %(warned)d  (%(seconds).1f s)") if done.dry_run
             else _("%(file)s (%(encoding)s): %(rows_read)s: added %(added)d, updated %(updated)d, unchanged "
                    "%(unchanged)d, refused %(refused)d, with a warning %(warned)d  (%(seconds).1f s)")) % words)
        if done.kept_different:
            out(ngettext("%(n)d row differs from an entry changed in the admin (or built in): not overwritten; "
                         "change it in the admin",
                         "%(n)d rows differ from entries changed in the admin (or built in): not overwritten; change "
                         "them in the admin", done.kept_different) % {"n": done.kept_different})
        for result, title in (("warned", _("warnings (saved all the same):") if not done.dry_run else
                               _("warnings (would be saved all the same):")), ("refused", _("refused rows:")),
                              ("kept", _("left as changed in the admin:"))):
            listed = [line for line in done.lines if line[1] == result]
            if listed:
                out(title)
            for line, _result, column, reason, _cells in listed[:SHOWN]:
                out(_("  line %(line)d, %(column)s: %(reason)s") % {"line": line, "column": column or "-",
                                                                    "reason": reason})
            if len(listed) > SHOWN:
                out(_("  … %(n)d more in the report") % {"n": len(listed) - SHOWN})
        if done.report:
            out(_("report: %(report)s") % {"report": done.report})
        if done.dry_run:
            out(_("Dry run: nothing was saved."))


def load_file(path, dry_run=False, report=None) -> Load:
    """Check every row of `path`, then add the new entries in one transaction (none with `dry_run`) and write the
    report; TableError for a file that cannot be read or lacks a column."""
    started = time.perf_counter()
    report_path = Path(report) if report else None
    if report_path is not None:
        problem = unwritable(report_path)
        if problem:
            raise CommandError(_("--report %(path)s: %(problem)s") % {"path": report_path, "problem": problem})
    header, rows, encoding, _delimiter = read_rows(path)
    columns = column_indexes(header, path)
    done = Load(path=str(path), dry_run=dry_run, encoding=encoding)
    new, changed = check_rows(rows, header, columns, done)
    if (new or changed) and not dry_run:
        with transaction.atomic():
            GazetteerEntry.objects.bulk_create(new, batch_size=1000)
            for entry in changed:  # one UPDATE each: bulk_update's CASE expressions took 6 times as long
                GazetteerEntry.objects.filter(pk=entry.pk).update(**{f: getattr(entry, f) for f in LOADED_FIELDS})
            router.invalidate()  # bulk writes send no signal: the reference is renewed here and in every process
    done.added = len(new)
    done.seconds = time.perf_counter() - started
    if done.lines:
        done.report = str(report_path or default_report_path(path))
        write_report(done, header)
    return done


class MissingColumn(TableError):
    WORDS = {"column_missing": gettext_noop("%(path)s: no column %(column)s; the columns are: %(header)s")}


def column_indexes(header, path) -> dict:
    """{field: index of its column}; a column that names no field is ignored."""
    names = {"".join(n.split()).lower(): f for f, ns in COLUMNS.items() for n in ns}
    found = {}
    for i, cell in enumerate(header):
        f = names.get("".join(cell.split()).lower())
        if f is not None and f not in found:
            found[f] = i
    for f in REQUIRED:
        if f not in found:
            raise MissingColumn("column_missing", path=str(path), column="/".join(COLUMNS[f]),
                                header=", ".join(header))
    return found


def check_rows(rows, header, columns, done) -> tuple[list, list]:
    """(the entries to add, in the order of the file; the loaded entries to update); counts and report lines go to
    `done`."""
    units = UnitFinder()
    kinds, datums = kind_names(), datum_names()
    namesakes, recent = Namesakes(), RecentAddresses()
    there = {(normalize(e.name), e.unit_id): e for e in GazetteerEntry.objects.only(
        "name", "kind", "unit_id", "lon", "lat", "note", "active", "source")}
    new, changed = [], {}
    for line, cells in rows:
        done.read += 1
        get = lambda f: cells[columns[f]].strip() if f in columns and columns[f] < len(cells) else ""  # noqa: E731
        entry, typed, errors = entry_of(get, units, kinds, datums)
        known = there.get((normalize(entry.name), entry.unit_id)) if entry.unit_id else None
        fields = differences(known, entry) if known is not None and not errors else None
        if fields == []:
            done.unchanged += 1
            continue
        if fields and known.pk is None:  # added by an earlier row of this file
            errors["name"] = _("Named for the same unit on an earlier line of this file, differently: one row per "
                               "name and unit.")
        elif fields and known.source != EntrySource.FILE:
            done.kept_different += 1
            done.lines.append((line, "kept", "", kept_reason(known, fields), cells))
            continue
        if known is not None and known.pk is not None and not errors:
            entry.pk = known.pk  # the name is the entry's own: only the point is checked again
        errors = {**entry.problems(namesakes, name_is_new=entry.pk is None), **errors}
        if errors:
            done.refused += 1
            done.lines.extend((line, "refused", column_name(header, columns, f), reason, cells)
                              for f, reason in errors.items())
            continue
        said = entry.warnings(typed, name_is_new=entry.pk is None, namesakes=namesakes, recent=recent)
        if said:
            done.warned += 1
            done.lines.extend((line, "warned", "", reason, cells) for reason in said)
        if entry.pk is not None:
            done.updated += 1
            done.lines.append((line, "updated", "", updated_reason(fields), cells))
            changed[known.pk] = take_loaded_fields(known, entry)
            continue
        namesakes.add(entry)
        there[(normalize(entry.name), entry.unit_id)] = entry
        new.append(entry)
    return new, list(changed.values())


def entry_of(get, units, kinds, datums):
    """(the row's entry, its point as typed, {field: refusal}) before the model's own checks."""
    errors = {}
    active = ACTIVE_WORDS.get("".join(get("active").split()).lower())
    if active is None:
        errors["active"] = _("“%(v)s” is neither yes nor no (是/否).") % {"v": get("active")}
    kind = kinds.get("".join(get("kind").split()).lower())
    if kind is None:
        errors["kind"] = (_("Unknown kind “%(v)s”: use one of %(kinds)s.")
                          % {"v": get("kind"), "kinds": pgettext("between names in a list", ", ").join(
                             f"{k.value}/{k.label}" for k in KINDS)})
    unit, problem = units.find(get("unit"))
    if problem:
        errors["unit"] = problem
    try:
        system = check_system(datums.get(normalize(get("coord_system")).lower(), get("coord_system")))
    except LocateError as exc:
        errors["coord_system"], system = str(exc), "wgs84"
    lon, lat = number(get("lon")), number(get("lat"))
    stored_lon, stored_lat = stored_point(lon, lat, system)
    entry = GazetteerEntry(name=get("name"), kind=kind or EntryKind.LANDMARK, unit=unit, lon=stored_lon,
                           lat=stored_lat, note=get("note"), active=active is not False, source=EntrySource.FILE)
    try:
        entry.clean_fields(exclude=["unit", "lon", "lat", "source"])
    except ValidationError as exc:
        errors.update({f: " ".join(messages) for f, messages in exc.message_dict.items() if f not in errors})
    return entry, (lon, lat, system), errors


def number(cell):
    """A cell as a float, or None when empty; as it is when it is not a number (problems() refuses it)."""
    if not cell:
        return None
    try:
        return parse_number(cell)  # 116。397 (a Chinese input method's full stop) is 116.397
    except ValueError:
        return cell


def datum_names() -> dict:
    """What a coordinate system cell may say besides the codes (wgs84, GCJ-02…), without case and spaces → the
    code: the intake page's and the admin's labels in English and Chinese (GCJ-02（高德、腾讯地图、微信）) and the
    maps' names (高德, 百度地图, GPS: coords.DATUM_MAPS)."""
    from jiesu.tickets.forms import COORD_SYSTEMS

    names = dict(DATUM_MAPS)
    for code, label in COORD_SYSTEMS:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names[normalize(str(label)).lower()] = code
    return names


def kind_names() -> dict:
    """What a kind cell may say (without case and spaces) → the kind: its code and its English and Chinese
    names; a unit's own name (单位名称) is refused, the org tree gives those."""
    names = {}
    for kind in KINDS:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names["".join(str(kind.label).split()).lower()] = kind
        names[kind.value] = kind
    return names


def differences(known, entry) -> list:
    """The fields (LOADED_FIELDS) in which the row's entry differs from the one there; a point to 6 decimal places
    (≈ 0.1 m), a point that is not a number always differs (problems() refuses it)."""
    def same(a, b):
        if isinstance(a, float) and isinstance(b, float):
            return round(a, 6) == round(b, 6)
        return a == b

    return [f for f in LOADED_FIELDS if not same(getattr(known, f), getattr(entry, f))]


def take_loaded_fields(known, entry):
    """The entry there, given the row's kind, point, note and active flag."""
    for f in LOADED_FIELDS:
        setattr(known, f, getattr(entry, f))
    return known


def field_names(fields) -> str:
    """The fields as the admin names them: 类型、备注 (longitude and latitude as one: 坐标)."""
    names = [str(GazetteerEntry._meta.get_field(f).verbose_name) for f in fields if f != "lat"]
    if "lat" in fields and "lon" not in fields:
        names.append(str(GazetteerEntry._meta.get_field("lat").verbose_name))
    return pgettext("between names in a list", ", ").join(names)


def updated_reason(fields) -> str:
    return _("loaded before, updated: %(fields)s") % {"fields": field_names(fields)}


def kept_reason(known, fields) -> str:
    """Why a row that differs from the entry there did not change it."""
    differing = field_names(fields)
    if known.source != EntrySource.MANUAL:
        return _("a built-in entry (%(source)s): not overwritten (differs in %(fields)s)") % {
            "source": known.get_source_display(), "fields": differing}
    if not known.active:
        return _("switched off in the admin: not overwritten (differs in %(fields)s; switch it on there)") % {
            "fields": differing}
    return _("changed in the admin, not overwritten (differs in %(fields)s; change it there)") % {
        "fields": differing}


def column_name(header, columns, f) -> str:
    """The file's own name of a field's column (地名, name), or the field's when the file has no such column."""
    return header[columns[f]] if f in columns else "/".join(COLUMNS.get(f, (f,)))


class UnitFinder:
    """The grids, communities, streets and districts by code and by name (as the locator reads names)."""

    def __init__(self):
        from jiesu.units.models import Unit

        self.by_code, self.by_name = {}, {}
        for unit in Unit.objects.select_related("district").only("code", "name", "kind", "active", "district",
                                                                 "district__name"):
            self.by_code[unit.code] = unit
            if unit.kind in PLACE_KINDS:
                self.by_name.setdefault(normalize(unit.name), []).append(unit)

    def find(self, text):
        """(the unit, None) or (None, why not)."""
        if not text:
            return None, _("No unit given: give the code or the name of the grid, community, street or district "
                           "the place lies in.")
        unit = self.by_code.get(text)
        if unit is not None:
            if unit.kind not in PLACE_KINDS:
                return None, _("A place name lies in a grid, community, street or district: choose one of those.")
            return unit, None
        found = self.by_name.get(normalize(text), [])
        if len(found) == 1:
            return found[0], None
        if not found:
            return None, _("No grid, community, street or district has the code or name “%(v)s”.") % {"v": text}
        return None, (_("“%(v)s” names %(n)d units (%(codes)s): give the code of the one meant.")
                      % {"v": text, "n": len(found), "codes": ", ".join(
                          f"{u.code} {u.district.name if u.district_id and u.district_id != u.id else ''}".strip()
                          for u in sorted(found, key=lambda u: u.code))})


def default_report_path(path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "gazetteer" / f"{Path(path).stem}-{stamp}.report.csv"


def write_report(done, header):
    """The report (UTF-8 with BOM, as Excel opens it): line, result, column, reason, then the row as it was."""
    path = Path(done.report)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        results = {"refused": pgettext("gazetteer load", "refused"), "warned": pgettext("gazetteer load", "warning"),
                   "kept": pgettext("gazetteer load", "already there, not changed"),
                   "updated": pgettext("gazetteer load", "updated")}
        out.writerow([pgettext("gazetteer load", "line"), pgettext("gazetteer load", "result"),
                      pgettext("gazetteer load", "column"), pgettext("gazetteer load", "reason"), *header])
        out.writerows([line, results[result], column, reason, *cells]
                      for line, result, column, reason, cells in done.lines)
