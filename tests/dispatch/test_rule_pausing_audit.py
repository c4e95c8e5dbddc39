"""Audit of the auto-dispatch rules the worker pauses (2026-12-07): the pause, the banner, its acknowledgement and
the switch back on, as the dispatch lead, a dispatcher, a supervisor, an administrator and others use them, in
Chinese and English; two sessions at once; a rule edited or deleted while paused; bad ids; the setting off."""
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category
from jiesu.dispatch import accuracy as figures
from jiesu.dispatch import jobs
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AutoDispatchRule
from jiesu.tickets.models import State
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_accuracy_filters import lead, new_lead  # noqa: F401  (fixture)
from .test_rule_pause_and_recount import flagged_rule  # noqa: F401  (fixture)

BANNER = re.compile(r'<ul class="messages" id="paused-rules-banner">.*?</li></ul>', re.S)


def client_of(user, language="zh-hans"):
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies["django_language"] = language
    return client


def banner_of(html):
    """The banner's words (tags dropped, spaces joined), or None when there is none."""
    found = BANNER.search(html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip() if found else None


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def seen_form(html):
    """The fields the banner's 「已看到」 form posts."""
    form = re.search(r'<form[^>]*action="/dispatch/rules/paused/seen/".*?</form>', html, re.S).group(0)
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form):
        fields.setdefault(name, []).append(value)
    return fields


@pytest.fixture
def second_lead(desk_world):
    return new_lead(desk_world, "lead2")


def other_stall(w):
    """A new 占道经营 ticket (the stub: 90 %) unlike the open ones, in another street: not held as a near duplicate."""
    return new_ticket(w, text="西单北大街路口晚上常有流动摊贩摆卖水果，车辆难以通行", street_code=w.street_b.code)


def paused(rule_pk):
    return AutoDispatchRule.objects.get(pk=rule_pk)


def log_lines(rule):
    return list(LogEntry.objects.filter(object_id=str(rule.pk)).order_by("action_time", "id")
                .values_list("user__username", "change_message"))


# ── who is told, who acknowledges, who switches it back on ───────────────────

def test_every_role_by_url_and_post_without_the_button(desk_world, flagged_rule, lead):
    w = desk_world
    figures.pause_flagged_rules()
    admin = User.objects.create_user("adm", password="pw", role=Role.ADMIN, unit=w.city)
    district_supervisor = User.objects.create_user("dsup", password="pw", role=Role.SUPERVISOR, unit=w.district)
    # user: (banner on the queue's page, may acknowledge, may switch back on)
    cases = {lead: (True, True, True), admin: (True, True, True), w.supervisor: (True, True, False),
             w.dispatcher: (False, False, False), district_supervisor: (False, False, False),
             w.call_taker: (False, False, False), w.callback_agent: (False, False, False),
             w.street_staff: (False, False, False), w.grid_worker: (False, False, False),
             w.citizen: (False, False, False)}
    resume, seen = f"/dispatch/rules/{flagged_rule.pk}/resume/", "/dispatch/rules/paused/seen/"
    for user, (told, acknowledges, resumes) in cases.items():
        client = client_of(user)
        html = client.get("/dispatch/accuracy/").content.decode() if told else ""
        assert (banner_of(html) is not None) == told, user.username
        assert (f'action="{resume}"' in html) == resumes, user.username
        if not told:  # nobody else sees it on a page they may open either
            for url in ("/dispatch/", "/tickets/"):
                assert banner_of(client.get(url).content.decode()) is None, (user.username, url)
        if not acknowledges:
            assert client.post(seen).status_code == 403, user.username
        if not resumes:
            assert client.post(resume).status_code == 403, user.username
        assert paused(flagged_rule.pk).pause_seen_at is None and not paused(flagged_rule.pk).enabled
    anonymous = client_of(None)
    for url in (resume, seen):
        r = anonymous.post(url)
        assert r.status_code == 302 and r.url.startswith("/login/"), url
    assert client_of(admin).post(resume).status_code == 302 and paused(flagged_rule.pk).enabled


def test_post_only_and_csrf(desk_world, flagged_rule, lead):
    figures.pause_flagged_rules()
    resume, seen = f"/dispatch/rules/{flagged_rule.pk}/resume/", "/dispatch/rules/paused/seen/"
    client = client_of(lead)
    assert client.get(resume).status_code == 405 and client.get(seen).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lead)
    assert strict.post(resume).status_code == 403 and strict.post(seen).status_code == 403
    rule = paused(flagged_rule.pk)
    assert not rule.enabled and rule.pause_seen_at is None and rule.paused_at is not None


