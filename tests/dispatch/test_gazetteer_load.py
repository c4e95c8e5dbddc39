"""`jiesu gazetteer load FILE`: place names from a clerk's CSV file, each row checked as the admin form checks it
(GazetteerEntry.problems / .warnings), written in one transaction, found by the locator at once."""
import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu.dispatch import router
from jiesu.dispatch.coords import from_wgs84
from jiesu.dispatch.gazetteer import locate_text
from jiesu.dispatch.models import EntrySource, GazetteerEntry, ReferenceVersion
from jiesu.units.models import Unit

from .test_router_fixtures import dispatch_db  # noqa: F401  (fixture)

HEADER_ZH = ["地名", "类型", "所在单位", "经度", "纬度", "坐标系", "备注"]
HEADER_EN = ["name", "kind", "unit", "lon", "lat", "coord_system", "note"]


def write(path, rows, header=HEADER_ZH, encoding="utf-8-sig"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def load(path, *args, lang="zh-hans"):
    out = StringIO()
    call_command("gazetteer", "load", str(path), "--lang", lang, *args, stdout=out)
    lines = out.getvalue().rstrip("\n").split("\n")
    return lines, json.loads(lines[-1])


def report(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def unit(code):
    return Unit.objects.defer("geometry").get(code=code)


def centre(code):
    u = unit(code)
    return u.center_lon, u.center_lat


@pytest.fixture
def clerk_file(dispatch_db, tmp_path):
    return lambda rows, **kw: write(tmp_path / "地名.csv", rows, **kw)


def test_rows_the_admin_would_refuse_are_reported_by_line_field_and_reason(clerk_file, tmp_path):
    lon, lat = centre("110101001")
    path = clerk_file([
        ["金宝花园", "小区", "110101001001", "", "", "", ""],    # line 2: added
        ["东城区", "别名", "景山街道", "", "", "", ""],           # 3: a district's own name
        ["12345", "地标", "110101001", "", "", "", ""],           # 4: digits only
        ["某某大厦", "大楼", "110101001", "", "", "", ""],        # 5: unknown kind
        ["某某小区", "小区", "不存在街道", "", "", "", ""],       # 6: unknown unit
        ["某某广场", "地标", "110101001", lat, lon, "", ""],      # 7: longitude and latitude swapped
        ["某某公寓", "小区", "110101001", "东经116", lat, "", ""],  # 8: not a number
        ["某某中心", "地标", "110101001", lon, lat, "火星", ""],  # 9: unknown datum
        ["某某园", "小区", "110101", "", "", "", ""],             # 10: a district is a place too: added
    ])
    lines, summary = load(path, "--report", str(tmp_path / "r.csv"))
    assert (summary["read"], summary["added"], summary["refused"]) == (9, 2, 7)
    assert set(GazetteerEntry.objects.filter(name__in=["金宝花园", "某某园"]).values_list("name", flat=True)) == {
        "金宝花园", "某某园"}
    rows = report(tmp_path / "r.csv")
    assert rows[0][:4] == ["行号", "结果", "列", "原因"] and rows[0][4:] == HEADER_ZH
    by_line = {int(r[0]): r for r in rows[1:]}
    assert by_line[3][1:4] == ["拒绝", "地名", "“东城区”是单位名称（东城区）：作为景山街道的地名，会使所有含“东城区”的地址"
                                               "有多处可能，无法再定位到所在街道。"]
    assert by_line[4][2] == "地名" and "只有数字或标点" in by_line[4][3]
    assert by_line[5][2] == "类型" and "“大楼”" in by_line[5][3] and "compound/小区" in by_line[5][3]
    assert by_line[6][2] == "所在单位" and "不存在街道" in by_line[6][3]
    assert by_line[7][2] == "经度" and "经纬度可能填反了" in by_line[7][3]
    assert by_line[8][2] == "经度" and by_line[8][3] == "经纬度须为数字。"
    assert by_line[9][2] == "坐标系" and "火星" in by_line[9][3]
    assert by_line[3][4:] == ["东城区", "别名", "景山街道", "", "", "", ""]
    assert "拒绝的行：" in lines and any(line.startswith("  第 3 行，地名：") for line in lines)


def test_a_name_another_place_carries_is_loaded_with_a_warning_in_the_summary(clerk_file, tmp_path):
    path = clerk_file([["王府井", "别名", "110101002", "", "", "", ""], ["多福巷", "道路", "110101001", "", "", "", ""]])
    lines, summary = load(path, "--report", str(tmp_path / "r.csv"))
    assert (summary["added"], summary["warned"], summary["refused"]) == (2, 1, 0)
    assert GazetteerEntry.objects.filter(name="王府井", unit__code="110101002").exists()
    warning = ("  第 2 行，-：“王府井”也是东华门街道（东城区）的地名：同名地名有多处，地址中只有它时无法确定是哪一处（只能定位到共同的"
               "上级单位，或无法定位），除非地址中的其他地名能确定。")
    assert lines[lines.index("警告（仍已保存）：") + 1] == warning
    assert [r[1] for r in report(tmp_path / "r.csv")[1:]] == ["警告"]


def test_a_point_is_read_in_its_datum_and_stored_in_wgs84(clerk_file):
    lon, lat = centre("110101001001")
    typed = from_wgs84(lon, lat, "gcj02")
    load(clerk_file([["某某大厦", "地标", "110101001001", *typed, "GCJ-02", "物业登记"]]))
    entry = GazetteerEntry.objects.get(name="某某大厦")
    assert (entry.lon, entry.lat) == (pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6))
    assert (entry.kind, entry.note, entry.source) == ("landmark", "物业登记", EntrySource.FILE)


def edit_in_admin(admin_client, entry, **changes):
    from django.urls import reverse

    data = {"name": entry.name, "kind": entry.kind, "unit": entry.unit_id, "lon": entry.lon or "",
            "lat": entry.lat or "", "coord_system": "wgs84", "active": "on", "note": entry.note, **changes}
    page = admin_client.post(reverse("admin:dispatch_gazetteerentry_change", args=[entry.pk]), data)
    assert page.status_code == 302, page.context_data["adminform"].form.errors


def test_a_rerun_updates_what_it_loaded_and_says_how_many_rows_changed(clerk_file, tmp_path):
    lon, lat = centre("110101001001")
    rows = [["金宝花园", "小区", "110101001001", "", "", "", "首次"],
            ["多福巷", "道路", "110101001", "", "", "", ""],
            ["某某大厦", "地标", "110101001001", lon, lat, "", ""],
            ["某某公寓", "小区", "110101001001", "", "", "", ""]]
    load(clerk_file(rows))
    assert set(GazetteerEntry.objects.filter(name__in=[r[0] for r in rows]).values_list("source", flat=True)) == {
        EntrySource.FILE}
    rows[0][6] = "第二次"                                          # a corrected note
    rows[2][3:5] = [lon + 0.001, lat]                              # a corrected point
    rows[3][1] = "地标"                                            # another kind
    rows.append(["金 宝 花 园", "小区", "110101001001", "", "", "", "第二次"])  # the same name as the locator reads it
    rows.append(["金宝街", "道路", "110101001", "", "", "", ""])   # new
    path = clerk_file(rows)
    before = {e.pk: (e.note, e.lon, e.kind) for e in GazetteerEntry.objects.all()}
    version = ReferenceVersion.objects.get(pk=1).version
    _lines, tried = load(path, "--dry-run")
    assert {e.pk: (e.note, e.lon, e.kind) for e in GazetteerEntry.objects.all()} == before
    assert ReferenceVersion.objects.get(pk=1).version == version
    lines, summary = load(path, "--report", str(tmp_path / "r.csv"))
    counts = ("added", "updated", "unchanged", "kept_different", "refused", "already_there")
    assert [summary[k] for k in counts] == [tried[k] for k in counts] == [1, 3, 2, 0, 0, 5]
    assert lines[0].split("：", 1)[1].startswith("读取 6 行：新增 1，更新 3，未变 2，拒绝 0，有警告 0")
    assert GazetteerEntry.objects.get(name="金宝花园").note == "第二次"
    assert GazetteerEntry.objects.get(name="某某大厦").lon == pytest.approx(lon + 0.001)
    assert GazetteerEntry.objects.get(name="某某公寓").kind == "landmark"
    assert ReferenceVersion.objects.get(pk=1).version > version
    updated = [r for r in report(tmp_path / "r.csv")[1:] if r[1] == "已更新"]
    assert [(r[0], r[3]) for r in updated] == [("2", "之前导入，已更新：备注"), ("4", "之前导入，已更新：经度（WGS-84）"),
                                              ("5", "之前导入，已更新：类型")]
    _lines, again = load(path)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 6)


