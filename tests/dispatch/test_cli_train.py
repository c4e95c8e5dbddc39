"""`jiesu dispatch train` from the platform's own closed tickets and, for a cold start, from the catalogue."""
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu.dispatch import services as desk
from jiesu.dispatch.classifier import TextClassifier
from jiesu.tickets import services
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def run(*args, lang="en"):
    """`jiesu dispatch ARGS --lang LANG`: the printed lines (the language pinned, whatever the environment's)."""
    out = StringIO()
    call_command("dispatch", *args, "--lang", lang, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def _confirm_and_close(w, title, text, code):
    """A ticket the dispatcher dispatched under category `code`, then handled, replied and called back."""
    ticket = new_ticket(w, title=title, text=text, category_code=w.consult.code)
    desk.dispatch_and_log(w.dispatcher, ticket, w.street.pk, [], "", code)
    services.sign(w.street_staff, ticket)
    services.contact(w.street_staff, ticket, "已联系")
    services.reply(w.street_staff, ticket, "已处理", True)
    services.record_callback(w.callback_agent, ticket, True, "resolved", "satisfied")
    return ticket


def test_train_from_closed_tickets_uses_the_dispatcher_confirmed_category(desk_world, tmp_path):
    w = desk_world
    _confirm_and_close(w, "东华门大街占道", "有人占道经营摆摊，堵塞人行道", w.category.code)
    _confirm_and_close(w, "王府井占道", "商贩占道经营", w.category.code)
    _confirm_and_close(w, "楼道燃气味", "楼道里有燃气味，怀疑燃气泄漏", w.gas.code)
    _confirm_and_close(w, "燃气泄漏", "厨房燃气管道泄漏", w.gas.code)
    still_open = new_ticket(w, title="燃气", text="燃气表漏气")  # not closed: not an example
    services.dispatch(w.dispatcher, still_open, w.street.pk)
    out = tmp_path / "desk.npz"
    lines = run("train", "--from-tickets", "--out", str(out), "--version", "desk-1", "--no-calibrate")
    assert "closed tickets: 4 with a dispatcher-confirmed category, 2 categories" in lines
    result = json.loads(lines[-1])
    assert result["n_train"] == 4 and result["model_version"] == "desk-1"
    assert result["classes"] == 2  # how many: the codes are in the model (`jiesu dispatch info`)
    model = TextClassifier.load(out)
    assert model.classes == sorted([w.category.code, w.gas.code])
    assert model.predict(["小区门口燃气泄漏了", "路边有人占道经营"]) == [w.gas.code, w.category.code]


def test_train_from_tickets_without_any_says_so(desk_world, tmp_path):
    with pytest.raises(CommandError, match="no closed ticket with a dispatcher-confirmed category"):
        run("train", "--from-tickets", "--out", str(tmp_path / "m.npz"))
    with pytest.raises(CommandError, match="not a date"):
        run("train", "--from-tickets", "--since", "2026-13-01", "--out", str(tmp_path / "m.npz"))


def test_cold_start_from_the_catalogue(world, tmp_path):  # noqa: F811
    out = tmp_path / "cold.npz"
    lines = run("train", "--cold-start", "--out", str(out), "--version", "cold-1")
    assert "cold start from 3 categories' names and keywords" in lines
    model = TextClassifier.load(out)
    assert model.meta["mode"] == "keywords" and model.version == "cold-1"
    assert model.predict(["这里有燃气泄漏", "门口占道经营"]) == [w.code for w in (world.gas, world.category)]


def test_train_needs_exactly_one_source(tmp_path):
    with pytest.raises(CommandError):
        run("train", "--from-tickets", "--cold-start", "--out", str(tmp_path / "m.npz"))
    with pytest.raises(CommandError):
        run("train", "--out", str(tmp_path / "m.npz"))


def _many(tmp_path, labels=20, each=12):
    """A CSV of `labels` categories (ridge.MIN_CLASSES or more: sampled to fit the training rows), `each` rows each."""
    lines = ["标题,类别"]
    for i in range(labels):
        word = chr(0x4E00 + 7 * i) + chr(0x4E01 + 7 * i)
        lines += [f"{word}问题{chr(0x5E00 + j)}{j},c{i:02d}" for j in range(each)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_the_training_rows_limit_is_kept_by_lowering_the_minimum_per_category(tmp_path):
    """--kernel-rows (JIESU_DISPATCH_TRAIN_ROWS) bounds a training's memory: when 10 of each category exceed it, fewer
    of each are kept, and the command says so; when not even one of each fits, it refuses."""
    data, out = _many(tmp_path), tmp_path / "m.npz"
    said = run("train", "--from-csv", data, "--text", "标题", "--label", "类别", "--out", str(out), "--no-calibrate",
               "--chunk-weight", "0", "--kernel-rows", "100")
    meta = TextClassifier.load(out).meta
    assert meta["n_train"] == 100 and meta["n_offered"] == 240 and len(meta["classes"]) == 20
    assert meta["training_sample"] == {"share": 0.4166, "min_per_class": 5, "min_per_class_set": 10, "classes": 20,
                                       "rows_for_floor_set": 200, "kernel_max_rows": 100}
    assert ("trained on the newest 41.7% of each category, at least 5: 100 of 240 rows (see --max-per-category); at "
            "least 10 of each of the 20 categories would take 200 rows, more than the limit of 100 (--kernel-rows, "
            "JIESU_DISPATCH_TRAIN_ROWS), so the minimum per category was lowered to 5") in said
    run("train", "--from-csv", data, "--text", "标题", "--label", "类别", "--out", str(out), "--no-calibrate",
        "--chunk-weight", "0", "--kernel-rows", "230")  # 10 of each fit: as before, the newest share of each
    assert TextClassifier.load(out).meta["training_sample"] == {"share": 0.9166, "min_per_class": 10}
    with pytest.raises(CommandError, match=r"^20 categories need at least 20 training rows .* more than the limit "
                                           r"of 15 \(--kernel-rows, JIESU_DISPATCH_TRAIN_ROWS\): raise it$"):
        run("train", "--from-csv", data, "--text", "标题", "--label", "类别", "--out", str(out), "--no-calibrate",
            "--chunk-weight", "0", "--kernel-rows", "15")


def test_a_since_that_is_not_a_date_is_argparses_error_not_a_traceback(tmp_path):
    """Argparse's error, in the command's language (--lang en); manage.py: no schema check first."""
    proc = subprocess.run([sys.executable, str(ROOT / "manage.py"), "dispatch", "train", "--from-tickets", "--since", "2026-13-01", "--out",
                           str(tmp_path / "m.npz"), "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == ("manage.py dispatch train: error: argument --since: not a date (YYYY-MM-DD): "
                                            "'2026-13-01'")
