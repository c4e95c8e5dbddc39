"""Ids and phone numbers read from forms (jiesu.core.params: pure)."""
import pytest

from jiesu.core.params import MAX_ID, as_id, phone_digits


@pytest.mark.parametrize("typed, key", [
    ("139-1111-3333", "13911113333"), ("139 1111 3333", "13911113333"), ("+86 139-1111-3333", "13911113333"),
    ("0086-13911113333", "13911113333"), ("86 13911113333", "13911113333"), ("13911113333", "13911113333"),
    ("010-6512 3456", "01065123456"), ("8613911", "8613911"), ("", ""), (None, ""),
])
def test_one_caller_one_phone_key(typed, key):
    assert phone_digits(typed) == key


@pytest.mark.parametrize("value, wanted", [
    ("12", 12), (7, 7), ("0", None), ("-3", None), ("abc", None), (None, None), ("9" * 25, None),
    (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None),
])
def test_an_id_is_a_whole_number_a_database_holds(value, wanted):
    assert as_id(value) == wanted
