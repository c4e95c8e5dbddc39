"""The dispatch accuracy page in a real browser: the first model's schedule, the retraining runs worded in
Chinese (the set-up's first model, a run out of memory), the auto-dispatch threshold guide, the weeks chooser.

Takes docs/screenshots/dispatch-accuracy.png.
"""
import re
from datetime import timedelta

import pytest

from dispatch.desk_helpers import desk_world  # noqa: F401  (fixture)
from dispatch.test_cli_train import _confirm_and_close
from dispatch.test_engine import model
from jiesu.core.tests_support import force_login, screenshot
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import RetrainState, RetrainTrigger
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)


@pytest.mark.django_db(transaction=True)
def test_the_accuracy_page_shows_the_first_model_and_the_runs(live_server, page, desk_world, settings, tmp_path):
    w = desk_world
    model_file = tmp_path / "desk.npz"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(model_file), "DISPATCH_RETRAIN_DAYS": 7,
                      "DISPATCH_RETRAIN_HOURS": (2, 6)}
    for text in ("东华门大街有人占道经营", "小区门口燃气泄漏"):
        _confirm_and_close(w, text[:6], text, w.category.code)  # two logged dispatches for the tables
    memory = desk.start_retrain_run(RetrainTrigger.WORKER, model_file)
    desk.finish_retrain_run(memory, RetrainState.FAILED, "MemoryError: ", {"failed": "memory", "error": "MemoryError"},
                            now=memory.started_at + timedelta(minutes=1))
    first = desk.start_retrain_run(RetrainTrigger.SETUP, model_file)
    desk.finish_retrain_run(first, RetrainState.REPLACED, "right first for 99.4% of the newest 1000 tickets", {
        "n_holdout": 1000, "candidate": {"accuracy": 0.994}, "current": None},
        now=first.started_at + timedelta(minutes=2, seconds=6))

    force_login(page, live_server, w.supervisor)
    page.goto(live_server.url + "/dispatch/accuracy/")
    schedule = page.locator("#acc-schedule")
    assert schedule.get_attribute("data-first") == "1"  # the model file does not exist yet
    assert "后台任务不等夜间，立即用已办结工单训练第一个模型" in schedule.inner_text()
    runs = page.locator("#acc-retrain tbody tr")
    assert runs.count() == 2
    newest = runs.nth(0).inner_text()
    assert "初始化（首个模型）" in newest and "已启用新模型" in newest and "首条建议正确 99.4%" in newest
    assert "2.1" in newest  # minutes
    assert "训练时内存不足" in runs.nth(1).inner_text() and "失败" in runs.nth(1).inner_text()
    model("desk-1").save(model_file)  # in place (a model that reads): from now on weekly, at night
    page.reload()
    assert schedule.get_attribute("data-first") is None
    assert "每 7 天在 02:00–06:00 之间用已办结工单自动重新训练" in schedule.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.locator(".acc-kpis [data-kpi='top1']").is_visible()
    guide = page.locator("#acc-thresholds")
    assert guide.is_visible() and "自动派单阈值参考" in guide.inner_text()
    assert guide.locator("tr[data-guide='total'] td").count() == 2 + 4  # the category, dispatches, 4 thresholds
    screenshot(page, "dispatch-accuracy")

    page.select_option("#weeks", "4")  # the chooser submits itself
    page.wait_for_url(re.compile(r"weeks=4"))
    assert page.locator("#weeks").input_value() == "4" and page.locator("#acc-retrain tbody tr").count() == 2
