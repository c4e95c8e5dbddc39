"""Reading ids and phone numbers out of form fields and query strings."""
import re

#: The largest id a BigAutoField holds (PostgreSQL bigint, SQLite integer).
MAX_ID = 2 ** 63 - 1


def as_id(value):
    """A whole number an id may be (1 … MAX_ID), else None: a typed "abc" or a 25-digit number names no record
    and must not reach the database, where it overflows (a 500)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


#: What a phone number may look like when typed: digits, spaces and dashes, a leading +.
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
_NOT_DIGITS = re.compile(r"\D+")
_MOBILE_WITH_PREFIX = re.compile(r"^(?:0086|86)(1[3-9]\d{9})$")


def phone_digits(text):
    """A phone number as one caller is known by: its digits, without +86 / 0086 / 86 before a mobile number
    (139-1111-3333, +86 139 1111 3333 and 13911113333 are one caller). '' for no digits."""
    digits = _NOT_DIGITS.sub("", text or "")
    mobile = _MOBILE_WITH_PREFIX.match(digits)
    return mobile.group(1) if mobile else digits
