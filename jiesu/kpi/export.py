"""Rankings as CSV (UTF-8 with BOM, for spreadsheets) and xlsx (XlsxWriter), with the explanations."""
import csv
import io

from django.utils.translation import gettext as _

from jiesu.kpi.explain import measure_labels
from jiesu.kpi.services import WHISTLE_CLASSES
from jiesu.kpi.templatetags.jiesu_kpi import pct

# A spreadsheet takes a cell beginning with one of these for a formula (=HYPERLINK(…), +cmd|…, @SUM(…)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def columns(unit_class):
    """[(key, header, kind)]: kind 'pct' (0…1 share), 'num', 'text'."""
    cols = [
        ("rank", _("Rank"), "num"), ("rank_change", _("Change in rank"), "num"), ("code", _("Code"), "text"),
        ("name", _("Unit"), "text"), ("composite", _("Composite score"), "num"),
        ("composite_trend", _("Change vs last month"), "num"), ("response_rate", _("Response rate"), "pct"),
        ("resolution_rate", _("Resolution rate"), "pct"), ("satisfaction_rate", _("Satisfaction rate"), "pct"),
        ("speed_median_hours", _("Median working hours to reply"), "num"),
        ("speed_p90_hours", _("P90 working hours to reply"), "num"),
        ("governance_depth", _("Governance depth"), "pct"),
    ]
    if unit_class in WHISTLE_CLASSES:
        cols.append(("whistle_rating", _("Whistle rating (1–5)"), "num"))
    cols += [("received", _("Tickets received"), "num"), ("assessed", _("Tickets assessed"), "num"),
             ("valid_callbacks", _("Valid callbacks"), "num"), ("returns_upheld", _("Returns upheld"), "num")]
    return cols


def _cell(value, kind):
    if value is None:
        return ""
    if kind == "pct":
        return round(value, 4)
    if isinstance(value, float):
        return round(value, 2)
    return value


def text_cell(value):
    """Text as a spreadsheet shows it, never as a formula: one that would start one is quoted with an apostrophe."""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value, kind):
    """A CSV cell as the page shows it: shares as percentages (92.3%, which spreadsheets read as numbers)."""
    if kind == "pct":
        return "" if value is None else pct(value)
    if kind == "text":
        return text_cell(value)
    return _cell(value, kind)


def ranking_csv(ranking):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    cols = columns(ranking.unit_class)
    writer.writerow([header for _k, header, _kind in cols])
    for row in ranking.rows:
        writer.writerow([_csv_cell(getattr(row, key), kind) for key, _h, kind in cols])
    return out.getvalue()


def ranking_xlsx(ranking, title):
    """The ranking sheet (shares formatted as percentages) and a sheet with how each number is computed."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1, "text_wrap": True})
    pct = book.add_format({"num_format": "0.0%"})
    num = book.add_format({"num_format": "0.##"})
    sheet = book.add_worksheet(_("Ranking")[:31])
    sheet.write(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
    cols = columns(ranking.unit_class)
    for c, (_key, header, _kind) in enumerate(cols):
        sheet.write(2, c, header, bold)
        sheet.set_column(c, c, 22 if _key == "name" else 12)
    for r, row in enumerate(ranking.rows, start=3):
        for c, (key, _header, kind) in enumerate(cols):
            value = _cell(getattr(row, key), kind)
            if value == "":
                sheet.write_blank(r, c, None)
            elif kind == "pct":
                sheet.write_number(r, c, value, pct)
            elif kind == "num":
                sheet.write_number(r, c, value, num)
            else:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(3, 4)
    notes = book.add_worksheet(_("How computed")[:31])
    notes.set_column(0, 0, 18)
    notes.set_column(1, 1, 110)
    names = {**measure_labels(), "composite": _("Composite score"), "exclusions": _("Exclusions")}
    for r, (key, text) in enumerate(ranking.explanations.items()):
        notes.write_string(r, 0, names.get(key, key), bold)
        notes.write(r, 1, text)
    book.close()
    return buffer.getvalue()
