"""The work list's filters by street (the ticket's 街道/乡镇), category (and the categories below it) and the deadline
of the unit's own next step (今天到期 / 一个工作日内到期 / 已超期): a department's clerk holds tickets from the whole
city and of many matters, and could only page through them or search by words."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.categories.models import Category
from jiesu.tickets import services
from jiesu.tickets.models import Assignment, Ticket
from jiesu.workcal.services import current_calendar
from tests.tickets.helpers import new_ticket


def dispatched(w, lead, co=(), **kw):
    ticket = new_ticket(w, **kw)
    services.dispatch(w.dispatcher, ticket, lead.pk, [u.pk for u in co])
    return ticket


def sign_due(ticket, unit, when):
    Assignment.objects.filter(ticket=ticket, unit=unit, active=True).update(sign_due=when)


def listed(client, query):
    html = client.get("/work/" + query).content.decode()
    return set(map(int, re.findall(r'<td class="num"><a href="/tickets/(\d+)/">', html))), html


@pytest.fixture
def clerk(world, client):
    client.force_login(world.dept_staff)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_the_street_filter_lists_the_tickets_of_that_street_only(world, clerk):
    w = world
    here = dispatched(w, w.dept)
    there = dispatched(w, w.dept, street_code=w.street_b.code)
    shown, html = listed(clerk, f"?street={w.street_b.pk}")
    assert shown == {there.pk}
    assert "西长安街街道" in html  # the picker shows the street chosen by its name
    assert listed(clerk, "")[0] == {here.pk, there.pk}


def test_the_category_filter_takes_a_category_and_those_below_it(world, clerk):
    w = world
    parking = Category.objects.create(code="02.01.01", name="停车管理", level=3, time_limit_class=w.general)
    stall = dispatched(w, w.dept)
    gas = dispatched(w, w.dept, category_code=w.gas.code)
    park = dispatched(w, w.dept, category_code=parking.code)
    assert listed(clerk, f"?category={w.gas.code}")[0] == {gas.pk}
    assert listed(clerk, "?category=01.01")[0] == {stall.pk, gas.pk}  # 街面秩序 holds 占道经营 and 燃气泄漏
    assert listed(clerk, "?category=01")[0] == {stall.pk, gas.pk}
    assert listed(clerk, "?category=02.01.01")[0] == {park.pk}
    assert listed(clerk, "?category=01.0")[0] == set()  # a code's prefix is not a category above it


def test_the_deadline_windows_go_by_the_units_own_next_step(world, clerk):
    w = world
    now = timezone.now()
    local = timezone.localtime(now)
    tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    one_working_day = current_calendar().add_working_days(now, 1)
    late = dispatched(w, w.dept)
    sign_due(late, w.dept, now - timedelta(minutes=5))
    today = dispatched(w, w.dept)
    sign_due(today, w.dept, now + (tomorrow - now) / 2)
    soon = dispatched(w, w.dept)  # within one working day of now, but not today
    sign_due(soon, w.dept, max(tomorrow, one_working_day - timedelta(minutes=1)))
    later = dispatched(w, w.dept)
    sign_due(later, w.dept, max(tomorrow, one_working_day) + timedelta(hours=1))
    # a co assignment overdue to sign for, on a ticket whose reply is far off: its own step decides
    co_late = dispatched(w, w.dept2, co=[w.dept])
    sign_due(co_late, w.dept, now - timedelta(hours=1))
    Ticket.objects.filter(pk=co_late.pk).update(reply_due=now + timedelta(days=10))
    # the unit signed this one: its sign deadline past does not make it overdue, its contact deadline decides
    signed = dispatched(w, w.dept)
    services.sign(w.dept_staff, signed)
    sign_due(signed, w.dept, now - timedelta(hours=3))
    Assignment.objects.filter(ticket=signed, unit=w.dept).update(contact_due=now + timedelta(days=5))

    assert listed(clerk, "?due=overdue")[0] == {late.pk, co_late.pk}
    due_today = {today.pk} | ({soon.pk} if one_working_day - timedelta(minutes=1) < tomorrow else set())
    assert listed(clerk, "?due=today")[0] == due_today
    assert {soon.pk, today.pk} <= listed(clerk, "?due=working_day")[0]
    assert not listed(clerk, "?due=working_day")[0] & {late.pk, co_late.pk, later.pk, signed.pk}
    assert listed(clerk, "?due=overdue&step=sign")[0] == {late.pk, co_late.pk}


def test_the_filters_show_in_chinese_and_are_kept_in_the_tabs_the_pager_and_the_batch_sign(world, clerk):
    w = world
    for _ in range(26):
        dispatched(w, w.dept, street_code=w.street_b.code, category_code=w.gas.code)
    query = f"?street={w.street_b.pk}&category={w.gas.code}&due=working_day"
    shown, html = listed(clerk, query)
    assert len(shown) == 25
    for words in ("下一步期限", "今天到期", "一个工作日内到期", "已超期", "街道 / 乡镇", "诉求类别"):
        assert words in html
    assert re.search(r'<option value="working_day" selected>', html)
    pager = re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
    assert f"street={w.street_b.pk}" in pager and "category=01.01.02" in pager and "due=working_day" in pager
    tab = re.search(r'<a href="([^"]*)" data-view="history"', html).group(1)
    assert "due=working_day" in tab and f"street={w.street_b.pk}" in tab
    assert re.search(r'data-view="current"[^>]*>[^<]*<span class="n">26</span>', html)
    assert 'name="next" value="/work/?street=' in html  # the batch sign comes back to the list as it was
    assert "重置" in html


def test_the_english_page_names_the_windows(world, clerk):
    clerk.cookies["django_language"] = "en"
    html = clerk.get("/work/").content.decode()
    for words in ("Next step due", "Due today", "Due within one working day", "Overdue"):
        assert words in html


def test_a_street_or_category_of_nothing_lists_nothing_and_a_bad_window_is_ignored(world, clerk):
    w = world
    ticket = dispatched(w, w.dept)
    assert listed(clerk, "?street=999999")[0] == set()
    assert listed(clerk, "?category=99.99")[0] == set()
    assert listed(clerk, "?due=tomorrow")[0] == {ticket.pk}
    assert listed(clerk, "?street=abc")[0] == {ticket.pk}


def test_a_street_filter_never_shows_another_units_tickets(world, clerk):
    w = world
    dispatched(w, w.dept2, street_code=w.street_b.code)
    assert listed(clerk, f"?street={w.street_b.pk}")[0] == set()
