"""Nothing typed is lost: drafts kept in the browser tab (app.js "drafts", jiesu.core.drafts), in a real browser."""
import pytest

from jiesu.accounts.models import Role, User
from jiesu.core.tests_support import force_login
from jiesu.dispatch import duplicates
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login, logout, pick

STALE_SECRET = "A" * 32  # a well-formed token secret the page's form was not made with: the form has expired


def drafts_in_tab(page):
    return page.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('jiesu-draft:'))")


def fill_intake(page):
    page.fill("#id_text", "东华门大街路灯不亮三天了，晚上很黑")
    page.fill("#id_address", "东华门大街12号")
    page.fill("#id_citizen_name", "李四")
    page.fill("#id_citizen_phone", "13900002222")
    page.check("#id_confidential")


def start_an_intake(page, live_server):
    """The call-taker logs in and types a request (not recorded yet)."""
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    fill_intake(page)


def expire_the_security_token(page, live_server):
    page.context.add_cookies([{"name": "csrftoken", "value": STALE_SECRET, "url": live_server.url}])


@pytest.mark.django_db(transaction=True)
def test_an_expired_intake_form_is_filled_in_again_and_recorded_once(live_server, page, world):
    start_an_intake(page, live_server)
    expire_the_security_token(page, live_server)
    page.click("#intake-form button[type=submit]")
    page.wait_for_load_state()
    assert "表单已过期" in page.title()
    assert "本次提交没有保存" in page.locator("main").inner_text()
    assert Ticket.objects.count() == 0
    page.click("a:has-text('重新打开该页')")
    page.wait_for_url("**/intake/")
    assert page.input_value("#id_text") == "东华门大街路灯不亮三天了，晚上很黑"
    assert page.input_value("#id_address") == "东华门大街12号"
    assert page.input_value("#id_citizen_phone") == "13900002222"
    assert page.is_checked("#id_confidential")
    assert "照片需重新选择" in page.locator("#intake-form .draft-note").inner_text()
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/tickets/*/")
    ticket = Ticket.objects.get()
    assert (ticket.text, ticket.address, ticket.citizen_phone, ticket.confidential) == (
        "东华门大街路灯不亮三天了，晚上很黑", "东华门大街12号", "13900002222", True)
    assert drafts_in_tab(page) == []  # recorded: the draft has ended
    page.goto(live_server.url + "/intake/")
    assert page.input_value("#id_text") == "" and page.locator(".draft-note").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_draft_can_be_cleared_and_ends_with_the_login(live_server, page, world):
    start_an_intake(page, live_server)
    page.reload()  # a reload (or a language switch) keeps it too
    assert page.input_value("#id_citizen_name") == "李四"
    page.click(".draft-note button:has-text('清空')")
    page.wait_for_load_state()
    assert page.input_value("#id_citizen_name") == "" and page.locator(".draft-note").count() == 0
    fill_intake(page)
    assert len(drafts_in_tab(page)) == 1
    logout(page)
    assert drafts_in_tab(page) == []  # the citizen's name and phone leave the tab with the call-taker
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    assert page.input_value("#id_citizen_phone") == ""


@pytest.mark.django_db(transaction=True)
def test_a_lapsed_login_loses_nothing(live_server, page, world):
    start_an_intake(page, live_server)
    page.context.clear_cookies(name="sessionid")  # the session ended (timeout, a restart of the sessions)
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/login/**")
    assert Ticket.objects.count() == 0
    page.fill("#id_username", "ct")
    page.fill("#id_password", "pw")
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url("**/intake/")
    assert page.input_value("#id_text") == "东华门大街路灯不亮三天了，晚上很黑"
    assert page.input_value("#id_citizen_name") == "李四" and page.locator(".draft-note").count() == 1


@pytest.mark.django_db(transaction=True)
def test_another_user_in_the_same_tab_never_sees_a_draft(live_server, page, world):
    start_an_intake(page, live_server)
    other = User.objects.create_user("ct2", password="pw", role=Role.CALL_TAKER, unit=world.call_taker.unit)
    force_login(page, live_server, other)  # another call-taker's session in the same tab, without logging out
    page.goto(live_server.url + "/intake/")
    assert page.input_value("#id_text") == "" and page.input_value("#id_citizen_phone") == ""
    assert drafts_in_tab(page) == []


def open_for_the_reply(page, live_server, world):
    """The street's staff on the page of a ticket it has signed and whose citizen it has contacted."""
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    services.sign(world.street_staff, ticket)
    services.contact(world.street_staff, ticket, "已电话联系")
    login(page, live_server, "st")
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    return ticket


@pytest.mark.django_db(transaction=True)
def test_a_unit_reply_survives_a_reload_and_ends_when_sent(live_server, page, world):
    ticket = open_for_the_reply(page, live_server, world)
    page.fill("#act-reply textarea[name=reply_text]", "已联系城管清理占道摊点，现场已恢复通行")
    page.check("#act-reply input[name=self_resolved][value='1']")
    page.reload()
    assert page.input_value("#act-reply textarea[name=reply_text]") == "已联系城管清理占道摊点，现场已恢复通行"
    assert page.is_checked("#act-reply input[name=self_resolved][value='1']")
    assert page.locator("#act-reply .draft-note").count() == 1
    assert page.locator(".draft-note").count() == 1  # only the form that had a draft says so
    page.click("#act-reply button[type=submit]")
    page.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == "replied" and ticket.reply_text == "已联系城管清理占道摊点，现场已恢复通行"
    assert drafts_in_tab(page) == []