def test_a_file_switches_off_an_entry_it_loaded_and_clears_what_it_no_longer_says(clerk_file):
    lon, lat = centre("110101001001")
    load(clerk_file([["某某大厦", "地标", "110101001001", lon, lat, "", "物业登记"]], header=HEADER_ZH))
    assert locate_text("某某大厦门口").community.code == "110101001001"
    _lines, summary = load(clerk_file([["某某大厦", "地标", "110101001001", "", "", "", "", "否"]],
                                      header=[*HEADER_ZH, "启用"]))
    entry = GazetteerEntry.objects.get(name="某某大厦")
    assert summary["updated"] == 1 and (entry.active, entry.lon, entry.note) == (False, None, "")
    assert locate_text("某某大厦门口").unit is None
    _lines, summary = load(clerk_file([["某某中心", "地标", "110101001001", "", "", "", "", "也许"]],
                                      header=[*HEADER_ZH, "启用"]))
    assert summary["refused"] == 1 and not GazetteerEntry.objects.filter(name="某某中心").exists()


def test_an_entry_changed_in_the_admin_is_no_longer_overwritten_and_the_report_says_so(clerk_file, tmp_path,
                                                                                       admin_client):
    rows = [["金宝花园", "小区", "110101001001", "", "", "", "首次"], ["多福巷", "道路", "110101001", "", "", "", ""]]
    load(clerk_file(rows))
    edit_in_admin(admin_client, GazetteerEntry.objects.get(name="金宝花园"), note="管理员核实过")
    assert GazetteerEntry.objects.get(name="金宝花园").source == EntrySource.MANUAL
    rows[0][6] = "第二次"
    lines, summary = load(clerk_file(rows), "--report", str(tmp_path / "r.csv"))
    assert (summary["updated"], summary["unchanged"], summary["kept_different"]) == (0, 1, 1)
    assert GazetteerEntry.objects.get(name="金宝花园").note == "管理员核实过"
    kept = report(tmp_path / "r.csv")[1:]
    assert [(r[0], r[1], r[3]) for r in kept] == [
        ("2", "已有，未更改", "已在后台修改，未覆盖（与文件不同：备注；请在后台修改）")]
    assert "1 行与在后台修改过（或内置）的地名不同：未覆盖；请在后台修改" in lines
    assert "  第 2 行，-：已在后台修改，未覆盖（与文件不同：备注；请在后台修改）" in lines


