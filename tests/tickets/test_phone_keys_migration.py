"""Migration tickets 0007: international numbers stored as digits before their key kept its + are re-keyed where one
reading alone is possible, so that the same-caller look-up finds them and no longer takes them for a Chinese
number's; the others are left and counted."""
import importlib

import pytest
from django.apps import apps

from jiesu.dispatch import duplicates
from jiesu.dispatch.duplicates import Draft
from jiesu.tickets.models import Ticket

from .helpers import new_ticket

MIGRATION = importlib.import_module("jiesu.tickets.migrations.0007_international_phone_keys")
STALL_AGAIN = "东华门大街路口早餐摊占道经营，行人只能走机动车道"

OLD_KEYS = {  # as stored before 2026-12-06 21:02 → after the migration
    "442079460958": "+442079460958", "00442079460958": "+442079460958", "442079460958,12": "+442079460958,12",
    "85223456789": "+85223456789", "12125550100": "+12125550100", "861065123456": "01065123456",
    "00861065123456": "01065123456",
    "13125550100": "13125550100",  # +1 312 555 0100 or a 131 mobile: left, as every mobile
    "139111133334": "139111133334", "1391111333": "1391111333",  # a mobile a digit long or short: left
    "13912345678": "13912345678", "01065123456,8021": "01065123456,8021", "+13125550100": "+13125550100",
    "65123456": "65123456", "4008123123": "4008123123",
}


def tickets_with(world, keys):
    """One ticket per stored key, written as an older version stored it (past the intake's rule)."""
    made = {}
    for key in keys:
        ticket = new_ticket(world)
        Ticket.objects.filter(pk=ticket.pk).update(citizen_phone=key)
        made[key] = ticket.pk
    return made


def test_old_international_keys_are_re_keyed_and_the_ambiguous_left_and_counted(world, capsys):
    made = tickets_with(world, OLD_KEYS)
    MIGRATION.rekey(apps, None)
    stored = dict(Ticket.objects.filter(pk__in=made.values()).values_list("pk", "citizen_phone"))
    assert {key: stored[pk] for key, pk in made.items()} == OLD_KEYS
    assert "phone keys: 7 re-keyed (international, or +86 before a fixed line), 2 left as stored" in \
        capsys.readouterr().out


def test_a_second_run_changes_nothing(world, capsys):
    made = tickets_with(world, ["442079460958", "139111133334"])
    MIGRATION.rekey(apps, None)
    MIGRATION.rekey(apps, None)
    assert "phone keys: 0 re-keyed (international, or +86 before a fixed line), 1 left as stored" in \
        capsys.readouterr().out.splitlines()[-1]
    assert Ticket.objects.get(pk=made["442079460958"]).citizen_phone == "+442079460958"


def test_a_re_keyed_caller_is_found_by_the_same_caller_look_up(world):
    made = tickets_with(world, ["442079460958"])
    place = duplicates.Place()
    assert duplicates.same_caller(world.call_taker, Draft(text=STALL_AGAIN, phone="+44 20 7946 0958"), place) == []
    MIGRATION.rekey(apps, None)
    found = duplicates.same_caller(world.call_taker, Draft(text=STALL_AGAIN, phone="0044 20 7946 0958"), place)
    assert [r.ticket.pk for r in found] == [made["442079460958"]]


@pytest.mark.parametrize("stored", ["+442079460958", "13912345678", "01065123456"])
def test_a_key_in_the_rules_own_form_is_not_read_as_an_old_one(stored):
    assert MIGRATION.new_key(stored) is None


def test_a_database_with_no_old_key_says_nothing(world, capsys):
    new_ticket(world, citizen_phone="+44 20 7946 0958")
    MIGRATION.rekey(apps, None)
    assert capsys.readouterr().out == ""
