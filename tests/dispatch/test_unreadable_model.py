"""A desk model file that cannot be read (cut off, not a model): the engine answers with the cold start, not with
nothing, and the accuracy page (the file's path and the error for staff) and the desk say so."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.dispatch import engine, jobs, router, schedule, training
from jiesu.dispatch import services as desk
from jiesu.dispatch.classifier import TextClassifier
from jiesu.dispatch.engine import suggest
from jiesu.dispatch.models import RetrainRun, RetrainState, RetrainTrigger
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_accuracy_runs_and_rules import page
from .test_cli_retrain import _tickets
from .test_engine import model
from .test_retrain_schedule import NIGHT, in_process, scheduled  # noqa: F401  (fixture)
from .test_router_fixtures import dispatch_db  # noqa: F401  (fixture)

THE_ENGINES = engine.default_classifier  # desk_world stands a stub in for it: these tests need the real one


@pytest.fixture
def fresh_engine(monkeypatch):
    """No classifier cached in this process, before and after; a clock the test moves."""
    clock = [1000.0]
    monkeypatch.setattr(engine, "_clock", lambda: clock[0])
    engine._classifier.update(key=None, model=None, checked=None, failed=None, unreadable=None)
    yield clock
    engine.finish_reload(timeout=30)
    engine._classifier.update(key=None, model=None, checked=None, failed=None, unreadable=None)


def _notice(html):
    """The accuracy page's notice of a model file that cannot be read."""
    notice = html[html.index('id="acc-unreadable"'):]
    return notice[:notice.index("</li>")]


def _cut_off(path):
    """A real model file cut in half, as a copy interrupted midway leaves it."""
    model("desk-1").save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return len(data)


def test_a_cut_off_model_file_gives_the_cold_starts_suggestions_and_says_which_file(dispatch_db, settings, tmp_path,
                                                                                  fresh_engine, caplog,
                                                                                  monkeypatch):
    path = tmp_path / "desk.npz"
    whole = _cut_off(path)
    assert 0 < path.stat().st_size < whole
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    with caplog.at_level("WARNING", logger="jiesu.dispatch.engine"):
        found = suggest("王府井大街有人摆摊占道经营，早晚高峰堵路", address="东城区王府井大街")
    assert len(found) == 3 and found.cold_start and found.classifier.startswith("cold-start-")
    assert any("占道" in s.category.name for s in found)
    unreadable = engine.unreadable_model()
    assert unreadable.path == str(path) and str(path) in unreadable.error
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and str(path) in errors[0].getMessage() and "cold start" in errors[0].getMessage()
    loads, load = [], engine._load_file
    monkeypatch.setattr(engine, "_load_file", lambda where: loads.append(where) or load(where))
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    assert engine.is_cold_start(engine.default_classifier()) and loads == []  # the same file is not read again
    assert engine.unreadable_model() == unreadable
    model("desk-2").save(tmp_path / "new.npz")
    (tmp_path / "new.npz").replace(path)  # replaced (a retraining, a rollback): loaded at the next look
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    engine.default_classifier()
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier().version == "desk-2" and loads == [path]
    assert engine.unreadable_model() is None


def test_a_file_that_is_no_model_replacing_the_cold_start_leaves_it_and_says_so(dispatch_db, settings, tmp_path,
                                                                               fresh_engine):
    path = tmp_path / "desk.npz"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    cold = engine.default_classifier()  # no file yet: the cold start
    assert engine.is_cold_start(cold) and engine.unreadable_model() is None
    path.write_bytes(b"not a model at all")
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    assert engine.default_classifier() is cold  # the look answers at once; the file is read in a thread
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier() is cold and engine.unreadable_model().path == str(path)
    path.unlink()  # gone: the cold start, as before any model, and nothing to tell
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    assert engine.default_classifier() is cold and engine.unreadable_model() is None


