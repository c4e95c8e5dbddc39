"""The phone rule's leftovers (jiesu.core.params, pure): a fixed line is as long as its area code's local numbers
(010 and 02x: 8 digits; a four-digit code: 7 or 8), and a history's field of two numbers parted by a space keeps
the first, while one number written in groups is read whole."""
import pytest

from jiesu.core.params import first_phone_number, phone_number


@pytest.mark.parametrize("typed, stored", [
    ("010-65123456", "01065123456"), ("021-64123456", "02164123456"), ("(029)88123456", "02988123456"),
    ("0551-6512345", "05516512345"), ("0551-65123456", "055165123456"), ("0755 2654 3210", "075526543210"),
    ("+86 10 6512 3456", "01065123456"), ("8610-65123456", "01065123456"), ("010-65123456转8021", "01065123456,8021"),
])
def test_a_fixed_line_of_its_area_codes_length_is_taken(typed, stored):
    assert phone_number(typed) == stored


@pytest.mark.parametrize("typed", [
    "010-6512345",  # Beijing's local numbers have 8 digits
    "(010)6512345", "+86 10 6512345", "8610-6512345", "010-6512345转8021", "021-6412345", "010-651234567",
    "0551-651234", "0551-651234567", "010-06512345", "010-16512345",  # no local number starts with 0 or 1
])
def test_a_fixed_line_a_digit_short_or_long_is_no_number(typed):
    assert phone_number(typed) is None


@pytest.mark.parametrize("typed, kept", [
    ("13912345678 13812345678", ("13912345678", True)), ("13912345678　13812345678", ("13912345678", True)),
    ("010 6512 3456 13812345678", ("01065123456", True)), ("+1 312 555 0100 13812345678", ("+13125550100", True)),
    ("110 13812345678", ("13812345678", True)), ("010-65123456 转 8021 13812345678", ("01065123456,8021", True)),
    ("010 6512 3456", ("01065123456", False)), ("139 1234 5678", ("13912345678", False)),
    ("110 12345", (None, False)), ("010 6512345 13812345678", ("13812345678", True)),
])
def test_a_history_keeps_the_first_of_numbers_parted_by_spaces(typed, kept):
    assert first_phone_number(typed) == kept


def test_the_intake_still_refuses_two_numbers_parted_by_a_space():
    assert phone_number("13912345678 13812345678") is None
