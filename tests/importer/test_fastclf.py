"""The batch classifier gives the dispatch model's own answers, for many texts in one call."""
import numpy as np
import pytest

from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier
from jiesu.dispatch.engine import KeywordClassifier
from jiesu.importer.fastclf import BatchClassifier

PAIRS = [
    ("城乡建设", "垃圾 清运 小区 物业 违建 拆迁 道路 施工"),
    ("环境保护", "噪音 油烟 污染 排放 异味 扬尘"),
    ("劳动和社会保障", "工资 拖欠 社保 养老 劳动 合同"),
    ("交通运输", "公交 出租车 停车 路灯 红绿灯 拥堵"),
]
TEXTS = ["小区门口垃圾堆积很多天没人清运", "楼下饭店油烟太大\n晚上排放异味", "单位拖欠工资半年", "",
         "路口红绿灯坏了 很拥堵", "ＡＢＣ 全角 English 123", "\n\n第二行才是标题\n公交站台", "完全无关的内容",
         "😀垃圾𠀀清运\x01噪音",  # characters above and below the vocabulary's, a control character
         "ΣΑΣ 噪音", "e\u0301 垃圾\n清运", "한국 공해 油烟", "违建面积120㎡…", "  \n拖欠工资"]  # normalised as strings


@pytest.mark.parametrize("options", [{"title_weight": 0.0}, {"title_weight": 0.7}, {"max_weights": 100},
                                     {"confidence_map": True}])
def test_batch_equals_per_text(options):
    options = dict(options)
    mapped = options.pop("confidence_map", False)
    model = TextClassifier.from_keywords(PAIRS, config=ClassifierConfig(calibrate=False, **options))
    if mapped:  # as a many-category model's calibration leaves it: the top label's share right by probability
        model._confidence = (np.array([0.0, 0.3, 0.6, 1.0]), np.array([0.05, 0.1, 0.5, 0.8]))
        assert model.predict_proba_top(TEXTS[0], 1)[0][1] != pytest.approx(
            TextClassifier.from_keywords(PAIRS, config=ClassifierConfig(calibrate=False)).predict_proba_top(
                TEXTS[0], 1)[0][1])
    assert model._w.pruned == ("max_weights" in options)
    if model._w.pruned:
        assert model._w.top_classes.shape[1] == 1  # 100 weights over more features: 1 each
    batch = BatchClassifier(model)
    assert batch.fast, batch.reason
    got = batch.top(TEXTS * 3, k=3)
    want = [model.predict_proba_top(t, 3) for t in TEXTS * 3]
    assert [[label for label, _ in g] for g in got] == [[label for label, _ in w] for w in want]
    for g, w in zip(got, want):
        assert [p for _, p in g] == pytest.approx([p for _, p in w], abs=1e-5)


def test_other_models_fall_back_to_their_own_method():
    model = KeywordClassifier(PAIRS)
    batch = BatchClassifier(model)
    assert not batch.fast and batch.reason
    assert batch.top(TEXTS[:3], k=2) == [model.predict_proba_top(t, 2) for t in TEXTS[:3]]


def test_best_columns_come_largest_first_with_ties_to_the_lower_column():
    e = np.exp(np.array([[0.0, -1.0, 0.0, -3.0, 0.0],
                         [-2.0, -0.5, 0.0, -0.5, -9.0]]))
    part, numerators = BatchClassifier._best(e, 3)
    assert part.tolist() == [[0, 2, 4], [2, 1, 3]]
    assert numerators == pytest.approx(np.exp([[0.0, 0.0, 0.0], [0.0, -0.5, -0.5]]))
    assert e[0].tolist() == pytest.approx([-1.0, np.exp(-1.0), -1.0, np.exp(-3.0), -1.0])  # the picks used up
