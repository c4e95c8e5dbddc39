"""The grid ladder is held to the negative list (负面清单): a patrol report whose duty-list unit is barred is left to
the hotline's dispatch, and a step up to a barred unit goes to the hotline's dispatch queue instead, from any
handling state (audit 10, #10: a contacted ticket cannot be returned, so a refusal left the worker stuck)."""
import pytest
from django.utils import translation

from jiesu.categories.models import Duty
from jiesu.grids import services
from jiesu.tickets import services as tickets
from jiesu.grids.models import StepOutcome
from jiesu.tickets.models import AssignmentState, State
from tests.grids.conftest import gw  # noqa: F401  (the grid world's fixture)


def shed_report(gw):  # noqa: F811
    """私搭乱建 at 东华门街道's first grid: the city default duty list gives it to the street."""
    report, _ = services.file_report(gw.w1, services.ReportData(text="私搭乱建", gbt_code="06001", lon=116.385,
                                                                lat=39.915))
    return report.ticket


def test_a_report_for_a_barred_street_is_left_to_the_hotline(gw):  # noqa: F811
    duty = Duty.objects.create(category=gw.shed, unit=gw.street, negative=True)
    with translation.override("zh-hans"):
        ticket = shed_report(gw)
    assert ticket.state == State.NEW and ticket.lead_unit is None and not ticket.ladder_steps.exists()
    event = ticket.events.get(kind="grid_handover")
    assert event.payload["negative_list"] == [{"duty": duty.pk, "unit": "东华门街道", "unit_id": gw.street.pk,
                                               "role": "lead"}]
    assert event.note == f"负面清单 #{duty.pk}：「私搭乱建」不得派给 东华门街道，转热线派单。"


def test_a_report_nothing_bars_goes_to_the_duty_lists_unit(gw):  # noqa: F811
    ticket = shed_report(gw)
    assert ticket.lead_unit == gw.street and ticket.state == State.DISPATCHED


def trash_report_contacted(gw):  # noqa: F811
    """暴露垃圾 at the first grid (the city default: the grid handles it), signed and contacted by its worker."""
    report, _ = services.file_report(gw.w1, services.ReportData(text="暴露垃圾清不动", category_code=gw.trash.code,
                                                                lon=116.385, lat=39.915))
    ticket = report.ticket
    tickets.sign(gw.w1, ticket)
    tickets.contact(gw.w1, ticket, "已联系")
    return ticket


def test_a_contacted_step_up_to_a_barred_community_goes_to_the_hotlines_dispatch_queue(gw):  # noqa: F811
    ticket = trash_report_contacted(gw)
    assert ticket.lead_unit == gw.g1 and ticket.state == State.CONTACTED
    duty = Duty.objects.create(category=gw.trash, unit_kind="community", negative=True)
    with translation.override("zh-hans"):
        services.escalate(gw.w1, ticket, "本网格无法处理，需社区协调")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.lead_unit, ticket.reply_due) == (State.NEW, None, None)
    assert ticket.dispatch_due is not None
    assert not ticket.assignments.filter(active=True).exists()
    assert ticket.assignments.get(unit=gw.g1).state == AssignmentState.WITHDRAWN
    assert ticket.ladder_steps.get().outcome == StepOutcome.ESCALATED  # the grid's step is left, not overdue
    event = ticket.events.get(kind="grid_handover")
    assert (event.from_state, event.to_state) == (State.CONTACTED, State.NEW)
    assert event.payload["negative_list"] == [{"duty": duty.pk, "unit": "东华门第一社区", "unit_id": gw.c1.pk, "role": "lead"}]
    assert (event.payload["from_unit"], event.payload["to_level"]) == ("第一社区第1网格", "community")
    assert event.note == (f"负面清单 #{duty.pk}：「暴露垃圾」不得派给 东华门第一社区（所在社区），转热线派单。"
                          "上报理由：本网格无法处理，需社区协调")
    assert not ticket.events.filter(kind="escalate").exists()
    tickets.dispatch(gw.dispatcher, ticket, gw.street.pk, note="由街道协调清运")  # the dispatcher routes it on
    ticket.refresh_from_db()
    assert (ticket.state, ticket.lead_unit) == (State.DISPATCHED, gw.street)


def test_the_grid_page_says_the_barred_step_up_went_to_the_hotline(gw, client):  # noqa: F811
    ticket = trash_report_contacted(gw)
    Duty.objects.create(category=gw.trash, unit_kind="community", negative=True)
    client.force_login(gw.w1)
    page = client.post(f"/grids/tickets/{ticket.pk}/escalate/", {"reason": "需社区协调"}, follow=True,
                       HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "负面清单禁止上报至上一级：工单已转热线派单。" in page
    ticket.refresh_from_db()
    assert ticket.state == State.NEW


def test_a_step_up_nothing_bars_still_goes_up(gw):  # noqa: F811
    ticket = trash_report_contacted(gw)
    services.escalate(gw.w1, ticket, "需社区协调")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.lead_unit) == (State.DISPATCHED, gw.c1)
    assert ticket.events.filter(kind="escalate").exists() and not ticket.events.filter(kind="grid_handover")
