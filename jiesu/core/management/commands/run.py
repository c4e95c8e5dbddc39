"""`jiesu run [ADDR:PORT] [--no-worker]` (`make run`): the development server and, beside it, the worker.

Deadlines approaching and overdue, 督办 notices, auto-dispatch, the grid ladder, forecasts, hotspots and the
dispatch desk's training happen only while `jiesu worker` runs; a newcomer's `make run` showed a city whose
clocks never moved. So `run` starts the worker as a child process and stops it with the server: on Ctrl-C it
asks it to stop (it ends after the job under way) and, should the server's process end in any other way, the
kernel sends the worker SIGTERM (it asked for that when it started). The server's code reloading leaves the
worker alone: restart `run` for a changed job. `--no-worker`: the server alone, e.g. when a worker runs
elsewhere. Production runs gunicorn and `jiesu worker` as services of their own (README).
"""
import ctypes
import os
import signal
import subprocess
import sys

from django.contrib.staticfiles.management.commands.runserver import Command as RunServer
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.core.i18n_compile import ensure_compiled

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
WORKER_STOP_SECONDS = 20  # how long a stopping worker may take to finish its job before it is killed


class Command(LanguageCommand, RunServer):
    works_in_its_language = False  # the worker's notices and the server's pages, as before
    help = gettext_lazy("Start the development server and, beside it, the worker (`jiesu worker`: deadlines, 督办, "
                        "auto-dispatch, the ladder, forecasts, hotspots, the dispatch desk's training), stopped with "
                        "it. --no-worker: the server alone.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-worker", action="store_true", dest="no_worker",
                            help=_("do not start the worker (one runs elsewhere)"))

    def handle(self, *args, **options):
        os.environ["JIESU_DEMO"] = "1"  # a development start: jiesu.wsgi allows the demo's key and DEBUG (accounts.deploy)
        if not reloaded_child():
            ensure_compiled(self.stdout.write)
        worker = None
        if not options["no_worker"] and not reloaded_child():
            worker = start_worker()
            self.stdout.write(f"worker started (pid {worker.pid}), stopped with the server; --no-worker: none")
        try:
            super().handle(*args, **options)
        finally:
            if worker is not None:
                stop_worker(worker)


def reloaded_child():
    """Whether this process is the server the autoreloader restarts on each code change: the worker belongs to
    the process that watches it, which lives as long as `run`."""
    return os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"


def start_worker():
    """`jiesu worker` in a session of its own (the terminal's Ctrl-C goes to the server, which stops it), which
    the kernel sends SIGTERM when this process ends."""
    return subprocess.Popen([sys.executable, "-m", "jiesu", "worker"], stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=_end_with_parent)


def _end_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: stop_worker still stops it when the server stops normally
        pass


def stop_worker(worker):
    """SIGTERM (the worker ends after the job under way), then SIGKILL after WORKER_STOP_SECONDS."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
