"""A grid worker whose account is closed (deactivated) kept an open patrol for ever: no one could stop it (the
worker can no longer log in), it counted as a patrol under way, and its hours grew in the assessment. It ends, and
the patrol's record says why (docs/grids.md)."""
from datetime import timedelta

from django.utils import timezone

from jiesu.grids import jobs, services
from jiesu.grids.models import GridMember, Patrol, PatrolEnd


def _patrol_with_track(gw, minutes_ago=30):
    start = timezone.now() - timedelta(minutes=minutes_ago)
    patrol = services.start_patrol(gw.w1, gw.g1, at=start)
    track = [(116.381 + i * 0.001, 39.915, start + timedelta(minutes=i), 5) for i in range(5)]
    services.add_points(gw.w1, patrol, track)
    return patrol, track[-1][2]


def test_closing_a_workers_account_ends_their_patrol_and_says_so(gw):
    patrol, last_point = _patrol_with_track(gw)
    gw.w1.is_active = False
    gw.w1.save()
    patrol.refresh_from_db()
    assert patrol.ended_at == last_point  # their last position, not the hour someone closed the account
    assert patrol.end_reason == PatrolEnd.ACCOUNT_CLOSED and patrol.points == 5 and patrol.distance_m > 0
    assert services.open_patrol(gw.w1) is None


def test_the_sweep_ends_the_open_patrols_of_closed_accounts_and_no_other(gw):
    """An account closed without its save (a bulk update, or before this change): the grid job's sweep ends it."""
    patrol, last_point = _patrol_with_track(gw)
    other = services.start_patrol(gw.w2, gw.g3)
    type(gw.w1).objects.filter(pk=gw.w1.pk).update(is_active=False)
    assert Patrol.objects.get(pk=patrol.pk).ended_at is None
    assert jobs.end_patrols_of_closed_accounts() == 1
    patrol.refresh_from_db()
    other.refresh_from_db()
    assert (patrol.ended_at, patrol.end_reason) == (last_point, PatrolEnd.ACCOUNT_CLOSED)
    assert other.ended_at is None
    assert jobs.end_patrols_of_closed_accounts() == 0


def test_a_patrol_without_a_point_ends_where_it_started(gw):
    start = timezone.now() - timedelta(days=3)
    patrol = services.start_patrol(gw.w1, gw.g1, at=start)
    gw.w1.is_active = False
    gw.w1.save()
    patrol.refresh_from_db()
    assert patrol.ended_at == start and patrol.duration_s == 0  # not three days of patrol


def test_how_a_patrol_ended_is_recorded_for_a_stop_and_a_leaving(gw):
    patrol = services.start_patrol(gw.w1, gw.g1)
    services.stop_patrol(gw.w1, patrol)
    patrol.refresh_from_db()
    assert patrol.end_reason == PatrolEnd.STOPPED
    again = services.start_patrol(gw.w1, gw.g1)
    services.remove_member(gw.street_staff, GridMember.objects.get(user=gw.w1, grid=gw.g1))
    again.refresh_from_db()
    assert again.end_reason == PatrolEnd.TAKEN_OFF_GRID and again.get_end_reason_display()
