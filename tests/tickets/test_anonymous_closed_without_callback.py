"""An anonymous request is closed at its reply, without a callback nobody can make (audit 11, finding 20)."""
import importlib

from django.apps import apps

from jiesu.tickets import lifecycle, queries, services
from jiesu.tickets.models import Callback, CloseReason, State, Ticket
from tests.kpi.helpers import unit_totals
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket, reply_to

MIGRATION = importlib.import_module("jiesu.tickets.migrations.0013_repeat_calls_anonymous_close")


def anonymous(w, **kw):
    return new_ticket(w, anonymous=True, citizen_name="", citizen_phone="", **kw)


def test_an_anonymous_request_is_closed_at_its_reply_and_never_queued_for_a_callback(world):
    named = reply_to(world, new_ticket(world), note="已电话联系")
    quiet = reply_to(world, anonymous(world), note="匿名诉求，现场核实")
    assert named.state == State.REPLIED and quiet.state == State.CLOSED
    assert quiet.close_reason == CloseReason.ANONYMOUS and str(quiet.get_close_reason_display()) == "匿名诉求，无法回访"
    event = quiet.events.get(kind="close_anonymous")
    assert (event.from_state, event.to_state) == (State.REPLIED, State.CLOSED)
    assert list(queries.callback_queue()) == [named]
    assert not quiet.assignments.filter(active=True).exclude(state="done").exists()
    assert lifecycle.awaits_callback(False) and not lifecycle.awaits_callback(True)


def test_a_merged_anonymous_request_is_closed_with_its_parents_reply_the_others_called_back(world):
    parent = new_ticket(world)
    services.dispatch(world.dispatcher, parent, world.street.pk)
    quiet = anonymous(world, text="东华门大街路口早餐摊占道经营，行人只能走机动车道")
    other = new_ticket(world, citizen_phone="13900001111", text="东华门大街有人摆摊占道")
    services.merge(world.dispatcher, quiet, parent)
    services.merge(world.dispatcher, other, parent)
    reply_to(world, parent, dispatch=False, note="已电话联系")
    states = dict(Ticket.objects.filter(pk__in=[parent.pk, quiet.pk, other.pk]).values_list("pk", "state"))
    assert states == {parent.pk: State.REPLIED, quiet.pk: State.CLOSED, other.pk: State.REPLIED}
    assert Ticket.objects.get(pk=quiet.pk).events.get(kind="close_anonymous")
    assert {t.pk for t in queries.callback_queue()} == {parent.pk, other.pk}


def test_an_anonymous_consultation_answered_directly_is_closed_too(world):
    asked = anonymous(world, category_code=world.consult.code, request_type="consult")
    services.answer_directly(world.call_taker, asked, "可拨打社保咨询电话")
    asked.refresh_from_db()
    assert asked.state == State.CLOSED and asked.close_reason == CloseReason.ANONYMOUS


def test_the_kpi_counts_no_callback_for_it(world):
    """No callback row: it is in no callback figure (valid callbacks, resolution, satisfaction), only closed."""
    reply_to(world, anonymous(world), note="匿名诉求，现场核实")
    totals = unit_totals(world.street.pk)
    assert Callback.objects.count() == 0
    assert totals["closed"] == 1 and totals["replied"] == 1
    assert sum(totals[c] for c in totals if c.startswith("cb_")) == 0


def test_the_migration_closes_the_anonymous_requests_already_waiting(world):
    waiting = reply_to(world, anonymous(world), note="匿名诉求，现场核实")
    Ticket.objects.filter(pk=waiting.pk).update(state=State.REPLIED, close_reason="", closed_at=None)
    waiting.events.filter(kind="close_anonymous").delete()
    named = reply_to(world, new_ticket(world), note="已电话联系")
    MIGRATION.close_waiting_anonymous(apps, None)
    waiting.refresh_from_db()
    named.refresh_from_db()
    assert waiting.state == State.CLOSED and waiting.close_reason == CloseReason.ANONYMOUS
    assert waiting.events.get(kind="close_anonymous").from_state == State.REPLIED
    assert named.state == State.REPLIED
