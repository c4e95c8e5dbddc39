"""The caller's phone on the ticket's way after the phone rule's leftovers: the intake refuses a Beijing fixed line
a digit short with the phone message."""
import pytest
from django.utils import translation

from jiesu.tickets.services import DomainError, IntakeData, validate_intake

from .helpers import new_ticket


@pytest.mark.parametrize("typed", ["010-6512345", "(010)6512345", "021-6412345"])
def test_the_intake_refuses_a_fixed_line_a_digit_short(world, typed):
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        validate_intake(IntakeData(text="路灯坏了", citizen_phone=typed))
    assert refused.value.message.startswith("电话号码格式不正确：") and refused.value.field == "citizen_phone"


@pytest.mark.parametrize("typed, stored", [("010-65123456", "01065123456"), ("0551-6512345", "05516512345")])
def test_the_intake_takes_a_fixed_line_of_its_area_codes_length(world, typed, stored):
    assert new_ticket(world, citizen_phone=typed).citizen_phone == stored
