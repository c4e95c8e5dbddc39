"""The 提级 proposal reaches the street: the scan leaves the whistling unit a notice, once, when a summoned unit
has been missing or a task overdue for rules.PROPOSE_RAISE_AFTER_DAYS (audit s37) — the page alone told it only
if someone opened the whistle."""
from datetime import timedelta

from django.utils import timezone

from jiesu.whistles import jobs, rules, services
from jiesu.whistles.models import Summons, WhistleNotice
from whistles.conftest import whistle


def test_the_street_is_told_once_to_consider_raising_a_stalled_whistle(world):
    w = whistle(world)
    fine = whistle(world, title="按时报到的一件")
    due = w.summons.get(unit=world.dept).report_due
    Summons.objects.filter(whistle=fine).update(state="checked_in", checked_in_at=timezone.now())
    days = timedelta(days=rules.PROPOSE_RAISE_AFTER_DAYS)
    assert jobs.propose_raises(now=due + days - timedelta(minutes=1)) == 0
    assert jobs.propose_raises(now=due + days + timedelta(minutes=1)) == 1
    assert jobs.propose_raises(now=due + days + timedelta(hours=5)) == 0            # once
    notice = WhistleNotice.objects.get(kind=WhistleNotice.PROPOSAL)
    assert notice.unit == world.street and notice.whistle == w and world.dept.name in notice.text
    assert w.events.filter(kind="raise_proposed").count() == 1
    other = whistle(world, title="已提级的一件")
    services.raise_to_district(world.street_staff, other, "逾期")
    assert jobs.propose_raises(now=due + days * 3) == 0                             # raised already: none
    assert jobs.scan_once(now=due + days * 3)[0] >= 1                              # the worker's pass runs it too
