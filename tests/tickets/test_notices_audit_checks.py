"""The notices page (/notices/, 「提醒」) audited as its users use it: the checks that found nothing wrong, kept so
that they stay so. Each role reads only its units' notices of tickets it may read (tried by list, count and ids),
a report's (举报) or confidential (保密) ticket's notice leaks nothing to a unit that may not read the ticket,
「标为已读」 is a POST with the CSRF token, once, naming its reader, bad query parameters give a page, thousands of
notices page in order with the same queries a page, and the page's words are in its language."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.tickets import notices, services
from jiesu.tickets.models import Notice, NoticeKind, Ticket
from tests.tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
ACCUSATION = "举报东华门街道城管队员收受摊贩好处费，我电话13912345678"
SECRET_WORDS = "请对我的信息保密：邻居家私设赌场，我叫张三"


def page(client, user, language="zh-hans", **params):
    client.force_login(user)
    client.cookies["django_language"] = language
    answer = client.get("/notices/", params)
    return answer.status_code, answer.content.decode()


def notice_to(unit, ticket, kind=NoticeKind.SUPERVISE, text="请加快办理", **kw):
    return Notice.objects.create(ticket=ticket, unit=unit, kind=kind, text=text,
                                 created_at=kw.pop("at", timezone.now()), **kw)


def visible_words(html):
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_each_unit_reads_only_its_own_notices_and_may_mark_no_other(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    own = notice_to(world.street, ticket)
    for other in (world.street_b_staff, world.dept_staff, world.district_staff, world.grid_worker):
        status, html = page(client, other)
        assert status == 200 and f'id="notice-{own.pk}"' not in html and ticket.number not in html
        assert notices.unread_count(other) == 0
        assert client.post(f"/notices/{own.pk}/read/").status_code == 403  # tried by its id
    for hotline in (world.dispatcher, world.call_taker):  # the hotline reads its own unit's, not the street's
        assert f'id="notice-{own.pk}"' not in page(client, hotline)[1]
        assert client.post(f"/notices/{own.pk}/read/").status_code == 403
    client.force_login(world.citizen)
    assert client.get("/notices/").status_code == 403 and client.post(f"/notices/{own.pk}/read/").status_code == 403
    client.force_login(world.street_staff)
    assert client.post("/notices/999999/read/").status_code == 404
    own.refresh_from_db()
    assert own.read_at is None and own.read_by is None
    status, html = page(client, world.street_staff)
    assert f'id="notice-{own.pk}"' in html and f'href="/tickets/{ticket.pk}/"' in html
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200  # the link leads to a ticket it may read


def test_a_grid_worker_reads_its_grids_notices(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    Ticket.objects.filter(pk=ticket.pk).update(grid=world.grid, community=world.community)
    grids = notice_to(world.grid, ticket, NoticeKind.OVERDUE, "网格处置已超期")
    streets = notice_to(world.street, ticket)
    html = page(client, world.grid_worker)[1]
    assert f'id="notice-{grids.pk}"' in html and f'id="notice-{streets.pk}"' not in html
    client.post(f"/notices/{grids.pk}/read/")
    grids.refresh_from_db()
    assert grids.read_by == world.grid_worker


@pytest.mark.parametrize("withheld", ["report", "confidential"])
def test_a_withheld_tickets_notice_leaks_nothing_to_a_unit_that_may_not_read_it(world, client, withheld):
    if withheld == "report":
        ticket = new_ticket(world, text=ACCUSATION, request_type="report")
    else:
        ticket = new_ticket(world, text=SECRET_WORDS, confidential=True)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)  # in the street's territory, handled by a department
    stray = notice_to(world.street, ticket, NoticeKind.REMIND, "市民再次来电：" + ticket.text[:12])
    status, html = page(client, world.street_staff)
    assert status == 200 and "暂无提醒" in html and ticket.number not in html and ticket.text[:12] not in html
    assert notices.unread_count(world.street_staff) == 0
    assert client.post(f"/notices/{stray.pk}/read/").status_code == 403
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 403
    # the department it was dispatched to reads its own notice, the words masked (it may not reveal: 举报/保密)
    mine = notice_to(world.dept, ticket, NoticeKind.SUPERVISE, "督办：市民电话13912345678多次反映")
    html = page(client, world.dept_staff)[1]
    assert f'id="notice-{mine.pk}"' in html and f'id="notice-{stray.pk}"' not in html
    if withheld == "confidential":
        assert "13912345678" not in html and "139****5678" in html


def test_an_administrator_reads_and_marks_the_hotlines_notices(world, client):
    admin = User.objects.create_user("adm", password="pw", role=Role.ADMIN, unit=None)
    gas = Notice.objects.get(ticket=new_ticket(world, text=GAS, channel="app"), kind=NoticeKind.EMERGENCY)
    html = page(client, admin)[1]
    assert f'id="notice-{gas.pk}"' in html and '提醒 <span class="nav-count">1</span>' in html
    client.post(f"/notices/{gas.pk}/read/")
    gas.refresh_from_db()
    assert gas.read_by == admin


def test_marking_read_needs_the_csrf_token_and_is_done_once(world, client):
    gas = Notice.objects.get(ticket=new_ticket(world, text=GAS, channel="app"), kind=NoticeKind.EMERGENCY)
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(world.dispatcher)
    assert guarded.post(f"/notices/{gas.pk}/read/").status_code == 403
    gas.refresh_from_db()
    assert gas.read_at is None
    html = guarded.get("/notices/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert guarded.post(f"/notices/{gas.pk}/read/", {"csrfmiddlewaretoken": token}).status_code == 302
    gas.refresh_from_db()
    first = (gas.read_at, gas.read_by)
    assert first[1] == world.dispatcher
    client.force_login(world.call_taker)  # a second reader's click: nothing changes, nothing more logged
    assert client.post(f"/notices/{gas.pk}/read/").status_code == 302
    gas.refresh_from_db()
    assert (gas.read_at, gas.read_by) == first and gas.ticket.events.filter(kind="notice_read").count() == 1


def test_a_shared_unit_account_is_named_as_the_reader(world, client):
    shared = User.objects.create_user("dhm-duty", password="pw", role=Role.UNIT_STAFF, unit=world.street,
                                      display_name="东华门街道值班账号")
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    first, second = notice_to(world.street, ticket), notice_to(world.street, ticket, NoticeKind.REMIND, "催办")
    client.force_login(shared)
    client.post(f"/notices/{first.pk}/read/")
    client.get(f"/tickets/{ticket.pk}/")  # opening the ticket reads the unit's other notice
    html = page(client, world.street_staff)[1]  # a colleague sees who read them
    for notice in (first, second):
        notice.refresh_from_db()
        assert notice.read_by == shared
    assert html.count("东华门街道值班账号") == 2 and "标为已读" not in html


BAD = [("page", "abc", 1), ("page", "-1", 2), ("page", "0", 2), ("page", "99999", 2), ("page", "1.5", 1),
       ("page", "", 1), ("kind", "nonsense", 1), ("unread", "yes", 1)]


@pytest.mark.parametrize("name,value,shown", BAD)
def test_bad_query_parameters_give_a_page(world, client, name, value, shown):
    ticket = new_ticket(world)
    for i in range(30):
        notice_to(world.hc, ticket, NoticeKind.REMIND, f"催办{i}")
    status, html = page(client, world.dispatcher, **{name: value})
    assert status == 200 and f"第{shown}页，共2页" in html and "共30条提醒" in html


def test_thousands_of_notices_page_unread_first_then_newest_with_the_same_queries(world, client):
    ticket = new_ticket(world)
    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(ticket=ticket, unit=world.hc, kind=NoticeKind.REMIND, text=f"n{i}", created_at=now - timedelta(
            minutes=i % 977), read_at=now if i % 3 == 0 else None, read_by=world.call_taker if i % 3 == 0 else None)
        for i in range(3000))
    client.force_login(world.dispatcher)
    counts = []
    for number in (1, 2, 80, 120):
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/notices/", {"page": number}).content.decode()
        counts.append(len(queries.captured_queries))
        shown = [int(pk) for pk in re.findall(r'id="notice-(\d+)"', html)]
        listed = [n.pk for n in notices.notices_for(world.dispatcher)[(number - 1) * 25:number * 25]]
        assert shown == listed and len(shown) == 25
    everything = list(notices.notices_for(world.dispatcher))
    assert all(a.unread >= b.unread for a, b in zip(everything, everything[1:]))
    assert all((a.created_at, a.pk) > (b.created_at, b.pk) for a, b in zip(everything, everything[1:])
               if a.unread == b.unread)
    assert len(set(counts)) == 1, counts  # no query a row
    assert f"{3000 - 1000}条未读" in html and "第120页，共120页" in html


def test_the_empty_page_in_both_languages(world, client):
    assert "暂无提醒。" in page(client, world.dispatcher)[1]
    assert "No notices." in page(client, world.dispatcher, "en")[1]
    assert "No notice matches these filters." in page(client, world.dispatcher, "en", unread="1")[1]


CHINESE = ["提醒", "类型", "全部类型", "只看未读", "筛选", "重置", "时间", "工单", "诉求", "来源", "位置", "状态", "已读",
           "标为已读", "共2条提醒", "1条未读", "非来电紧急诉求", "移动应用", "待派单"]
ENGLISH = ["Notices", "Kind", "All kinds", "Unread only", "Filter", "Reset", "Time", "Ticket", "Request", "Source",
           "Place", "State", "Read", "Mark as read", "2 notices", "1 unread", "Emergency not recorded by phone",
           "App", "Awaiting dispatch"]


def test_every_word_of_the_page_is_in_its_language(world, client):
    gas = Notice.objects.get(ticket=new_ticket(world, text=GAS, channel="app"), kind=NoticeKind.EMERGENCY)
    notice_to(world.hc, gas.ticket, NoticeKind.REMIND, "催办", read_at=timezone.now(), read_by=world.call_taker)
    chinese = visible_words(page(client, world.dispatcher, kind="", unread="")[1])
    english = visible_words(page(client, world.dispatcher, "en", kind="", unread="")[1])
    chinese_filtered = visible_words(page(client, world.dispatcher, unread="1")[1])
    english_filtered = visible_words(page(client, world.dispatcher, "en", unread="1")[1])
    for word in CHINESE:
        assert word in chinese + chinese_filtered, word
    for word in ENGLISH:
        assert word in english + english_filtered, word
    body = lambda html: html[html.index("提醒 共") if "提醒 共" in html else html.index("Notices 2"):]  # noqa: E731
    # the English page's own words hold no Chinese but the data (the ticket's words, places, units) and the
    # kinds' glossary terms (督办, 催办) the whole platform writes beside their English
    data = [gas.ticket.title, "东城区", "东华门街道", "(督办)", "(催办)", "催办"]
    rest = body(english)
    for item in data:
        rest = rest.replace(item, "")
    assert not re.search(r"[\u4e00-\u9fff]", rest), rest
    rest = body(chinese)
    for item in [gas.ticket.title, "ct", "disp", gas.ticket.number]:
        rest = rest.replace(item, "")
    assert not re.search(r"\b[A-Za-z]{3,}\b", rest), rest
