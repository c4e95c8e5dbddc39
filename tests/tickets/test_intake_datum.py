"""The intake page takes coordinates in WGS-84, GCJ-02 or BD-09 (a 坐标系 choice) and stores them as WGS-84, as
the API does: a point read off Amap or Baidu lands in its own street, not in the next one."""
import pytest

from jiesu.dispatch.coords import distance_m, from_wgs84
from jiesu.tickets.models import Ticket
from tests.grids.conftest import fast_passwords, gw  # noqa: F401  (fixtures)

#: In 东华门街道 (116.38–116.42 E), 0.005° from 景山街道: its GCJ-02 and BD-09 readings, taken as WGS-84, lie there.
WGS84 = (116.415, 39.91)


@pytest.fixture
def intake(gw, client):
    client.force_login(gw.call_taker)

    def post(lon, lat, coord_system=None, **more):
        data = {"channel": "phone", "text": "路边井盖丢失，晚上很危险", "lon": str(lon), "lat": str(lat), **more}
        if coord_system is not None:
            data["coord_system"] = coord_system
        return client.post("/intake/", data)
    return post


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_a_point_read_in_gcj02_or_bd09_is_stored_as_wgs84_in_its_own_street(gw, intake, system):
    lon, lat = from_wgs84(*WGS84, system)
    assert intake(lon, lat, system).status_code == 302
    ticket = Ticket.objects.get()
    assert distance_m(ticket.lon, ticket.lat, *WGS84) < 1
    assert (ticket.street, ticket.grid) == (gw.street, gw.g5)


def test_the_same_reading_taken_as_wgs84_lands_in_the_next_street(gw, intake):
    """Why the choice matters: the GCJ-02 reading as typed (the default WGS-84) is 景山街道."""
    assert intake(*from_wgs84(*WGS84, "gcj02")).status_code == 302
    assert Ticket.objects.get().street == gw.street_b


def test_an_unknown_datum_or_half_a_point_is_a_field_error_and_writes_nothing(gw, intake):
    unknown = intake(*WGS84, "gps")
    assert unknown.status_code == 400 and unknown.context["form"].errors["coord_system"]
    half = intake("", WGS84[1], "bd09")
    assert half.status_code == 400 and half.context["form"].errors["lon"] == ["经度和纬度须同时填写或都不填。"]
    assert Ticket.objects.count() == 0


def test_the_page_offers_the_three_datums_wgs84_first_and_keeps_the_choice_after_a_refusal(gw, client, intake):
    page = client.get("/intake/").content.decode()
    assert '<option value="wgs84" selected>WGS-84（GPS）</option>' in page
    assert "GCJ-02（高德、腾讯地图、微信）" in page and "BD-09（百度地图）" in page
    kept = intake(*WGS84, "bd09", text="").content.decode()  # refused for the empty text: the datum stays chosen
    assert '<option value="bd09" selected>' in kept
