"""The `jiesu` command refuses the platform's commands on a database that is not migrated, with a clear message."""
import os
import sqlite3
import subprocess
import sys

import pytest

from jiesu import cli


def run_jiesu(*args, **env):
    """`jiesu ARGS` in a fresh process with the given environment: (exit status, stderr)."""
    environment = {k: v for k, v in os.environ.items() if k != "JIESU_DATABASE_URL"}
    environment.update(env)
    proc = subprocess.run([sys.executable, "-c", "import sys; from jiesu.cli import main; sys.exit(main())", *args],
                          capture_output=True, text=True, env=environment, timeout=120)
    return proc.returncode, proc.stderr


def test_a_new_database_is_named_with_the_command_that_sets_it_up(tmp_path):
    db = tmp_path / "new.sqlite3"
    status, err = run_jiesu("import", str(tmp_path / "none.csv"), "--format", "csv", JIESU_SQLITE_PATH=str(db))
    assert status == 1
    assert "数据库尚未初始化或需要升级" in err and "jiesu setup" in err and "the database is not migrated" in err
    assert "Traceback" not in err
    tables = sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == []  # nothing was written


def test_a_database_that_cannot_be_reached_is_named_as_such():
    status, err = run_jiesu("worker", "--once", JIESU_DATABASE_URL="postgres://nobody:secret@127.0.0.1:1/none")
    assert status == 1
    assert "无法读取数据库" in err and "cannot read the database" in err and "Traceback" not in err


def test_only_the_platforms_own_commands_are_checked():
    assert cli.needs_schema("import_tickets") and cli.needs_schema("worker") and cli.needs_schema("run")
    assert not cli.needs_schema("setup") and not cli.needs_schema("migrate") and not cli.needs_schema("runserver")


@pytest.mark.django_db
def test_a_migrated_database_has_no_problem():
    assert cli.schema_problem() == ""


def test_the_classifiers_evaluation_needs_no_database(tmp_path):
    """`jiesu dispatch evaluate` (the issue's exact command) works on a fresh checkout, before `jiesu setup`: it
    reads CSV files only, and touches no database."""
    import json

    def write(name, rows):
        path = tmp_path / name
        path.write_text("留言主题,留言详情,一级分类\n" + "".join(f"{t},{d},{c}\n" for t, d, c in rows), encoding="utf-8")
        return path

    train = write("train.csv", [("小区垃圾没人清运", "垃圾堆了一周", "城乡建设"), ("路边垃圾桶满了", "垃圾溢出", "城乡建设"),
                                ("楼道堆满垃圾", "", "城乡建设"), ("学校乱收费", "补课费太高", "教育文体"),
                                ("幼儿园收费太贵", "", "教育文体"), ("学校食堂收费", "饭菜贵", "教育文体")])
    test = write("test.csv", [("垃圾没有人清理", "", "城乡建设"), ("学校收取补课费", "", "教育文体")])
    db = tmp_path / "never.sqlite3"
    environment = {k: v for k, v in os.environ.items() if k != "JIESU_DATABASE_URL"}
    environment["JIESU_SQLITE_PATH"] = str(db)
    proc = subprocess.run([sys.executable, "-m", "jiesu", "dispatch", "evaluate", "--train", str(train), "--test",
                           str(test), "--text", "留言主题,留言详情", "--label", "一级分类"],
                          capture_output=True, text=True, env=environment, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (result["n_train"], result["n_test"]) == (6, 2)
    assert not db.exists() or not sqlite3.connect(db).execute("SELECT name FROM sqlite_master").fetchall()
    assert cli.files_only("dispatch", ["train", "--from-csv", "a.csv"]) and cli.files_only("dispatch", ["info"])
    assert not cli.files_only("dispatch", ["train", "--from-tickets"]) and not cli.files_only("dispatch", ["retrain"])
    assert not cli.files_only("worker", ["evaluate"])
    assert cli.files_only("hotspots", ["--csv", "m.csv"]) and cli.files_only("hotspots", ["--csv=m.csv"])
    assert not cli.files_only("hotspots", ["--days", "30"])
