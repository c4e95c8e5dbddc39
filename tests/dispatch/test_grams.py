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
        head = rng.randint(0, len(s))
        got = grams.normalized_code_points(s, head)
        assert got is not None
        chars, in_head = got
        assert as_text(chars) == normalize(s), repr(s)
        assert as_text(chars[:in_head]) == normalize(s[:head]), (repr(s), head)


@pytest.mark.parametrize("text", [
    "ΣΑΣ", "Ϲ", "e\u0301 combining", "\u1100\u1161 jamo", "한국", "ㄱㅏ", "𠀀 astral", "面积120㎡𠀀", "…\u0301",
])
def test_texts_needing_the_full_normalisation_are_sent_back(text):
    assert grams.normalized_code_points(text) is None


EXPANSIONS = grams._expansions()


def test_every_expanding_character_normalises_as_the_string_does_between_ideographs():
    assert {"…": "...", "㎡": "m2", "⑴": "(1)", "Ⅱ": "II", "℃": "°C"}.items() <= \
        {chr(cp): wide for cp, wide in EXPANSIONS.items()}.items()
    mismatches = []
    for cp in EXPANSIONS:
        text = "甲" + chr(cp) + "乙"
        got = grams.normalized_code_points(text)
        if got is None or as_text(got[0]) != normalize(text):
            mismatches.append(hex(cp))
    assert not mismatches, mismatches[:20]


def test_random_strings_with_expanding_characters_normalise_as_the_string_does():
    rng = random.Random(11)
    wide = list(EXPANSIONS)
    common = [ord(c) for c in "，。 \u3000\n\tAa9"]
    for _ in range(20_000):
        s = as_text(rng.choice(wide) if rng.random() < 0.3 else rng.choice(FAST) if rng.random() < 0.5
                    else rng.choice(common) for _ in range(rng.randint(0, 8)))
        head = rng.randint(0, len(s))
        chars, in_head = grams.normalized_code_points(s, head)
        assert as_text(chars) == normalize(s), repr(s)
        assert as_text(chars[:in_head]) == normalize(s[:head]), (repr(s), head)


def test_real_messages_map_to_the_normalised_string(messages):
    for title, details, _ in messages[:600]:
        text = f"{title}\n{details}"
        got = grams.normalized_code_points(text, len(title))
        if got is not None:
            assert as_text(got[0]) == normalize(text)
            assert as_text(got[0][: got[1]]) == normalize(title)


def test_gram_codes_count_the_same_ngrams_as_char_ngrams():
    norm = normalize("小区门口垃圾堆积，垃圾臭气熏天！小区")
    codes, counts = grams.gram_codes(grams.code_points(norm))
    want = Counter(map(grams.gram_code, char_ngrams(norm, 1, 2)))
    assert dict(zip(codes.tolist(), counts.tolist())) == want
    assert list(codes) == sorted(codes)
    assert grams.gram_codes(grams.code_points(""))[0].size == 0
    only_pairs, _ = grams.gram_codes(grams.code_points(norm), 2, 2)
    assert all(c >= 1 << grams.SHIFT for c in only_pairs)


def test_coded_blocks_find_known_grams_of_both_parts_in_every_block_and_skip_longer_vocabularies():
    text_block, word_block, title_block = {"垃": 0, "垃圾": 1, "圾": 2, "小区": 3}, {"小区": 6}, {"小区": 4, "区": 5}
    coded = grams.CodedBlocks.of([text_block, word_block], [title_block, {}])
    chars, title = (grams.code_points(normalize(t)) for t in ("垃圾垃圾在小区", "小区小区"))
    ids, tf, in_text = coded.find(*grams.gram_codes(chars, tagged=title))
    found = {(int(i), part): int(n) for at, (row, n) in enumerate(zip(ids, tf)) for i in row if i >= 0
             for part in ["text" if at < in_text else "title"]}
    assert found == {(0, "text"): 2, (1, "text"): 2, (2, "text"): 2, (3, "text"): 1, (6, "text"): 1,
                     (4, "title"): 2, (5, "title"): 2}
    assert ids.shape == (6, 2) and in_text == 4
    nothing, _, none_in_text = coded.find(*grams.gram_codes(grams.code_points("zz"), tagged=grams.code_points("q")))
    assert nothing.shape == (0, 2) and none_in_text == 0
    assert grams.CodedBlocks.of([{"垃圾": 0}], [{"垃圾桶": 1}]) is None


def test_tagged_grams_of_the_text_itself_are_its_grams_tagged():
    chars = grams.code_points(normalize("小区门口垃圾，小区"))
    codes, counts = grams.gram_codes(chars)
    both, both_counts = grams.gram_codes(chars, tagged=chars)
    again, again_counts = grams.gram_codes(chars, tagged=chars.copy())
    assert list(both) == list(codes) + [c | grams.TAG for c in codes] == list(again)
    assert list(both_counts) == list(counts) * 2 == list(again_counts)


@pytest.fixture(scope="module")
def model(titles, messages):
    texts = [f"{t}\n{d}" for t, d, _ in messages[:300]] + [t for t, _ in titles[:600]]
    labels = [l for *_, l in messages[:300]] + [l for _, l in titles[:600]]
    return TextClassifier(config=ClassifierConfig(calibrate=False)).fit(texts, labels)


@pytest.mark.parametrize("text", [
    "", "   ", "\n\n", "小区门口垃圾堆积", "标题\n正文说垃圾没人清运", "\n\n标题在第二行\n正文", "面积120㎡的房子漏水\n①号楼",
    "ＡＢＣ全角，小区", "标题\n", "zzzz qqqq", "𠀀𠀁 垃圾", "标题…\n正文说Ⅱ期面积120㎡……", "…\n正文", " \u3000\n标题在空行后\n正文", "\x01\n正文只有控制字符标题",
    "标题 \n 正文\n\n第三行", "𠀀标题\n正文",
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


def test_codes_of_a_vocabulary_equal_gram_code_one_by_one():
    vocab = ["东", "东华", "a", "ab", "𠀋", "𠀋门", "门𠀋", "１２", "。"]
    assert grams.codes_of(vocab).tolist() == [grams.gram_code(g) for g in vocab]
    assert grams.codes_of([]).tolist() == []
    assert grams.codes_of(["东华门"]) is None and grams.codes_of(["东", ""]) is None


def test_many_texts_give_each_text_s_normalised_code_points_end_to_end():
    from jiesu.dispatch.classifier import normalized_code_points_of

    rng = random.Random(3)
    common = "，。！？ \u3000\nAaZz09…㎡ΣΑe\u0301한𠀀😀\x01"
    texts = ["", "垃圾清运", "ΣΑΣ", "e\u0301 combining", "面积120㎡…", "한국", "𠀀 astral", " \n\t", "ＡＢＣ，全角"]
    texts += ["".join(rng.choice(common + "噪音油烟") for _ in range(rng.randint(0, 12))) for _ in range(300)]
    points, counts = normalized_code_points_of(texts)
    assert counts.tolist() == [len(normalize(t)) for t in texts]
    assert as_text(points) == "".join(map(normalize, texts))
    empty_points, empty_counts = normalized_code_points_of([])
    assert len(empty_points) == 0 and len(empty_counts) == 0