def test_the_accuracy_page_and_the_desk_say_the_file_could_not_be_read(desk_world, settings, tmp_path, fresh_engine,
                                                                      monkeypatch):
    w = desk_world
    monkeypatch.setattr(engine, "default_classifier", THE_ENGINES)
    router.invalidate()
    path = tmp_path / "desk.npz"
    _cut_off(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path), "DISPATCH_MODEL_DIR": str(tmp_path)}
    ticket = new_ticket(w)
    panel = page(w.dispatcher, f"/dispatch/desk/{ticket.pk}/suggestions/")
    assert 'data-rank="1"' in panel and "data-unreadable" in panel  # suggestions, from the cold start
    assert "冷启动模型：模型文件无法读取" in panel and str(path) not in panel
    api = Client()
    api.force_login(w.dispatcher)
    answer = api.get(f"/api/v1/dispatch/tickets/{ticket.pk}/suggestions")
    assert answer.json()["cold_start"] and answer.json()["model"] == "unreadable"  # why, a code
    assert str(path) not in answer.content.decode() and "desk.npz" not in answer.content.decode()
    staff = User.objects.create_user("ops", password="pw", role=Role.ADMIN, is_staff=True)
    html = page(staff, "/dispatch/accuracy/")
    notice = _notice(html)
    assert "模型文件无法读取（文件不完整，或不是模型文件）：派单台改用冷启动模型" in notice
    assert f"<small>{path}：模型文件已损坏（.npz 压缩包不完整或已损坏）</small>" in notice  # for staff, in Chinese
    assert notice.count(str(path)) == 1  # the path once, from the error's words
    supervisor = page(w.supervisor, "/dispatch/accuracy/")
    assert 'id="acc-unreadable"' in supervisor and str(path) not in supervisor
    assert "damaged model file" in page(staff, "/dispatch/accuracy/", "en")
    english = page(staff, "/dispatch/accuracy/", "en")
    assert "The model file could not be read (cut off, or not a model): the desk uses the cold-start model" in english
    assert "Cold-start model: the model file could not be read" in page(
        w.dispatcher, f"/dispatch/desk/{ticket.pk}/suggestions/", "en")


def test_a_file_damaged_under_a_trained_model_is_told_on_the_accuracy_page(desk_world, settings, tmp_path,
                                                                          fresh_engine, monkeypatch):
    """The processes keep the model they loaded; a new one (a restart, the worker) would start on the cold start:
    staff are told, not only the server log."""
    w = desk_world
    monkeypatch.setattr(engine, "default_classifier", THE_ENGINES)
    router.invalidate()
    path = tmp_path / "desk.npz"
    model("desk-1").save(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path), "DISPATCH_MODEL_DIR": str(tmp_path),
                      "DISPATCH_RETRAIN_DAYS": 0}
    assert engine.default_classifier().version == "desk-1"
    _cut_off(path)
    loads, load = [], engine._load_file
    monkeypatch.setattr(engine, "_load_file", lambda where: loads.append(where) or load(where))
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    engine.default_classifier()
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier().version == "desk-1" and loads == [path]  # kept, the file tried once
    assert engine.unreadable_model().kept == "desk-1" and engine.unreadable_model().path == str(path)
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    assert engine.default_classifier().version == "desk-1" and loads == [path]  # not read again
    ticket = new_ticket(w)
    panel = page(w.dispatcher, f"/dispatch/desk/{ticket.pk}/suggestions/")
    assert "data-unreadable" not in panel  # the desk's suggestions are the trained model's
    staff = User.objects.create_user("ops", password="pw", role=Role.ADMIN, is_staff=True)
    notice = _notice(page(staff, "/dispatch/accuracy/"))
    assert 'data-kept="desk-1"' in notice
    assert ("磁盘上的模型文件已无法读取（文件不完整，或不是模型文件）：正在运行的派单台继续使用此前载入的模型（desk-1），"
            "但此时新启动的进程（重启后、后台任务）会改用冷启动模型。") in notice
    assert "需由管理员用 jiesu dispatch retrain 训练新模型" in notice  # no worker retrains it (days 0)
    assert f"<small>{path}：模型文件已损坏" in notice
    supervisor = _notice(page(w.supervisor, "/dispatch/accuracy/"))
    assert "继续使用此前载入的模型（desk-1）" in supervisor and str(path) not in supervisor
    assert "a process started now (a restart, the worker) would use the cold-start model" in _notice(
        page(w.supervisor, "/dispatch/accuracy/", "en"))
    model("desk-2").save(path)  # retrained: the notice goes
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    engine.default_classifier()
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier().version == "desk-2" and engine.unreadable_model() is None


