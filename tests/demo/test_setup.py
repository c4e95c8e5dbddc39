"""`jiesu setup`: everything in one command, and a second run does nothing heavy."""
import io

from django.core.management import call_command

from jiesu.accounts.models import User
from jiesu.demo.models import DemoDataset
from jiesu.dispatch import jobs
from jiesu.dispatch.models import RetrainRun
from jiesu.demo.users import DEMO_USERS
from jiesu.grids.models import GridDemo
from jiesu.tickets.models import Ticket


def run_setup(**options):
    out = io.StringIO()
    call_command("setup", districts="110101", no_progress=True, stdout=out, **options)
    return out.getvalue()


def hotline_demo_tickets():
    """Tickets of the demo generator: all but the grid demo's patrol reports (jiesu.grids.demo)."""
    tickets = Ticket.objects.all()
    for run in GridDemo.objects.exclude(first_ticket_id=None):
        tickets = tickets.exclude(pk__range=(run.first_ticket_id, run.last_ticket_id))
    return tickets.count()


def test_setup_is_idempotent(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    output = run_setup(tickets=150)
    assert "150 in" in output
    assert "dispatch model: JIESU_DISPATCH_MODEL is empty" in output  # the tests name no model file
    assert hotline_demo_tickets() == 150 and GridDemo.objects.count() == 1
    assert set(User.objects.filter(username__in=[u.username for u in DEMO_USERS]).values_list("username", flat=True)) \
        == {u.username for u in DEMO_USERS}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.role == "admin" and admin.check_password("jiesu123")
    street = User.objects.get(username="street")
    assert street.unit.code == "110101001" and street.display_name
    users, before = User.objects.count(), list(Ticket.objects.values_list("id", flat=True))

    output = run_setup(tickets=150)
    assert "present" in output
    assert list(Ticket.objects.values_list("id", flat=True)) == before
    assert User.objects.count() == users and DemoDataset.objects.count() == 1 and GridDemo.objects.count() == 1


def test_reset_and_no_tickets(db, settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert "dispatch model: not started (--no-model)" in run_setup(no_demo_tickets=True, no_model=True)
    assert not Ticket.objects.exists() and User.objects.filter(username="dispatcher").exists()
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(tmp_path / "desk.npz")}
    monkeypatch.setattr(jobs, "spawn_retrain", lambda run: 4242)  # the process itself: tests/dispatch
    output = run_setup(tickets=80)
    assert hotline_demo_tickets() == 80
    started = RetrainRun.objects.get()
    assert started.trigger == "setup" and started.state == "running" and started.pid == 4242
    assert f"the first one is being trained from the closed tickets in the background (run #{started.pk}, " \
           "pid 4242;" in output
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": ""}
    output = run_setup(tickets=60, reset_demo=True)
    assert "80 deleted" in output
    assert hotline_demo_tickets() == 60 and DemoDataset.objects.get().tickets == 60


def test_load_demo_command(db, settings):
    """`jiesu demo` (load_demo): users and tickets on an existing tree and catalogue."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from jiesu.units.services import build_org_tree

    build_org_tree(districts=("110101",))
    call_command("seed_reference", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo", tickets=40, no_progress=True, stdout=out)
    assert Ticket.objects.count() == 40 and User.objects.filter(username="callback").exists()
    call_command("load_demo", tickets=40, no_progress=True, stdout=out)
    assert Ticket.objects.count() == 40 and "present" in out.getvalue()
