"""Shared bits for the benchmarks: the machine they ran on, peak memory."""
import os
import platform
import resource


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, Python {platform.python_version()}, {platform.system()}"


def peak_rss_mb(children=False):
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def _stat(pid):
    """The fields of /proc/PID/stat after the command name (state, ppid, …), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def pid_cpu_seconds(pid):
    """User + system CPU seconds a process has used (from /proc; 0 when it is gone or /proc cannot tell)."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parent_pid(pid):
    fields = _stat(pid)
    return None if fields is None else int(fields[1])


def family_cpu_seconds(root):
    """CPU seconds of a process and of all its children, living or ended (a reaped child's time is in its
    parent's cutime/cstime): e.g. the PostgreSQL server with every backend, including closed connections."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(entry)
            if fields is not None and (int(entry) == root or int(fields[1]) == root):
                total += sum(int(x) for x in fields[11:15]) / tick
    return total


def pids_named(*names):
    """Ids of the running processes whose command name is one of `names` (e.g. "postgres", "gunicorn")."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() in names:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def cpu_of(pids):
    """{pid: CPU seconds} of the processes."""
    return {pid: pid_cpu_seconds(pid) for pid in pids}


def setup_django(sqlite_path=None):
    """Django set up for a bench script, on the SQLite file `sqlite_path` when given, else the settings' database
    (JIESU_DATABASE_URL: PostgreSQL under scripts/with-postgres.sh)."""
    if sqlite_path:
        os.environ["JIESU_SQLITE_PATH"] = sqlite_path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    import django

    django.setup()
