"""A row whose longitude or latitude carries a minus sign is rejected as such (coordinates_negative), naming the
column with the sign, not as a point outside the city."""
from .conftest import read_report, run_import, write_csv

HEADER = ["external_id", "created_at", "text", "lon", "lat"]


def test_a_minus_sign_is_named_in_the_report(world, tmp_path):
    rows = [["M1", "2025-03-01 09:00", "路灯不亮", "-116.4039", "39.9155"],
            ["M2", "2025-03-01 09:00", "路灯不亮", "116.4039", "-39.9155"]]
    report = tmp_path / "r.csv"
    result, _lines = run_import(write_csv(tmp_path / "neg.csv", HEADER, rows), "--report", str(report), lang="zh-hans")
    assert result["reasons"] == {"coordinates_negative": 2}
    said = {row[1]: row[3:5] for row in read_report(report)[1:]}
    assert said["M1"] == ["lon", "中国境内经度和纬度都是正数（东经、北纬）：请去掉负号。"]
    assert said["M2"][0] == "lat"
