"""Who summoned a unit answers for it: after 提级 the district rates the units it summoned (the street rates those it
summoned itself), and every summoned unit — the street's as the district's — is told, as it is told of a withdrawal
(audit s39)."""
import pytest
from django.test import Client

from jiesu.accounts.models import Role, User
from jiesu.core.errors import Forbidden
from jiesu.units.models import Unit
from jiesu.whistles import services
from jiesu.whistles.models import RaterSide, Summons, WhistleNotice
from whistles.conftest import whistle


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _closed_after_raise(world):
    """Raised to the district, which summons 东城区城管委; one task each for the two kept units, closed by the
    district."""
    cgw = Unit.objects.create(code="110101-CGW", name="东城区城市管理委员会", kind="department", parent=world.district)
    cgw_staff = User.objects.create_user("cgw", password="pw", role=Role.UNIT_STAFF, unit=cgw)
    w = whistle(world)
    w = services.raise_to_district(world.street_staff, w, "两部门逾期未报到")
    services.summon(world.district_staff, w, cgw.pk, "written")
    for unit, staff in ((cgw, cgw_staff), (world.dept2, world.dept2_staff)):
        task = services.add_task(world.district_staff, w, unit.pk, "清理摊点", "路面无摊点")
        services.report_progress(staff, task, "已清理", done=True)
        services.accept_task(world.district_staff, task, True)
    services.withdraw(world.district_staff, Summons.objects.get(whistle=w, unit=world.dept), "已无需该局参与")
    services.close(world.district_staff, w, "区级联合执法，摊点清理完毕")
    w.refresh_from_db()
    return w, cgw


def test_after_raising_the_district_rates_the_units_it_summoned_the_street_its_own(world):
    w, cgw = _closed_after_raise(world)
    with pytest.raises(Forbidden) as exc:
        services.rate(world.street_staff, w, cgw.pk, 1, 1, 1, "没见过")
    assert world.district.name in exc.value.message and cgw.name in exc.value.message
    rating = services.rate(world.district_staff, w, cgw.pk, 5, 4, 5, "到场及时")
    assert rating.by == RaterSide.STREET   # the summoner's rating (0.7 of the month score), given by the district
    street_rating = services.rate(world.street_staff, w, world.dept2.pk, 4, 4, 4)
    assert street_rating.by == RaterSide.STREET   # the street still rates the unit it summoned
    assert services.rate(world.district_staff, w, world.dept2.pk, 3, 3, 3).by == RaterSide.DISTRICT
    assert services.rate(world.district_staff, w, world.street.pk, 4, 4, 4).by == RaterSide.DISTRICT


def test_the_rating_forms_and_the_api_follow_who_summoned(world):
    w, cgw = _closed_after_raise(world)
    street_page = _client(world.street_staff).get(f"/whistles/{w.pk}/")
    assert [u for u, _side in street_page.context["rate_targets"]] == [world.dept2]
    note = street_page.content.decode().split('id="rated-by-district"')[1][:400]
    assert cgw.name in note and world.district.name in note
    district_targets = _client(world.district_staff).get(f"/whistles/{w.pk}/").context["rate_targets"]
    assert sorted((u.name, side) for u, side in district_targets) == sorted(
        [(world.street.name, RaterSide.DISTRICT), (world.dept2.name, RaterSide.DISTRICT),
         (cgw.name, RaterSide.STREET)])
    scores = {"timeliness": 2, "effort": 2, "result": 2}
    r = _client(world.street_staff).post(f"/api/v1/whistles/{w.pk}/ratings", {"unit": cgw.pk, **scores},
                                         content_type="application/json")
    assert r.status_code == 403 and world.district.name in r.json()["message"]
    r = _client(world.district_staff).post(f"/api/v1/whistles/{w.pk}/ratings", {"unit": cgw.pk, **scores},
                                           content_type="application/json")
    assert r.status_code == 201
    assert [(x["unit"]["name"], x["by"]) for x in r.json()["ratings"]] == [(cgw.name, "street")]
    page = _client(world.street_staff).get(f"/whistles/{w.pk}/").content.decode()
    assert world.district.name in page.split('id="ratings"')[1].split("</table>")[0]   # who gave it, by name


def test_every_summoned_unit_is_told_by_whoever_summons_it_and_of_its_withdrawal(world):
    w = whistle(world)   # 普通: no approval, the summons go out at once
    notices = WhistleNotice.objects.filter(whistle=w, kind=WhistleNotice.SUMMONED)
    assert sorted(n.unit.name for n in notices) == sorted([world.dept.name, world.dept2.name])
    due = Summons.objects.get(whistle=w, unit=world.dept).report_due
    text = notices.get(unit=world.dept).text
    assert world.street.name in text and w.number in text and services._local(due) in text
    more = Unit.objects.create(code="110101-SW", name="东城区水务局", kind="department", parent=world.district)
    services.summon(world.street_staff, w, more.pk, "written")   # summoned midway by the street
    assert WhistleNotice.objects.get(whistle=w, unit=more, kind=WhistleNotice.SUMMONED).created_by == world.street_staff
    services.withdraw(world.street_staff, Summons.objects.get(whistle=w, unit=more), "职责不涉及水务")
    gone = WhistleNotice.objects.get(whistle=w, unit=more, kind=WhistleNotice.WITHDRAWN)
    assert "职责不涉及水务" in gone.text and world.street.name in gone.text
    w = services.raise_to_district(world.street_staff, w, "部门逾期未报到")
    services.withdraw(world.district_staff, Summons.objects.get(whistle=w, unit=world.dept2), "区级另行安排")
    assert world.district.name in WhistleNotice.objects.get(whistle=w, unit=world.dept2,
                                                           kind=WhistleNotice.WITHDRAWN).text


def test_a_whistle_in_approval_tells_its_units_when_the_summons_go_out(world):
    w = whistle(world, level="key")   # 重点: 科室申请 → 分管副职签字
    services.approve(world.street_staff, w, True)
    assert not WhistleNotice.objects.filter(whistle=w).exists()   # not summoned yet: nothing to report to
    services.approve(world.deputy, w, True)
    assert WhistleNotice.objects.filter(whistle=w, kind=WhistleNotice.SUMMONED).count() == 2
