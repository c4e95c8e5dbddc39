"""The worker's weekly retraining: started at night as a process of its own, recorded, one at a time; a run
whose process died is marked lost; the command records its runs too."""
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management.base import CommandError
from django.utils import translation

from jiesu.dispatch import jobs, schedule, services as desk, training
from jiesu.dispatch.classifier import TextClassifier
from jiesu.dispatch.models import RetrainRun, RetrainState, RetrainTrigger
from jiesu.tickets import jobs as worker_jobs
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import point_children_at_the_test_database

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_cli_retrain import _tickets
from .test_cli_train import run
from .test_engine import model

BEIJING = ZoneInfo("Asia/Shanghai")


def _a_monday_ahead(days=14):
    """A Monday 03:00 Beijing time at least `days` ahead, for the page tests: the accuracy page plans from the real
    clock and says a night already past as "from now" (NIGHT, fixed, made them fail from 2026-12-08 on)."""
    day = datetime.now(BEIJING).date() + timedelta(days=days)
    day += timedelta(days=-day.weekday() % 7)
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=BEIJING)


NIGHT = datetime(2026, 12, 7, 3, 0, tzinfo=BEIJING)  # a Monday, 03:00 local: in the default 02:00–06:00 window


@pytest.fixture
def scheduled(settings, tmp_path):
    """The worker retrains tmp_path/desk.npz weekly, 02:00–06:00."""
    path = tmp_path / "desk.npz"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path), "DISPATCH_RETRAIN_DAYS": 7,
                      "DISPATCH_RETRAIN_HOURS": (2, 6)}
    return path


def in_process(run_row):
    """The retrain command the worker would start, carried out in this process (the test database's
    transaction is not visible to another process); returns a pid as the real spawn does."""
    try:
        run("retrain", "--model", run_row.model_path, "--run", str(run_row.pk))
    except CommandError:
        pass  # recorded on the run
    return os.getpid()


def test_the_window_and_the_week():
    assert schedule.in_hours(3, (2, 6)) and not schedule.in_hours(6, (2, 6)) and not schedule.in_hours(1, (2, 6))
    assert schedule.in_hours(23, (22, 4)) and schedule.in_hours(1, (22, 4)) and not schedule.in_hours(12, (22, 4))
    assert schedule.in_hours(12, (0, 0))  # 0-24: any hour
    assert schedule.retrain_due(NIGHT, None, 7, (2, 6))
    assert not schedule.retrain_due(NIGHT.replace(hour=12), None, 7, (2, 6))
    assert not schedule.retrain_due(NIGHT, NIGHT - timedelta(days=3), 7, (2, 6))
    # last week's run began at 05:30; this week's may begin at 02:00, not only after 05:30
    assert schedule.retrain_due(NIGHT.replace(hour=2), NIGHT - timedelta(days=7) + timedelta(hours=2, minutes=30),
                            7, (2, 6))
    assert not schedule.retrain_due(NIGHT, NIGHT - timedelta(days=6, hours=19), 7, (2, 6))
    assert jobs.retrain_log_path("var/models/desk.npz").as_posix() == "var/models/desk.retrain.log"
    # the first model (no file yet): at any hour, a day after the latest attempt
    noon = NIGHT.replace(hour=12)
    assert schedule.retrain_due(noon, None, 7, (2, 6), first=True)
    assert not schedule.retrain_due(noon, noon - timedelta(hours=23), 7, (2, 6), first=True)
    assert schedule.retrain_due(noon, noon - timedelta(days=1), 7, (2, 6), first=True)


