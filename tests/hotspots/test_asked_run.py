"""The board's 「立即发现热点」 asks the worker for a run (services.ask_run, jobs.run_asked): the request answers at
once, without clustering; the board shows the run's state; a second ask while one waits or runs is refused."""
import io
from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from jiesu.accounts.models import Role
from jiesu.hotspots import jobs, services
from jiesu.hotspots.models import AskedRun, AskedState, HotspotRun
from jiesu.tickets import jobs as worker_jobs


def _client(user, language="zh-hans"):
    c = Client()
    c.cookies["django_language"] = language
    c.force_login(user)
    return c


def test_the_button_asks_and_does_not_cluster(hot):
    c = _client(hot.supervisor)
    answer = c.post(reverse("hotspot_run"), {"days": 30}, follow=True)
    assert answer.status_code == 200
    assert HotspotRun.objects.count() == 0  # no clustering in the request
    asked = AskedRun.objects.get()
    assert (asked.state, asked.asked_by, asked.asked_by_name, asked.days) == (
        AskedState.WAITING, hot.supervisor, hot.supervisor.get_username(), 30)
    page = answer.content.decode()
    assert f"热点发现运行 #{asked.pk}" in page and hot.supervisor.get_username() in page
    assert 'id="asked-run" data-state="waiting"' in page and 'http-equiv="refresh"' in page


def _in_this_process(monkeypatch):
    """The worker's pass starts `jiesu hotspots --asked ID` (jobs.spawn_asked_run); here the command runs in this
    process, so that it sees the test's database (the real process: test_asked_run_process.py)."""
    def spawn(asked):
        call_command("hotspots", "--asked", str(asked.pk), stdout=io.StringIO())
        return 4242

    monkeypatch.setattr(jobs, "spawn_asked_run", spawn)


def test_the_worker_runs_it_and_the_board_shows_its_problems(hot, monkeypatch):
    _in_this_process(monkeypatch)
    asked = services.ask_run(hot.supervisor)
    results = worker_jobs.run_pass()
    assert results["hotspots_asked"].pk == asked.pk
    asked.refresh_from_db()
    run = HotspotRun.objects.get()
    assert (asked.state, asked.going, asked.run, run.started_by) == (AskedState.DONE, False, run, hot.supervisor)
    assert results["hotspots"] is None  # the daily run is not due right after it
    page = _client(hot.supervisor, "en").get(reverse("hotspot_board")).content.decode()
    assert 'data-state="done"' in page and "Done" in page and 'http-equiv="refresh"' not in page
    assert 'id="hotspots"' in page


def test_a_second_ask_is_refused_naming_the_run_going(hot):
    first = _client(hot.supervisor, "en")
    first.post(reverse("hotspot_run"), {"days": 30})
    going = AskedRun.objects.get()
    answer = first.post(reverse("hotspot_run"), {"days": 30}, follow=True).content.decode()
    assert AskedRun.objects.count() == 1
    assert f"Hotspot run #{going.pk}, asked by {hot.supervisor.get_username()}" in answer
    assert "wait for it to end" in answer
    AskedRun.objects.filter(pk=going.pk).update(state=AskedState.RUNNING)
    answer = _client(hot.supervisor).post(reverse("hotspot_run"), {"days": 30}, follow=True).content.decode()
    assert AskedRun.objects.count() == 1 and f"热点发现运行 #{going.pk}" in answer and "进行中" in answer


def test_only_who_may_make_topics_may_ask(hot):
    """As before (topics.services.may_create): supervisors and administrators; the board shows them the button."""
    for user in (hot.street_staff, hot.district_staff, hot.call_taker, hot.dispatcher, hot.grid_worker):
        assert _client(user).post(reverse("hotspot_run"), {"days": 30}).status_code == 403
        assert 'id="run-hotspots"' not in _client(user).get(reverse("hotspot_board")).content.decode()
    assert _client(hot.citizen).post(reverse("hotspot_run"), {"days": 30}).status_code == 403
    assert AskedRun.objects.count() == 0
    services.ask_run(hot.supervisor)  # those who may not ask are not told who asked
    assert 'id="asked-run"' not in _client(hot.street_staff).get(reverse("hotspot_board")).content.decode()
    AskedRun.objects.all().delete()
    admin = type(hot.supervisor).objects.create_user("adm", password="pw", role=Role.ADMIN)
    assert _client(admin).post(reverse("hotspot_run"), {"days": 30}).status_code == 302
    assert AskedRun.objects.get().asked_by == admin


def test_a_failed_run_says_why_and_frees_the_next(hot, monkeypatch):
    services.ask_run(hot.supervisor)
    AskedRun.objects.update(days=30)

    def broken(**kwargs):
        raise ValueError("out of memory")

    monkeypatch.setattr(services, "run_hotspots", broken)
    _in_this_process(monkeypatch)
    passed = worker_jobs.run_pass()
    assert passed["hotspots_asked"] is worker_jobs.FAILED
    asked = AskedRun.objects.get(asked_by=hot.supervisor)
    assert (asked.state, asked.going, asked.reason) == (AskedState.FAILED, False, "out of memory")
    # no run stored: the daily one is due and is started in its turn (and fails the same way)
    assert passed["hotspots"] is worker_jobs.FAILED and AskedRun.objects.get(asked_by_name="").reason == "out of memory"
    page = _client(hot.supervisor).get(reverse("hotspot_board")).content.decode()
    assert 'data-state="failed"' in page and "失败" in page and "out of memory" in page
    assert services.ask_run(hot.supervisor).state == AskedState.WAITING


def test_no_worker_is_said(hot):
    asked = services.ask_run(hot.supervisor, now=timezone.now() - timedelta(minutes=10))
    page = _client(hot.supervisor).get(reverse("hotspot_board")).content.decode()
    assert 'data-waits="1"' in page and 'id="asked-no-worker"' in page and "jiesu worker" in page
    assert 'http-equiv="refresh"' not in page
    with translation.override("en"):
        assert services.latest_asked().asked.pk == asked.pk


def test_a_run_whose_worker_died_is_failed(hot):
    asked = services.ask_run(hot.supervisor)
    claimed = services.claim_asked_run()
    assert claimed.pk == asked.pk and claimed.state == AskedState.RUNNING
    AskedRun.objects.filter(pk=asked.pk).update(pid=2 ** 22 + 12345)  # no such process
    page = _client(hot.supervisor).get(reverse("hotspot_board")).content.decode()  # the board looks too
    asked.refresh_from_db()
    assert asked.state == AskedState.FAILED and asked.reason == AskedRun.PROCESS_ENDED
    assert "热点发现进程（进程 4206649）未完成即结束" in page
    page = _client(hot.supervisor, "en").get(reverse("hotspot_board")).content.decode()
    assert "the hotspot run&#x27;s process (process 4206649) ended before it finished" in page
    assert services.ask_run(hot.supervisor).pk != asked.pk  # it blocks no later ask
