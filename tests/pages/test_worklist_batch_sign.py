"""批量签收 on the work list in a real browser: the rows' boxes sit in the table, outside the form of the two buttons
above it (form="batch-sign"), and 「签收本页全部待签收工单」 sends the page's hidden fields; neither had been pressed in a
browser (tests/tickets/test_dept_batch_sign.py posts the form as a client would)."""
import pytest

from jiesu.tickets import services
from jiesu.tickets.models import Assignment, AssignmentState, State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login, pick


def dispatched(w, lead, co=()):
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, lead.pk, [u.pk for u in co])
    return ticket


def row(page, ticket):
    return page.locator("table.list tbody tr").filter(has=page.locator(f'a[href="/tickets/{ticket.pk}/"]'))


def box(page, ticket):
    return row(page, ticket).locator('input[type=checkbox][name="ticket"]')


def success(page):
    return page.locator(".messages .success").inner_text()


@pytest.mark.django_db(transaction=True)
def test_two_ticked_boxes_are_signed_for_and_the_page_shows_it(live_server, page, world):
    w = world
    first, second, left = dispatched(w, w.dept), dispatched(w, w.dept), dispatched(w, w.dept)
    login(page, live_server, "dp")
    page.goto(live_server.url + "/work/?step=sign")
    assert page.locator('input[type=checkbox][name="ticket"]').count() == 3
    box(page, first).check()
    box(page, second).check()
    page.get_by_role("button", name="签收所选工单").click()
    page.wait_for_load_state()
    assert "已签收 2 件工单" in success(page)
    assert "/work/?step=sign" in page.url  # back to the list as it was, its filter kept
    assert row(page, first).count() == 0 and row(page, second).count() == 0  # signed: no longer to sign for
    assert box(page, left).count() == 1
    page.goto(live_server.url + "/work/")
    for ticket in (first, second):
        assert row(page, ticket).locator(".badge.st-signed").inner_text() == "已签收"
        assert box(page, ticket).count() == 0
    assert row(page, left).locator(".badge.st-dispatched").count() == 1
    assert {t.state for t in Ticket.objects.filter(pk__in=(first.pk, second.pk))} == {State.SIGNED}
    assert Ticket.objects.get(pk=left.pk).state == State.DISPATCHED


@pytest.mark.django_db(transaction=True)
def test_signing_for_the_whole_page_takes_every_row_to_sign_for_lead_and_co(live_server, page, world):
    w = world
    lead = dispatched(w, w.dept)
    co = dispatched(w, w.dept2, co=[w.dept])
    signed = dispatched(w, w.dept)
    services.sign(w.dept_staff, signed)
    login(page, live_server, "dp")
    page.goto(live_server.url + "/work/")
    assert box(page, signed).count() == 0
    assert not box(page, lead).is_checked() and not box(page, co).is_checked()  # nothing ticked: the page's rows go
    page.get_by_role("button", name="签收本页全部待签收工单").click()
    page.wait_for_load_state()
    assert "已签收 2 件工单" in success(page)
    assert page.locator(".messages .error").count() == 0
    assert page.locator('input[type=checkbox][name="ticket"]').count() == 0
    assert row(page, lead).locator(".badge.st-signed").count() == 1
    assert Assignment.objects.get(ticket=co, unit=w.dept).state == AssignmentState.SIGNED
    assert Assignment.objects.get(ticket=co, unit=w.dept2).state == AssignmentState.PENDING  # the lead's own: not ours


@pytest.mark.django_db(transaction=True)
def test_pressing_sign_with_nothing_ticked_says_so_and_signs_nothing(live_server, page, world):
    ticket = dispatched(world, world.dept)
    login(page, live_server, "dp")
    page.goto(live_server.url + "/work/")
    page.get_by_role("button", name="签收所选工单").click()
    page.wait_for_load_state()
    assert "请先勾选要签收的工单" in page.locator(".messages").inner_text()
    assert box(page, ticket).count() == 1 and Ticket.objects.get(pk=ticket.pk).state == State.DISPATCHED


@pytest.mark.django_db(transaction=True)
def test_the_street_picker_and_the_deadline_filter_narrow_the_list_and_the_batch_sign_keeps_them(live_server, page,
                                                                                                world):
    w = world
    here = dispatched(w, w.dept)
    there = new_ticket(w, street_code=w.street_b.code)
    services.dispatch(w.dispatcher, there, w.dept.pk)
    login(page, live_server, "dp")
    page.goto(live_server.url + "/work/")
    pick(page, "#pick-street-w", "西长安街")
    page.select_option("#id_due", "working_day")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert f"street={w.street_b.pk}" in page.url and "due=working_day" in page.url
    assert row(page, there).count() == 1 and row(page, here).count() == 0
    assert page.locator("#pick-street-w").input_value() == "西长安街街道"
    page.get_by_role("button", name="签收本页全部待签收工单").click()
    page.wait_for_load_state()
    assert "已签收 1 件工单" in success(page) and "due=working_day" in page.url
    assert Ticket.objects.get(pk=there.pk).state == State.SIGNED
    assert Ticket.objects.get(pk=here.pk).state == State.DISPATCHED  # not on the page: not signed