def test_when_the_next_retraining_is_due():
    noon = NIGHT.replace(hour=12)
    assert schedule.next_retrain_at(NIGHT, None, 7, (2, 6)) == NIGHT  # never run, in the window: now
    assert schedule.next_retrain_at(noon, None, 7, (2, 6)) == NIGHT.replace(hour=2) + timedelta(days=1)
    # run Monday 03:00: due from the next Monday 23:00 less the 4-hour window, i.e. that night from 02:00
    assert schedule.next_retrain_at(noon, NIGHT, 7, (2, 6)) == NIGHT.replace(hour=2) + timedelta(days=7)
    assert schedule.next_retrain_at(noon, NIGHT, 7, (22, 4)) == NIGHT + timedelta(days=7) - timedelta(hours=5)  # Sun 22:00
    assert schedule.next_retrain_at(noon, None, 7, (2, 6), first=True) == noon
    assert schedule.next_retrain_at(noon, NIGHT, 7, (2, 6), first=True) == NIGHT + timedelta(days=1)
    for now, last, hours in ((noon, NIGHT, (2, 6)), (NIGHT, None, (0, 0)), (noon, NIGHT, (22, 4))):
        due = schedule.next_retrain_at(now, last, 7, hours)
        assert schedule.retrain_due(due, last, 7, hours)
        assert not schedule.retrain_due(due - timedelta(minutes=1), last, 7, hours) or due == now


def test_a_failed_or_lost_run_is_tried_again_the_next_night_twice_at_most():
    week, hours = 7, (2, 6)
    tomorrow = NIGHT + timedelta(days=1)
    assert not schedule.retrain_due(tomorrow, NIGHT, week, hours)  # it ended with a result: a week
    assert schedule.retrain_due(tomorrow, NIGHT, week, hours, failed=1)
    assert schedule.retrain_due(tomorrow.replace(hour=2), NIGHT, week, hours, failed=2)  # from the window's start
    assert not schedule.retrain_due(tomorrow.replace(hour=12), NIGHT, week, hours, failed=1)  # at night only
    assert not schedule.retrain_due(tomorrow, NIGHT, week, hours, failed=3)  # three in a row: the week counts
    assert not schedule.retrain_due(NIGHT + timedelta(hours=12), NIGHT, week, hours, failed=1)
    noon = NIGHT.replace(hour=12)
    assert schedule.next_retrain_at(noon, NIGHT, week, hours, failed=1) == tomorrow.replace(hour=2)
    assert schedule.next_retrain_at(noon, NIGHT, week, hours, failed=3) == NIGHT.replace(hour=2) + timedelta(days=7)
    assert schedule.cadence(1, 1) == 1 and schedule.cadence(14, 2) == 1 and schedule.cadence(14, 0) == 14


@pytest.mark.django_db
def test_the_worker_and_the_page_count_the_failed_runs_in_a_row(scheduled, client, desk_world):
    night = _a_monday_ahead()  # the page plans from the real clock
    model("desk-1").save(scheduled)  # a model file exists: the weekly schedule, not the first model's
    for k, (state, details) in enumerate([(RetrainState.KEPT, {}), (RetrainState.FAILED, {"failed": "memory"}),
                                          (RetrainState.LOST, {"lost": "ended"})]):
        row = desk.start_retrain_run(RetrainTrigger.WORKER, scheduled, now=night - timedelta(days=2 - k))
        desk.finish_retrain_run(row, state, "", details, now=night - timedelta(days=2 - k, hours=-1))
    assert desk.retrains_failed_in_a_row() == 2
    plan = desk.retrain_schedule(night.replace(hour=12))
    assert (plan.failed, plan.retries) == (2, 2) and plan.next_at == night.replace(hour=2) + timedelta(days=1)
    client.force_login(desk_world.supervisor)
    html = client.get("/dispatch/accuracy/").content.decode()
    assert 'id="acc-retry" data-failed="2"' in html
    tomorrow = f"{night + timedelta(days=1):%Y-%m-%d} 02:00"  # the night after the lost run: the date said
    assert f"上次重新训练未完成（失败或中断）：约一天后的夜间重试，即 {tomorrow} 起；最多连续重试 2 次。" in html
    assert "下次：" not in html  # said once, in the retry's sentence
    assert jobs.retrain_if_due(night + timedelta(days=1), spawn=lambda run_row: 4444)["pid"] == 4444
    third = RetrainRun.objects.get(pid=4444)
    desk.finish_retrain_run(third, RetrainState.FAILED, "", {"failed": "database"})
    assert desk.retrains_failed_in_a_row() == 3
    assert jobs.retrain_if_due(night + timedelta(days=2), spawn=lambda run_row: 4545) is None  # the week counts
    assert desk.retrain_schedule(night).next_at.date() == (night + timedelta(days=8)).date()
    assert "acc-retry" not in client.get("/dispatch/accuracy/").content.decode()


