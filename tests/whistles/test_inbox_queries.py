"""The summoned unit's 本单位报到 inbox reads its rows in the list's queries: naming the district a whistle was raised to
(提级) and counting the unit's open tasks took one statement per row (audit s39)."""
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiesu.whistles import services
from whistles.conftest import whistle


def _raised_with_a_task(world, n):
    for i in range(n):
        w = whistle(world, title=f"占道经营回潮 {i}")
        w = services.raise_to_district(world.street_staff, w, "部门逾期未报到")
        services.add_task(world.district_staff, w, world.dept.pk, f"出具处置意见 {i}", "书面意见")


def _inbox_statements(user):
    c = Client()
    c.force_login(user)
    c.get("/whistles/summoned/")   # the session and the time-limit classes read once
    with CaptureQueriesContext(connection) as queries:
        page = c.get("/whistles/summoned/").content.decode()
    return len(queries), page


def test_the_inbox_statements_do_not_grow_with_the_raised_rows(world):
    _raised_with_a_task(world, 1)
    one, page = _inbox_statements(world.dept_staff)
    assert page.count("已提级") >= 1 and world.district.name in page
    _raised_with_a_task(world, 4)
    five, page = _inbox_statements(world.dept_staff)
    assert page.count('data-whistle="') == 5 and page.count(world.district.name) >= 5
    assert page.count("本单位有 1 项未完成任务") + page.count("1 open tasks for us") == 5
    assert five == one, f"{one} statements for one raised row, {five} for five"
