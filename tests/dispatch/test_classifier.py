"""The text classifier: accuracy on real data, probabilities, persistence, cold start."""
import json

import numpy as np
import pytest

from jiesu.dispatch.classifier import (
    FORMAT_VERSION,
    PRUNED_FORMAT_VERSION,
    READABLE_VERSIONS,
    ClassifierConfig,
    ModelFormatError,
    check_model_file,
    TextClassifier,
    body_passages,
    keep_strongest,
    mapped_confidence,
    normalize,
    train_from_tickets,
)
from jiesu.dispatch.evaluation import score

KEYWORDS = [
    ("交通运输", "交通运输 公交 公交车 地铁 出租车 客运 驾驶证 驾校 车辆 高速 收费站 道路运输 网约车"),
    ("劳动和社会保障", "劳动和社会保障 社保 养老保险 养老金 医保 工资 拖欠工资 劳动合同 就业 退休 失业"),
    ("卫生计生", "卫生计生 医院 医生 看病 药品 计划生育 二胎 疫苗 卫生院 医疗"),
    ("商贸旅游", "商贸旅游 商场 超市 消费者 旅游 景区 传销 价格 商家 市场"),
    ("城乡建设", "城乡建设 物业 小区 房屋 开发商 拆迁 违建 路灯 市政 房产证 装修"),
    ("教育文体", "教育文体 学校 学生 老师 教师 补课 招生 幼儿园 学区 体育 文化"),
    ("环境保护", "环境保护 污染 排污 噪音 扰民 废气 污水 粉尘 环保 垃圾焚烧"),
]


