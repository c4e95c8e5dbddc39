"""Rows of a file already imported under another --source (audit 12, finding 9).

The idempotency key is ``import:<source>:<external id>``: the same export imported again under a second source
would make a second ticket of every row. Before a run writes anything, `OtherSources.of` lists the sources
other than the run's that tickets were imported under (one index seek each: tickets' keys are ordered, and
``import:<s>;`` is the first key after every ``import:<s>:…``), and only when there are some, reads the file's
external ids and looks them up under each of those sources (in chunks, by the unique index). The order used is
the bytes' (SQLite's, and PostgreSQL's C collation, as scripts/with-postgres.sh creates it); under a language
collation a source may be missed, never invented.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from jiesu.importer import formats as F

PREFIX = "import:"
LOOKUP_CHUNK = 500  # keys per IN (...) query: well under SQLite's and PostgreSQL's limits on parameters


def import_sources():
    """The sources tickets were imported under, in key order (one query each, plus one)."""
    from jiesu.tickets.models import Ticket

    keys = Ticket.objects.order_by("idempotency_key").values_list("idempotency_key", flat=True)
    found, low = [], PREFIX
    while True:
        key = keys.filter(idempotency_key__gte=low).first()
        if key is None or not key.startswith(PREFIX):
            return found
        name = key[len(PREFIX):].split(":", 1)[0]
        found.append(name)
        low = f"{PREFIX}{name};"


@dataclass
class OtherSources:
    """The file's rows whose external id was imported under another source: how many, per source, and one
    example (external id, the ticket's number)."""

    rows: int = 0
    sources: dict = field(default_factory=dict)
    example: tuple | None = None

    @classmethod
    def of(cls, path, fmt, source):
        """Count them for the file `path` read in format `fmt` as source `source` (None: the format's default).
        Bytes that are not text part-way end the reading: the run stops there too (StoppedPartWay)."""
        reader = F.Reader(path)
        try:
            look = F.Lookups({}, {}, {}, {}, timezone.now(), timezone.get_current_timezone(),
                             settings.JIESU["CITY_BBOX"])
            fmt = F.make_format(fmt, reader.header, look, source)
            others = [name for name in import_sources() if name != fmt.source]
            found = cls()
            if not others:
                return found
            ids = {}  # in the file's order: the example is one of the first rows found
            try:
                for _line, values in reader:
                    ids[fmt.external_id_of(values)] = None
            except F.FormatError:
                pass
        finally:
            reader.close()
        ids.pop("", None)
        for name in others:
            found._count(name, ids)
        return found

    def _count(self, name, ids):
        from jiesu.tickets.models import Ticket

        keys = [f"{PREFIX}{name}:{external_id}" for external_id in ids]
        for start in range(0, len(keys), LOOKUP_CHUNK):
            hits = Ticket.objects.filter(idempotency_key__in=keys[start:start + LOOKUP_CHUNK])
            n = hits.count()
            if not n:
                continue
            self.rows += n
            self.sources[name] = self.sources.get(name, 0) + n
            if self.example is None:
                ticket = hits.order_by("id").only("id", "created_at", "idempotency_key").first()
                self.example = (ticket.idempotency_key.split(":", 2)[2], ticket.number)

    def as_dict(self):
        return {"rows": self.rows, "sources": self.sources, "example": list(self.example) if self.example else None}
