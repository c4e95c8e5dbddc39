"""`jiesu dispatch retrain`: a new model replaces the one the engine uses only if it is not worse on the newest
tickets neither has seen; the replaced one is kept."""
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.utils import timezone, translation

from jiesu.dispatch import training
from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_cli_train import _confirm_and_close, run

pytestmark = pytest.mark.django_db

STALLS = ["东华门大街有人占道经营", "商贩占道经营摆摊", "路边摆摊占道", "店外占道经营堵路", "早市摆摊占道"]
GAS = ["楼道里有燃气味", "厨房燃气管道泄漏", "燃气表漏气", "闻到燃气泄漏", "燃气管道破裂漏气"]


def _tickets(w, stall_code, gas_code, closed_at=None):
    """Ten closed tickets: the stall texts confirmed as `stall_code`, the gas texts as `gas_code`."""
    made = [_confirm_and_close(w, text[:6], text, stall_code) for text in STALLS]
    made += [_confirm_and_close(w, text[:6], text, gas_code) for text in GAS]
    if closed_at is not None:
        Ticket.objects.filter(pk__in=[t.pk for t in made]).update(closed_at=closed_at)
    return made


@pytest.fixture
def small_holdout(monkeypatch):
    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)


def test_without_a_model_the_new_one_is_judged_on_the_newest_fifth_and_saved(desk_world, small_holdout, tmp_path):
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    path = tmp_path / "desk.npz"
    lines = run("retrain", "--model", str(path), "--version", "desk-2")
    result = json.loads(lines[-1])
    assert result["promoted"] and result["current"] is None and result["previous"] is None
    assert result["n_holdout"] == 2 and result["n_train"] == 10  # judged on 2, then trained again on all 10
    assert 0 <= result["candidate"]["accuracy"] <= 1 and result["model_version"] == "desk-2"
    assert "closed tickets: 10; training on 8, judging on the newest 2" in lines
    model = TextClassifier.load(path)
    assert model.version == "desk-2" and model.meta["n_train"] == 10
    assert model.meta["retraining"] == {"n_holdout": 2, "accuracy": result["candidate"]["accuracy"],
                                        "top3": result["candidate"]["top3"], "ece": result["candidate"]["ece"],
                                        "shown_low": result["candidate"]["shown_low"], "margin": result["margin"],
                                        "replaced": None, "replaced_accuracy": None}  # for the accuracy page
    assert model.predict(["小区门口燃气泄漏了", "路边有人占道经营"]) == [w.gas.code, w.category.code]


def test_a_first_model_is_in_place_while_it_is_trained_again_on_all(desk_world, small_holdout, tmp_path):
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    path, seen = tmp_path / "desk.npz", {}

    def say(line):
        if line.startswith("training again on all"):  # the second fit begins (said in English: translation pinned)
            interim = TextClassifier.load(path)
            seen.update(version=interim.version, n_train=interim.meta["n_train"],
                        judged=interim.meta["retraining"]["n_holdout"])

    with translation.override("en"):
        result = training.retrain(path, ClassifierConfig(calibrate=False), version="desk-1", say=say)
    assert seen == {"version": result.candidate.model_version, "n_train": 8, "judged": 2}
    assert result.previous is None and not training.previous_path(path).exists()  # not kept: it was interim
    assert TextClassifier.load(path).version == "desk-1" and TextClassifier.load(path).meta["n_train"] == 10
    seen.clear()
    _tickets(w, w.category.code, w.gas.code)  # ten more, closed after desk-1: a current model now
    with translation.override("en"):
        again = training.retrain(path, ClassifierConfig(calibrate=False), version="desk-2", say=say)
    assert seen == {"version": "desk-1", "n_train": 10, "judged": 2}  # the current model stays until replaced
    assert again.promoted and again.previous == str(training.previous_path(path))


