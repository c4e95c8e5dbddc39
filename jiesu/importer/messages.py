"""Why a row was not imported, in the user's language (Chinese by default).

A reason is a code plus parameters; the text is rendered when the report is
written, inside the import's `translation.override(lang)`, so one run speaks
one language. Codes are stable (tests, scripts, the summary JSON use them).
"""
import re

from django.utils.translation import gettext as _
from django.utils.translation import get_language, gettext_noop, pgettext_lazy

# code → message (English msgid; the Chinese is in jiesu/importer/locale)
REASONS = {
    "missing_id": gettext_noop("External id is empty"),
    "id_too_long": gettext_noop("External id is too long (at most %(n)d characters)"),
    "missing_created": gettext_noop("Creation time is missing"),
    "bad_date": gettext_noop("Not a valid date and time: “%(v)s”"),
    "excel_serial_date": gettext_noop("Not a valid date and time: “%(v)s” looks like an Excel date serial number "
                                      "(the column was formatted as a number): format it as date and time and "
                                      "export the file again"),
    "future": gettext_noop("Time lies in the future"),
    "closed_before_created": gettext_noop("Closed before it was created"),
    "closed_without_time": gettext_noop("Closed, but the closing time is missing"),
    "open_with_close_time": gettext_noop("State is open, but a closing time is given"),
    "bad_state": gettext_noop("Unknown state “%(v)s” (use closed or open)"),
    "replied_before_created": gettext_noop("Replied before it was created"),
    "replied_in_future": gettext_noop("Reply time lies in the future"),
    "replied_after_closed": gettext_noop("Replied after it was closed"),
    "reply_without_time": gettext_noop("Open, with a reply but no reply time"),
    "replied_without_reply": gettext_noop("Open, with a reply time but no reply"),
    "reply_without_unit": gettext_noop("A reply, but no handling unit: give the unit that replied"),
    "empty_text": gettext_noop("Description is empty"),
    "text_too_long": gettext_noop("Description is too long (at most %(n)d characters)"),
    "title_too_long": gettext_noop("Title is too long (at most %(n)d characters)"),
    "bad_channel": gettext_noop("Unknown channel “%(v)s”"),
    "bad_type": gettext_noop("Unknown request type “%(v)s”"),
    "missing_coordinates": gettext_noop("Coordinates are missing"),
    "half_coordinates": gettext_noop("Give both longitude and latitude, or neither"),
    "bad_number": gettext_noop("Not a number: “%(v)s”"),
    "coordinates_out_of_range": gettext_noop("Longitude or latitude out of range"),
    "coordinates_swapped": gettext_noop("Longitude and latitude may be swapped (longitude about %(lon)s, latitude "
                                        "about %(lat)s)"),
    "bad_coord_system": gettext_noop("Unknown coordinate system “%(v)s” (use wgs84, gcj02 or bd09)"),
    "outside_city": gettext_noop("The coordinates lie outside the city"),
    "coordinates_negative": gettext_noop(
        "In China longitude and latitude are both positive (east, north): remove the minus sign."),
    "nul": gettext_noop("Contains a NUL character"),
    "field_count": gettext_noop("The row has %(n)d fields, the header has %(m)d"),
    "duplicate_in_file": gettext_noop("Same external id as line %(line)d of this file"),
    "duplicate_in_run": gettext_noop("Same external id as an earlier row of this file (imported as ticket %(number)s)"),
    "already_imported": gettext_noop("Already imported as ticket %(number)s"),
}

# Notes: a value the importer could not use and replaced (the row is imported; counted in the summary).
NOTES = {
    "unknown_category": gettext_noop("Category “%(v)s” not recognised: classified automatically"),
    "unsure_category": gettext_noop("Classified as %(v)s, below the --min-probability given: imported without a "
                                    "category (an open ticket waits for a dispatcher)"),
    "unknown_unit": gettext_noop("Unit “%(v)s” not recognised: routed automatically"),
    "unknown_place": gettext_noop("Place code “%(v)s” not recognised: located from coordinates or address"),
    "unknown_place_text": gettext_noop("Place code “%(v)s” not recognised: located from a place named in the text"),
    "unknown_place_nothing": gettext_noop("Place code “%(v)s” not recognised, and the row has no coordinates or "
                                          "address: not located"),
    "unknown_place_unlocated": gettext_noop("Place code “%(v)s” not recognised, and its coordinates or address "
                                            "were not found either: not located"),
    "place_code_district": gettext_noop("Place code “%(v)s” not recognised: located in %(district)s from its "
                                        "first 6 digits (the district's code)"),
    "unmapped_type": gettext_noop("Request type “%(v)s” has no mapping: classified automatically"),
    "unmapped_agency": gettext_noop("Agency “%(v)s” has no mapping: routed automatically"),
    "barred_unit": gettext_noop("Unit %(v)s may not receive this category (negative list): the open ticket is routed "
                                "automatically"),
    "unusable_phone": gettext_noop("Phone number “%(v)s” is not one usable number: imported without it (the value "
                                   "is kept in the intake event)"),
    "phone_lost_zero": gettext_noop("Phone number “%(v)s” looks as if it lost its leading 0 (Excel reads "
                                    "0%(v)s as a number): imported without it (the value is kept in the intake "
                                    "event)"),
    "first_phone_kept": gettext_noop("Phone number “%(v)s” holds more than one number: the first usable one is "
                                     "imported (the value is kept in the intake event)"),
}
#: the field (formats' name, worded by Format.field) each note is about, for the report
NOTE_FIELDS = {"unknown_category": "category", "unsure_category": "category", "unknown_unit": "unit",
               "barred_unit": "unit", "unknown_place": "street_code", "unknown_place_text": "street_code",
               "unknown_place_nothing": "street_code", "unknown_place_unlocated": "street_code",
               "place_code_district": "street_code", "unmapped_type": "type", "unmapped_agency": "agency",
               "unusable_phone": "citizen_phone", "phone_lost_zero": "citizen_phone",
               "first_phone_kept": "citizen_phone"}