@pytest.mark.django_db
def test_an_unreadable_model_file_counts_as_no_model_the_worker_trains_one_at_once_and_keeps_it_aside(
        desk_world, scheduled, monkeypatch, tmp_path):
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    weekly = desk.start_retrain_run(RetrainTrigger.WORKER, scheduled, now=NIGHT - timedelta(days=2))
    desk.finish_retrain_run(weekly, RetrainState.REPLACED, "", {}, now=NIGHT - timedelta(days=2, minutes=-3))
    model("desk-0").save(training.previous_path(scheduled))
    _cut_off(scheduled)
    damaged = scheduled.read_bytes()
    noon = NIGHT.replace(hour=12)
    plan = desk.retrain_schedule(noon)
    assert plan.first and plan.unreadable and plan.next_at == noon  # not the weekly run 5 days on
    assert jobs.train_first_model(spawn=lambda run_row: 0)[0] == "started"  # jiesu setup: no model present
    RetrainRun.objects.filter(trigger=RetrainTrigger.SETUP).delete()
    started = jobs.retrain_if_due(noon, spawn=in_process)  # daytime, as for a missing file
    row = RetrainRun.objects.get(pk=started["run"])
    assert row.state == RetrainState.REPLACED and row.result["unreadable_current"]
    assert TextClassifier.load(scheduled).meta["n_train"] == 10
    aside = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert [p.name[:len("desk.npz.unreadable-")] for p in aside] == ["desk.npz.unreadable-"]
    assert aside[0].read_bytes() == damaged and row.result["kept_aside"] == str(aside[0])  # kept, not deleted
    assert TextClassifier.load(training.previous_path(scheduled)).version == "desk-0"  # not overwritten by junk
    assert not desk.retrain_schedule(noon).first and jobs.retrain_if_due(noon + timedelta(hours=1)) is None


def test_the_accuracy_page_says_when_the_worker_trains_a_readable_model(desk_world, scheduled, fresh_engine,
                                                                       monkeypatch):
    w = desk_world
    monkeypatch.setattr(engine, "default_classifier", THE_ENGINES)
    router.invalidate()
    _cut_off(scheduled)
    html = page(w.supervisor, "/dispatch/accuracy/")
    notice, at = _notice(html), timezone.localtime(desk.retrain_schedule().next_at)
    assert "后台任务将按下文所述训练新模型，并把无法读取的文件另存备查" in notice
    assert "不等夜间" not in notice and 'data-unreadable="1"' in html  # the schedule's line says when, once
    schedule = html.split('id="acc-schedule"')[1].split("</p>")[0]
    assert "模型文件无法读取，按没有模型处理：后台任务不等夜间，立即用已办结工单训练新模型" in schedule
    assert f"下次：{at:%Y-%m-%d %H:%M} 起" in schedule


def test_rollback_keeps_a_damaged_current_file_aside_not_as_the_previous_model(tmp_path):
    path = tmp_path / "desk.npz"
    model("desk-1").save(training.previous_path(path))
    path.write_bytes(b"junk")
    done = training.rollback(path)
    assert TextClassifier.load(path).version == "desk-1" and done.replaced == "" and done.previous == ""
    assert done.kept_aside.startswith(str(path) + ".unreadable-") and Path(done.kept_aside).read_bytes() == b"junk"
    assert not training.previous_path(path).exists()
    with pytest.raises(training.RollbackRefused) as refused:  # nothing to go back to: said so, not "damaged"
        training.rollback(path)
    assert refused.value.code == "no_previous"


@pytest.mark.django_db
def test_a_model_damaged_within_a_day_of_the_run_that_made_it_is_trained_again_at_once(desk_world, scheduled):
    """The day between first-model tries is for a try that could not make one (too few tickets yet), not for
    a model a run put in place and that was damaged since (audit 7)."""
    noon = NIGHT.replace(hour=12)
    made = desk.start_retrain_run(RetrainTrigger.WORKER, scheduled, now=noon - timedelta(hours=2))
    desk.finish_retrain_run(made, RetrainState.REPLACED, "", {}, now=noon - timedelta(hours=1, minutes=50))
    _cut_off(scheduled)
    assert desk.retrain_schedule(noon).next_at == noon
    assert jobs.retrain_if_due(noon, spawn=lambda run_row: 0) is not None
    RetrainRun.objects.filter(state=RetrainState.RUNNING).update(state=RetrainState.SKIPPED)  # too few tickets
    assert desk.retrain_schedule(noon).next_at == noon + schedule.FIRST_MODEL_RETRY
    assert jobs.retrain_if_due(noon) is None