def test_a_worse_model_does_not_replace_the_current_one_unless_forced(desk_world, small_holdout, tmp_path):
    w = desk_world
    now = timezone.now()
    _tickets(w, w.gas.code, w.category.code, closed_at=now - timedelta(days=3))  # confirmed the other way round
    current = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        STALLS + GAS, [w.category.code] * 5 + [w.gas.code] * 5, version="desk-1")
    current.meta["trained_at"] = (now - timedelta(days=2)).isoformat()
    path = tmp_path / "desk.npz"
    current.save(path)
    _tickets(w, w.category.code, w.gas.code)  # closed now: unseen by desk-1, as the dispatchers confirm them
    result = json.loads(run("retrain", "--model", str(path), "--holdout", "6")[-1])
    assert not result["promoted"] and result["n_holdout"] == 6
    assert result["current"]["model_version"] == "desk-1" and result["current"]["accuracy"] == 1.0
    assert result["candidate"]["accuracy"] < result["current"]["accuracy"]
    assert "the current model stays" in result["reason"]
    assert TextClassifier.load(path).version == "desk-1"
    assert not (tmp_path / "desk.previous.npz").exists()

    result = json.loads(run("retrain", "--model", str(path), "--holdout", "6", "--force", "--version", "desk-2")[-1])
    assert result["promoted"] and result["previous"] == str(tmp_path / "desk.previous.npz")
    assert result["reason"].endswith("replaced although worse (--force)")
    assert TextClassifier.load(path).version == "desk-2"
    assert TextClassifier.load(path).meta["retraining"]["replaced"] == "desk-1"
    assert TextClassifier.load(tmp_path / "desk.previous.npz").version == "desk-1"


def test_a_model_is_judged_only_on_tickets_it_has_not_seen(desk_world, tmp_path):
    w = desk_world
    _tickets(w, w.category.code, w.gas.code, closed_at=timezone.now() - timedelta(days=1))
    path = tmp_path / "desk.npz"
    TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        STALLS + GAS, [w.category.code] * 5 + [w.gas.code] * 5, version="desk-1").save(path)
    with pytest.raises(CommandError, match="only 0 tickets closed since the current model was trained"):
        run("retrain", "--model", str(path))
    with pytest.raises(CommandError, match="--tolerance"):
        run("retrain", "--model", str(path), "--tolerance", "-0.1")
    assert TextClassifier.load(path).version == "desk-1"


def test_history_imported_after_the_model_counts_as_unseen_though_closed_long_before(desk_world, small_holdout,
                                                                                   tmp_path):
    """A city imports its 12345 history after the desk has a model: those tickets were closed years ago but the
    model never saw them (they came in after its newest ticket), so the weekly run is judged on them and
    learns from them, not refused for want of tickets closed since."""
    w = desk_world
    _tickets(w, w.category.code, w.gas.code, closed_at=timezone.now() - timedelta(days=1))
    path = tmp_path / "desk.npz"
    json.loads(run("retrain", "--model", str(path))[-1])
    last = TextClassifier.load(path).meta["last_ticket_id"]
    assert last == Ticket.objects.order_by("-pk").first().pk
    with pytest.raises(CommandError, match="only 0 tickets closed since the current model was trained"):
        run("retrain", "--model", str(path))
    imported = _tickets(w, w.category.code, w.gas.code, closed_at=timezone.now() - timedelta(days=800))
    result = json.loads(run("retrain", "--model", str(path))[-1])
    assert result["n_holdout"] == 10 and result["candidate"] is not None and result["current"] is not None
    assert result["promoted"] and result["n_train"] == 20
    assert TextClassifier.load(path).meta["last_ticket_id"] == max(t.pk for t in imported)


def test_unseen_are_the_tickets_closed_after_the_training_or_entered_after_its_newest():
    model = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(STALLS + GAS, ["a"] * 5 + ["b"] * 5)
    trained = datetime.fromisoformat(model.meta["trained_at"])
    before, after = trained - timedelta(days=400), trained + timedelta(hours=1)
    examples = [training.Example("t", "x", "a", 5, before), training.Example("t", "x", "a", 9, before),
                training.Example("t", "x", "a", 7, after)]
    assert [e.ticket_id for e in training.unseen_by(model, examples)] == [7]  # an older model: by closing only
    training.mark_seen(model, examples[:1])
    assert model.meta["last_ticket_id"] == 5
    assert [e.ticket_id for e in training.unseen_by(model, examples)] == [9, 7]


def test_retrain_without_tickets_or_with_too_few_says_so(desk_world, tmp_path):
    w = desk_world
    with pytest.raises(CommandError, match="no closed ticket with a dispatcher-confirmed category"):
        run("retrain", "--model", str(tmp_path / "desk.npz"))
    _tickets(w, w.category.code, w.gas.code)
    with pytest.raises(CommandError, match=r"only 2 closed tickets to hold out \(a fifth of 10\): at least 20"):
        run("retrain", "--model", str(tmp_path / "desk.npz"))
    assert not (tmp_path / "desk.npz").exists()


