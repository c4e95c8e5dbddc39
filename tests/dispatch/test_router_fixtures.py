"""Fixtures shared by the locator, router and engine tests (imported by those modules).

`fake_tree()` and `fake_table()` are plain objects with the attributes of Unit,
Category and Duty rows, for the pure tests (no database). `dispatch_db` is
the real thing: the org tree in 东城/西城 (schematic boundaries), the whole
category catalogue and its duties, and a fresh in-memory reference.
"""
from types import SimpleNamespace

import pytest

from jiesu.units import services as unit_services

SMALL = ("110101", "110102")  # 东城区, 西城区


# --------------------------------------------------------------------------- plain objects

class Ids:
    def __init__(self):
        self.n = 0

    def __call__(self):
        self.n += 1
        return self.n


def unit(ids, code, name, kind, parent=None, aliases="", schematic=False):
    uid = ids()
    district_id = uid if kind == "district" else (parent.district_id if parent else None)
    street_id = uid if kind == "street" else (parent.street_id if parent else None)
    return SimpleNamespace(id=uid, code=code, name=name, kind=kind, parent_id=parent.id if parent else None,
                           district_id=district_id, street_id=street_id, aliases=aliases, active=True,
                           schematic=schematic)


def fake_tree(communities=("110101001",)):
    """Every real district and street (package data), plus communities and grids under `communities`.

    Returns {id: unit}; look units up by code with `by_code(units)`.
    """
    ids = Ids()
    units = {}
    city = unit(ids, "110000", "北京市", "city")
    units[city.id] = city
    districts = {}
    for row in unit_services.district_rows():
        d = unit(ids, row["code"], row["name"], "district", city,
                 aliases=f"{row['name']}人民政府,{row['name'][:-1]}")
        units[d.id] = districts[d.code] = d
    for row in unit_services.street_rows():
        s = unit(ids, row["code"], row["name"], "street", districts[row["district_code"]],
                 aliases=unit_services.street_aliases(row["name"], row["type"]))
        units[s.id] = s
    streets = {u.code: u for u in units.values() if u.kind == "street"}
    for code in communities:
        street = streets[code]
        for i in (1, 2, 3):
            c = unit(ids, f"{code}{i:03d}", unit_services.community_name(street.name, i), "community", street)
            units[c.id] = c
            for j in (1, 2):
                g = unit(ids, f"{c.code}{j:03d}", unit_services.grid_name(c.name, j), "grid", c)
                units[g.id] = g
    for code, name, kind, parent in (("HC", "12345市民服务热线中心", "hotline_center", city),
                                     ("CD-JGJ", "市公安局公安交通管理局", "department", city),
                                     ("CD-GZJ", "市公积金管理中心", "department", city),
                                     ("EN-WATER", "北京市自来水集团", "enterprise", city)):
        u = unit(ids, code, name, kind, parent)
        units[u.id] = u
    for dcode in SMALL:
        for abbr, label in (("SCJ", "市场监督管理局"), ("ZFJ", "城市管理综合行政执法局"), ("ZJW", "住房和城乡建设委员会")):
            d = districts[dcode]
            u = unit(ids, f"{dcode}-{abbr}", f"{d.name}{label}", "department", d)
            units[u.id] = u
    return units


def by_code(units):
    return {u.code: u for u in units.values()}


def category(ids, code, name, parent=None, keywords=""):
    return SimpleNamespace(id=ids(), code=code, name=name, parent_id=parent.id if parent else None,
                           keywords=keywords, active=True, level=code.count(".") + 1)


def duty(ids, cat, unit_kind="", unit=None, role="lead", negative=False, territory=None):
    return SimpleNamespace(id=ids(), category_id=cat.id, unit_kind=unit_kind, unit_id=unit.id if unit else None,
                           role=role, negative=negative, territory_id=territory.id if territory else None,
                           scope="sectoral" if unit or unit_kind.startswith("district_department") else "territorial")


# --------------------------------------------------------------------------- database

def build_dispatch_rows():
    """dispatch_db's rows: the org tree in 东城/西城, the whole catalogue with its duties."""
    from jiesu.categories import services as catalogue

    unit_services.build_org_tree(districts=SMALL)
    catalogue.load_time_limits()
    catalogue.load_categories()
    catalogue.load_duties()


def fresh_reference(settings, tmp_path):
    """A fresh in-memory reference (rechecked at every read) and no classifier: dispatch_db's, after the rows."""
    from jiesu.dispatch import engine, router

    settings.JIESU = {**settings.JIESU, "DISPATCH_RECHECK_SECONDS": 0, "DISPATCH_MODEL_DIR": str(tmp_path)}
    router.invalidate()
    engine._classifier.update(key=None, model=None, checked=None, failed=None, unreadable=None)
    yield router.reference()
    router.invalidate()


@pytest.fixture
def dispatch_db(db, settings, tmp_path):
    """Org tree in 东城/西城, the whole catalogue with duties, a fresh reference; returns the Reference."""
    build_dispatch_rows()
    yield from fresh_reference(settings, tmp_path)


@pytest.fixture(scope="module")
def dispatch_rows_once(django_db_setup, django_db_blocker):
    """build_dispatch_rows once for a test module, in a transaction rolled back at the module's end (each test runs
    in a savepoint inside it, rolled back after the test: every test starts from the same rows). Building them took
    ≈ 1 s per test on SQLite, 2 s on PostgreSQL (docs/ci.md)."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import translation

    with django_db_blocker.unblock(), transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        build_dispatch_rows()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def shared_dispatch_db(dispatch_rows_once, db, settings, tmp_path):
    """dispatch_db for a module whose every database test stands on its rows (import it as dispatch_db, with
    dispatch_rows_once): the rows built once per module instead of once per test."""
    yield from fresh_reference(settings, tmp_path)