# ── two sessions at once ─────────────────────────────────────────────────────

def test_two_leads_switching_the_same_rule_back_on_switch_it_on_once(desk_world, flagged_rule, lead, second_lead):
    figures.pause_flagged_rules()
    in_a = figures.paused_rules().get(pk=flagged_rule.pk)  # both sessions read the paused rule…
    in_b = figures.paused_rules().get(pk=flagged_rule.pk)
    assert figures.resume_rule(in_a, lead) is not None
    resumed_at = paused(flagged_rule.pk).resumed_at
    assert figures.resume_rule(in_b, second_lead) is None  # …the second finds it switched on already
    rule = paused(flagged_rule.pk)
    assert rule.enabled and rule.resumed_by == lead and rule.resumed_at == resumed_at
    assert [who for who, _words in log_lines(rule)] == ["system", "lead"]


def test_a_switch_back_on_keeps_who_acknowledged_meanwhile(desk_world, flagged_rule, lead, second_lead):
    figures.pause_flagged_rules()
    in_a = figures.paused_rules().get(pk=flagged_rule.pk)  # lead reads it unacknowledged
    assert figures.acknowledge_pauses(second_lead) == 1  # lead2 acknowledges in another session
    figures.resume_rule(in_a, lead)
    rule = paused(flagged_rule.pk)
    assert rule.enabled and rule.resumed_by == lead and rule.pause_seen_by == second_lead


def test_a_second_switch_back_on_says_who_did_it_and_when(desk_world, flagged_rule, lead, second_lead):
    figures.pause_flagged_rules()
    url = f"/dispatch/rules/{flagged_rule.pk}/resume/"
    a, b = client_of(lead), client_of(second_lead, "en")
    assert "重新启用" in a.get("/dispatch/").content.decode()  # both have the button on their pages
    assert "Switch it back on" in b.get("/dispatch/").content.decode()
    first = a.post(url, {"next": "/dispatch/"}, follow=True)
    assert first.status_code == 200 and "已恢复自动派单" in messages_of(first)
    second = b.post(url, {"next": "/dispatch/"}, follow=True)
    at = timezone.localtime(paused(flagged_rule.pk).resumed_at).strftime("%m-%d %H:%M")
    said = messages_of(second)
    assert second.status_code == 200 and "is not paused (any more)" in said
    assert f"lead switched “城市管理 / 街面秩序 / 占道经营” back on at {at}" in said
    again = a.post(url, follow=True)  # the same lead twice (a double click)
    assert f"lead 已于 {at} 重新启用「城市管理 / 街面秩序 / 占道经营」" in messages_of(again)
    assert paused(flagged_rule.pk).resumed_by == lead
    assert [who for who, _words in log_lines(flagged_rule)] == ["system", "lead"]


def test_a_switch_back_on_while_another_lead_acknowledges(desk_world, flagged_rule, lead, second_lead):
    figures.pause_flagged_rules()
    a, b = client_of(lead), client_of(second_lead)
    form = seen_form(b.get("/dispatch/").content.decode())  # lead2's page shows the banner
    assert a.post(f"/dispatch/rules/{flagged_rule.pk}/resume/").status_code == 302  # lead switches it on
    r = b.post("/dispatch/rules/paused/seen/", form, follow=True)  # then lead2 presses 「已看到」
    assert r.status_code == 200 and "没有要确认的暂停" in messages_of(r)
    rule = paused(flagged_rule.pk)
    assert rule.enabled and rule.resumed_by == lead and rule.pause_seen_by == lead
    assert [who for who, _words in log_lines(rule)] == ["system", "lead"]


def test_seen_acknowledges_only_the_rules_the_banner_showed(desk_world, flagged_rule, lead):
    w = desk_world
    figures.pause_flagged_rules()
    form = seen_form(client_of(lead).get("/dispatch/").content.decode())
    assert form["rule"] == [str(flagged_rule.pk)]
    gas = AutoDispatchRule.objects.create(category=w.gas, threshold=0.9, enabled=True)
    assert figures.pause_rule(figures.RuleFigures(gas, 30, 20, timezone.now()), desk.system_user(),
                              timezone.now())  # paused after the page was shown
    r = client_of(lead).post("/dispatch/rules/paused/seen/", form)
    assert r.status_code == 302
    assert paused(flagged_rule.pk).pause_seen_by == lead
    assert paused(gas.pk).pause_seen_at is None  # never shown: still to be told
    words = banner_of(client_of(lead).get("/dispatch/").content.decode())
    assert "燃气泄漏" in words and "占道经营" not in words


