"""The grid worker's ticket page says where a barred step up goes (audit 10): to the hotline's dispatch, naming
the negative-list entry, not 「上报至 <the barred unit>」."""
from jiesu.categories.models import Duty
from tests.grids.conftest import gw  # noqa: F401  (the grid world's fixture)
from tests.tickets.test_negative_grid_ladder import trash_report_contacted


def ladder_page(gw, client, language="zh-hans"):  # noqa: F811
    client.force_login(gw.w1)
    client.cookies["django_language"] = language
    ticket = trash_report_contacted(gw)
    return client.get(f"/grids/tickets/{ticket.pk}/").content.decode()


def test_a_barred_step_up_is_headed_to_the_hotlines_dispatch_naming_the_entry(gw, client):  # noqa: F811
    duty = Duty.objects.create(category=gw.trash, unit_kind="community", negative=True)
    page = ladder_page(gw, client)
    assert "上报：转热线派单" in page and "<h3>上报至" not in page
    assert (f"负面清单 #{duty.pk}：「暴露垃圾」不得派给 东华门第一社区（所在社区），因此工单连同上报理由转入热线派单队列，"
            "不上报至 东华门第一社区。") in page
    assert ">转热线派单</button>" in page


def test_the_same_in_english(gw, client):  # noqa: F811
    duty = Duty.objects.create(category=gw.trash, unit_kind="community", negative=True)
    page = ladder_page(gw, client, "en")
    assert "Pass up: to the hotline" in page and "<h3>Pass up to" not in page
    assert f"Negative list #{duty.pk}: “暴露垃圾” must not go to 东华门第一社区" in page


def test_a_step_up_nothing_bars_is_headed_to_the_next_unit(gw, client):  # noqa: F811
    page = ladder_page(gw, client)
    assert "<h3>上报至东华门第一社区" in page and "转热线派单" not in page
