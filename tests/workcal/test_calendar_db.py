"""The working calendar in the database: seeding, caching, the admin."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from jiesu.workcal.models import CalendarDay, DayKind, WorkingHours
from jiesu.workcal.services import calendar_changed, current_calendar, seed_calendar

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def seeded(db):
    seed_calendar(2024, 2026)


def test_seed_loads_2024_to_2026(seeded):
    days = CalendarDay.objects
    assert {d.year for d in days.values_list("date", flat=True)} == {2024, 2025, 2026}
    assert days.get(date=date(2025, 10, 1)).kind == DayKind.HOLIDAY
    assert days.get(date=date(2025, 10, 1)).name == "国庆节"
    assert days.get(date=date(2025, 10, 6)).name == "中秋节"
    assert days.get(date=date(2025, 9, 28)).kind == DayKind.WORKDAY
    assert days.get(date=date(2025, 10, 11)).kind == DayKind.WORKDAY
    assert days.get(date=date(2026, 2, 14)).kind == DayKind.WORKDAY
    assert days.get(date=date(2026, 2, 28)).kind == DayKind.WORKDAY
    assert days.get(date=date(2026, 2, 28)).name == "春节"
    assert days.get(date=date(2024, 2, 10)).kind == DayKind.HOLIDAY  # 2024 Spring Festival
    for year in (2024, 2025, 2026):
        assert days.filter(date__year=year, kind=DayKind.WORKDAY).count() >= 4
        assert days.filter(date__year=year, kind=DayKind.HOLIDAY).count() >= 25
    assert WorkingHours.objects.count() == 2


def test_seed_is_idempotent_and_keeps_local_days(seeded):
    count = CalendarDay.objects.count()
    local = CalendarDay.objects.create(date=date(2025, 6, 9), kind=DayKind.HOLIDAY, name="本地")
    assert seed_calendar(2024, 2026) == 0
    assert CalendarDay.objects.count() == count + 1
    assert CalendarDay.objects.filter(pk=local.pk).exists()
    CalendarDay.objects.filter(date=date(2025, 10, 1)).update(name="wrong")
    seed_calendar(2025, 2025)
    assert CalendarDay.objects.get(date=date(2025, 10, 1)).name == "国庆节"


def test_seed_refuses_years_without_data(db):
    with pytest.raises(ValueError, match="chinese_calendar"):
        seed_calendar(2024, 2099)
    with pytest.raises(ValueError, match="after"):
        seed_calendar(2026, 2024)


def test_current_calendar_follows_the_database(seeded):
    cal = current_calendar()
    start = datetime(2025, 9, 30, 10, tzinfo=TZ)
    assert cal.add_working_days(start, 1) == datetime(2025, 10, 9, 10, tzinfo=TZ)
    assert current_calendar() is cal  # cached
    CalendarDay.objects.create(date=date(2025, 10, 9), kind=DayKind.HOLIDAY, name="test")
    calendar_changed()
    assert current_calendar().add_working_days(start, 1) == datetime(2025, 10, 10, 10, tzinfo=TZ)


def test_admin_change_invalidates_the_calendar(seeded, admin_browser, django_capture_on_commit_callbacks):
    start = datetime(2025, 10, 9, 10, tzinfo=TZ)
    assert current_calendar().add_working_days(start, 1) == datetime(2025, 10, 10, 10, tzinfo=TZ)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post("/admin/workcal/calendarday/add/",
                                     {"date": "2025-10-10", "kind": "holiday", "name": "停工"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert current_calendar().add_working_days(start, 1) == datetime(2025, 10, 11, 10, tzinfo=TZ)
    day = CalendarDay.objects.get(date=date(2025, 10, 10))
    response = admin_browser.post(f"/admin/workcal/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert current_calendar().add_working_days(start, 1) == datetime(2025, 10, 10, 10, tzinfo=TZ)


def test_admin_working_hours(seeded, admin_browser):
    response = admin_browser.post("/admin/workcal/workinghours/add/", {"start": "11:00", "end": "14:00"})
    assert response.status_code == 200 and WorkingHours.objects.count() == 2  # overlap refused
    response = admin_browser.post("/admin/workcal/workinghours/add/", {"start": "18:00", "end": "17:00"})
    assert response.status_code == 200 and WorkingHours.objects.count() == 2
    response = admin_browser.post("/admin/workcal/workinghours/add/", {"start": "18:00", "end": "19:00"})
    assert response.status_code == 302
    assert current_calendar().hours_per_day == 8
    WorkingHours.objects.filter(start=time(18)).delete()


@pytest.mark.parametrize("url", ["/admin/workcal/calendarday/", "/admin/workcal/calendarday/?date__year=2025",
                                 "/admin/workcal/workinghours/"])
def test_admin_pages(seeded, admin_browser, url):
    assert admin_browser.get(url).status_code == 200


def test_an_edit_made_in_another_process_is_seen(seeded, settings):
    """The web server's admin, the worker and the importer are separate processes, each with its own memory (the
    project configures no shared cache): a day entered in the admin must reach the worker's deadlines too. Here
    the edit is made as another process makes it: the rows change, this process is not told."""
    settings.JIESU = {**settings.JIESU, "CALENDAR_RECHECK_SECONDS": 0}
    start = datetime(2025, 10, 9, 10, tzinfo=TZ)
    assert current_calendar().add_working_days(start, 1) == datetime(2025, 10, 10, 10, tzinfo=TZ)
    CalendarDay.objects.create(date=date(2025, 10, 10), kind=DayKind.HOLIDAY, name="停工")
    assert current_calendar().add_working_days(start, 1) == datetime(2025, 10, 11, 10, tzinfo=TZ)
    CalendarDay.objects.filter(date=date(2025, 10, 10)).update(kind=DayKind.WORKDAY)  # an edit: no count changes
    assert current_calendar().add_working_days(start, 1) == datetime(2025, 10, 10, 10, tzinfo=TZ)
    WorkingHours.objects.create(start=time(18), end=time(19))
    assert current_calendar().hours_per_day == 8


def test_an_unchanged_calendar_is_the_same_object(seeded, settings):
    """Rechecking rebuilds nothing when nothing changed (callers may keep what they derived from it)."""
    settings.JIESU = {**settings.JIESU, "CALENDAR_RECHECK_SECONDS": 0}
    assert current_calendar() is current_calendar()


def _years_ahead():
    """The years from today's (Beijing) to the one LOOK_AHEAD_DAYS on: whatever day the tests run."""
    from datetime import timedelta

    from django.utils import timezone

    from jiesu.workcal.services import LOOK_AHEAD_DAYS

    today = timezone.localdate(timezone.now(), TZ)
    return list(range(today.year, (today + timedelta(days=LOOK_AHEAD_DAYS)).year + 1))


