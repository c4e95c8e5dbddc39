"""Batched writes of plain row tuples: COPY on PostgreSQL, one prepared executemany on SQLite.

The ORM's bulk_create compiles every value of every row (most of the time of a
large import); these writers take tuples in a fixed column order, already in
Python types, and hand them to the driver as they are:

* PostgreSQL — psycopg 3 ``cursor.copy("COPY … FROM STDIN")`` with
  ``write_row``; ticket ids come from the table's own sequence (one
  ``nextval`` query per batch), so tickets, their events and assignments go out
  in three COPY streams without reading anything back;
* SQLite — ``executemany`` of one INSERT; ids continue after the largest id
  ever given (the AUTOINCREMENT counter), which is safe because Jiesu opens
  SQLite transactions IMMEDIATE (the write lock is held from BEGIN).

Both run inside the caller's transaction.
"""
from __future__ import annotations

import json
from datetime import timezone as dt_timezone


def make_writer(connection):
    if connection.vendor == "postgresql":
        return PostgresWriter(connection)
    if connection.vendor == "sqlite":
        return SqliteWriter(connection)
    raise NotImplementedError(f"bulk import does not support the {connection.vendor} database")


class Table:
    """One table's name, the columns written (in tuple order) and which of them hold datetimes / JSON."""

    def __init__(self, model, columns):
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        self.name = meta.db_table
        self.columns = list(columns)
        self.db_columns = [fields[c].column for c in self.columns]
        kinds = [fields[c].get_internal_type() for c in self.columns]
        self.datetimes = [i for i, k in enumerate(kinds) if k == "DateTimeField"]
        self.jsons = [i for i, k in enumerate(kinds) if k == "JSONField"]
        missing = [f.attname for f in meta.concrete_fields
                   if f.attname not in self.columns and not f.primary_key and not f.null and not f.has_default()]
        if missing:
            raise ValueError(f"{meta.label}: the importer writes no value for {', '.join(missing)}")


class PostgresWriter:
    vendor = "postgresql"

    def __init__(self, connection):
        self.connection = connection

    def allocate_ids(self, table, n):
        """n fresh ids from the table's sequence."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table.name, n])
            return [r[0] for r in cursor.fetchall()]

    def insert(self, table, rows):
        if not rows:
            return
        jsons = table.jsons
        qn = self.connection.ops.quote_name
        sql = f"COPY {qn(table.name)} ({', '.join(qn(c) for c in table.db_columns)}) FROM STDIN"
        from psycopg.copy import QueuedLibpqWriter

        with self.connection.cursor() as wrapper:
            # the queued writer sends from a thread: the server digests one chunk while Python formats the next
            with wrapper.cursor.copy(sql, writer=QueuedLibpqWriter(wrapper.cursor)) as copy:
                write = copy.write_row
                if jsons:
                    for row in rows:
                        row = list(row)
                        for i in jsons:
                            row[i] = json.dumps(row[i], ensure_ascii=False, separators=(",", ":"))
                        write(row)
                else:
                    for row in rows:
                        write(row)


def _sqlite_datetime(value):
    """What Django's SQLite backend stores for an aware datetime (UTC, naive, ISO with a space)."""
    if value is None:
        return None
    return value.astimezone(dt_timezone.utc).replace(tzinfo=None).isoformat(" ")


class SqliteWriter:
    vendor = "sqlite"

    def __init__(self, connection):
        self.connection = connection

    def allocate_ids(self, table, n):
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.connection.ops.quote_name(table.name)}")
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table.name])
            seq = cursor.fetchone()
        start = max(top, seq[0] if seq else 0) + 1
        return list(range(start, start + n))

    def insert(self, table, rows):
        if not rows:
            return
        qn = self.connection.ops.quote_name
        sql = (f"INSERT INTO {qn(table.name)} ({', '.join(qn(c) for c in table.db_columns)}) "
               f"VALUES ({', '.join(['%s'] * len(table.columns))})")
        # a ticket's rows share datetime objects (created = dispatched = the intake event's time = the
        # assignments'; the deadlines): each object is converted once (all rows stay alive here, so ids are stable)
        seen = {}

        def adapt_datetime(value):
            found = seen.get(id(value))
            if found is None:
                found = seen[id(value)] = _sqlite_datetime(value)
            return found

        adapted = [(i, adapt_datetime) for i in table.datetimes]
        adapted += [(i, lambda v: json.dumps(v, ensure_ascii=False)) for i in table.jsons]
        params = []
        for row in rows:
            row = list(row)
            for i, adapt in adapted:
                row[i] = adapt(row[i])
            params.append(row)
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, params)
