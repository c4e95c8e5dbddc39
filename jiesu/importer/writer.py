"""Batched writes of pre-encoded rows, in a background thread: COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create compiles every value of every row (most of the time of a
large import); here each table's columns are split into

* the **writer's** columns, which only the writer knows: the ticket's id and
  query code (ids come from the table's sequence once the batch is checked
  against what is already imported), the events' and assignments' ticket id;
* the **row's** columns, which the importer fills per row (text, times,
  place, state…), encoded on the importer's thread as they are built
  (`Table.encode`): a ready COPY text line on PostgreSQL (escaped, ISO times,
  ``\\N`` for NULL), a tuple of driver values on SQLite;
* the **constant** columns (every other column: the model's default), encoded
  once per run and appended to each line.

`BackgroundWriter` runs each batch — check the idempotency keys, allocate ids,
write the three tables, commit — in a worker thread, so the next batch is
read, classified, routed and encoded while this one is written: on PostgreSQL
the backend process digests a COPY while Python works on the next batch (the
driver releases the GIL while it waits for the server). The importer's thread
does not use the connection meanwhile.

On SQLite (one writer at a time anyway) and inside a caller's transaction one
batch is in flight, on the importer's own connection, so a batch's check sees
every earlier batch committed. On PostgreSQL the writer can have more
connections of its own (`make_writers`, `--writers`; by default 2 when one
process imports the file, `WRITERS_ALONE`, and 1 per process when it is split
over several, `WRITERS`: several processes, jiesu.importer.parallel, are
faster than several writers) and as many batches in flight,
each on its own connection and server backend: committing a batch (its foreign
keys are checked then) and the next batch's COPY overlap. The importer does not
submit a batch that shares an external id with one being written before that
one is done (`Importer._advance`), so a batch's check still sees every earlier
batch that could hold one of its keys: duplicates across batches and re-runs
are found exactly, and the earlier line is the one imported. A key taken by
another process's run meanwhile is a unique violation (or a deadlock between
the two), and the batch is retried.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import timezone as dt_timezone

log = logging.getLogger(__name__)

CHECK_CHUNK = 500  # keys per idempotency query on SQLite (bound parameters)
COPY_CHUNK = 1 << 20  # characters per COPY write
WRITERS = 1  # connections writing batches at once on PostgreSQL, per process when the file is split over processes
WRITERS_ALONE = 2  # the same when one process imports the whole file


def make_writer(connection):
    if connection.vendor == "postgresql":
        return PostgresWriter(connection)
    if connection.vendor == "sqlite":
        return SqliteWriter(connection)
    raise NotImplementedError(f"bulk import does not support the {connection.vendor} database")


def make_writers(connection, n=WRITERS):
    """The writers of a run: the connection's own and, on PostgreSQL outside a caller's transaction, n − 1 more
    connections of their own (a caller's transaction would be invisible to them, and SQLite has one writer)."""
    first = make_writer(connection)
    if first.vendor != "postgresql" or first.nested:
        return [first]
    import psycopg

    writers = [first]
    for _ in range(max(1, int(n)) - 1):
        try:
            writers.append(PostgresWriter(connection, own=True))
        except psycopg.OperationalError as exc:  # e.g. the server's max_connections: write on fewer
            log.warning("bulk import: could not open another connection (%s); writing on %d", exc, len(writers))
            break
    return writers


# ─────────────────────────────────────────────────────────────── encoding values


def _escape(value):
    """A str as a COPY text field (backslash, tab, newline and carriage return escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _sqlite_datetime(value):
    """What Django's SQLite backend stores for an aware datetime (UTC, naive, ISO with a space)."""
    if value is None:
        return None
    return value.astimezone(dt_timezone.utc).replace(tzinfo=None).isoformat(" ")


def _kind(field):
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return "datetime"
    if internal == "JSONField":
        return "json"
    if internal == "BooleanField":
        return "bool"
    if internal == "FloatField":
        return "float"
    if internal in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return "text"
    return "int"  # ids, foreign keys, small integers


def moment_encoder(vendor):
    """datetime (or None) → what the writer sends for it: ISO text on PostgreSQL, Django's UTC text on SQLite."""
    if vendor == "postgresql":
        return lambda value: None if value is None else value.isoformat()
    return _sqlite_datetime


#: how a PostgreSQL COPY text field is written for each kind of column, as an f-string part of the value `@`
#: (datetimes come pre-encoded by `moment_encoder`; "safe" text is a code from a fixed vocabulary, never
#: NULL and never needing escapes)
_PG_FIELDS = {
    "safe": "{@}",
    "text": "{NULL if @ is None else _escape(@)}",
    "json": "{NULL if @ is None else _escape(@)}",
    "datetime": "{NULL if @ is None else @}",
    "int": "{NULL if @ is None else @}",
    "float": "{NULL if @ is None else @}",
    "bool": "{NULL if @ is None else ('t' if @ else 'f')}",
}


def _pg_line_encoder(kinds, suffix):
    """A function: tuple of values → one COPY text line, ending with `suffix`.

    Its source (one f-string over the unpacked tuple) is generated once per
    table, so a row costs no Python call per value.
    """
    names = [f"v{i}" for i in range(len(kinds))]
    fields = "\\t".join(_PG_FIELDS[k].replace("@", n) for k, n in zip(kinds, names))
    source = f"def encode(values):\n    ({', '.join(names)},) = values\n    return f\"{fields}\" + SUFFIX\n"
    namespace = {"_escape": _escape, "NULL": "\\N", "SUFFIX": suffix}
    exec(compile(source, f"<COPY line encoder, {len(kinds)} columns>", "exec"), namespace)  # noqa: S102
    return namespace["encode"]


class Table:
    """One table: the writer's columns, the row's columns (in tuple order) and the constant rest.

    `encode(values)` turns a tuple of the row's columns (datetimes encoded by
    `moment_encoder`, JSON columns as JSON text) into what the writer sends:
    a COPY text line without the writer's columns on PostgreSQL, a tuple on
    SQLite. Columns named in `safe` hold codes from a fixed vocabulary (state,
    kind, role…): never NULL, nothing to escape.
    """

    def __init__(self, model, vendor, lead, columns, stamp, safe=()):
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        self.name = meta.db_table
        self.lead = list(lead)
        self.row_columns = list(columns)
        chosen = set(self.lead) | set(self.row_columns)
        unknown = chosen - set(fields)
        if unknown:
            raise ValueError(f"{meta.label}: no column(s) {', '.join(sorted(unknown))}")
        rest = [f for f in meta.concrete_fields if f.attname not in chosen and not f.primary_key]
        missing = [f.attname for f in rest if not f.null and not f.has_default() and not (f.blank and f.empty_strings_allowed)
                   and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)]
        if missing:
            raise ValueError(f"{meta.label}: the importer writes no value for {', '.join(missing)}")
        self.constant_columns = [f.attname for f in rest]
        moment = moment_encoder(vendor)
        constants = []
        for f in rest:
            value = stamp if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            kind = _kind(f)
            constants.append(moment(value) if kind == "datetime" else (_json_text(value) if kind == "json" else value))
        self.columns = self.lead + self.row_columns + self.constant_columns
        self.db_columns = [fields[c].column for c in self.columns]
        self.vendor = vendor
        if vendor == "postgresql":
            kinds = ["safe" if c in safe else _kind(fields[c]) for c in self.row_columns]
            tail = _pg_line_encoder([_kind(f) for f in rest], "")(tuple(constants)) if rest else ""
            self.encode = _pg_line_encoder(kinds, ("\t" + tail if rest else "") + "\n")
        else:
            constants = tuple(constants)
            self.encode = lambda values: values + constants


