"""The engine: classifier probabilities × routing → top-3 (category, unit) suggestions, explained."""
import pytest

from jiesu.dispatch import engine
from jiesu.dispatch.engine import KeywordClassifier, keyword_pairs, suggest

from .test_router_fixtures import dispatch_db  # noqa: F401  (fixture)


class Stub:
    version = "stub-1"

    def __init__(self, ranked):
        self.ranked = ranked

    def predict_proba_top(self, text, k=3):
        return self.ranked[:k]


def test_the_explanations_are_in_the_users_language(dispatch_db):
    from django.utils import translation

    clf = Stub([("03.01.01", 0.7), ("05.03.01", 0.2), ("02.01.01", 0.1)])
    with translation.override("en"):
        found = suggest("王府井大街有人摆摊占道经营", address="东城区王府井大街", classifier=clf)
    first = found[0].explanation
    assert first.startswith("category “占道经营” 70% × routing") and "dispatch catalogue #" in first
    assert "territorial" in first and "copied to 东城区, as every street dispatch" in first
    assert " in 东华门街道 → " in first and "（" not in first  # names stay Chinese, the wording is English
    with translation.override("zh-hans"):
        again = suggest("王府井大街有人摆摊占道经营", address="东城区王府井大街", classifier=clf)
    assert again[0].explanation.startswith("分类「占道经营」概率 70% × 派单把握") and "街道派单同时抄送东城区" in again[0].explanation


def test_three_suggestions_with_explanations(dispatch_db):
    clf = Stub([("03.01.01", 0.7), ("05.03.01", 0.2), ("no.such", 0.06), ("02.01.01", 0.04)])
    found = suggest("王府井大街有人摆摊占道经营", address="东城区王府井大街", classifier=clf)
    assert len(found) == 3
    assert [s.rank for s in found] == [1, 2, 3]
    assert [(s.category.code, s.lead.code) for s in found] == [
        ("03.01.01", "110101001"), ("05.03.01", "CD-JGJ"), ("02.01.01", "EN-WATER")]
    for s in found:
        assert s.confidence == pytest.approx(round(s.probability * s.routing_confidence, 4))
        assert s.explanation.startswith(f"分类「{s.category.name}」概率")
        assert "派单目录 #" in s.explanation
    assert found[0].confidence >= found[1].confidence >= found[2].confidence
    assert "东华门街道办事处" in found[0].explanation and "抄送东城区" in found[0].explanation
    assert found.place.street.code == "110101001"
    assert found.classifier == "stub-1"
    d = found[0].as_dict()
    assert d["category"] == {"code": "03.01.01", "name": "占道经营"} and d["lead"]["code"] == "110101001"


def test_labels_may_be_unique_category_names(dispatch_db):
    table = dispatch_db.table
    leaf = table.category_by_code["05.03.01"]
    found = suggest("路边违停", classifier=Stub([(leaf.name, 0.9), ("住房公积金缴存", 0.1)]), top=2)
    assert [s.category.code for s in found] == ["05.03.01", "01.06.08"]


def test_without_a_place_territorial_duties_go_to_the_hotline(dispatch_db):
    found = suggest("有人占道经营", classifier=Stub([("03.01.01", 0.9)]), top=1)
    assert found[0].lead.code == "HC" and found[0].mode == "hotline" and not found.cold_start
    assert "未能确定所在区" in found[0].explanation


def test_the_default_classifier_is_the_cold_start_model(dispatch_db, settings):
    pytest.importorskip("sklearn")
    found = suggest("王府井大街有人摆摊占道经营，早晚高峰堵路", address="东城区王府井大街")
    assert len(found) == 3
    assert any("占道" in s.category.name for s in found)
    assert all(s.explanation for s in found)
    model_dir = settings.JIESU["DISPATCH_MODEL_DIR"]
    clf = engine.default_classifier()
    assert clf is engine.default_classifier()  # cached
    assert found.cold_start and engine.is_cold_start(clf)  # the desk and the API say its percentages only rank
    assert any(p.name.startswith("cold-start-") for p in __import__("pathlib").Path(model_dir).iterdir())


def test_keyword_fallback_classifier():
    clf = KeywordClassifier([("a", "停水 没水 自来水"), ("b", "占道经营 摆摊"), ("c", "噪音 扰民")])
    ranked = clf.predict_proba_top("小区停水了，家里没水", k=3)
    assert [label for label, _ in ranked][0] == "a"
    assert len(ranked) == 3 and ranked[0][1] > ranked[1][1]
    assert len(clf.predict_proba_top("什么都不沾", k=2)) == 2
    assert engine.is_cold_start(clf)


def test_a_model_trained_on_labelled_text_is_no_cold_start():
    from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier

    texts = ["小区停水了", "家里没水", "自来水发黄", "有人摆摊", "占道经营", "路边摆摊卖菜"]
    trained = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, list("aaabbb"))
    assert not engine.is_cold_start(trained)
    assert engine.is_cold_start(TextClassifier.from_keywords([("a", "停水 没水"), ("b", "占道经营 摆摊")]))


def test_keyword_pairs_are_the_active_leaves(dispatch_db):
    pairs = keyword_pairs(dispatch_db.table.categories.values())
    codes = [code for code, _ in pairs]
    assert "03.01.01" in codes and "03.01" not in codes and "03" not in codes
    assert dict(pairs)["03.01.01"].startswith("占道经营 ")


