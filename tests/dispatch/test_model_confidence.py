"""The model's confidence stays meaningful after retraining (audit 11 #7, #13, #22, #14): the confidence map does not
flatten what it has few rows for, retraining judges calibration and says its margin of error, `train --out` does
not replace the desk's model, and the model can be rolled back or retrained from the accuracy page."""
import json
from datetime import timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation

from jiesu.accounts.models import Role, User
from jiesu.dispatch import classifier, jobs, training
from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier, _fit_confidence_map
from jiesu.dispatch.models import RetrainRun, RetrainState
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_cli_retrain import GAS, STALLS, _tickets
from .test_cli_train import run
from .test_engine import model


def _map(probs_top, right):
    """The confidence map fitted on out-of-fold rows of these top probabilities, right or not (3 classes)."""
    top = np.asarray(probs_top, dtype=float)
    probs = np.column_stack([top, (1 - top) / 2, (1 - top) / 2])
    found = _fit_confidence_map(probs, np.where(np.asarray(right), 0, 1))
    return lambda p: float(np.interp(p, found["x"], found["y"]))


# ── finding 7: the confidence map ────────────────────────────────────────────

def test_a_range_without_rows_keeps_the_softmax_instead_of_the_floor():
    """A model of texts alike is sure and right of nearly all its rows: the few wrong ones at low probabilities
    flattened every probability up to the first right row to 0.1 % (the demo city: 楼下饭馆油烟太大 0 %)."""
    g = _map([0.99] * 2000 + [0.02, 0.1, 0.3] + [0.78] * 2, [True] * 2000 + [False] * 3 + [True] * 2)
    assert 0.3 < g(0.5) < 0.7 and 0.15 < g(0.3) < 0.45  # near what the softmax says, not 0.001
    assert g(0.99) > 0.97  # where the rows are many, they decide
    assert g(0.02) < 0.05


def test_a_handful_of_rows_does_not_make_steps_of_a_third():
    g = _map([0.99] * 3000 + [0.82] * 3 + [0.86] * 3, [True] * 3000 + [True, False, False] + [True, True, False])
    assert abs(g(0.86) - g(0.82)) < 0.2  # the old map: 33 % then 67 %


def test_many_rows_outweigh_the_prior():
    rng = np.random.default_rng(0)
    g = _map(np.full(3000, 0.6), rng.random(3000) < 0.3)  # an over-confident model: 60 % shown, 30 % right
    assert g(0.6) == pytest.approx(0.3, abs=0.03)


def test_rows_of_a_class_missing_from_their_fold_are_left_out_of_the_map(monkeypatch):
    """A category of one ticket is in no training part of the folds that test it: it cannot be right there, and
    says nothing of how the model that knows it does."""
    fitted = []
    monkeypatch.setattr(classifier, "_fit_confidence_map",
                        lambda probs, y: fitted.append(y) or {"x": [0.0, 1.0], "y": [0.001, 1.0]})
    texts = [f"{word}问题第{i}次反映" for word in "水电气路灯树狗车楼门窗墙地桥河山" for i in range(6)]
    labels = [f"c{i // 6}" for i in range(len(texts))]
    clf = TextClassifier(config=ClassifierConfig(calibration_folds=3)).fit(
        texts + ["独一无二的反映"], labels + ["single"])
    (y,) = fitted
    assert clf.classes.index("single") not in y and len(y) == len(texts)


# ── finding 13 and 7: the retraining's judgement ─────────────────────────────

def _judged(right, ece=0.02, low=0.0):
    return training.Judgement("v", sum(right) / len(right), 1.0, 1.0, ece=ece, shown_low=low, right=tuple(right))


def test_the_margin_of_error_on_few_tickets_and_the_gap_within_it():
    new, current = _judged([True] * 15 + [False] * 10), _judged([True] * 19 + [False] * 6)
    margin = training.accuracy_margin(new, current)
    assert 0.1 < margin < 0.25  # 25 tickets: 4 tickets' difference (16 points) is within about ±15
    assert training.accuracy_margin(_judged([True] * 900 + [False] * 100)) < 0.025
    assert training.accuracy_margin(_judged([True, True])) > 0.3  # 2 of 2 right says little