def test_a_year_not_entered_is_said_to_the_administrator(seeded, admin_browser, caplog):
    """Deadlines running into a year whose holidays are not entered count its 元旦 and 春节 as working days: the
    administrator is told on the admin's first page and on the calendar's, and the worker's log says it."""
    import logging

    from jiesu.workcal import jobs
    from jiesu.workcal.jobs import warn_if_not_entered
    from jiesu.workcal.services import years_to_enter

    jobs._said.clear()  # logged once a day per process: another test (the worker's pass) may have said it today
    years = _years_ahead()
    CalendarDay.objects.filter(date__year=years[0]).delete()  # this year's schedule not entered
    calendar_changed()
    assert years_to_enter() == [y for y in years if not 2024 <= y <= 2026 or y == years[0]]
    for url in ("/admin/", "/admin/workcal/calendarday/"):
        page = admin_browser.get(url).content.decode()
        assert f"工作日历缺少 {years_to_enter()[0]}" in page, url
        assert "期限偏早" in page
    with caplog.at_level(logging.WARNING, logger="jiesu.workcal.jobs"):
        assert warn_if_not_entered() == years_to_enter()
    assert f"{years[0]}" in caplog.text and "working calendar" in caplog.text
    from jiesu.tickets.jobs import PERIODIC_JOBS
    assert ("calendar_coverage", "jiesu.workcal.jobs.warn_if_not_entered") in PERIODIC_JOBS  # every worker pass

    for year in years:  # the schedules entered: 13 statutory days each (the rows seeded are kept)
        for day in range(1, 14):
            CalendarDay.objects.update_or_create(date=date(year, 3, day), defaults={"kind": DayKind.HOLIDAY})
    calendar_changed()
    assert years_to_enter() == []
    for url in ("/admin/", "/admin/workcal/calendarday/"):
        assert "工作日历缺少" not in admin_browser.get(url).content.decode(), url
    assert warn_if_not_entered() == []


