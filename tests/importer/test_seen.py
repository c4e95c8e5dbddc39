"""The ids a dry run has seen, on disk (jiesu.importer.seen)."""
from jiesu.importer import seen
from jiesu.importer.seen import SeenIds


def test_the_first_line_of_each_id_seen_before_and_nothing_for_the_others():
    ids = SeenIds()
    assert ids.lines_of(["import:csv:A1"]) == {}
    ids.add({"import:csv:A1": 2, "import:csv:A2": 3})
    ids.add({"import:csv:B1": 9})
    assert ids.lines_of(["import:csv:A2", "import:csv:X", "import:csv:B1"]) == {"import:csv:A2": 3, "import:csv:B1": 9}
    ids.close()


def test_any_text_is_kept_exactly():
    ids = SeenIds()
    odd = ["import:csv:工单\t1", "import:csv:x\udc80y", "import:src:''; DROP TABLE seen;--", "import:csv:a\x00b"]
    ids.add({key: n for n, key in enumerate(odd, start=2)})
    assert ids.lines_of(odd + ["import:csv:x"]) == {key: n for n, key in enumerate(odd, start=2)}
    ids.close()


def test_more_ids_than_one_statement_takes(monkeypatch):
    monkeypatch.setattr(seen, "PROBE_CHUNK", 3)
    ids = SeenIds()
    ids.add({f"k{i}": i for i in range(10)})
    assert ids.lines_of([f"k{i}" for i in range(5, 15)]) == {f"k{i}": i for i in range(5, 10)}
    ids.close()
