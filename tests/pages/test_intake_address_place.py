"""The intake page says, under 地址, where the address is placed or that it is not (audit 12, finding 4)."""
import pytest

from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .test_ticket_flow import login


@pytest.mark.django_db(transaction=True)
def test_the_intake_page_says_where_the_address_is_or_that_it_is_not_found(live_server, page, world):
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    line = page.locator("#address-place")
    page.fill("#id_address", "东城区东华门街道某号")
    page.keyboard.press("Tab")
    page.wait_for_function("document.getElementById('address-place').dataset.state === 'found'")
    assert line.inner_text() == "定位：东城区 · 东华门街道（地址中识别出「东城区」、「东华门街道」）"
    page.fill("#id_address", "火星基地3号")
    page.wait_for_function("document.getElementById('address-place').dataset.state === 'none'")
    words = line.inner_text()
    assert words.startswith("未能定位：") and "地址中未识别出区、街道、社区或已登记的地名" in words
    assert words.endswith("——请询问所在区或附近地标，或在「街道 / 乡镇或社区」中选择")
    page.fill("#id_address", "")
    page.wait_for_function("document.getElementById('address-place').hidden")


@pytest.mark.django_db(transaction=True)
def test_the_recorded_ticket_says_why_it_has_no_place(live_server, page, world):
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    page.fill("#id_text", "火星基地3号楼下路灯坏了好几天，晚上很黑")
    page.fill("#id_address", "火星基地3号")
    page.wait_for_function("document.getElementById('address-place').dataset.state === 'none'")
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/tickets/*/")
    assert "未能定位：地址中未识别出区、街道、社区或已登记的地名" in page.locator("[data-no-place]").inner_text()