def test_settings_read_the_schedule_from_the_environment(tmp_path):
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.JIESU['DISPATCH_RETRAIN_DAYS'], settings.JIESU['DISPATCH_RETRAIN_HOURS'])")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="jiesu.settings", JIESU_DISPATCH_RETRAIN_DAYS="14",
               JIESU_DISPATCH_RETRAIN_HOURS="22-4")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["14", "(22,", "4)"]
    env["JIESU_DISPATCH_RETRAIN_HOURS"] = "2到6"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "JIESU_DISPATCH_RETRAIN_HOURS='2到6': expected hours as START-END" in bad.stderr


def test_the_training_rows_setting_bounds_the_commands_memory(settings):
    from jiesu.dispatch.management.commands.dispatch import Command

    code = "import django; django.setup(); from django.conf import settings; print(settings.JIESU['DISPATCH_TRAIN_ROWS'])"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="jiesu.settings", JIESU_DISPATCH_TRAIN_ROWS="10000")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "10000"
    for unset in ("auto", ""):
        env["JIESU_DISPATCH_TRAIN_ROWS"] = unset
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "None"  # chosen from the free memory when a training starts
    env["JIESU_DISPATCH_TRAIN_ROWS"] = "10k"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "JIESU_DISPATCH_TRAIN_ROWS='10k': expected a whole number, or auto" in refused.stderr
    settings.JIESU = {**settings.JIESU, "DISPATCH_TRAIN_ROWS": 10_000}
    parser = Command().create_parser("jiesu", "dispatch")
    opts = vars(parser.parse_args(["retrain", "--model", "m.npz"]))
    command = Command()
    config = command._config(opts, calibrate=True)
    assert config.kernel_max_rows == 10_000 and command.rows.chosen_by == "setting"  # the worker's runs too
    assert training.read_budget(config) == 20_000
    config = command._config({**opts, "kernel_max_rows": 3_000}, calibrate=True)  # --kernel-rows wins
    assert config.kernel_max_rows == 3_000


def test_without_a_setting_the_training_rows_follow_the_free_memory(settings, monkeypatch):
    from jiesu.dispatch import memory
    from jiesu.dispatch.management.commands.dispatch import Command

    settings.JIESU = {**settings.JIESU, "DISPATCH_TRAIN_ROWS": None}
    monkeypatch.setattr(memory, "free_bytes", lambda: 2e9)
    with translation.override("en"):  # the help texts are worded as the parser is built and prints
        parser = Command().create_parser("jiesu", "dispatch")
        said = " ".join(parser._subparsers._group_actions[0].choices["retrain"].format_help().split())
    assert "now: 14,000 rows, about 1.4 GB; 0 = never" in said
    command = Command()
    config = command._config(vars(parser.parse_args(["retrain", "--model", "m.npz"])), calibrate=True)
    assert config.kernel_max_rows == 14_000 and command.rows.as_dict() == {
        "rows": 14_000, "rows_chosen_by": "memory", "rows_peak_gb": 1.4, "free_gb": 2.0}
    assert command.rows.sentence() == ("training rows: up to 14,000 (about 1.4 GB), chosen from the free memory "
                                       "(2.0 GB); JIESU_DISPATCH_TRAIN_ROWS sets them")


@pytest.mark.django_db
def test_nothing_is_scheduled_without_a_model_file_or_with_days_0(settings, scheduled):
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": ""}
    assert jobs.retrain_if_due(NIGHT, spawn=in_process) is None
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(scheduled), "DISPATCH_RETRAIN_DAYS": 0}
    assert jobs.retrain_if_due(NIGHT, spawn=in_process) is None
    assert not RetrainRun.objects.exists()


