"""The ticket's way in a real browser: call-taker → dispatcher → street → callback agent → closed.

Also takes the README's screenshots (docs/screenshots/intake.png, dispatch.png, worklist.png,
ticket.png, callbacks.png).
"""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.categories.models import Duty
from jiesu.core.tests_support import screenshot
from jiesu.dispatch import router
from jiesu.tickets import services
from jiesu.tickets.models import Assignment, Ticket, TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

NAMES = {"call_taker": "王芳", "dispatcher": "李强", "street_staff": "赵敏", "callback_agent": "陈静",
         "street_b_staff": "周杰"}


def name_users(w):
    for attr, name in NAMES.items():
        user = getattr(w, attr)
        user.display_name = name
        user.save(update_fields=["display_name"])


def login(page, live_server, username, password="pw"):
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"login as {username} failed"


def logout(page):
    page.click("header form[action='/logout/'] button")
    page.wait_for_url(re.compile(r"/login/"))


def pick(page, input_selector, text):
    """Type into a search picker and take the first match with Enter (as a call-taker would)."""
    page.fill(input_selector, text)
    page.press(input_selector, "Enter")  # before the results are there: the first match is taken when they come
    picker = page.locator(input_selector).locator("xpath=ancestor::div[contains(@class,'picker')][1]")
    page.wait_for_function("el => el.classList.contains('picked')", arg=picker.element_handle())
    return picker.locator("input[type=hidden]").first.input_value()


def busy_world(w):
    """A dispatch catalogue and a few more tickets, so the queues in the screenshots look like a working day."""
    Duty.objects.create(category=w.category, scope="territorial", unit_kind="street")  # 占道经营 → the street (属地)
    Duty.objects.create(category=w.gas, scope="sectoral", unit=w.dept2)
    Duty.objects.create(category=w.gas, scope="territorial", unit_kind="street", role="co")
    router.invalidate()
    texts = [
        ("东华门大街路口早餐摊占道经营，行人只能走机动车道，存在安全隐患。", {}),
        ("小区东门外共享单车乱停乱放，堵住了消防通道，请尽快清理。", {}),
        ("咨询：灵活就业人员如何在北京缴纳社会保险？", {"category_code": w.consult.code}),
        ("楼道里闻到很浓的燃气味，担心泄漏，请马上派人查看！", {"category_code": w.gas.code}),
        ("夜间施工噪音扰民，凌晨一点还在打桩。", {}),
    ]
    made = [new_ticket(w, text=text, **extra) for text, extra in texts]
    # two in handling for the work list, one replied for the callback queue
    services.dispatch(w.dispatcher, made[1], w.street.pk)
    services.dispatch(w.dispatcher, made[4], w.street.pk, co_unit_ids=[w.dept2.pk])
    services.sign(w.street_staff, made[4])
    replied = new_ticket(w, text="单元门禁坏了一周，物业一直不修。", citizen_name="刘洋", citizen_phone="13698765432")
    services.dispatch(w.dispatcher, replied, w.street.pk)
    services.sign(w.street_staff, replied)
    services.contact(w.street_staff, replied, "已电话联系诉求人")
    services.reply(w.street_staff, replied, "已督促物业公司更换门禁控制器，现已恢复使用。", True)
    # one overdue and one close to its deadline, with a 督办 and a 催办 notice, as on a real work list
    late = new_ticket(w, text="老旧小区加装电梯施工围挡占用消防通道，多次反映无人处理。", citizen_phone="13511112222")
    services.dispatch(w.dispatcher, late, w.street.pk)
    services.sign(w.street_staff, late)
    services.contact(w.street_staff, late, "已联系")
    age(late, days=10, reply_in=timedelta(hours=-5))
    services.supervise(w.dispatcher, late, "已超期，请今日内反馈办理结果")
    soon = new_ticket(w, text="路口信号灯故障，早高峰车辆拥堵。", citizen_phone="13722223333")
    services.dispatch(w.dispatcher, soon, w.street.pk)
    services.sign(w.street_staff, soon)
    services.contact(w.street_staff, soon, "已联系")
    age(soon, days=6, reply_in=timedelta(hours=6))
    services.remind(w.call_taker, soon, "市民再次来电询问进展")
    return made


@pytest.fixture
def busy(world):  # noqa: F811
    made = busy_world(world)
    yield made
    router.invalidate()  # the catalogue made here leaves the in-memory routing table with the test


def age(ticket, days, reply_in):
    """Move a ticket back in time (as if it had been dispatched `days` ago) for the screenshots."""
    now = timezone.now()
    start, due = now - timedelta(days=days), now + reply_in
    Ticket.objects.filter(pk=ticket.pk).update(created_at=start, dispatched_at=start, reply_due=due,
                                               dispatch_due=start + timedelta(hours=4))
    Assignment.objects.filter(ticket=ticket).update(
        dispatched_at=start, sign_due=start + timedelta(hours=2), contact_due=start + timedelta(days=1),
        reply_due=due, signed_at=start + timedelta(hours=1), contacted_at=start + timedelta(hours=3))
    TicketEvent.objects.filter(ticket=ticket).update(at=start + timedelta(minutes=30))


