"""What `jiesu import` says for its formats, its key checks and its path checks is in the command's language as
a whole: Chinese by default (no English word left but paths, options, field names and the run's codes), English
with --lang en; the JSON line's key_checks_reason stays English."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dispatch.test_cli_language import language_environment
from dispatch.test_cli_service_words import assert_chinese, assert_english

from .conftest import write_csv
from .test_import import GOOD, HEADER


def said(path, *args, lang=None):
    """`jiesu import PATH ARGS` in the environment's language (lang None: Chinese here) or --lang's: its printed
    lines with the JSON one parsed, or its refusal as one line."""
    out = StringIO()
    try:
        call_command("import_tickets", str(path), "--no-progress", *args, *(["--lang", lang] if lang else []),
                     stdout=out)
    except CommandError as exc:
        return [str(exc)], None
    lines = out.getvalue().rstrip("\n").split("\n")
    return lines[:-1], json.loads(lines[-1])


@pytest.fixture
def chinese_default(monkeypatch):
    language_environment(monkeypatch, lang="C.UTF-8")


def test_the_formats_refusals(world, chinese_default, tmp_path):
    few = write_csv(tmp_path / "few.csv", ["external_id", "title"], [["A1", "路灯不亮"]])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(",".join(HEADER).encode() + b"\nA1,\xff\xff\xff\n")
    good = write_csv(tmp_path / "good.csv", HEADER, GOOD)
    report = ("--report", str(tmp_path / "r.csv"))
    for args, chinese, english in (
            ((few, *report), f"{few}：缺少列：created_at (受理时间), text (诉求内容)",
             f"{few}: missing column(s): created_at (受理时间), text (诉求内容)"),
            ((bad, *report), f"{bad}：既不是 UTF-8 也不是 GBK/GB18030 文本（第 2 行不是 UTF-8）：请另存为 UTF-8 CSV",
             f"{bad}: neither UTF-8 nor GBK/GB18030 text (line 2 is not UTF-8): save the file as UTF-8 CSV"),
            ((good, *report, "--source", "Old System"),
             f"{good}：来源 'Old System'：须为 1–20 个字符，只能是 a-z、0-9、'.'、'_'、'-'",
             f"{good}: source 'Old System': 1–20 characters of a-z, 0-9, '.', '_', '-'"),
            ((good, "--report", "/proc/nope/r.csv"), "--report /proc/nope/r.csv：无法创建目录 /proc/nope（文件或目录不存在）",
             "--report /proc/nope/r.csv: cannot create the directory /proc/nope (No such file or directory)")):
        (zh,), _ = said(*args)
        (en,), _ = said(*args, lang="en")
        assert (zh, en) == (chinese, english)
        assert_chinese([zh], "created_at", "text", "Old System", "a-z")
        assert_english([en], "受理时间", "诉求内容")


@pytest.mark.django_db(transaction=True)
def test_the_key_checks_reason_and_refusal(world, chinese_default, tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, GOOD)
    vendor = connection.vendor
    zh, result = said(path, "--report", str(tmp_path / "zh.csv"), "--key-checks", "row", "--dry-run")
    assert zh[0].endswith("外键检查方式 row：按要求）") and result["key_checks_reason"] == "asked for"
    assert_chinese(zh[:1], vendor, "csv", "row")
    en, _ = said(path, "--report", str(tmp_path / "en.csv"), "--key-checks", "row", "--dry-run", lang="en")
    assert en[0].endswith("foreign keys checked per row: asked for)")
    if vendor != "postgresql":  # PostgreSQL may check per batch (a role allowed to): nothing to refuse there
        assert said(path, "--report", str(tmp_path / "r.csv"), "--key-checks", "batch")[0] == [
            f"无法按批检查外键：由 {vendor} 自行检查"]
        assert said(path, "--report", str(tmp_path / "r.csv"), "--key-checks", "batch", lang="en")[0] == [
            f"foreign keys cannot be checked per batch: {vendor} checks them itself"]