def split(rows, seed=0, test_share=0.2):
    """One fold of a stratified split, duplicates (same title) kept on one side."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = [r[-1] for r in rows]
    groups = [r[0] for r in rows]
    tr, te = next(StratifiedGroupKFold(n_splits=round(1 / test_share), shuffle=True, random_state=seed)
                  .split(np.zeros(len(y)), y, groups))
    return [rows[i] for i in tr], [rows[i] for i in te]


@pytest.fixture(scope="module")
def title_model(titles):
    train, test = split(titles, seed=1)
    clf = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        [t for t, _ in train], [l for _, l in train], version="test-1")
    return clf, test


def test_titles_reach_a_sane_macro_f1(title_model):
    clf, test = title_model
    sc = score([l for _, l in test], clf.predict([t for t, _ in test]))
    assert len(sc.labels) == 7
    assert sc.macro_f1 >= 0.85, sc.macro_f1


def test_full_messages_with_titles_reach_a_sane_macro_f1(titles, messages):
    train, test = split(messages, seed=2)
    seen = {t for t, _, _ in test}
    texts = [f"{t}\n{d}" for t, d, _ in train] + [t for t, l in titles if t not in seen]
    labels = [l for *_, l in train] + [l for t, l in titles if t not in seen]
    clf = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels)
    sc = score([l for *_, l in test], clf.predict([f"{t}\n{d}" for t, d, _ in test]))
    assert sc.macro_f1 >= 0.85, sc.macro_f1


def test_fast_path_matches_scikit_learn(title_model):
    _, test = title_model
    texts, labels = [t for t, _ in test], [l for _, l in test]
    ours = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels)
    vec, svm = ours._fit_linear(texts, labels)  # the same (deterministic) fit, kept as scikit-learn objects
    fast = np.vstack([ours.decision_scores(t) for t in texts[:300]])
    ref = svm.decision_function(vec.transform(texts[:300]))
    assert np.abs(fast - ref).max() < 1e-4


@pytest.mark.parametrize("words", [{}, {"word_max": 4}, {"word_max": 3, "words_from": "title"}])
def test_fast_path_matches_scikit_learn_on_full_messages(messages, titles, words):
    """Title + details: every feature block (whole text, title line, words) goes through the fast path."""
    texts = [f"{t}\n{d}" for t, d, _ in messages[:400]] + [t for t, _ in titles[:400]]
    labels = [l for *_, l in messages[:400]] + [l for _, l in titles[:400]]
    ours = TextClassifier(config=ClassifierConfig(calibrate=False, **words)).fit(texts, labels)
    w = ours._w
    assert w.text_vocab and w.title_vocab and w.word_vocab  # all three blocks
    assert len(w.text_vocab) + len(w.title_vocab) + len(w.word_vocab) == len(w.idf)
    vec, svm = ours._fit_linear(texts, labels)
    fast = np.vstack([ours.decision_scores(t) for t in texts[::4]])
    ref = svm.decision_function(vec.transform(texts[::4]))
    assert np.abs(fast - ref).max() < 1e-4
    if words.get("word_max", 2) > 2:
        assert max(map(len, w.word_vocab)) == words["word_max"]


def test_block_weights_zero_leave_the_blocks_out(titles):
    texts, labels = [t for t, _ in titles[:600]], [l for _, l in titles[:600]]
    plain = TextClassifier(config=ClassifierConfig(calibrate=False, title_weight=0, word_weight=0)).fit(texts, labels)
    full = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels)
    assert len(plain._w.text_vocab) == len(plain._w.idf) and not plain._w.title_vocab and not plain._w.word_vocab
    assert len(full._w.idf) > len(plain._w.idf)
    assert "医保" in full._w.word_vocab and "保" not in full._w.word_vocab  # dictionary words of 2+ characters


def test_body_passages_cut_whole_sentences_of_the_body():
    body = "小区门口的垃圾堆了一个星期没人清运，臭气熏天。" * 2 + "路灯坏了三个月，晚上出门很不安全！" * 3 + "谢谢。"
    parts = body_passages("小区垃圾没人清运\n" + body, 40)
    assert len(parts) >= 2
    assert "".join(parts) == body  # the whole body, nothing of the title
    assert all(p.endswith(("。", "！")) for p in parts)  # whole sentences
    assert all(len(normalize(p)) >= 40 for p in parts[:-1]) and len(normalize(parts[-1])) >= 20
    assert parts[-1].endswith("谢谢。")  # a short remainder joins the last passage
    assert body_passages("只有标题的留言") == []
    assert body_passages("标题\n正文只有一句话，不到两段。", 40) == []  # the message itself is that passage


def test_body_passages_are_extra_training_examples_only_for_full_messages(titles, messages):
    texts, labels = [t for t, _ in titles[::15]], [l for _, l in titles[::15]]
    on = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels)
    off = TextClassifier(config=ClassifierConfig(calibrate=False, chunk_weight=0)).fit(texts, labels)
    assert on._w.vocab == off._w.vocab and np.array_equal(on._w.coef, off._w.coef)  # titles have no body

    texts = [f"{t}\n{d}" for t, d, _ in messages[::6]]
    labels = [l for *_, l in messages[::6]]
    on = TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels)
    off = TextClassifier(config=ClassifierConfig(calibrate=False, chunk_weight=0)).fit(texts, labels)
    assert on.meta["n_train"] == off.meta["n_train"] == len(texts)  # passages are not rows
    assert on.meta["config"]["chunk_weight"] == ClassifierConfig.chunk_weight > 0
    # each passage fills the title block too, so body n-grams reach it; the text block is the same
    assert on._w.text_vocab == off._w.text_vocab
    assert set(off._w.title_vocab) < set(on._w.title_vocab)
    heavy = TextClassifier(config=ClassifierConfig(calibrate=False, chunk_weight=1.0)).fit(texts, labels)
    assert not np.allclose(heavy._w.coef, on._w.coef)  # the weight is used


def test_version_2_files_still_load(titles, tmp_path):
    """Format 2 had the title block but no word block."""
    texts, labels = [t for t, _ in titles[:800]], [l for _, l in titles[:800]]
    old = TextClassifier(config=ClassifierConfig(calibrate=False, word_weight=0)).fit(texts, labels)
    path = old.save(tmp_path / "v2.npz")
    with np.load(path) as z:
        arrays = dict(z)
    meta = json.loads(arrays["meta"].tobytes())
    meta["format_version"] = 2
    for key in ("word_weight", "word_max"):
        meta["config"].pop(key)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "v2-file.npz", **arrays)
    back = TextClassifier.load(tmp_path / "v2-file.npz")
    assert back.config.word_weight == 0 and back._w.title_vocab
    sample = [f"{t}\n第二行的详情" for t in texts[:100]]
    assert back.predict(sample) == old.predict(sample)


def test_top_k_is_sorted_and_sums_to_at_most_one(title_model):
    clf, _ = title_model
    top = clf.predict_proba_top("小区物业乱收停车费", k=3)
    assert len(top) == 3
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert all(0 <= p <= 1 for _, p in top)
    assert sum(p for _, p in top) <= 1 + 1e-9
    assert top[0][0] == clf.predict(["小区物业乱收停车费"])[0]
    full = clf.predict_proba(["小区物业乱收停车费"])[0]
    assert abs(full.sum() - 1) < 1e-9
    every = clf.predict_proba_top("小区物业乱收停车费", k=7)
    assert [(clf.classes.index(label), p) for label, p in every] == sorted(
        enumerate(full.tolist()), key=lambda ip: (-ip[1], ip[0]))  # the same probabilities as the full softmax
    assert len(clf.predict_proba_top("x", k=99)) == 7


def test_save_load_round_trip_gives_identical_predictions(title_model, tmp_path):
    clf, test = title_model
    texts = [t for t, _ in test]
    path = clf.save(tmp_path / "model")
    assert path.suffix == ".npz"
    back = TextClassifier.load(path)
    assert back.predict(texts) == clf.predict(texts)
    assert np.allclose(back.predict_proba(texts[:50]), clf.predict_proba(texts[:50]))
    meta = back.meta
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["model_version"] == "test-1" == back.version
    assert meta["classes"] == clf.classes
    assert meta["n_train"] == clf.meta["n_train"] > 5000
    assert meta["trained_at"] and meta["libraries"]["numpy"] and meta["libraries"]["scikit-learn"]


@pytest.mark.parametrize("read", [TextClassifier.load, check_model_file], ids=["load", "check"])
def test_load_rejects_foreign_damaged_and_future_files(title_model, tmp_path, read):
    """check_model_file refuses what load refuses (the worker's and the accuracy page's check), and passes a model."""
    clf, _ = title_model
    with pytest.raises(FileNotFoundError):
        read(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFormatError):
        read(junk)
    path = clf.save(tmp_path / "m.npz")
    read(path)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFormatError, match="damaged"):
        read(cut)
    with np.load(path) as z:
        arrays = dict(z)
    meta = json.loads(arrays["meta"].tobytes())
    meta["format_version"] = max(READABLE_VERSIONS) + 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    future = tmp_path / "future.npz"
    np.savez(future, **arrays)
    with pytest.raises(ModelFormatError, match="format version"):
        read(future)


def test_version_1_files_still_load(titles, tmp_path):
    """Format 1 had one block (no title block, no n_text_features): it loads and predicts as saved."""
    texts, labels = [t for t, _ in titles[:800]], [l for _, l in titles[:800]]
    old = TextClassifier(config=ClassifierConfig(calibrate=False, title_weight=0, word_weight=0)).fit(texts, labels)
    path = old.save(tmp_path / "v1.npz")
    with np.load(path) as z:
        arrays = dict(z)
    meta = json.loads(arrays["meta"].tobytes())
    meta["format_version"] = 1
    meta.pop("n_text_features")
    for key in ("title_weight", "word_weight", "word_max"):
        meta["config"].pop(key)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    v1 = tmp_path / "v1-file.npz"
    np.savez(v1, **arrays)
    back = TextClassifier.load(v1)
    assert back.config.title_weight == 0
    sample = [f"{t}\n第二行的详情" for t in texts[:100]]
    assert back.predict(sample) == old.predict(sample)
    assert np.allclose(back.predict_proba(sample[:20]), old.predict_proba(sample[:20]))


def test_calibration_fits_a_temperature_and_records_cv_figures(titles):
    train, _ = split(titles, seed=3, test_share=0.5)
    clf = TextClassifier(config=ClassifierConfig(calibration_folds=3)).fit(
        [t for t, _ in train], [l for _, l in train])
    m = clf.meta
    assert 0.01 < clf.temperature < 10 and m["temperature"] == clf.temperature
    assert m["cv_folds"] == 3 and m["cv_macro_f1"] > 0.8
    assert m["cv_ece"] < 0.08


def test_calibration_keeps_rare_classes_and_samples_large_sets(titles):
    """A class with fewer rows than folds does not switch calibration off; past calibration_rows the folds
    are cut from a sample of that many rows."""
    texts = [t for t, _ in titles[:1500]] + ["路灯坏了一盏", "井盖丢失"]
    labels = [l for _, l in titles[:1500]] + ["市政设施", "井盖"]
    clf = TextClassifier(config=ClassifierConfig(calibration_rows=600)).fit(texts, labels)
    m = clf.meta
    assert m["cv_folds"] == 5 and m["cv_rows"] == 600 and m["n_train"] == 1502
    assert "井盖" in clf.classes and clf.temperature != 1.0 and m["cv_macro_f1"] > 0.3
    whole = TextClassifier(config=ClassifierConfig(calibration_rows=0, chunk_weight=0)).fit(texts[:700], labels[:700])
    assert whole.meta["cv_rows"] == 700


def test_a_pruned_model_is_calibrated_on_folds_pruned_alike(titles):
    """The temperature divides the pruned model's scores, so the out-of-fold scores it is fitted on are
    those of fold models pruned to the same budget: the recorded CV accuracy is theirs."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = [t for t, _ in titles[:1200]], [l for _, l in titles[:1200]]
    config = dict(calibration_folds=3, chunk_weight=0, max_weights=20_000)
    clf = TextClassifier(config=ClassifierConfig(**config)).fit(texts, labels)
    assert clf._w.pruned
    y = np.array(labels)
    right = 0
    for tr, te in StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        fold = TextClassifier(config=ClassifierConfig(**config, calibrate=False)).fit(
            [texts[i] for i in tr], list(y[tr]))
        assert fold._w.pruned
        right += sum(p == labels[i] for p, i in zip(fold.predict([texts[i] for i in te]), te))
    assert clf.meta["cv_accuracy"] == round(right / len(texts), 4)
    dense = TextClassifier(config=ClassifierConfig(**{**config, "max_weights": 0})).fit(texts, labels)
    assert dense.meta["cv_accuracy"] > clf.meta["cv_accuracy"]  # 1 weight of 7 per feature costs accuracy


