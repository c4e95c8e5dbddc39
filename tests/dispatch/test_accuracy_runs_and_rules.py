"""The accuracy page, auto-dispatch and the timeline (an audit's findings, 2026-12-06): only the desk's own model file's
retrainings count, the platform's own notes in the reader's language, the weeks chooser says what it corrected,
the rule form takes a category by name and a percentage, same-named categories are not the same category."""
import os
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from jiesu.accounts.groups import ensure_staff_groups
from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category
from jiesu.dispatch import duplicates, jobs, schedule
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AutoDispatchRule, RetrainRun, RetrainState, RetrainTrigger
from jiesu.tickets import services
from jiesu.tickets.models import State, TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import GAS_BILL, desk_world  # noqa: F401  (fixture)
from .test_duplicates_db import STALL_AGAIN
from .test_engine import model
from .test_retrain_schedule import NIGHT, _a_monday_ahead

pytestmark = pytest.mark.django_db


def page(user, url, lang="zh-hans"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client.get(url).content.decode()


@pytest.fixture
def desk_file(settings, tmp_path):
    """The desk's model file exists (the weekly schedule), named as the settings name it."""
    path = tmp_path / "desk.npz"
    model("desk-1").save(path)  # a model that reads: junk bytes count as no model
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path), "DISPATCH_RETRAIN_DAYS": 7,
                      "DISPATCH_RETRAIN_HOURS": (2, 6)}
    return path


def _run(path, state, result=None, at=NIGHT, reason=""):
    row = desk.start_retrain_run(RetrainTrigger.COMMAND, path, now=at)
    desk.finish_retrain_run(row, state, reason, result or {}, now=at + timedelta(minutes=2))
    row.refresh_from_db()
    return row


# ── finding 3: retrainings of other files are not the desk's ───────────────

