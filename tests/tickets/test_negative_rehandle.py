"""The negative list (负面清单) and re-handling (重办), audit 10: a dispatcher's recorded override for a unit and
entry carries the re-handling by that unit; a new entry sends the ticket to the dispatch queue, whose card marks it,
and the units it is taken from are told. An override's reason has to say why."""
import pytest
from django.utils import translation

from jiesu.categories.models import Duty
from jiesu.core.errors import DomainError
from jiesu.tickets import services
from jiesu.tickets.models import Notice, NoticeKind, State
from tests.tickets.helpers import new_ticket, reply_to
from tests.tickets.test_negative_list import api, refusal

REASON = "该摊点在街道管辖的步行街内"


@pytest.fixture
def barred(world):
    """Tickets of 占道经营 must not go to a street (东华门街道, 西长安街街道)."""
    return Duty.objects.create(category=world.category, unit_kind="street", negative=True)


def overridden_and_replied(world):
    """Dispatched to the barred street with the box and a reason, then handled and replied."""
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, note=REASON, confirm_negative=[world.street.pk])
    return reply_to(world, ticket, dispatch=False)


def dissatisfied(world, ticket):
    services.record_callback(world.callback_agent, ticket, True, "unresolved", "dissatisfied")
    ticket.refresh_from_db()
    return ticket.events.filter(kind="callback").latest("id")


# ── re-handling under a recorded override ─────────────────────────────────────

def test_a_rehandling_under_the_override_recorded_for_that_unit_and_entry_goes_back_to_the_unit(world, barred,
                                                                                                 client):
    ticket = overridden_and_replied(world)
    dispatched = ticket.events.get(kind="dispatch")
    event = dissatisfied(world, ticket)
    assert ticket.state == State.DISPATCHED and ticket.lead_unit == world.street and ticket.rehandle_round == 1
    assert event.payload["outcome"] == "rehandle"
    assert event.payload["override_event"] == dispatched.pk
    assert event.payload["negative_override_kept"] == [
        {"duty": barred.pk, "unit": "东华门街道", "unit_id": world.street.pk, "role": "lead", "reason": REASON}]
    assert not Notice.objects.filter(ticket=ticket).exists()
    client.force_login(world.dispatcher)
    history = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"按此前越过负面清单派单的决定重办：#{barred.pk} 东华门街道（理由：{REASON}）" in history


def test_a_new_entry_not_overridden_before_still_sends_it_to_the_queue(world, barred):
    ticket = overridden_and_replied(world)
    newer = Duty.objects.create(category=world.category, unit=world.street, negative=True)
    event = dissatisfied(world, ticket)
    assert ticket.state == State.NEW and ticket.lead_unit is None
    assert event.payload["outcome"] == "rehandle_barred"
    assert event.payload["negative_list"] == [{"duty": newer.pk, "unit": "东华门街道", "unit_id": world.street.pk,
                                               "role": "lead"}]


def test_an_override_of_an_earlier_dispatch_does_not_carry_a_later_one(world, barred):
    """The override belongs to the dispatch that made the assignments: a later re-dispatch to the same unit made
    without one (the entry was off then) does not inherit it."""
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, note=REASON, confirm_negative=[world.street.pk])
    Duty.objects.filter(pk=barred.pk).update(negative=False)
    services.return_ticket(world.street_staff, ticket, "不属于本单位职责")
    services.arbitrate(world.dispatcher, ticket, True, "仍由属地街道办理", world.street.pk)
    reply_to(world, ticket, dispatch=False)
    Duty.objects.filter(pk=barred.pk).update(negative=True)
    assert dissatisfied(world, ticket).payload["outcome"] == "rehandle_barred"


# ── back to the queue: the card's marker and the units' notice ────────────────