def test_keep_strongest_keeps_each_rows_largest_weights():
    coef = np.array([[0.1, -0.9, 0.3, 0.0], [0.5, 0.2, -0.6, 0.05]], dtype=np.float32)
    classes, values = keep_strongest(coef, 2)
    assert [sorted(r) for r in classes.tolist()] == [[1, 2], [0, 2]]
    assert np.array_equal(values, np.take_along_axis(coef, classes.astype(np.intp), axis=1))
    assert classes.dtype == np.uint16


def _zeroed_but_strongest(coef, m):
    keep = np.argsort(-np.abs(coef), axis=1, kind="stable")[:, :m]
    out = np.zeros_like(coef)
    rows = np.arange(len(coef))[:, None]
    out[rows, keep] = coef[rows, keep]
    return out


@pytest.mark.parametrize("ngram_max", [2, 3])  # the coded path and the string path
def test_a_model_over_its_weight_budget_keeps_each_features_strongest_classes(titles, tmp_path, ngram_max):
    texts, labels = [t for t, _ in titles[:2000]], [l for _, l in titles[:2000]]
    cfg = dict(calibrate=False, chunk_weight=0, ngram_max=ngram_max)
    dense = TextClassifier(config=ClassifierConfig(**cfg)).fit(texts, labels)
    n_features = len(dense._w.idf)
    assert not dense._w.pruned and dense.meta["format_version"] == FORMAT_VERSION
    pruned = TextClassifier(config=ClassifierConfig(max_weights=3 * n_features, **cfg)).fit(texts, labels)
    assert pruned._w.pruned and pruned._w.top_classes.shape == (n_features, 3)
    assert pruned.meta["weights_per_feature"] == 3 and pruned.meta["format_version"] == PRUNED_FORMAT_VERSION
    expected = TextClassifier(config=dense.config, classes=dense.classes, meta=dense.meta)
    expected._w = dense._w
    kept = _zeroed_but_strongest(dense._w.coef, 3)
    sample = texts[:40] + [f"{t}\n{t}的详情，已经很久了" for t in texts[40:60]] + ["", "完全无关"]
    original = dense._w.coef
    try:
        dense._w.coef = kept
        want = np.array([expected.decision_scores(t) for t in sample])
    finally:
        dense._w.coef = original
    got = np.array([pruned.decision_scores(t) for t in sample])
    assert np.allclose(got, want, atol=1e-5)
    back = TextClassifier.load(pruned.save(tmp_path / "pruned.npz"))
    assert back._w.pruned and back.meta["format_version"] == PRUNED_FORMAT_VERSION
    assert np.allclose(np.array([back.decision_scores(t) for t in sample]), got, atol=1e-6)
    assert back.predict(texts[:300]) == pruned.predict(texts[:300])
    agree = np.mean(np.array(pruned.predict(texts[:300])) == np.array(dense.predict(texts[:300])))
    assert agree > 0.9, agree