def _json_text(value):
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ─────────────────────────────────────────────────────────────── what a batch writes


class Batch:
    """A batch as the writer takes it: per ticket its key, encoded ticket row, encoded events and assignments."""

    __slots__ = ("keys", "tickets", "events", "assignments", "dry_run")

    def __init__(self, dry_run=False):
        self.keys, self.tickets, self.events, self.assignments = [], [], [], []
        self.dry_run = dry_run

    def add(self, key, ticket, events, assignments):
        self.keys.append(key)
        self.tickets.append(ticket)
        self.events.append(events)
        self.assignments.append(assignments)


class Written:
    """What the writer did with a batch: {key: (id, created_at)} already in the database, ids given, counts."""

    __slots__ = ("already", "ids", "events", "assignments")

    def __init__(self, already):
        self.already, self.ids, self.events, self.assignments = already, [], 0, 0


# ─────────────────────────────────────────────────────────────── database writers


class _Writer:
    """Shared by both databases: one batch = one transaction (a savepoint inside an outer one)."""

    vendor = ""
    retries = 3

    def __init__(self, connection, own=False):
        """own: write on a new connection of the same database (closed by `close`), not on `connection` itself."""
        self.connection = connection
        connection.ensure_connection()
        self.own = own
        if own:
            self.raw = connection.get_new_connection(connection.get_connection_params())
            self.raw.autocommit = True  # as Django leaves its own: the writer opens each transaction itself
        else:
            self.raw = connection.connection
        self.nested = connection.in_atomic_block and not own  # inside a caller's transaction (tests): savepoints
        self.timings = Counter()

    def close(self):
        if self.own:
            self.raw.close()

    def write(self, tables, batch):
        """Check, allocate ids, insert, commit; retried when a unique key collides (query code, concurrent run)."""
        clock = time.perf_counter
        for attempt in range(self.retries):
            mark = clock()
            self._begin()
            try:
                written = Written(self.existing(tables.ticket, batch.keys))
                self.timings["check"] += clock() - mark
                if not batch.dry_run:
                    self._insert(tables, batch, written)
                mark = clock()
                self._commit()
                self.timings["commit"] += clock() - mark
                return written
            except self.integrity_errors:
                self._rollback()
                if attempt == self.retries - 1:
                    raise
            except BaseException:
                self._rollback()
                raise
        raise AssertionError("unreachable")

    def _insert(self, tables, batch, written):
        clock = time.perf_counter
        keep = [i for i, key in enumerate(batch.keys) if key not in written.already]
        if not keep:
            return
        mark = clock()
        ids = self.allocate_ids(tables.ticket, len(keep))
        self.timings["ids"] += clock() - mark
        codes = secrets.token_hex(6 * len(keep)).upper()
        tickets, events, assignments = [], [], []
        for n, (i, pk) in enumerate(zip(keep, ids)):
            tickets.append(self.ticket_row(pk, codes[12 * n:12 * n + 12], batch.tickets[i]))
            events.extend(self.child_row(pk, e) for e in batch.events[i])
            assignments.extend(self.child_row(pk, a) for a in batch.assignments[i])
        for table, rows in ((tables.ticket, tickets), (tables.event, events), (tables.assignment, assignments)):
            if rows:
                mark = clock()
                self.insert(table, rows)
                self.timings[table.name] += clock() - mark
        written.ids, written.events, written.assignments = ids, len(events), len(assignments)

    def _execute(self, sql, params=None):
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, params) if params is not None else cursor.execute(sql)
            return cursor.fetchall() if cursor.description else None
        finally:
            cursor.close()

    def _begin(self):
        self._execute("SAVEPOINT jiesu_import" if self.nested else self.begin_sql)

    def _commit(self):
        self._execute("RELEASE SAVEPOINT jiesu_import" if self.nested else "COMMIT")

    def _rollback(self):
        if self.nested:
            self._execute("ROLLBACK TO SAVEPOINT jiesu_import")
            self._execute("RELEASE SAVEPOINT jiesu_import")
        else:
            self._execute("ROLLBACK")


