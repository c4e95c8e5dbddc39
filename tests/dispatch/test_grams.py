"""N-grams as integer codes: the same normalisation and the same counts as the string path."""
import random
from collections import Counter

import numpy as np
import pytest

from jiesu.dispatch import grams
from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier, char_ngrams, normalize

TABLE = grams._table()
FAST = [cp for cp in range(len(TABLE)) if TABLE[cp] >= 0]


def as_text(points) -> str:
    return "".join(map(chr, points))


def test_every_character_on_the_table_normalises_as_the_string_does_between_ideographs():
    mismatches = []
    for cp in FAST:
        want = normalize("甲" + chr(cp) + "乙")
        got = "甲" + (chr(TABLE[cp]) if TABLE[cp] else "") + "乙"
        if got != want:
            mismatches.append(hex(cp))
    assert not mismatches, mismatches[:20]
    assert len(FAST) > 40_000  # the table covers most of the plane, the ideographs among them
    assert TABLE[ord("，")] == ord(",") and TABLE[ord("Ａ")] == ord("a") and TABLE[0x3000] == 0
    assert TABLE[ord("①")] == ord("1")


def test_random_strings_of_table_characters_normalise_as_the_string_does():
    rng = random.Random(7)
    common = [ord(c) for c in "，。！？：；（）、 \u3000\xa0\t\nAaZz09-_/．"]
    for _ in range(20_000):
        s = as_text(rng.choice(FAST) if rng.random() < 0.5 else rng.choice(common) for _ in range(rng.randint(0, 8)))
        got = grams.normalized_code_points(s)
        assert got is not None
        assert as_text(got) == normalize(s), repr(s)


@pytest.mark.parametrize("text", [
    "面积120㎡", "ΣΑΣ", "Ϲ", "e\u0301 combining", "\u1100\u1161 jamo", "한국", "ㄱㅏ", "𠀀 astral", "Ⅱ期…",
])
def test_texts_needing_the_full_normalisation_are_sent_back(text):
    assert grams.normalized_code_points(text) is None


def test_real_messages_map_to_the_normalised_string(messages):
    for title, details, _ in messages[:600]:
        text = f"{title}\n{details}"
        got = grams.normalized_code_points(text)
        if got is not None:
            assert as_text(got) == normalize(text)


def test_gram_codes_count_the_same_ngrams_as_char_ngrams():
    norm = normalize("小区门口垃圾堆积，垃圾臭气熏天！小区")
    codes, counts = grams.gram_codes(grams.code_points(norm))
    want = Counter(map(grams.gram_code, char_ngrams(norm, 1, 2)))
    assert dict(zip(codes.tolist(), counts.tolist())) == want
    assert list(codes) == sorted(codes)
    assert grams.gram_codes(grams.code_points(""))[0].size == 0
    only_pairs, _ = grams.gram_codes(grams.code_points(norm), 2, 2)
    assert all(c >= 1 << grams.SHIFT for c in only_pairs)


def test_coded_vocab_finds_known_grams_and_skips_longer_vocabularies():
    vocab = {"垃": 0, "垃圾": 1, "圾": 2, "小区": 3}
    coded = grams.CodedVocab.of(vocab)
    codes, counts = grams.gram_codes(grams.code_points(normalize("垃圾垃圾在小区")))
    ids, tf = coded.lookup(codes, counts)
    assert dict(zip(ids.tolist(), tf.tolist())) == {0: 2, 1: 2, 2: 2, 3: 1}
    assert grams.CodedVocab.of({"垃圾桶": 0}) is None


@pytest.fixture(scope="module")
def model(titles, messages):
    texts = [f"{t}\n{d}" for t, d, _ in messages[:300]] + [t for t, _ in titles[:600]]
    labels = [l for *_, l in messages[:300]] + [l for _, l in titles[:600]]
    return TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels)


@pytest.mark.parametrize("text", [
    "", "   ", "\n\n", "小区门口垃圾堆积", "标题\n正文说垃圾没人清运", "\n\n标题在第二行\n正文", "面积120㎡的房子漏水\n①号楼",
    "ＡＢＣ全角，小区", "标题\n", "zzzz qqqq", "𠀀𠀁 垃圾",
])
def test_coded_path_gives_the_string_path_scores(model, text):
    w = model._w
    assert w.coded is not None
    coded = model.decision_scores(text)
    w.coded = None
    try:
        plain = model.decision_scores(text)
    finally:
        w.__post_init__()
    assert np.abs(coded - plain).max() < 1e-5
