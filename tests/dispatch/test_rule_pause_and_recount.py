"""A flagged auto-dispatch rule is paused by the worker and the people who answer for it are told; 重新统计 asks
the worker to count the kept report, never counts in the request (issue 3, task P)."""
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone, translation

from jiesu.accounts.groups import ensure_staff_groups
from jiesu.accounts.models import Role, User
from jiesu.dispatch import accuracy as figures
from jiesu.dispatch import jobs
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AccuracySnapshot, AutoDispatchRule, SuggestionSource
from jiesu.tickets.models import State
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_accuracy_filters import lead, logged_to, page, returned_and_upheld  # noqa: F401  (fixture)


# ── the pure parts ──────────────────────────────────────────────────────────

def test_a_kept_reports_key_gives_back_its_audience_and_filters():
    narrowed = figures.AccuracyFilters(district=3, street=7, group="01.02", source="auto", dispatcher=11)
    key = "city" + narrowed.key()
    assert figures.filters_of_key(key) == narrowed
    assert figures.filters_of_key("city") == figures.AccuracyFilters() and not figures.filters_of_key("city")
    stand_in = figures.audience_user("unit:5:supervisor|source=desk")
    assert (stand_in.unit_id, stand_in.role) == (5, "supervisor")
    assert figures.audience_user("city|group=01") is None


def test_the_pause_figures_and_their_words_in_both_languages():
    rule = AutoDispatchRule(threshold=0.8)
    since = timezone.now()
    kept = figures.RuleFigures(rule, 20, 8, since).as_pause_figures()
    assert kept == {"n": 20, "upheld": 8, "low": 0.2188, "allowed": 0.2, "threshold": 0.8, "since": since.isoformat()}
    assert figures.RuleFigures(rule, 20, 8, since).flagged() and not figures.RuleFigures(rule, 20, 7, since).flagged()
    rule.pause_figures = kept
    with translation.override("zh-hans"):
        assert figures.pause_reason(rule) == "已自动暂停：20 次自动派单中退单核实 8 次，95% 区间下限 22% > 允许 20%"
    with translation.override("en"):
        assert figures.pause_reason(rule) == ("Paused automatically: 8 of its 20 auto-dispatches were returned "
                                              "(upheld); the lower end of their 95% interval, 22%, is above the "
                                              "20% allowed")
    assert figures.pause_reason(AutoDispatchRule(threshold=0.8)) == ""


# ── the rules' check, on the real database ──────────────────────────────────

@pytest.fixture
def flagged_rule(desk_world, monkeypatch):
    """占道经营's rule at 80 %, its 3 auto-dispatches all returned and upheld: flagged with RULE_FLAG_MIN at 3."""
    w = desk_world
    monkeypatch.setattr(figures, "RULE_FLAG_MIN", 3)
    rule = AutoDispatchRule.objects.create(category=w.category, threshold=0.8, enabled=True)
    system = desk.system_user()
    for row in [logged_to(w, w.street, system, source=SuggestionSource.AUTO) for _ in range(3)]:
        returned_and_upheld(w, row, again=False)
    return rule


def test_the_worker_pauses_a_flagged_rule_and_auto_dispatch_stops(desk_world, flagged_rule, monkeypatch):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.gas, threshold=0.9, enabled=True)  # dispatched nothing: judged fine
    by_rule = {f.rule.category.code: (f.n, f.upheld) for f in figures.enabled_rule_figures()}
    assert by_rule == {"01.01.01": (3, 3), "01.01.02": (0, 0)}
    monkeypatch.setitem(jobs._rules_checked, "at", None)
    ticket = new_ticket(w)  # 占道经营 at 0.9 × 0.99: the rule would dispatch it
    report = jobs.auto_dispatch_once()
    rule = AutoDispatchRule.objects.get(pk=flagged_rule.pk)
    assert not rule.enabled and rule.paused_at is not None and rule.paused_by.username == "system"
    assert (rule.pause_figures["n"], rule.pause_figures["upheld"], rule.pause_figures["allowed"]) == (3, 3, 0.2)
    assert report.dispatched == 0 and report.no_rule == 1  # the ticket goes to the desk, as with no rule
    ticket.refresh_from_db()
    assert ticket.state == State.NEW
    assert AutoDispatchRule.objects.get(category=w.gas).enabled  # the other rule goes on
    history = LogEntry.objects.get(object_id=str(rule.pk))
    assert history.user.username == "system" and "已自动暂停：3 次自动派单中退单核实 3 次" in history.change_message
    assert jobs.check_rules_if_due(timezone.now()) is None  # judged again only after RULE_CHECK_EVERY


