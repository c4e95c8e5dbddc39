"""Every action against every state, through the services: allowed ones succeed, others are refused."""
import pytest
from django.utils import timezone

from jiesu.core.errors import Conflict, Forbidden
from jiesu.tickets import lifecycle, services
from jiesu.tickets.models import ExtensionRequest, State
from tests.tickets.helpers import new_ticket

STATES = [s.value for s in State]


@pytest.fixture
def world(world_once, db):
    """The conftest's world, built once for this module's 230 tests (tests/tickets/conftest.py world_once): they add
    tickets beside it and change none of its rows."""
    return world_once


def ticket_in_state(w, state):
    if state == State.ANSWERED:
        t = new_ticket(w, category_code=w.consult.code)
        return services.answer_directly(w.call_taker, t, "按政策可以办理")
    t = new_ticket(w)
    if state == State.NEW:
        return t
    if state == State.MERGED:
        parent = new_ticket(w)
        return services.merge(w.dispatcher, t, parent)
    services.dispatch(w.dispatcher, t, w.street.pk, [w.dept.pk])
    if state == State.DISPATCHED:
        return t
    if state == State.RETURNED:
        return services.return_ticket(w.street_staff, t, "不属于本街道职责")
    services.sign(w.street_staff, t)
    if state == State.SIGNED:
        return t
    services.contact(w.street_staff, t)
    if state == State.CONTACTED:
        return t
    services.reply(w.street_staff, t, "已处理", True)
    if state == State.REPLIED:
        return t
    return services.record_callback(w.callback_agent, t, True, "resolved", "satisfied")


def pending_extension(w, t):
    if not t.extensions.filter(state="pending").exists():
        ExtensionRequest.objects.create(ticket=t, assignment=t.assignments.get(role="lead", active=True),
                                        working_days=3, reason="需协调", created_at=timezone.now())


def decide_extension(w, t):
    if t.state in lifecycle.HANDLING:
        pending_extension(w, t)
    return services.decide_extension(w.dispatcher, t, True)


def attach(w, t):
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.add_attachment(w.call_taker, t, SimpleUploadedFile("a.png", b"\x89PNG" + b"0" * 32,
                                                                content_type="image/png"))
    return t


def own_by_citizen(w, t):
    """The world's citizen, made the one who filed `t` (网上评价 is theirs)."""
    t.citizen_user = w.citizen
    t.save(update_fields=["citizen_user"])
    return w.citizen


def handled_ticket(w):
    """A parent a unit handles: any open ticket may be merged into it (into a fresh one only an unhandled one)."""
    return services.dispatch(w.dispatcher, new_ticket(w), w.street.pk)


CALLS = {
    "attach": attach,
    "close_special": lambda w, t: services.close_special(w.call_taker, t, "repeat", "重复诉求无新情况"),
    "answer": lambda w, t: services.answer_directly(w.call_taker, t, "答复内容"),
    "dispatch": lambda w, t: services.dispatch(w.dispatcher, t, w.street.pk),
    "sign": lambda w, t: services.sign(w.street_staff, t),
    "co_sign": lambda w, t: services.sign(w.dept_staff, t),
    "contact": lambda w, t: services.contact(w.street_staff, t),
    "reply": lambda w, t: services.reply(w.street_staff, t, "已处理", True),
    "co_reply": lambda w, t: services.co_reply(w.dept_staff, t, "已配合"),
    "return": lambda w, t: services.return_ticket(w.street_staff, t, "非本单位职责"),
    "arbitrate": lambda w, t: services.arbitrate(w.dispatcher, t, False, "属于街道职责"),
    "request_extension": lambda w, t: services.request_extension(w.street_staff, t, 3, "需协调多部门"),
    "decide_extension": decide_extension,
    "supervise": lambda w, t: services.supervise(w.supervisor, t, "请加快办理"),
    "remind": lambda w, t: services.remind(w.dispatcher, t),
    "callback": lambda w, t: services.record_callback(w.callback_agent, t, True, "resolved", "satisfied"),
    "rate": lambda w, t: services.rate(own_by_citizen(w, t), t, "resolved", "satisfied"),
    "merge": lambda w, t: services.merge(w.dispatcher, t, handled_ticket(w)),
    "reopen": lambda w, t: services.reopen(w.dispatcher, t, "市民反映问题复发"),
    "unmerge": lambda w, t: services.unmerge(w.dispatcher, t, "误合并：不是同一件事"),
    "recategorize": lambda w, t: services.correct_category(w.supervisor, t, w.gas.code, "市民说的是燃气泄漏"),
}


