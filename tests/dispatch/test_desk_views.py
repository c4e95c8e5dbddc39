"""The dispatcher's desk pages: the panel in the queue and on the ticket page, accept, accuracy; who may use them."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.dispatch import accuracy as figures
from jiesu.dispatch import duplicates, router
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import DispatchSuggestion
from jiesu.tickets.models import State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import GAS, VAGUE, desk_world  # noqa: F401  (fixture)
from .test_engine import model


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_the_queue_shows_three_suggestions_with_the_keys(desk_world, as_user):
    w = desk_world
    ticket = new_ticket(w)
    html = as_user(w.dispatcher).get("/dispatch/").content.decode()
    assert f'hx-get="/dispatch/desk/{ticket.pk}/suggestions/' in html  # engine not loaded yet: lazily
    desk.suggestions_for(ticket)  # now it is
    html = as_user(w.dispatcher).get("/dispatch/").content.decode()
    assert f'data-desk="{ticket.pk}"' in html and f'action="/dispatch/desk/{ticket.pk}/accept/"' in html
    for rank in (1, 2, 3):
        assert f'name="rank" value="{rank}"' in html
    assert "东华门街道" in html and "派单目录 #" in html and "89%" in html
    assert "<kbd>Enter</kbd>" in html and "dispatch/desk.js" in html
    assert "冷启动模型" not in html  # a trained model's percentages are calibrated
    assert 'href="/dispatch/accuracy/"' in html


def test_the_lazy_panel_and_who_may_see_it(desk_world, as_user, client):
    w = desk_world
    ticket = new_ticket(w)
    url = f"/dispatch/desk/{ticket.pk}/suggestions/"
    r = as_user(w.dispatcher).get(url)
    assert r.status_code == 200 and 'name="expect_category_1" value="01.01.01"' in r.content.decode()
    for user in (w.call_taker, w.street_staff, w.supervisor, w.citizen, w.callback_agent):
        assert as_user(user).get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert as_user(w.dispatcher).get("/dispatch/desk/999999/suggestions/").status_code == 404
    desk.accept(w.dispatcher, ticket, 1)  # dispatched meanwhile: no form to accept again
    html = as_user(w.dispatcher).get(url).content.decode()
    assert "该工单已不在待派单状态（已派单）" in html and "/accept/" not in html


def test_accept_from_the_page(desk_world, as_user):
    w = desk_world
    ticket = new_ticket(w, text=GAS, category_code="")
    client = as_user(w.dispatcher)
    panel = client.get(f"/dispatch/desk/{ticket.pk}/suggestions/").content.decode()
    assert 'class="desk-hold"' in panel and 'name="confirm"' in panel and "该工单内容像紧急事项（燃气泄漏" in panel
    form = {"rank": "1", "expect_category_1": w.gas.code, "expect_lead_1": str(w.dept2.pk), "next": "/dispatch/"}
    r = client.post(f"/dispatch/desk/{ticket.pk}/accept/", form)
    assert r.status_code == 302 and Ticket.objects.get(pk=ticket.pk).state == State.NEW  # not without confirming
    assert "请核实后勾选确认再按建议派单" in client.get("/dispatch/").content.decode()
    r = client.post(f"/dispatch/desk/{ticket.pk}/accept/", {**form, "confirm": "1"})
    assert r.status_code == 302 and r.url == "/dispatch/"
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED and ticket.lead_unit == w.dept2 and ticket.category == w.gas
    row = DispatchSuggestion.objects.get(ticket=ticket)
    assert row.source == "desk" and row.accepted_rank == 1 and row.by == w.dispatcher
    page = client.get("/dispatch/").content.decode()
    assert f"{ticket.number} 已按第 1 条建议派单" in page


def test_accept_refused_comes_back_as_a_message(desk_world, as_user):
    w = desk_world
    ticket = new_ticket(w)
    client = as_user(w.dispatcher)
    r = client.post(f"/dispatch/desk/{ticket.pk}/accept/", {"rank": "1", "expect_category_1": w.gas.code,
                                                            "next": "https://elsewhere.example/"})
    assert r.status_code == 302 and r.url == "/dispatch/"  # never off the site
    assert "建议已变化" in client.get("/dispatch/").content.decode()
    client.post(f"/dispatch/desk/{ticket.pk}/accept/", {"rank": "7"})
    assert "没有第 7 条建议" in client.get("/dispatch/").content.decode()
    client.post(f"/dispatch/desk/{ticket.pk}/accept/", {})  # nothing chosen
    assert "请先选择一条建议（第 1–3 条）" in client.get("/dispatch/").content.decode()
    assert as_user(w.call_taker).post(f"/dispatch/desk/{ticket.pk}/accept/", {"rank": "1"}).status_code == 403
    assert as_user(w.dispatcher).get(f"/dispatch/desk/{ticket.pk}/accept/").status_code == 405
    ticket.refresh_from_db()
    assert ticket.state == State.NEW and not DispatchSuggestion.objects.exists()


def test_the_dispatch_form_is_logged_too(desk_world, as_user):
    w = desk_world
    ticket = new_ticket(w)
    r = as_user(w.dispatcher).post(f"/tickets/{ticket.pk}/act/dispatch/", {
        "lead_unit": str(w.dept.pk), "category": w.category.code, "note": "", "next": "/dispatch/"})
    assert r.status_code == 302
    row = DispatchSuggestion.objects.get(ticket=ticket)
    assert row.overridden and row.lead_unit == w.dept and row.category_rank == 1 and row.source == "desk"


def test_the_ticket_page_carries_the_panel_for_dispatchers(desk_world, as_user):
    w = desk_world
    ticket = new_ticket(w)
    desk.suggestions_for(ticket)
    html = as_user(w.dispatcher).get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'data-desk="{ticket.pk}"' in html and f'hx-get="/intake-check/ticket/{ticket.pk}/"' in html
    html = as_user(w.supervisor).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-desk" not in html and "/intake-check/" not in html


def test_accuracy_page_and_roles(desk_world, as_user):
    w = desk_world
    desk.accept(w.dispatcher, new_ticket(w), 1)
    for user in (w.dispatcher, w.supervisor):
        r = as_user(user).get("/dispatch/accuracy/?weeks=4")
        html = r.content.decode()
        assert r.status_code == 200 and 'data-total="1"' in html and 'data-category="01.01.01"' in html
        assert '<b data-kpi="top1">100.0%</b>' in html and 'data-group="differed"' in html
    assert as_user(w.dispatcher).get("/dispatch/accuracy/?weeks=abc").status_code == 200
    html = as_user(w.dispatcher).get("/dispatch/accuracy/?weeks=1").content.decode()
    assert '<option value="1" selected>' in html  # the period shown is the one selected
    assert "派给了建议中的单位（第 1–3 条）" in html
    for user in (w.call_taker, w.street_staff, w.citizen, w.grid_worker):
        assert as_user(user).get("/dispatch/accuracy/").status_code == 403
    outside = User.objects.create_user("sup-xc", password="pw", role=Role.SUPERVISOR, unit=w.district_b)
    assert 'data-total="0"' in as_user(outside).get("/dispatch/accuracy/").content.decode()
    assert 'id="acc-models"' not in html  # one model only: nothing to compare
    guide = html[html.index('id="acc-thresholds"'):]
    assert "自动派单阈值参考" in guide and "按引擎首选的类别统计" in guide and "≥ 80%" in guide
    confidence = DispatchSuggestion.objects.get().confidence
    shown = [t for t in desk.GUIDE_THRESHOLDS if confidence >= t]
    assert guide.count("覆盖 100.0% · 正确 <b>100.0%</b>") == 2 * len(shown)  # all categories, and its own
    assert "/admin/dispatch/autodispatchrule/" not in guide  # the rules' admin link is for staff only
    w.supervisor.is_staff = True
    w.supervisor.save(update_fields=["is_staff"])
    staff = as_user(w.supervisor).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert "/admin/dispatch/autodispatchrule/" not in staff  # …who may see the rules
    w.supervisor.user_permissions.add(Permission.objects.get(codename="view_autodispatchrule"))
    staff = as_user(User.objects.get(pk=w.supervisor.pk)).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert '/admin/dispatch/autodispatchrule/">自动派单规则</a>' in staff


def test_a_slow_accuracy_report_is_shown_from_its_snapshot_and_counted_again_hourly(desk_world, as_user,
                                                                                    monkeypatch):
    """A city's millions of logged dispatches take seconds to count (bench/dispatch_accuracy.py): past
    KEEP_ROWS logged dispatches the report is kept, shown with when it was counted, and the worker counts it
    again."""
    from jiesu.dispatch import jobs
    from jiesu.dispatch.models import AccuracySnapshot

    w = desk_world
    desk.accept(w.dispatcher, new_ticket(w), 1)
    html = as_user(w.supervisor).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert 'data-total="1"' in html and "acc-computed" not in html and not AccuracySnapshot.objects.exists()
    monkeypatch.setattr(figures, "KEEP_ROWS", 0)  # every report counts as big
    as_user(w.supervisor).get("/dispatch/accuracy/?weeks=4")
    kept = AccuracySnapshot.objects.get()
    assert (kept.audience, kept.weeks) == ("city", 4)
    desk.accept(w.dispatcher, new_ticket(w), 1, confirm=True)  # logged after the snapshot (the same text: confirmed)
    for user in (w.supervisor, w.dispatcher):  # every city-wide user shares it
        html = as_user(user).get("/dispatch/accuracy/?weeks=4").content.decode()
        assert 'data-total="1"' in html and 'id="acc-computed"' in html and "（每小时更新）" in html
    english = as_user(w.dispatcher)
    english.cookies["django_language"] = "en"
    assert "Dispatched to a unit not suggested" in english.get("/dispatch/accuracy/?weeks=4").content.decode()
    outside = User.objects.create_user("sup-xc", password="pw", role=Role.SUPERVISOR, unit=w.district_b)
    assert 'data-total="0"' in as_user(outside).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert AccuracySnapshot.objects.filter(audience=f"unit:{w.district_b.pk}:supervisor").exists()
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert jobs.refresh_accuracy_snapshots(later) == {"refreshed": 2, "dropped": 0, "prepared": 0}
    html = as_user(w.supervisor).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert 'data-total="2"' in html  # counted again by the worker
    monkeypatch.setattr(figures, "KEEP_ROWS", 10**9)  # old dispatches left the window: small now, dropped
    assert jobs.refresh_accuracy_snapshots(later + timedelta(hours=1, minutes=1)) == {
        "refreshed": 0, "dropped": 2, "prepared": 0}
    monkeypatch.setattr(figures, "KEEP_ROWS", 0)
    as_user(w.supervisor).get("/dispatch/accuracy/?weeks=4")
    as_user(outside).get("/dispatch/accuracy/?weeks=4")
    AccuracySnapshot.objects.update(computed_at=timezone.now() - timedelta(hours=3))
    monkeypatch.setattr(figures, "KEEP_ROWS", 10**9)  # small again: counted live, the snapshot dropped
    html = as_user(w.supervisor).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert 'data-total="2"' in html and "acc-computed" not in html
    assert not AccuracySnapshot.objects.filter(audience="city").exists()
    assert jobs.refresh_accuracy_snapshots(timezone.now() + timedelta(days=8)) == {"refreshed": 0, "dropped": 1,
                                                                                  "prepared": 0}


def test_the_worker_counts_ahead_the_slow_reports_of_who_logged_in_lately(desk_world, as_user, monkeypatch):
    """At a city's scale a first visit would count for seconds: the worker counts the default report ahead for
    each audience with a member who logged in within a week, once the city has logged PREPARE_ROWS dispatches."""
    from jiesu.dispatch import jobs
    from jiesu.dispatch.models import AccuracySnapshot

    w = desk_world
    monkeypatch.setattr(jobs, "_prepared", {"at": None, "quick": {}})
    counted = []
    real_count = desk.counted_report
    monkeypatch.setattr(desk, "counted_report", lambda *a: counted.append(desk.audience(a[1])) or real_count(*a))
    now = timezone.now()
    desk.accept(w.dispatcher, new_ticket(w), 1)
    district_sup = User.objects.create_user("sup-dc", password="pw", role=Role.SUPERVISOR, unit=w.district,
                                            last_login=now - timedelta(days=2))
    User.objects.create_user("sup-xc", password="pw", role=Role.SUPERVISOR, unit=w.district_b,
                             last_login=now - timedelta(days=8))  # not seen for a week: not counted ahead
    User.objects.filter(pk=w.supervisor.pk).update(last_login=now - timedelta(hours=5))
    w.street_staff.last_login = now  # may not open the page
    w.street_staff.save()
    monkeypatch.setattr(figures, "KEEP_ROWS", 0)  # every report counts as big
    assert jobs.prepare_accuracy_snapshots(now) == 0 and counted == []  # 1 logged dispatch: a small city
    monkeypatch.setattr(desk, "PREPARE_ROWS", 1)
    assert jobs.prepare_accuracy_snapshots(now + timedelta(minutes=30)) == 0  # looked half an hour ago
    result = jobs.refresh_accuracy_snapshots(now + timedelta(hours=1))
    assert result == {"refreshed": 0, "dropped": 0, "prepared": 2}
    assert sorted(counted) == ["city", f"unit:{w.district.pk}:supervisor"]
    kept = {s.audience: s for s in AccuracySnapshot.objects.all()}
    assert kept["city"].weeks == desk.DEFAULT_WEEKS
    assert kept["city"].viewed_at == User.objects.get(pk=w.supervisor.pk).last_login
    html = as_user(district_sup).get("/dispatch/accuracy/").content.decode()
    assert 'id="acc-computed"' in html and 'data-total="1"' in html  # read from what the worker counted
    assert len(counted) == 2
    AccuracySnapshot.objects.all().delete()
    monkeypatch.setattr(figures, "KEEP_ROWS", 10**9)  # small: counted, not kept, and not again within a day
    assert jobs.prepare_accuracy_snapshots(now + timedelta(hours=2)) == 0 and len(counted) == 4
    assert not AccuracySnapshot.objects.exists()
    assert jobs.prepare_accuracy_snapshots(now + timedelta(hours=3)) == 0 and len(counted) == 4
    assert jobs.prepare_accuracy_snapshots(now + timedelta(hours=27)) == 0 and len(counted) == 6


def test_the_accuracy_page_compares_the_model_versions(desk_world, as_user):
    w = desk_world
    _t, old = desk.accept(w.dispatcher, new_ticket(w), 1)
    desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.dept.pk, [], "", w.category.code)
    DispatchSuggestion.objects.exclude(pk=old.pk).update(model_version="desk-2")
    DispatchSuggestion.objects.filter(pk=old.pk).update(model_version="desk-1",
                                                        at=timezone.now() - timedelta(days=3))
    html = as_user(w.supervisor).get("/dispatch/accuracy/?weeks=4").content.decode()
    assert "按模型" in html and "重新训练的模型是否比被替换的更好" in html
    table = html[html.index('id="acc-models"'):]
    assert table.index('data-model="desk-2"') < table.index('data-model="desk-1"')  # newest first
    newest = table[table.index('data-model="desk-2"'):table.index('data-model="desk-1"')]
    assert "0.0%" in newest and '<td class="num">1</td>' in newest


def test_the_accuracy_page_names_the_model_in_use_and_how_it_was_judged(desk_world, as_user, monkeypatch):
    from jiesu.dispatch import engine
    from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier

    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert 'id="acc-model" data-version="stub-1"' in html and "data-judged" not in html
    model = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        ["有人占道经营", "路边摆摊", "燃气泄漏", "燃气味很大"], ["01.01.01"] * 2 + ["01.01.02"] * 2, version="desk-7")
    model.meta.update(trained_at="2026-06-01T02:00:00+00:00", retraining={
        "n_holdout": 1000, "accuracy": 0.912, "top3": 0.97, "replaced": "desk-6", "replaced_accuracy": 0.9})
    monkeypatch.setattr(engine, "default_classifier", lambda ref=None: model)
    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert 'data-version="desk-7"' in html and "训练于 2026-06-01 10:00" in html and "4 件工单，2 个类别" in html
    assert "最新 1000 件工单上检验：首条建议正确 91.2%，前三条含正确类别 97.0%" in html
    assert "被替换的模型（desk-6）：90.0%。" in html and "冷启动" not in html
    cold = TextClassifier.from_keywords([("01.01.01", "占道经营"), ("01.01.02", "燃气泄漏")], version="cold-1")
    monkeypatch.setattr(engine, "default_classifier", lambda ref=None: cold)
    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert "冷启动模型" in html and "由 2 个类别的名称和关键词生成，尚未用工单训练" in html and "件工单，" not in html


def test_the_accuracy_page_shows_the_retraining_schedule_and_the_last_runs(desk_world, as_user, settings, tmp_path):
    from jiesu.dispatch.models import RetrainRun, RetrainState, RetrainTrigger

    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert "jiesu dispatch retrain" in html and 'id="acc-retrain"' not in html  # no model file named
    model_file = tmp_path / "desk.npz"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(model_file), "DISPATCH_RETRAIN_DAYS": 7,
                      "DISPATCH_RETRAIN_HOURS": (2, 6)}
    before = timezone.localtime()
    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert 'data-first="1"' in html and "后台任务不等夜间，立即用已办结工单训练第一个模型" in html
    assert any(f"下次：{at:%Y-%m-%d %H:%M} 起。" in html for at in (before, timezone.localtime()))  # no run yet: now
    model("desk-1").save(model_file)  # the model in use (junk bytes would count as no model)
    judged = desk.start_retrain_run(RetrainTrigger.WORKER, model_file)
    desk.finish_retrain_run(judged, RetrainState.KEPT, "the current model stays", {
        "n_holdout": 1000, "candidate": {"accuracy": 0.881}, "current": {"accuracy": 0.902},
        "rows": 10_000, "rows_chosen_by": "memory", "rows_peak_gb": 1.0, "free_gb": 1.4},
        now=judged.started_at + timedelta(minutes=3))
    skipped = desk.start_retrain_run(RetrainTrigger.COMMAND, model_file)
    desk.finish_retrain_run(skipped, RetrainState.SKIPPED, "only 3 tickets closed since the current model was trained",
                            {"refused": "few_unseen", "n": 3, "minimum": 20, "total": 900})
    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert "每 7 天在 02:00–06:00 之间用已办结工单自动重新训练" in html and 'data-first' not in html
    from jiesu.dispatch.schedule import next_retrain_at

    due = next_retrain_at(timezone.now(), desk.latest_retrain_start(), 7, (2, 6))  # a week on, at night
    assert due - timezone.now() > timedelta(days=6)
    assert f"下次：{timezone.localtime(due):%Y-%m-%d %H:%M} 起。" in html
    kept = html[html.index(f'data-run="{judged.pk}"'):]
    assert "定时（后台任务）" in kept and "保留当前模型" in kept and "3.0" in kept
    assert "新模型在最新 1000 件工单上首条建议正确 88.1%，当时在用的模型 90.2%" in kept
    assert "（可用内存 1.4 GB，训练最多用 10000 行，满额 20000 行）" in kept  # the machine held it back
    assert html.count('class="acc-rows"') == 1
    latest = html[html.index(f'data-run="{skipped.pk}"'):html.index(f'data-run="{judged.pk}"')]
    assert "命令" in latest and "未训练" in latest and 'title="only 3 tickets closed' not in latest  # staff only
    assert "当前模型训练以来只办结了 3 件工单，至少需要 20 件才能检验新模型。" in latest
    lost = desk.start_retrain_run(RetrainTrigger.WORKER, model_file)
    desk.finish_retrain_run(lost, RetrainState.LOST, "no result after 12 hours", {"lost": "timeout", "hours": 12})
    memory = desk.start_retrain_run(RetrainTrigger.COMMAND, model_file)
    desk.finish_retrain_run(memory, RetrainState.FAILED, "MemoryError: ", {"failed": "memory", "error": "MemoryError"})
    sized = desk.start_retrain_run(RetrainTrigger.WORKER, model_file)
    desk.finish_retrain_run(sized, RetrainState.FAILED, "MemoryError: ", {
        "failed": "memory", "error": "MemoryError", "rows": 14000, "rows_chosen_by": "memory", "rows_peak_gb": 1.4})
    odd = desk.start_retrain_run(RetrainTrigger.COMMAND, model_file)
    desk.finish_retrain_run(odd, RetrainState.FAILED, "RuntimeError: ?", {"failed": "other", "error": "RuntimeError"})
    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert "中断" in html and "12 小时后仍无结果。" in html
    assert "失败" in html and "训练时内存不足（演示城市约需 2.3 GB；设置 JIESU_DISPATCH_TRAIN_ROWS=10000 时约需 1.0 GB）；当前模型不变。" in html
    assert "训练时内存不足（本次最多 14000 行，约需 1.4 GB）：可将 JIESU_DISPATCH_TRAIN_ROWS 设得更小（10000 行约需 1.0 GB）；当前模型不变。" in html
    assert "RuntimeError" not in html  # no wording of its own: the command's words, for staff only (below)
    assert "因出错而中止；当前模型不变。管理员可在后台的“模型重新训练”记录中查看错误详情。" in html
    back = desk.start_retrain_run(RetrainTrigger.COMMAND, model_file)
    desk.finish_retrain_run(back, RetrainState.ROLLED_BACK, "back to desk-6", {"model_version": "desk-6"})
    html = as_user(desk_world.supervisor).get("/dispatch/accuracy/").content.decode()
    assert "已回退" in html and "回退到 desk-6" in html
    assert RetrainRun.objects.count() == 7


def test_the_api_shows_what_holds_a_ticket_and_its_refusal_speaks_of_confirm_true(desk_world, as_user):
    w = desk_world
    earlier, later = new_ticket(w), new_ticket(w, text="东华门大街又有人占道经营，还是没人管")
    duplicates.propose_merge(w.call_taker, later, earlier.pk)
    client = as_user(w.dispatcher)
    body = client.get(f"/api/v1/dispatch/tickets/{later.pk}/suggestions").json()
    assert body["holds"] == [{"kind": "merge", "ticket": earlier.number, "merged_into": None,
                              "message": f"受理时建议合并到工单 {earlier.number}，尚未决定。"}]
    assert body["model"] == "trained" and body["cold_start"] is False  # the desk world's stub: no cold start
    emergency = client.get(f"/api/v1/dispatch/tickets/{new_ticket(w, text=GAS).pk}/suggestions").json()
    assert [(h["kind"], h["ticket"]) for h in emergency["holds"]] == [("emergency", None)]
    assert emergency["holds"][0]["message"].startswith("该工单内容像紧急事项（燃气泄漏")
    assert client.get(f"/api/v1/dispatch/tickets/{earlier.pk}/suggestions").json()["holds"] == []
    r = client.post(f"/api/v1/dispatch/tickets/{later.pk}/accept", {"rank": 1}, content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "confirm"
    assert r.json()["message"] == (f'受理时建议合并到工单 {earlier.number}，尚未决定。核实后在请求中加上 "confirm": true，'
                                   "即可按建议派单。")  # no box to tick, no form: what the client sends
    client.cookies["django_language"] = "en"
    r = client.post(f"/api/v1/dispatch/tickets/{later.pk}/accept", {"rank": 1}, content_type="application/json")
    assert r.json()["message"].endswith('not yet decided. Check it, then send "confirm": true to dispatch it as '
                                        "suggested.")


def test_the_api_gives_and_accepts_suggestions(desk_world, as_user):
    w = desk_world
    ticket = new_ticket(w, text=GAS, category_code="")
    client = as_user(w.dispatcher)
    body = client.get(f"/api/v1/dispatch/tickets/{ticket.pk}/suggestions").json()
    assert [s["category"]["code"] for s in body["suggestions"]] == ["01.01.02", "01.01.01", "01.01.03"]
    assert body["classifier"] == "stub-1" and body["suggestions"][0]["explanation"]
    assert body["emergency"]["number"] == "119" and body["emergency"]["label"].startswith("燃气泄漏")
    plain = client.get(f"/api/v1/dispatch/tickets/{new_ticket(w).pk}/suggestions").json()
    assert plain["emergency"] is None and plain["suggestions"]
    r = client.post(f"/api/v1/dispatch/tickets/{ticket.pk}/accept",
                    {"rank": 1, "expect_category": "01.01.01"}, content_type="application/json")
    assert r.status_code == 409
    shown = {"rank": 1, "expect_category": "01.01.02", "expect_lead": w.dept2.pk}
    r = client.post(f"/api/v1/dispatch/tickets/{ticket.pk}/accept", shown, content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "confirm" and "燃气泄漏" in r.json()["message"]
    r = client.post(f"/api/v1/dispatch/tickets/{ticket.pk}/accept", {**shown, "confirm": "true"},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "confirm"  # a JSON boolean, not a string
    r = client.post(f"/api/v1/dispatch/tickets/{ticket.pk}/accept", {**shown, "confirm": True},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["lead"]["code"] == w.dept2.code and r.json()["accepted_rank"] == 1
    assert DispatchSuggestion.objects.get(pk=r.json()["log_id"]).source == "api"
    dispatched = Ticket.objects.get(pk=ticket.pk).events.get(kind="dispatch")
    assert dispatched.payload["emergency_wording"] == "119"  # dispatched despite the prompt: on the record
    other = new_ticket(w)
    for user in (w.call_taker, w.street_staff):
        assert as_user(user).post(f"/api/v1/dispatch/tickets/{other.pk}/accept", {"rank": 1},
                                  content_type="application/json").status_code == 403
        assert as_user(user).get(f"/api/v1/dispatch/tickets/{other.pk}/suggestions").status_code == 403
    missing = as_user(w.dispatcher).get("/api/v1/dispatch/tickets/999999/suggestions")
    assert missing.status_code == 404 and missing.json() == {"error": "not_found", "field": None,
                                                             "message": "没有找到该记录。"}
    for data, message in (({"rank": 0}, "建议序号（rank） 不能小于 1。"), ({"rank": "abc"}, "建议序号（rank） 必须是整数。"),
                          ({}, "请填写建议序号（rank）。"), ({"rank": True}, "建议序号（rank） 必须是整数。"),
                          ({"rank": "1"}, "建议序号（rank） 必须是整数。")):  # a schema's refusal, naming the field

        r = as_user(w.dispatcher).post(f"/api/v1/dispatch/tickets/{other.pk}/accept", data,
                                       content_type="application/json")
        assert r.status_code == 422 and (r.json()["field"], r.json()["message"]) == ("rank", message)
    english = as_user(w.dispatcher)
    english.cookies["django_language"] = "en"
    r = english.post(f"/api/v1/dispatch/tickets/{other.pk}/accept", {"rank": 0}, content_type="application/json")
    assert r.json()["message"] == "suggestion number (rank) must be at least 1."
    program = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")  # a program sends no cookie: Accept-Language counts
    program.force_login(w.dispatcher)
    r = program.post(f"/api/v1/dispatch/tickets/{other.pk}/accept", {"rank": 0}, content_type="application/json")
    assert r.json()["message"] == "suggestion number (rank) must be at least 1."
    assert "Accept-Language" in r.headers["Vary"]  # a shared cache keeps the languages apart
    chinese = Client()
    chinese.force_login(w.dispatcher)
    r = chinese.post(f"/api/v1/dispatch/tickets/{other.pk}/accept", "{", content_type="application/json")
    assert r.status_code == 400 and r.json() == {"error": "invalid", "field": None, "message": "请求内容不是有效的 JSON。"}
    nobody = Client(enforce_csrf_checks=True)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer nope"}):  # no login, or a token that is not (any more)
        r = nobody.post(f"/api/v1/dispatch/tickets/{other.pk}/accept", {"rank": 1}, content_type="application/json",
                        **headers)
        assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(w.dispatcher)
    r = forged.post(f"/api/v1/dispatch/tickets/{other.pk}/accept", {"rank": 1}, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"] == "csrf" and "刷新页面" in r.json()["message"]
    assert Ticket.objects.get(pk=other.pk).state == State.NEW
    page = forged.post(f"/dispatch/desk/{other.pk}/accept/", {"rank": 1})  # a page left open: the site's own 403
    assert page.status_code == 403 and "页面的安全令牌缺失或已过期，本次提交没有保存。" in page.content.decode()
    assert "<title>表单已过期" in page.content.decode()
    assert "CSRF verification failed" not in page.content.decode()
    assert Ticket.objects.get(pk=other.pk).state == State.NEW
    r = chinese.get("/api/v1/dispatch/locate", {"lon": "nan", "lat": "39.9"})
    assert r.status_code == 422 and (r.json()["field"], r.json()["message"]) == ("lon", "经度（lon） 必须是有限的数字。")
    r = as_user(w.dispatcher).post(f"/api/v1/dispatch/tickets/{other.pk}/accept", {"rank": 3, "confirm": True},
                                   content_type="application/json")  # shown at 4 %: under the one-key floor
    assert r.status_code == 200 and r.json()["lead"]["code"] == w.district.code


def test_the_form_starts_from_what_the_panel_names_for_the_tickets_category(desk_world, as_user):
    """The dispatch form below the panel is prefilled with the router's answer for the ticket's own category
    and place, co units included; where the catalogue has no duty, the district government (Art.12), as the
    panel says, not the street. A ticket without a category starts from its street."""
    w = desk_world
    gas = new_ticket(w, text=GAS, category_code=w.gas.code)
    consult = new_ticket(w, text="咨询：灵活就业人员如何缴纳社保？", category_code=w.consult.code)
    bare = new_ticket(w, text=VAGUE, category_code="")
    assert desk.form_route(gas) == (w.dept2, [w.street])
    assert desk.form_route(consult) == (w.district, [])
    assert desk.form_route(bare) == (w.street, [])
    assert [s.lead for s in desk.suggestions_for(consult) if s.category == w.consult] == [w.district]  # the panel

    html = as_user(w.dispatcher).get("/dispatch/").content.decode()

    def form_of(ticket):
        start = html.index(f'action="/tickets/{ticket.pk}/act/dispatch/"')
        return html[start:html.index("</form>", start)]

    gas_form, consult_form = form_of(gas), form_of(consult)
    assert f'name="lead_unit" value="{w.dept2.pk}"' in gas_form and f'value="{w.dept2.name}"' in gas_form
    assert f'name="co_units" value="{w.street.pk}"' in gas_form
    assert f'name="lead_unit" value="{w.district.pk}"' in consult_form and '<input type="hidden" name="co_units"' not in consult_form
    assert f'name="lead_unit" value="{w.street.pk}"' in form_of(bare)


def test_the_form_still_works_when_routing_fails(desk_world, as_user, monkeypatch, caplog):
    w = desk_world
    gas = new_ticket(w, text=GAS, category_code=w.gas.code)

    def broken():
        raise RuntimeError("reference data unreadable")

    monkeypatch.setattr(router, "reference", broken)
    with caplog.at_level("ERROR", logger="jiesu.dispatch.services"):
        assert desk.form_route(gas) == (w.street, [])
    assert "no route for ticket" in caplog.text


def test_the_panel_says_when_its_percentages_only_rank(world, as_user):  # noqa: F811
    """With no trained model the engine's classifier is the catalogue's cold start: the panel says so."""
    router.invalidate()
    ticket = new_ticket(world)
    try:
        html = as_user(world.dispatcher).get(f"/dispatch/desk/{ticket.pk}/suggestions/").content.decode()
    finally:
        router.invalidate()
    assert 'name="rank" value="1"' in html
    badge = html[html.index('class="desk-cold"'):]
    assert "冷启动模型（由类别名称和关键词生成）：百分比只用于排序" in badge  # the whole of it, on hovering
    assert badge.index(">冷启动模型：百分比仅供排序</span>") < badge.index('name="rank"')  # in the panel's head


def test_the_suggestion_log_in_the_back_office_is_searched_by_ticket_number_and_kept(desk_world, admin_client):
    w = desk_world
    ticket, row = desk.accept(w.dispatcher, new_ticket(w), 1)
    other, _row = desk.accept(w.dispatcher, new_ticket(w, text=GAS), 1, confirm=True)
    found = admin_client.get("/admin/dispatch/dispatchsuggestion/", {"q": ticket.number})
    assert found.status_code == 200
    html = found.content.decode()
    assert f"/admin/dispatch/dispatchsuggestion/{row.pk}/" in html and f"{_row.pk}/change/" not in html
    assert admin_client.get("/admin/dispatch/dispatchsuggestion/", {"q": "燃气"}).status_code == 200
    assert admin_client.get(f"/admin/dispatch/dispatchsuggestion/{row.pk}/delete/").status_code == 403
    assert DispatchSuggestion.objects.count() == 2


def test_the_panel_says_why_no_street_was_found(desk_world, as_user):
    """The dispatcher reads what to ask or choose (the locator's reason), not only 「位置不明」 in a suggestion."""
    w = desk_world
    unplaced = new_ticket(w, text="路灯坏了好几天", street_code="", address="火星大道1号")
    html = as_user(w.dispatcher).get(f"/dispatch/desk/{unplaced.pk}/suggestions/").content.decode()
    note = html.split('data-unplaced>')[1].split("</p>")[0]
    assert note.startswith("未能确定所在区：") and "12345热线中心" in note  # not even the district
    in_district = new_ticket(w, text="路灯坏了好几天", street_code="", address="东城区某某胡同12号")
    html = as_user(w.dispatcher).get(f"/dispatch/desk/{in_district.pk}/suggestions/").content.decode()
    assert html.split('data-unplaced>')[1].startswith("未能确定所在街道：")
    placed = new_ticket(w)
    assert "data-unplaced" not in as_user(w.dispatcher).get(f"/dispatch/desk/{placed.pk}/suggestions/").content.decode()


def test_a_place_the_address_gave_keeps_the_addresss_confidence_at_the_desk(desk_world):
    """A road crosses streets (0.74): the desk and auto-dispatch see that, not the stored street's name (0.99), while
    a street the call-taker chose stays certain."""
    w = desk_world
    from_address = new_ticket(w, street_code="", address="东城区王府井大街")
    assert from_address.place_source == "address" and from_address.street_id == w.street.pk
    found = desk.suggestions_for(from_address)
    assert found.place.confidence == pytest.approx(0.74) and "王府井大街" in found.place.reason
    chosen = new_ticket(w, address="东城区王府井大街")
    assert chosen.place_source == "chosen" and desk.suggestions_for(chosen).place.confidence > 0.95