def test_admin_entering_a_day_says_what_it_changes(seeded, admin_browser):
    """An administrator entering a day is told when it is there already, when it changes nothing, and that the
    deadlines already set are kept (only those set from now on count it)."""
    add = "/admin/workcal/calendarday/add/"
    count = CalendarDay.objects.count()
    page = admin_browser.post(add, {"date": "2025-10-01", "kind": "workday", "name": "国庆节"}).content.decode()
    assert "2025-10-01 已在工作日历中" in page and "法定节假日" in page  # entered twice: the day there is named
    page = admin_browser.post(add, {"date": "2025-06-10", "kind": "workday", "name": "误填"}).content.decode()
    assert "星期二" in page and "调休上班日" in page  # a Tuesday is a working day already: a wrong date
    assert CalendarDay.objects.count() == count

    page = admin_browser.post(add, {"date": "2025-06-14", "kind": "holiday", "name": "本地"}, follow=True)
    page = page.content.decode()
    assert CalendarDay.objects.filter(date=date(2025, 6, 14)).exists()
    assert "星期六" in page and "不改变任何期限" in page  # a Saturday off already: kept, said
    page = admin_browser.post(add, {"date": "2025-06-16", "kind": "holiday", "name": "本地"}, follow=True)
    page = page.content.decode()
    assert "已经设定的期限保持不变" in page and "不改变任何期限" not in page
    day = CalendarDay.objects.get(date=date(2025, 6, 16))
    page = admin_browser.post(f"/admin/workcal/calendarday/{day.pk}/delete/", {"post": "yes"}, follow=True)
    assert "已经设定的期限保持不变" in page.content.decode()


SCHEDULE_2030 = """
# a year's notice, as the State Council's reads (an invented year: no package holds it)
2030-01-01 休 元旦
2030-02-02~2030-02-10 休 春节
2030-01-26 班 春节
2030-04-05 至 2030-04-07 holiday 清明节
2030-05-01..2030-05-05 休 劳动节
2030-06-05 休 端午节
2030-09-12 休 中秋节
2030-10-01~2030-10-07 休 国庆节
2030-09-29 班 国庆节
"""


def test_a_years_schedule_is_entered_at_once(seeded, admin_browser):
    """When the package does not know a year (1.11.0 ends with 2026), the administrator types the notice's lines,
    ranges and all, instead of 30-odd days one by one; bad lines are refused naming the line, and nothing is kept."""
    url = "/admin/workcal/calendarday/enter/"
    assert "enter/" in admin_browser.get("/admin/workcal/calendarday/").content.decode()  # the way there
    assert admin_browser.get(url).status_code == 200
    count = CalendarDay.objects.count()
    bad = SCHEDULE_2030 + "2030-10-08 班 国庆节\n"  # a Tuesday
    page = admin_browser.post(url, {"lines": bad}).content.decode()
    assert "第 12 行" in page and "星期二" in page
    page = admin_browser.post(url, {"lines": "2030-01-26 休 春节\n2030-01-26 班 春节"}).content.decode()
    assert "第 2 行" in page
    page = admin_browser.post(url, {"lines": "2030-13-01 休"}).content.decode()
    assert "第 1 行" in page
    assert CalendarDay.objects.count() == count

    start = datetime(2030, 1, 31, 10, tzinfo=TZ)  # a Thursday
    response = admin_browser.post(url, {"lines": SCHEDULE_2030}, follow=True)
    assert "已经设定的期限保持不变" in response.content.decode()
    days = CalendarDay.objects.filter(date__year=2030)
    assert days.filter(kind=DayKind.HOLIDAY).count() == 1 + 9 + 3 + 5 + 1 + 1 + 7
    assert days.get(date=date(2030, 1, 26)).kind == DayKind.WORKDAY and days.get(date=date(2030, 2, 3)).name == "春节"
    assert current_calendar().add_working_days(start, 2) == datetime(2030, 2, 11, 10, tzinfo=TZ)
    assert current_calendar().years_not_entered(date(2030, 1, 1), date(2030, 12, 31)) == []
    admin_browser.post(url, {"lines": SCHEDULE_2030})  # again: nothing doubled
    assert CalendarDay.objects.filter(date__year=2030).count() == days.count() == 27 + 2
    page = admin_browser.post(url, {"lines": "2025-10-01 班"}).content.decode()  # a seeded holiday made a workday
    assert "第 1 行" in page and CalendarDay.objects.get(date=date(2025, 10, 1)).kind == DayKind.HOLIDAY
