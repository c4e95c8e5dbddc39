"""提级: a whistle whose units do not report or act is escalated to the district's whistle, in one click with a
reason — who and when recorded, the district notified and the whistle first on the district's board; the page
proposes it once a unit is missing or a task overdue for PROPOSE_RAISE_AFTER_DAYS (audit s37)."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.whistles import rules, services
from jiesu.whistles.models import Summons, WhistleNotice
from whistles.conftest import whistle


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_street_raises_a_stalled_whistle_to_the_district_once_with_a_reason(world):
    w = whistle(world)
    other = whistle(world, title="另一件事")
    with pytest.raises(Forbidden):
        services.raise_to_district(world.dept_staff, w, "部门拒不到场")
    with pytest.raises(DomainError) as exc:
        services.raise_to_district(world.street_staff, w, " ")
    assert exc.value.field == "reason"
    w = services.raise_to_district(world.street_staff, w, "人社局、市场监管局逾期三天未报到")
    assert w.raised_to_district_at is not None and w.raised_to_district_by == world.street_staff
    assert w.raised_to_district_reason == "人社局、市场监管局逾期三天未报到"
    with pytest.raises(Conflict):
        services.raise_to_district(world.street_staff, w, "again")
    notice = WhistleNotice.objects.get(kind=WhistleNotice.RAISED)
    assert notice.unit == world.district and notice.whistle == w and "逾期三天" in notice.text
    assert w.events.filter(kind="raise_to_district", actor=world.street_staff).count() == 1
    # the district's board: the raised whistle first, marked, and the notice on top
    page = _client(world.district_staff).get("/whistles/")
    rows = page.context["open_rows"]
    assert [r.pk for r in rows][:1] == [w.pk] and other.pk in [r.pk for r in rows]
    body = page.content.decode()
    assert "已提级" in body and "逾期三天" in body
    assert _client(world.district_staff).get("/whistles/?raised=1").context["open_rows"] == [w]
    # through the API too (another whistle)
    api = _client(world.street_staff).post(f"/api/v1/whistles/{other.pk}/raise-to-district",
                                           {"reason": "会商无果"}, content_type="application/json")
    assert api.status_code == 200 and api.json()["raised_to_district_at"]


def test_a_closed_whistle_is_not_raised(world):
    w = whistle(world)
    services.cancel(world.street_staff, w, "误报")
    with pytest.raises(Conflict):
        services.raise_to_district(world.street_staff, w, "逾期")


def test_the_page_proposes_raising_once_a_unit_is_missing_for_days(world):
    assert rules.PROPOSE_RAISE_AFTER_DAYS == 2
    now = timezone.now()
    assert not rules.raise_proposed([now - timedelta(days=1)], now)
    assert rules.raise_proposed([now - timedelta(days=1), now - timedelta(days=2, minutes=1)], now)
    w = whistle(world)
    page = _client(world.street_staff).get(f"/whistles/{w.pk}/").content.decode()
    assert 'id="raise-proposal"' not in page and 'id="act-raise_to_district"' in page
    Summons.objects.filter(whistle=w, unit=world.dept).update(report_due=now - timedelta(days=3))
    page = _client(world.street_staff).get(f"/whistles/{w.pk}/").content.decode()
    assert 'id="raise-proposal"' in page and world.dept.name in page.split('id="raise-proposal"')[1][:600]
    assert 'id="raise-proposal"' not in _client(world.dept2_staff).get(f"/whistles/{w.pk}/").content.decode()
    _client(world.street_staff).post(f"/whistles/{w.pk}/act/raise_to_district/", {"reason": "逾期三天未报到"})
    w.refresh_from_db()
    assert w.raised_to_district_at is not None
    page = _client(world.street_staff).get(f"/whistles/{w.pk}/").content.decode()
    assert 'id="raise-proposal"' not in page and "已提级" in page
