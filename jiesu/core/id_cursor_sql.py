"""The database's side of an id cursor (core/id_cursor.py): the rows above it that it does not hold, and where a
reader starts. Plain SQL on the primary key's range: the ORM's building of such a query cost the emergency poll
0.25 ms, the query itself 0.02 ms (docs/dispatch-desk.md)."""
import time

from django.db import connection

from jiesu.core.id_cursor import Cursor, advance


def unread_rows(table, cursor, limit, columns="id"):
    """`columns` of the rows of `table` with an id above the cursor that it does not hold, by id, at most `limit`."""
    skip_held = "".join(" AND id NOT BETWEEN %s AND %s" for _ in cursor.held)
    with connection.cursor() as sql:
        sql.execute(f"SELECT {columns} FROM {table} WHERE id > %s{skip_held} ORDER BY id LIMIT %s",
                    [cursor.after, *(bound for held in cursor.held for bound in held), limit])
        return sql.fetchall()


def start_cursor(table, window, now=None):
    """The cursor a reader of `table` starts from: after its last id, stopped below a gap among its last `window`
    ids (a row still being written as the reader starts is read when it is committed)."""
    with connection.cursor() as sql:
        sql.execute(f"SELECT id FROM {table} ORDER BY id DESC LIMIT %s", [window])
        ids = sorted(pk for (pk,) in sql.fetchall())
    if not ids:
        return Cursor(0)
    return advance(Cursor(ids[0] - 1), ids, now or time.time())