def test_a_model_whose_confidence_misleads_is_refused_unless_the_current_one_does_as_badly():
    fine = _judged([True] * 10)
    assert _judged([True] * 10, ece=0.3).miscalibrated(fine)
    assert _judged([True] * 10, low=0.2).miscalibrated(fine)
    assert not _judged([True] * 10, ece=0.3).miscalibrated(_judged([True] * 10, ece=0.35))
    assert not _judged([True] * 10, ece=0.08, low=0.04).miscalibrated(fine)


@pytest.fixture
def small_holdout(monkeypatch):
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)


def _current_model(w, path, calibrate=True):
    current = TextClassifier(config=ClassifierConfig(calibrate=calibrate)).fit(
        STALLS + GAS, [w.category.code] * 5 + [w.gas.code] * 5, version="desk-1")
    current.meta["trained_at"] = (timezone.now() - timedelta(days=2)).isoformat()
    current.save(path)


def _a_model_and_tickets_since(w, path):
    """Ten tickets closed three days ago, desk-1 trained on them (at `path`) two days ago, ten closed since."""
    _tickets(w, w.category.code, w.gas.code, closed_at=timezone.now() - timedelta(days=3))  # to train on
    _current_model(w, path)
    _tickets(w, w.category.code, w.gas.code)  # closed since desk-1: to judge on


def test_retraining_keeps_the_current_model_when_the_new_ones_confidence_misleads(desk_world, small_holdout,
                                                                                 tmp_path):
    """Both right on every held-out ticket; the new one, not calibrated, shows far less than it gets right."""
    w = desk_world
    path = tmp_path / "desk.npz"
    _a_model_and_tickets_since(w, path)
    with translation.override("en"):
        kept = training.retrain(path, ClassifierConfig(calibrate=False))
    assert not kept.promoted and kept.kept == "miscalibrated"
    assert kept.candidate.accuracy == kept.current.accuracy == 1.0
    assert kept.candidate.ece > training.MOST_ECE > kept.current.ece
    assert "the confidence the new model shows misleads on the newest 10 tickets" in kept.reason
    assert kept.margin > 0 and kept.within_margin  # 10 tickets: the accuracies' gap (none) is within its margin
    assert TextClassifier.load(path).version == "desk-1"
    stored = kept.as_dict()
    assert "right" not in stored["candidate"] and stored["kept"] == "miscalibrated"
    forced = training.retrain(path, ClassifierConfig(calibrate=False), force=True, version="desk-2")
    assert forced.promoted and forced.forced == "miscalibrated"
    assert forced.reason.endswith("replaced although the confidence it shows misleads (--force)")
    assert TextClassifier.load(path).version == "desk-2"


# ── finding 22: train --out the desk's model ─────────────────────────────────