class PostgresWriter(_Writer):
    vendor = "postgresql"
    begin_sql = "BEGIN"

    def __init__(self, connection, own=False):
        import psycopg

        super().__init__(connection, own=own)
        # a key taken by another run's batch being written: a unique violation, or a deadlock between the two
        self.integrity_errors = (psycopg.IntegrityError, psycopg.errors.DeadlockDetected)
        self.sequences = {}  # table → its id sequence

    def _begin(self):
        super()._begin()
        # the import is re-runnable: a batch lost in a crash is imported again, so no need to wait for the WAL flush
        self._execute("SET LOCAL synchronous_commit TO OFF")
        # the ticket table grows during the run faster than its statistics: without this the planner may check
        # the batch's keys by scanning the whole table (a cost growing with every batch) instead of the index
        self._execute("SET LOCAL enable_seqscan TO OFF")

    def _execute(self, sql, params=None):
        """Server-side binding (Django's connection quotes parameters into the SQL text, in Python): the
        batch's keys go to the server as one array parameter."""
        import psycopg

        with psycopg.Cursor(self.raw) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def existing(self, table, keys):
        rows = self._execute(f'SELECT idempotency_key, id, created_at FROM "{table.name}" '
                             "WHERE idempotency_key = ANY(%s::varchar[])", [keys])
        return {key: (pk, created) for key, pk, created in rows}

    def allocate_ids(self, table, n):
        """n fresh ids from the table's sequence (named once per writer: looking it up for every id cost the
        server 2.3 µs per ticket)."""
        sequence = self.sequences.get(table.name)
        if sequence is None:
            sequence = self.sequences[table.name] = self._execute("SELECT pg_get_serial_sequence(%s, 'id')",
                                                                  [table.name])[0][0]
        rows = self._execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s::int)", [sequence, n])
        return [r[0] for r in rows]

    @staticmethod
    def ticket_row(pk, code, line):
        return f"{pk}\t{code}\t{line}"

    @staticmethod
    def child_row(pk, line):
        return f"{pk}\t{line}"

    def insert(self, table, lines):
        columns = ", ".join(f'"{c}"' for c in table.db_columns)
        cursor = self.raw.cursor()
        try:
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                chunk, size = [], 0
                for line in lines:
                    chunk.append(line)
                    size += len(line)
                    if size >= COPY_CHUNK:
                        copy.write("".join(chunk))
                        chunk, size = [], 0
                if chunk:
                    copy.write("".join(chunk))
        finally:
            cursor.close()


