"""Edits reach every process within the recheck interval, with no shared cache (audit 8, #3).

An edit changes no count or id; each process holds its own routing table, gazetteer and point index. The shared
version row (dispatch.ReferenceVersion), raised by every save and bulk service in its transaction and read by the
recheck query, is what tells the other processes.
"""
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from django.db import transaction

from jiesu.categories.models import Duty
from jiesu.dispatch import router
from jiesu.dispatch.gazetteer import locate_text
from jiesu.dispatch.models import EntryKind, GazetteerEntry
from jiesu.units import services as units
from jiesu.units.models import Unit

from .test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)

ROOT = Path(__file__).resolve().parents[2]


def test_edits_that_change_no_count_change_the_fingerprint(dispatch_db):
    before = router._fingerprint()
    duty = Duty.objects.filter(negative=False, territory__isnull=True).first()
    duty.negative = True
    duty.save()
    after_duty = router._fingerprint()
    assert after_duty != before
    assert after_duty[:4] == before[:4]  # the same counts and ids: only the version tells
    entry = GazetteerEntry.objects.filter(kind=EntryKind.ALIAS).first()
    entry.unit = Unit.objects.filter(kind="street").exclude(pk=entry.unit_id).first()
    entry.save()
    assert router._fingerprint() != after_duty


def test_a_rolled_back_edit_raises_no_version(dispatch_db):
    before = router._fingerprint()
    with transaction.atomic():
        street = Unit.objects.get(code="110101001")
        street.aliases = "回滚测试街道办事处"
        street.save()
        transaction.set_rollback(True)
    assert router._fingerprint() == before


def test_a_process_that_did_not_make_the_edit_rebuilds_at_its_next_recheck(dispatch_db, settings):
    """Another process's memory: the reference and its check time as they were before the edit here."""
    settings.JIESU = {**settings.JIESU, "DISPATCH_RECHECK_SECONDS": 60}
    held = router.reference()
    place = locate_text("东华门街道")
    assert held.table.route("03.01.01", place)[0].lead.code == "110101001"
    street_rule = Duty.objects.get(category__code="03.01.01", unit_kind="street", territory__isnull=True)
    street_rule.negative = True
    street_rule.save()
    router._state.update(reference=held)  # as if the save had been made elsewhere
    assert router.reference() is held  # within the recheck interval: as it was
    router._state.update(checked=time.monotonic() - 61)
    fresh = router.reference()
    assert fresh is not held
    assert fresh.table.route("03.01.01", place)[0].lead.code != "110101001"  # the street is barred now


def test_the_point_index_key_follows_the_shared_version(dispatch_db):
    """Boundaries loaded in another process (jiesu load-units) change no count either."""
    key = units._cache_key()
    units.invalidate_locator()  # what the bulk services call after changing boundaries
    assert units._cache_key()[:2] == key[:2] and units._cache_key() != key


WATCHER = """
import json, sys, time
import django
django.setup()
from django.conf import settings
settings.JIESU = {**settings.JIESU, "DISPATCH_RECHECK_SECONDS": 0.5}
from django.core.management import call_command
from jiesu.categories import services as catalogue
from jiesu.dispatch import router
from jiesu.dispatch.gazetteer import locate_text
from jiesu.dispatch.models import GazetteerEntry
from jiesu.units import services as units
from jiesu.units.models import Unit

if sys.argv[1] == "setup":
    call_command("migrate", verbosity=0)
    units.build_org_tree(communities_per_street=1, grids_per_community=1, districts=("110101",))
    catalogue.load_time_limits()
    catalogue.load_categories()
    catalogue.load_duties()
    GazetteerEntry.objects.create(name="测试金宝街", kind="road", unit=Unit.objects.get(code="110101001"))
elif sys.argv[1] == "watch":
    def seen():
        ref = router.reference()
        return {"street": locate_text("东城区测试金宝街").street.code,
                "lead": ref.table.route("03.01.01", locate_text("东华门街道"))[0].lead.code}
    print(json.dumps(seen()), flush=True)
    sys.stdin.readline()  # the edit is made
    started = time.monotonic()
    while time.monotonic() - started < 5:
        print(json.dumps({**seen(), "after": round(time.monotonic() - started, 2)}), flush=True)
        time.sleep(0.1)
else:  # edit, as the admin saves: one transaction, the signals raise the version
    from django.db import transaction
    from jiesu.categories.models import Duty
    with transaction.atomic():
        entry = GazetteerEntry.objects.get(name="测试金宝街")
        entry.unit = Unit.objects.get(code="110101002")
        entry.save()
        rule = Duty.objects.get(category__code="03.01.01", unit_kind="street", territory__isnull=True)
        rule.negative = True
        rule.save()
"""


def test_another_process_sees_an_edit_within_the_recheck_interval(tmp_path):
    """Two processes on one database file, no cache configured: the watcher (as `jiesu worker`) sees an alias moved
    to another street and a duty put on the negative list within its 0.5 s recheck."""
    import json

    script = tmp_path / "proc.py"
    script.write_text(textwrap.dedent(WATCHER))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiesu.settings", "JIESU_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
           "JIESU_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("JIESU_DATABASE_URL", None)

    def run(step):
        subprocess.run([sys.executable, str(script), step], env=env, check=True, timeout=300, cwd=ROOT)

    run("setup")
    watcher = subprocess.Popen([sys.executable, str(script), "watch"], env=env, cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        first = json.loads(watcher.stdout.readline())
        assert first == {"street": "110101001", "lead": "110101001"}
        run("edit")
        watcher.stdin.write("\n")
        watcher.stdin.flush()
        seen = None
        for line in watcher.stdout:
            seen = json.loads(line)
            if seen["street"] == "110101002" and seen["lead"] != "110101001":
                break
    finally:
        watcher.kill()
        watcher.wait()
    assert seen["street"] == "110101002" and seen["lead"] != "110101001", seen  # within the watcher's 5 s
    assert seen["after"] <= 0.5 + 0.3  # the recheck interval, and a loop's step