@pytest.mark.django_db
def test_the_first_model_is_trained_at_once_then_weekly_at_night(desk_world, scheduled, monkeypatch):
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    noon = NIGHT.replace(hour=12)
    started = jobs.retrain_if_due(noon, spawn=in_process)  # no model yet: not waiting for the night
    first = RetrainRun.objects.get()
    assert started == {"run": first.pk, "pid": os.getpid()}
    assert first.state == RetrainState.REPLACED and first.trigger == RetrainTrigger.WORKER
    assert first.result["promoted"] and first.result["n_holdout"] == 2 and first.finished_at is not None
    assert TextClassifier.load(scheduled).meta["n_train"] == 10
    assert jobs.retrain_if_due(noon + timedelta(days=7), spawn=in_process) is None  # a model now: daytime
    assert jobs.retrain_if_due(NIGHT + timedelta(days=1), spawn=in_process) is None  # not a week yet
    # a week later, at night, nothing closed since: recorded as not trained, with the reason; the model stays
    again = jobs.retrain_if_due(NIGHT + timedelta(days=7, hours=24), spawn=in_process)
    second = RetrainRun.objects.get(pk=again["run"])
    assert second.state == RetrainState.SKIPPED
    assert "only 0 tickets closed since the current model was trained" in second.reason
    assert second.result == {"refused": "few_unseen", "n": 0, "minimum": 2, "total": 10}  # for the page
    assert desk.last_retrain_runs() == [second, first]


@pytest.mark.django_db
def test_without_tickets_the_first_model_is_tried_again_a_day_later(desk_world, scheduled):
    noon = NIGHT.replace(hour=12)
    tried = jobs.retrain_if_due(noon, spawn=in_process)
    assert RetrainRun.objects.get(pk=tried["run"]).result == {"refused": "no_tickets"}
    assert not scheduled.exists()
    assert jobs.retrain_if_due(noon + timedelta(hours=23), spawn=in_process) is None
    assert desk.retrain_schedule(noon + timedelta(hours=23)).next_at == noon + timedelta(days=1)
    assert desk.retrain_schedule(noon).first
    assert jobs.retrain_if_due(noon + timedelta(days=1), spawn=in_process)["run"] != tried["run"]


@pytest.mark.django_db
def test_the_worker_pass_runs_the_retraining_job(scheduled, monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "spawn_retrain", lambda run_row: started.append(run_row.pk) or 4242)
    results = worker_jobs.run_pass(NIGHT)
    assert results["retrain"] == {"run": started[0], "pid": 4242}
    assert RetrainRun.objects.get().pid == 4242


@pytest.mark.django_db
def test_one_run_at_a_time_and_a_dead_one_is_marked_lost(scheduled, settings):
    # the command reads the clock: a run started at NIGHT must not time out by the day the suite runs, only its
    # process (alive, then dead) may decide here
    settings.JIESU = {**settings.JIESU, "DISPATCH_RETRAIN_TIMEOUT_HOURS": 24 * 365 * 100}
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stuck = desk.start_retrain_run(RetrainTrigger.COMMAND, scheduled, now=NIGHT - timedelta(hours=1),
                                   pid=os.getpid())
    with pytest.raises(CommandError, match=f"第 {stuck.pk} 次重新训练正在进行（开始于 2026-12-07 02:00），请等它结束"):
        run("retrain", "--model", str(scheduled), lang="zh-hans")
    assert jobs.retrain_if_due(NIGHT, spawn=in_process) is None  # this process is alive: still running
    RetrainRun.objects.filter(pk=stuck.pk).update(pid=dead.pid)
    assert jobs.retrain_if_due(NIGHT, spawn=in_process) is None  # lost: tried again the next night, not sooner
    stuck.refresh_from_db()
    assert stuck.state == RetrainState.LOST and f"pid {dead.pid}) ended without a result" in stuck.reason
    assert stuck.result == {"lost": "ended", "pid": dead.pid}
    assert jobs.retrain_if_due(NIGHT + timedelta(days=1), spawn=lambda run_row: 4343)["pid"] == 4343