class SqliteWriter(_Writer):
    vendor = "sqlite"
    begin_sql = "BEGIN IMMEDIATE"  # as Jiesu's SQLite transactions: the write lock from the start

    def __init__(self, connection):
        import sqlite3

        super().__init__(connection)
        self.integrity_errors = (sqlite3.IntegrityError,)

    def existing(self, table, keys):
        out = {}
        for i in range(0, len(keys), CHECK_CHUNK):
            part = keys[i:i + CHECK_CHUNK]
            rows = self._execute(f'SELECT idempotency_key, id, created_at FROM "{table.name}" '
                                 f"WHERE idempotency_key IN ({', '.join('?' * len(part))})", part)
            for key, pk, created in rows:
                moment = created if isinstance(created, datetime) else datetime.fromisoformat(created)
                out[key] = (pk, moment.replace(tzinfo=dt_timezone.utc) if moment.tzinfo is None else moment)
        return out

    def allocate_ids(self, table, n):
        """Ids after the largest ever given (the AUTOINCREMENT counter); safe under the write lock of BEGIN IMMEDIATE."""
        top = self._execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table.name}"')[0][0]
        seq = self._execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table.name])
        start = max(top, seq[0][0] if seq else 0) + 1
        return list(range(start, start + n))

    @staticmethod
    def ticket_row(pk, code, row):
        return (pk, code) + row

    @staticmethod
    def child_row(pk, row):
        return (pk,) + row

    def insert(self, table, rows):
        sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in table.db_columns)}) '
               f"VALUES ({', '.join(['?'] * len(table.db_columns))})")
        cursor = self.raw.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()


# ─────────────────────────────────────────────────────────────── the background thread


class BackgroundWriter:
    """Writes batches in worker threads, one per writer (connection); `submit` returns a Future of `Written`.

    Batches go to the writers in turn; each writer has one thread, so it writes one batch at a time. The
    caller keeps at most `in_flight` (= the number of writers) + 1 batches submitted, the newest waiting in
    its writer's queue, and takes their results in order.
    """

    def __init__(self, writers, tables):
        self.writers, self.tables = list(writers), tables
        self.in_flight = len(self.writers)
        self._pools = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"jiesu-import-writer-{i}")
                       for i in range(self.in_flight)]
        self._turn = 0

    def submit(self, batch):
        i, self._turn = self._turn, (self._turn + 1) % self.in_flight
        return self._pools[i].submit(self.writers[i].write, self.tables, batch)

    def close(self):
        for pool in self._pools:
            pool.shutdown(wait=True)
        for writer in self.writers:
            writer.close()

    @property
    def timings(self):
        return sum((writer.timings for writer in self.writers), Counter())
