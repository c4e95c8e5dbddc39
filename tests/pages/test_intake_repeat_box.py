"""The intake panel's repeat box in a real browser (audit 11, finding 12)."""
import pytest

from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login


@pytest.mark.django_db(transaction=True)
def test_the_intake_panels_repeat_box_says_what_the_recorded_flag_will_say(live_server, page, world):
    """Audit 11, finding 12: a place read only in the description is not shown as 同街道 in the repeat box (the
    ticket is recorded without it: the stored flag says 地点未知), and the box's similarity is named apart."""
    from jiesu.dispatch import duplicates

    duplicates.reset_index(refresh_seconds=0)
    earlier = new_ticket(world, text="东华门大街88号门口的路灯不亮，晚上很黑", citizen_phone="13811110001")
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    page.fill("#id_citizen_phone", "13811110001")
    page.fill("#id_text", "东华门大街88号门口的路灯还是不亮，上次反映过了")
    box = page.locator(f'#intake-alerts [data-repeat="{earlier.pk}"]')
    box.wait_for()
    words = box.inner_text()
    assert "地点未知" in words and "同街道" not in words and "全文相似" in words
    assert "地点仅从描述中读出" in words
    assert "文本相似" in page.locator(f'#dup-panel [data-ticket="{earlier.pk}"]').inner_text()
    duplicates.reset_index()
