"""A small world for import tests: 东城区's org tree and the reference catalogue; helpers to run the command."""
import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

US311 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "us311"
SMALL = ("110101",)  # 东城区 only


@pytest.fixture
def world(db):
    from jiesu.dispatch.router import invalidate
    from jiesu.units.services import build_org_tree

    build_org_tree(districts=SMALL)
    call_command("seed_reference", stdout=StringIO())
    invalidate()  # the process's reference data must be this test's (PostgreSQL does not reuse ids)
    yield
    invalidate()


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def run_import(path, *args, lang="en"):
    """Run `import_tickets` quietly in `lang` (pinned, whatever the environment's): (summary JSON, printed lines).
    Its refusals, summary and the report's reasons are in that language."""
    out = StringIO()
    call_command("import_tickets", str(path), "--no-progress", *args, "--lang", lang, stdout=out)
    lines = out.getvalue().rstrip("\n").split("\n")
    return json.loads(lines[-1]), lines


def read_report(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def us311_sample(name, keep):
    """Header and the rows of a real 311 file (read in place) for which keep(row dict, index) is true."""
    path = US311 / name
    if not path.exists():
        pytest.fail(f"real data not found at {path}", pytrace=False)
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for i, r in enumerate(reader) if keep(dict(zip(header, r)), i)]
    return header, rows
