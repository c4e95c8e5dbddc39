"""A desk world whose catalogue repeats a name across two trees, as the real one does (占道经营 is 03.01.01 and
90.09.09006), and a stub classifier that ranks both namesakes first.

    from .namesake_helpers import namesake_world  # fixture
"""
import pytest

from jiesu.categories.models import Category, Duty
from jiesu.dispatch import engine, router
from jiesu.dispatch import services as desk
from tickets.conftest import world  # noqa: F401  (fixture)

STALL = "东华门大街有人摆摊占道经营"
CONSULT = "东华门大街摆摊占道经营的事情想咨询一下"


class NamesakeStub:
    """For STALL: 占道经营 of the GB/T tree first, then the hotline tree's, then 政策咨询 under the desk's one-key
    floor (4 %); for a text asking (咨询): the hotline tree's 占道经营 alone among its namesakes."""

    version = "namesake-stub-1"

    def predict_proba_top(self, text, k=3):
        if "咨询" in text:
            return [("01.01.01", 0.7), ("01.01.03", 0.2), ("01.01.02", 0.1)][:k]
        return [("90.09.09006", 0.55), ("01.01.01", 0.41), ("01.01.03", 0.04)][:k]


class NamesakeColdStart(NamesakeStub):
    """The same ranking from a model made of the catalogue's names (engine.is_cold_start): percentages that rank."""

    version = "namesake-cold-1"
    meta = {"mode": "keywords"}


@pytest.fixture
def namesake_world(world, monkeypatch):  # noqa: F811
    """world plus 90.09.09006 「城市管理部件与事件 / 街面秩序类 / 占道经营」, routed to the district with the street as
    co unit; the world's own 占道经营 (01.01.01, 城市管理 / 街面秩序) goes to the street, 政策咨询 to 市人力资源和社会保障局."""
    top = Category.objects.create(code="90", name="城市管理部件与事件", level=1)
    mid = Category.objects.create(code="90.09", name="街面秩序类", level=2, parent=top)
    gbt = Category.objects.create(code="90.09.09006", name="占道经营", level=3, parent=mid,
                                  time_limit_class=world.general)
    Duty.objects.create(category=world.category, scope="territorial", unit_kind="street")
    Duty.objects.create(category=gbt, scope="territorial", unit_kind="district")
    Duty.objects.create(category=gbt, scope="territorial", unit_kind="street", role="co")
    Duty.objects.create(category=world.consult, scope="sectoral", unit=world.dept)
    router.invalidate()
    monkeypatch.setattr(engine, "default_classifier", lambda ref=None: NamesakeStub())
    monkeypatch.setitem(desk._warm, "done", False)
    world.gbt = gbt
    yield world
    router.invalidate()
