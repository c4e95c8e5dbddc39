"""A retraining or a rollback records who asked for it (audit 11, finding 23): the user from the accuracy page, the
user named by the command's --by and the operating-system user who ran the command; the runs list and the admin
show it."""
import getpass

import pytest
from django.core.management.base import CommandError
from django.test import Client

from jiesu.accounts.models import Role, User
from jiesu.dispatch import jobs
from jiesu.dispatch.models import RetrainRun, RetrainState
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_cli_train import run
from .test_model_confidence import _client, desk_model  # noqa: F401  (a fixture)


@pytest.fixture
def admin(desk_world):
    return User.objects.create_user("adm", password="pw", role=Role.ADMIN, unit=desk_world.hc,
                                    display_name="韩管理")


def test_a_rollback_from_the_page_records_its_user(admin, desk_model):
    _client(admin).post("/dispatch/model/rollback/", {"confirm": "1"})
    run_row = RetrainRun.objects.get()
    assert (run_row.state, run_row.asked_by, run_row.os_user) == (RetrainState.ROLLED_BACK, admin, "")
    assert "韩管理（网页）" in _client(admin).get("/dispatch/accuracy/").content.decode()


def test_a_retraining_from_the_page_records_its_user(desk_world, desk_model, monkeypatch):
    monkeypatch.setattr(jobs, "spawn_retrain", lambda run_row: 4242)  # the process itself: test_model_confidence
    _client(desk_world.supervisor).post("/dispatch/model/retrain/", {"confirm": "1"})
    run_row = RetrainRun.objects.get()
    assert (run_row.asked_by, run_row.result, run_row.pid) == (desk_world.supervisor,
                                                              {"by": desk_world.supervisor.username}, 4242)


def test_the_command_records_the_os_user_and_the_user_named_by_by(admin, desk_model):
    run("rollback")
    run("rollback", "--by", "adm")
    first, second = RetrainRun.objects.order_by("pk")
    assert (first.asked_by, first.os_user, first.result.get("by")) == (None, getpass.getuser(), None)
    assert (second.asked_by, second.os_user, second.result["by"]) == (admin, getpass.getuser(), "adm")
    html = _client(admin, "en").get("/dispatch/accuracy/").content.decode()
    assert f"韩管理 (command line, as {getpass.getuser()})" in html and f"{getpass.getuser()} (command line)" in html


def test_a_retraining_by_command_records_its_user_however_it_ends(admin, tmp_path):
    with pytest.raises(CommandError, match="no closed ticket"):
        run("retrain", "--model", str(tmp_path / "desk.npz"), "--by", "adm")
    assert list(RetrainRun.objects.values_list("asked_by", "os_user")) == [(admin.pk, getpass.getuser())]


def test_an_unknown_user_is_refused_before_anything_is_recorded(desk_world, desk_model):
    with pytest.raises(CommandError, match="--by: there is no user named “nobody”"):
        run("rollback", "--by", "nobody")
    assert not RetrainRun.objects.exists()


def test_a_deleted_user_leaves_the_run_and_their_name(admin, desk_model):
    _client(admin).post("/dispatch/model/rollback/", {"confirm": "1"})
    admin.delete()
    run_row = RetrainRun.objects.get()
    assert (run_row.asked_by, run_row.result["by"]) == (None, "adm")
    viewer = User.objects.create_superuser("root2", password="pw")
    assert "adm (web)" in _client(viewer, "en").get("/dispatch/accuracy/").content.decode()


def test_the_admin_lists_who_asked(admin, desk_model):
    _client(admin).post("/dispatch/model/rollback/", {"confirm": "1"})
    client = Client()
    client.force_login(User.objects.create_superuser("root2", password="pw"))
    html = client.get("/admin/dispatch/retrainrun/").content.decode()
    assert "韩管理" in html and "column-asked_by" in html