@pytest.mark.django_db
def test_a_run_killed_while_no_worker_runs_blocks_nobody_and_shows_as_lost(scheduled, world, client):
    """`jiesu dispatch retrain` by hand, killed, with no worker (`jiesu run --no-worker`) to mark it lost: the
    next run's start and the accuracy page look themselves."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = desk.start_retrain_run(RetrainTrigger.COMMAND, scheduled, now=NIGHT - timedelta(hours=1), pid=dead.pid)
    again = desk.start_retrain_run(RetrainTrigger.COMMAND, scheduled, now=NIGHT, pid=os.getpid())
    killed.refresh_from_db()
    assert killed.state == RetrainState.LOST and again.state == RetrainState.RUNNING
    RetrainRun.objects.filter(pk=again.pk).update(pid=dead.pid)
    client.force_login(world.dispatcher)
    assert client.get("/dispatch/accuracy/").status_code == 200
    assert RetrainRun.objects.get(pk=again.pk).state == RetrainState.LOST
    assert desk.retrain_running() is None


@pytest.mark.django_db
def test_a_run_without_a_result_for_12_hours_is_lost(scheduled):
    old = desk.start_retrain_run(RetrainTrigger.WORKER, scheduled, now=NIGHT - timedelta(hours=13))
    RetrainRun.objects.filter(pk=old.pk).update(host="another-machine", pid=1)
    assert desk.abandon_lost_retrain_runs(NIGHT - timedelta(hours=2)) == 0  # another machine's, still in time
    assert desk.abandon_lost_retrain_runs(NIGHT) == 1
    old.refresh_from_db()
    assert old.state == RetrainState.LOST and old.reason == "no result after 12 hours"
    assert old.result == {"lost": "timeout", "hours": 12}


@pytest.mark.django_db
def test_the_command_records_its_runs_and_refuses_a_run_not_waiting(desk_world, scheduled):
    with pytest.raises(CommandError, match="no closed ticket with a dispatcher-confirmed category"):
        run("retrain", "--model", str(scheduled))
    done = RetrainRun.objects.get()
    assert done.trigger == RetrainTrigger.COMMAND and done.state == RetrainState.SKIPPED
    assert done.pid == os.getpid() and "no closed ticket" in done.reason and done.result == {"refused": "no_tickets"}
    with pytest.raises(CommandError, match=f"第 {done.pk} 次重新训练已不在等待执行（未训练）"):
        run("retrain", "--model", str(scheduled), "--run", str(done.pk), lang="zh-hans")
    with pytest.raises(CommandError, match="没有第 999 次重新训练"):
        run("retrain", "--model", str(scheduled), "--run", "999", lang="zh-hans")
    with pytest.raises(CommandError, match="--C and --alpha must be positive"):
        run("retrain", "--model", str(scheduled), "--alpha", "0")
    assert RetrainRun.objects.count() == 1  # a bad option records no run


@pytest.mark.django_db
def test_setup_trains_the_first_model_in_the_background(desk_world, scheduled, settings, monkeypatch):
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)
    assert jobs.train_first_model(spawn=in_process) == ("no_tickets", {})
    _tickets(desk_world, desk_world.category.code, desk_world.gas.code)
    busy = desk.start_retrain_run(RetrainTrigger.COMMAND, scheduled, pid=os.getpid())
    assert jobs.train_first_model(spawn=in_process) == ("running", {"run": busy.pk})
    desk.finish_retrain_run(busy, RetrainState.FAILED, "stopped")
    outcome, figures = jobs.train_first_model(spawn=in_process)
    run_row = RetrainRun.objects.get(pk=figures["run"])
    assert outcome == "started" and figures["log"] == str(jobs.retrain_log_path(scheduled))
    assert run_row.trigger == RetrainTrigger.SETUP and run_row.state == RetrainState.REPLACED
    assert TextClassifier.load(scheduled).meta["n_train"] == 10
    assert jobs.train_first_model(spawn=in_process) == ("present", {"path": str(scheduled)})
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(scheduled.with_suffix(""))}  # .npz added, as save does
    assert jobs.train_first_model(spawn=in_process) == ("present", {"path": str(scheduled)})
    assert not desk.retrain_schedule().first and jobs.retrain_if_due(NIGHT.replace(hour=12)) is None
    assert jobs.first_model_line("present", {"path": "m.npz"}) == "dispatch model: m.npz in use"
    assert figures["rows"].startswith("training rows: up to ")
    started = jobs.first_model_line("started", {"run": 3, "pid": 77, "log": "x.log", "rows": "training rows: …"})
    assert "run #3, pid 77" in started and "training rows: …; output in x.log" in started
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": ""}
    assert jobs.train_first_model(spawn=in_process) == ("off", {})
    with translation.override("zh-hans"):
        assert str(run_row.get_trigger_display()) == "初始化（首个模型）"


@pytest.mark.django_db(transaction=True)
def test_the_worker_starts_a_real_retrain_process_that_records_its_end(scheduled, monkeypatch):
    point_children_at_the_test_database(monkeypatch)
    monkeypatch.setenv("JIESU_LANG", "zh-hans")  # the worker's environment: its command's lines in Chinese
    started = jobs.retrain_if_due(NIGHT)
    child = jobs._children[-1]
    assert child.pid == started["pid"]
    names = [Path(arg).name for arg in child.args]
    assert names[:7] == ["choom", "-n", "500", "--", "nice", "-n", "10"]  # yields CPU, and memory first
    assert child.wait(timeout=120) != 0  # nothing to train on: the command stops with its message
    done = RetrainRun.objects.get(pk=started["run"])
    assert done.state == RetrainState.SKIPPED and done.pid == child.pid
    assert done.reason == "no closed ticket with a dispatcher-confirmed category"  # stored in English, as every run's
    log = jobs.retrain_log_path(scheduled).read_text()
    assert f"== 第 {done.pk} 次重新训练，" in log and "错误：没有经派单员确认分类的已办结工单\n" in log
    jobs.retrain_if_due(NIGHT + timedelta(minutes=1))
    assert child not in jobs._children  # reaped, not left a zombie


@pytest.mark.django_db
def test_the_back_office_lists_the_runs_read_only(admin_client, scheduled):
    done = desk.start_retrain_run(RetrainTrigger.WORKER, scheduled, now=NIGHT)
    desk.finish_retrain_run(done, RetrainState.KEPT, "the current model stays")
    listing = admin_client.get("/admin/dispatch/retrainrun/").content.decode()
    assert "保留当前模型" in listing and str(scheduled) in listing
    page = admin_client.get(f"/admin/dispatch/retrainrun/{done.pk}/change/").content.decode()
    assert "the current model stays" in page and 'name="_save"' not in page
    assert "关闭" in page and "办结" not in page  # the admin's own Close, not the ticket's 办结 (msgctxt "ticket")
    assert admin_client.get("/admin/dispatch/retrainrun/add/").status_code == 403
    assert admin_client.get(f"/admin/dispatch/retrainrun/{done.pk}/delete/").status_code == 403
    assert admin_client.post("/admin/dispatch/retrainrun/", {"action": "delete_selected",
                                                               "_selected_action": [done.pk]}).status_code != 500
    assert RetrainRun.objects.filter(pk=done.pk).exists()  # a log: nobody deletes it by hand


@pytest.mark.django_db
def test_the_back_office_says_why_a_run_did_not_train_in_the_users_words(admin_client, scheduled):
    run = desk.start_retrain_run(RetrainTrigger.WORKER, scheduled, now=NIGHT)
    desk.finish_retrain_run(run, RetrainState.SKIPPED, "no closed ticket with a dispatcher-confirmed category",
                            result={"refused": "no_tickets"})
    listing = admin_client.get("/admin/dispatch/retrainrun/").content.decode()
    assert "还没有派单员确认过分类的已办结工单。" in listing
    page = admin_client.get(f"/admin/dispatch/retrainrun/{run.pk}/change/").content.decode()
    assert "还没有派单员确认过分类的已办结工单。" in page
    assert "命令输出的说明" in page and "命令输出的 JSON 行" in page and "办理结果" not in page
    assert "&lt;span" not in page  # the judgement is rendered, not shown as escaped markup
