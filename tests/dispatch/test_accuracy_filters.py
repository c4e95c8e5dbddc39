"""The accuracy page narrowed (place, category group, source, dispatcher), its per-dispatcher and per-rule figures,
and its kept reports: kept by the rows counted, counted again on request, with the dispatches logged since
(audit 11, findings 6, 8, 9 and 23)."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from jiesu.accounts.groups import ensure_staff_groups
from jiesu.accounts.models import Role, User
from jiesu.dispatch import accuracy as figures
from jiesu.dispatch import jobs
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AccuracySnapshot, AutoDispatchRule, DispatchSuggestion, SuggestionSource
from jiesu.tickets import services
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)


def page(user, url="/dispatch/accuracy/?weeks=4"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client.get(url).content.decode()


def logged_to(w, unit, by, source=SuggestionSource.DESK, **kw):
    """A real dispatch to `unit` (suggestions from the stub: 占道经营 → the street first), logged as `source`."""
    _ticket, row = desk.dispatch_and_log(by, new_ticket(w, **kw), unit.pk, [], "", w.category.code, source=source)
    return row


def returned_and_upheld(w, row, again=True):
    """The unit returns the ticket; the hotline upholds it, and (again) dispatches it to the department."""
    ticket = row.ticket
    ticket.refresh_from_db()
    services.return_ticket(w.street_staff, ticket, "不属于街道职责")
    services.arbitrate(w.dispatcher, ticket, True)
    if again:
        ticket.refresh_from_db()
        desk.dispatch_and_log(w.dispatcher, ticket, w.dept.pk, [], "", w.category.code)


def new_lead(w, username="lead"):
    """A dispatch lead: a dispatcher of the hotline in the group that keeps the dispatch catalogue."""
    ensure_staff_groups()
    user = User.objects.create_user(username, password="pw", role=Role.DISPATCHER, unit=w.hc, is_staff=True)
    user.groups.add(Group.objects.get(name="派单目录维护"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def lead(desk_world):
    return new_lead(desk_world)


def test_a_city_wide_user_narrows_by_place_group_and_source(desk_world):
    w = desk_world
    logged_to(w, w.street, w.dispatcher)
    logged_to(w, w.street_b, w.dispatcher, street_code=w.street_b.code)
    logged_to(w, w.street, w.dispatcher, source=SuggestionSource.API)
    assert 'data-total="3"' in page(w.supervisor)
    html = page(w.supervisor, f"/dispatch/accuracy/?weeks=4&district={w.district_b.pk}")
    assert 'data-total="1"' in html and 'id="acc-filtered"' in html and "达到 50000 次派单时保存 2 小时" in html
    assert f'<option value="{w.street_b.pk}"' in html  # the chosen district's streets to choose from
    assert 'data-total="2"' in page(w.supervisor, f"/dispatch/accuracy/?weeks=4&street={w.street.pk}")
    # a street of another district than the one chosen is let go: the new district's figures
    assert 'data-total="2"' in page(w.supervisor, f"/dispatch/accuracy/?district={w.district.pk}&street={w.street_b.pk}")
    assert 'data-total="1"' in page(w.supervisor, "/dispatch/accuracy/?weeks=4&source=api")
    assert 'data-total="0"' in page(w.supervisor, "/dispatch/accuracy/?weeks=4&group=99")
    assert 'data-total="3"' in page(w.supervisor, "/dispatch/accuracy/?weeks=4&group=01&source=nonsense")
    assert 'data-total="3"' in page(w.supervisor, "/dispatch/accuracy/?weeks=4&group=01|source=api")  # no code


def test_a_territory_user_stays_within_the_territory(desk_world):
    w = desk_world
    logged_to(w, w.street, w.dispatcher)
    logged_to(w, w.street_b, w.dispatcher, street_code=w.street_b.code)
    district_sup = User.objects.create_user("sup-dc", password="pw", role=Role.SUPERVISOR, unit=w.district)
    assert 'data-total="1"' in page(district_sup)
    html = page(district_sup, f"/dispatch/accuracy/?weeks=4&district={w.district_b.pk}&street={w.street_b.pk}")
    assert 'data-total="1"' in html  # the place asked for is not theirs: their own figures, not the other's
    assert 'id="acc-district"' not in html and 'id="acc-dispatcher"' not in html


def test_the_per_dispatcher_table_and_filter_are_for_the_lead_and_the_citys_supervisors(desk_world, lead):
    w = desk_world
    other = User.objects.create_user("disp2", password="pw", role=Role.DISPATCHER, unit=w.hc, display_name="李四")
    logged_to(w, w.street, w.dispatcher)          # suggestion #1 (the street)
    logged_to(w, w.dept, w.dispatcher)            # a unit none suggested: an override
    logged_to(w, w.street, other)
    for user in (lead, w.supervisor):
        html = page(user)
        table = html[html.index('id="acc-dispatchers"'):]
        assert f'data-dispatcher="{w.dispatcher.pk}"' in table and "李四" in table
        row = table[table.index(f'data-dispatcher="{w.dispatcher.pk}"'):]
        row = row[:row.index("</tr>")]
        assert '<td class="num">2</td>' in row and "50.0%" in row  # 2 dispatches: half top-1, half overridden
        assert f'<option value="{other.pk}">李四</option>' in html and '<option value="' + str(
            desk.system_user().pk) + '"' not in html
        assert 'data-total="1"' in page(user, f"/dispatch/accuracy/?weeks=4&dispatcher={other.pk}")
    district_sup = User.objects.create_user("sup-dc", password="pw", role=Role.SUPERVISOR, unit=w.district)
    for user in (w.dispatcher, district_sup):
        html = page(user)
        assert 'id="acc-dispatchers"' not in html and "李四" not in html
        assert 'data-total="1"' not in page(user, f"/dispatch/accuracy/?weeks=4&dispatcher={other.pk}")


def test_a_report_is_kept_by_the_rows_counted_not_by_its_time(desk_world, monkeypatch):
    w = desk_world
    logged_to(w, w.street, w.dispatcher)
    logged_to(w, w.street, w.dispatcher)
    monkeypatch.setattr(figures, "KEEP_ROWS", 3)
    report, computed_at = figures.accuracy_for(w.supervisor, 4)
    assert report.total["n"] == 2 and computed_at is None and not AccuracySnapshot.objects.exists()
    html = page(w.supervisor)
    assert 'id="acc-live"' in html and "实时统计" in html and "acc-computed" not in html
    monkeypatch.setattr(figures, "KEEP_ROWS", 2)
    report, computed_at = figures.accuracy_for(w.supervisor, 4)
    assert computed_at is not None and AccuracySnapshot.objects.get().audience == "city"
    api = figures.AccuracyFilters(source="api")
    filtered, computed_at = figures.accuracy_for(w.supervisor, 4, filters=api)
    assert filtered.total["n"] == 0 and computed_at is None  # narrowed: counted apart, and too few to keep
    desk_only = figures.AccuracyFilters(source="desk", group="01")
    filtered, computed_at = figures.accuracy_for(w.supervisor, 4, filters=desk_only)
    assert filtered.total["n"] == 2 and computed_at is not None  # as many as KEEP_ROWS: kept apart
    assert set(AccuracySnapshot.objects.values_list("audience", flat=True)) == {"city", "city|group=01|source=desk"}
    html = page(w.supervisor, "/dispatch/accuracy/?weeks=4&group=01&source=desk")
    assert "（保存 2 小时）" in html and 'name="source" value="desk"' in html  # the recount keeps the filters
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert [s.audience for s in figures.snapshots_to_refresh(later)] == ["city"]  # the worker counts no filter


def test_a_kept_report_says_what_it_misses_and_may_be_counted_again(desk_world, lead, monkeypatch):
    w = desk_world
    logged_to(w, w.street, w.dispatcher)
    monkeypatch.setattr(figures, "KEEP_ROWS", 1)
    page(w.supervisor)  # counted and kept
    kept = AccuracySnapshot.objects.get()
    logged_to(w, w.street, w.dispatcher)
    logged_to(w, w.street, w.dispatcher)
    html = page(w.supervisor)
    assert 'data-total="1"' in html and 'data-since="2"' in html and "此后又记录了 2 次派单，尚未统计" in html
    assert 'id="acc-recount"' in html and "重新统计" in html
    assert 'id="acc-recount"' not in page(w.dispatcher)  # a dispatcher reads the hourly count
    client = Client()
    client.force_login(w.supervisor)
    r = client.post("/dispatch/accuracy/recount/", {"weeks": "4"})
    assert r.status_code == 302 and r.url == "/dispatch/accuracy/?weeks=4"
    assert AccuracySnapshot.objects.get().computed_at == kept.computed_at  # counted less than 5 minutes ago
    assert "分钟内刚统计过" in client.get(r.url).content.decode()
    AccuracySnapshot.objects.update(computed_at=timezone.now() - timedelta(minutes=6))
    client.force_login(lead)
    client.post("/dispatch/accuracy/recount/", {"weeks": "4"})  # asked: the worker counts it, not the request
    html = client.get("/dispatch/accuracy/?weeks=4").content.decode()
    assert 'data-total="1"' in html and 'id="acc-recounting"' in html and "正在重新统计" in html
    assert jobs.recount_asked_snapshots() == 1
    html = client.get("/dispatch/accuracy/?weeks=4").content.decode()
    assert 'data-total="3"' in html and 'data-since="0"' in html and 'id="acc-recounting"' not in html
    client.force_login(w.dispatcher)
    assert client.post("/dispatch/accuracy/recount/", {"weeks": "4"}).status_code == 403
    assert client.get("/dispatch/accuracy/recount/").status_code == 405
    client.force_login(w.street_staff)
    assert client.post("/dispatch/accuracy/recount/", {"weeks": "4"}).status_code == 403


def test_each_rule_shows_its_auto_dispatches_returns_and_redispatches(desk_world, lead, monkeypatch):
    w = desk_world
    system = desk.system_user()
    AutoDispatchRule.objects.create(category=w.category, threshold=0.8, enabled=True)
    AutoDispatchRule.objects.create(category=w.gas, threshold=0.9, enabled=True)  # dispatched nothing yet
    rows = [logged_to(w, w.street, system, source=SuggestionSource.AUTO) for _ in range(3)]
    returned_and_upheld(w, rows[0])
    returned_and_upheld(w, rows[1], again=False)
    by_hand = logged_to(w, w.street, w.dispatcher)
    report = figures.accuracy_report(weeks=4)
    by_code = {r["code"]: r for r in report.rules}
    assert (by_code["01.01.01"]["n"], by_code["01.01.01"]["upheld"], by_code["01.01.01"]["redispatched"]) == (3, 2, 1)
    assert by_code["01.01.02"]["n"] == 0 and not by_code["01.01.02"]["flagged"]
    assert not by_code["01.01.01"]["flagged"]  # 3 auto-dispatches: too few to judge (RULE_FLAG_MIN)
    returns = {r["group"]: r for r in report.returns}
    assert (returns["auto"]["n"], returns["auto"]["returned"]) == (3, 2)  # a line of its own…
    assert returns["top"]["n"] == 1 and returns["top"]["returned"] == 0  # …not among the dispatchers' own
    html = page(w.supervisor)
    rules = html[html.index('id="acc-rules"'):]
    assert 'data-rule="01.01.01"' in rules and "/tickets/?auto_dispatched=1&amp;auto_category=01.01.01" in rules
    assert 'data-group="auto"' in html and "data-flag" not in rules
    client = Client()
    client.force_login(w.supervisor)
    listed = client.get("/tickets/?auto_dispatched=1&auto_category=01.01.01").content.decode()  # the rule's link
    assert all(row.ticket.number in listed for row in rows)
    assert by_hand.ticket.number not in listed
    monkeypatch.setattr(figures, "RULE_FLAG_MIN", 3)
    html = page(lead)
    assert 'data-rule="01.01.01" class="acc-flagged" data-flag="1"' in html
    assert 'data-flagged="01.01.01"' in html and "退单偏多" in html  # the lead, who keeps the rules, is told
    assert 'data-flagged="01.01.01"' not in page(w.supervisor)  # the others see the mark in the table


def test_the_flag_needs_the_returns_beyond_their_margin():
    rule = AutoDispatchRule(threshold=0.8)
    assert not figures.rule_flagged(rule, 19, 19)     # too few to judge
    assert not figures.rule_flagged(rule, 20, 7)      # 35 %, but its 95 % interval reaches down to 18 % ≤ 20 %
    assert figures.rule_flagged(rule, 20, 8)          # 40 %: at least 21.9 %
    assert not figures.rule_flagged(rule, 1000, 220)  # 22 %: within what a threshold of 80 % allows, give or take
    assert figures.rule_flagged(rule, 1000, 240)
    assert figures.wilson_low(0, 0) == 0.0


def test_the_page_labels_its_freshness_and_splits_the_category_tables(desk_world):
    w = desk_world
    logged_to(w, w.street, w.dispatcher)
    html = page(w.supervisor)
    assert 'id="acc-model-live"' in html and 'id="acc-live"' in html
    assert html.index('id="acc-groups"') < html.index('id="acc-categories"')
    assert "按类别大类" in html and "按类别（最多的 1 个）" in html
    models = DispatchSuggestion.objects.get()
    DispatchSuggestion.objects.create(ticket=models.ticket, category=w.category, lead_unit=w.dept, accepted_rank=None,
                                      category_rank=1, unit_rank=None, confidence=0.9, model_version="other",
                                      at=timezone.now() - timedelta(days=1), by=w.dispatcher)
    html = page(w.supervisor)
    table = html[html.index('id="acc-models"'):]
    assert "单位为首选" in table[:table.index("</thead>")] and "首选采纳须类别和单位都是第 1 条建议的" in html