def test_a_damaged_model_file_is_replaced_and_kept_aside(desk_world, small_holdout, tmp_path):
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    path = tmp_path / "desk.npz"
    path.write_bytes(b"half a file")
    lines = run("retrain", "--model", str(path))
    result = json.loads(lines[-1])
    assert lines[-2] == f"the model file that could not be read is kept aside as {result['kept_aside']}"
    assert result["promoted"] and result["current"] is None
    assert result["reason"].startswith("the current model could not be read")
    assert not (tmp_path / "desk.previous.npz").exists()  # junk is no model to roll back to
    assert Path(result["kept_aside"]).read_bytes() == b"half a file" and result["previous"] is None
    assert TextClassifier.load(path).meta["n_train"] == 10


def test_tickets_closed_just_before_training_count_as_seen():
    """trained_at keeps its microseconds: cut to the second, a ticket closed a moment before the training
    (in the same second) looked unseen and was judged on although trained on."""
    fit = TextClassifier(config=ClassifierConfig(calibrate=False)).fit
    fit(STALLS + GAS, ["a"] * 5 + ["b"] * 5)  # warm: the next fit takes milliseconds
    time.sleep(1.01 - timezone.now().microsecond / 1e6)  # early in a second, so the fit ends in the same one
    closed = timezone.now()
    model = fit(STALLS + GAS, ["a"] * 5 + ["b"] * 5)
    later = datetime.fromisoformat(model.meta["trained_at"]) + timedelta(microseconds=1)
    examples = [training.Example("t", "x", "a", 1, closed), training.Example("t", "x", "a", 2, later)]
    assert [e.ticket_id for e in training.unseen_by(model, examples)] == [2]


def test_rollback_puts_the_previous_model_back_and_a_second_undoes_it(tmp_path):
    from jiesu.dispatch.models import RetrainRun, RetrainState

    path = tmp_path / "desk.npz"
    fit = TextClassifier(config=ClassifierConfig(calibrate=False)).fit
    fit(STALLS + GAS, ["a"] * 5 + ["b"] * 5, version="desk-1").save(training.previous_path(path))
    fit(STALLS + GAS, ["a"] * 5 + ["b"] * 5, version="desk-2").save(path)
    lines = run("rollback", "--model", str(path))
    assert lines[-2] == "back to desk-1; desk-2 kept as the previous model"
    assert json.loads(lines[-1]) == {"path": str(path), "model_version": "desk-1",
                                     "previous": str(tmp_path / "desk.previous.npz"), "replaced": "desk-2",
                                     "kept_aside": ""}
    assert TextClassifier.load(path).version == "desk-1"
    assert TextClassifier.load(tmp_path / "desk.previous.npz").version == "desk-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk.npz", "desk.previous.npz"]
    run("rollback", "--model", str(path))
    assert TextClassifier.load(path).version == "desk-2"
    assert [(r.state, r.reason) for r in RetrainRun.objects.order_by("pk")] == [
        (RetrainState.ROLLED_BACK, "back to desk-1; desk-2 kept as the previous model"),
        (RetrainState.ROLLED_BACK, "back to desk-2; desk-1 kept as the previous model")]


def test_rollback_without_a_readable_previous_model_changes_nothing(tmp_path):
    from jiesu.dispatch import services as desk
    from jiesu.dispatch.models import RetrainRun, RetrainState, RetrainTrigger

    path = tmp_path / "desk.npz"
    TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        STALLS + GAS, ["a"] * 5 + ["b"] * 5, version="desk-2").save(path)
    with pytest.raises(CommandError, match="no previous model to go back to: .*desk.previous.npz does not exist"):
        run("rollback", "--model", str(path))
    (tmp_path / "desk.previous.npz").write_bytes(b"half a file")
    with pytest.raises(CommandError, match="could not be read .*nothing was changed"):
        run("rollback", "--model", str(path))
    assert TextClassifier.load(path).version == "desk-2"
    assert (tmp_path / "desk.previous.npz").read_bytes() == b"half a file"
    assert list(RetrainRun.objects.order_by("pk").values_list("state", "result")) == [
        (RetrainState.FAILED, {"refused": "no_previous"}), (RetrainState.FAILED, {"refused": "unreadable_previous"})]
    desk.start_retrain_run(RetrainTrigger.WORKER, path)
    with pytest.raises(CommandError, match="正在进行"):
        run("rollback", "--model", str(path), lang="zh-hans")  # never while a retraining may write the file


