"""Batched writes of pre-encoded rows, in a background thread: COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create compiles every value of every row (most of the time of a
large import); here each table's columns are split into

* the **writer's** columns, which only the writer knows: the ticket's id and
  query code (ids come from the table's sequence once the batch is checked
  against what is already imported), the events' and assignments' ticket id;
* the **row's** columns, which the importer fills per row (text, times,
  place, state…), as a tuple of values: datetimes as they are on PostgreSQL,
  Django's UTC text on SQLite (`moment_encoder`), JSON as JSON text;
* the **constant** columns (every other column: the model's default), encoded
  once per run and appended to each row (`Table.encode`).

On PostgreSQL the rows go in COPY's **binary** format (`PostgresWriter.insert`):
psycopg's C code encodes each value in its column's own format (the column
types read from the database once per writer), so no value becomes text in
Python and the server parses no text. Against pre-encoded text lines this
took ≈ 5 µs of the server's CPU off every ticket and the ISO formatting of
~7 moments off the importer's (docs/import.md).

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
keys are checked then, unless the writer checked them per batch:
`choose_key_checks`) and the next batch's COPY overlap. The importer does not
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
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import timezone as dt_timezone

from jiesu.core.worded import WordedError, WordedException, WordedText, gettext_noop

log = logging.getLogger(__name__)

CHECK_CHUNK = 500  # keys per idempotency query on SQLite (bound parameters)
WRITERS = 1  # connections writing batches at once on PostgreSQL, per process when the file is split over processes
WRITERS_ALONE = 2  # the same when one process imports the whole file
KEY_CHECKS = ("auto", "batch", "row")  # how the rows' foreign keys are checked (choose_key_checks)


class MissingReference(WordedException):
    """A row of the batch refers to a row that is not there (deleted while the import ran): nothing of the
    batch is written, and it is not retried."""

    WORDS = {"missing": gettext_noop("%(table)s has no row with id %(ids)s"),
             "database": "%(why)s"}  # the database's own words

    @classmethod
    def of(cls, table, ids):
        return cls("missing", table=table, ids=", ".join(map(str, ids[:5])) + (" …" if len(ids) > 5 else ""))


class KeyChecksReason(WordedText):
    """Why a run's foreign keys are checked per row (the summary's key_checks_reason: English in its JSON line,
    worded in the command's language in its summary)."""

    WORDS = {
        "asked": gettext_noop("asked for"),
        "vendor": gettext_noop("%(vendor)s checks them itself"),
        "nested": gettext_noop("the import runs inside a caller's transaction"),
        "role": gettext_noop("the database role may not set session_replication_role"),
        "triggers": gettext_noop("the tables have triggers or rules of their own: %(triggers)s"),
    }


class KeyChecksRefused(WordedError):
    """--key-checks asks for what cannot be done."""

    WORDS = {
        "unknown": gettext_noop("key checks must be one of %(modes)s, not %(wanted)r"),
        "batch": gettext_noop("foreign keys cannot be checked per batch: %(obstacle)s"),
    }


def choose_key_checks(wanted, vendor, nested, privileged, triggers):
    """(mode, why not "batch": a KeyChecksReason, "" for batch) for a run's foreign keys; KeyChecksRefused (a
    ValueError) when `wanted` cannot be.

    "row": PostgreSQL's own constraint triggers check every foreign key of every row at commit (about 10 per
    ticket: its category and units, its events' and assignments' ticket, the assignments' units; 38–44 µs of the
    server's 93–126 per ticket, measured). "batch": those triggers are off in the batch's transaction
    (``SET LOCAL session_replication_role = replica``) and the writer looks up and locks every row the batch
    refers to once, FOR KEY SHARE as the triggers do (`lock_references`): the same guarantee, a few hundred
    look-ups per batch instead of tens of thousands. The events' and assignments' ticket is the ticket row
    written in the same transaction, by construction. Batch needs PostgreSQL, a transaction of the writer's own,
    a role allowed to set session_replication_role (a superuser, or ``GRANT SET ON PARAMETER
    session_replication_role TO <role>`` on PostgreSQL 15+), and no trigger or rule on the tables written
    (replica mode would silence them too). "auto" is batch where it can be, else row."""
    if wanted not in KEY_CHECKS:
        raise KeyChecksRefused("unknown", modes=", ".join(KEY_CHECKS), wanted=wanted)
    if wanted == "row":
        return "row", KeyChecksReason("asked")
    if vendor != "postgresql":
        obstacle = KeyChecksReason("vendor", vendor=vendor)
    elif nested:
        obstacle = KeyChecksReason("nested")
    elif not privileged:
        obstacle = KeyChecksReason("role")
    elif triggers:
        obstacle = KeyChecksReason("triggers", triggers=", ".join(triggers))
    else:
        return "batch", ""
    if wanted == "batch":
        raise KeyChecksRefused("batch", obstacle=obstacle)
    return "row", obstacle