def test_seen_does_not_acknowledge_a_pause_newer_than_the_banner(desk_world, flagged_rule, lead):
    figures.pause_flagged_rules()
    form = seen_form(client_of(lead).get("/dispatch/").content.decode())
    rule = paused(flagged_rule.pk)
    figures.resume_rule(rule, lead)  # switched on, and paused again, after the banner was shown
    later = timezone.now() + timedelta(minutes=10)
    assert figures.pause_rule(figures.RuleFigures(paused(rule.pk), 30, 20, later), desk.system_user(), later)
    client_of(lead).post("/dispatch/rules/paused/seen/", form)
    assert paused(rule.pk).pause_seen_at is None


# ── bad ids ──────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("fields, named", [
    ({"rule": "abc"}, "rule"), ({"rule": ["1", "-2"]}, "rule"), ({"rule": "99999999999999999999999"}, "rule"),
    ({"shown_at": "yesterday"}, "shown_at"), ({"shown_at": "2026-13-45T99:00"}, "shown_at")])
def test_bad_fields_in_the_seen_post_are_named_and_nothing_is_acknowledged(desk_world, flagged_rule, lead,
                                                                         fields, named):
    figures.pause_flagged_rules()
    for language in ("zh-hans", "en"):
        r = client_of(lead, language).post("/dispatch/rules/paused/seen/", fields, follow=True)
        assert r.status_code == 200
        said = messages_of(r)
        assert f"“{named}”" in said or f"「{named}」" in said, said
        assert ("未确认任何" in said) if language == "zh-hans" else ("Nothing was acknowledged" in said)
    assert paused(flagged_rule.pk).pause_seen_at is None


def test_a_rule_id_that_is_no_rule_is_said(desk_world, flagged_rule, lead):
    figures.pause_flagged_rules()
    for pk in (flagged_rule.pk + 1000, 99999999999999999999999):
        r = client_of(lead).post(f"/dispatch/rules/{pk}/resume/", follow=True)
        assert r.status_code == 200 and f"没有编号为 {pk} 的自动派单规则" in messages_of(r)
    assert client_of(lead).post("/dispatch/rules/abc/resume/").status_code == 404
    assert not paused(flagged_rule.pk).enabled


# ── a rule edited or deleted while paused ────────────────────────────────────

def test_a_threshold_changed_while_paused_is_told_apart_from_the_one_paused(desk_world, flagged_rule, lead,
                                                                          monkeypatch):
    w = desk_world
    figures.pause_flagged_rules()
    AutoDispatchRule.objects.filter(pk=flagged_rule.pk).update(threshold=0.85)  # raised in the back office
    words = banner_of(client_of(lead).get("/dispatch/").content.decode())
    assert "（暂停时 ≥ 80.0%，现为 ≥ 85.0%）" in words and "允许 20%" in words
    english = banner_of(client_of(lead, "en").get("/dispatch/").content.decode())
    assert "(≥ 80.0% when paused, ≥ 85.0% now)" in english
    accuracy_page = client_of(lead).get("/dispatch/accuracy/").content.decode()
    assert "暂停时 ≥ 80.0%，现为 ≥ 85.0%" in accuracy_page
    r = client_of(lead).post(f"/dispatch/rules/{flagged_rule.pk}/resume/", follow=True)
    assert "已恢复自动派单（阈值 ≥ 85.0%）" in messages_of(r)
    rule = paused(flagged_rule.pk)
    assert rule.enabled and rule.threshold == 0.85
    assert "≥ 85.0%" in log_lines(rule)[-1][1] and log_lines(rule)[-1][0] == "lead"
    assert figures.pause_flagged_rules() == []  # judged from its switch back on, at its new threshold
    ticket = other_stall(w)  # 占道经营 at 0.9 × 0.99 ≥ 85%: dispatched again
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    assert jobs.auto_dispatch_once().dispatched == 1
    ticket.refresh_from_db()
    assert ticket.state != State.NEW


