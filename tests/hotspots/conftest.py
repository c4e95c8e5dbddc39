"""The tickets' small world, with a few tickets about one problem in each of two streets."""
import pytest

from tickets.conftest import at, fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

SAME = ["东华门大街早市摊贩占道经营堵塞人行道", "东华门大街早市占道经营，行人无法通过",
        "东华门大街早市摊贩占道，人行道被堵", "早市摊贩在东华门大街占道经营"]
OTHER = ["西长安街街道小区垃圾清运不及时臭味大", "西长安街街道小区垃圾清运不及时，蚊蝇多"]


@pytest.fixture
def hot(world):
    """4 tickets (3 citizens) about a market in 东华门街道, 2 about rubbish in 西长安街街道, 1 unrelated."""
    w = world
    phones = ["13800000001", "13800000002", "13800000003", "13800000001"]
    w.same = [new_ticket(w, text=t, citizen_phone=p) for t, p in zip(SAME, phones)]
    w.other = [new_ticket(w, text=t, citizen_phone=f"1390000000{i}", street_code=w.street_b.code)
               for i, t in enumerate(OTHER)]
    w.lone = new_ticket(w, text="咨询社保卡补办需要哪些材料", citizen_phone="13700000000")
    return w
