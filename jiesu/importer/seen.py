"""The external ids a dry run has seen, kept on disk so that its memory does not grow with the file.

A real run finds an id repeated in a later batch in the database (the earlier line's ticket). A dry run
writes no ticket, so it must remember every id of the run with the line that first had it. Kept in a dict,
that was ≈ 130 bytes per id (133 MB per million, measured); here it is a private temporary SQLite database
(`sqlite3.connect("")`): SQLite keeps a few MB of it in memory, the rest in a temporary file that is deleted
when the run ends.
"""
from __future__ import annotations

import sqlite3

PROBE_CHUNK = 10_000  # ids looked up per statement (SQLite allows 32,766 parameters)


class SeenIds:
    """key → the line that first had it, for the keys of a dry run."""

    def __init__(self):
        self.db = sqlite3.connect("", isolation_level=None)  # "": private, temporary, on disk
        self.db.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
            "CREATE TABLE seen (key BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;")

    def lines_of(self, keys) -> dict[str, int]:
        """The first line of each of ``keys`` seen before (keys not seen are left out)."""
        keys = [_blob(k) for k in keys]
        found = {}
        for start in range(0, len(keys), PROBE_CHUNK):
            part = keys[start:start + PROBE_CHUNK]
            query = f"SELECT key, line FROM seen WHERE key IN ({','.join('?' * len(part))})"
            for key, line in self.db.execute(query, part):
                found[key.decode("utf-8", "surrogatepass")] = line
        return found

    def add(self, lines) -> None:
        """Remember {key: line} (keys not seen before)."""
        db = self.db
        db.execute("BEGIN")
        try:
            db.executemany("INSERT INTO seen VALUES (?, ?)", ((_blob(k), line) for k, line in lines.items()))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


def _blob(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")  # any str, exactly (a str with a lone surrogate cannot bind)
