"""The `jiesu` console command: a thin wrapper over Django's management commands (`jiesu load-units` runs
load_units, `jiesu demo` load_demo, `jiesu import` import_tickets, `jiesu <any Django management command>`).
`jiesu` prints OVERVIEW in the user's language; `jiesu --help` (or `jiesu help`) then the list of every command
(Django's list, worded here: COMMAND_LIST), each under the name users type; `jiesu help <command> [action]` is
`jiesu <command> [action] --help`, the command's own page, which speaks that language too (jiesu.core.command_line).

The platform's own commands stop with a clear message on a database that is new or older than the code
(schema_problem), but those that work on files only (files_only), as OVERVIEW tells users.

Ctrl-C before the command's handle() runs (Django loading, the command's code, Django's system checks: the
first two to four seconds) prints one line saying nothing was done and exits with 130, as the commands do once
they run (`jiesu dispatch`, `jiesu import`: what was and was not written); one that reaches here from a command's
handle() that does not catch it prints a shorter line. Worded without Django's catalogues (they may be half
loaded), in the command's --lang or the environment's language (jiesu.core.language).
"""
import os
import sys
import traceback
from itertools import takewhile

ALIASES = {
    "load-units": ["load_units"],
    "demo": ["load_demo"],
    "import": ["import_tickets"],
}
MIGRATES = {"setup"}  # commands that bring the database up to date themselves
INTERRUPTED = 130  # the exit code of a command stopped by SIGINT (128 + 2), as the commands exit
STOPPED_BEFORE = {"zh-hans": "jiesu: 已中断：命令尚未开始，未做任何更改",
                  "en": "jiesu: interrupted before the command started: nothing was done"}
STOPPED = {"zh-hans": "jiesu: 已中断", "en": "jiesu: interrupted"}
#: `jiesu`, `jiesu --help`: the platform's everyday commands, before Django's list of them all
OVERVIEW = {"zh-hans": """用法：jiesu <命令> [选项]    （jiesu <命令> --help：该命令的说明和选项）

    jiesu setup          迁移数据库，载入演示城市、用户和工单
    jiesu run            在 http://127.0.0.1:8000 启动开发服务器，并在旁启动后台任务（--no-worker：不启动）
    jiesu worker         只启动后台任务：办理时限、督办、自动派单、预测、派单台的模型训练…
    jiesu load-units F   从 GeoJSON/CSV 载入真实边界
    jiesu kpi rebuild [--since YYYY-MM-DD]   重新计算考核汇总
    jiesu import F --format csv|us311   导入历史工单（docs/import.md）
    jiesu <任意 Django 管理命令>

数据库是新的或比代码旧时，平台自己的命令会给出提示并停止：请先运行 `jiesu setup`（新数据库）或
`jiesu migrate`（升级）。只处理文件的命令（`jiesu dispatch evaluate|crossval|predict|info`、
`train --from-csv`、`jiesu hotspots --csv`）不需要数据库。
""", "en": """usage: jiesu <command> [options]    (jiesu <command> --help: what it does, its options)

    jiesu setup          migrate, load the demo city, users and tickets
    jiesu run            serve on http://127.0.0.1:8000, with the worker beside it (--no-worker: without)
    jiesu worker         the worker alone: deadlines, 督办, auto-dispatch, forecasts, the desk's training…
    jiesu load-units F   load real boundaries from GeoJSON/CSV
    jiesu kpi rebuild [--since YYYY-MM-DD]   recompute the assessment rollups
    jiesu import F --format csv|us311   import historical tickets (docs/import.md)
    jiesu <any Django management command>

The platform's own commands stop with a clear message on a database that is new or older than the code:
run `jiesu setup` (a new database) or `jiesu migrate` (an upgrade) first. The commands that work on files
only (`jiesu dispatch evaluate|crossval|predict|info`, `train --from-csv`, `jiesu hotspots --csv`) need no
database.
"""}
#: `jiesu --help`: after OVERVIEW, (the line on `jiesu help <command>`, the heading of the list of every command)
COMMAND_LIST = {"zh-hans": ("jiesu help <命令> 即 jiesu <命令> --help：该命令的说明和选项。", "全部命令："),
                "en": ("jiesu help <command> is jiesu <command> --help: what it does, its options.",
                       "All commands:")}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:
        print((STOPPED if in_handle(exc) else STOPPED_BEFORE)[interrupted_language(argv)], file=sys.stderr)
        return INTERRUPTED


def in_handle(exc) -> bool:
    """Whether `exc` was raised inside a management command's handle(), the command's own work."""
    base = sys.modules.get("django.core.management.base")
    return base is not None and any(
        frame.f_code.co_name == "handle" and isinstance(frame.f_locals.get("self"), base.BaseCommand)
        for frame, _line in traceback.walk_tb(exc.__traceback__))


