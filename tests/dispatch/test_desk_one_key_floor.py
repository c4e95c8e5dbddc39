"""One key does not dispatch a suggestion shown under 5 % (audit 11, finding 11): the panel marks it, compared with
the percentage on the screen; the cold start, whose percentages only rank, is not held to it."""
from types import SimpleNamespace

import pytest

from jiesu.dispatch.views import ONE_KEY_FLOOR_PERCENT, suggestion_row
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)


def shown_at(confidence):
    return SimpleNamespace(confidence=confidence, lead=None, mode="")


@pytest.mark.parametrize("confidence, percent, one_key", [
    (0.001, "0%", False), (0.044, "4%", False), (0.0496, "5%", True), (0.05, "5%", True), (0.9, "90%", True)])
def test_the_floor_is_the_percentage_shown(confidence, percent, one_key):
    row = suggestion_row(shown_at(confidence))
    assert (row["percent"], row["one_key"]) == (percent, one_key)
    assert ONE_KEY_FLOOR_PERCENT == 5


def test_the_cold_start_is_not_held_to_the_floor():
    assert suggestion_row(shown_at(0.01), cold_start=True)["one_key"] is True


def test_the_panel_marks_a_suggestion_under_the_floor(desk_world, client):
    ticket = new_ticket(desk_world)  # the stub: 占道经营 90 %, 燃气泄漏 6 %, 政策咨询 4 % (× the routing's 99 %)
    client.force_login(desk_world.dispatcher)
    page = client.get(f"/dispatch/desk/{ticket.pk}/suggestions/").content.decode()
    marked = [rank for rank in "123" if f'data-rank="{rank}" data-low' in page]
    assert marked == ["3"]
    assert "此建议显示的把握不足 5%" in page
