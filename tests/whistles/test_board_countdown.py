"""The whistle board's row turns orange when the whistle scan warns the unit whose report is due first, counted from
that unit's own summons (a department summoned midway starts later than the whistle). docs/lifecycle.md."""
from django.utils import timezone

from jiesu.core.templatetags.jiesu_ui import approaching_point
from jiesu.whistles import jobs
from jiesu.whistles.models import Summons, Whistle
from jiesu.whistles.views import annotate_whistles, board_queryset

from .conftest import at, whistle


def test_the_board_row_turns_orange_when_the_unit_summoned_midway_is_warned(world):
    w = whistle(world)  # 普通: report within 1 working day
    assert w.state == "active"
    Whistle.objects.filter(pk=w.pk).update(summoned_at=at(2026, 12, 7, 9, 0))
    Summons.objects.filter(whistle=w, unit=world.dept).update(summoned_at=at(2026, 12, 7, 9, 0),
                                                              report_due=at(2026, 12, 11, 17, 30))
    # 市场监管局 summoned midway on Wednesday at 09:00: to report by 17:30, warned at 16:06 (80 % of 7 h)
    Summons.objects.filter(whistle=w, unit=world.dept2).update(summoned_at=at(2026, 12, 9, 9, 0),
                                                               report_due=at(2026, 12, 9, 17, 30))
    now = timezone.now()
    row = annotate_whistles(list(board_queryset(world.street_staff, now).filter(pk=w.pk)), now)[0]
    assert row.next_report == at(2026, 12, 9, 17, 30)
    assert approaching_point(row) == at(2026, 12, 9, 16, 6)  # not 11:48, counted from Monday's whistle
    assert jobs.warn_once(now=at(2026, 12, 9, 16, 5)) == (0, 0)
    assert jobs.warn_once(now=at(2026, 12, 9, 16, 7)) == (1, 0)
