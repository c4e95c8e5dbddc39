"""Merging safely in a real browser (audit 11, finding 1): a merge of unlike requests asks a second time with a box,
the merged request's page says whose reply it got, and 撤销合并 sends it back to the dispatch queue."""
import pytest

from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket, reply_to

from .test_ticket_flow import login


@pytest.mark.django_db(transaction=True)
def test_a_doubtful_merge_is_confirmed_then_undone_on_the_ticket_page(live_server, page, world):
    parent = new_ticket(world, text="南河沿大街12号楼下井盖破损，有人差点踩空", title="井盖破损")
    child = new_ticket(world, text="孩子学校食堂饭菜质量差，希望监管", title="食堂饭菜质量差", citizen_phone="13811110002")
    login(page, live_server, "disp")
    page.goto(live_server.url + f"/tickets/{child.pk}/")
    form = page.locator("form#act-merge")
    form.locator("input[name=parent]").fill(parent.number)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = form.locator(".field-error")
    assert "井盖破损" in refusal.inner_text() and "食堂饭菜质量差" in refusal.inner_text()
    assert Ticket.objects.get(pk=child.pk).state == "new"
    form.locator("input[name=confirm_merge]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert Ticket.objects.get(pk=child.pk).parent_id == parent.pk

    reply_to(world, parent, "已更换井盖，现场已恢复安全。")
    page.goto(live_server.url + f"/tickets/{child.pk}/")
    assert page.locator(".via-parent").inner_text() == f"随主工单反馈：{parent.number} 井盖破损"
    undo = page.locator("form#act-unmerge")
    assert "为主工单写的反馈将撤回" in undo.inner_text()
    undo.locator("input[name=reason]").fill("市民反映的是食堂问题，不是井盖")
    undo.locator("button[type=submit]").click()
    page.wait_for_load_state()
    child = Ticket.objects.get(pk=child.pk)
    assert (child.state, child.parent_id, child.reply_text, child.rehandle_round) == ("new", None, "", 0)
    assert page.locator(".messages .success").count() == 1
    assert "dispatch" in services.available_actions(world.dispatcher, child) and page.locator("form#act-unmerge").count() == 0

