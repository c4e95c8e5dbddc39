"""Merging into a ticket that takes no more merges is refused naming its state (audit 11, finding 23)."""
import pytest
from django.utils import translation

from jiesu.core.errors import Conflict
from jiesu.tickets import services
from tests.tickets.helpers import new_ticket, reply_to


def test_a_merge_into_a_replied_ticket_names_the_state(world):
    parent = new_ticket(world, text="南河沿大街12号楼下井盖破损", citizen_phone="13811110001")
    child = new_ticket(world, text="南河沿大街12号附近井盖坏了", citizen_phone="13811110002")
    reply_to(world, parent)
    with translation.override("zh-hans"), pytest.raises(Conflict) as refused:
        services.merge(world.dispatcher, child, parent, confirm=True)
    assert str(refused.value).startswith("“已反馈待回访”的工单不能再并入")
    with translation.override("en"), pytest.raises(Conflict) as refused:
        services.merge(world.dispatcher, child, parent, confirm=True)
    assert "“Replied, awaiting callback”" in str(refused.value)
