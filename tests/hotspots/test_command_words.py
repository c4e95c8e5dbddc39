"""`jiesu hotspots` prints its lines in the command line's language (Chinese first, English when chosen), as its
--help and refusals do: the run's summary and problems, --if-due's nothing to do, --repair-stored's counts, a CSV's
summary and skipped lines (before 2026-12-07 always English)."""
import io

import pytest
from django.core.management import call_command
from django.utils import translation

from hotspots.conftest import hot  # noqa: F401  (fixtures)
from tickets.conftest import at, fast_passwords, world  # noqa: F401

pytestmark = pytest.mark.django_db

CSV = ("留言编号,留言用户,留言主题,留言时间,留言详情,反对数,点赞数\n"
       "1,u1,A2区丽发新城附近搅拌站噪音扰民,2019/11/2 10:00:00,丽发新城小区附近搅拌站夜间噪音,0,3\n"
       "2,u2,A2区丽发新城搅拌站噪音扰民严重,2019-11-05 09:00:00,丽发新城搅拌站噪音,0,5\n"
       "4,u4,坏行,not a date,x,0,0\n")


def run(lang, *args):
    out, err = io.StringIO(), io.StringIO()
    with translation.override(lang):
        call_command("hotspots", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_the_run_and_its_problems_in_chinese_and_english(hot):
    zh = run("zh-hans", "--days", "30")
    assert "共 7 件工单，保留 2 个问题" in zh and "热度" in zh and "tickets" not in zh
    assert "最近一次运行时间不久：无需运行" in run("zh-hans", "--if-due", "24")
    en = run("en", "--days", "30")
    assert "7 tickets, 2 problems kept" in en and "heat" in en
    assert "latest run is recent: nothing to do" in run("en", "--if-due", "24")


def test_the_repair_in_chinese_and_english(hot):
    assert "热点问题：重写 0 / 0 个；每月一题：修复 0 / 0 个" in run("zh-hans", "--repair-stored")
    assert "hotspots: 0 of 0 restated; topics: 0 of 0 repaired" in run("en", "--repair-stored")


def test_a_csv_in_chinese_and_english(tmp_path):
    f = tmp_path / "votes.csv"
    f.write_text(CSV, encoding="utf-8")
    zh = run("zh-hans", "--csv", str(f))
    assert "共 2 条留言（跳过 1 条），保留 1 个问题" in zh and "第 4 行已跳过" in zh and "skipped" not in zh
    en = run("en", "--csv", str(f))
    assert "2 messages (1 skipped), 1 problem kept" in en and "line 4 skipped" in en


@pytest.mark.parametrize("option,value", [("--link-days", "nan"), ("--link-days", "inf"), ("--link-days", "0"),
                                          ("--link-days", "-5"), ("--link-text", "nan"), ("--link-text", "-1"),
                                          ("--link-text", "1.5"), ("--if-due", "nan"), ("--if-due", "-1"),
                                          ("--if-due", "inf")])
def test_a_tuning_that_is_no_finite_number_in_range_is_refused(hot, option, value):
    """--link-days nan or inf, --link-text nan clustered for nothing and then failed storing the run's parameters
    (IntegrityError: NaN is not JSON, a traceback); a negative window or similarity stored a run of no problem or
    linked every ticket to every other; --if-due nan ran at every call."""
    from django.core.management.base import CommandError

    from jiesu.hotspots.models import HotspotRun

    with translation.override("zh-hans"), pytest.raises(CommandError) as refused:
        call_command("hotspots", option, value, stdout=io.StringIO())
    assert option in str(refused.value)
    assert not HotspotRun.objects.exists()
