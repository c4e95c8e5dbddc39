"""吹哨报到 in a real browser: a street whistles from a ticket → two departments check in from their
"summoned" inbox → each reports its task done → the street accepts, closes → the ticket gets the
result as its reply.

Also takes the README's screenshots docs/screenshots/whistle-board.png and whistle.png.
"""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.core.tests_support import force_login, screenshot
from jiesu.tickets.models import State as TicketState
from jiesu.whistles import services
from jiesu.whistles.models import Summons, Whistle, WhistleState
from whistles.conftest import contacted_ticket, fast_passwords, ticket_world, whistle, world  # noqa: F401

NAMES = {"street_staff": "刘洋", "dept_staff": "黄磊", "dept2_staff": "周涛", "deputy": "王建国", "chief": "陈志强"}
RESULT = "经城管、市场监管联合执法，早市摊点已迁入疏导点，路面恢复通行，连续一周复查无回潮。"


def name_users(w):
    for attr, name in NAMES.items():
        user = getattr(w, attr)
        user.display_name = name
        user.save(update_fields=["display_name"])


def busy_board(w):
    """Other whistles of the street, so the board looks like a working week."""
    services.raise_whistle(w.street_staff, services.WhistleData(
        "景山前街老旧小区雨污管线反复堵塞", "雨后返水，涉及水务、住建和产权单位。", level="hard",
        summons=[(w.dept2.pk, "meeting")]))                                       # waits for approval
    quick = whistle(w, title="东华门大街下凹桥暴雨积水", description="积水深约40厘米，需现场处置。",
                    trigger="emergency", level="emergency", mode="quick", units=[(w.dept2.pk, "on_site")])
    Summons.objects.filter(whistle=quick).update(report_due=timezone.now() + timedelta(minutes=12))
    late = whistle(w, title="南池子大街施工夜间噪音扰民", description="夜间施工噪音超标，群众连续投诉。",
                   units=[(w.dept.pk, "joint")])
    Summons.objects.filter(whistle=late).update(report_due=timezone.now() - timedelta(hours=3))
    done = whistle(w, title="王府井共享单车淤积堵塞路口", description="地铁口单车淤积。", units=[(w.dept2.pk, "written")])
    task = services.add_task(w.street_staff, done, w.dept2.pk, "清理淤积车辆并施划停放区", "路口无淤积")
    services.check_in(w.dept2_staff, done.summons.get(), "周涛")
    services.report_progress(w.dept2_staff, task, "已清理", done=True)
    services.accept_task(w.street_staff, task, True)
    services.close(w.street_staff, done, "单车已清理，停放区已施划。")


def as_user(page, live_server, user, path):
    """Open `path` as `user` (a session cookie, no login form: the login page has its own tests)."""
    page.context.clear_cookies()
    force_login(page, live_server, user)
    page.goto(live_server.url + path)


def pick_unit(page, input_selector, text):
    """Type into the unit picker and take the first match."""
    page.fill(input_selector, text)
    picker = page.locator(input_selector).locator("xpath=ancestor::div[contains(@class,'picker')][1]")
    picker.locator(".picker-results .pick-opt").first.click()
    page.wait_for_function("el => el.querySelector('.chip input[type=hidden]')", arg=picker.element_handle())
    assert picker.locator(".chip-x").last.get_attribute("aria-label").startswith("移除 ")  # said in the page's language


