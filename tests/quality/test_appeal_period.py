"""申诉 leftovers (audit 2026-12-08): appeals had no period (a unit could appeal a year-old flag, and a manual re-scan
gave every open flag a new flagging time), a pending appeal had no decision due (the supervisors could not see which
waited too long), a grid's workers could not appeal a flag on their grid's reply (403), and the appeal's notices
read as 督办. Now: APPEAL_DAYS working days from the flag (a re-scan keeps its time), then 409 naming
`appeal_deadline` and the date; a decision due APPEAL_DECISION_DAYS working days after the appeal, with the list's
「审核超期」 filter, mark and count; the grid's workers appeal under the same rules; notices of their own kinds, said in
the reader's language."""
import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.core.errors import DomainError
from jiesu.quality import services
from jiesu.quality.models import ReplyFlag
from jiesu.tickets.models import Notice, NoticeKind
from jiesu.units.models import Unit
from jiesu.workcal.models import CalendarDay
from jiesu.workcal.services import calendar_changed
from tests.tickets.conftest import at
from .test_dismiss import flagged  # noqa: F401  (fixture: a forwarded reply, scanned and flagged)
from .test_services import FORWARDED, replied

pytestmark = pytest.mark.django_db
WHY = "答复已写明处理结果：垃圾已于当日清运完毕，并已电话告知诉求人"
FRIDAY = at(2026, 11, 27, 16, 0)          # flagged on a Friday afternoon (working hours 9–12, 13:30–17:30)


@pytest.fixture(autouse=True)
def fresh_calendar():
    calendar_changed()
    yield
    calendar_changed()


def flagged_at(flag, moment):
    ReplyFlag.objects.filter(pk=flag.pk).update(checked_at=moment)
    flag.refresh_from_db()
    return flag


def test_a_flag_is_appealed_within_five_working_days_then_refused_naming_the_field_and_date(flagged):
    w = flagged
    flagged_at(w.flag, FRIDAY)
    assert services.appeal_deadline(w.flag) == at(2026, 12, 4, 16, 0)      # five working days: the next Friday
    with pytest.raises(DomainError) as exc:
        services.appeal_flag(w.street_staff, w.flag.pk, WHY, now=at(2026, 12, 4, 16, 1))
    assert exc.value.status == 409 and exc.value.field == "appeal_deadline"
    assert "2026-12-04 16:00" in exc.value.message and "5" in exc.value.message
    assert ReplyFlag.objects.get(pk=w.flag.pk).appeal_state == ""          # nothing written
    flag = services.appeal_flag(w.street_staff, w.flag.pk, WHY, now=at(2026, 12, 4, 15, 59))
    assert flag.appeal_state == "pending"
    assert flag.appeal_due_at == at(2026, 12, 11, 15, 59)                  # the decision: five working days on


def test_the_period_counts_working_days_not_clock_days(flagged):
    w = flagged
    flagged_at(w.flag, FRIDAY)
    CalendarDay.objects.create(date=date(2026, 12, 2), kind="holiday", name="test holiday")
    calendar_changed()
    assert services.appeal_deadline(w.flag) == at(2026, 12, 7, 16, 0)      # the holiday adds a working day
    flag = services.appeal_flag(w.street_staff, w.flag.pk, WHY, now=at(2026, 12, 5, 11, 0))  # Saturday: 8 days on
    assert flag.appeal_state == "pending"


def test_a_rescan_keeps_the_time_a_reply_was_first_flagged(flagged):
    w = flagged
    first = timezone.now() - timedelta(days=20)
    flagged_at(w.flag, first)
    services.scan(days=30)
    again = ReplyFlag.objects.get(ticket=w.ticket)
    assert again.checked_at == first                                       # was: the re-scan's time
    with pytest.raises(DomainError) as exc:
        services.appeal_flag(w.street_staff, again.pk, WHY)
    assert exc.value.status == 409 and exc.value.field == "appeal_deadline"


