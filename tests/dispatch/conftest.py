"""Fixtures for the dispatch classifier tests: the real labelled messages in
../shared/data/complaints_cn (read in place, never copied into the project)."""
import csv
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "complaints_cn"


def _read(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def titles():
    """[(title, label)] from titles_labeled.csv (7,390 rows, 7 classes)."""
    return [(r["留言主题"].strip(), r["一级分类"].strip()) for r in _read("titles_labeled.csv")]


@pytest.fixture(scope="session")
def messages():
    """[(title, details, label)] from messages_labeled.csv (1,790 rows)."""
    return [(r["留言主题"].strip(), r["留言详情"].strip(), r["一级分类"].strip())
            for r in _read("messages_labeled.csv")]


@pytest.fixture(scope="session")
def data_dir():
    if not DATA.exists():
        pytest.skip(f"real data not found at {DATA}")
    return DATA
