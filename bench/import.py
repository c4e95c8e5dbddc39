"""Bulk import speed: `jiesu import` of N synthetic historical tickets, end to end.

    .venv/bin/python bench/import.py --tickets 100000 --db sqlite
    scripts/with-postgres.sh .venv/bin/python bench/import.py --tickets 1000000 --db postgres

Sets up a throw-away database (SQLite file in a temp dir, or the PostgreSQL
database of JIESU_DATABASE_URL, which scripts/with-postgres.sh provides):
migrations, Beijing's whole org tree (3,574 units), the reference catalogue.
Then writes N rows in the importer's csv format to a temp file, streaming
(texts: real citizen titles from ../shared/data/complaints_cn with a varied
detail sentence; 85 % closed with a reply; every row names its street (街乡镇)
code, as 12345 exports do, 20 % also carry coordinates; about 0.6 %
are bad: closed before created, no text, a bad date), and imports it with
jiesu.importer.services.run_import: check, classify (vectorised, one call per
batch), locate (the code: a cached look-up), route (memoised), write tickets,
events and assignments (COPY on PostgreSQL).

`--categories` gives each row its source system's category (a leaf of the
catalogue), as a real 12345 export carries it: the importer keeps it and
classifies nothing (and the closed rows teach the dispatch desk). Without
it (the default) there is no category column and every row is classified:
the slower case.

`--place address` gives rows an address instead of a code (each located
through the gazetteer; `coordinates` likewise through the point index), to
measure what files without place codes cost.

Prints the machine, the load average (the machine may be shared), the
set-up, the import summary with the seconds per stage, the CPU time of this
process and of the PostgreSQL server, all its processes: every writer's backend
and the background ones (load-independent: what the import costs per ticket,
and the rate with one free core for each), and as its last line
JSON {"tickets_per_s", "peak_rss_mb", "model_load_s", "processes"}: imported
tickets per second of the import (start-up included) and the peak resident
memory of the largest process. `--processes N` splits the import over N
processes (PostgreSQL; jiesu.importer.parallel): their CPU is counted with
this process's, and each has its own memory.
"""
import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import family_cpu_seconds, machine, parent_pid, peak_rss_mb, pid_cpu_seconds  # noqa: E402
from jiesu.importer.writer import KEY_CHECKS  # noqa: E402  (no Django needed)

TITLES = ROOT.parent / "shared" / "data" / "complaints_cn" / "titles_labeled.csv"
HEADER = ["external_id", "created_at", "closed_at", "channel", "title", "text", "address", "lon", "lat",
          "street_code", "state", "reply", "citizen_phone"]
DETAILS = ["希望尽快处理", "已经持续一周了", "多次反映没有解决", "影响居民正常生活", "请相关部门核实",
           "晚上尤其严重", "老人孩子出行不便", "周边商户也有意见", "请给予答复", "存在安全隐患"]
CHANNELS = ["电话", "电话", "电话", "web", "app", "巡查"]
REPLIES = ["已处理完毕", "已协调相关单位解决", "经核实已整改", "已向来电人解释说明"]
BBOX = (115.7, 39.6, 117.3, 40.9)


def setup_django(workdir, db, model_dir):
    os.environ["JIESU_VAR_DIR"] = str(workdir)
    if db == "sqlite":
        os.environ.pop("JIESU_DATABASE_URL", None)
        os.environ["JIESU_SQLITE_PATH"] = str(Path(workdir) / "bench.sqlite3")
    elif not os.environ.get("JIESU_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("--db postgres needs JIESU_DATABASE_URL: run under scripts/with-postgres.sh")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL_DIR": str(model_dir), "DISPATCH_MODEL": ""}  # cold start


def load_model():
    """The dispatch engine's model, as the import will use it: (seconds, how).

    The cold-start model is trained once per catalogue and saved in the model
    directory (jiesu.dispatch.engine.cold_start_classifier); a run finding it
    there only loads it. Either way it is done before the import is timed and
    reported on its own line: the import's `start` then holds only the
    reference data and the vectorised classifier's build.
    """
    from jiesu.dispatch import engine
    from jiesu.dispatch.router import reference

    ref = reference()
    pairs = engine.keyword_pairs(ref.table.categories.values())
    saved = any(engine._model_dir().glob("cold-start-*.npz"))
    started = time.perf_counter()
    engine.default_classifier(ref)
    return time.perf_counter() - started, ("loaded" if saved else "trained and saved") + f" ({len(pairs)} categories)"