def test_a_damaged_pruned_file_is_rejected(titles, tmp_path):
    texts, labels = [t for t, _ in titles[:600]], [l for _, l in titles[:600]]
    clf = TextClassifier(config=ClassifierConfig(calibrate=False, max_weights=20_000)).fit(texts, labels)
    assert clf._w.pruned
    path = clf.save(tmp_path / "p.npz")
    with np.load(path) as z:
        arrays = dict(z)
    arrays["top_classes"] = arrays["top_classes"].copy()
    arrays["top_classes"][0, 0] = len(clf.classes)  # a class the model does not have
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ModelFormatError, match="inconsistent"):
        TextClassifier.load(bad)


def test_cold_start_from_keywords_predicts_the_obvious_class():
    clf = TextClassifier.from_keywords(KEYWORDS, version="kw-1")
    assert clf.meta["mode"] == "keywords" and clf.version == "kw-1"
    cases = {
        "公交车站点太少，坐公交太难": "交通运输",
        "公司拖欠工资半年，社保也没交": "劳动和社会保障",
        "医院医生看病态度恶劣": "卫生计生",
        "超市商家价格欺诈消费者": "商贸旅游",
        "小区物业不作为，开发商违建": "城乡建设",
        "学校强制学生补课": "教育文体",
        "化工厂排污，污水直排河道": "环境保护",
    }
    for text, label in cases.items():
        top = clf.predict_proba_top(text, k=3)
        assert top[0][0] == label, (text, top)
        assert 0 < top[0][1] <= 1


