"""The phone rule after audit 9 (jiesu.core.params, pure): an international number keeps its + in the key, the
platform's own stored form and the usual extension and +86 spellings are taken, a field of two numbers keeps its
first for a history; the masked and the revealed forms (jiesu.core.scoping) read as a phone, in the language."""
import pytest
from django.utils import translation

from jiesu.core.params import country_code, first_phone_number, phone_digits, phone_number
from jiesu.core.scoping import display_phone, mask_phone


@pytest.mark.parametrize("typed, stored", [
    ("+1 312 555 0100", "+13125550100"), ("001 312 555 0100", "+13125550100"), ("+1-312-555-0100", "+13125550100"),
    ("+44 20 7946 0958", "+442079460958"), ("0044 20 7946 0958", "+442079460958"), ("+852 2345 6789", "+85223456789"),
    ("+1 312 555 0100 ext. 12", "+13125550100,12"), ("(+1)3125550100", "+13125550100"),
    ("+13125550100", "+13125550100"), ("+13125550100,12", "+13125550100,12"),  # the stored form reads as itself
])
def test_an_international_number_keeps_its_prefix(typed, stored):
    assert phone_number(typed) == stored and phone_digits(typed) == stored


def test_an_american_number_is_never_the_key_of_a_chinese_mobile():
    assert phone_digits("+1 312 555 0100") != phone_digits("131-2555-0100") == "13125550100"
    assert phone_digits("+86 131 2555 0100") == "13125550100"  # +86 stays national


@pytest.mark.parametrize("typed, stored", [
    ("01065123456,8021", "01065123456,8021"), ("010-65123456，8021", "01065123456,8021"),
    ("010-65123456#8021", "01065123456,8021"), ("010-65123456 ＃ 8021", "01065123456,8021"),
    ("(+86)13900139000", "13900139000"), ("（+86）139 0013 9000", "13900139000"),
    ("+86 010 65123456", "01065123456"), ("0086 010 65123456", "01065123456"), ("8610-65123456", "01065123456"),
    ("86 755 2654 3210", "075526543210"), ("8613900139000", "13900139000"),
])
def test_the_stored_form_and_the_usual_extension_and_86_spellings_are_taken(typed, stored):
    assert phone_number(typed) == stored


@pytest.mark.parametrize("typed", ["139 0013 9000（本人）", "13900139000,13800138000", "13900139000，13800138000",
                                   "(+86)1390013900", "+86 010 6512"])
def test_a_remark_or_a_second_number_is_no_number_of_the_intake(typed):
    assert phone_number(typed) is None


@pytest.mark.parametrize("typed, kept", [
    ("13900139000；13800138000", ("13900139000", True)), ("13900139000/010-65123456", ("13900139000", True)),
    ("110；13800138000", ("13800138000", True)), ("139 0013 9000（本人）", ("13900139000", True)),
    ("13900139000，13800138000", ("13900139000", True)), ("01065123456，8021", ("01065123456,8021", False)),
    ("13900139000", ("13900139000", False)), ("无", ("", False)), ("110；12345", (None, False)),
])
def test_a_history_keeps_the_first_usable_number_of_a_field(typed, kept):
    assert first_phone_number(typed) == kept


@pytest.mark.parametrize("digits, code", [("13125550100", "1"), ("79161234567", "7"), ("442079460958", "44"),
                                          ("85223456789", "852"), ("886223456789", "886")])
def test_the_country_code_is_read_by_its_length(digits, code):
    assert country_code(digits) == code


@pytest.mark.parametrize("stored, zh, en", [
    ("13812345678", "138****5678", "138****5678"),
    ("01065123456,8021", "010****3456 转 ****", "010****3456 ext. ****"),
    ("13900139000,8", "139****9000 转 *", "139****9000 ext. *"),
    ("+13125550100", "+1 ******0100", "+1 ******0100"),
    ("+442079460958,12", "+44 ******0958 转 **", "+44 ******0958 ext. **"),
    ("65123456", "****3456", "****3456"), ("+85223456789", "+852 ****6789", "+852 ****6789"),  # 4 digits hidden
    ("+886223456789", "+886 *****6789", "+886 *****6789"),
    ("010-65123456转8021", "010****3456 转 ****", "010****3456 ext. ****"),  # a phone kept as typed (care subjects)
    ("", "", ""),
])
def test_a_masked_phone_reads_as_a_phone_in_the_language(stored, zh, en):
    with translation.override("zh-hans"):
        assert mask_phone(stored) == zh
    with translation.override("en"):
        assert mask_phone(stored) == en


@pytest.mark.parametrize("stored, zh", [
    ("01065123456,8021", "010-65123456 转 8021"), ("075526543210", "0755-26543210"), ("02164123456", "021-64123456"),
    ("13812345678", "13812345678"), ("+13125550100", "+1 3125550100"), ("65123456,12", "65123456 转 12"),
])
def test_a_revealed_phone_is_written_as_it_is_dialled(stored, zh):
    with translation.override("zh-hans"):
        assert display_phone(stored) == zh
