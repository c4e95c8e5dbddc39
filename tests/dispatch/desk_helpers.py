"""The dispatcher's desk test world: tickets' world (tests/tickets/conftest.py) plus a dispatch catalogue
and a stub classifier whose ranking depends on the words of the text (no model to train or load).

    from .desk_helpers import desk_world  # fixture
"""
import pytest

from jiesu.categories.models import Duty
from jiesu.dispatch import engine, router
from jiesu.dispatch import services as desk
from tickets.conftest import world  # noqa: F401  (fixture)

STALL = "东华门大街有人占道经营，堵塞人行道"
GAS = "楼道里有燃气味，燃气泄漏"
GAS_BILL = "燃气表换新后走得快，燃气费比以前多交了一倍"  # the gas category, but no emergency
VAGUE = "占道的事情还有燃气的事情都想问问"


class Stub:
    """Ranks the world's three categories by the words in the text (占道 → 占道经营, 燃气 → 燃气泄漏)."""

    version = "stub-1"

    def predict_proba_top(self, text, k=3):
        if "都想问问" in text:
            ranked = [("01.01.01", 0.4), ("01.01.02", 0.35), ("01.01.03", 0.25)]
        elif "燃气" in text:
            ranked = [("01.01.02", 0.92), ("01.01.01", 0.05), ("01.01.03", 0.03)]
        else:
            ranked = [("01.01.01", 0.9), ("01.01.02", 0.06), ("01.01.03", 0.04)]
        return ranked[:k]


@pytest.fixture
def desk_world(world, monkeypatch):  # noqa: F811
    """占道经营 → the street of the place (属地); 燃气泄漏 → 市市场监督管理局 with the street as co unit."""
    Duty.objects.create(category=world.category, scope="territorial", unit_kind="street")
    Duty.objects.create(category=world.gas, scope="sectoral", unit=world.dept2)
    Duty.objects.create(category=world.gas, scope="territorial", unit_kind="street", role="co")
    router.invalidate()
    monkeypatch.setattr(engine, "default_classifier", lambda ref=None: Stub())
    monkeypatch.setitem(desk._warm, "done", False)
    yield world
    router.invalidate()
