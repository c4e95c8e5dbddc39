"""The clustering at a city's volume (audit 2026-12-07): on the demo city with 100,000 tickets over six months, the
30 days' run (18,405 tickets) made one "problem" of 16,011 tickets, chained across 344 streets by tickets of the same
generic title (乱停车堵路 in every street: ≥ 0.8 alike, which links tickets known to be elsewhere) and by tickets of no
street; its centrality took a members × members matrix (2 GB), 90 days (49,731 tickets) took 14.6 GB and 180 days
failed (27 GiB). A problem now keeps to one street, and the centrality is one product with the group's sum."""
import tracemalloc

import numpy as np

from jiesu.hotspots.cluster import DAY, Item, _central, find_problems, text_matrix

T0 = 1_700_000_000.0


def test_tickets_of_one_title_in_different_streets_are_different_problems():
    its = [Item(i, "乱停车堵路", "小区门口乱停车堵路，车辆无法通行", T0 + i * 3600, f"c{i}", district=1, street=street)
           for i, street in enumerate([10, 10, 10, 20, 20, 20, None])]
    problems = find_problems(its, now=T0 + DAY)
    assert sorted(p.size for p in problems) == [3, 4]                # before: one problem of 7
    for p in problems:
        assert len({it.street for it in p.items if it.street is not None}) == 1
    nowhere = next(p for p in problems if any(it.street is None for it in p.items))
    assert nowhere.size == 4                                         # the ticket of no street joins one of them


def test_messages_without_streets_are_grouped_as_before():
    """The Teddy Cup messages have no street (district and estate only): no change for them."""
    its = [Item(i, "丽发新城搅拌站噪音扰民", "丽发新城小区附近搅拌站夜间噪音扰民", T0 + i * DAY, f"u{i}", district=1,
                community=5) for i in range(4)]
    [p] = find_problems(its, now=T0 + 4 * DAY)
    assert p.size == 4


def test_the_centrality_of_a_large_group_takes_no_members_by_members_matrix():
    n = 4000
    words = ["占道经营", "噪音扰民", "垃圾清运", "乱停车", "暖气不热", "路灯不亮", "井盖破损", "油烟扰民"]
    its = [Item(i, f"{words[i % 8]}{words[(i // 8) % 8]}", f"东华门大街{words[i % 8]}，{words[(i * 3) % 8]}问题",
                T0 + i, f"c{i}") for i in range(n)]
    matrix = text_matrix(its)
    members = list(range(n))
    sub = matrix[members]
    gram = (sub @ sub.T).toarray()
    expected = gram.sum(axis=1) / np.sqrt(gram.sum())                  # the definition: cosine to the centroid
    del gram, sub
    tracemalloc.start()
    try:
        central = _central(matrix, members)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(central, expected, rtol=1e-4, atol=1e-6)
    assert peak < 8 * n * n / 10                                      # before: n × n floats (64 MB), now a few MB