def test_cold_start_from_the_taxonomy_beats_chance(data_dir, titles):
    import csv

    with open(data_dir / "taxonomy_3level.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    labels = {l for _, l in titles}
    pairs = [(r["一级分类"], f"{r['二级分类']} {r['三级分类']}") for r in rows if r["一级分类"] in labels]
    clf = TextClassifier.from_keywords(pairs)
    sample = titles[::7]
    sc = score([l for _, l in sample], clf.predict([t for t, _ in sample]))
    assert sc.macro_f1 > 0.3  # 7 classes: chance is about 0.14


def test_train_from_tickets_skips_empty_rows():
    rows = [(t, l) for l, kw in KEYWORDS for t in kw.split()] + [("", "城乡建设"), ("路灯坏了", ""), ("x", None)]
    clf = train_from_tickets(rows, config=ClassifierConfig(calibrate=False))
    assert clf.meta["n_skipped"] == 3
    assert len(clf.classes) == 7


def test_fit_needs_two_classes_and_some_text():
    with pytest.raises(ValueError):
        TextClassifier().fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError):
        TextClassifier().fit(["  ", ""], ["x", "y"])
    with pytest.raises(RuntimeError):
        TextClassifier().predict(["路灯坏了"])


def test_normalize_removes_whitespace_and_folds_width():
    assert normalize(" Ａ７县\u3000城管 局\n") == "a7县城管局"
    assert normalize(None) == ""


@pytest.mark.parametrize("model", ["ridge", "svm"])
def test_two_classes_train_save_and_load(model, tmp_path):
    """Binary problems (scikit-learn keeps one weight row, or a 1-d one) give two score columns."""
    texts = ["楼道燃气泄漏", "厨房燃气味很重", "路边占道经营", "商贩占道摆摊"]
    clf = TextClassifier(config=ClassifierConfig(calibrate=False, model=model)).fit(texts, list("aabb"))
    back = TextClassifier.load(clf.save(tmp_path / "two.npz"))
    assert back.predict(["燃气泄漏了", "有人占道"]) == ["a", "b"]
    assert back.predict_proba(["燃气泄漏了"]).shape == (1, 2)


