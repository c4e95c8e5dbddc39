"""The note of a refused HTMX request (app.js, data-refusal) in a real browser: it never moves a control of the form
its element is in, so a click that makes the reply form's text box lose focus (and so meets a lapsed login in the
reply-quality check) still sends the form."""
from importlib import import_module

import pytest
from django.conf import settings

from jiesu.core.tests_support import force_login
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_drafts import open_for_the_reply, start_an_intake
from .test_ticket_flow import login

LAPSED = "登录已过期"
REPLY_TEXT = "#act-reply textarea[name=reply_text]"
SEND = "#act-reply button[type=submit]"  # 提交反馈
NOTE = "#act-reply [data-refusal]"


def lapse_the_login(page):
    """The session ends on the server (its time is up, or the sessions were cleared); the browser keeps its cookie."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store(session_key=key).delete()
    assert not store().exists(key)


def count_refusals(page):
    """Counts the page's refused HTMX requests in window.refused, after app.js has handled each (window hears last)."""
    page.evaluate("() => { window.refused = 0; window.addEventListener('htmx:responseError', () => window.refused++); }")


def sends_the_reply(response, ticket):
    return response.request.method == "POST" and response.url.endswith(f"/tickets/{ticket.pk}/act/reply/")


def said_below(note, button):
    """The note's box starts below the button's: nothing of it is above the button, so the button did not move."""
    n, b = note.bounding_box(), button.bounding_box()
    return n["y"] >= b["y"] + b["height"]


@pytest.mark.django_db(transaction=True)
def test_the_note_said_during_the_click_leaves_the_button_under_the_pointer(live_server, page, world):
    """The sequence of the lost click: typing, then pressing 提交反馈 at once. The press takes the focus from the text
    box, whose check meets the lapsed login; its note comes while the button is held down, and the release still
    lands on the button, so the form is sent and the lapsed login leads to the login page."""
    ticket = open_for_the_reply(page, live_server, world)
    button = page.locator(SEND)
    button.scroll_into_view_if_needed()
    before = button.bounding_box()
    lapse_the_login(page)
    page.locator(REPLY_TEXT).press_sequentially("已联系城管清理占道摊点")
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.down()  # page.click's press and release, with the note's arrival between them
    note = page.locator(NOTE)
    note.wait_for()
    assert LAPSED in note.inner_text() and note.get_attribute("role") == "alert"
    assert button.bounding_box() == before
    assert said_below(note, button)
    with page.expect_response(lambda r: sends_the_reply(r, ticket)) as sent:
        page.mouse.up()
    assert sent.value.status == 302 and sent.value.headers["location"].startswith("/login/")
    page.wait_for_url("**/login/**unsent=1*")
    assert "刚才提交的内容没有保存" in page.locator("main").inner_text()
    assert Ticket.objects.get(pk=ticket.pk).state != "replied"


@pytest.mark.django_db(transaction=True)
def test_the_note_said_while_typing_leaves_the_button_in_place_and_the_click_sends_the_form(live_server, page, world):
    """A pause in the typing asks for the check, which meets the lapsed login: one note, however many checks are
    refused, below the button; page.click then sends the form, and after the login the reply is filled in again."""
    ticket = open_for_the_reply(page, live_server, world)
    button = page.locator(SEND)
    button.scroll_into_view_if_needed()
    before = button.bounding_box()
    lapse_the_login(page)
    count_refusals(page)
    page.locator(REPLY_TEXT).press_sequentially("已联系城管清理占道摊点")
    page.wait_for_function("() => window.refused >= 1")
    page.locator(REPLY_TEXT).press_sequentially("，现场已恢复通行")
    page.wait_for_function("() => window.refused >= 2")
    note = page.locator(NOTE)
    assert note.count() == 1 and page.locator("[data-refusal]").count() == 1
    assert LAPSED in note.inner_text()
    assert button.bounding_box() == before and said_below(note, button)
    with page.expect_response(lambda r: sends_the_reply(r, ticket)) as sent:
        page.click(SEND)
    assert sent.value.status == 302 and "unsent=1" in sent.value.headers["location"]
    page.wait_for_url("**/login/**")
    page.fill("#id_username", "st")
    page.fill("#id_password", "pw")
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    assert page.input_value(REPLY_TEXT) == "已联系城管清理占道摊点，现场已恢复通行"
    assert page.locator("[data-refusal]").count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_note_goes_once_a_check_succeeds_and_the_reply_is_sent(live_server, page, world):
    ticket = open_for_the_reply(page, live_server, world)
    lapse_the_login(page)
    page.locator(REPLY_TEXT).press_sequentially("已联系城管清理占道摊点")
    page.locator(NOTE).wait_for()
    force_login(page, live_server, world.street_staff)  # logged in again (the page's security token still holds)
    page.locator(REPLY_TEXT).press_sequentially("，现场已恢复通行")
    page.locator(NOTE).wait_for(state="detached")  # the next check is answered: its note is gone
    page.check("#act-reply input[name=self_resolved][value='1']")
    page.click(SEND)
    page.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == "replied" and ticket.reply_text == "已联系城管清理占道摊点，现场已恢复通行"


@pytest.mark.django_db(transaction=True)
def test_the_duplicate_panels_note_is_said_below_record(live_server, page, world):
    """The duplicate panel checks while the description is typed: its lapsed login is said in the intake form, below
    the Record button, which stays where it was."""
    start_an_intake(page, live_server)
    record = page.locator("#intake-form button[type=submit]")
    record.scroll_into_view_if_needed()
    before = record.bounding_box()
    lapse_the_login(page)
    page.locator("#id_text").press_sequentially("，已经一周了")
    note = page.locator("#intake-form [data-refusal]")
    note.wait_for()
    assert LAPSED in note.inner_text() and note.get_attribute("role") == "alert" and note.is_visible()
    assert note.count() == 1
    assert record.bounding_box() == before and said_below(note, record)
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/login/**unsent=1*")
    assert Ticket.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_show_number_refused_says_why_beside_the_button(live_server, page, world):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    login(page, live_server, "st")
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    lapse_the_login(page)
    page.locator(".card .contact-box button").click()  # 显示号码
    note = page.locator(".card .contact-box button + [data-refusal]")
    note.wait_for()
    assert LAPSED in note.inner_text() and note.get_attribute("role") == "alert" and note.is_visible()
    assert "13812345678" not in page.content()
