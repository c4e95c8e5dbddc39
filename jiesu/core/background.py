"""Long work the worker hands to a process of its own: a retraining of the desk's model (dispatch.jobs.spawn_retrain)
and a hotspot run asked from the board (hotspots.jobs.spawn_asked_run). Minutes of CPU (gigabytes for a training)
would hold up the worker's other jobs — the deadline scan, notices, auto-dispatch — for as long; in a process of
its own, at a lower priority, they go on. The run is recorded with the process's host and pid by its caller, which
marks it failed or lost once the process is gone (dispatch.services.lost_reason)."""
import shutil
import subprocess
import sys

NICENESS = 10  # the process's CPU priority: below the web server's and the worker's
OOM_SCORE = 500  # its oom_score_adj: the first the kernel stops when memory runs out

# Popen of the processes this process started, polled (reap) so that a finished one is not left a zombie
# (a zombie's pid would look alive to dispatch.services.process_alive).
children = []


def lower_priority():
    """`choom -n 500 -- nice -n 10` (each execs the next: the pid stays the command's), where they exist. The web
    server and the worker have the CPU first, and should memory run out, the kernel stops this process (its run is
    then marked lost), not the web server or the database."""
    prefix = []
    choom, nice = shutil.which("choom"), shutil.which("nice")
    if choom:
        prefix += [choom, "-n", str(OOM_SCORE), "--"]
    if nice:
        prefix += [nice, "-n", str(NICENESS)]
    return prefix


def spawn(command, log_path, heading):
    """Start `jiesu COMMAND…` at a lower priority, in a session of its own (a signal to the worker's group does not
    stop it), its output appended to `log_path` after a line `== heading ==`; returns its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        out.write(f"\n== {heading} ==\n".encode())
        out.flush()
        child = subprocess.Popen([*lower_priority(), sys.executable, "-m", "jiesu", *command],
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    children.append(child)
    return child.pid


def reap():
    """Forget (and let the kernel forget) the processes that have ended."""
    children[:] = [child for child in children if child.poll() is None]