def test_a_rule_switched_back_on_is_judged_from_then_beside_the_others(desk_world, flagged_rule):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.gas, threshold=0.9, enabled=True)  # judged over the whole period
    AutoDispatchRule.objects.filter(pk=flagged_rule.pk).update(resumed_at=timezone.now())
    logged_to(w, w.street, desk.system_user(), source=SuggestionSource.AUTO)  # one since, not returned
    by_rule = {f.rule.category.code: (f.n, f.upheld) for f in figures.enabled_rule_figures()}
    assert by_rule == {"01.01.01": (1, 0), "01.01.02": (0, 0)}
    assert figures.pause_flagged_rules() == []


def test_pausing_is_off_by_the_setting(desk_world, flagged_rule, settings):
    settings.JIESU = {**settings.JIESU, "DISPATCH_PAUSE_FLAGGED_RULES": False}
    assert figures.pause_flagged_rules() == []
    assert AutoDispatchRule.objects.get(pk=flagged_rule.pk).enabled


def test_the_lead_is_told_acknowledges_and_switches_it_back_on(desk_world, flagged_rule, lead):
    w = desk_world
    [paused] = figures.pause_flagged_rules()
    assert paused.rule.pk == flagged_rule.pk
    queue = page(lead, "/dispatch/")
    assert 'id="paused-rules-banner"' in queue and 'data-paused-rule="01.01.01"' in queue
    assert "系统已自动暂停 1 条自动派单规则" in queue and "退单核实 3 次" in queue and "重新启用" in queue
    assert 'id="paused-rules-banner"' not in page(w.dispatcher, "/dispatch/")  # a dispatcher is not told
    accuracy_page = page(w.supervisor)
    assert 'id="paused-rules-banner"' in accuracy_page and 'data-paused="01.01.01"' in accuracy_page
    assert f'action="/dispatch/rules/{flagged_rule.pk}/resume/"' not in accuracy_page  # the lead switches it on
    client = Client()
    client.force_login(w.supervisor)
    assert client.post(f"/dispatch/rules/{flagged_rule.pk}/resume/").status_code == 403
    r = client.post("/dispatch/rules/paused/seen/", {"next": "/dispatch/accuracy/?weeks=4"})
    assert r.status_code == 302 and r.url == "/dispatch/accuracy/?weeks=4"
    assert 'id="paused-rules-banner"' not in page(lead, "/dispatch/")  # acknowledged: no banner…
    html = page(lead)
    assert 'data-paused="01.01.01"' in html and "已于" in html  # …but the accuracy page still lists it, seen by whom
    client.force_login(w.dispatcher)
    assert client.post("/dispatch/rules/paused/seen/").status_code == 403
    client.force_login(lead)
    r = client.post(f"/dispatch/rules/{flagged_rule.pk}/resume/", {"next": "/dispatch/"})
    assert r.status_code == 302 and r.url == "/dispatch/"
    rule = AutoDispatchRule.objects.get(pk=flagged_rule.pk)
    assert rule.enabled and rule.paused_at is None and rule.resumed_by == lead and rule.pause_seen_by == w.supervisor
    assert LogEntry.objects.filter(object_id=str(rule.pk), user=lead).exists()
    assert figures.pause_flagged_rules() == []  # judged from its switch back on: the old returns do not count again
    client.cookies["django_language"] = "zh-hans"
    again = client.post(f"/dispatch/rules/{flagged_rule.pk}/resume/", follow=True).content.decode()
    assert "该规则（已）不在暂停中" in again and AutoDispatchRule.objects.get(pk=flagged_rule.pk).enabled


