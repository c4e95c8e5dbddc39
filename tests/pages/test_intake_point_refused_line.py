"""Audit of how places come in (2026-12-07): the intake page's line under 地址 says why a point typed beside the
address cannot be read, as 受理 would refuse it, instead of keeping the place of the address alone."""
import pytest

from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .test_ticket_flow import login


@pytest.mark.django_db(transaction=True)
def test_the_line_says_why_the_point_is_refused_and_the_place_once_it_is_read(live_server, page, world):
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    line = page.locator("#address-place")
    page.fill("#id_address", "东城区东华门街道某号")
    page.wait_for_function("document.getElementById('address-place').dataset.state === 'found'")
    page.fill("#id_lon", "116.41")
    page.fill("#id_lat", "95")
    page.wait_for_function("document.getElementById('address-place').dataset.state === 'refused'")
    assert line.inner_text() == "坐标无法使用：经纬度超出范围。"
    page.fill("#id_lat", "")
    page.wait_for_function("document.getElementById('address-place').dataset.state === 'found'")
    assert line.inner_text().startswith("定位：东城区 · 东华门街道")
