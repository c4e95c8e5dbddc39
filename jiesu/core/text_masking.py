"""The citizen's personal data inside a request's words, masked as the contact fields are (audit 11, finding 21).

Callers dictate and app users type their name, phone and ID number into the text. Whoever may not reveal the
contact (scoping.may_reveal_contact) reads the text with them masked as the fields: the phone numbers
(139****5678, 010****3456: the intake's phone rule, params.phone_number, decides what a number is, and the field's
mask, scoping.mask_phone, writes it), the 18-digit ID numbers (110101********1234: the birth date hidden) and the
name recorded in the name field (韩**: scoping.mask_name). Numbers that name no person stay: house numbers, dates,
amounts, case numbers, 12345 and other service lines, postcodes, 400/800 numbers. A local number without its area
code (65123456) reads like a date or an amount, so it is masked only after a phone word (电话, 手机, 座机 …).
The stored text is never changed.

Pure but for the masks and the rule of who reads what, imported from jiesu.core.scoping when called: no Django
import when this module is imported.
"""
import re

from jiesu.core.params import phone_number

#: An 18-digit 身份证 number: the place (6 digits), the birth date (YYYYMMDD), 3 digits, the check digit or X.
_ID = r"(?P<id>(?<!\d)\d{6}(?:18|19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z]))"
#: A number as people write one in a sentence: digits and the separators between their groups, a leading + or an
#: area code in brackets; at least 7 characters long, not an amount or a count (3000000元, 2000000人), not the
#: digits of a longer number (params.phone_number decides whether it is a phone).
_NUMBER = r"(?P<number>(?<!\d)[+＋(（]?\d[\d \-－()（）]{5,}\d(?!\d|\s*[元万块亿%％人户次个米平号]))"
_CANDIDATES = re.compile(f"{_ID}|{_NUMBER}")
#: A phone word just before a local number (without its area code): 电话65123456, 座机：6512-3456.
_PHONE_WORDS = re.compile(r"电话|手机|座机|号码|联系|致电|拨打|打给|tel|phone|call", re.IGNORECASE)
_PHONE_WORD_REACH = 8
#: A date written with hyphens (2026-03-15): its digits would read as a local number.
_DATE = re.compile(r"(?:19|20)\d\d[-－]\d{1,2}[-－]\d{1,2}")
_OPEN_BRACKETS, _CLOSE_BRACKETS = "(（", ")）"


def masked_text(text, name=""):
    """`text` with the phone and ID numbers and the citizen's `name` (two characters or more) masked."""
    if not text:
        return text or ""
    from jiesu.core.scoping import mask_name

    masked = _CANDIDATES.sub(lambda found: _masked_match(text, found), text)
    name = (name or "").strip()
    if len(name) >= 2 and name in masked:
        masked = masked.replace(name, mask_name(name))
    return masked


def has_contact_numbers(text):
    """Whether `text` holds a phone or an ID number that masked_text would mask (the intake's hint)."""
    return bool(text) and masked_text(text) != text


def text_for(user, ticket, text=None):
    """The ticket's text (or `text`, another of the citizen's words about it: its title) as `user` reads it: whole
    for who may reveal the contact and for the citizen who filed it, else masked. A title cut from the text's first
    line is cut from the masked text, so that a number cut short (1391234567) is masked too."""
    from jiesu.core.scoping import may_reveal_contact

    text = ticket.text if text is None else text
    if user is not None and user.is_authenticated and (ticket.citizen_user_id == user.pk
                                                       or may_reveal_contact(user, ticket)):
        return text
    if text and text != ticket.text and ticket.text.startswith(text):
        return masked_text(ticket.text, ticket.citizen_name)[:len(text)]
    return masked_text(text, ticket.citizen_name)


def _masked_match(text, found):
    if found.group("id") is not None:
        return mask_id_number(found.group("id"))
    span = found.group("number")
    start = found.start("number")
    opening = span[0] in _OPEN_BRACKETS and not any(c in span for c in _CLOSE_BRACKETS)
    if opening:  # （13912345678）: the bracket belongs to the sentence
        span, start = span[1:], start + 1
    words = span.split(" ")
    masked = _masked_words(words, _after_phone_word(text, start))
    return (found.group("number")[0] if opening else "") + masked


def mask_id_number(number):
    """110101199001011234 → 110101********1234: the place kept, the birth date and the order hidden."""
    return number[:6] + "*" * 8 + number[-4:]


def _masked_words(words, after_phone_word):
    """The words of a candidate, each longest run of words that is one phone number masked (139 1234 5678 is one
    number, 13912345678 13812345678 two)."""
    out, start = [], 0
    while start < len(words):
        for end in range(len(words), start, -1):
            masked = _masked_phone(" ".join(words[start:end]), after_phone_word)
            if masked is not None:
                out.append(masked)
                start = end
                break
        else:
            out.append(words[start])
            start += 1
        after_phone_word = False
    return " ".join(out)


def _masked_phone(candidate, after_phone_word):
    """The field's mask of `candidate` when it is a personal phone number, else None."""
    from jiesu.core.scoping import mask_phone

    number = phone_number(candidate.strip(" -－")) if any(c.isdigit() for c in candidate) else None
    if not number or number.startswith(("400", "800")):
        return None
    is_local = not number.startswith(("0", "1", "+"))
    if is_local and (not after_phone_word or _DATE.fullmatch(candidate)):
        return None
    return mask_phone(number)


def _after_phone_word(text, start):
    return _PHONE_WORDS.search(text, max(0, start - _PHONE_WORD_REACH), start) is not None
