"""The citizen's personal data inside a request's words, masked as the contact fields are (audit 11, finding 21).

Callers dictate and app users type their name, phone and ID number into the text. Whoever may not reveal the
contact (scoping.may_reveal_contact) reads the text with them masked as the fields: the phone numbers
(139****5678, 010****3456: the intake's phone rule, params.phone_number, decides what a number is, and the field's
mask, scoping.mask_phone, writes it), the 18-digit ID numbers (110101********1234: the birth date hidden), the old
15-digit ones (110101******123: a province's code, then a date of birth that is a date), the bank-card numbers
(6222 **** **** 0123: 16 to 19 digits, whole or in groups of 4, that pass the cards' check digit (Luhn) or follow a
card word: 卡号, 银行卡, 账号 …) and the name recorded in the name field (韩**: scoping.mask_name). Numbers that
name no person stay: house numbers, dates, amounts, case and ticket numbers (a number that opens with a date, a
number after 编号, 单号, 订单 …), 12345 and other service lines, postcodes, 400/800 numbers. A local number without
its area code (65123456) reads like a date or an amount, so it is masked only after a phone word (电话, 手机, 座机 …).
The stored text is never changed.

Pure but for the masks and the rule of who reads what, imported from jiesu.core.scoping when called: no Django
import when this module is imported.
"""
import re
from datetime import date

from jiesu.core.params import phone_number

#: A run of digits and the separators people write between a number's groups (139 1234 5678, 010-65123456,
#: (0571)88776655, +86 139…), 7 characters or more, an ID number's X: the places a phone or an ID number may stand.
_RUN = re.compile(r"[+＋(（]?[0-9０-９][0-9０-９ \-－()（）]{5,}[0-9０-９][Xx]?")
#: An 18-digit 身份证 number: the place (6 digits), the birth date (YYYYMMDD), 3 digits, the check digit or X.
_ID_NUMBER = re.compile(r"\d{6}(?:18|19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]", re.ASCII)
#: An old 15-digit 身份证 number: a province's code and 4 more digits of the place, the birth date (YYMMDD), 3 digits.
_OLD_ID_NUMBER = re.compile(r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])\d{4}(\d{6})\d{3}", re.ASCII)
#: A bank card's number: 16 to 19 digits, whole or in groups of 4 (the last one shorter) split by a space or a hyphen.
_CARD_NUMBER = re.compile(r"\d{16,19}|\d{4}(?:[ \-－]\d{4}){3,4}(?:[ \-－]\d{1,3})?", re.ASCII)
_CARD_DIGITS = range(16, 20)
_ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
#: What follows an amount or a count, not a phone: 3000000元, 2000000人.
_UNIT_AFTER = re.compile(r"\s*[元万块亿%％人户次个米平号]")
#: A phone word just before a local number (without its area code): 电话65123456, 座机：6512-3456.
_PHONE_WORDS = re.compile(r"电话|手机|座机|号码|联系|致电|拨打|打给|tel|phone|call", re.IGNORECASE)
_PHONE_WORD_REACH = 8
#: A card word just before a number: it is a card's even when its check digit fails (some old 19-digit cards).
_CARD_WORDS = re.compile(r"卡号|银行卡|储蓄卡|信用卡|借记卡|账号|帐号|账户|帐户|card|account", re.IGNORECASE)
#: A number word just before a number: it names a case, an order or a parcel, not a person.
_CASE_NUMBER_WORDS = re.compile(r"编号|单号|案号|工单|订单|流水号|批号|快递|运单|order|case|ticket|tracking|reference",
                                re.IGNORECASE)
#: How far before a number a card or a case number's word is looked for (银行卡卡号是, card number: ).
_NUMBER_WORD_REACH = 14
#: A date written with hyphens (2026-03-15): its digits would read as a local number.
_DATE = re.compile(r"(?:19|20)\d\d[-－]\d{1,2}[-－]\d{1,2}")
_OPEN_BRACKETS, _CLOSE_BRACKETS = "(（", ")）"
#: Characters enough for a number as written (+86 (010) 6512 3456-8021): a title cut from the text is masked with
#: this much of what follows it.
_LONGEST_NUMBER = 32


def masked_text(text, name=""):
    """`text` with the phone, ID and bank-card numbers and the citizen's `name` (two characters or more) masked."""
    if not text:
        return text or ""
    from jiesu.core.scoping import mask_name

    masked = _RUN.sub(lambda found: _masked_run(text, found), text)
    name = (name or "").strip()
    if len(name) >= 2 and name in masked:
        masked = masked.replace(name, mask_name(name))
    return masked


def has_contact_numbers(text):
    """Whether `text` holds a phone, an ID or a bank card's number that masked_text would mask (the intake's hint)."""
    return bool(text) and masked_text(text) != text


def text_for(user, ticket, text=None):
    """The ticket's text (or `text`, another of the citizen's words about it: its title) as `user` reads it: whole
    for who may reveal the contact and for the citizen who filed it, else masked. A title cut from the text's first
    line is cut from the masked text, so that a number cut short (1391234567) is masked too."""
    text = ticket.text if text is None else text
    if reads_whole(user, ticket):
        return text
    if text and text != ticket.text and ticket.text.startswith(text):
        return masked_text(ticket.text[:len(text) + _LONGEST_NUMBER], ticket.citizen_name)[:len(text)]
    return masked_text(text, ticket.citizen_name)


