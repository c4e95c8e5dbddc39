"""Two clerks of a summoned unit at once, two scanners at once: each thing happens once (audit s36).

Real threads, each on its own connection; on PostgreSQL the row locks (services.locked) do the work."""
import pytest
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.core.errors import Conflict
from jiesu.whistles import jobs, services
from jiesu.whistles.models import Summons, WhistleEvent, WhistleNotice
from tests.threads import at_once
from whistles.conftest import whistle


@pytest.mark.django_db(transaction=True)
def test_two_clerks_check_in_at_once_one_check_in(world):
    w = whistle(world, units=[(world.dept.pk, "meeting")])
    second = User.objects.create_user("dp-b", password="pw", role=Role.UNIT_STAFF, unit=world.dept)
    clerks = iter([world.dept_staff, second])
    sid = w.summons.get().pk

    def check_in():
        user = next(clerks)
        return services.check_in(user, Summons.objects.get(pk=sid), str(user)).checked_in_by_id

    results, errors = at_once(check_in, 2)
    assert len(results) == 1 and [type(e) for e in errors] == [Conflict]
    s = Summons.objects.get(pk=sid)
    assert s.state == "checked_in" and s.checked_in_by_id == results[0]
    assert WhistleEvent.objects.filter(whistle=w, kind="check_in").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_scanners_at_once_supervise_each_overdue_unit_once(world):
    w = whistle(world)
    later = w.summons.first().report_due + timezone.timedelta(minutes=1)
    results, errors = at_once(lambda: jobs.scan_once(now=later), 2)
    assert not errors and sorted(results) == [(0, 0), (2, 0)]
    assert WhistleNotice.objects.filter(whistle=w, kind="supervise").count() == 2
    assert WhistleEvent.objects.filter(whistle=w, kind="report_overdue").count() == 2
