"""A tiny per-process cache with a time-to-live, for reference data read on every request.

Reference data (categories, units, API tokens) changes rarely; reading it
from the database on each intake costs more than the intake itself. Entries
live `ttl` seconds, so an edit in the admin reaches every worker within that
time; `clear()` drops them at once in the editing process.
"""
import threading
import time


class TTLCache:
    def __init__(self, ttl=60.0, maxsize=10000):
        self.ttl, self.maxsize = ttl, maxsize
        self._data = {}
        self._lock = threading.Lock()

    def get_or_load(self, key, load):
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._data) >= self.maxsize:
                self._data.clear()
            self._data[key] = (now + self.ttl, value)
        return value

    def clear(self):
        with self._lock:
            self._data.clear()