def test_past_its_budget_the_reader_takes_each_categorys_newest_share_and_the_newest_of_all(desk_world, monkeypatch):
    """A city's years of tickets are never all read: past the budget, the newest share of each category that
    fits it (as the classifier samples its kernel's rows), at least the floor, and the newest few of all."""
    from jiesu.dispatch import ridge
    from jiesu.dispatch.classifier import quota_of_share, share_of_counts

    w = desk_world
    made = _tickets(w, w.category.code, w.gas.code)  # 5 stalls then 5 gas, closed in that order
    now = timezone.now()
    for i, ticket in enumerate(made):
        Ticket.objects.filter(pk=ticket.pk).update(closed_at=now - timedelta(hours=10 - i))
    stalls, gas = [t.pk for t in made[:5]], [t.pk for t in made[5:]]
    monkeypatch.setattr(ridge, "MIN_CLASSES", 2)
    share = share_of_counts({"stall": 5, "gas": 5}, 4, 1)
    assert quota_of_share({"stall": 5, "gas": 5}, share, 1) == {"stall": 2, "gas": 2}
    kept = [e.ticket_id for e in training.confirmed_examples(budget=4, floor=1)]
    assert kept == stalls[-2:] + gas[-2:]  # oldest first, each category's newest two
    kept = [e.ticket_id for e in training.confirmed_examples(budget=4, floor=1, newest=3)]
    assert kept == stalls[-2:] + gas[-3:]  # and the newest three of all
    assert len(training.confirmed_examples(budget=10, floor=1)) == 10  # all fit: all read
    monkeypatch.setattr(ridge, "MIN_CLASSES", 16)
    assert len(training.confirmed_examples(budget=4, floor=1)) == 10  # too few categories to sample: all
    assert training.read_budget(ClassifierConfig()) == 40_000
    assert training.read_budget(ClassifierConfig(max_per_class=0)) is None
    assert training.read_budget(ClassifierConfig(model="svm")) is None


def test_a_classifier_refusing_its_data_is_recorded_as_failed_not_as_too_few(desk_world, small_holdout, tmp_path):
    from jiesu.dispatch.models import RetrainRun, RetrainState

    w = desk_world
    for text in STALLS + STALLS:
        _confirm_and_close(w, text[:6], text, w.category.code)  # one category only: nothing to tell apart
    with pytest.raises(CommandError) as refused:
        run("retrain", "--model", str(tmp_path / "desk.npz"))
    done = RetrainRun.objects.get()
    assert done.state == RetrainState.FAILED and done.reason == str(refused.value) and done.result == {"failed": "data"}
    assert not (tmp_path / "desk.npz").exists()


def test_what_stopped_a_retraining_is_named_for_the_page():
    from django.db import OperationalError

    assert training.failure_details(MemoryError()) == {"failed": "memory", "error": "MemoryError"}
    assert training.failure_details(KeyboardInterrupt())["failed"] == "stopped"
    assert training.failure_details(SystemExit(1))["failed"] == "stopped"
    assert training.failure_details(PermissionError(13, "denied")) == {"failed": "file", "error": "PermissionError"}
    assert training.failure_details(OperationalError("database is locked"))["failed"] == "database"
    assert training.failure_details(RuntimeError("?")) == {"failed": "other", "error": "RuntimeError"}


