"""The board row follows the report the scan warns first, not the report due first: a unit summoned long ago on a long
deadline is warned before a unit just summoned on a short one, and its row turns orange and comes first (audit s39)."""
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from jiesu.core.templatetags.jiesu_ui import approaching_point
from jiesu.whistles.models import Summons, Whistle
from jiesu.whistles.views import annotate_whistles, board_queryset
from whistles.conftest import whistle


def _deadlines(w, world, now, dept, dept2):
    """(summoned, due) hours from now for 人社局 and 市场监管局 on an 应急 whistle (clock hours: warned at 80 %)."""
    for unit, (start, due) in ((world.dept, dept), (world.dept2, dept2)):
        Summons.objects.filter(whistle=w, unit=unit).update(summoned_at=now + timedelta(hours=start),
                                                            report_due=now + timedelta(hours=due))


def test_the_board_row_follows_the_earliest_warning_and_comes_first(world):
    now = timezone.now()
    waiting = whistle(world, level="emergency", title="先吹的哨")   # warned in 3 h 12 min
    _deadlines(waiting, world, now, dept=(-1, 4), dept2=(-1, 5))
    warned = whistle(world, level="emergency", title="已临期的哨")
    # 人社局: summoned 100 h ago, to report in 10 h — 80 % used 12 h ago (warned); 市场监管局: just summoned, due in 5 h
    _deadlines(warned, world, now, dept=(-100, 10), dept2=(0, 5))
    Whistle.objects.filter(pk=warned.pk).update(created_at=now + timedelta(minutes=1))
    rows = {r.pk: r for r in annotate_whistles(list(board_queryset(world.street_staff, now)), now)}
    row = rows[warned.pk]
    assert abs((row.next_report - (now + timedelta(hours=10))).total_seconds()) < 1   # 人社局's report, warned first
    assert approaching_point(row) <= now - timedelta(hours=11)
    c = Client()
    c.force_login(world.street_staff)
    page = c.get("/whistles/").content.decode()
    assert page.index("已临期的哨") < page.index("先吹的哨")   # the one warned first comes first
    warned_row = page.split("已临期的哨")[0].rsplit("<tr", 1)[1]
    assert "row-soon" in warned_row