def test_mapped_confidence_gives_the_top_its_share_right_and_keeps_the_order():
    xs, ys = np.array([0.0, 0.5, 1.0]), np.array([0.1, 0.3, 0.9])
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5], [0.4, 0.35, 0.25]])
    top = p.argmax(1)
    out = mapped_confidence(p, top, xs, ys)
    want_top = np.interp(p[np.arange(3), top], xs, ys)  # 0.42, 0.3, 0.26
    assert np.allclose(out[np.arange(3), top], want_top)
    assert (np.argsort(-out, axis=1, kind="stable") == np.argsort(-p, axis=1, kind="stable")).all()
    assert (out.sum(1) <= 1 + 1e-12).all()
    assert np.allclose(out[0], p[0] * 0.42 / 0.6)  # over-confident: every label scaled alike
    xs = np.linspace(0, 1, 101)
    under = mapped_confidence(np.array([[0.65, 0.2, 0.15]]), np.array([0]), xs, np.sqrt(xs))
    g = np.interp(0.65, xs, np.sqrt(xs))  # under-confident: the top rises to g, the others share 1 − g alike
    assert g > 0.65 and np.allclose(under, [[g, 0.2 * (1 - g) / 0.35, 0.15 * (1 - g) / 0.35]])


def test_a_many_class_model_maps_its_top_confidence_and_keeps_the_map(titles, tmp_path):
    """One temperature leaves a many-class model over-confident at its top: calibration also fits how often
    the top label was right by its probability, and prediction reports that; 7 classes keep the temperature
    alone."""
    texts = [t for t, _ in titles[:900]]
    labels = [f"{label}-{ord(t[0]) % 6}" for t, label in titles[:900]]
    clf = TextClassifier(config=ClassifierConfig(calibration_folds=3)).fit(texts, labels)
    assert len(clf.classes) >= 16
    found = clf.meta["confidence_map"]
    assert len(found["x"]) == len(found["y"]) >= 2 and found["y"] == sorted(found["y"])
    assert 0 < min(found["y"]) and max(found["y"]) <= 1
    raw = TextClassifier(config=clf.config, classes=clf.classes, temperature=clf.temperature, meta={})
    raw._w = clf._w
    for text in texts[:30]:
        (label, p), *_ = clf.predict_proba_top(text, 3)
        (raw_label, raw_p), *_ = raw.predict_proba_top(text, 3)
        assert label == raw_label and p == pytest.approx(np.interp(raw_p, found["x"], found["y"]))
        assert clf.predict_proba_one(text).max() == pytest.approx(p)
    again = TextClassifier.load(clf.save(tmp_path / "many.npz"))
    assert again.predict_proba_top(texts[0], 3) == clf.predict_proba_top(texts[0], 3)
    few = TextClassifier(config=ClassifierConfig(calibration_folds=3)).fit(texts, [l for _, l in titles[:900]])
    assert "confidence_map" not in few.meta and few._confidence is None


@pytest.mark.parametrize("model_type", ["ridge", "svm"])
def test_a_class_of_one_row_trains_without_breaking_the_calibration(model_type):
    """A fold of the calibration whose training part holds one class is left out (it crashed with a numpy shape
    error, 2026-12-06); the model knows both classes."""
    texts = [f"小区{i}号楼门前垃圾堆放没人清运" for i in range(30)] + ["咨询社保缴费年限怎么计算"]
    labels = ["城乡建设"] * 30 + ["劳动和社会保障"]
    model = TextClassifier(config=ClassifierConfig(model=model_type, calibration_rows=0)).fit(texts, labels)
    assert set(model.classes) == {"城乡建设", "劳动和社会保障"}
    assert model.predict(["小区门前垃圾堆放"]) == ["城乡建设"]
    tiny = TextClassifier(config=ClassifierConfig(model=model_type)).fit(texts[:2] + texts[-1:], labels[:2] + labels[-1:])
    assert len(tiny.classes) == 2
