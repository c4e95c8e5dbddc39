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


_NOT_DIGITS = re.compile(r"\D+")
_MOBILE_WITH_PREFIX = re.compile(r"^(?:0086|86)(1[3-9]\d{9})$")
#: Full-width digits and signs (an Excel export, a Chinese input method) as their ASCII selves.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－（）．　，＃", "0123456789+-(). ,#")
#: An extension after the number: 转 8021, 分机 8021, 转分机 8021, ext. 8021, x8021, #8021 and ,8021 (the stored
#: form; "，" too), or a fixed line's third group.
_EXTENSION = re.compile(r"\s*(?:转分机号?|分机号?|转|ext\.?|x|#|,)\s*(\d{1,6})\s*$", re.IGNORECASE)
#: An extension written as a fixed line's third group: 010-65123456-8021, (010)65123456-8021, 65123456-8021.
_DASHED_EXTENSION = re.compile(r"^((?:\(?0\d{2,3}\)?[- ]?)?[2-9]\d{6,7})-(\d{1,6})$", re.ASCII)
#: One number as typed: digits and the separators people write between them, a leading + or (+86).
_ONE_NUMBER = re.compile(r"^(?:\+|\(\+)?[\d\s()\-.]+$", re.ASCII)
#: 86 and a fixed line's area code without its trunk 0 (8610-65123456): no Chinese number of 11–13 digits starts so.
_COUNTRY_AND_FIXED_LINE = re.compile(r"^86(?!1[3-9]\d{9}$)([1-9]\d{8,10})$")
#: What a callable number is, as digits: a mobile (11 digits, 13x–19x), a fixed line with its area code (010 and
#: 02x, the three-digit ones, before a local number of 8 digits; a four-digit one, 03xx–09xx, before 7 or 8; a local
#: number starts with 2–9; the only area code of 01 is 010, so +86 1390013900, a mobile a digit short, is no
#: 0139 …), a local fixed line (7–8 digits), a 400/800 number; +86/0086/86 before a mobile is dropped first. A
#: "mobile" of 10 or 12 digits, a fixed line a digit short (010-6512345), a service number (110, 12345) or two
#: numbers in one field are none of these.
_CALLABLE = re.compile(r"^(?:1[3-9]\d{9}|0(?:10|2\d)[2-9]\d{7}|0[3-9]\d\d[2-9]\d{6,7}|[2-9]\d{6,7}|[48]00\d{7})$")
#: International (+ or 00, not China): E.164 allows at most 15 digits.
_INTERNATIONAL = re.compile(r"^(?:\+|00)(?!86)[1-9]\d{6,14}$")
#: What a form or an export writes for "no number": the field is empty.
NO_PHONE = frozenset({"无", "不详", "未知", "空", "-", "--", "—", "/", "无号码"})


def _number_and_extension(text):
    """(the number as typed, its extension or ''), full-width characters made ASCII."""
    value = (text or "").translate(_FULL_WIDTH).strip()
    found = _EXTENSION.search(value)
    if found is not None:
        return value[:found.start()], found.group(1)
    found = _DASHED_EXTENSION.match(value)
    if found is not None:
        return found.group(1), found.group(2)
    return value, ""


#: The E.164 country codes of one and two digits (the codes are prefix-free; all others have three).
_SHORT_COUNTRY_CODES = frozenset("1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
                                 "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98".split())


def country_code(international):
    """The country code of an international key's digits (13125550100 → 1, 442079460958 → 44, 85223456789 → 852)."""
    for length in (1, 2):
        if international[:length] in _SHORT_COUNTRY_CODES:
            return international[:length]
    return international[:3]


def _key(digits, extension):
    mobile = _MOBILE_WITH_PREFIX.match(digits)
    number = mobile.group(1) if mobile else digits
    return f"{number},{extension}" if extension and number else number


def phone_digits(text):
    """A phone number as one caller is known by: its digits, without +86 / 0086 / 86 before a mobile number
    (139-1111-3333, +86 139 1111 3333, １３９１１１１３３３ and 13911113333 are one caller), a fixed line with its
    trunk 0 (+86 10 6512 3456 → 01065123456), an extension after a comma (010-65123456转8021 → 01065123456,8021:
    a phone dials the digits after a comma once the call is answered). '' for no digits. A value phone_number
    refuses keeps its digits as they are."""
    number = phone_number(text)
    if number is not None:
        return number
    typed, extension = _number_and_extension(text)
    return _key(_NOT_DIGITS.sub("", typed), extension)


def phone_number(text):
    """The intake's phone rule: the number as stored (phone_digits), '' when none is given (empty, 无, 不详, 未知,
    空, -), None when the value is no number a citizen can be called back on (a 10- or 12-digit "mobile", 110,
    two numbers in one field, words)."""
    if not text:
        return ""
    value = text.strip()
    if len(value) == 11 and value.isascii() and value.isdigit():  # the common case: an ordinary mobile
        return value if _CALLABLE.match(value) else None
    number, extension = _number_and_extension(value)
    if not extension and number in NO_PHONE or not value:
        return ""
    if not _ONE_NUMBER.match(number):
        return None
    digits = _NOT_DIGITS.sub("", number)
    international = number.startswith(("+", "(+")) or digits.startswith("00")
    national = digits.removeprefix("00")
    if international and national.startswith("86"):
        national = national[2:]
        if not (len(national) == 11 and national.startswith("1") or national.startswith("0")):
            national = "0" + national  # +86 10 6512 3456: a fixed line, 010 … (+86 010 … keeps its one 0)
    elif international:  # +44 … = 0044 … → +44…: kept apart from every Chinese number (+1 312 … is no 131 mobile)
        return _key("+" + national, extension) if _INTERNATIONAL.match("+" + national) else None
    elif _COUNTRY_AND_FIXED_LINE.match(national):
        national = "0" + national[2:]  # 8610-65123456 → 01065123456
    national = _key(national, "")  # 86 13911113333 → 13911113333
    return _key(national, extension) if _CALLABLE.match(national) else None


#: What parts two numbers in one field (；, /, 、, a comma not before an extension) or a remark from its number
#: (a bracket without digits: （本人）).
_BETWEEN_NUMBERS = re.compile(r"[;；/、|,，]|[（(][^\d()（）]*[)）]")


def first_phone_number(text):
    """A history's field by the intake's rule, keeping what it can: (the number, False) when phone_number takes the
    whole, else (the first usable number of the field's parts, True): 13900139000；13800138000,
    13900139000 13800138000 and 139 0013 9000（本人） keep 13900139000. (None, False) when no part is a usable
    number. The intake refuses such a field instead: a live caller can say which one number."""
    number = phone_number(text)
    if number is not None:
        return number, False
    for part in _BETWEEN_NUMBERS.split(text):
        number = phone_number(part) or _first_of_spaced_numbers(part)
        if number:
            return number, True
    return None, False


def _first_of_spaced_numbers(part):
    """The first usable number of numbers parted by spaces only (13900139000 13800138000), '' when none: the longest
    run of words from the first that is one number, so that a number written in groups (010 6512 3456 13800138000,
    +1 312 555 0100 13800138000) is read whole, not as its first groups. A later number counts only when one word
    holds it whole (110 13800138000): after a broken number (010 6512345 …) a short word may be its remainder."""
    words = part.split()
    for end in range(len(words), 0, -1):
        number = phone_number(" ".join(words[:end]))
        if number:
            return number
    for word in words[1:]:
        number = phone_number(word)
        if number and len(number.partition(",")[0].lstrip("+")) >= 10:
            return number
    return ""
