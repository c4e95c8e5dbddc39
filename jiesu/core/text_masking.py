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

#: A run of digits and the separators people write between a number's groups (139 1234 5678, 010-65123456,
#: (0571)88776655, +86 139…), 7 characters or more, an ID number's X: the places a phone or an ID number may stand.
_RUN = re.compile(r"[+＋(（]?[0-9０-９][0-9０-９ \-－()（）]{5,}[0-9０-９][Xx]?")
#: An 18-digit 身份证 number: the place (6 digits), the birth date (YYYYMMDD), 3 digits, the check digit or X.
_ID_NUMBER = re.compile(r"\d{6}(?:18|19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]", re.ASCII)
_ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
#: What follows an amount or a count, not a phone: 3000000元, 2000000人.
_UNIT_AFTER = re.compile(r"\s*[元万块亿%％人户次个米平号]")
#: A phone word just before a local number (without its area code): 电话65123456, 座机：6512-3456.
_PHONE_WORDS = re.compile(r"电话|手机|座机|号码|联系|致电|拨打|打给|tel|phone|call", re.IGNORECASE)
_PHONE_WORD_REACH = 8
#: A date written with hyphens (2026-03-15): its digits would read as a local number.
_DATE = re.compile(r"(?:19|20)\d\d[-－]\d{1,2}[-－]\d{1,2}")
_OPEN_BRACKETS, _CLOSE_BRACKETS = "(（", ")）"
#: Characters enough for a number as written (+86 (010) 6512 3456-8021): a title cut from the text is masked with
#: this much of what follows it.
_LONGEST_NUMBER = 32


def masked_text(text, name=""):
    """`text` with the phone and ID numbers and the citizen's `name` (two characters or more) masked."""
    if not text:
        return text or ""
    from jiesu.core.scoping import mask_name

    masked = _RUN.sub(lambda found: _masked_run(text, found), text)
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
        return masked_text(ticket.text[:len(text) + _LONGEST_NUMBER], ticket.citizen_name)[:len(text)]
    return masked_text(text, ticket.citizen_name)


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
    masked = [_masked_words(words, _after_phone_word(text, start))] if words else []
    return " ".join(masked + amount)


def mask_id_number(number):
    """110101199001011234 → 110101********1234: the place kept, the birth date and the order hidden."""
    return number[:6] + "*" * 8 + number[-4:]


def _masked_words(words, after_phone_word):
    """The words of a candidate, each longest run of words that is one phone number masked (139 1234 5678 is one
    number, 13912345678 13812345678 two)."""
    out, start = [], 0
    while start < len(words):
        for end in range(len(words), start, -1):
            masked = _masked_number(" ".join(words[start:end]), after_phone_word)
            if masked is not None:
                out.append(masked)
                start = end
                break
        else:
            out.append(words[start])
            start += 1
        after_phone_word = False
    return " ".join(out)


def _masked_number(candidate, after_phone_word):
    """The field's mask of `candidate` when it is an ID number or a personal phone number, else None; an X after a
    phone is left as it was (13912345678x8021: the extension is a run of its own)."""
    from jiesu.core.scoping import mask_phone

    if _ID_NUMBER.fullmatch(candidate.translate(_ASCII_DIGITS)):
        return mask_id_number(candidate)
    if candidate[-1] in "Xx":
        masked = _masked_number(candidate[:-1], after_phone_word)
        return None if masked is None else masked + candidate[-1]
    number = phone_number(candidate.strip(" -－")) if any(c.isdigit() for c in candidate) else None
    if not number or number.startswith(("400", "800")):
        return None
    is_local = not number.startswith(("0", "1", "+"))
    if is_local and (not after_phone_word or _DATE.fullmatch(candidate)):
        return None
    return mask_phone(number)


def _after_phone_word(text, start):
    return _PHONE_WORDS.search(text, max(0, start - _PHONE_WORD_REACH), start) is not None
