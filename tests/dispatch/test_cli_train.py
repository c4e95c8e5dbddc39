"""`jiesu dispatch train` from the platform's own closed tickets and, for a cold start, from the catalogue."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu.dispatch import services as desk
from jiesu.dispatch.classifier import TextClassifier
from jiesu.tickets import services
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("dispatch", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def _confirm_and_close(w, title, text, code):
    """A ticket the dispatcher dispatched under category `code`, then handled, replied and called back."""
    ticket = new_ticket(w, title=title, text=text, category_code=w.consult.code)
    desk.dispatch_and_log(w.dispatcher, ticket, w.street.pk, [], "", code)
    services.sign(w.street_staff, ticket)
    services.contact(w.street_staff, ticket, "已联系")
    services.reply(w.street_staff, ticket, "已处理", True)
    services.record_callback(w.callback_agent, ticket, True, "resolved", "satisfied")
    return ticket


def test_train_from_closed_tickets_uses_the_dispatcher_confirmed_category(desk_world, tmp_path):
    w = desk_world
    _confirm_and_close(w, "东华门大街占道", "有人占道经营摆摊，堵塞人行道", w.category.code)
    _confirm_and_close(w, "王府井占道", "商贩占道经营", w.category.code)
    _confirm_and_close(w, "楼道燃气味", "楼道里有燃气味，怀疑燃气泄漏", w.gas.code)
    _confirm_and_close(w, "燃气泄漏", "厨房燃气管道泄漏", w.gas.code)
    still_open = new_ticket(w, title="燃气", text="燃气表漏气")  # not closed: not an example
    services.dispatch(w.dispatcher, still_open, w.street.pk)
    out = tmp_path / "desk.npz"
    lines = run("train", "--from-tickets", "--out", str(out), "--version", "desk-1", "--no-calibrate")
    assert "closed tickets: 4 with a dispatcher-confirmed category, 2 categories" in lines
    result = json.loads(lines[-1])
    assert result["n_train"] == 4 and result["model_version"] == "desk-1"
    assert result["classes"] == 2  # how many: the codes are in the model (`jiesu dispatch info`)
    model = TextClassifier.load(out)
    assert model.classes == sorted([w.category.code, w.gas.code])
    assert model.predict(["小区门口燃气泄漏了", "路边有人占道经营"]) == [w.gas.code, w.category.code]


def test_train_from_tickets_without_any_says_so(desk_world, tmp_path):
    with pytest.raises(CommandError, match="no closed ticket with a dispatcher-confirmed category"):
        run("train", "--from-tickets", "--out", str(tmp_path / "m.npz"))
    with pytest.raises(CommandError, match="not a date"):
        run("train", "--from-tickets", "--since", "2026-13-01", "--out", str(tmp_path / "m.npz"))


def test_cold_start_from_the_catalogue(world, tmp_path):  # noqa: F811
    out = tmp_path / "cold.npz"
    lines = run("train", "--cold-start", "--out", str(out), "--version", "cold-1")
    assert "cold start from 3 categories' names and keywords" in lines
    model = TextClassifier.load(out)
    assert model.meta["mode"] == "keywords" and model.version == "cold-1"
    assert model.predict(["这里有燃气泄漏", "门口占道经营"]) == [w.code for w in (world.gas, world.category)]


def test_train_needs_exactly_one_source(tmp_path):
    with pytest.raises(CommandError):
        run("train", "--from-tickets", "--cold-start", "--out", str(tmp_path / "m.npz"))
    with pytest.raises(CommandError):
        run("train", "--out", str(tmp_path / "m.npz"))
