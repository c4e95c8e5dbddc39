"""`jiesu dispatch info` says a model in a few lines of the chosen language, its metadata as the JSON last line,
reading the metadata alone (audit 12, finding 8); evaluate counts shared rows in singular and plural, and the
negative list's refusal names a district's department as 「the place's district's 城市管理委员会」 (finding 17)."""
import json
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jiesu.categories.models import Category, Duty
from jiesu.categories.services import target_label
from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier
from jiesu.dispatch.evaluation import local_minute
from jiesu.tickets.services import negative_entry_words
from jiesu.units.models import Unit

TEXTS = ["小区垃圾没人清运", "楼道堆放垃圾", "垃圾桶满了没人管", "学校老师强制补课", "学校乱收费", "老师体罚学生"]
LABELS = ["环境", "环境", "环境", "教育", "教育", "教育"]


def run(*args, lang="en"):
    out = StringIO()
    call_command("dispatch", *args, "--lang", lang, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A calibrated model and the previous one kept beside it, as retrain leaves them."""
    d = tmp_path_factory.mktemp("dispatch_info")
    texts, labels = TEXTS * 4, LABELS * 4
    TextClassifier(config=ClassifierConfig(calibrate=True)).fit(texts, labels, version="now-1").save(d / "desk.npz")
    TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels, version="before-1").save(
        d / "desk.previous.npz")
    return d


@pytest.mark.parametrize("lang,said", [
    ("en", ["model now-1: 24 rows, 2 classes", "trained at ", "-fold CV on the training data: macro-F1 ",
            "previous model before-1, trained at "]),
    ("zh-hans", ["模型 now-1：24 行，2 个类别", "训练于 ", "折交叉验证", "上一个模型 before-1，训练于 "])])
def test_info_says_the_model_in_a_few_lines_then_its_metadata_as_json(models, lang, said):
    lines = run("info", "--model", str(models / "desk.npz"), lang=lang)
    assert len(lines) == 5
    for line, start in zip(lines, said):
        assert start in line
    meta = json.loads(lines[-1])
    assert meta["model_version"] == "now-1" and meta["classes"] == ["教育", "环境"] and "cv_ece" in meta
    assert local_minute(meta["trained_at"]) in lines[1] and "ECE " in lines[2]


def test_info_without_a_previous_model_says_so(models, tmp_path):
    shutil.copy(models / "desk.previous.npz", tmp_path / "trial.npz")
    lines = run("info", "--model", str(tmp_path / "trial.npz"))
    assert lines[-2] == f"no previous model ({tmp_path / 'trial.previous.npz'})"
    assert not any("CV" in line for line in lines[:-1])  # trained without calibration: no scores to say
    assert json.loads(lines[-1])["model_version"] == "before-1"


def test_info_on_a_file_that_is_no_model_refuses_saying_why(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(CommandError, match="not a Jiesu model file"):
        run("info", "--model", str(tmp_path / "empty.npz"))
    with pytest.raises(CommandError, match="model file not found"):
        run("info", "--model", str(tmp_path / "none.npz"))


def test_info_reads_the_metadata_alone(models, monkeypatch):
    def no_loading(*args, **kwargs):
        raise AssertionError("the whole model was loaded")

    monkeypatch.setattr(TextClassifier, "load", no_loading)
    assert json.loads(run("info", "--model", str(models / "desk.npz"))[-1])["model_version"] == "now-1"


def write(path, rows):
    path.write_text("留言主题,一级分类\n" + "".join(f"{t},{l}\n" for t, l in rows), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("shared,line", [
    (1, "note: 1 training row shares its 留言主题 with a test row"),
    (2, "note: 2 training rows share their 留言主题 with a test row")])
def test_evaluate_counts_shared_rows_in_singular_and_plural(tmp_path, shared, line):
    train = write(tmp_path / "train.csv", list(zip(TEXTS, LABELS)))
    test = write(tmp_path / "test.csv", list(zip(TEXTS, LABELS))[:shared] + [("马路边垃圾成堆", "环境")])
    lines = run("evaluate", "--train", train, "--test", test, "--text", "留言主题")
    assert any(each.startswith(line + " (use --exclude-overlap") for each in lines)
    lines = run("evaluate", "--train", train, "--test", test, "--text", "留言主题", "--exclude-overlap")
    assert f"excluded {shared} training {'row' if shared == 1 else 'rows'} whose 留言主题 also occurs in the test " \
           "file" in lines


@pytest.mark.parametrize("lang,kind,words", [
    ("en", "district_department:CGJ", "the place's district's 城市管理委员会"),
    ("zh-hans", "district_department:CGJ", "所在区的城市管理委员会"),
    ("en", "street", "the place's street")])
def test_a_district_department_reads_as_the_places_districts_department(lang, kind, words):
    with translation.override(lang):
        assert target_label(kind) == words


def test_the_negative_list_refusal_names_the_department_of_the_places_district():
    duty = Duty(pk=52, category=Category(name="违法建设"), unit_kind="district_department:CGJ", negative=True)
    with translation.override("en"):
        said = negative_entry_words(duty, Unit(name="东城区城市管理委员会"))
    assert said == ("Negative list #52: “违法建设” must not go to 东城区城市管理委员会 (the place's district's "
                    "城市管理委员会)")


def test_the_actions_on_files_alone_do_not_run_djangos_system_checks(models, capsys):
    """They cost `info` 0.9 s of CPU of 2.9 s; a project whose checks fail still says what a model file holds."""
    from django.core import checks

    from jiesu.cli import main

    def failing(app_configs, **kwargs):
        return [checks.Error("a check that always fails")]

    checks.register(failing)
    try:
        assert main(["dispatch", "info", "--model", str(models / "desk.npz"), "--lang", "en"]) == 0
    finally:
        checks.registry.registry.registered_checks.discard(failing)
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["model_version"] == "now-1"