@pytest.mark.django_db(transaction=True)
def test_a_refused_action_shows_what_was_sent_not_an_older_draft(live_server, page, world):
    ticket = open_for_the_reply(page, live_server, world)
    page.fill("#act-reply textarea[name=reply_text]", "已处理")
    page.click("#act-reply button[type=submit]")  # no "resolved?" answer: refused, the server keeps the text
    page.wait_for_load_state()
    assert page.locator("#act-reply .field-error").count() >= 1
    assert page.input_value("#act-reply textarea[name=reply_text]") == "已处理"
    assert page.locator("#act-reply .draft-note").count() == 0
    assert drafts_in_tab(page) != []  # not done: the draft stays until the reply is sent


@pytest.mark.django_db(transaction=True)
def test_a_lapsed_login_on_a_ticket_form_leads_back_to_the_ticket(live_server, page, world):
    ticket = open_for_the_reply(page, live_server, world)
    page.fill("#act-reply textarea[name=reply_text]", "已联系城管清理占道摊点")
    page.context.clear_cookies(name="sessionid")
    # Leaving the box asks for the reply-quality hint, which meets the lapsed login: the note that says so goes in
    # above the button. Said before the click, so that the button does not move under it (a click whose mouse-up
    # missed the moved button sent nothing: seen once in a loaded parallel run).
    page.locator("#act-reply textarea[name=reply_text]").blur()
    assert "登录已过期" in page.locator("#act-reply [data-refusal]").inner_text()
    page.click("#act-reply button[type=submit]")
    page.wait_for_url("**/login/**")
    page.fill("#id_username", "st")
    page.fill("#id_password", "pw")
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    assert page.input_value("#act-reply textarea[name=reply_text]") == "已联系城管清理占道摊点"
    assert Ticket.objects.get(pk=ticket.pk).state != "replied"


def back(page):
    """The browser's Back. A page the back-forward cache brings back may reload at once (to the login page, after a
    logout), which aborts go_back's wait for the page it brought back: where it went is for the caller to check."""
    from playwright.sync_api import Error

    try:
        page.go_back()
    except Error as exc:
        if "ERR_ABORTED" not in str(exc):
            raise


def shows_an_empty_intake(page):
    page.wait_for_function("() => document.querySelector('#id_text') && document.querySelector('#id_text').value"
                           " === '' && !document.querySelector('.draft-note')")
    return True


@pytest.mark.django_db(transaction=True)
def test_back_after_recording_neither_records_it_again_nor_loses_the_next_request(live_server, page, world):
    """Back reopens the intake afresh, also from the browser's back-forward cache (which would show the recorded
    request with its key): Record cannot file it again without its caller, and the next caller's request typed
    there is recorded, not answered with "already recorded"."""
    start_an_intake(page, live_server)
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/tickets/*/")
    back(page)
    assert shows_an_empty_intake(page)
    page.click("#intake-form button[type=submit]")
    page.wait_for_load_state()
    assert Ticket.objects.count() == 1
    page.fill("#id_text", "景山前街井盖丢失，晚上很危险")
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/tickets/*/")
    assert Ticket.objects.filter(text="景山前街井盖丢失，晚上很危险").count() == 1 and Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_back_after_logging_out_does_not_show_the_citizen_again(live_server, page, world):
    start_an_intake(page, live_server)
    logout(page)
    back(page)
    page.wait_for_url("**/login/**")
    assert page.locator("#id_citizen_phone").count() == 0 and drafts_in_tab(page) == []


@pytest.fixture
def fresh_duplicates_index():
    duplicates.reset_index(refresh_seconds=0)
    yield
    duplicates.reset_index()


@pytest.mark.django_db(transaction=True)
def test_the_duplicate_panels_choice_comes_back_with_the_draft(live_server, page, world, fresh_duplicates_index):
    earlier = new_ticket(world)
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    page.fill("#id_text", "东华门大街有人占道经营，把人行道堵住了")
    pick(page, "#pick-street", world.street.name)
    choice = f"#dup-panel input[name=merge_into][value='{earlier.pk}']"
    page.locator(choice).wait_for()
    page.check(choice)
    page.reload()
    page.locator(choice).wait_for()
    assert page.is_checked(choice)
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/tickets/*/")
    recorded = Ticket.objects.exclude(pk=earlier.pk).get()
    assert [p.into.pk for p in duplicates.proposals(recorded)] == [earlier.pk]


@pytest.mark.django_db(transaction=True)
def test_a_logout_in_another_tab_ends_this_tabs_drafts(live_server, page, world):
    start_an_intake(page, live_server)
    assert len(drafts_in_tab(page)) == 1
    other_tab = page.context.new_page()
    other_tab.goto(live_server.url + "/intake/")
    logout(other_tab)
    page.wait_for_url("**/login/**")  # left on screen, untouched: it sees the logout and shows nothing more
    assert drafts_in_tab(page) == []


@pytest.mark.django_db(transaction=True)
def test_a_tickets_page_drops_the_drafts_of_forms_it_no_longer_offers(live_server, page, world):
    ticket = open_for_the_reply(page, live_server, world)
    page.fill("#act-request_extension textarea[name=reason]", "需协调园林部门，市民电话13800001234")
    page.fill("#act-reply textarea[name=reply_text]", "已联系城管清理占道摊点，现场已恢复通行")
    page.check("#act-reply input[name=self_resolved][value='1']")
    assert len(drafts_in_tab(page)) == 2
    page.click("#act-reply button[type=submit]")
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    assert page.locator("#act-request_extension").count() == 0  # replied: no extension is asked any more
    assert drafts_in_tab(page) == []
