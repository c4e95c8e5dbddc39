"""退单 as a department's clerk meets it: a return the hotline rejected twice is not sent a third time (the ticket
bounced between the unit and the arbitration queue for as long as the unit liked, the citizen waiting)."""
import re

import pytest

from jiesu.core.errors import Conflict
from jiesu.tickets import services
from jiesu.tickets.models import ReturnRequest, State
from tests.tickets.helpers import new_ticket


def returned_and_rejected(world, ticket, times):
    for _ in range(times):
        services.return_ticket(world.dept_staff, ticket, "不属于本单位职责", world.dept2.pk)
        services.arbitrate(world.dispatcher, ticket, False, "属于人社职责，请办理")


@pytest.fixture
def ticket(world):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    return ticket


def test_a_return_rejected_twice_is_not_sent_a_third_time(world, ticket):
    returned_and_rejected(world, ticket, 2)
    with pytest.raises(Conflict) as refused:
        services.return_ticket(world.dept_staff, ticket, "还是不属于本单位", world.dept2.pk)
    assert "已被驳回 2 次" in refused.value.message or "rejected twice" in refused.value.message
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED and ticket.return_count == 2
    assert ReturnRequest.objects.filter(ticket=ticket).count() == 2


def test_one_rejection_still_leaves_a_second_return_and_the_page_says_why_there_is_no_third(world, ticket, client):
    returned_and_rejected(world, ticket, 1)
    client.force_login(world.dept_staff)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="reason"' in html and "data-return-refused" not in html
    returned_and_rejected(world, ticket, 1)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    form = re.search(r'<form[^>]*id="act-return".*?</form>', html, re.S).group(0)
    assert 'name="reason"' not in form and "本单位对此工单的退单已被驳回 2 次，不能再次退单" in form
    assert 'id="act-sign"' in html


def test_the_api_refuses_it_as_a_conflict_in_chinese(world, ticket, client):
    returned_and_rejected(world, ticket, 2)
    client.force_login(world.dept_staff)
    answer = client.post(f"/api/v1/tickets/{ticket.pk}/return", {"reason": "不属于本单位"},
                         content_type="application/json")
    assert answer.status_code == 409
    assert "本单位对此工单的退单已被驳回 2 次" in answer.json()["message"]
