"""Every KPI formula on hand-computed figures (no database)."""
import pytest

from jiesu.kpi import formulas as f


def test_response_rate_is_on_time_over_due():
    assert f.response_rate(8, 10) == 0.8
    assert f.response_rate(0, 0) is None


def test_resolution_rate_weighs_partly_resolved():
    # (6 + 0.5·2) ÷ (6 + 2 + 2) = 7 ÷ 10
    assert f.resolution_rate(6, 2, 2, 0.5) == pytest.approx(0.7)
    assert f.resolution_rate(6, 2, 2, 0.0) == pytest.approx(0.6)
    assert f.resolution_rate(0, 0, 0, 0.5) is None


def test_satisfaction_rate_weighs_basically_satisfied():
    # (5 + 0.8·4) ÷ 10 = 0.82
    assert f.satisfaction_rate(5, 4, 1, 0.8) == pytest.approx(0.82)


def test_governance_depth_counts_found_first_and_recurring_closures_capped_at_one():
    assert f.governance_depth(3, 1, 20, 1.0) == pytest.approx(0.2)
    assert f.governance_depth(3, 2, 20, 0.5) == pytest.approx(0.2)
    assert f.governance_depth(30, 0, 20, 1.0) == 1.0
    assert f.governance_depth(0, 0, 0, 1.0) is None


@pytest.mark.parametrize("hours,bucket", [(0, 0), (0.99, 0), (1, 1), (6.9, 3), (7, 4), (48.9, 7), (49, 8),
                                          (139.9, 10), (140, 11), (900, 11)])
def test_speed_bucket_edges(hours, bucket):
    assert f.speed_bucket(hours) == bucket


def test_percentile_inside_one_bucket_is_linear():
    counts = [0] * f.SPEED_BUCKETS
    counts[2] = 10  # ten replies in [2, 4) h
    assert f.percentile_hours(counts, 0.5) == pytest.approx(3.0)   # 2 + 2·5/10
    assert f.percentile_hours(counts, 0.9) == pytest.approx(3.8)   # 2 + 2·9/10


def test_percentile_across_buckets():
    counts = [0] * f.SPEED_BUCKETS
    counts[0], counts[3] = 2, 2  # two in [0, 1), two in [4, 7)
    assert f.percentile_hours(counts, 0.5) == pytest.approx(1.0)   # rank 2 of 4: end of bucket 0
    assert f.percentile_hours(counts, 0.9) == pytest.approx(6.4)   # rank 3.6: 4 + 3·1.6/2


def test_percentile_in_the_open_bucket_reads_its_lower_edge_and_none_without_replies():
    counts = [0] * f.SPEED_BUCKETS
    counts[-1] = 3
    assert f.percentile_hours(counts, 0.5) == 140.0
    assert f.percentile_hours([0] * f.SPEED_BUCKETS, 0.5) is None
    with pytest.raises(ValueError):
        f.percentile_hours([1, 2], 0.5)
    with pytest.raises(ValueError):
        f.percentile_hours(counts, 0)


def test_speed_and_whistle_scores():
    assert f.speed_score(24.5, 49) == pytest.approx(0.5)
    assert f.speed_score(60, 49) == 0.0
    assert f.speed_score(None, 49) is None
    assert f.whistle_score(5) == 1.0
    assert f.whistle_score(3) == 0.5
    assert f.whistle_score(1) == 0.0
    assert f.whistle_score(None) is None


def test_composite_renormalises_over_measures_with_data():
    scores = {"response": 0.9, "resolution": 0.8, "satisfaction": None}
    weights = {"response": 0.2, "resolution": 0.3, "satisfaction": 0.5}
    # 100 · (0.2·0.9 + 0.3·0.8) ÷ (0.2 + 0.3) = 84
    assert f.composite(scores, weights) == pytest.approx(84.0)
    assert f.composite({"response": None}, weights) is None


def test_competition_ranks_and_trends():
    assert f.ranks([90, 80, 90, None, 70]) == [1, 3, 1, None, 4]
    assert f.rank_change(2, 5) == 3
    assert f.rank_change(None, 5) is None
    assert f.trend(84.5, 80.25) == pytest.approx(4.25)
    assert f.trend(None, 80) is None