def test_the_page_shows_the_unit_its_period_and_refuses_a_late_appeal_in_words(flagged):
    w = flagged
    c = Client()
    c.force_login(w.street_staff)
    deadline = timezone.localtime(services.appeal_deadline(w.flag)).strftime("%Y-%m-%d %H:%M")
    page = c.get(reverse("quality_board")).content.decode()
    assert "申诉截止" in page and deadline in page
    assert reverse("quality_appeal_flag", args=[w.flag.pk]) in page
    flagged_at(w.flag, timezone.now() - timedelta(days=30))
    page = c.get(reverse("quality_board")).content.decode()
    assert "申诉期已过" in page and reverse("quality_appeal_flag", args=[w.flag.pk]) not in page
    r = c.post(reverse("quality_appeal_flag", args=[w.flag.pk]), {"reason": WHY}, follow=True)
    assert "申诉期限已于" in r.content.decode()
    r = c.post(f"/api/v1/quality/flags/{w.flag.pk}/appeal", json.dumps({"reason": WHY}),
               content_type="application/json")
    assert r.status_code == 409 and r.json()["field"] == "appeal_deadline"
    assert ReplyFlag.objects.get(pk=w.flag.pk).appeal_state == ""


def test_supervisors_see_the_appeals_whose_decision_is_overdue(flagged):
    w = flagged
    month_ago = timezone.now() - timedelta(days=30)
    flagged_at(w.flag, month_ago)
    services.appeal_flag(w.street_staff, w.flag.pk, WHY, now=month_ago + timedelta(hours=1))
    due = ReplyFlag.objects.get(pk=w.flag.pk).appeal_due_at
    assert [f.pk for f in services.flag_list(w.supervisor, appeal="overdue", now=due - timedelta(minutes=1))] == []
    assert [f.pk for f in services.flag_list(w.supervisor, appeal="overdue", now=due + timedelta(minutes=1))] == [
        w.flag.pk]
    c = Client()
    c.force_login(w.supervisor)
    page = c.get(reverse("quality_board")).content.decode()
    assert 'id="overdue-appeals"' in page and "1 件申诉已超过审核期限" in page and "审核超期" in page
    assert w.ticket.number in c.get(reverse("quality_board"), {"appeal": "overdue"}).content.decode()
    api = c.get("/api/v1/quality/flags", {"appeal": "overdue"}).json()
    assert [(f["id"], f["appeal_overdue"]) for f in api] == [(w.flag.pk, True)]
    services.decide_appeal(w.supervisor, w.flag.pk, True, "答复仅称已转相关部门，未说明办理结果")
    assert services.overdue_appeals(w.supervisor) == 0                     # decided: no longer waiting
    assert 'id="overdue-appeals"' not in c.get(reverse("quality_board")).content.decode()


def test_a_fresh_appeal_is_not_overdue_and_the_unit_sees_no_count(flagged):
    w = flagged
    services.appeal_flag(w.street_staff, w.flag.pk, WHY)
    assert services.flag_list(w.supervisor, appeal="overdue").count() == 0
    c = Client()
    c.force_login(w.supervisor)
    page = c.get(reverse("quality_board"), {"appeal": "pending"}).content.decode()
    assert "审核期限" in page and 'id="overdue-appeals"' not in page and "appeal-overdue" not in page


@pytest.fixture
def grid_flagged(world):
    w = world
    w.ticket = replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED, street=w.grid, staff=w.grid_worker)
    services.scan(days=30)
    w.flag = ReplyFlag.objects.get(ticket=w.ticket)
    return w


def test_a_grid_worker_appeals_a_flag_on_the_grids_reply(grid_flagged):
    w = grid_flagged
    assert w.flag.unit == w.grid
    c = Client()
    c.force_login(w.grid_worker)
    page = c.get(reverse("quality_board"))
    assert page.status_code == 200 and reverse("quality_appeal_flag", args=[w.flag.pk]) in page.content.decode()
    r = c.post(reverse("quality_appeal_flag", args=[w.flag.pk]), {"reason": WHY})
    assert r.status_code == 302                                            # was 403: not a unit's staff
    flag = ReplyFlag.objects.get(pk=w.flag.pk)
    assert (flag.appeal_state, flag.appealed_by) == ("pending", w.grid_worker)
    assert set(Notice.objects.filter(ticket=w.ticket, kind=NoticeKind.APPEAL_MADE)
               .values_list("unit", flat=True)) == {w.hc.pk, w.district.pk}


