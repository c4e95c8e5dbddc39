"""The intake panel names the ticket being handled once, its other calls listed under it (audit 11, finding 15), in
a real browser; the call closed as a repeat reaches that ticket."""
import pytest

from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login

PHONE = "13811110001"
LAMP_AGAIN = "东华门大街88号门口路灯还是不亮，晚上很黑"


@pytest.mark.django_db(transaction=True)
def test_one_repeat_box_names_the_handled_ticket_and_lists_the_other_calls(live_server, page, world):
    from jiesu.dispatch import duplicates
    from jiesu.tickets import services
    from jiesu.tickets.models import State, Ticket

    duplicates.reset_index(refresh_seconds=0)
    handled = new_ticket(world, text="东华门大街88号门口的路灯不亮，晚上很黑", citizen_phone=PHONE)
    services.dispatch(world.dispatcher, handled, world.street.pk)
    second = new_ticket(world, text=LAMP_AGAIN, citizen_phone=PHONE)
    duplicates.after_intake(world.call_taker, second)  # recorded as new, flagged
    third = new_ticket(world, text=LAMP_AGAIN, citizen_phone=PHONE)
    duplicates.after_intake(world.call_taker, third, then=f"repeat:{handled.pk}")

    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    page.fill("#id_citizen_phone", PHONE)
    page.fill("#id_text", LAMP_AGAIN)
    box = page.locator(f'#intake-alerts [data-repeat="{handled.pk}"]')
    box.wait_for()
    assert page.locator("#intake-alerts [data-repeat]").count() == 1
    calls = box.locator("[data-earlier-calls] [data-call]")
    assert [int(calls.nth(i).get_attribute("data-call")) for i in range(calls.count())] == [third.pk, second.pk]
    assert "已派单" in box.inner_text()

    box.locator("button[name=then]").click()
    page.wait_for_load_state()
    fourth = Ticket.objects.exclude(pk__in=[handled.pk, second.pk, third.pk]).get()
    handled.refresh_from_db()
    assert fourth.state == State.CLOSED and handled.number in fourth.events.get(kind="close_special").note
    assert handled.repeat_calls == 2 and handled.events.filter(kind="repeat_call").count() == 2
    duplicates.reset_index()