def test_the_queue_card_marks_a_rehandling_the_list_returned_and_the_street_is_told(world, client):
    ticket = reply_to(world, new_ticket(world))
    duty = Duty.objects.create(category=world.category, unit_kind="street", negative=True)
    dissatisfied(world, ticket)
    words = f"负面清单 #{duty.pk} 已禁止东华门街道接收「占道经营」，请重新派单"
    client.force_login(world.dispatcher)
    queue = client.get("/dispatch/").content.decode()
    card = queue[queue.index(f'id="t{ticket.pk}"'):]
    card = card[:card.index("</article>")]
    assert "负面清单退回的重办" in card and words in card
    other = new_ticket(world, text="王府井大街有人占道经营")
    queue = client.get("/dispatch/").content.decode()
    card = queue[queue.index(f'id="t{other.pk}"'):]
    assert "负面清单退回的重办" not in card[:card.index("</article>")]
    notice = Notice.objects.get(ticket=ticket)
    assert notice.unit == world.street and notice.kind == NoticeKind.TAKEN_BACK
    assert notice.text == f"重办已收回，交热线重新派单：{words}"
    client.force_login(world.street_staff)
    worklist = client.get("/work/").content.decode()
    assert "收回重新派单" in worklist and words in worklist


def test_a_rehandling_redispatched_is_no_longer_marked(world, client):
    ticket = reply_to(world, new_ticket(world))
    Duty.objects.create(category=world.category, unit_kind="street", negative=True)
    dissatisfied(world, ticket)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    services.return_ticket(world.dept_staff, ticket, "不属于本单位职责")
    services.arbitrate(world.dispatcher, ticket, True, "退回热线")
    client.force_login(world.dispatcher)
    assert "负面清单退回的重办" not in client.get("/dispatch/").content.decode()


# ── the override's reason ─────────────────────────────────────────────────────

@pytest.mark.parametrize("reason", ["1", "1234", "。。。。", "好好好好", "ok", "  同 意  "])
def test_a_reason_that_says_nothing_is_refused_saying_what_is_wanted(world, barred, reason):
    ticket = new_ticket(world)
    exc = refusal(lambda: services.dispatch(world.dispatcher, ticket, world.street.pk, note=reason,
                                            confirm_negative=[world.street.pk]))
    assert exc.field == "note" and exc.code == "negative_reason"
    assert exc.message == ("越过负面清单派单须写明为何仍须派给该单位：请在「派单说明」中填写，至少 4 个字，"
                           "不能只是数字、标点或同一个字重复。")
    assert ticket.events.filter(kind="dispatch").count() == 0


@pytest.mark.parametrize("reason", ["街道管辖", "已与街道核实", "street owns it"])
def test_a_reason_that_says_why_is_taken(world, barred, reason):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, note=reason, confirm_negative=[world.street.pk])
    assert ticket.events.get(kind="dispatch").payload["negative_override"][0]["reason"] == reason


def test_the_arbitration_form_names_its_own_field(world, barred):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    services.return_ticket(world.dept_staff, ticket, "不属于本单位职责")
    exc = refusal(lambda: services.arbitrate(world.dispatcher, ticket, True, "1", world.street.pk,
                                             confirm_negative=[world.street.pk]))
    assert "请在「审核意见」中填写" in exc.message


def test_the_api_names_note_and_english_is_worded_too(world, barred):
    ticket = new_ticket(world)
    answer = api(world.dispatcher)(f"/api/v1/tickets/{ticket.pk}/dispatch",
                                   {"lead_unit": world.street.pk, "confirm_negative": True, "note": "11"})
    assert answer.status_code == 400 and answer.json()["field"] == "note"
    assert answer.json()["message"] == ('越过负面清单派单须写明为何仍须派给该单位：请在 "note" 中发送，至少 4 个字，'
                                        '不能只是数字、标点或同一个字重复。')
    with pytest.raises(DomainError) as caught, translation.override("en"):
        services.dispatch(world.dispatcher, ticket, world.street.pk, note="!!!!", confirm_negative=[world.street.pk])
    assert caught.value.message == ("A dispatch despite the negative list needs a reason that says why the unit "
                                    "must handle it: write it in “Note to the units”, at least 4 characters, not "
                                    "only digits, punctuation or one character repeated.")
