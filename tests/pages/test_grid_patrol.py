"""Grid patrol on a phone in a real Chromium: a worker starts a patrol, files a report with a photo and a
place tapped on the map, stops; the community sees the report; the street's map leads to the grid page.

Takes docs/screenshots/grid-patrol.png (phone-sized) and grid-map.png.
"""
import re

import pytest

from grids.conftest import PNG, fast_passwords, gw  # noqa: F401  (fixtures)
from jiesu.core.tests_support import force_login, screenshot
from jiesu.grids import services
from jiesu.grids.models import Patrol, PatrolReport

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", permissions=["geolocation"],
                                  geolocation={"longitude": 116.3852, "latitude": 39.9153}, **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def busy_grids(w):
    """Some reports in other grids, so the map has colours."""
    for lon, lat, text in ((116.395, 39.915, "绿地内暴露垃圾"), (116.396, 39.913, "垃圾箱满溢"),
                           (116.386, 39.912, "楼门口乱堆杂物")):
        services.file_report(w.w1, services.ReportData(text=text, category_code=w.trash.code, lon=lon, lat=lat))


@pytest.mark.django_db(transaction=True)
def test_worker_reports_from_a_phone_and_the_community_sees_it(live_server, phone, page, gw):
    gw.w1.display_name = "吴秀英"
    gw.w1.save(update_fields=["display_name"])
    busy_grids(gw)
    force_login(phone, live_server, gw.w1)
    phone.goto(live_server.url + f"/grids/patrol/?grid={gw.g1.code}")
    phone.get_by_role("button", name=re.compile("开始巡查")).click()
    phone.wait_for_selector("text=巡查进行中")
    patrol = Patrol.objects.get(worker=gw.w1, ended_at__isnull=True)

    phone.select_option("#id_category", gw.trash.code)
    phone.fill("#id_text", "东华门大街12号院门口暴露垃圾，约两平方米")
    phone.set_input_files("#id_photos", files=[{"name": "found.png", "mimeType": "image/png", "buffer": PNG}])
    box = phone.locator("#tapmap").bounding_box()
    phone.locator("#tapmap").tap(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    assert phone.locator("#id_lon").input_value() != ""
    lon, lat = float(phone.locator("#id_lon").input_value()), float(phone.locator("#id_lat").input_value())
    assert 116.38 < lon < 116.39 and 39.91 < lat < 39.92  # the middle of grid 001
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    screenshot(phone, "grid-patrol")
    phone.get_by_role("button", name="提交上报").click()
    phone.wait_for_selector("text=已提交")

    report = PatrolReport.objects.get(ticket__text__startswith="东华门大街12号院")
    assert report.patrol == patrol and report.grid == gw.g1 and report.ticket.channel == "patrol"
    assert report.ticket.attachments.count() == 1 and report.ticket.lead_unit == gw.g1
    assert phone.locator("ul.plain a", has_text=report.ticket.number).count() == 1  # in "my recent reports"

    phone.get_by_role("button", name="结束巡查").click()
    phone.wait_for_selector("text=巡查结束")
    patrol.refresh_from_db()
    assert patrol.ended_at is not None

    force_login(page, live_server, gw.community_staff)
    page.goto(live_server.url + "/grids/reports/")
    row = page.locator("#report-list tr", has_text=report.ticket.number)
    assert row.count() == 1 and "第一社区第1网格" in row.inner_text()

    force_login(page, live_server, gw.street_staff)
    page.goto(live_server.url + "/grids/map/?measure=open_tickets")
    assert page.locator("a.grid-shape").count() == 5
    screenshot(page, "grid-map")
    page.locator(f"a.grid-shape[data-code='{gw.g2.code}'] path").click()
    page.wait_for_url(re.compile(gw.g2.code))
    assert page.locator("h1").inner_text() == gw.g2.name


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_positions_refused_is_told_on_the_phone_not_dropped_in_silence(live_server, browser, gw):
    """Every position of a batch refused (a phone whose location is off, or its clock far off: every batch is):
    the page dropped the batch and said nothing, so the worker walked a patrol whose track was never recorded. Now
    the page says how many positions were not recorded and why; the next good batch is recorded."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", permissions=["geolocation"],
                                  geolocation={"longitude": 2.35, "latitude": 48.85}, **PHONE)  # Paris: a glitch
    context.set_default_timeout(15_000)
    phone = context.new_page()
    try:
        phone.clock.install()
        force_login(phone, live_server, gw.w1)
        phone.goto(live_server.url + f"/grids/patrol/?grid={gw.g1.code}")
        phone.get_by_role("button", name=re.compile("开始巡查")).click()
        phone.wait_for_selector("text=巡查进行中")
        problem = phone.locator("#track-problem")
        assert problem.is_hidden()
        phone.wait_for_function("document.getElementById('patrol-box').dataset.watching === '1'")
        phone.clock.run_for(1000)
        phone.clock.fast_forward(20_000)
        phone.wait_for_selector("#track-problem:not([hidden])")
        assert "未能记录" in problem.inner_text() and "本市范围之外" in problem.inner_text()
        patrol = Patrol.objects.get(worker=gw.w1, ended_at__isnull=True)
        assert patrol.track.count() == 0
        context.set_geolocation({"longitude": 116.3852, "latitude": 39.9153})
        phone.clock.run_for(1000)
        phone.clock.fast_forward(20_000)
        phone.wait_for_function("+document.getElementById('track-count').textContent > 0")
        assert patrol.track.count() >= 1
    finally:
        context.close()