def test_every_action_has_a_call():
    assert set(CALLS) == set(lifecycle.ACTIONS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(lifecycle.ACTIONS))
def test_action_in_state(world, action, state):
    ticket = ticket_in_state(world, state)
    assert ticket.state == state
    events_before = ticket.events.count()
    if state in lifecycle.ACTIONS[action].sources and (action != "unmerge" or ticket.parent_id):
        result = CALLS[action](world, ticket)
        assert result.events.count() > events_before
        expected = lifecycle.ACTIONS[action].target
        if expected and action != "arbitrate":
            assert result.state == expected
    else:
        # Refused for the state (unmerge: a ticket not merged into another) — or, where the unit cannot even see the
    # ticket yet, for scope.
        with pytest.raises((Conflict, Forbidden)):
            CALLS[action](world, ticket)
        ticket.refresh_from_db()
        assert ticket.state == state
        assert ticket.events.count() == events_before


FORBIDDEN = [
    ("dispatch", "call_taker", State.NEW),
    ("dispatch", "street_staff", State.NEW),
    ("close_special", "street_staff", State.NEW),
    ("sign", "street_b_staff", State.DISPATCHED),
    ("sign", "dispatcher", State.DISPATCHED),
    ("sign", "dept_staff", State.NEW),
    ("reply", "dept_staff", State.CONTACTED),
    ("reply", "callback_agent", State.CONTACTED),
    ("callback", "call_taker", State.REPLIED),
    ("callback", "street_staff", State.REPLIED),
    ("arbitrate", "street_staff", State.RETURNED),
    ("reopen", "call_taker", State.CLOSED),
    ("unmerge", "call_taker", State.MERGED),
    ("unmerge", "callback_agent", State.MERGED),
    ("merge", "street_staff", State.DISPATCHED),
    ("supervise", "street_staff", State.SIGNED),
    ("decide_extension", "street_staff", State.SIGNED),
    ("recategorize", "street_staff", State.SIGNED),
    ("recategorize", "call_taker", State.DISPATCHED),
    ("recategorize", "callback_agent", State.CLOSED),
]

ROLE_CALLS = {
    "dispatch": lambda u, w, t: services.dispatch(u, t, w.street.pk),
    "close_special": lambda u, w, t: services.close_special(u, t, "repeat"),
    "sign": lambda u, w, t: services.sign(u, t),
    "reply": lambda u, w, t: services.reply(u, t, "x", True),
    "callback": lambda u, w, t: services.record_callback(u, t, True, "resolved", "satisfied"),
    "arbitrate": lambda u, w, t: services.arbitrate(u, t, True),
    "reopen": lambda u, w, t: services.reopen(u, t, "原因"),
    "unmerge": lambda u, w, t: services.unmerge(u, t, "误合并"),
    "merge": lambda u, w, t: services.merge(u, t, new_ticket(w)),
    "supervise": lambda u, w, t: services.supervise(u, t, "督办"),
    "decide_extension": lambda u, w, t: services.decide_extension(u, t, True),
    "recategorize": lambda u, w, t: services.correct_category(u, t, w.gas.code, "市民说的是燃气泄漏"),
}


@pytest.mark.parametrize("action,who,state", FORBIDDEN)
def test_forbidden_for_role_or_unit(world, action, who, state):
    ticket = ticket_in_state(world, state)
    events_before = ticket.events.count()
    with pytest.raises(Forbidden):
        ROLE_CALLS[action](getattr(world, who), world, ticket)
    ticket.refresh_from_db()
    assert ticket.state == state and ticket.events.count() == events_before