@pytest.mark.django_db(transaction=True)
def test_ticket_from_call_to_closure(live_server, page, world, busy):
    name_users(world)
    gas = busy[3]

    # ── the call-taker records the request, keyboard first ──
    login(page, live_server, "ct")
    assert page.url.endswith("/intake/")
    assert page.evaluate("document.activeElement.id") == "id_text"  # autofocus on the description
    page.keyboard.type("东华门大街12号门前有商贩长期占道经营，堵塞人行道，老人孩子只能绕行。")
    page.fill("#id_address", "东华门大街12号")
    assert pick(page, "#pick-street", "东华门") == world.street.code
    assert pick(page, "#pick-category", "占道") == world.category.code
    page.fill("#id_citizen_name", "张三")
    page.fill("#id_citizen_phone", "13812345678")
    screenshot(page, "intake")
    page.press("#id_citizen_phone", "Control+Enter")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get(address="东华门大街12号")
    message = page.locator(".messages .success").inner_text()
    assert ticket.number in message and ticket.query_code in message
    assert ticket.street == world.street and ticket.category == world.category and ticket.state == "new"
    logout(page)

    # ── the dispatcher sends it to the street ──
    login(page, live_server, "disp")
    assert page.url.endswith("/dispatch/")
    card = page.locator(f"#t{ticket.pk}")
    assert card.locator("input[type=hidden][name=lead_unit]").input_value() == str(world.street.pk)
    assert card.locator("input[type=hidden][name=category]").input_value() == world.category.code
    page.fill(f"#note-{ticket.pk}", "请街道尽快处置")
    # the gas leak came in without a call-taker's prompt on the way: the desk prompts 119 (loaded by HTMX)
    alert = page.locator(f'#t{gas.pk} [data-emergency="119"]')
    alert.wait_for()
    assert "燃气泄漏" in alert.inner_text() and alert.locator("button").inner_text() == "分类处置-紧急（已转 119）"
    page.wait_for_selector(".desk-lazy", state="detached")  # every top-3 panel loaded, for the screenshot
    screenshot(page, "dispatch")
    card.locator("form.dispatch-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".messages .success").count() == 1
    ticket.refresh_from_db()
    assert ticket.state == "dispatched" and ticket.lead_unit == world.street
    logout(page)

    # ── the street signs, contacts the citizen and replies ──
    login(page, live_server, "st")
    assert page.url.endswith("/work/")
    row = page.locator("table.list tr", has_text=ticket.number)
    assert row.count() == 1
    screenshot(page, "worklist")
    row.locator(f"a[href='/tickets/{ticket.pk}/']").first.click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    page.click("#act-sign button[type=submit]")
    page.wait_for_selector("#act-contact")
    page.fill("#act-contact input[name=note]", "已电话联系张先生，约定下午现场查看")
    page.click("#act-contact button[type=submit]")
    page.wait_for_selector("#act-reply")
    page.fill("#act-reply textarea[name=reply_text]", "街道城管执法队已到现场劝离占道商贩，并纳入每日巡查。")
    page.check("#act-reply input[name=self_resolved][value='1']")
    page.click("#act-reply button[type=submit]")
    page.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == "replied"
    logout(page)

    # ── the callback agent calls back: resolved, satisfied ──
    login(page, live_server, "cb")
    assert page.url.endswith("/callbacks/")
    card = page.locator(f"#t{ticket.pk}")
    card.wait_for()
    screenshot(page, "callbacks")
    card.locator("input[name=reached][value='1']").check()
    card.locator("input[name=resolved][value=resolved]").check()
    card.locator("input[name=satisfied][value=satisfied]").check()
    card.locator("input[name=note]").fill("市民表示问题已解决，满意")
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == "closed" and ticket.resolved == "resolved" and ticket.satisfied == "satisfied"

    # ── the ticket page shows it closed, and every step with who and when ──
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    assert page.locator(".ticket-head .badge.st-closed").count() == 1
    timeline = page.locator("ol.timeline > li")
    expected = [("intake", "王芳", "受理"), ("dispatch", "李强", "派单"), ("sign", "赵敏", "签收"),
                ("contact", "赵敏", "联系"), ("reply", "赵敏", "反馈"), ("callback", "陈静", "回访")]
    kinds = list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").values_list("kind", flat=True))
    assert [k for k, _, _ in expected] == [k for k in kinds if k != "contact_revealed"]
    for kind, who, label in expected:
        item = page.locator(f"ol.timeline > li.ev-{kind}")
        assert item.count() == 1, kind
        text = item.inner_text()
        assert who in text, (kind, text)
        assert label in text, (kind, text)
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text), (kind, text)
    assert timeline.count() == len(kinds)
    assert "东华门街道" in page.locator("ol.timeline > li.ev-sign").inner_text()  # the unit is shown
    screenshot(page, "ticket")