def test_ticking_enabled_in_the_back_office_switches_a_paused_rule_back_on(desk_world, flagged_rule, lead):
    figures.pause_flagged_rules()
    client = Client()
    client.force_login(lead)
    changelist = client.get("/admin/dispatch/autodispatchrule/").content.decode()
    assert "已自动暂停" in changelist
    r = client.post("/admin/dispatch/autodispatchrule/", {
        "action": "switch_back_on", "_selected_action": [flagged_rule.pk], "index": 0})
    assert r.status_code == 302
    rule = AutoDispatchRule.objects.get(pk=flagged_rule.pk)
    assert rule.enabled and rule.resumed_by == lead and rule.paused_at is None


# ── 重新统计 in the background ──────────────────────────────────────────────

def test_a_recount_is_asked_once_and_counted_by_the_worker_even_narrowed(desk_world, monkeypatch):
    w = desk_world
    logged_to(w, w.street, w.dispatcher)
    monkeypatch.setattr(figures, "KEEP_ROWS", 1)
    desk_only = figures.AccuracyFilters(source="desk")
    figures.accuracy_for(w.supervisor, 4, filters=desk_only)  # kept apart: "city|source=desk"
    logged_to(w, w.street, w.dispatcher)
    later = timezone.now() + timedelta(minutes=6)
    assert figures.recount(w.supervisor, 4, later, desk_only) == (figures.ASKED, later)
    assert figures.recount(w.supervisor, 4, later + timedelta(seconds=9), desk_only) == (figures.ASKED, later)
    snapshot = AccuracySnapshot.objects.get()
    assert snapshot.recount_asked_by == w.supervisor and snapshot.computed_at < later
    pending = figures.pending_recount(w.supervisor, 4, later + timedelta(seconds=10), desk_only)
    assert pending.seconds_left == round(60 + snapshot.seconds - 10) and not pending.waits_for_worker
    assert jobs.recount_asked_snapshots(later) == 1
    snapshot.refresh_from_db()
    assert snapshot.computed_at == later and snapshot.recount_asked_at is None
    report, _at = figures.accuracy_for(w.supervisor, 4, later, filters=desk_only)
    assert report.total["n"] == 2 and figures.pending_recount(w.supervisor, 4, later, desk_only) is None
    assert figures.recount(w.supervisor, 4, later + timedelta(minutes=1), desk_only)[0] == figures.TOO_SOON
    assert figures.recount(w.supervisor, 4, later, figures.AccuracyFilters(source="api")) == (figures.LIVE, later)


def test_without_a_worker_the_page_says_the_recount_waits_for_it(desk_world, lead, monkeypatch):
    w = desk_world
    logged_to(w, w.street, w.dispatcher)
    monkeypatch.setattr(figures, "KEEP_ROWS", 1)
    page(lead)  # counted and kept
    asked_at = timezone.now() - timedelta(minutes=10)
    AccuracySnapshot.objects.update(computed_at=asked_at - timedelta(minutes=6), recount_asked_at=asked_at)
    html = page(lead)
    assert 'id="acc-recount-waits"' in html and "正在等待后台工作进程" in html and 'http-equiv="refresh"' not in html
    assert 'id="acc-recount"' not in html  # asked already: no second button
    AccuracySnapshot.objects.update(recount_asked_at=timezone.now())
    html = page(lead)
    assert 'id="acc-recounting"' in html and "正在重新统计，约" in html and 'http-equiv="refresh"' in html
