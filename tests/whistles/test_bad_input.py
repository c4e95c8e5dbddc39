"""Bad input on the whistle forms and API: a clear refusal naming the field, never a 500, nothing half-written;
and a street whistles only on its own territory (audit s36)."""
import pytest
from django.test import Client

from jiesu.core.errors import DomainError
from jiesu.whistles import scoping, services
from jiesu.whistles.models import Whistle, WhistleEvent
from jiesu.whistles.services import WhistleData
from whistles.conftest import whistle
from whistles.test_api import BASE, client_for, post


def page_client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("lon, lat", [("nan", "39.9"), ("116.4", "inf"), ("200", "39.9"), ("116.4", "-95")])
def test_a_check_in_location_must_be_a_real_place(world, lon, lat):
    """lon=nan reached the event's JSON payload and failed the database's JSON check: a 500."""
    w = whistle(world)
    s = w.summons.get(unit=world.dept)
    r = page_client(world.dept_staff).post(f"/whistles/{w.pk}/act/check_in/",
                                           {"summons": s.pk, "lon": lon, "lat": lat}, follow=True)
    assert r.status_code == 200
    assert [m.level_tag for m in r.context["messages"]] == ["error"]
    s.refresh_from_db()
    assert s.state == "summoned" and s.checkin_lon is None
    assert not WhistleEvent.objects.filter(whistle=w, kind="check_in").exists()
    with pytest.raises(DomainError) as exc:
        services.check_in(world.dept_staff, s, "黄磊", lon, lat)
    assert exc.value.field in ("lon", "lat")


def test_raising_with_a_location_off_the_globe_is_refused(world):
    data = WhistleData(title="占道", description="联合执法", lon="116.4", lat="nan", summons=[world.dept.pk])
    with pytest.raises(DomainError) as exc:
        services.raise_whistle(world.street_staff, data)
    assert exc.value.field == "lat" and not Whistle.objects.exists()


def test_api_list_and_ratings_refuse_bad_parameters_without_a_500(world):
    whistle(world)
    c = client_for(world.street_staff)
    r = c.get(BASE, {"offset": -1})
    assert r.status_code == 200 and len(r.json()) == 1
    for month in ("2026-13", "abc"):
        r = c.get(BASE + "/ratings", {"month": month})
        assert r.status_code == 400 and r.json()["field"] == "month", r.content


@pytest.mark.parametrize("query", ["from=2026-13-01", "to=2026-02-30", "from=yesterday"])
def test_statistics_page_says_which_date_it_could_not_read(world, query):
    whistle(world)
    r = page_client(world.street_staff).get("/whistles/stats/?" + query)
    assert r.status_code == 200
    errors = [str(m) for m in r.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and query.split("=")[1] in errors[0]
    assert r.context["summary"]["whistles"] == 1          # the filter it could not read is not applied


def test_a_street_whistles_only_on_its_own_territory(world):
    """place=<another district's street> moved the whistle to that district: its own district lost sight of it."""
    data = WhistleData(title="占道", description="联合执法", place_code=world.street_b.code, summons=[world.dept.pk])
    with pytest.raises(DomainError) as exc:
        services.raise_whistle(world.street_staff, data)
    assert exc.value.field == "place" and not Whistle.objects.exists()
    r = post(client_for(world.street_staff), "", {"title": "占道", "description": "联合执法",
                                                   "place": world.district_b.code, "summons": [{"unit": world.dept.pk}]})
    assert r.status_code == 400 and r.json()["field"] == "place"
    own = services.raise_whistle(world.street_staff, WhistleData(
        title="占道", description="联合执法", place_code=world.community.code, summons=[world.dept.pk]))
    assert own.place == world.community and own.district == world.district
    assert scoping.can_view(world.district_staff, own) and not scoping.can_view(world.street_b_staff, own)
    # a city department whistles wherever the matter is
    by_dept = services.raise_whistle(world.dept_staff, WhistleData(
        title="劳动纠纷", description="联合调处", place_code=world.street_b.code, summons=[world.street_b.pk]))
    assert by_dept.district == world.district_b
