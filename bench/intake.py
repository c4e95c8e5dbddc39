"""Intake throughput over HTTP against the real production server.

    .venv/bin/python bench/intake.py --seconds 30 --db sqlite
    .venv/bin/python bench/intake.py --seconds 30 --db postgres   # throw-away cluster

Sets up a fresh database (reference data, no demo tickets), starts gunicorn
with 2 workers, and creates tickets with concurrent keep-alive clients for N
seconds. Prints the machine, the CPU the server workers, the database server
and the clients used (where the time goes), then as its last line JSON
{"tickets_per_s", "p50_ms", "p99_ms", "errors"}.
"""
import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import cpu_of, machine, percentile, pids_named  # noqa: E402

THREADS = int(os.environ.get("JIESU_BENCH_THREADS", "4"))
VENV_BIN = ROOT / ".venv" / "bin"
TEXTS = ["小区门口有人占道经营，早晚高峰堵路", "楼上装修噪音很大，晚上十点还在施工", "路灯不亮已经一周了",
         "暖气不热，室温只有十五度", "公司拖欠三个月工资", "共享单车乱停放堵塞盲道", "餐馆油烟直排扰民"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env):
    subprocess.run([VENV_BIN / "jiesu", "setup", "--no-demo-tickets"], env=env, check=True, stdout=subprocess.DEVNULL)
    script = ("from jiesu.accounts.models import ApiToken, User;"
              "u = User.objects.get(username='calltaker');"
              "print(ApiToken.objects.create(user=u, name='bench').key)")
    out = subprocess.run([VENV_BIN / "python", "manage.py", "shell", "-c", script], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True)
    token = out.stdout.strip().splitlines()[-1]
    codes = subprocess.run([VENV_BIN / "python", "manage.py", "shell", "-c",
                            "from jiesu.units.models import Unit;from jiesu.categories.models import Category;"
                            "import json;print(json.dumps([list(Unit.objects.filter(kind='street')"
                            ".values_list('code', flat=True)[:200]), list(Category.objects.filter(level=3)"
                            ".values_list('code', flat=True)[:100])]))"],
                           env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    streets, categories = json.loads(codes.stdout.strip().splitlines()[-1])
    return token, streets, categories


def start_server(env, port, workers):
    server = subprocess.Popen(
        [VENV_BIN / "gunicorn", "jiesu.wsgi:application", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--worker-class", "gthread", "--threads", str(THREADS), "--log-level", "warning",
         "--keep-alive", "30"], env=env, cwd=ROOT)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def client(port, token, streets, categories, deadline, latencies, errors, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        body = json.dumps({"text": rng.choice(TEXTS), "citizen_name": "王先生",
                           "citizen_phone": f"13{rng.randrange(10**9):09d}", "street": rng.choice(streets),
                           "category": rng.choice(categories), "channel": "api"})
        headers["Idempotency-Key"] = f"bench-{seed}-{n}"
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/tickets", body, headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 201
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        if not ok:
            errors.append(1)


def spent(before, pids):
    """CPU seconds the processes used since `before` ({pid: seconds}); new processes count from zero."""
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in cpu_of(pids).items())


def run(args):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="jiesu.settings", JIESU_DEBUG="0", JIESU_DEMO="1")  # a throw-away city
    tmp = tempfile.mkdtemp(prefix="jiesu-bench-")
    env["JIESU_VAR_DIR"] = tmp
    if args.db == "sqlite":
        env.pop("JIESU_DATABASE_URL", None)
    elif not env.get("JIESU_DATABASE_URL"):
        os.execv(str(ROOT / "scripts" / "with-postgres.sh"),
                 [str(ROOT / "scripts" / "with-postgres.sh"), str(VENV_BIN / "python"), *sys.argv])
    token, streets, categories = prepare(env)
    port = free_port()
    server = start_server(env, port, args.workers)
    latencies, errors = [], []
    try:
        servers = cpu_of(pids_named("gunicorn"))
        databases = cpu_of(pids_named("postgres"))
        client_before = time.process_time()
        deadline = time.perf_counter() + args.seconds
        threads = [threading.Thread(target=client, args=(port, token, streets, categories, deadline, latencies,
                                                         errors, i)) for i in range(args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        cpu = {"server": spent(servers, pids_named("gunicorn")), "database": spent(databases, pids_named("postgres")),
               "client": time.process_time() - client_before}
    finally:
        server.terminate()
        server.wait()
    latencies.sort()
    ok = len(latencies) - len(errors)
    print(f"machine: {machine()}")
    print(f"database: {args.db}; server: gunicorn {args.workers} workers x 4 threads; clients: {args.clients}; "
          f"{len(latencies)} requests in {elapsed:.1f} s")
    if ok:
        per = ", ".join(f"{name} {seconds:.1f} s ({seconds / ok * 1000:.2f} ms per ticket)"
                        for name, seconds in cpu.items() if seconds)
        cores = os.cpu_count() or 1
        print(f"CPU used while the clients ran ({cores} cores = {cores * elapsed:.0f} CPU seconds): {per}; "
              f"≈ {sum(cpu.values()) / ok * 1000:.1f} ms per ticket in all, "
              f"≈ {cores * ok / max(sum(cpu.values()), 1e-9):.0f} tickets/s if the cores did nothing else")
    print(json.dumps({"tickets_per_s": round(ok / elapsed, 1), "p50_ms": round(percentile(latencies, 50), 1),
                      "p99_ms": round(percentile(latencies, 99), 1), "errors": len(errors)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