def test_runs_of_other_model_files_neither_show_as_the_desks_nor_move_its_schedule(desk_file, desk_world, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    kept = _run("desk", RetrainState.KEPT, {"n_holdout": 50, "candidate": {"accuracy": 0.8}},
                at=NIGHT - timedelta(days=3))  # relative and without .npz: the same file as the settings'
    assert kept.model_path == str(desk_file)  # stored as the file itself
    scratch = _run(tmp_path / "T.csv", RetrainState.REPLACED, {"n_holdout": 1000, "candidate": {"accuracy": 0.982}},
                   at=NIGHT - timedelta(days=1))
    assert scratch.model_path == str(tmp_path / "T.csv.npz")
    failed = _run("/elsewhere/x.npz", RetrainState.FAILED, {"failed": "file", "error": "PermissionError"},
                  at=NIGHT - timedelta(hours=20), reason="PermissionError: '/elsewhere/x.npz.tmp'")
    assert [r.pk for r in desk.last_retrain_runs()] == [kept.pk]
    assert desk.latest_retrain_start() == kept.started_at and desk.retrains_failed_in_a_row() == 0
    assert not schedule.retrain_due(NIGHT, desk.latest_retrain_start(), 7, (2, 6))  # the desk's week still runs
    html = page(desk_world.supervisor, "/dispatch/accuracy/")
    assert f'data-run="{kept.pk}"' in html and f'data-run="{scratch.pk}"' not in html
    assert f'data-run="{failed.pk}"' not in html and "已启用新模型" not in html and "acc-retry" not in html
    assert "acc-other-runs" not in html  # the note on other files is for the back office's staff
    admin = User.objects.create_user("adm", password="pw", role=Role.ADMIN, unit=desk_world.hc, is_staff=True)
    assert "另有 2 次重新训练针对的不是派单台所用的模型文件" in page(admin, "/dispatch/accuracy/")
    assert RetrainRun.objects.count() == 3  # all kept, and listed in the back office with their file


def test_the_one_run_at_a_time_stays_global_and_names_the_other_file(desk_file, desk_world, tmp_path):
    """One training at a time on the machine (gigabytes each, the rows chosen from the memory free at its start):
    a run of another file holds the desk's back, and says which file it trains."""
    desk.start_retrain_run(RetrainTrigger.COMMAND, tmp_path / "scratch", pid=os.getpid())
    from django.utils import translation

    from jiesu.core.errors import Conflict

    with translation.override("zh-hans"), pytest.raises(Conflict, match="scratch.npz，不是派单台所用的模型"):
        desk.start_retrain_run(RetrainTrigger.WORKER, desk_file)
    assert jobs.retrain_if_due(NIGHT, spawn=lambda run_row: 1) is None  # tried at the worker's next pass


def test_a_refused_rollback_is_no_failed_retraining(desk_file, desk_world):
    _run(desk_file, RetrainState.KEPT, at=NIGHT - timedelta(days=3))
    refused = _run(desk_file, RetrainState.FAILED, {"refused": "no_previous"}, at=NIGHT - timedelta(days=1),
                   reason="there is no previous model")
    assert desk.retrains_failed_in_a_row() == 0 and desk.latest_retrain_start() == NIGHT - timedelta(days=3)
    assert refused.rollback_refused and desk.last_retrain_runs()[0].pk == refused.pk  # listed, as what it was
    html = page(desk_world.supervisor, "/dispatch/accuracy/")
    start = html.index(f'data-run="{refused.pk}"')
    row = html[start:html.index("</tr>", start)]
    assert "未回退" in row and "失败" not in row
    assert "acc-retry" not in html


def test_raw_error_texts_are_for_the_back_office_staff_only(desk_file, desk_world, admin_client):
    odd = _run(desk_file, RetrainState.FAILED, {"failed": "other", "error": "OSError"},
               reason="OSError: [Errno 5] /srv/jiesu/var/models/desk.npz.tmp")
    district_sup = User.objects.create_user("dsup", password="pw", role=Role.SUPERVISOR, unit=desk_world.district)
    for user in (district_sup, desk_world.supervisor, desk_world.dispatcher):
        html = page(user, "/dispatch/accuracy/")
        assert f'data-run="{odd.pk}"' in html and "/srv/jiesu" not in html and "OSError" not in html
        assert "因出错而中止；当前模型不变。" in html
    admin_client.cookies["django_language"] = "zh-hans"
    html = admin_client.get("/dispatch/accuracy/").content.decode()
    assert "<small>OSError: [Errno 5] /srv/jiesu/var/models/desk.npz.tmp</small>" in html
    listing = admin_client.get("/admin/dispatch/retrainrun/").content.decode()
    assert "/srv/jiesu/var/models/desk.npz.tmp" in listing  # the back office's record keeps the words


# ── finding 12: the retry's sentence says the date it gives ────────────────

def test_a_run_failed_in_the_evening_is_retried_on_the_date_the_page_says(desk_file, desk_world):
    evening = _a_monday_ahead().replace(hour=22, minute=3) - timedelta(days=1)  # Sunday 22:03, by command
    _run(desk_file, RetrainState.FAILED, {"failed": "memory"}, at=evening)
    plan = desk.retrain_schedule(evening + timedelta(hours=1))
    html = page(desk_world.supervisor, "/dispatch/accuracy/")
    at = f"{timezone.localtime(plan.next_at):%Y-%m-%d %H:%M}"
    assert f"上次重新训练未完成（失败或中断）：约一天后的夜间重试，即 {at} 起；最多连续重试 2 次。" in html
    english = page(desk_world.supervisor, "/dispatch/accuracy/", "en")
    assert f"it is tried again at night, about a day after it began: from {at}; at most 2 times in a row." in english
    assert "the next night" not in english


# ── finding 13: the weeks chooser says what it corrected ───────────────────

@pytest.mark.parametrize("given, shown", [("0", 1), ("-3", 1), ("abc", 12), ("4.5", 12), ("1000", 52),
                                          ("1" * 23, 52)])
def test_a_weeks_value_out_of_range_is_corrected_and_said(desk_world, given, shown):
    html = page(desk_world.supervisor, f"/dispatch/accuracy/?weeks={given}")
    assert 'id="acc-weeks-notice"' in html and f"<option value=\"{shown}\" selected>" in html
    assert f"“weeks={given[:24]}”不是 1 到 52 之间的周数：显示 {shown} 周。" in html
    english = page(desk_world.supervisor, f"/dispatch/accuracy/?weeks={given}", "en")
    assert f"is not a number of weeks from 1 to 52: showing {shown} week{'s' if shown > 1 else ''}." in english


@pytest.mark.parametrize("given", ["", "4", "52"])
def test_a_good_weeks_value_gets_no_notice(desk_world, given):
    assert 'id="acc-weeks-notice"' not in page(desk_world.supervisor, f"/dispatch/accuracy/?weeks={given}")


# ── finding 14: the accuracy page's words ──────────────────────────────────

def test_the_accuracy_pages_words(desk_world, monkeypatch):
    from jiesu.dispatch import engine
    from jiesu.dispatch.classifier import TextClassifier

    w = desk_world
    desk.accept(w.dispatcher, new_ticket(w), 1)
    html = page(w.supervisor, "/dispatch/accuracy/")
    assert "各比例只统计派单员的决定" in html and "调度员" not in html
    guide = html[html.index('id="acc-thresholds"'):]
    assert '<td title="01.01.01">城市管理 / 街面秩序 / 占道经营</td>' in guide  # the path, as the category table
    english = page(w.supervisor, "/dispatch/accuracy/", "en")
    assert "Returns after dispatch" in english and "退单" not in english
    cold = TextClassifier.from_keywords([("01.01.01", "占道经营"), ("01.01.02", "燃气泄漏")], version="cold-1")
    monkeypatch.setattr(engine, "default_classifier", lambda ref=None: cold)
    html = page(w.supervisor, "/dispatch/accuracy/")
    assert "由 2 个类别的名称和关键词生成，尚未用工单训练" in html and "训练于" not in html
    assert cold.meta.get("trained_at") is None or "生成于" in html


def test_the_first_level_groups_are_ordered_by_volume(desk_world):
    w = desk_world
    other = Category.objects.create(code="00", name="综合", level=1)
    leaf = Category.objects.create(code="00.01", name="其他", level=2, parent=other)
    desk.dispatch_and_log(w.dispatcher, new_ticket(w, category_code=""), w.street.pk, [], "", leaf.code)
    for _ in range(2):
        desk.accept(w.dispatcher, new_ticket(w), 1, confirm=True)  # the second says what the first says
    groups = [g["group"].code for g in desk.accuracy_report().groups]
    assert groups == ["01", "00"]  # 2 dispatches before 1, though "00" sorts first


# ── finding 4: the platform's own notes in the reader's language ───────────

def test_an_auto_dispatch_reads_in_the_readers_language(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    gas = new_ticket(w, text=GAS_BILL, category_code="")
    assert desk.auto_dispatch_new_tickets().tickets == [gas.pk]
    event = gas.events.get(kind="dispatch")
    assert event.payload["auto"] == {"rank": 1, "category": "燃气泄漏", "category_code": "01.01.02",
                                     "lead": w.dept2.name, "confidence": 0.92, "threshold": 0.8}
    assert event.note == f"系统自动派单：建议 #1「燃气泄漏」→ {w.dept2.name}，置信度 92% ≥ 阈值 80%"  # stored as ever
    english = page(w.dispatcher, f"/tickets/{gas.pk}/", "en")
    timeline = english[english.index('class="timeline"'):]
    assert f"Auto-dispatched: suggestion #1 “燃气泄漏” → {w.dept2.name}, confidence 92% ≥ threshold 80%" in timeline
    assert "系统自动派单" not in timeline and "System · " in timeline and "系统" not in timeline
    assert f"Lead unit: {w.dept2.name}; Co-handling units: {w.street.name}" in timeline and "；" not in timeline
    chinese = page(w.dispatcher, f"/tickets/{gas.pk}/")
    timeline = chinese[chinese.index('class="timeline"'):]
    assert event.note in timeline and "系统 · " in timeline  # as today
    assert f"主办单位：{w.dept2.name}；协办单位：{w.street.name}" in timeline


def test_a_persons_note_and_an_old_platform_note_stay_as_stored(desk_world):
    w = desk_world
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, w.street.pk, note="请尽快处理，市民情绪激动")
    old = new_ticket(w)
    services.dispatch(desk.system_user(), old, w.street.pk, note="系统自动派单：建议 #1「占道经营」→ 东华门街道，置信度 89% ≥ 阈值 80%")
    assert "请尽快处理，市民情绪激动" in page(w.dispatcher, f"/tickets/{ticket.pk}/", "en")
    english = page(w.dispatcher, f"/tickets/{old.pk}/", "en")
    assert "系统自动派单：建议 #1「占道经营」" in english  # written before its facts were kept: as stored
    assert "System · " in english  # the system user, named in the reader's language all the same


def test_the_same_callers_repeat_flag_reads_in_the_readers_language(world):
    earlier = new_ticket(world, citizen_phone="13812345678")
    again = new_ticket(world, text=STALL_AGAIN, citizen_phone="13812345678")
    duplicates.after_intake(world.call_taker, again)
    event = TicketEvent.objects.get(ticket=again, kind="duplicate_proposed")
    assert (event.payload["days"], event.payload["place_reason"]) == (0, "street")
    english = page(world.dispatcher, f"/tickets/{again.pk}/", "en")
    assert (f"The same caller reported this today ({earlier.number}, same street); not closed as a repeat at "
            "intake") in english and "同一来电人" not in english
    chinese = page(world.dispatcher, f"/tickets/{again.pk}/")
    assert event.note in chinese and event.note == f"同一来电人今天已反映（{earlier.number}，同街道），受理时未按重复诉求办结"
    TicketEvent.objects.filter(pk=event.pk).update(payload={**event.payload, "days": 3},
                                                   note=f"同一来电人 3 天前已反映（{earlier.number}，同街道），受理时未按重复诉求办结")
    assert f"The same caller reported this 3 days ago ({earlier.number}, same street)" in page(
        world.dispatcher, f"/tickets/{again.pk}/", "en")
    assert f"同一来电人 3 天前已反映（{earlier.number}，同街道）" in page(world.dispatcher, f"/tickets/{again.pk}/")


# ── finding 16: same-named categories are not the same category ────────────

def test_a_same_named_category_of_another_tree_is_not_auto_dispatched_for_the_call_takers(desk_world):
    w = desk_world
    gbt = Category.objects.create(code="90", name="国标分类", level=1)
    gbt_mid = Category.objects.create(code="90.09", name="市容", level=2, parent=gbt)
    twin = Category.objects.create(code="90.09.09006", name="占道经营", level=3, parent=gbt_mid,
                                   time_limit_class=w.general)
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    # the call-taker chose the other tree's 占道经营 (in the other street: the same words in one street would hold
    # `same` as its near duplicate, services.near_duplicate)
    chosen = new_ticket(w, category_code=twin.code, street_code=w.street_b.code)
    same = new_ticket(w)                            # …and here the engine's own (01.01.01)
    report = desk.auto_dispatch_new_tickets()
    assert report.category_differs == 1 and report.tickets == [same.pk]
    chosen.refresh_from_db()
    assert chosen.state == State.NEW and chosen.category_id == twin.pk  # a person decides; never swapped


# ── finding 15: the rule form ──────────────────────────────────────────────

def test_the_rule_form_takes_a_category_by_name_and_a_percentage(desk_world, client):
    w = desk_world
    ensure_staff_groups()
    lead = User.objects.create_user("lead", password="pw", role=Role.DISPATCHER, unit=w.hc, is_staff=True)
    lead.groups.add(Group.objects.get(name="派单目录维护"))
    client.force_login(lead)
    client.cookies["django_language"] = "zh-hans"
    form = client.get("/admin/dispatch/autodispatchrule/add/").content.decode()
    assert f'<option value="{w.category.pk}">占道经营 — 城市管理 / 街面秩序 · 01.01.01</option>' in form
    assert "vForeignKeyRawIdAdminField" not in form and "置信度阈值（百分比）" in form
    refused = client.post("/admin/dispatch/autodispatchrule/add/", {"category": w.category.pk, "threshold": "0.6"})
    said = refused.content.decode()
    assert "请以 50 到 100 之间的百分比输入阈值，例如 80 表示 80%（0.6 像是小数：60% 应输入 60）" in said
    assert not AutoDispatchRule.objects.exists()
    done = client.post("/admin/dispatch/autodispatchrule/add/",
                       {"category": w.category.pk, "threshold": "60", "enabled": "on"})
    assert done.status_code == 302
    rule = AutoDispatchRule.objects.get()
    assert rule.threshold == 0.6 and rule.enabled and str(rule) == "占道经营 ≥ 60%"
    change = client.get(f"/admin/dispatch/autodispatchrule/{rule.pk}/change/").content.decode()
    assert 'name="threshold" value="60"' in change
    listing = client.get("/admin/dispatch/autodispatchrule/").content.decode()
    assert 'name="form-0-threshold" value="60"' in listing and "城市管理 / 街面秩序" in listing
    post = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": str(rule.pk),
            "form-0-threshold": "85", "form-0-enabled": "on", "_save": "1"}
    assert client.post("/admin/dispatch/autodispatchrule/", post).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 0.85


# ── finding 17: the Chinese admin index ────────────────────────────────────

def test_the_chinese_admin_index_has_chinese_table_captions(admin_client):
    admin_client.cookies["django_language"] = "zh-hans"
    html = admin_client.get("/admin/").content.decode()
    assert "Model name" not in html and "Add link" not in html and "Change or view list link" not in html
    assert "模型名称" in html and "修改或查看列表链接" in html
