"""The dispatch queue's card marks a grid worker's report the negative list sent to the hotline (「网格上报 ·
负面清单转派」), filed or stepped up, as it marks a re-handling the negative list sent back."""
from django.utils import translation

from jiesu.categories.models import Duty
from jiesu.grids import services
from jiesu.tickets import queue_marks
from tests.grids.conftest import gw  # noqa: F401  (the grid world's fixture)
from tests.tickets.test_negative_grid_ladder import shed_report, trash_report_contacted


def card(page, ticket):
    start = page.index(f'id="t{ticket.pk}"')
    return page[start:page.index("</article>", start)]


def test_a_report_left_to_the_hotline_by_the_negative_list_is_marked(gw, client):  # noqa: F811
    duty = Duty.objects.create(category=gw.shed, unit=gw.street, negative=True)
    with translation.override("zh-hans"):
        barred = shed_report(gw)
    client.force_login(gw.dispatcher)
    shown = card(client.get("/dispatch/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode(), barred)
    assert "网格上报 · 负面清单转派" in shown and "data-barred-step-up" in shown
    assert f"负面清单 #{duty.pk}：「私搭乱建」不得派给 东华门街道，转热线派单。" in shown


def test_a_barred_step_up_is_marked_with_the_workers_reason(gw):  # noqa: F811
    ticket = trash_report_contacted(gw)
    Duty.objects.create(category=gw.trash, unit_kind="community", negative=True)
    with translation.override("zh-hans"):
        services.escalate(gw.w1, ticket, "本网格无法处理，需社区协调")
    marks = queue_marks.barred_grid_step_ups([ticket])
    assert list(marks) == [ticket.pk] and marks[ticket.pk].endswith("上报理由：本网格无法处理，需社区协调")


def test_a_report_nothing_barred_and_one_back_in_the_queue_for_another_reason_carry_no_mark(gw):  # noqa: F811
    from jiesu.tickets import services as tickets

    taken = shed_report(gw)  # the street takes it: no handover at all
    assert queue_marks.barred_grid_step_ups([taken]) == {}
    ticket = trash_report_contacted(gw)
    Duty.objects.create(category=gw.trash, unit_kind="community", negative=True)
    services.escalate(gw.w1, ticket, "需社区协调")
    tickets.dispatch(gw.dispatcher, ticket, gw.street.pk)
    tickets.return_ticket(gw.street_staff, ticket, "不属于本街道职责")
    tickets.arbitrate(gw.dispatcher, ticket, True)  # upheld, no new lead: back to the queue
    ticket.refresh_from_db()
    assert ticket.state == "new" and queue_marks.barred_grid_step_ups([ticket]) == {}
