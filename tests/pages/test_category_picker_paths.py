"""The category picker in a real browser tells namesakes apart: the dispatch form's and the correction form's
占道经营 read with their parents' path, in the list and once chosen."""
import pytest

from dispatch.namesake_helpers import namesake_world  # noqa: F401  (fixture)
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login

HOTLINE_TREE = "占道经营（城市管理 / 街面秩序）"
GBT_TREE = "占道经营（城市管理部件与事件 / 街面秩序类）"


def choose_namesake(page, box, path):
    """Type 占道经营 into the picker `box` and click the option whose path is `path`."""
    page.fill(box, "占道经营")
    picker = page.locator(box).locator("xpath=ancestor::div[contains(@class,'picker')][1]")
    options = picker.locator(".pick-opt")
    options.nth(1).wait_for()
    assert sorted(options.locator("small").all_inner_texts()) == ["城市管理 / 街面秩序", "城市管理部件与事件 / 街面秩序类"]
    options.filter(has_text=path).click()
    return picker


@pytest.mark.django_db(transaction=True)
def test_the_dispatch_and_correction_pickers_show_a_namesakes_path(live_server, page, namesake_world):
    w = namesake_world
    queued = new_ticket(w)
    login(page, live_server, "disp")
    page.goto(live_server.url + "/dispatch/")
    box = f"#pick-category-{queued.pk}"
    assert page.input_value(box) == HOTLINE_TREE  # the ticket's own category, told apart from the other tree's
    picker = choose_namesake(page, box, "城市管理部件与事件 / 街面秩序类")
    assert page.input_value(box) == GBT_TREE
    assert picker.locator("input[type=hidden]").input_value() == "90.09.09006"

    dispatched = new_ticket(w, citizen_phone="13900000003", text="王府井大街小吃摊摆到人行道上")
    services.dispatch(w.dispatcher, dispatched, w.street.pk)
    page.goto(live_server.url + f"/tickets/{dispatched.pk}/")
    form = page.locator("#act-recategorize")
    choose_namesake(page, f"#act-recategorize #pick-category-{dispatched.pk}", "城市管理部件与事件 / 街面秩序类")
    assert form.locator(".picker-q").input_value() == GBT_TREE
    form.locator("input[name=reason]").fill("按国标目录归入城市管理部件与事件")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert Ticket.objects.get(pk=dispatched.pk).category == w.gbt