def reads_whole(user, ticket):
    """Whether `user` reads the citizen's words about `ticket` whole: who may reveal the contact, and the citizen who
    filed it."""
    from jiesu.core.scoping import may_reveal_contact

    return user is not None and user.is_authenticated and (ticket.citizen_user_id == user.pk
                                                           or may_reveal_contact(user, ticket))


def notes_for(user, ticket):
    """A function giving an event's note on `ticket` as `user` reads it: a note quotes the citizen's words or number
    (回访：市民称电话13912345678打不通), masked as the text is."""
    if reads_whole(user, ticket):
        return lambda note: note
    return lambda note: masked_text(note, ticket.citizen_name)


def _masked_run(text, found):
    """A run with each phone and ID number in it masked."""
    run, start = found.group(), found.start()
    if run[0] in _OPEN_BRACKETS and not any(c in run for c in _CLOSE_BRACKETS):
        return run[0] + _masked_words_of(text, run[1:], start + 1, found.end())  # （13912345678）: the sentence's
    return _masked_words_of(text, run, start, found.end())


def _masked_words_of(text, run, start, end):
    """The run's words masked (_masked_words) but the last one when a unit follows it: 3000000元 is an amount."""
    words = run.split(" ")
    amount = [words.pop()] if _UNIT_AFTER.match(text, end) else []
    masked = [_masked_words(words, _WordsBefore(text, start))] if words else []
    return " ".join(masked + amount)


def mask_id_number(number):
    """110101199001011234 → 110101********1234: the place kept, the birth date and the order hidden."""
    return number[:6] + "*" * 8 + number[-4:]


def mask_old_id_number(number):
    """110101900101123 → 110101******123: the place kept, the birth date hidden."""
    return number[:6] + "*" * 6 + number[-3:]


def mask_card_number(number):
    """6222 0212 3456 7890 123 → 6222 **** **** ***0 123: the first and the last 4 digits kept, the groups as
    written."""
    digits = sum(c.isdigit() for c in number)
    out, seen = [], 0
    for c in number:
        if c.isdigit():
            seen += 1
            c = c if seen <= 4 or seen > digits - 4 else "*"
        out.append(c)
    return "".join(out)


def _masked_words(words, before):
    """The words of a candidate, each longest run of words that is one phone, ID or card number masked
    (139 1234 5678 is one number, 13912345678 13812345678 two). `before`: the words said just before the first
    one (_WordsBefore)."""
    out, start = [], 0
    while start < len(words):
        for end in range(len(words), start, -1):
            masked = _masked_number(" ".join(words[start:end]), before)
            if masked is not None:
                out.append(masked)
                start = end
                break
        else:
            out.append(words[start])
            start += 1
        before = _NOTHING_BEFORE
    return " ".join(out)


def _masked_number(candidate, before):
    """The field's mask of `candidate` when it is an ID number, a bank card's or a personal phone number, else None;
    an X after a phone is left as it was (13912345678x8021: the extension is a run of its own)."""
    from jiesu.core.scoping import mask_phone

    ascii_candidate = candidate.translate(_ASCII_DIGITS)
    if _ID_NUMBER.fullmatch(ascii_candidate):
        return mask_id_number(candidate)
    if _is_old_id_number(ascii_candidate):
        return mask_old_id_number(candidate)
    if _is_card_number(ascii_candidate, before):
        return mask_card_number(candidate)
    if candidate[-1] in "Xx":
        masked = _masked_number(candidate[:-1], before)
        return None if masked is None else masked + candidate[-1]
    number = phone_number(candidate.strip(" -－")) if any(c.isdigit() for c in candidate) else None
    if not number or number.startswith(("400", "800")):
        return None
    is_local = not number.startswith(("0", "1", "+"))
    if is_local and (not before.phone or _DATE.fullmatch(candidate)):
        return None
    return mask_phone(number)


def _is_old_id_number(candidate):
    found = _OLD_ID_NUMBER.fullmatch(candidate)
    return found is not None and _is_date(1900 + int(found[1][:2]), int(found[1][2:4]), int(found[1][4:]))


def _is_card_number(candidate, before):
    """16 to 19 digits as a card's are written that open with no date (20261207…: a case number), and follow a card
    word (卡号, card number) or, following no case number's word (订单号: an order), pass the check digit."""
    if not _CARD_NUMBER.fullmatch(candidate):
        return False
    digits = "".join(c for c in candidate if c.isdigit())
    return (len(digits) in _CARD_DIGITS and not _opens_with_a_date(digits)
            and (before.card or not before.case_number and _passes_luhn(digits)))


def _opens_with_a_date(digits):
    return digits[:2] in ("19", "20") and _is_date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def _is_date(year, month, day):
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _passes_luhn(digits):
    """The check digit of card numbers (ISO/IEC 7812): every second digit from the right doubled, the sum a
    multiple of 10."""
    total = 0
    for i, digit in enumerate(int(c) for c in reversed(digits)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class _WordsBefore:
    """Which words stand just before a number: a phone word (within _PHONE_WORD_REACH characters), a card word, a
    case number's word (within _NUMBER_WORD_REACH)."""
    __slots__ = ("phone", "card", "case_number")

    def __init__(self, text="", start=0):
        said = text[max(0, start - _NUMBER_WORD_REACH):start]
        self.phone = _PHONE_WORDS.search(said, max(0, len(said) - _PHONE_WORD_REACH)) is not None
        self.card = _CARD_WORDS.search(said) is not None
        self.case_number = _CASE_NUMBER_WORDS.search(said) is not None


_NOTHING_BEFORE = _WordsBefore()
