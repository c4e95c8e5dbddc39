"""The `jiesu` console command: a thin wrapper over Django's management commands.

    jiesu setup          migrate, load the demo city, users and tickets
    jiesu run            serve on http://127.0.0.1:8000
    jiesu worker         deadline worker
    jiesu load-units F   load real boundaries from GeoJSON/CSV
    jiesu kpi rebuild [--since YYYY-MM-DD]   recompute the assessment rollups
    jiesu import F --format csv|us311   import historical tickets (docs/import.md)
    jiesu <any Django management command>
"""
import os
import sys

ALIASES = {
    "run": ["runserver"],
    "load-units": ["load_units"],
    "demo": ["load_demo"],
    "import": ["import_tickets"],
}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        if not argv:
            return 0
        execute_from_command_line(["jiesu", "help"])
        return 0
    head, rest = argv[0], argv[1:]
    command = ALIASES.get(head, [head.replace("-", "_")])
    execute_from_command_line(["jiesu", *command, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