def test_train_refuses_to_write_the_desks_model_and_points_at_retrain(settings, tmp_path, monkeypatch):
    path = tmp_path / "desk.npz"
    model("desk-1").save(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    data = tmp_path / "t.csv"
    data.write_text("text,label\n" + "".join(f"{t},a\n" for t in STALLS) + "".join(f"{t},b\n" for t in GAS),
                    encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for out in (str(path), "desk.npz", "sub/../desk.npz"):  # however it is written
        with pytest.raises(CommandError, match="is the desk's model .*jiesu dispatch retrain"):
            run("train", "--from-csv", str(data), "--text", "text", "--label", "label", "--out", out)
    assert TextClassifier.load(path).version == "desk-1"
    with translation.override("zh-hans"), pytest.raises(CommandError, match="是派单台在用的模型"):
        run("train", "--from-csv", str(data), "--text", "text", "--label", "label", "--out", str(path),
            lang="zh-hans")
    lines = run("train", "--from-csv", str(data), "--text", "text", "--label", "label", "--out", "trial.npz")
    assert json.loads(lines[-1])["path"].endswith("trial.npz") and (tmp_path / "trial.npz").exists()


# ── finding 14: rollback and retraining from the web ─────────────────────────

@pytest.fixture
def desk_model(settings, tmp_path):
    path = tmp_path / "desk.npz"
    model("desk-1").save(training.previous_path(path))
    model("desk-2").save(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    return path


def _client(user, lang="zh-hans"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


def test_an_administrator_rolls_back_from_the_accuracy_page_after_confirming(desk_world, desk_model):
    admin = User.objects.create_user("adm", password="pw", role=Role.ADMIN, unit=desk_world.hc)
    client = _client(admin)
    html = client.get("/dispatch/accuracy/").content.decode()
    assert 'id="acc-rollback"' in html and "恢复上一个模型 desk-1" in html and 'id="acc-retrain-now"' in html
    page = client.post("/dispatch/model/rollback/", follow=True).content.decode()
    assert "未做任何操作：请先勾选确认" in page and TextClassifier.load(desk_model).version == "desk-2"
    page = client.post("/dispatch/model/rollback/", {"confirm": "1"}, follow=True).content.decode()
    assert "已回退：" in page and TextClassifier.load(desk_model).version == "desk-1"
    assert TextClassifier.load(training.previous_path(desk_model)).version == "desk-2"
    run_row = RetrainRun.objects.get()
    assert run_row.state == RetrainState.ROLLED_BACK and run_row.result["by"] == "adm"
    assert "adm（网页）" in page


def test_only_administrators_and_city_supervisors_may_change_the_model(desk_world, desk_model):
    w = desk_world
    district_sup = User.objects.create_user("dsup", password="pw", role=Role.SUPERVISOR, unit=w.district)
    for user in (w.dispatcher, district_sup):
        client = _client(user)
        assert client.post("/dispatch/model/rollback/", {"confirm": "1"}).status_code == 403
        assert client.post("/dispatch/model/retrain/", {"confirm": "1"}).status_code == 403
    assert 'id="acc-model-actions"' not in _client(district_sup).get("/dispatch/accuracy/").content.decode()
    assert 'id="acc-model-actions"' in _client(w.supervisor).get("/dispatch/accuracy/").content.decode()
    assert TextClassifier.load(desk_model).version == "desk-2" and not RetrainRun.objects.exists()


def test_a_retraining_started_from_the_web_is_judged_and_recorded_with_its_user(desk_world, desk_model, small_holdout,
                                                                                monkeypatch):
    """The worker's way (jobs.start_retrain); the process is the real command, run here in this process so that
    it sees the test database."""
    w = desk_world
    _tickets(w, w.category.code, w.gas.code, closed_at=timezone.now() - timedelta(days=3))
    _current_model(w, desk_model)
    _tickets(w, w.category.code, w.gas.code)

    def spawn(run_row):
        call_command("dispatch", "retrain", "--model", run_row.model_path, "--run", str(run_row.pk), "--lang", "en")
        return 4242

    monkeypatch.setattr(jobs, "spawn_retrain", spawn)
    page = _client(w.supervisor).post("/dispatch/model/retrain/", {"confirm": "1"}, follow=True).content.decode()
    run_row = RetrainRun.objects.get()
    assert f"重新训练 #{run_row.pk} 已开始" in page
    assert run_row.state in (RetrainState.REPLACED, RetrainState.KEPT) and run_row.result["by"] == w.supervisor.username
    assert run_row.result["candidate"]["ece"] is not None and run_row.result["margin"] is not None
    html = _client(w.supervisor, "en").get("/dispatch/accuracy/").content.decode()
    assert f"{w.supervisor.username} (web)" in html and "margin of error of the gap between the two models ±" in html
    low, high = (f"{x * 100:.1f}%" for x in run_row.result["interval"])  # the page's pct: one decimal
    assert f"(its 95 per cent interval {low}–{high})" in html
    chinese = _client(w.supervisor).get("/dispatch/accuracy/").content.decode()
    assert "两个模型正确率之差的误差范围 ±" in chinese and f"（95% 区间 {low}–{high}）" in chinese