def test_a_name_given_twice_for_one_unit_differently_is_refused_the_second_time(clerk_file, tmp_path):
    rows = [["金宝花园", "小区", "110101001001", "", "", "", "首次"], ["金宝花园", "小区", "110101001001", "", "", "", "另一说"],
            ["金宝花园", "小区", "110101001001", "", "", "", "首次"]]
    _lines, summary = load(clerk_file(rows), "--report", str(tmp_path / "r.csv"))
    assert (summary["added"], summary["refused"], summary["unchanged"]) == (1, 1, 1)
    assert GazetteerEntry.objects.get(name="金宝花园").note == "首次"
    assert [(r[0], r[1]) for r in report(tmp_path / "r.csv")[1:]] == [("3", "拒绝")]


def test_entries_an_earlier_load_made_by_hand_stay_the_administrators(clerk_file, tmp_path):
    """Before loads had a source of their own they saved "manual" entries, as the admin does: nothing tells them
    apart, so a load leaves them alone, as it leaves entries made in the admin."""
    GazetteerEntry.objects.create(name="金宝花园", kind="compound", unit=unit("110101001001"), note="首次",
                                  source=EntrySource.MANUAL)
    _lines, summary = load(clerk_file([["金宝花园", "小区", "110101001001", "", "", "", "第二次"]]))
    assert (summary["updated"], summary["kept_different"]) == (0, 1)
    assert GazetteerEntry.objects.get(name="金宝花园").note == "首次"