def key_checks(writers, tables, wanted="auto"):
    """Decide a run's key checks (choose_key_checks) from the first writer's database, and tell every writer."""
    first = writers[0]
    facts = first.key_check_facts(tables) if first.vendor == "postgresql" and not first.nested else (False, [])
    mode, reason = choose_key_checks(wanted, first.vendor, first.nested, *facts)
    for writer in writers:
        writer.batch_keys = mode == "batch"
    return mode, reason


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


def _sqlite_datetime(value):
    """What Django's SQLite backend stores for an aware datetime (UTC, naive, ISO with a space)."""
    if value is None:
        return None
    return value.astimezone(dt_timezone.utc).replace(tzinfo=None).isoformat(" ")


def moment_encoder(vendor):
    """datetime (or None) → what the writer sends for it: the datetime itself on PostgreSQL (binary COPY
    encodes it), Django's UTC text on SQLite."""
    if vendor == "postgresql":
        return _same
    return _sqlite_datetime


def _same(value):
    return value


class Table:
    """One table: the writer's columns, the row's columns (in tuple order) and the constant rest.

    `encode(values)` turns a tuple of the row's columns (datetimes encoded by
    `moment_encoder`, JSON columns as JSON text) into the row the writer
    sends, without the writer's columns: the tuple with the constants added.
    """

    def __init__(self, model, vendor, lead, columns, stamp):
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
            internal = f.get_internal_type()
            constants.append(moment(value) if internal == "DateTimeField"
                             else (_json_text(value) if internal == "JSONField" else value))
        self.columns = self.lead + self.row_columns + self.constant_columns
        # the row's foreign keys: (position in the row's tuple, referenced table, its key column)
        self.references = [(i, fields[c].related_model._meta.db_table, fields[c].target_field.column)
                           for i, c in enumerate(self.row_columns) if fields[c].many_to_one]
        self.constant_references = [(f.related_model._meta.db_table, f.target_field.column, value)
                                    for f, value in zip(rest, constants) if f.many_to_one and value is not None]
        self.db_columns = [fields[c].column for c in self.columns]
        self.vendor = vendor
        constants = tuple(constants)
        self.encode = lambda values: values + constants

    def refer(self, values, references):
        """Add the rows a tuple of the row's columns refers to to `references` ({(table, key column): ids})."""
        for i, table, column in self.references:
            value = values[i]
            if value is not None:
                references[table, column].add(value)


def _json_text_dumper():
    """A psycopg dumper: JSON text (a str, as the importer writes it) → jsonb's binary format (version 1, the text)."""
    global _JSON_TEXT_DUMPER
    if _JSON_TEXT_DUMPER is None:
        from psycopg import adapt, pq
        from psycopg.postgres import types

        class JsonTextBinaryDumper(adapt.Dumper):
            format = pq.Format.BINARY
            oid = types["jsonb"].oid

            def dump(self, obj):
                return b"\x01" + obj.encode()

        _JSON_TEXT_DUMPER = JsonTextBinaryDumper
    return _JSON_TEXT_DUMPER


_JSON_TEXT_DUMPER = None


def _json_text(value):
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ─────────────────────────────────────────────────────────────── what a batch writes


