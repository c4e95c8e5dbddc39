"""The boilerplate check compares a unit's replies a block at a time (audit 2026-12-07): before, it built the unit's
whole n × n similarity matrix, so a big unit's month (a utility with 50,000 replies) needed 10 GB and more."""
import random
import tracemalloc

from jiesu.quality import checks

POOL = "经现场核实已清理占道摊点设置疏导区路灯线路老化更换恢复照明小区垃圾清运不及时物业整改供暖室温热力公司放水排气井盖破损维修"


def test_a_big_units_replies_are_compared_without_the_whole_matrix():
    rng = random.Random(1)
    n = 3000
    replies = [checks.Reply(i, "".join(rng.choice(POOL) for _ in range(20)),
                            "".join(rng.choice(POOL) for _ in range(30)), "u") for i in range(n)]
    replies.append(checks.Reply(n, "东华门大街早市摊贩占道", replies[0].reply, "u"))   # a copy of reply 0, other request
    index = checks.build_index([t for r in replies for t in (r.request, r.reply)])
    tracemalloc.start()
    try:
        pairs = checks.boilerplate_pairs(replies, index)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pairs[n] == 0 and pairs[0] == n                  # the copy is still found, both ways
    assert peak < n * n * 4 / 2                              # the float32 n × n matrix alone is 36 MB
