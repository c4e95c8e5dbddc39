"""`jiesu dispatch retrain` says each stage as it starts (audit 12, finding 17), and its margin of error says what
it measures: the gap between the two models, the new model's own accuracy given as an interval."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from jiesu.dispatch import training
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_cli_retrain import _tickets
from .test_model_confidence import _a_model_and_tickets_since, _judged


@pytest.fixture
def small_holdout(monkeypatch):
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)


def _retrain(path, lang):
    """`jiesu dispatch retrain --force`: (its output lines, its progress lines)."""
    out, err = StringIO(), StringIO()
    call_command("dispatch", "retrain", "--model", str(path), "--force", "--lang", lang, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue().splitlines()


def _stages(progress):
    """The progress lines without their elapsed seconds, and those seconds."""
    stages = [line.rsplit(" (", 1)[0] for line in progress]
    seconds = [float(line.rsplit(" (", 1)[1].removesuffix(" s)")) for line in progress]
    return stages, seconds


@pytest.mark.django_db
def test_retrain_says_each_stage_in_order_on_standard_error_and_ends_its_output_with_json(desk_world, small_holdout,
                                                                                          tmp_path):
    w = desk_world
    path = tmp_path / "desk.npz"
    _a_model_and_tickets_since(w, path)
    lines, progress = _retrain(path, "en")
    assert json.loads(lines[-1])["promoted"]
    stages, seconds = _stages(progress)
    calibrating = [stage for stage in stages if stage.startswith("calibrating its confidence: fold ")]
    folds = len(calibrating) // 2
    assert folds >= 2 and calibrating[:folds] == [f"calibrating its confidence: fold {k} of {folds}"
                                                  for k in range(1, folds + 1)]
    assert [stage for stage in stages if stage not in calibrating] == [
        "reading the closed tickets", "read 20 closed tickets", "training a model on 10 tickets",
        "judging the new model on the newest 10 tickets", "judging the current model desk-1 on the same tickets",
        "training a model on 20 tickets", f"saving the model to {path}"]
    assert stages.index("judging the new model on the newest 10 tickets") == 3 + folds  # after the first folds
    assert seconds == sorted(seconds)
    assert not any(line in lines for line in progress)  # not mixed into the output


@pytest.mark.django_db
def test_retrain_says_its_stages_in_chinese(desk_world, small_holdout, tmp_path):
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    path = tmp_path / "desk.npz"
    _lines, progress = _retrain(path, "zh-hans")
    assert progress[0].startswith("正在读取已办结工单（") and progress[0].endswith(" 秒）")
    assert "已读取 10 件已办结工单" in progress[1]
    assert any(line.startswith("正在校准置信度：第 1 折，共 ") for line in progress)
    assert progress[-1].startswith(f"正在将模型保存到 {path}（")


def _judged_on_26():
    """The audit's case: 19 of the newest 26 tickets right first (73.1 %), the current model 18."""
    new, current = _judged([True] * 19 + [False] * 7), _judged([True] * 18 + [False] * 8)
    return training.Retraining(True, "", new, current, 100, 26, "desk.npz",
                               margin=round(training.accuracy_margin(new, current), 4), within_margin=True,
                               interval=training.accuracy_interval(new))


def test_the_new_models_accuracy_on_few_tickets_comes_with_its_interval():
    assert training.accuracy_interval(_judged([True] * 19 + [False] * 7)) == pytest.approx((0.539, 0.863), abs=0.001)
    assert training.accuracy_interval(_judged([True] * 5)) == pytest.approx((0.566, 1.0), abs=0.001)


def test_the_margin_is_said_to_be_the_gap_between_the_two_models_and_the_accuracy_its_interval():
    judged = _judged_on_26()
    english = judged.reason_words()
    assert english.startswith("right first for 73.1% (95% interval 54–86%) of the newest 26 tickets "
                              "(the current model: 69.2%)")
    assert (" (on 26 tickets the margin of error of the gap between the two models' accuracies (95%) is "
            f"±{judged.margin * 100:.1f} points: the gap is within it, neither model is shown better)") in english
    with translation.override("zh-hans"):
        chinese = judged.reason_words(gettext)
    assert "73.1%（95% 区间 54–86%）" in chinese
    assert f"两个模型正确率之差的误差范围（95%）为 ±{judged.margin * 100:.1f} 个百分点：差别在误差之内" in chinese


def test_without_a_current_model_there_is_no_gap_only_the_interval():
    judged = _judged_on_26()
    judged.current = None
    assert judged.reason_words() == "right first for 73.1% (95% interval 54–86%) of the newest 26 tickets"