def test_a_model_path_retrain_or_rollback_cannot_write_is_refused_before_any_work(desk_world, small_holdout,
                                                                                  tmp_path):
    from jiesu.dispatch import services as desk
    from jiesu.dispatch.models import RetrainRun, RetrainState, RetrainTrigger

    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    (tmp_path / "d.npz").mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for action in ("retrain", "rollback"):
        with pytest.raises(CommandError, match=rf"^--model {tmp_path}/d.npz: is a directory$"):
            run(action, "--model", str(tmp_path / "d.npz"))
        with pytest.raises(CommandError, match=rf"^--model {blocker}/m.npz: {blocker} is a file, not a directory$"):
            run(action, "--model", str(blocker / "m.npz"))
        with pytest.raises(CommandError, match=rf"^--model {tmp_path}/T.csv: a model file's name ends in .npz"):
            run(action, "--model", str(tmp_path / "T.csv"))
    (tmp_path / "desk.previous.npz").mkdir()
    with pytest.raises(CommandError, match=rf"^--model {tmp_path}/desk.npz: the previous model "
                                           rf"{tmp_path}/desk.previous.npz is a directory$"):
        run("retrain", "--model", str(tmp_path / "desk.npz"))
    assert not RetrainRun.objects.exists()  # refused as a bad option is: nothing recorded, nothing trained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "d.npz", "desk.previous.npz"]
    worker = desk.start_retrain_run(RetrainTrigger.WORKER, tmp_path / "d.npz")
    with pytest.raises(CommandError, match="is a directory"):  # the worker's run: recorded as failed
        run("retrain", "--model", str(tmp_path / "d.npz"), "--run", str(worker.pk))
    worker.refresh_from_db()
    assert worker.state == RetrainState.FAILED and worker.result == {"failed": "file"}
    assert worker.reason == f"--model {tmp_path}/d.npz: is a directory"


def test_a_model_that_cannot_be_written_after_training_is_said_in_one_line_and_recorded(desk_world, small_holdout,
                                                                                        tmp_path, monkeypatch):
    from jiesu.dispatch.models import RetrainRun, RetrainState

    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    path = tmp_path / "desk.npz"

    def disk_full(model, where):
        raise OSError(28, "No space left on device", str(where) + ".tmp")

    monkeypatch.setattr(training, "save_model", disk_full)
    with pytest.raises(CommandError) as refused:
        run("retrain", "--model", str(path))
    assert str(refused.value) == f"--model {path}: cannot write {path}.tmp (No space left on device)"
    done = RetrainRun.objects.get()
    assert done.state == RetrainState.FAILED and done.reason == str(refused.value)
    assert done.result["failed"] == "file" and not path.exists()


def test_an_interrupted_retraining_is_recorded_and_said_in_one_line(desk_world, small_holdout, tmp_path,
                                                                    monkeypatch):
    from jiesu.dispatch.models import RetrainRun, RetrainState

    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    path, fit, fits = tmp_path / "desk.npz", TextClassifier.fit, []

    def interrupted_at_the_refit(self, *args, **kwargs):
        fits.append(1)
        if len(fits) == 2:  # Ctrl-C while trained again on all tickets: the judged model is in place
            raise KeyboardInterrupt
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(TextClassifier, "fit", interrupted_at_the_refit)
    with pytest.raises(CommandError) as stopped:
        run("retrain", "--model", str(path))
    assert stopped.value.returncode == 130
    assert str(stopped.value) == ("interrupted: the retraining was stopped and is recorded as failed; "
                                  f"{path} holds the judged model, in use until a retraining completes")
    done = RetrainRun.objects.get()
    assert done.state == RetrainState.FAILED and done.result["failed"] == "stopped"
    assert TextClassifier.load(path).meta["n_train"] == 8 and not list(tmp_path.glob("*.tmp"))
    fits.clear()
    fits.append(1)  # the next fit is interrupted: nothing changes
    with pytest.raises(CommandError) as stopped:
        run("retrain", "--model", str(path), "--force")
    assert str(stopped.value).endswith(f"; the model in use, {path}, is unchanged")
    assert RetrainRun.objects.filter(state=RetrainState.FAILED).count() == 2


def test_rollback_and_info_take_the_desks_model_file_by_default(tmp_path, settings):
    """The accuracy page tells an administrator to run `jiesu dispatch rollback`: without --model it is the
    desk's model file (JIESU_DISPATCH_MODEL), as the engine and the worker read it (audit 7)."""
    path = tmp_path / "desk.npz"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    fit = TextClassifier(config=ClassifierConfig(calibrate=False)).fit
    fit(STALLS + GAS, ["a"] * 5 + ["b"] * 5, version="desk-1").save(training.previous_path(path))
    fit(STALLS + GAS, ["a"] * 5 + ["b"] * 5, version="desk-2").save(path)
    assert run("rollback")[-2] == "back to desk-1; desk-2 kept as the previous model"
    assert any("desk-1" in line for line in run("info"))
    settings.JIESU = {key: value for key, value in settings.JIESU.items() if key != "DISPATCH_MODEL"}
    with pytest.raises(CommandError, match="--model"):
        run("rollback")
