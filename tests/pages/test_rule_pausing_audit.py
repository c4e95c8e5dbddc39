"""Audit of the paused auto-dispatch rules in a real browser (Chromium), two dispatch leads in two sessions: both
see the banner; one switches the rule back on (English), the other then presses 「重新启用」 and 「已看到」 on the
pages still open: told who switched it on and when, nothing to acknowledge, no error page, one switch on logged."""
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.utils import timezone

from dispatch.desk_helpers import desk_world  # noqa: F401  (fixture)
from dispatch.test_accuracy_filters import lead  # noqa: F401  (fixture)
from dispatch.test_rule_pause_and_recount import flagged_rule  # noqa: F401  (fixture)
from jiesu.accounts.groups import ensure_staff_groups
from jiesu.accounts.models import Role, User
from jiesu.core.tests_support import force_login
from jiesu.dispatch import accuracy as figures
from jiesu.dispatch.models import AutoDispatchRule
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)


@pytest.fixture
def second_page(browser, live_server):
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Shanghai")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_two_leads_at_once_one_switches_it_on_the_other_is_told(live_server, page, second_page, desk_world,
                                                                flagged_rule, lead):
    ensure_staff_groups()
    other = User.objects.create_user("lead2", password="pw", role=Role.DISPATCHER, unit=desk_world.hc,
                                      is_staff=True, display_name="王组长")
    other.groups.add(Group.objects.get(name="派单目录维护"))
    figures.pause_flagged_rules()
    force_login(page, live_server, lead)
    force_login(second_page, live_server, other)
    page.goto(live_server.url + "/dispatch/")
    other_tab = page.context.new_page()  # the first lead's second tab, the banner open too
    other_tab.goto(live_server.url + "/dispatch/accuracy/")
    second_page.goto(live_server.url + "/dispatch/")
    assert "城市管理 / 街面秩序 / 占道经营（≥ 80.0%）" in page.locator("#paused-rules-banner").inner_text()
    english = second_page.locator("#paused-rules-banner").inner_text()
    assert "The worker paused 1 auto-dispatch rule" in english and "(≥ 80.0%)" in english

    second_page.locator("#paused-rules-banner").get_by_role("button", name="Switch it back on").click()
    second_page.wait_for_url(live_server.url + "/dispatch/")
    assert "auto-dispatches again at ≥ 80.0%" in second_page.locator(".messages .success").inner_text()
    assert second_page.locator("#paused-rules-banner").count() == 0

    page.locator("#paused-rules-banner").get_by_role("button", name="重新启用").click()  # the page still open
    page.wait_for_url(live_server.url + "/dispatch/")
    at = timezone.localtime(AutoDispatchRule.objects.get(pk=flagged_rule.pk).resumed_at).strftime("%m-%d %H:%M")
    said = page.locator(".messages .warning").first.inner_text()
    assert "该规则（已）不在暂停中" in said and f"王组长 已于 {at} 重新启用「城市管理 / 街面秩序 / 占道经营」" in said
    other_tab.locator("#paused-rules-seen").click()  # 「已看到」 pressed late, in the other tab
    other_tab.wait_for_url(live_server.url + "/dispatch/accuracy/")
    assert other_tab.get_by_text("没有要确认的暂停：这些规则已有人确认或已重新启用。").is_visible()
    assert other_tab.locator("#acc-paused").count() == 0
    rule = AutoDispatchRule.objects.get(pk=flagged_rule.pk)
    assert rule.enabled and rule.resumed_by == other and rule.pause_seen_by == other
    assert list(LogEntry.objects.filter(object_id=str(rule.pk)).order_by("id")
                .values_list("user__username", flat=True)) == ["system", "lead2"]