#: an unrecognised place code's note once the row was located (Context.locate's source) or not (missing_place)
UNKNOWN_PLACE_OUTCOME = {"coordinates": "unknown_place", "address": "unknown_place", "text": "unknown_place_text",
                         "nothing": "unknown_place_nothing"}
#: the field of the report's line for a row imported without a place (missing_place's code)
MISSING_PLACE_FIELDS = {"coordinates": "lon", "address": "address", "nothing": "street_code"}

#: Why an imported ticket has no place (the intake event's payload "no_place"; the ticket page shows it by 位置 —).
#: "" names none: a ticket imported before 2026-12-06 (late), when the reason was not kept.
MISSING_PLACE = {
    "foreign": gettext_noop("Imported from another country's 311: its coordinates are kept, no district or street"),
    "coordinates": gettext_noop("Not located at import: the coordinates lie in no street's area"),
    "address": gettext_noop("Not located at import: the address was not found in the gazetteer"),
    "nothing": gettext_noop("Not located at import: no place code, address or coordinates, and no place named in "
                            "the text"),
    "": gettext_noop("Not located at import"),
}


NO_PLACE_NOTE = gettext_noop("%(why)s: it counts in no district's or street's statistics")


def no_place_line(code):
    """The report's reason for a row imported without a place: why, and what it means."""
    return _(NO_PLACE_NOTE) % {"why": missing_place(code)}


def missing_place(code):
    """Why an imported ticket has no place (MISSING_PLACE), in the active language."""
    return _(MISSING_PLACE.get(code, MISSING_PLACE[""]))


# The report's words (context "import report": "line", "field" … are common words elsewhere)
RESULT_REJECTED = pgettext_lazy("import report", "rejected")
RESULT_UNPLACED = pgettext_lazy("import report", "imported without a place")
RESULT_WOULD_BE_UNPLACED = pgettext_lazy("import report", "would be imported without a place")
RESULT_ALREADY = pgettext_lazy("import report", "already imported")
RESULT_NOTED = pgettext_lazy("import report", "imported with a note")
RESULT_WOULD_BE_NOTED = pgettext_lazy("import report", "would be imported with a note")
REPORT_HEADER = (pgettext_lazy("import report", "text line"), pgettext_lazy("import report", "external id"),
                 pgettext_lazy("import report", "result"), pgettext_lazy("import report", "field"),
                 pgettext_lazy("import report", "reason"), pgettext_lazy("import report", "value"))


def text(code, params=None):
    """The reason (or note) `code` in the active language."""
    template = REASONS.get(code) or NOTES.get(code) or code
    message = _(template)
    if params:
        try:
            return message % params
        except (KeyError, TypeError, ValueError):
            return message
    return message


def label(code):
    """The reason (or note) `code` without a row's values, for the summary: “%(v)s” → “…”."""
    return re.sub(r"%\((\w+)\)[sd]", "…", _(REASONS.get(code) or NOTES.get(code) or code))


def summary_line(code, n):
    """A reason's (or note's) line of the printed summary: the count and the words; in English the code too (an
    English word there; the JSON line gives the codes in every language)."""
    words = label(code)
    if (get_language() or "").startswith("en"):
        words = f"{code}: {words}"
    return f"  {n:>8}  {words}"


def header():
    """The report's column names in the active language."""
    return [str(h) for h in REPORT_HEADER]


def result_label(rejected, dry_run=False):
    """The report's result word: rejected (True), already imported (False), imported with a note (None; a dry
    run's: would be imported with a note) or imported without a place ("unplaced")."""
    if rejected == "unplaced":
        return str(RESULT_WOULD_BE_UNPLACED if dry_run else RESULT_UNPLACED)
    if rejected is None:
        return str(RESULT_WOULD_BE_NOTED if dry_run else RESULT_NOTED)
    return str(RESULT_REJECTED if rejected else RESULT_ALREADY)