def act_in(page, form_id):
    with page.expect_navigation():
        page.click(f"#{form_id} button[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_street_whistles_departments_report_tasks_done_ticket_replied(live_server, page, world):  # noqa: F811
    name_users(world)
    ticket = contacted_ticket(world, text="东华门大街早市摊贩占道经营，整治后又回潮，行人只能走机动车道。")
    busy_board(world)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"longitude": 116.4012, "latitude": 39.9135})

    # the street whistles from the ticket: 市场监管 is suggested from the duty list, 人社局 added by hand
    as_user(page, live_server, world.street_staff, f"/whistles/new/?tickets={ticket.number}")
    suggested = page.locator(f"#summon-units input[name=summon][value='{world.dept2.pk}']")
    assert suggested.is_checked()
    page.select_option(f"select[name=form_{world.dept2.pk}]", "on_site")
    pick_unit(page, "#pick-more_units-new", "人力资源")
    page.select_option("#w-more-form", "meeting")
    page.select_option("#w-trigger", "public")
    with page.expect_navigation():
        page.click("#raise")
    assert re.search(r"/whistles/\d+/$", page.url)
    w = Whistle.objects.get(tickets=ticket)
    assert w.state == WhistleState.ACTIVE and w.summons.count() == 2
    assert page.locator("#whistle-state").inner_text() == "已吹哨，办理中"
    assert "人力资源" in page.locator(".messages").inner_text()        # the no-duty warning

    # each department checks in from its inbox with one click (on site: with the browser's location)
    for user in (world.dept_staff, world.dept2_staff):
        as_user(page, live_server, user, "/whistles/summoned/")
        row = page.locator(f"#summoned tr[data-whistle='{w.pk}']")
        with page.expect_navigation():
            row.locator(".checkin-form button[type=submit]").click()
        assert "按时报到" in page.locator(f"#summoned tr[data-whistle='{w.pk}']").inner_text()
    on_site = w.summons.get(unit=world.dept2)
    assert on_site.person == "周涛" and on_site.checkin_lon == pytest.approx(116.4012) and not on_site.late

    # the joint meeting's list: one task for each department
    as_user(page, live_server, world.street_staff, f"/whistles/{w.pk}/")
    for unit, title, criterion in ((world.dept2, "取缔早市占道摊点并设置疏导点", "路面无摊点，连续一周复查无回潮"),
                                   (world.dept, "核查摊贩从业人员用工情况", "核查记录齐全")):
        page.fill("#task-title", title)
        page.select_option("#task-unit", str(unit.pk))
        page.fill("#task-criterion", criterion)
        act_in(page, "act-add_task")
    assert page.locator("#tasks tbody tr").count() == 2
    assert page.locator("#act-close button[type=submit]").is_disabled()     # 事不完、人不撤
    page.goto(live_server.url + "/whistles/")
    assert page.locator("table.whistles").first.locator(f"a[href='/whistles/{w.pk}/']").count() > 0
    screenshot(page, "whistle-board")

    # each department reports its task done
    for user in (world.dept2_staff, world.dept_staff):
        as_user(page, live_server, user, f"/whistles/{w.pk}/")
        task_row = page.locator("#tasks tbody tr", has=page.locator("details.more"))
        task_row.locator("summary").click()
        task_row.locator("textarea[name=text]").fill("已按清单完成，现场照片见附件。")
        task_row.locator("input[name=done]").check()
        with page.expect_navigation():
            task_row.locator(".progress-form button[type=submit]").click()

    # the street accepts both and closes; the ticket gets the result as its reply
    as_user(page, live_server, world.street_staff, f"/whistles/{w.pk}/")
    for _ in range(2):
        with page.expect_navigation():
            page.locator(".accept-form button[value=accept]").first.click()
    page.fill("#act-close textarea[name=result]", RESULT)
    act_in(page, "act-close")
    assert page.locator("#whistle-state").inner_text() == "已办结"
    rate = page.locator(f".rate-form[data-unit='{world.dept2.name}']")
    rate.locator("select[name=timeliness]").select_option("5")
    rate.locator("input[name=comment]").fill("到场及时，措施有力")
    with page.expect_navigation():
        rate.locator("button[type=submit]").click()
    assert "到场及时" in page.locator("#ratings").inner_text()
    screenshot(page, "whistle")

    ticket.refresh_from_db()
    w.refresh_from_db()
    assert w.state == WhistleState.CLOSED and w.result == RESULT
    assert ticket.state == TicketState.REPLIED and ticket.reply_text == RESULT
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    assert RESULT in page.content()
