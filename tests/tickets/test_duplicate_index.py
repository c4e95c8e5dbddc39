"""jiesu.dispatch.duplicates.DuplicateIndex: texts without features (only boilerplate or punctuation), and the
normalised rows other apps (hotspots) read."""
import time

import numpy as np
import pytest

from jiesu.dispatch.duplicates import DuplicateIndex, Doc, features

NOW = time.time()


def rows_of(texts):
    idx = DuplicateIndex()
    idx.build(Doc(i, t, NOW) for i, t in enumerate(texts))
    return idx, idx.normalized_rows()


@pytest.mark.parametrize("texts", [
    ["东华门大街有人占道经营", "，。！"],                    # the last text has no features (the IndexError)
    ["，。", "东华门大街有人占道经营", "！！", "路灯不亮晚上很黑", "？"],
    ["。", "！"],
])
def test_texts_without_features_are_empty_rows_and_the_others_unit_length(texts):
    assert not features(texts[-1])
    idx, m = rows_of(texts)
    norms = np.asarray(m.multiply(m).sum(axis=1)).ravel()
    expected = [1.0 if features(t) else 0.0 for t in texts]
    assert m.shape[0] == len(texts) and norms == pytest.approx(expected, abs=1e-5)
    stall = [i for i, t in enumerate(texts) if t == "东华门大街有人占道经营"]
    assert [hit.id for hit in idx.search("东华门大街有人占道经营")][:1] == stall[:1]


def test_an_empty_row_added_later_is_fine_and_search_still_finds_the_others():
    idx, _ = rows_of(["东华门大街有人占道经营", "路灯不亮晚上很黑"])
    idx.add(Doc(7, "。。。", NOW))
    m = idx.normalized_rows()
    assert m.shape[0] == 3 and m[2].nnz == 0
    assert [hit.id for hit in idx.search("东华门大街有人占道经营")][:1] == [0]


def test_normalized_rows_are_the_cosines_the_index_searches_with():
    texts = ["东华门大街有人占道经营", "东华门大街占道经营严重", "路灯不亮晚上很黑"]
    idx, m = rows_of(texts)
    cos = (m @ m.T).toarray()
    assert np.diag(cos) == pytest.approx([1, 1, 1], abs=1e-5)
    assert cos[0, 1] == pytest.approx(idx.text_scores(texts[1])[0], abs=1e-5)
    assert cos[0, 1] > cos[0, 2]