def build_database():
    import io

    from django.core.management import call_command

    from jiesu.units.services import build_org_tree

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    build_org_tree()
    call_command("seed_reference", verbosity=0, stdout=io.StringIO())
    return time.perf_counter() - started


def read_titles():
    if not TITLES.exists():
        raise SystemExit(f"real data not found at {TITLES}")
    with open(TITLES, encoding="utf-8-sig", newline="") as fh:
        return [r["留言主题"].strip() for r in csv.DictReader(fh) if r["留言主题"].strip()]


def places():
    """[(code, address)] of every street/township (343): what a 12345 export records for each ticket."""
    from jiesu.units.models import Unit

    units = Unit.objects.filter(kind="street").select_related("parent")
    out = []
    for u in units:
        chain = [u.name]
        node = u.parent
        while node is not None and node.kind in ("street", "district"):
            chain.append(node.name)
            node = node.parent
        out.append((u.code, "".join(reversed(chain))))
    return out


def leaf_codes():
    """The codes of the catalogue's active leaf categories: what a 12345 export's category column names."""
    from jiesu.categories.models import Category

    parents = set(Category.objects.exclude(parent=None).values_list("parent_id", flat=True))
    return sorted(Category.objects.filter(active=True).exclude(pk__in=parents).values_list("code", flat=True))


def generate(path, n, place_mode, seed=1, categories=()):
    """N rows of the csv format, written as they are made (constant memory); with `categories` (codes), each
    row names one of them, as the source system recorded it."""
    rng = random.Random(seed)
    titles, pool = read_titles(), places()
    end = datetime(2026, 10, 31, 18, 0)
    span = 3 * 365 * 86400
    bad = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER + (["category"] if categories else []))
        for i in range(n):
            created = end - timedelta(seconds=rng.randrange(span))
            title = rng.choice(titles)
            text = f"{title}，{rng.choice(DETAILS)}。"
            code, address = rng.choice(pool)
            address = f"{address}{rng.randint(1, 40)}号楼"
            lon = lat = ""
            if place_mode == "coordinates" or (place_mode == "code" and rng.random() < 0.2):
                lon, lat = f"{rng.uniform(BBOX[0], BBOX[2]):.6f}", f"{rng.uniform(BBOX[1], BBOX[3]):.6f}"
            closed = rng.random() < 0.85
            closed_at = (created + timedelta(hours=rng.uniform(1, 240))).strftime("%Y-%m-%d %H:%M:%S") if closed else ""
            created_s = created.strftime("%Y-%m-%d %H:%M:%S")
            roll = rng.random()
            if roll < 0.002:  # closed before it was created
                closed_at, closed, bad = (created - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S"), True, bad + 1
            elif roll < 0.004:
                text, bad = "", bad + 1
            elif roll < 0.006:
                created_s, bad = "2025-02-30 25:61", bad + 1
            w.writerow([f"H{i:09d}", created_s, closed_at, rng.choice(CHANNELS), title, text,
                        address if place_mode != "coordinates" else "", lon, lat,
                        code if place_mode == "code" else "", "closed" if closed else "open",
                        rng.choice(REPLIES) if closed else "", f"1{rng.randint(3000000000, 9999999999)}"]
                       + ([rng.choice(categories)] if categories else []))
    return bad


def process_cpu():
    """User + system CPU seconds of this process (all its threads) and of its ended children (the import
    processes of `--processes`)."""
    import resource

    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def server_cpu(connection):
    """CPU seconds of the PostgreSQL server: every process of it, so every writer's backend (0 on SQLite, or when
    /proc cannot tell, e.g. a server on another machine)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        server = parent_pid(cursor.fetchone()[0])
    return family_cpu_seconds(server) if server else 0.0


# ─────────────────────────────────────────────────────────────── where the server's time goes (PostgreSQL)

TICKET_TABLES = ("tickets_ticket", "tickets_ticketevent", "tickets_assignment")
BREAKDOWN_TICKETS = 100_000  # tickets (with their events and assignments) re-inserted by --server-breakdown


def wal_position(connection):
    """The server's WAL insert position (None on SQLite): bytes of WAL written since = wal_since(…, position)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return cursor.fetchone()[0]


def wal_since(connection, position):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s::pg_lsn)::bigint", [position])
        return cursor.fetchone()[0]


