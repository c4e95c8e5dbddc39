"""The dispatch queue in a real browser: an auto-dispatch rule the worker paused shows the dispatch lead a banner
saying why (退单核实 3 of 3, the interval's lower end above what the threshold allows); 「已看到」 clears it, and the
accuracy page still lists the rule, where the lead switches it back on."""
import pytest

from dispatch.desk_helpers import desk_world  # noqa: F401  (fixture)
from dispatch.test_accuracy_filters import lead  # noqa: F401  (fixture)
from dispatch.test_rule_pause_and_recount import flagged_rule  # noqa: F401  (fixture)
from jiesu.core.tests_support import force_login
from jiesu.dispatch import jobs
from jiesu.dispatch.models import AutoDispatchRule
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)


@pytest.mark.django_db(transaction=True)
def test_the_lead_sees_the_paused_rule_acknowledges_and_switches_it_back_on(live_server, page, desk_world,
                                                                          flagged_rule, lead, monkeypatch):
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    jobs.auto_dispatch_once()  # the worker's pass judges the rules first: this one is paused
    force_login(page, live_server, lead)
    page.goto(live_server.url + "/dispatch/")
    banner = page.locator("#paused-rules-banner")
    assert banner.is_visible()
    words = banner.inner_text()
    assert "系统已自动暂停 1 条自动派单规则" in words and "占道经营" in words
    assert "已自动暂停：3 次自动派单中退单核实 3 次，95% 区间下限 44% > 允许 20%" in words
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    page.locator("#paused-rules-seen").click()
    page.wait_for_url(live_server.url + "/dispatch/")
    assert page.locator("#paused-rules-banner").count() == 0

    page.goto(live_server.url + "/dispatch/accuracy/")
    paused = page.locator("#acc-paused [data-paused='01.01.01']")
    assert "lead 已于" in paused.inner_text() and "知悉" in paused.inner_text()  # who saw the banner
    paused.get_by_role("button", name="重新启用").click()
    page.wait_for_url(live_server.url + "/dispatch/accuracy/")
    assert "已恢复自动派单" in page.locator(".messages .success").inner_text()
    assert page.locator("#acc-paused").count() == 0
    assert AutoDispatchRule.objects.get(pk=flagged_rule.pk).enabled
