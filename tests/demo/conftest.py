"""A small demo world: the org tree with streets in 东城区 only, the catalogue, the demo users."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday afternoon
SMALL = ("110101",)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_world(db):
    from jiesu.demo.users import ensure_demo_users
    from jiesu.units.services import build_org_tree

    build_org_tree(districts=SMALL)
    call_command("seed_reference", stdout=_Null())
    ensure_demo_users(log=lambda *a: None)


@pytest.fixture
def demo(demo_world):
    """300 demo tickets up to NOW, seed 7."""
    from jiesu.demo.generate import generate

    return generate(n=300, seed=7, now=NOW, progress=False)


class _Null:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass
