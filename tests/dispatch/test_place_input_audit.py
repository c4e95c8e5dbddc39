"""Audit of how places come in (2026-12-07): each refusal names the field that is wrong, the reason of a point
outside the city quotes the numbers as they were typed, and the gazetteer's checks catch names that would
re-route addresses behind a leading place name."""
import pytest
from django.utils import translation

from jiesu.dispatch import locator
from jiesu.dispatch.coords import from_wgs84


def refusal(lon, lat, system="wgs84"):
    with pytest.raises(locator.LocateError) as refused:
        locator.check_coordinates(lon, lat, system)
    return refused.value.field, str(refused.value)


def test_the_field_out_of_range_or_not_a_number_is_the_one_named():
    """A latitude of 95 was refused under 经度 (the page showed it beside the longitude, the loader's report named
    the 经度 column, the API answered field lon)."""
    assert refusal(116.4, 95) == ("lat", "经纬度超出范围。")
    assert refusal(116.4, -91) == ("lat", "经纬度超出范围。")
    assert refusal(200, 39.9) == ("lon", "经纬度超出范围。")
    assert refusal(116.4, "北纬39.9")[0] == "lat"
    assert refusal("东经116", 39.9)[0] == "lon"
    assert refusal(39.91, 116.41)[0] == "lon", "swapped: the pair is wrong, the first field named"


def test_a_decimal_comma_and_a_pasted_pair_are_told_apart():
    assert refusal("116,397", 39.9) == ("lon", "经纬度须为数字。 小数点请用“.”，如 116.397。")
    assert refusal(116.397, "39,909") == ("lat", "经纬度须为数字。 小数点请用“.”，如 39.909。")
    assert refusal("116.397428,39.90923", "") == ("lon", "“116.397428,39.90923”像是经度和纬度两个数：请分别填写经度和纬度。"), \
        "both in the longitude, the latitude left empty: said so, not 「经度和纬度须同时填写」"
    assert refusal(116.4, "") == ("lat", "经度和纬度须同时填写或都不填。")
    assert refusal("116.397428,39.90923", 39.9) == (
        "lon", "经纬度须为数字。 “116.397428,39.90923”像是经度和纬度两个数：请分别填写经度和纬度。")
    with translation.override("en"):
        assert refusal("116,397", 39.9)[1] == ("Longitude and latitude must be numbers. Use a point as the decimal "
                                               "separator: 116.397.")


def test_the_reason_of_a_point_outside_the_city_quotes_the_numbers_as_typed(dispatch_db):
    """The reason said 「坐标（GCJ-02）121.465451, 31.231920 不在本市任何辖区内」 for a GCJ-02 point typed as
    121.47, 31.23: the converted WGS-84 numbers under the declared datum's name, which no map shows."""
    place = locator.locate(lon=121.47, lat=31.23, coord_system="gcj02")
    assert place.reason.startswith("坐标（GCJ-02）121.470000, 31.230000 不在本市任何辖区内")
    place = locator.locate(lon=121.47, lat=31.23, coord_system="bd_09", address="东城区")
    assert "坐标（BD-09）121.470000, 31.230000 不在本市任何辖区内" in place.reason
    wgs = (116.4105, 39.9149)
    glon, glat = from_wgs84(*wgs, "gcj02")
    inside = locator.locate(lon=glon, lat=glat, coord_system="Gcj_02")
    assert "坐标（GCJ-02）落在" in inside.reason and abs(inside.lon - wgs[0]) < 1e-7, "inside: stored as WGS-84"


from .test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: E402,F401  (fixtures: the rows built once for the module)


def jingshan():
    from jiesu.units.models import Unit

    return Unit.objects.defer("geometry").get(code="110101002")


def name_problem(name, unit, kind="alias"):
    from jiesu.dispatch.models import GazetteerEntry

    return GazetteerEntry(name=name, kind=kind, unit=unit).problems().get("name", "")


def test_the_country_and_the_city_together_are_the_citys_name(dispatch_db):
    """中国北京 as an alias of 景山街道 sent 中国北京市东城区王府井大街 there (the alias, 0.9, over the road, 0.7): only
    the city's or the country's names, one after the other, name no place."""
    from jiesu.dispatch.gazetteer import locate_text
    from jiesu.dispatch.models import GazetteerEntry

    for name in ("中国北京", "中华人民共和国北京市", "中国北京市", "China Beijing", "北京北京市"):
        assert "是本市或国家的名称" in name_problem(name, jingshan()), name
    GazetteerEntry.objects.create(name="北京西站", kind="landmark", unit=jingshan())  # a real name after 北京 passes
    assert name_problem("北京西站", jingshan()) == ""
    assert locate_text("中国北京市东城区王府井大街138号").street.code == "110101001"


def test_a_leading_place_name_before_another_units_road_or_landmark_is_refused(dispatch_db):
    """东城区王府井大街 (or 北京市东城区王府井大街) as a name of 景山街道 sent every address beginning so there: the
    longer name hides the road's (王府井大街 → 东华门街道). Refused as a unit's name after a district's was; as a
    name of the road's own street it passes."""
    from jiesu.units.models import Unit

    expected = ("“东城区王府井大街”是在“王府井大街”（东华门街道（东城区）的地名）前加上所在的市、区或街道名称：该处的地址常以它"
                "开头，作为景山街道的地名，会把这些地址都定位到景山街道。")
    assert name_problem("东城区王府井大街", jingshan(), kind="road") == expected
    for name in ("北京市东城区王府井大街", "北京王府井大街", "东城王府井大街", "东华门街道王府井大街"):
        assert "前加上所在的市、区或街道名称" in name_problem(name, jingshan(), kind="road"), name
    donghuamen = Unit.objects.defer("geometry").get(code="110101001")
    assert name_problem("东城区王府井大街", donghuamen, kind="road") == ""
    assert name_problem("西城区王府井大街", jingshan(), kind="road") == "", "西城区 has no 王府井大街: a place of its own"


def test_numbers_typed_in_chinese_input_mode_are_read(dispatch_db, tmp_path, admin_client):
    """With a Chinese input method on, the full stop key types 。 (and full-width mode １１６．４): the intake page,
    the gazetteer admin and the loader refused 「116。41」 as not a number; a point typed so is read as 116.41."""
    from django.urls import reverse

    from jiesu.dispatch.models import GazetteerEntry

    from .test_gazetteer_load import centre, load, write

    assert locator.check_coordinates("116。41", "３９．９１") == (116.41, 39.91)
    assert refusal("116。41", "")[0] == "lat"
    lon, lat = centre("110101001")
    typed = (f"{lon:.6f}".replace(".", "。"), f"{lat:.6f}".replace(".", "．"))
    path = write(tmp_path / "地名.csv", [["某某大厦", "地标", "110101001", *typed, "", ""]])
    lines, summary = load(path)
    assert (summary["added"], summary["refused"]) == (1, 0), lines
    assert GazetteerEntry.objects.get(name="某某大厦").lon == pytest.approx(lon, abs=1e-6)
    page = admin_client.post(reverse("admin:dispatch_gazetteerentry_add"), {
        "name": "某某中心", "kind": "landmark", "unit": jingshan().pk, "active": "on", "note": "",
        "lon": "116。397428,39。90923", "lat": ""}, follow=True)
    assert page.context_data["adminform"].form.errors["lon"] == [
        "输入一个数字。 “116.397428,39.90923”像是经度和纬度两个数：请分别填写经度和纬度。"]


def test_the_round_trip_is_exact_to_a_millimetre_over_a_grid_of_beijing():
    """Every 0.01° over Beijing's box (115.4–117.6 E, 39.4–41.1 N: its edges, and the centre among them), both
    ways: WGS-84 → datum → WGS-84, and a point typed in the datum → WGS-84 → the datum. Measured: worst 3.2e-9 m
    (GCJ-02) and 8.6e-9 m (BD-09)."""
    from jiesu.dispatch.coords import distance_m, to_wgs84

    for system in ("gcj02", "bd09"):
        worst = 0.0
        for i in range(221):
            for j in range(171):
                lon, lat = 115.4 + i * 0.01, 39.4 + j * 0.01
                there = to_wgs84(*from_wgs84(lon, lat, system), system)
                back = from_wgs84(*to_wgs84(lon, lat, system), system)
                worst = max(worst, distance_m(lon, lat, *there), distance_m(lon, lat, *back))
        assert worst < 0.001, (system, worst)


def test_the_admin_offers_no_unit_name_kind_for_a_name_added_by_hand(dispatch_db, admin_client):
    """单位名称 comes from the org tree (as `jiesu gazetteer load` refuses it): a name added by hand as one counted as a
    unit's own name — matched at 0.95, and another place's entry of that name then refused as 「是单位名称」 instead
    of saved with the namesake warning. An org-tree entry edited keeps its kind."""
    from django.urls import reverse

    from jiesu.dispatch.models import GazetteerEntry

    add = reverse("admin:dispatch_gazetteerentry_add")
    page = admin_client.post(add, {"name": "某某大院儿", "kind": "unit", "unit": jingshan().pk, "active": "on",
                                   "note": ""})
    assert page.status_code == 200 and not GazetteerEntry.objects.filter(name="某某大院儿").exists()
    assert page.context_data["adminform"].form.errors["kind"] == [
        "单位名称来自组织树（操作“按组织树更新整个地名库”）：手工添加的地名请选择别名、道路、地标或小区。"]
    assert 'value="unit"' not in admin_client.get(add).content.decode()
    own = GazetteerEntry.objects.get(name="景山街道", kind="unit", unit=jingshan())
    change = reverse("admin:dispatch_gazetteerentry_change", args=[own.pk])
    assert 'value="unit" selected' in admin_client.get(change).content.decode()
    saved = admin_client.post(change, {"name": "景山街道", "kind": "unit", "unit": jingshan().pk, "active": "on",
                                       "note": "核对过"})
    assert saved.status_code == 302 and GazetteerEntry.objects.get(pk=own.pk).note == "核对过"