def test_a_rule_deleted_while_paused(desk_world, flagged_rule, lead):
    figures.pause_flagged_rules()
    html = client_of(lead).get("/dispatch/").content.decode()
    form = seen_form(html)
    pk = flagged_rule.pk
    AutoDispatchRule.objects.filter(pk=pk).delete()
    r = client_of(lead).post(f"/dispatch/rules/{pk}/resume/", {"next": "/dispatch/"}, follow=True)
    assert r.status_code == 200 and f"没有编号为 {pk} 的自动派单规则（可能已被删除）" in messages_of(r)
    r = client_of(lead).post("/dispatch/rules/paused/seen/", form, follow=True)
    assert r.status_code == 200 and "没有要确认的暂停" in messages_of(r)
    assert banner_of(client_of(lead).get("/dispatch/").content.decode()) is None


def test_a_rule_disabled_by_hand_is_not_switched_on_by_the_button(desk_world, flagged_rule, lead):
    AutoDispatchRule.objects.filter(pk=flagged_rule.pk).update(enabled=False)  # never paused: off by hand
    r = client_of(lead).post(f"/dispatch/rules/{flagged_rule.pk}/resume/", follow=True)
    assert "该规则（已）不在暂停中" in messages_of(r) and not paused(flagged_rule.pk).enabled


# ── paused twice, the worker, the setting ────────────────────────────────────

def test_two_workers_pause_a_rule_once(desk_world, flagged_rule):
    [first] = figures.enabled_rule_figures()
    [second] = figures.enabled_rule_figures()  # another worker process judged it at the same time
    now = timezone.now()
    assert figures.pause_rule(first, desk.system_user(), now) is True
    assert figures.pause_rule(second, desk.system_user(), now + timedelta(seconds=1)) is False
    assert figures.pause_flagged_rules() == []  # and no later pass pauses it again
    rule = paused(flagged_rule.pk)
    assert rule.paused_at == now and [who for who, _words in log_lines(rule)] == ["system"]


def test_a_paused_rule_stops_and_a_resumed_one_starts_again(desk_world, flagged_rule, lead, monkeypatch):
    w = desk_world
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    held = other_stall(w)
    report = jobs.auto_dispatch_once()  # judged first: paused, so the ticket is left to people
    assert report.dispatched == 0
    held.refresh_from_db()
    assert held.state == State.NEW
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    assert jobs.auto_dispatch_once().dispatched == 0  # still paused on the next pass
    assert client_of(lead).post(f"/dispatch/rules/{flagged_rule.pk}/resume/").status_code == 302
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    report = jobs.auto_dispatch_once()  # judged again from the switch back on: not paused; dispatches again
    assert report.dispatched == 1 and report.tickets == [held.pk]
    assert paused(flagged_rule.pk).enabled


def test_with_the_setting_off_the_worker_only_marks(desk_world, flagged_rule, lead, settings, monkeypatch):
    w = desk_world
    settings.JIESU = {**settings.JIESU, "DISPATCH_PAUSE_FLAGGED_RULES": False}
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    other_stall(w)
    report = jobs.auto_dispatch_once()
    assert report.dispatched == 1  # the flagged rule goes on dispatching
    rule = paused(flagged_rule.pk)
    assert rule.enabled and rule.paused_at is None and log_lines(rule) == []
    html = client_of(lead).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert banner_of(html) is None and 'id="acc-paused"' not in html and "退单偏多" in html  # marked only


# ── recorded where an administrator sees it ──────────────────────────────────

def test_pause_acknowledgement_and_switch_back_on_in_the_rules_history(desk_world, flagged_rule, lead):
    w = desk_world
    admin = User.objects.create_user("adm", password="pw", role=Role.ADMIN, unit=w.city, is_staff=True,
                                     is_superuser=True)
    figures.pause_flagged_rules()
    client_of(w.supervisor).post("/dispatch/rules/paused/seen/")
    client_of(lead).post(f"/dispatch/rules/{flagged_rule.pk}/resume/")
    history = client_of(admin).get(f"/admin/dispatch/autodispatchrule/{flagged_rule.pk}/history/")
    assert history.status_code == 200
    table = re.search(r'<div id="change-history".*?</table>', history.content.decode(), re.S).group(0)
    rows = re.findall(r"<tr>.*?</tr>", table.split("<tbody>")[1], re.S)
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert len(cells) == 3
    assert "system" in cells[0] and "已自动暂停：3 次自动派单中退单核实 3 次" in cells[0]
    assert "sup" in cells[1] and "已知悉自动暂停" in cells[1]
    assert "lead" in cells[2] and "重新启用" in cells[2] and "≥ 80.0%" in cells[2]


