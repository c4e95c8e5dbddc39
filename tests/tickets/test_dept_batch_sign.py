"""批量签收 from the work list: a department's clerk signs for the tickets dispatched to the unit in one go, instead of
opening each ticket's page (a city department is dispatched hundreds a day, each to be signed for within hours)."""
from django.contrib.messages import get_messages

from jiesu.tickets import services
from jiesu.tickets.models import Assignment, AssignmentState, State, TicketEvent
from tests.tickets.helpers import new_ticket


def dispatched(world, lead, co=()):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, lead.pk, [u.pk for u in co])
    return ticket


def said(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_the_clerk_signs_for_the_chosen_tickets_lead_and_co_at_once(world, client):
    w = world
    lead_a, lead_b, co = dispatched(w, w.dept), dispatched(w, w.dept), dispatched(w, w.dept2, co=[w.dept])
    signed_before = dispatched(w, w.dept)
    services.sign(w.dept_staff, signed_before)
    not_ours = dispatched(w, w.dept2)
    client.force_login(w.dept_staff)
    client.cookies["django_language"] = "zh-hans"
    answer = client.post("/work/sign/", {"ticket": [lead_a.pk, lead_b.pk, co.pk, signed_before.pk, not_ours.pk],
                                         "next": "/work/?role=lead"})
    assert answer.status_code == 302 and answer["Location"] == "/work/?role=lead"
    words = said(answer)
    assert "已签收 3 件工单" in words
    assert "2 件未签收" in words and signed_before.number in words and "1 件不在本单位的工单中" in words
    assert not_ours.number not in words  # another unit's ticket is not named
    for ticket in (lead_a, lead_b):
        ticket.refresh_from_db()
        assert ticket.state == State.SIGNED
    assert Assignment.objects.get(ticket=co, unit=w.dept).state == AssignmentState.SIGNED
    assert not_ours.assignments.get(unit=w.dept2).state == AssignmentState.PENDING  # another unit's: untouched
    assert TicketEvent.objects.filter(kind__in=("sign", "co_sign"), actor=w.dept_staff).count() == 4  # 3 + the one before


def test_the_work_list_offers_a_box_on_the_rows_to_sign_for_only(world, client):
    w = world
    to_sign = dispatched(w, w.dept)
    signed = dispatched(w, w.dept)
    services.sign(w.dept_staff, signed)
    client.force_login(w.dept_staff)
    html = client.get("/work/").content.decode()
    assert f'name="ticket" value="{to_sign.pk}" form="batch-sign"' in html
    assert f'name="ticket" value="{signed.pk}"' not in html
    assert 'id="batch-sign"' in html and 'action="/work/sign/"' in html


def test_nothing_chosen_is_said_and_other_roles_may_not(world, client):
    client.force_login(world.dept_staff)
    client.cookies["django_language"] = "zh-hans"
    assert "请先勾选要签收的工单" in said(client.post("/work/sign/", {}))
    client.force_login(world.call_taker)
    assert client.post("/work/sign/", {"ticket": [dispatched(world, world.dept).pk]}).status_code == 403