def test_intake_records_the_reason_the_page_line_shows_for_a_gcj02_point(dispatch_db):
    """The page's line under 地址 asks GET /dispatch/locate with the datum chosen: 「坐标（GCJ-02）落在…」; intake
    located the point converted to WGS-84 and recorded 「坐标（WGS-84）落在…」 in the intake event."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from jiesu.accounts.models import Role
    from jiesu.dispatch.wording import word
    from jiesu.tickets import services
    from jiesu.tickets.models import TicketEvent
    from jiesu.tickets.queries import stored_parts
    from jiesu.units.models import Unit

    user = get_user_model().objects.create_user("ct", password="pw", role=Role.CALL_TAKER,
                                                unit=Unit.objects.get(code="110101"))
    street = Unit.objects.filter(code="110101002").defer("geometry").get()
    lon, lat = from_wgs84(street.center_lon, street.center_lat, "gcj02")
    place = {"address": "东城区王府井大街", "lon": lon, "lat": lat, "coord_system": "gcj02"}
    ticket, _created = services.create_ticket(user, services.IntakeData(text="路灯不亮，晚上很黑", **place))
    payload = TicketEvent.objects.get(ticket=ticket, kind="intake").payload
    with translation.override("zh-hans"):
        recorded = word(stored_parts(payload["place"]["reason"]))
    client = Client()
    client.force_login(user)
    line = client.get("/api/v1/dispatch/locate", place).json()
    assert "坐标（GCJ-02）" in recorded and line["reason"] == recorded
    assert ticket.lon == pytest.approx(street.center_lon, abs=1e-7), "stored as WGS-84"


def test_a_point_read_off_a_map_in_another_datum_is_said_so_when_the_address_disagrees(dispatch_db):
    """The page's datum is WGS-84 unless chosen; a point read off Amap (GCJ-02) and left so lies ≈ 0.5 km off, often
    in the next street. When the address names the street that the numbers, read in another datum, lie in, the
    reason says so: the call-taker can choose the datum before 受理."""
    from jiesu.dispatch.router import reference
    from jiesu.units.models import Unit

    ref = reference()
    street = Unit.objects.filter(code="110101001").defer("geometry").get()  # 东华门街道: 东城区王府井大街
    for i in range(400):  # a point of 东华门街道 whose GCJ-02 reading, taken as WGS-84, lies in another street
        wgs = (street.center_lon - 0.02 + (i % 20) * 0.002, street.center_lat - 0.02 + (i // 20) * 0.002)
        unit, _level, _streets = ref.point_place(*wgs)
        typed = from_wgs84(*wgs, "gcj02")
        other, _level, _streets = ref.point_place(*typed)
        if unit is not None and unit.street_id == street.id and other is not None and other.street_id not in (
                None, street.id):
            break
    else:
        pytest.fail("no such point in the test city")
    wrong = locator.locate(address="东城区王府井大街", lon=typed[0], lat=typed[1])  # GCJ-02 numbers as WGS-84
    assert "按 GCJ-02 换算则位于东华门街道（东城区），与地址一致：请核对坐标系" in wrong.reason
    with translation.override("en"):
        assert "read as GCJ-02 the point lies in 东华门街道 (东城区), as the address says: check the coordinate " \
               "system" in locator.locate(address="东城区王府井大街", lon=typed[0], lat=typed[1]).reason
    right = locator.locate(address="东城区王府井大街", lon=typed[0], lat=typed[1], coord_system="gcj02")
    assert right.street.id == street.id and "换算" not in right.reason


def test_the_loader_takes_the_datum_by_the_name_of_its_map(dispatch_db, tmp_path):
    """The admin and the intake page name the datums by their maps (GCJ-02（高德、腾讯地图、微信）); a clerk's file
    saying 高德 or 百度地图 in its 坐标系 column was refused row by row (「未知的坐标系“高德”」), as its 类型 column
    takes the kinds' Chinese names."""
    from jiesu.dispatch.models import GazetteerEntry

    from .test_gazetteer_load import centre, load, write

    wgs = centre("110101001")
    rows = [["某某甲", "地标", "110101001", *map(str, from_wgs84(*wgs, "gcj02")), "高德", ""],
            ["某某乙", "地标", "110101001", *map(str, from_wgs84(*wgs, "bd09")), "百度地图", ""],
            ["某某丙", "地标", "110101001", *map(str, from_wgs84(*wgs, "gcj02")), "GCJ-02（高德、腾讯地图、微信）", ""],
            ["某某丁", "地标", "110101001", *map(str, wgs), "GPS", ""],
            ["某某戊", "地标", "110101001", *map(str, wgs), "火星", ""]]
    lines, summary = load(write(tmp_path / "地名.csv", rows))
    assert (summary["added"], summary["refused"]) == (4, 1), lines
    for name in ("某某甲", "某某乙", "某某丙", "某某丁"):
        entry = GazetteerEntry.objects.get(name=name)
        assert (entry.lon, entry.lat) == (pytest.approx(wgs[0], abs=1e-6), pytest.approx(wgs[1], abs=1e-6)), name
