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


def unread_ranges(table, cursor, limit):
    """(the ranges ((first, last), …, ascending) of the ids of `table` above the cursor that it does not hold, the
    first `limit` of them; the table's highest id, 0 when none): the database numbers them (an island of ids that
    follow one another is one row), so a poll walks an import's 100,000 rows in one query and a few rows. Each
    stretch between two held ranges is asked on its own, on the primary key's range: a held range, however wide (a
    page may send "1-9999999999"), is skipped, not read and filtered. The highest id comes with the last stretch's
    query (id_cursor.within: a cursor above it is brought back)."""
    found, highest, bounds = [], None, [cursor.after, *(bound for held in cursor.held for bound in held)]
    with connection.cursor() as sql:
        for index in range(0, len(bounds), 2):
            last = index + 1 >= len(bounds)
            if limit <= 0 and not last:
                continue
            sql.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS "
                        f"island FROM (SELECT id FROM {table} WHERE id > %s{'' if last else ' AND id < %s'} "
                        "ORDER BY id LIMIT %s) AS unread) AS numbered GROUP BY island"
                        + (f" UNION ALL SELECT -1, MAX(id), 0 FROM {table}" if last else "") + " ORDER BY 1",
                        [bounds[index], *([] if last else [bounds[index + 1]]), max(limit, 0)])
            islands = sql.fetchall()
            if last:
                highest, islands = islands[0][1] or 0, islands[1:]
            found += [(first, end) for first, end, _count in islands]
            limit -= sum(count for _first, _end, count in islands)
    return found, highest


def start_cursor(table, window, now=None):
    """The cursor a reader of `table` starts from: after its last id, stopped below a gap among its last `window`
    ids (a row still being written as the reader starts is read when it is committed)."""
    with connection.cursor() as sql:
        sql.execute(f"SELECT id FROM {table} ORDER BY id DESC LIMIT %s", [window])
        ids = sorted(pk for (pk,) in sql.fetchall())
    if not ids:
        return Cursor(0)
    return advance(Cursor(ids[0] - 1), ids, now or time.time())