def test_an_empty_catalogue_suggests_nothing(db):
    """A database migrated but not set up: no category to suggest, and no error (the desk shows none)."""
    from jiesu.dispatch.router import invalidate

    invalidate()
    try:
        assert len(engine.cold_start_classifier([]).predict_proba_top("小区停水了", k=3)) == 0
        assert len(suggest("小区停水了，家里没水", address="东城区王府井大街")) == 0
    finally:
        invalidate()


def test_the_named_model_file_is_used_and_a_missing_one_is_said(dispatch_db, settings, tmp_path, caplog):
    from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier

    texts = ["有人摆摊占道经营", "路边摆摊卖菜", "店外占道经营", "路边违停", "车辆乱停", "违法停车堵路"]
    model = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        texts, ["03.01.01"] * 3 + ["05.03.01"] * 3, version="desk-test")
    path = tmp_path / "desk.npz"
    model.save(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    found = suggest("王府井大街有人摆摊", address="东城区王府井大街")
    assert found.classifier == "desk-test" and not found.cold_start
    assert found[0].category.code == "03.01.01"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(tmp_path / "desk")}  # named as the trainer takes it
    assert suggest("王府井大街有人摆摊", address="东城区王府井大街").classifier == "desk-test"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(tmp_path / "gone.npz")}
    with caplog.at_level("WARNING", logger="jiesu.dispatch.engine"):
        found = suggest("王府井大街有人摆摊", address="东城区王府井大街")
    assert found.cold_start and found.classifier.startswith("cold-start-")
    assert "gone.npz" in caplog.text and "JIESU_DISPATCH_MODEL" in caplog.text


def test_the_model_file_setting_reads_the_environment(tmp_path):
    import os
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; print(settings.JIESU['DISPATCH_MODEL'])"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="jiesu.settings", JIESU_DISPATCH_MODEL=str(tmp_path / "m.npz"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(tmp_path / "m.npz")
    env.pop("JIESU_DISPATCH_MODEL")
    env["JIESU_VAR_DIR"] = str(tmp_path / "var")  # by default the model lives in the var directory
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(tmp_path / "var" / "models" / "desk.npz")
    env["JIESU_DISPATCH_MODEL"] = ""  # empty: the cold start only, never trained
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def model(version):
    """A tiny trained model of two demo categories."""
    from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier

    texts = ["有人摆摊占道经营", "路边摆摊卖菜", "店外占道经营", "路边违停", "车辆乱停", "违法停车堵路"]
    labels = ["03.01.01"] * 3 + ["05.03.01"] * 3
    return TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels, version=version)


def _in_use_then_replaced(tmp_path, settings, monkeypatch):
    """desk-1 in use from the configured file, then the file replaced by desk-2; (the engine's clock, path)."""
    import os

    clock = [1000.0]
    monkeypatch.setattr(engine, "_clock", lambda: clock[0])
    path = tmp_path / "desk.npz"
    model("desk-1").save(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    assert engine.default_classifier().version == "desk-1"
    model("desk-2").save(tmp_path / "new.npz")
    os.replace(tmp_path / "new.npz", path)  # as `jiesu dispatch retrain` replaces it
    return clock, path


def test_a_replaced_model_file_is_loaded_at_the_next_look_and_a_damaged_one_is_not(dispatch_db, settings, tmp_path,
                                                                                  monkeypatch, caplog):
    clock, path = _in_use_then_replaced(tmp_path, settings, monkeypatch)
    clock[0] += engine.MODEL_CHECK_SECONDS - 1
    assert engine.default_classifier().version == "desk-1"  # not looked at yet: no stat per suggestion
    clock[0] += 2
    engine.default_classifier()  # noticed: loaded in a thread (that the request does not wait: the test below)
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier().version == "desk-2"
    assert suggest("王府井大街有人摆摊", address="东城区王府井大街").classifier == "desk-2"
    path.write_bytes(b"half a file")
    clock[0] += engine.MODEL_CHECK_SECONDS + 1
    with caplog.at_level("ERROR", logger="jiesu.dispatch.engine"):
        assert engine.default_classifier().version == "desk-2"
        assert engine.finish_reload(timeout=30)
        assert engine.default_classifier().version == "desk-2"  # the desk keeps its model
    assert "cannot load the model file" in caplog.text and "desk-2" in caplog.text
    model("desk-3").save(path)
    clock[0] += engine.MODEL_CHECK_SECONDS + 1
    engine.default_classifier()
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier().version == "desk-3"  # tried again at the next look


def test_a_replaced_model_is_loaded_in_a_thread_while_the_desk_goes_on(dispatch_db, settings, tmp_path, monkeypatch):
    """The request that notices a replaced file does not wait for its load, nor do those after it; one thread
    loads it, however often it is noticed meanwhile."""
    import threading

    clock, path = _in_use_then_replaced(tmp_path, settings, monkeypatch)
    release, loads, load = threading.Event(), [], engine._load_file

    def held_load(where):
        loads.append(where)
        assert release.wait(30)
        return load(where)

    monkeypatch.setattr(engine, "_load_file", held_load)
    for _look in range(2):
        clock[0] += engine.MODEL_CHECK_SECONDS + 1
        assert engine.default_classifier().version == "desk-1"  # answered at once, the load held back
    assert loads == [path] and not engine.finish_reload(timeout=0)
    release.set()
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier().version == "desk-2" and loads == [path]
