"""Hotspots and 每月一题 in Chromium: the supervisor runs the hotspots, opens the hottest, makes it a topic."""
import re

import pytest

from jiesu.core import background
from jiesu.core.tests_support import force_login, screenshot
from jiesu.hotspots.models import AskedRun
from jiesu.tickets import jobs as worker_jobs
from jiesu.topics.models import Topic
from hotspots.conftest import SAME, hot  # noqa: F401  (fixtures)
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import point_children_at_the_test_database

pytestmark = pytest.mark.django_db(transaction=True)


def test_hotspots_to_topic(live_server, page, hot, monkeypatch):
    point_children_at_the_test_database(monkeypatch)  # the run's own process (jiesu hotspots --asked) reads it
    force_login(page, live_server, hot.supervisor)
    page.goto(live_server.url + "/hotspots/")
    assert "尚未进行热点挖掘" in page.content()
    page.click("#run-hotspots")  # asks the worker (services.ask_run): the page answers at once, the run waits
    assert page.locator("#asked-run").get_attribute("data-state") == "waiting"
    assert "sup" in page.locator("#asked-run").inner_text() and "等待" in page.locator("#asked-run").inner_text()
    page.click("#run-hotspots")  # a second click is refused, naming the run waiting
    assert "尚未结束" in page.locator(".messages").inner_text()
    assert AskedRun.objects.count() == 1
    assert worker_jobs.run_pass()["hotspots_asked"] is not None  # the worker's pass starts its process
    assert background.children[-1].wait() == 0
    page.wait_for_selector("#asked-run[data-state=done]", timeout=0)  # the page reloads itself until it is done
    page.wait_for_selector("#hotspots")
    rows = page.locator("#hotspots tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert first.locator("td").nth(3).inner_text() == "4" and first.locator("td").nth(4).inner_text() == "3"
    page.locator("summary").first.click()
    screenshot(page, "hotspots")

    first.locator("a").click()
    page.wait_for_selector("#hotspot-tickets")
    assert page.locator("#hotspot-tickets tbody tr").count() == 4
    page.click("#make-topic")
    page.wait_for_selector("#topic-form")
    assert page.input_value("#t-title") in SAME
    page.select_option("#t-lead", str(hot.street.pk))
    page.select_option("#t-co", [str(hot.dept2.pk)])
    page.click("#topic-form button[type=submit]")
    page.wait_for_url(re.compile(r"/topics/\d+/$"))
    topic = Topic.objects.get()
    assert topic.source == "hotspot" and topic.lead_unit == hot.street
    assert list(topic.co_units.all()) == [hot.dept2]
    assert page.locator("#volume-during").inner_text() == "4"   # the four market tickets, this month

    page.fill("#k-title", "清理早市占道摊点并设置疏导区")
    page.click("#tasks button[type=submit]")
    page.wait_for_selector("#tasks li:has-text('清理早市占道摊点')")
    page.fill("#progress textarea", "已召开专题会，明确街道主责、市场监管协办。")
    page.click("#progress button[type=submit]")
    page.wait_for_selector("#progress li:has-text('已召开专题会')")
    assert page.locator("#changes li").count() == 3
    screenshot(page, "topic")

    force_login(page, live_server, hot.street_b_staff)        # another street: not this hotspot
    page.goto(live_server.url + f"/hotspots/{topic.hotspot_id}/")
    assert page.locator("#hotspot-tickets").count() == 0