# ── the banner's words ───────────────────────────────────────────────────────

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_the_banner_in_each_language_and_namesakes_told_apart(desk_world, flagged_rule, lead):
    w = desk_world
    other = Category.objects.create(code="90", name="其他", level=1)
    other_mid = Category.objects.create(code="90.09", name="其他事项", level=2, parent=other)
    namesake = Category.objects.create(code="90.09.09006", name="占道经营", level=3, parent=other_mid,
                                       time_limit_class=w.general)
    twin = AutoDispatchRule.objects.create(category=namesake, threshold=0.95, enabled=True)
    now = timezone.now()
    figures.pause_flagged_rules()
    assert figures.pause_rule(figures.RuleFigures(twin, 40, 12, now), desk.system_user(), now)
    chinese = banner_of(client_of(lead).get("/dispatch/").content.decode())
    assert "系统已自动暂停 2 条自动派单规则" in chinese
    assert "城市管理 / 街面秩序 / 占道经营（≥ 80.0%）" in chinese and "其他 / 其他事项 / 占道经营（≥ 95.0%）" in chinese
    assert not re.search(r"[A-Za-z]", chinese.replace("&gt;", ">")), chinese  # no English words in Chinese
    english = banner_of(client_of(lead, "en").get("/dispatch/").content.decode())
    assert "The worker paused 2 auto-dispatch rules" in english and "Switch it back on" in english
    assert "城市管理 / 街面秩序 / 占道经营 (≥ 80.0%)" in english and "其他 / 其他事项 / 占道经营 (≥ 95.0%)" in english
    leftover = english
    for category in ("城市管理 / 街面秩序 / 占道经营", "其他 / 其他事项 / 占道经营"):  # the catalogue's own names
        leftover = leftover.replace(category, "")
    assert not CJK.search(leftover), leftover  # no Chinese words in English


def test_the_reason_never_reads_a_lower_end_equal_to_the_share_allowed():
    """9 of 25 returned at 80 %: the interval's lower end is 20.25 %, above the 20 % allowed (so the rule is
    paused); in whole percentages both read 20 %, and 「下限 20% > 允许 20%」 contradicts itself."""
    from django.utils import translation

    rule = AutoDispatchRule(threshold=0.8)
    figures_now = figures.RuleFigures(rule, 25, 9, timezone.now())
    assert figures_now.flagged()
    rule.pause_figures = figures_now.as_pause_figures()
    with translation.override("zh-hans"):
        assert figures.pause_reason(rule) == "已自动暂停：25 次自动派单中退单核实 9 次，95% 区间下限 20.2% > 允许 20.0%"
    with translation.override("en"):
        assert "the lower end of their 95% interval, 20.2%, is above the 20.0% allowed" in figures.pause_reason(rule)
    rule.pause_figures = figures.RuleFigures(AutoDispatchRule(threshold=0.95), 20, 3, timezone.now()).as_pause_figures()
    with translation.override("zh-hans"):
        assert figures.pause_reason(rule).endswith("区间下限 5.2% > 允许 5.0%")
    rule.pause_figures = figures.RuleFigures(AutoDispatchRule(threshold=0.8), 20, 8, timezone.now()).as_pause_figures()
    with translation.override("zh-hans"):
        assert figures.pause_reason(rule).endswith("区间下限 22% > 允许 20%")  # apart in whole percentages: as before


def test_a_paused_rule_keeps_its_category_from_an_enabled_rule_above_it(desk_world, flagged_rule, monkeypatch):
    """Paused, the leaf's rule keeps 占道经营 out of the enabled rule on 街面秩序 (the most specific rule wins), while
    燃气泄漏 under that same parent goes on being auto-dispatched by it."""
    w = desk_world
    parent = AutoDispatchRule.objects.create(category=w.category.parent, threshold=0.8, enabled=True)
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    stall = other_stall(w)
    gas_bill = new_ticket(w, text="燃气表换新后走得快，燃气费比以前多交了一倍", category_code=w.gas.code)
    report = jobs.auto_dispatch_once()
    assert not paused(flagged_rule.pk).enabled and paused(parent.pk).enabled
    assert report.tickets == [gas_bill.pk] and report.no_rule == 1
    stall.refresh_from_db()
    assert stall.state == State.NEW