def test_a_gbk_file_with_english_headers_loads(clerk_file):
    path = clerk_file([["南池子小区", "compound", "东华门第一社区", "", "", "", "GBK 导出"]], header=HEADER_EN,
                      encoding="gbk")
    lines, summary = load(path)
    assert summary["encoding"] == "gb18030" and summary["added"] == 1
    assert GazetteerEntry.objects.get(name="南池子小区").unit.code == "110101001001"
    assert lines[0].startswith(f"{path}（GB18030）：读取 1 行：新增 1，更新 0，未变 0，拒绝 0，有警告 0")


def test_a_dry_run_saves_nothing_and_says_so(clerk_file, tmp_path):
    before = GazetteerEntry.objects.count()
    lines, summary = load(clerk_file([["金宝花园", "小区", "110101001001", "", "", "", ""],
                                      ["12345", "地标", "110101001", "", "", "", ""]]),
                          "--dry-run", "--report", str(tmp_path / "r.csv"))
    assert GazetteerEntry.objects.count() == before
    assert (summary["dry_run"], summary["added"], summary["refused"]) == (True, 1, 1)
    assert "将新增 1" in lines[0] and lines[-2] == "试运行：未保存任何内容。"
    assert len(report(tmp_path / "r.csv")) == 2


def test_the_summary_in_english(clerk_file, tmp_path):
    lines, summary = load(clerk_file([["金宝花园", "Residential compound", "110101001001", "", "", "", ""],
                                      ["12345", "landmark", "110101001", "", "", "", ""]]),
                          "--report", str(tmp_path / "r.csv"), lang="en")
    assert lines[0].split("  (")[0].endswith("(UTF-8): read 2 rows: added 1, updated 0, unchanged 0, refused 1, "
                                             "with a warning 0")
    assert "refused rows:" in lines and any("only digits or punctuation" in line for line in lines)
    assert report(tmp_path / "r.csv")[0][:4] == ["line", "result", "column", "reason"]
    assert set(summary) >= {"read", "added", "updated", "unchanged", "already_there", "refused", "warned", "seconds"}


def test_the_locator_finds_a_loaded_compound_at_once(clerk_file):
    assert locate_text("金宝花园3号楼2单元").unit is None
    version = ReferenceVersion.objects.get(pk=1).version
    load(clerk_file([["金宝花园", "小区", "110101001001", "", "", "", ""]]))
    assert ReferenceVersion.objects.get(pk=1).version > version  # other processes renew at their next recheck
    found = locate_text("金宝花园3号楼2单元")
    assert found.community.code == "110101001001" and found.street.code == "110101001"


def test_an_interrupted_load_writes_nothing(clerk_file, monkeypatch):
    """Ctrl-C after the rows were inserted, before the transaction ends: none of them stays."""
    def interrupted():
        raise KeyboardInterrupt

    path = clerk_file([[f"测试{i}号院", "小区", "110101001001", "", "", "", ""] for i in range(1500)])
    with monkeypatch.context() as patched, pytest.raises(CommandError) as stopped:
        patched.setattr(router, "invalidate", interrupted)
        load(path)
    assert stopped.value.returncode == 130 and "未保存任何内容" in str(stopped.value)
    assert not GazetteerEntry.objects.filter(name__startswith="测试").exists()


def test_a_file_without_a_required_column_is_refused(clerk_file):
    with pytest.raises(CommandError) as refused:
        load(clerk_file([["金宝花园", "小区"]], header=["地名", "类型"]))
    assert "所在单位" in str(refused.value) and "地名, 类型" in str(refused.value)