class Batch:
    """A batch as the writer takes it: per ticket its key, encoded ticket row, encoded events and assignments."""

    __slots__ = ("keys", "tickets", "events", "assignments", "dry_run", "references")

    def __init__(self, dry_run=False):
        self.keys, self.tickets, self.events, self.assignments = [], [], [], []
        self.dry_run = dry_run
        self.references = defaultdict(set)  # {(table, key column): ids the rows refer to}, for batch key checks

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
        self.batch_keys = False  # foreign keys checked once per batch (key_checks), not by the database per row

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
            except self.integrity_errors as exc:
                self._rollback()
                missing = self.missing_reference(exc)
                if missing is not None:
                    raise missing from None
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
        if self.batch_keys:
            mark = clock()
            self.lock_references(batch.references, tables)
            self.timings["references"] += clock() - mark
        codes = secrets.token_hex(6 * len(keep)).upper()  # 12 hex digits each, as tickets.models.new_query_code
        tickets = [self.ticket_row(pk, codes[12 * n:12 * n + 12], batch.tickets[i])
                   for n, (i, pk) in enumerate(zip(keep, ids))]
        events = [self.child_row(pk, row) for i, pk in zip(keep, ids) for row in batch.events[i]]
        assignments = [self.child_row(pk, row) for i, pk in zip(keep, ids) for row in batch.assignments[i]]
        for table, rows in ((tables.ticket, tickets), (tables.event, events), (tables.assignment, assignments)):
            if rows:
                mark = clock()
                self.insert(table, rows)
                self.timings[table.name] += clock() - mark
        written.ids, written.events, written.assignments = ids, len(events), len(assignments)

    @staticmethod
    def ticket_row(pk, code, row):
        return (pk, code) + row

    @staticmethod
    def child_row(pk, row):
        return (pk,) + row

    def missing_reference(self, exc):
        """The MissingReference a database error means, or None (the database's own foreign-key check failed)."""
        return None

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
        self.types = {}  # table → its columns' type oids (column_types)

    def _begin(self):
        super()._begin()
        # the import is re-runnable: a batch lost in a crash is imported again, so no need to wait for the WAL flush
        self._execute("SET LOCAL synchronous_commit TO OFF")
        if self.batch_keys:  # the constraint triggers off until commit: lock_references checks the keys instead
            self._execute("SET LOCAL session_replication_role TO replica")
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

    def missing_reference(self, exc):
        import psycopg

        if isinstance(exc, psycopg.errors.ForeignKeyViolation):
            return MissingReference("database", why=exc.diag.message_detail or str(exc))
        return None

    def key_check_facts(self, tables):
        """(may this role set session_replication_role, [triggers and rules of the written tables])."""
        privileged = self._execute("SELECT current_setting('is_superuser') = 'on', "
                                   "current_setting('server_version_num')::int")[0]
        allowed = privileged[0] or (privileged[1] >= 150000 and self._execute(
            "SELECT has_parameter_privilege('session_replication_role', 'SET')")[0][0])
        names = [table.name for table in (tables.ticket, tables.event, tables.assignment)]
        found = self._execute(
            "SELECT t.tgrelid::regclass || '.' || t.tgname FROM pg_trigger t "
            "WHERE t.tgrelid = ANY(%s::text[]::regclass[]) AND NOT t.tgisinternal "
            "UNION ALL SELECT r.ev_class::regclass || '.' || r.rulename FROM pg_rewrite r "
            "WHERE r.ev_class = ANY(%s::text[]::regclass[]) AND r.rulename <> '_RETURN' ORDER BY 1", [names, names])
        return bool(allowed), [r[0] for r in found]

    def lock_references(self, references, tables):
        """Every row the batch refers to, looked up and locked against deletion and key changes until commit (FOR
        KEY SHARE, the lock PostgreSQL's own foreign-key check takes): MissingReference when one is not there."""
        wanted_by = defaultdict(set)
        for key, ids in references.items():
            wanted_by[key] |= ids
        for table in (tables.ticket, tables.event, tables.assignment):
            for name, column, value in table.constant_references:
                wanted_by[name, column].add(value)
        for (name, column), ids in sorted(wanted_by.items()):
            wanted = sorted(ids)
            rows = self._execute(f'SELECT "{column}" FROM "{name}" WHERE "{column}" = ANY(%s) '
                                 f'ORDER BY "{column}" FOR KEY SHARE', [wanted])
            if len(rows) != len(wanted):
                raise MissingReference.of(name, sorted(set(wanted) - {r[0] for r in rows}))

    def allocate_ids(self, table, n):
        """n fresh ids from the table's sequence (named once per writer: looking it up for every id cost the
        server 2.3 µs per ticket)."""
        sequence = self.sequences.get(table.name)
        if sequence is None:
            sequence = self.sequences[table.name] = self._execute("SELECT pg_get_serial_sequence(%s, 'id')",
                                                                  [table.name])[0][0]
        rows = self._execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s::int)", [sequence, n])
        return [r[0] for r in rows]

    def column_types(self, table):
        """The type (oid) of each of the table's columns, as the database has them: binary COPY sends each
        value in its column's own binary format (an int4 column takes 4 bytes, not 8)."""
        types = self.types.get(table.name)
        if types is None:
            found = dict(self._execute("SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass "
                                       "AND attnum > 0 AND NOT attisdropped", [table.name]))
            types = self.types[table.name] = [found[c] for c in table.db_columns]
        return types

    def insert(self, table, rows):
        """COPY in the binary format: no value is turned into text in Python or parsed from text by the server."""
        import psycopg

        columns = ", ".join(f'"{c}"' for c in table.db_columns)
        types = self.column_types(table)
        with psycopg.Cursor(self.raw) as cursor:
            cursor.adapters.register_dumper(None, _json_text_dumper())
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN (FORMAT BINARY)') as copy:
                copy.set_types(types)
                write_row = copy.write_row
                for row in rows:
                    write_row(row)


class SqliteWriter(_Writer):
    vendor = "sqlite"
    begin_sql = "BEGIN IMMEDIATE"  # as Jiesu's SQLite transactions: the write lock from the start

    def __init__(self, connection):
        import sqlite3

        super().__init__(connection)
        self.integrity_errors = (sqlite3.IntegrityError,)

    def missing_reference(self, exc):
        return MissingReference("database", why=str(exc)) if "FOREIGN KEY" in str(exc) else None

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