def test_another_grids_worker_and_the_street_may_not_appeal_it(grid_flagged):
    w = grid_flagged
    other_grid = Unit.objects.create(code="110101001001002", name="第2网格", kind="grid", parent=w.community)
    stranger = User.objects.create_user("gw2", password="pw", role=Role.GRID_WORKER, unit=other_grid)
    c = Client()
    c.force_login(stranger)
    assert c.post(reverse("quality_appeal_flag", args=[w.flag.pk]), {"reason": WHY}).status_code == 404
    assert w.ticket.number not in c.get(reverse("quality_board")).content.decode()
    c.force_login(w.street_staff)                                          # the street did not reply: not its flag
    assert c.post(reverse("quality_appeal_flag", args=[w.flag.pk]), {"reason": WHY}).status_code == 404
    assert ReplyFlag.objects.get(pk=w.flag.pk).appeal_state == ""


def test_appeal_notices_have_their_kinds_and_are_said_in_the_readers_language(flagged):
    w = flagged
    services.appeal_flag(w.street_staff, w.flag.pk, WHY)
    made = Notice.objects.get(ticket=w.ticket, unit=w.hc)
    assert made.kind == NoticeKind.APPEAL_MADE and Notice.objects.filter(kind=NoticeKind.SUPERVISE).count() == 0
    services.decide_appeal(w.supervisor, w.flag.pk, False, "经复核，答复包含办理结果，标记撤销")
    ruled = Notice.objects.get(ticket=w.ticket, unit=w.street)
    assert ruled.kind == NoticeKind.APPEAL_RULED
    c = Client()
    c.force_login(w.supervisor)                                            # a city supervisor reads the centre's
    c.cookies["django_language"] = "zh-hans"
    chinese = c.get("/notices/", {"kind": "appeal_made"}).content.decode()
    assert f'id="notice-{made.pk}"' in chinese and "答复质量申诉" in chinese and "提出申诉" in chinese
    c.cookies["django_language"] = "en"
    english = c.get("/notices/", {"kind": "appeal_made"}).content.decode()
    assert "Reply-quality appeal" in english and f"appeals the reply-quality flag on {w.ticket.number}" in english
    assert "提出申诉" not in english and WHY in english                   # the unit's reason as written
    c.force_login(w.street_staff)
    english = c.get("/notices/", {"kind": "appeal_ruled"}).content.decode()
    assert f'id="notice-{ruled.pk}"' in english and "Reply-quality appeal decided" in english
    assert f"Appeal on {w.ticket.number} granted" in english
    c.cookies["django_language"] = "zh-hans"
    assert "申诉裁决" in c.get("/notices/", {"kind": "appeal_ruled"}).content.decode()


def test_a_grid_worker_finds_the_board_in_the_menu(grid_flagged):
    w = grid_flagged
    c = Client()
    c.force_login(w.grid_worker)
    assert f'href="{reverse("quality_board")}"' in c.get(reverse("worklist")).content.decode()


def test_the_migration_gives_the_appeals_pending_before_it_their_decision_due(flagged):
    import importlib

    from django.apps import apps

    from jiesu.workcal.services import current_calendar

    w = flagged
    services.appeal_flag(w.street_staff, w.flag.pk, WHY, now=FRIDAY)
    ReplyFlag.objects.filter(pk=w.flag.pk).update(appeal_due_at=None)      # as appealed before the column
    migration = importlib.import_module("jiesu.quality.migrations.0006_appeal_decision_due")
    migration.due_of_pending(apps, None)
    assert ReplyFlag.objects.get(pk=w.flag.pk).appeal_due_at == at(2026, 12, 4, 16, 0)
    assert current_calendar().add_working_days(FRIDAY, 5) == at(2026, 12, 4, 16, 0)