def interrupted_language(argv) -> str:
    """The language of the lines `jiesu` prints itself (the Ctrl-C line, OVERVIEW): --lang on the command line,
    else the environment's, else Chinese (the platform's LANGUAGE_CODE, not read: Django may be half loaded)."""
    from jiesu.core.language import environment_language, language_option

    return language_option(argv) or environment_language() or "zh-hans"


def _main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    from django.core.management import execute_from_command_line

    if not argv:
        print(OVERVIEW[interrupted_language(argv)])
        return 0
    if argv[0] == "help" and "--commands" in argv:  # Django's bare list of names, for shell completion
        execute_from_command_line(["jiesu", *argv])
        return 0
    topic = help_topic(argv[1:]) if argv[0] == "help" else None
    if topic:
        return _main(topic)
    if argv[0] in ("-h", "--help", "help"):
        language = interrupted_language(argv)
        print(OVERVIEW[language])
        print("\n".join(command_list(language)))
        return 0
    head, rest = argv[0], argv[1:]
    command = ALIASES.get(head, [head.replace("-", "_")])
    if "--help" not in rest and "-h" not in rest and not files_only(command[0], rest) and needs_schema(command[0]):
        problem = schema_problem()
        if problem:
            print(problem, file=sys.stderr)
            return 1
    execute_from_command_line(["jiesu", *command, *rest])
    return 0


def help_topic(words):
    """`jiesu help <command> [action] [options]` as the command line it stands for, `jiesu <command> [action] --help
    [options]` (--help before the options: argparse shows the page before it reads them); None when no command is
    named (`jiesu help`, `jiesu help --lang en`)."""
    rest, language = list(words), []
    if "--lang" in rest:
        at = rest.index("--lang")
        language, rest[at:at + 2] = rest[at:at + 2], []
    topic = list(takewhile(lambda word: not word.startswith("-"), rest))
    if not topic:
        return None
    return [*topic, "--help", *rest[len(topic):], *language]


def command_list(language):
    """The lines after OVERVIEW on `jiesu --help`: how to get a command's page, then every command by app as
    Django's `help` lists them, each under the name users type (`import`, not import_tickets)."""
    from collections import defaultdict

    import django
    from django.core.management import get_commands

    django.setup()
    typed = {names[0]: alias for alias, names in ALIASES.items()}
    by_app = defaultdict(list)
    for name, app in get_commands().items():
        by_app["django" if app == "django.core" else app.rpartition(".")[-1]].append(typed.get(name, name))
    line, heading = COMMAND_LIST[language]
    lines = [line, "", heading]
    for app in sorted(by_app):
        lines += ["", f"[{app}]", *(f"    {name}" for name in sorted(by_app[app]))]
    return lines


#: `jiesu dispatch` actions that read and write files only, never the database (the classifier's evaluation on
#: labelled CSV files, a model's predictions and metadata): they run on a fresh checkout, before `jiesu setup`.
DISPATCH_FILE_ACTIONS = ("evaluate", "crossval", "predict", "info")


def files_only(name, rest):
    """Whether a command line works on files alone: `jiesu dispatch` DISPATCH_FILE_ACTIONS or `train --from-csv`,
    `jiesu hotspots --csv FILE` (clusters a file's messages, stores nothing)."""
    if name == "hotspots":
        return any(arg == "--csv" or arg.startswith("--csv=") for arg in rest)
    if name != "dispatch" or not rest:
        return False
    return rest[0] in DISPATCH_FILE_ACTIONS or (rest[0] == "train" and "--from-csv" in rest)


def needs_schema(name):
    """Whether a command is one of the platform's own that reads its tables (`setup` migrates by itself)."""
    import django
    from django.core.management import get_commands

    django.setup()
    return name not in MIGRATES and get_commands().get(name, "").startswith("jiesu.")


def schema_problem(alias="default"):
    """What keeps the platform's commands from running on the database, in Chinese and English; "" when
    nothing does. A database that is new or older than the code gave a raw "no such table" traceback."""
    from django.db import DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"jiesu: 无法读取数据库（{reason}）\njiesu: cannot read the database ({reason})"
    if not plan:
        return ""
    first = plan[0][0]
    return (f"jiesu: 数据库尚未初始化或需要升级：{len(plan)} 个迁移未应用（如 {first.app_label}.{first.name}）。"
            f"请先运行 `jiesu setup`（新数据库）或 `jiesu migrate`（升级）。\n"
            f"jiesu: the database is not migrated: {len(plan)} migration(s) not applied (e.g. "
            f"{first.app_label}.{first.name}); run `jiesu setup` (a new database) or `jiesu migrate` (an upgrade) first.")


if __name__ == "__main__":
    sys.exit(main())
