"""Namesake categories told apart (audit 11, finding 2): the desk's panel and its flash give the parents' path where
two categories of one name are shown together, and the suggestion log credits the model by id, not by name."""
import re

from jiesu.categories.models import Category
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import DispatchSuggestion
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .namesake_helpers import CONSULT, STALL, namesake_world  # noqa: F401  (fixture)


def logged_row(rank, category, lead_id):
    return {"rank": rank, "category": {"id": category.id, "code": category.code, "name": category.name},
            "lead": {"id": lead_id, "code": f"U{lead_id}", "name": f"单位{lead_id}"}, "co": []}


def test_match_counts_a_namesake_as_another_category():
    gbt = Category(id=626, code="90.09.09006", name="占道经营")
    hotline = Category(id=164, code="03.01.01", name="占道经营")
    rows = [logged_row(1, gbt, 7), logged_row(2, hotline, 8)]
    found = desk.match(rows, hotline, 8, [])
    assert (found.accepted_rank, found.category_rank, found.unit_rank, found.co_matched) == (2, 2, 2, True)
    assert desk.match(rows, gbt, 8, []).accepted_rank is None  # 90.09.09006 → 单位8 was not suggested


def panel_categories(client, ticket):
    page = client.get(f"/dispatch/desk/{ticket.pk}/suggestions/").content.decode()
    return re.findall(r'<span class="desk-cat" title="([^"]*)">([^<]*)</span>', page)


def test_the_panel_gives_the_path_of_two_suggestions_of_one_name(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    assert panel_categories(client, new_ticket(w, text=STALL, category_code="")) == [
        ("90.09.09006", "占道经营（城市管理部件与事件 / 街面秩序类）"), ("01.01.01", "占道经营（城市管理 / 街面秩序）"),
        ("01.01.03", "政策咨询")]


def test_the_panel_gives_the_path_where_the_tickets_category_has_the_suggestions_name(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    filed_elsewhere = new_ticket(w, text=CONSULT, category_code=w.gbt.code)
    assert panel_categories(client, filed_elsewhere)[0] == ("01.01.01", "占道经营（城市管理 / 街面秩序）")
    filed_there = new_ticket(w, text=CONSULT, category_code=w.category.code)
    assert [name for _code, name in panel_categories(client, filed_there)] == ["占道经营", "政策咨询", "燃气泄漏"]


def test_the_flash_names_the_namesake_dispatched_and_the_log_credits_it_by_id(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    r = client.post(f"/dispatch/desk/{ticket.pk}/accept/", {
        "rank": "2", "expect_category_2": w.category.code, "expect_lead_2": str(w.street.pk), "next": "/dispatch/"},
        follow=True)
    flash = [str(m) for m in r.context["messages"]]
    assert flash == [f"{ticket.number} 已按第 2 条建议派单：占道经营（城市管理 / 街面秩序） → 东华门街道。"]
    row = DispatchSuggestion.objects.get(ticket=ticket)
    assert (row.accepted_rank, row.category_rank, row.unit_rank) == (2, 2, 2)  # not category #1 by its name
    assert Ticket.objects.get(pk=ticket.pk).category == w.category


def test_the_flash_gives_no_path_without_a_namesake(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=CONSULT, category_code=w.category.code)
    r = client.post(f"/dispatch/desk/{ticket.pk}/accept/", {"rank": "1", "next": "/dispatch/"}, follow=True)
    assert [str(m) for m in r.context["messages"]] == [f"{ticket.number} 已按第 1 条建议派单：占道经营 → 东华门街道。"]