def table_shapes(connection, tickets):
    """A line per ticket table: rows per imported ticket, bytes per row of the table and of its indexes, the
    number of indexes and of triggers (PostgreSQL's foreign-key checks are triggers)."""
    lines = []
    with connection.cursor() as cursor:
        for table in TICKET_TABLES:
            cursor.execute(f'SELECT count(*), pg_table_size(%s), pg_indexes_size(%s), '
                           f'(SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass), '
                           f'(SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass) FROM "{table}"',
                           [table] * 4)
            rows, heap, indexes, n_indexes, triggers = cursor.fetchone()
            per = max(1, rows)
            lines.append(f"{table}: {rows / max(1, tickets):.2f} rows per ticket, {heap / per:.0f} B per row "
                         f"+ {indexes / per:.0f} B in its {n_indexes} indexes, {triggers} triggers")
    return lines


class ScratchCopies:
    """Re-inserts imported rows into an empty copy of their table (`LIKE … INCLUDING ALL`: every index, no
    foreign key, as a batch whose keys the writer checks), by binary COPY on a connection of its own, and
    measures that backend's CPU and the WAL written: the server's share of the import, table by table and
    index by index (an index's cost: the mean of the loads with every index just before and after it, minus
    the load without it)."""

    def __init__(self, connection, tickets=BREAKDOWN_TICKETS):
        self.raw = connection.get_new_connection(connection.get_connection_params())
        self.raw.autocommit = True
        self.pid = self.sql("SELECT pg_backend_pid()")[0][0]
        self.top = self.sql("SELECT max(id) FROM (SELECT id FROM tickets_ticket ORDER BY id LIMIT %s) t",
                            [tickets])[0][0] or 0
        self.tickets = self.sql("SELECT count(*) FROM tickets_ticket WHERE id <= %s", [self.top])[0][0]

    def sql(self, text, params=None):
        with self.raw.cursor() as cursor:
            cursor.execute(text, params)
            return cursor.fetchall() if cursor.description else None

    def rows_of(self, table):
        """The table's rows of the sampled tickets, as COPY's binary bytes."""
        column = "id" if table == "tickets_ticket" else "ticket_id"
        out = bytearray()
        with self.raw.cursor() as cursor:
            with cursor.copy(f'COPY (SELECT * FROM "{table}" WHERE "{column}" <= {int(self.top)} ORDER BY id) '
                             "TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    out += chunk
        return bytes(out)

    def load(self, scratch, data):
        """(backend CPU seconds, WAL bytes) of COPYing `data` into the emptied scratch table."""
        self.sql(f'TRUNCATE "{scratch}"')
        start, position = pid_cpu_seconds(self.pid), self.sql("SELECT pg_current_wal_insert_lsn()")[0][0]
        with self.raw.cursor() as cursor:
            with cursor.copy(f'COPY "{scratch}" FROM STDIN (FORMAT BINARY)') as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i:i + (1 << 20)])
        cpu = pid_cpu_seconds(self.pid) - start
        wal = self.sql("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)::bigint", [position])[0][0]
        return cpu, wal

    def indexes(self, scratch):
        """[(name, definition, how to drop it, how to make it again)] of the scratch table's indexes."""
        constraints = dict(self.sql("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                    "WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", [scratch]))
        out = []
        for name, definition in self.sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                                         "ORDER BY indexname", [scratch]):
            if name in constraints:
                out.append((name, definition, f'ALTER TABLE "{scratch}" DROP CONSTRAINT "{name}"',
                            f'ALTER TABLE "{scratch}" ADD CONSTRAINT "{name}" {constraints[name]}'))
            else:
                out.append((name, definition, f'DROP INDEX "{name}"', definition))
        return out

    def table(self, table):
        """Lines on one table: every index's cost, the heap's alone."""
        scratch = f"bench_scratch_{table}"
        self.sql(f'DROP TABLE IF EXISTS "{scratch}"')
        self.sql(f'CREATE TABLE "{scratch}" (LIKE "{table}" INCLUDING ALL)')
        try:
            data = self.rows_of(table)
            per = 1e6 / max(1, self.tickets)
            full = [self.load(scratch, data)]
            costs = []
            for name, definition, drop, make in self.indexes(scratch):
                self.sql(drop)
                without = self.load(scratch, data)
                self.sql(f'TRUNCATE "{scratch}"')
                self.sql(make)
                full.append(self.load(scratch, data))
                around = [(a + b) / 2 for a, b in zip(full[-2], full[-1])]
                costs.append((around[0] - without[0], around[1] - without[1], definition.split(" USING ", 1)[1]))
            for _, _, drop, _ in self.indexes(scratch):
                self.sql(drop)
            heap = self.load(scratch, data)
        finally:
            self.sql(f'DROP TABLE IF EXISTS "{scratch}"')
        cpu = sorted(c for c, _ in full)
        lines = [f"{table}: every index {per * cpu[len(cpu) // 2]:.1f} µs per ticket (median of {len(cpu)} loads, "
                 f"{per * cpu[0]:.1f}–{per * cpu[-1]:.1f}), WAL {full[0][1] / max(1, self.tickets):.0f} B per "
                 f"ticket; the heap alone {per * heap[0]:.1f} µs, WAL {heap[1] / max(1, self.tickets):.0f} B"]
        lines += [f"   {per * cpu_cost:5.1f} µs  {wal / max(1, self.tickets):5.0f} B WAL  {what}"
                  for cpu_cost, wal, what in sorted(costs, reverse=True)]
        return lines

    def close(self):
        self.raw.close()


def server_breakdown(connection, tickets=BREAKDOWN_TICKETS):
    """Lines: the server's CPU and WAL per ticket for each ticket table and each of its indexes (ScratchCopies)."""
    copies = ScratchCopies(connection, tickets)
    try:
        lines = [f"server breakdown: the first {copies.tickets:,} imported tickets' rows COPYed again into empty "
                 "copies of their tables (one backend's CPU; per imported ticket)"]
        for table in TICKET_TABLES:
            lines += copies.table(table)
        return lines
    finally:
        copies.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--place", choices=("code", "address", "coordinates"), default="code",
                        help="how rows name their place (default code: a street or community code)")
    parser.add_argument("--categories", action="store_true",
                        help="each row carries its source system's category (a leaf of the catalogue), as a real "
                             "12345 export does: nothing to classify (default: no category column, every row "
                             "classified at import, the slower case)")
    parser.add_argument("--progress", action="store_true", help="show the import's progress bar")
    parser.add_argument("--model-dir", default=str(ROOT / "var" / "models"),
                        help="where the cold-start model is kept between runs (default var/models)")
    parser.add_argument("--writers", type=int, default=None,
                        help="PostgreSQL: connections writing at once, per process (default: the importer's, "
                             "1 per process, 2 with one process)")
    parser.add_argument("--processes", type=int, default=None,
                        help="import processes, each over its part of the file (PostgreSQL; default: the importer's)")
    parser.add_argument("--key-checks", choices=KEY_CHECKS, default="auto",
                        help="how foreign keys are checked (the importer's option; default auto: per batch where "
                             "the database role may)")
    parser.add_argument("--server-breakdown", action="store_true",
                        help="PostgreSQL: after the import, COPY the first 100,000 tickets' rows again into empty "
                             "copies of their tables, with every index and without each in turn, and print the "
                             "server's CPU and WAL per ticket for each (a few minutes)")
    parser.add_argument("--profile", metavar="PATH",
                        help="cProfile the import into PATH (pstats file); this process only: use --processes 1")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="jiesu-bench-import-") as workdir:
        setup_django(workdir, args.db, args.model_dir)
        from django.db import connection

        setup_s = build_database()
        print(f"database: {connection.vendor}; set-up (migrate, org tree, catalogue) {setup_s:.1f} s")
        path = Path(workdir) / "tickets.csv"
        started = time.perf_counter()
        codes = leaf_codes() if args.categories else ()
        bad = generate(path, args.tickets, args.place, categories=codes)
        print(f"generated {args.tickets:,} rows ({bad:,} bad on purpose, places by {args.place}, "
              + (f"categories from the file: {len(codes)} leaves" if codes else "no category column") + ") in "
              f"{time.perf_counter() - started:.1f} s: {path.stat().st_size / 2**20:.0f} MB")
        model_s, how = load_model()
        print(f"model: {how} in {model_s:.1f} s (not part of the import's time)")
        rss_before = peak_rss_mb()
        cpu_before, server_before, wal_before = process_cpu(), server_cpu(connection), wal_position(connection)

        from jiesu.importer.services import run_import

        options = dict(report=Path(workdir) / "rejected.csv", batch_size=args.batch_size, progress=args.progress,
                       processes=args.processes, key_checks=args.key_checks)  # None: the importer's default
        if args.writers is not None:
            options["writers"] = args.writers
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            summary = profiler.runcall(run_import, path, "csv", **options)
            profiler.dump_stats(args.profile)
        else:
            summary = run_import(path, "csv", **options)
        d = summary.as_dict()
        client_cpu, db_cpu = process_cpu() - cpu_before, server_cpu(connection) - server_before
        wal = wal_since(connection, wal_before) if wal_before is not None else None
        assert d["read"] == d["imported"] + d["rejected"] + d["already_imported"] == args.tickets
        print(f"imported {d['imported']:,}, rejected {d['rejected']:,} ({d['reasons']}) in {d['seconds']:.1f} s; "
              f"states {d['states']}; events {d['events']:,}, assignments {d['assignments']:,}; "
              f"classifier {summary.classifier} (vectorised: {summary.fast_classifier}); foreign keys checked per "
              f"{d['key_checks']}" + (f" ({d['key_checks_reason']})" if d["key_checks_reason"] else ""))
        total = sum(v for k, v in d["timings"].items() if "." not in k)
        print("seconds per stage: " + ", ".join(f"{k} {v:.1f}" + (f" ({100 * v / total:.0f} %)" if "." not in k else "")
                                                for k, v in d["timings"].items()))
        n = max(1, d["imported"])
        who = "this process" if d["processes"] == 1 else f"the {d['processes']} import processes"
        line = (f"CPU: {who} {client_cpu:.1f} s ({1e6 * client_cpu / n:.0f} µs per ticket)")
        if db_cpu:
            line += (f", database server (all its processes) {db_cpu:.1f} s ({1e6 * db_cpu / n:.0f} µs per ticket); "
                     f"with a core each and nothing else running: ≈ {n / max(client_cpu, db_cpu):,.0f} tickets/s; "
                     f"each fully busy core (import and server together): ≈ {n / (client_cpu + db_cpu):,.0f} "
                     f"tickets/s")
        else:
            line += f"; on a free core: ≈ {n / client_cpu:,.0f} tickets/s"
        print(line + f" (wall {d['seconds']:.1f} s)")
        rss = max(peak_rss_mb(), peak_rss_mb(children=True))
        print(f"peak RSS before the import {rss_before:.0f} MB, after {peak_rss_mb():.0f} MB"
              + (f"; largest import process {peak_rss_mb(children=True):.0f} MB (each has its own)"
                 if d["processes"] > 1 else ""))
        if wal is not None:
            print(f"WAL written by the import: {wal / 2**20:,.0f} MB ({wal / n:,.0f} B per ticket)")
            print("\n".join(table_shapes(connection, n)))
            if args.server_breakdown:
                print("\n".join(server_breakdown(connection)))
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(json.dumps({"tickets_per_s": round(d["imported"] / d["seconds"], 1),
                          "peak_rss_mb": round(rss, 1), "model_load_s": round(model_s, 2),
                          "processes": d["processes"]}))


if __name__ == "__main__":
    main()
