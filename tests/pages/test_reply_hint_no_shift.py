"""The reply-quality hint (#reply-hint, docs/reply-quality.md) in a real browser: it never moves 提交反馈. The check
is asked when the reply box loses focus, which pressing the button does, so its hint can arrive between the press and
the release; a hint put in above the button moved it from under the pointer and the click was lost."""
import pytest

from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .test_drafts import open_for_the_reply

REPLY_TEXT = "#act-reply textarea[name=reply_text]"
SEND = "#act-reply button[type=submit]"  # 提交反馈
HINT = "#reply-hint .reply-hint"
GOOD = "经现场核实，占道摊点已由城管清理，人行道已恢复通行。"  # a result stated: nothing flagged
NO_RESULT = "您的留言已收悉，已转相关部门处理，敬请关注。"  # no result stated: the check flags it (无办理结果)


#: the tests' browser window (tests/conftest.py), and a phone's, where the page is one column
WINDOWS = pytest.mark.parametrize("window", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                                  ids=["desktop", "phone"])


def count_hint_swaps(page):
    """Counts the check's answers put into #reply-hint in window.hintSwaps."""
    page.evaluate("""() => { window.hintSwaps = 0; document.body.addEventListener('htmx:afterSettle', e => {
        if (e.detail.target && e.detail.target.id === 'reply-hint') { window.hintSwaps++; } }); }""")


def below(hint, button):
    """The hint's box starts below the button's: nothing of it is above the button."""
    h, b = hint.bounding_box(), button.bounding_box()
    return h["y"] >= b["y"] + b["height"]


def sends_the_reply(response, ticket):
    return response.request.method == "POST" and response.url.endswith(f"/tickets/{ticket.pk}/act/reply/")


@WINDOWS
@pytest.mark.django_db(transaction=True)
def test_the_hint_said_during_the_click_leaves_the_button_under_the_pointer(live_server, page, world, window):
    """Typing, then pressing 提交反馈 at once: the press takes the focus from the reply box, whose check answers with
    the hint while the button is held down. The button stays where it was, the release lands on it and the reply is
    saved; the hint is shown, near the reply box."""
    page.set_viewport_size(window)
    ticket = open_for_the_reply(page, live_server, world)
    page.check("#act-reply input[name=self_resolved][value='1']")
    button = page.locator(SEND)
    button.scroll_into_view_if_needed()
    before = button.bounding_box()
    count_hint_swaps(page)
    page.locator(REPLY_TEXT).press_sequentially(NO_RESULT)
    swaps = page.evaluate("() => window.hintSwaps")  # 0, unless the check asked after the typing has answered
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.down()  # page.click's press and release, with the answer of the check it asks between them
    page.wait_for_function(f"() => window.hintSwaps > {swaps}")
    after = button.bounding_box()
    assert after == before, f"提交反馈 moved by {after['y'] - before['y']:+.0f} px while pressed"
    hint = page.locator(HINT)
    assert hint.is_visible() and "可能没有回应诉求" in hint.inner_text() and "无办理结果" in hint.inner_text()
    assert page.locator("#reply-hint").get_attribute("aria-live") == "polite"  # said to a screen reader too
    assert page.locator("#act-reply #reply-hint").count() == 1 and below(hint, button)
    assert hint.bounding_box()["y"] < window["height"]  # right under the button: in sight, not below the fold
    with page.expect_response(lambda r: sends_the_reply(r, ticket)) as sent:
        page.mouse.up()
    assert sent.value.status == 302
    page.wait_for_load_state()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.state == "replied" and ticket.reply_text == NO_RESULT  # the hint warns, it never blocks


@pytest.mark.django_db(transaction=True)
def test_the_hint_gone_during_the_click_at_the_bottom_of_the_page_leaves_the_button_in_place(live_server, page, world):
    """The page scrolled to its end, with a hint shown; the reply is mended and 提交反馈 pressed at once: the check
    asked as the box loses focus finds nothing, and the hint goes while the button is held down. The page does not
    get shorter under the scrolled window (which would scroll it back and move the button): the click sends the
    mended reply. In the tests' window the actions' column is the page's longer one, so the hint's going would
    shorten the page; on a phone the actions come first and the page ends far below them."""
    ticket = open_for_the_reply(page, live_server, world)
    page.check("#act-reply input[name=self_resolved][value='1']")
    count_hint_swaps(page)
    page.locator(REPLY_TEXT).press_sequentially(NO_RESULT)
    page.locator(HINT).wait_for()  # the check asked after the pause in the typing
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    assert page.evaluate("() => window.scrollY") > 0  # the page is longer than the window: it is at its end
    button = page.locator(SEND)
    before = button.bounding_box()
    assert before["y"] >= 0 and before["y"] + before["height"] <= page.viewport_size["height"]  # in sight
    swaps = page.evaluate("() => window.hintSwaps")
    page.locator(REPLY_TEXT).fill(GOOD)
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.down()
    page.wait_for_function(f"() => window.hintSwaps > {swaps}")
    assert page.locator(HINT).count() == 0  # the mended reply is not flagged: the hint has gone
    after = button.bounding_box()
    assert after == before, f"提交反馈 moved by {after['y'] - before['y']:+.0f} px while pressed"
    with page.expect_response(lambda r: sends_the_reply(r, ticket)) as sent:
        page.mouse.up()
    assert sent.value.status == 302
    page.wait_for_load_state()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.state == "replied" and ticket.reply_text == GOOD
