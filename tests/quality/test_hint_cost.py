"""The hint on the reply form reads each text once or twice, not five times (audit 2026-12-07): the draft was checked
as one of 201 replies — every reply's relevance, result words and boilerplate pairs computed, each text's bigrams made
about five times — to use one verdict: 4 s per pause in typing on the Teddy Cup texts."""
from jiesu.dispatch import duplicates
from jiesu.quality import checks

ASK = "东华门大街早市摊贩占道经营，堵塞人行道，希望尽快处理"
FORWARDED = "您的留言已收悉。关于您反映的问题，已转相关部门调查处理，敬请关注后续回复，谢谢！"


def others(n):
    asks = ["小区垃圾清运不及时，臭味很大", "路灯不亮，晚上出行不安全", "楼下饭店油烟扰民", "暖气不热，室温只有15度"]
    return [(i, f"{asks[i % 4]}（第{i}号楼）", f"经现场核实，第{i}号楼问题属实，已于今日处理完毕。") for i in range(1, n + 1)] + \
        [(999, "小区垃圾清运不及时", FORWARDED)]


def test_the_draft_alone_is_checked_and_each_text_read_at_most_twice(monkeypatch):
    calls = []
    real = duplicates._bigrams

    def counted(s, mask):
        calls.append(s)
        return real(s, mask)

    monkeypatch.setattr(duplicates, "_bigrams", counted)
    rows = others(100)
    verdict = checks.check_one(ASK, FORWARDED, rows)
    assert verdict.reasons == ["off_topic", "boilerplate", "no_result"] and verdict.same_as == 999
    texts = 2 + 2 * len(rows)
    assert len(calls) <= 2 * texts, (len(calls), texts)


def test_the_verdict_is_the_one_check_all_gives():
    rows = others(30)
    good = "经现场核实，东华门大街早市确有摊贩占道经营，城管已于今日清理占道摊点并设置疏导区。"
    for reply in (FORWARDED, good, "好的"):
        index = checks.build_index([ASK, checks.own_words(reply)] + [t for _pk, q, p in rows for t in (q, p)])
        whole = next(v for v in checks.check_all(
            [checks.Reply(0, ASK, reply, "me")] + [checks.Reply(pk, q, p, "me") for pk, q, p in rows], index)
            if v.id == 0)
        one = checks.check_one(ASK, reply, rows, index)
        assert (one.reasons, one.same_as, one.relevance) == (whole.reasons, whole.same_as, whole.relevance)
