"""The grid ladder is held to the negative list (负面清单): a patrol report whose duty-list unit is barred is left to
the hotline's dispatch, and a step up to a barred unit is refused (the unit returns the ticket instead)."""
import pytest
from django.utils import translation

from jiesu.categories.models import Duty
from jiesu.core.errors import Conflict
from jiesu.grids import services
from jiesu.tickets import services as tickets
from jiesu.tickets.models import State
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
    assert event.payload["negative_list"] == [{"duty": duty.pk, "unit": "东华门街道", "role": "lead"}]
    assert event.note == f"负面清单 #{duty.pk}：「私搭乱建」不得派给 东华门街道，转热线派单。"


def test_a_report_nothing_bars_goes_to_the_duty_lists_unit(gw):  # noqa: F811
    ticket = shed_report(gw)
    assert ticket.lead_unit == gw.street and ticket.state == State.DISPATCHED


def test_a_step_up_to_a_barred_unit_is_refused(gw):  # noqa: F811
    ticket = shed_report(gw)
    tickets.sign(gw.street_staff, ticket)
    duty = Duty.objects.create(category=gw.shed, unit_kind="district", negative=True)
    with pytest.raises(Conflict) as caught, translation.override("zh-hans"):
        services.escalate(gw.street_staff, ticket, "需区级协调")
    assert caught.value.message.startswith(f"负面清单 #{duty.pk}：「私搭乱建」不得派给 东城区")
    assert "请退单" in caught.value.message
    ticket.refresh_from_db()
    assert ticket.lead_unit == gw.street and not ticket.events.filter(kind="escalate").exists()
