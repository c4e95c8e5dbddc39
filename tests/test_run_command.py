"""`jiesu run` (`make run`): the development server with the worker beside it, stopped with it, in real
processes on this test's database."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tickets.helpers import point_children_at_the_test_database

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 90  # seconds a process may take to come up or go (a loaded CI machine), polled


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(condition, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {WAIT} s: {what}")


def _children(pid):
    """{child pid: its command line} of process `pid`, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = command
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """Start `jiesu run 127.0.0.1:PORT --noreload [args]`; (process, port, its output file)."""
    point_children_at_the_test_database(monkeypatch)
    monkeypatch.setenv("JIESU_DISPATCH_MODEL", "")  # the worker trains nothing here
    started = []

    def start(*args):
        port, out = _free_port(), tmp_path / f"run-{len(started)}.log"
        with open(out, "wb") as fh:
            server = subprocess.Popen([sys.executable, "-m", "jiesu", "run", f"127.0.0.1:{port}", "--noreload",
                                       *args], stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT)
        started.append(server)
        _until(lambda: _answers(port), "the server answers /login/")
        return server, out

    yield start
    for server in started:
        if server.poll() is None:
            server.kill()
            server.wait()


def _worker_of(server):
    workers = _until(lambda: [pid for pid, command in _children(server.pid).items() if command.endswith("jiesu worker")],
                     "a worker among the server's children")
    assert len(workers) == 1
    return workers[0]


def test_run_starts_the_worker_and_ctrl_c_stops_both(serve):
    server, out = serve()
    worker = _worker_of(server)
    _until(lambda: "worker running, a pass every 60 s" in out.read_text(), "the worker's first line")
    assert f"worker started (pid {worker})" in out.read_text()
    server.send_signal(signal.SIGINT)  # Ctrl-C: the terminal sends it to the server (the worker has a session of its own)
    assert server.wait(WAIT) == 0
    _until(lambda: not _alive(worker), "the worker ended")
    assert "worker stopped" in out.read_text()  # it ended by itself, after its job, not killed


def test_a_server_killed_outright_takes_its_worker_with_it(serve):
    server, out = serve()
    worker = _worker_of(server)
    _until(lambda: "worker running" in out.read_text(), "the worker's first line")
    os.kill(server.pid, signal.SIGKILL)  # no clean-up code runs: the kernel tells the worker (PR_SET_PDEATHSIG)
    server.wait(WAIT)
    _until(lambda: not _alive(worker), "the worker ended")
    _until(lambda: "worker stopped" in out.read_text(), "the worker's last line")


def test_no_worker_starts_the_server_alone(serve):
    server, out = serve("--no-worker")
    assert not [command for command in _children(server.pid).values() if "worker" in command]
    assert "worker" not in out.read_text()