def test_a_unit_name_two_units_carry_asks_for_the_code(clerk_file, tmp_path):
    Unit.objects.create(code="110102999", name="东华门街道", kind="street", parent=unit("110102"))
    path = clerk_file([["某某胡同", "道路", "东华门街道", "", "", "", ""], ["某某胡同", "道路", "110101001", "", "", "", ""]])
    lines, summary = load(path, "--report", str(tmp_path / "r.csv"), lang="en")
    assert (summary["added"], summary["refused"]) == (1, 1)
    assert report(tmp_path / "r.csv")[1][1:4] == [
        "refused", "所在单位", "“东华门街道” names 2 units (110101001 东城区, 110102999 西城区): give the code of the one "
        "meant."]


def test_the_citys_name_and_words_of_any_address_are_refused_as_the_admin_refuses_them(clerk_file, tmp_path):
    """Audit 9, finding 2: the loader let 北京市, 小区 and 路口 in (将新增 3 … 拒绝 2)."""
    path = clerk_file([["北京市", "别名", "景山街道", "", "", "", ""],      # line 2
                       ["小区", "别名", "景山街道", "", "", "", ""],        # 3
                       ["路口", "地标", "110101002", "", "", "", ""],       # 4
                       ["中华人民共和国", "别名", "110101002", "", "", "", ""],  # 5
                       ["景山东街小区", "小区", "110101002", "", "", "", ""]])  # 6: a compound's whole name
    lines, summary = load(path, "--report", str(tmp_path / "r.csv"))
    assert (summary["added"], summary["refused"], summary["warned"]) == (1, 4, 0)
    by_line = {int(r[0]): r for r in report(tmp_path / "r.csv")[1:]}
    assert by_line[2][1:4] == ["拒绝", "地名", "“北京市”是本市或国家的名称：大多数地址以它开头，作为景山街道的地名，"
                                              "会把这些地址都定位到景山街道。"]
    assert by_line[3][3].startswith("“小区”是地址中的通用词（小区、路口、门口…），不是某处的名称")
    assert by_line[4][3].startswith("“路口”是地址中的通用词") and "本市或国家的名称" in by_line[5][3]
    assert locate_text("东城区王府井大街").street.code == "110101001"
    assert locate_text("北京市东城区某小区门口路口").street is None
    lines, _ = load(clerk_file([["北京", "alias", "110101002", "", "", "", ""]]), lang="en")
    assert any("“北京” is the name of the city or the country" in line for line in lines)



def test_the_city_with_a_units_name_beijing_gates_and_courtyards_are_refused_as_the_admin_refuses_them(clerk_file,
                                                                                                         tmp_path):
    """Audit 10, finding 6: the loader accepted 北京市东城区, Beijing, BEIJING CITY, 南门, 东门, 小区南门, 大院, 3号院,
    三号院 silently; the real names beside them load."""
    refused = ["北京市东城区", "Beijing", "BEIJING CITY", "南门", "东门", "小区南门", "大院", "3号院", "三号院"]
    real = ["金宝街", "南门仓胡同", "东四十条", "南口"]
    path = clerk_file([[name, "地标", "110101002", "", "", "", ""] for name in refused + real])
    lines, summary = load(path, "--report", str(tmp_path / "r.csv"))
    assert (summary["added"], summary["refused"]) == (len(real), len(refused))
    assert [r[1] for r in report(tmp_path / "r.csv")[1:]].count("拒绝") == len(refused)
    assert set(GazetteerEntry.objects.filter(name__in=refused + real).values_list("name", flat=True)) == set(real)
    assert any("“北京市东城区”是本市名称加单位名称（东城区）" in line for line in lines)
    assert locate_text("北京市东城区王府井大街").street.code == "110101001"

def test_a_name_in_many_recent_addresses_is_loaded_with_a_warning(clerk_file, tmp_path):
    from django.utils import timezone

    from jiesu.tickets.models import Ticket

    Ticket.objects.bulk_create(Ticket(title="诉求", text="诉求内容", address=a, created_at=timezone.now())
                               for a in ["东城区景山后街8号"] * 6 + ["西城区西单北大街"] * 94)
    lines, summary = load(clerk_file([["景山后街", "道路", "110101002", "", "", "", ""]]),
                          "--report", str(tmp_path / "r.csv"))
    assert (summary["added"], summary["warned"]) == (1, 1)
    assert report(tmp_path / "r.csv")[1][3].startswith("“景山后街”出现在最近 100 条地址中的 6%（6 条）")
